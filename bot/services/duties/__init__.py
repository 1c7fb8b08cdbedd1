"""Recurring duties (issue #11): an admin's reminder for the secretaries or curators of
everyone, a region, a local branch or a branch, on a schedule read in each recipient's
own zone, with «✅ Сделано» and «⏰ Напомнить завтра».

- `schedule`: the typed schedule parsed into an RRULE, and said back in Russian words;
- `records`: create, edit, pause, resume, delete, list;
- `delivery`: the due-work kinds (occurrence → per-person reminder), «Сделано», «Напомнить
  завтра», and `register_due_work`, called where the dispatcher is built;
- `report`: completion per occurrence and its `.xlsx`.
"""
