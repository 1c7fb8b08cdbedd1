"""Masterclasses in the chat: thin handlers over `bot.services.masterclasses`.

- `catalogue`: a member's list of upcoming masterclasses, a card, registering, the waiting
  list, cancelling, the `.ics`, «Приду» / «Не смогу», `/my_masterclasses`, the `mc_<id>`
  deep link;
- `create`: `/new_masterclass`, one question at a time, a summary, publishing;
- `manage`: the organiser's masterclasses and what they do with one (edit, cancel,
  a message, the materials);
- `attend`: the people registered and waiting, their `.xlsx`, the check-in code and the
  organiser's ticks, a person's `/checkin`, the rating and comment, the feedback summary.
"""
