"""Masterclasses in the chat: thin handlers over `bot.services.masterclasses`.

- `catalogue`: a member's list of upcoming masterclasses, a card, registering, the waiting
  list, cancelling, the `.ics`, «Приду» / «Не смогу», `/my_masterclasses`, the `mc_<id>`
  deep link;
- `create`: `/new_masterclass`, one question at a time, a summary, publishing;
- `manage`: the organiser's masterclasses and what they do with one (edit, cancel, the
  people, the `.xlsx`, a message, materials, the check-in code and ticks, the feedback),
  and a person's `/checkin` and rating.
"""
