"""Which handler does which kind of due work, and which kinds recur."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.due_work.planning import DueJob, plan
from bot.services.due_work.recurrence import Recurrence

if TYPE_CHECKING:
    from storage.db import Database

# Runs inside the transaction that marks the job done: what it writes (the notices it
# queues with `bot.services.outbox.enqueue`) commits together with `done`, or not at all.
Handler = Callable[[AsyncSession, DueJob, datetime], Awaitable[None]]
# Heavy reading and computing (a digest's figures, chart and workbook) before the job's
# transaction, so the write turn is not held meanwhile: (database, job, now) -> what the
# handler then finds in `job.prepared`. It writes nothing; run again if the job is.
Prepare = Callable[["Database", DueJob, datetime], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Kind:
    name: str
    handler: Handler
    recurrence: Recurrence | None = None
    prepare: Prepare | None = None


class DueWorkRegistry:
    def __init__(self) -> None:
        self._kinds: dict[str, Kind] = {}

    def register(
        self,
        kind: str,
        handler: Handler,
        *,
        recurrence: Recurrence | None = None,
        prepare: Prepare | None = None,
    ) -> None:
        if kind in self._kinds:
            raise ValueError(f"due work kind {kind!r} is registered twice")
        if len(kind) > 64:
            raise ValueError(f"due work kind {kind!r} is longer than 64 characters")
        self._kinds[kind] = Kind(kind, handler, recurrence, prepare)

    def get(self, kind: str) -> Kind | None:
        return self._kinds.get(kind)

    def __contains__(self, kind: str) -> bool:
        return kind in self._kinds

    async def plan_next(
        self,
        session: AsyncSession,
        kind: str,
        subject: str | int,
        recipient: int | None,
        *,
        after: datetime,
        now: datetime | None = None,
    ) -> datetime:
        """Plan the first occurrence of a recurring kind after `after`, in the recipient's
        zone; returns it. Starting a series twice plans it once."""
        registered = self._kinds.get(kind)
        if registered is None or registered.recurrence is None:
            raise ValueError(f"due work kind {kind!r} is not registered as recurring")
        recurrence = registered.recurrence
        zone = await recurrence.zone(session, str(subject), recipient)
        due_at = recurrence.next_after(after, zone)
        await plan(session, kind, subject, recipient, due_at, now=now or after)
        return due_at
