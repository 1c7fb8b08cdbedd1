"""One engine for due work: reminders, deadlines, digests, recurring duties.

A feature registers a handler per kind, plans work with `plan` in the transaction that
causes it, cancels it with `cancel`; the tick's `DueWorkRunner` runs it. See the README,
«Due work», and `runner.py` for claim, lease, retry and recurrence.
"""

from bot.services.due_work.planning import DueJob, cancel, plan, plan_many
from bot.services.due_work.recurrence import Recurrence, TimezoneLookup
from bot.services.due_work.registry import DueWorkRegistry, Handler, Kind, Prepare
from bot.services.due_work.runner import DueWorkRunner, UnknownKind

__all__ = [
    "DueJob",
    "DueWorkRegistry",
    "DueWorkRunner",
    "Handler",
    "Kind",
    "Prepare",
    "Recurrence",
    "TimezoneLookup",
    "UnknownKind",
    "cancel",
    "plan",
    "plan_many",
]
