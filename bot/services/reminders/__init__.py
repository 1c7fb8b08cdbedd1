"""Reminders of the secretaries, all of them due work (README, «Due work»):

- `morning`: every Russian working morning at 09:00 local time, one message per
  secretary with what waits for a first answer and her masterclasses of tomorrow;
- `escalation`: a mandate still without a first answer `MANDATE_ESCALATE_DAYS` working
  days after its deadline is escalated to the branch's curators, once;
- `kinds`: their registration with the engine (`register_due_work`) and the start of the
  morning series (`start_series`), both called from `bot/app.py`.

This package imports nothing at its top: `mandates.submission` imports `escalation`.
"""
