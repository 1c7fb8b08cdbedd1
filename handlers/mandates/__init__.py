"""Mandates in the chat. Routers, in the order `handlers.build_routers` includes them:

- `submit` (`/mandate`): the submission flow — `form` asks the questions, `answers`
  takes them, `submit` holds the summary, sending and the router;
- `my_list` (`/my_mandates`): the member's own list;
- `work`: the card (`card`), the actions that need a text (`work`, states in
  `work_state`) and the staff's lists (`lists`); `card_view` and `list_view` draw them;
- `export` (`/export`): the `.xlsx` for a period.
"""
