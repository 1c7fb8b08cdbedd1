"""Masterclasses («мастер-классы»): the feature's rules, one module per subject, no aiogram.

- `parsing`: what an organiser types — a start, a duration, a capacity, a link;
- `audience`: whom a masterclass is for and who is in that audience;
- `access`: who may organise, manage, see and register (the one place that decides it);
- `events`: creating, editing, cancelling, announcing, the message to all registered;
- `registration`: a seat or the waiting list, cancelling, «Не смогу», promotion;
- `records`: loading (and locking) a masterclass and a registration;
- `schedule`: the timed work planned and cancelled through the due-work engine;
- `reminders`: the day-before and hour-before reminders, and `register_due_work`;
- `checkin`: the code said in the room, and the organiser's ticks;
- `feedback`: ratings and comments of those present, and the materials;
- `queries`: the lists (upcoming, mine, the organiser's) and one card;
- `roster`: the organiser's list of people and its `.xlsx`;
- `ics`: the `.ics` calendar file; `notices`: the messages, as outbox notices;
- `errors`: the feature's refusals, with texts in `locales/ru/masterclasses.toml`.
"""
