"""Runs what is due: claims rows in small batches, runs each kind's handler, records it.

1. **Claim** (one short transaction): due rows — pending with `not_before` reached, or
   running with an expired lease — are taken `FOR UPDATE SKIP LOCKED` on PostgreSQL (two
   processes never take the same row; SQLite renders no such clause and has one writer,
   which serialises the claim anyway) and marked running, claimed by this runner until
   `now + lease`, one attempt more.
2. **Run** (one transaction per job): first a compare-and-set from running-and-ours to
   done. If the row is no longer ours (cancelled, or its lease ran out and another runner
   took it) nothing runs. Otherwise the handler runs in the same transaction, so the
   notices it queues commit together with `done`: a crash before the commit leaves the
   row to be claimed again once the lease passes and undoes its notices, a crash after
   it leaves nothing to repeat. Each job is done once and its notices are queued once.
   A kind with a `prepare` step does its heavy reading and computing before this
   transaction, outside any write turn; the handler then only writes what was prepared.
3. **Failure**: the transaction rolls back; the row goes back to pending with
   `not_before` pushed by a bounded exponential backoff, and after `max_attempts` it is
   kept as `failed` with the reason and logged as an error. A row whose runner died while
   holding it `max_attempts` times is failed the same way when next claimed.

A recurring kind plans its next occurrence when one is done (or finally failed), in the
recipient's zone: the first occurrence after the later of its due time and now, so a bot
that was down a week sends one morning reminder, not seven.
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import Update, and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.due_work.planning import DueJob, plan
from bot.services.due_work.registry import DueWorkRegistry, Kind
from storage.db import Database
from storage.models.due_work import DueWork
from storage.statements import rows_changed

log = logging.getLogger(__name__)


class UnknownKind(LookupError):
    pass


def default_worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


class DueWorkRunner:
    def __init__(
        self,
        database: Database,
        registry: DueWorkRegistry,
        clock: Clock,
        *,
        worker_id: str | None = None,
        batch_size: int = 20,
        max_batches: int = 10,
        lease: timedelta = timedelta(minutes=5),
        max_attempts: int = 5,
        backoff: timedelta = timedelta(minutes=1),
        max_backoff: timedelta = timedelta(hours=1),
        concurrency: int = 1,
    ) -> None:
        self.database = database
        self.registry = registry
        self.clock = clock
        self.worker_id = worker_id or default_worker_id()
        self.batch_size = batch_size
        self.max_batches = max_batches  # per tick, so one tick cannot run forever
        self.lease = lease
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        # Jobs of a batch run at once, at most this many: a kind with a slow `prepare`
        # (a digest's chart in a child process) overlaps its reading and its drawing.
        # Each job keeps its own claim and transaction, so each is still done once.
        self.concurrency = concurrency

    async def on_tick(self, now: datetime) -> None:
        await self.run_due()

    async def run_due(self) -> int:
        """Claims and runs what is due now; returns how many jobs were done."""
        done = 0
        for _ in range(self.max_batches):
            jobs = await self.claim()
            if self.concurrency <= 1:
                for job in jobs:
                    done += await self.execute(job) == "done"
            else:
                turns = asyncio.Semaphore(self.concurrency)
                outcomes = await asyncio.gather(*(self._in_turn(turns, job) for job in jobs))
                done += sum(outcome == "done" for outcome in outcomes)
            if len(jobs) < self.batch_size:
                break
        return done

    async def _in_turn(self, turns: asyncio.Semaphore, job: DueJob) -> str:
        async with turns:
            return await self.execute(job)

    async def claim(self) -> list[DueJob]:
        now = self.clock.now()
        async with self.database.transaction() as session:
            rows = (
                await session.scalars(
                    select(DueWork)
                    .where(
                        or_(
                            and_(DueWork.status == "pending", DueWork.not_before <= now),
                            and_(DueWork.status == "running", DueWork.claimed_until < now),
                        )
                    )
                    .order_by(DueWork.not_before, DueWork.id)
                    .limit(self.batch_size)
                    .with_for_update(skip_locked=True)
                )
            ).all()
            claimed = []
            for row in rows:
                if row.status == "running" and row.attempts >= self.max_attempts:
                    reason = (
                        f"its runner stopped while running it {row.attempts} times "
                        f"(last {row.claimed_by})"
                    )
                    await self._give_up(session, row, reason, now)
                    continue
                row.status = "running"
                row.claimed_by = self.worker_id
                row.claimed_until = now + self.lease
                row.attempts += 1
                claimed.append(DueJob.of(row))
        return claimed

    async def execute(self, job: DueJob) -> str:
        """Runs one claimed job: "done", "skipped" (no longer ours), "retry" or "failed"."""
        try:
            kind = self.registry.get(job.kind)
            if kind is not None and kind.prepare is not None:
                # Outside the job's transaction: reads of its own, no write turn held.
                prepared = await kind.prepare(self.database, job, self.clock.now())
                job = replace(job, prepared=prepared)
            async with self.database.unit_of_work() as session:
                now = self.clock.now()
                finished = await rows_changed(
                    session,
                    self._ours(job).values(
                        status="done", done_at=now, claimed_until=None, last_error=None
                    ),
                )
                if not finished:
                    log.info("due work %s (%s) is no longer ours: skipped", job.id, job.kind)
                    return "skipped"
                if kind is None:
                    raise UnknownKind(f"no handler is registered for kind {job.kind!r}")
                await kind.handler(session, job, now)
                await self._plan_following(session, kind, job, now)
        except Exception as error:
            return await self._failed(job, error)
        return "done"

    def _ours(self, job: DueJob) -> Update:
        return update(DueWork).where(
            DueWork.id == job.id,
            DueWork.status == "running",
            DueWork.claimed_by == self.worker_id,
        )

    async def _failed(self, job: DueJob, error: Exception) -> str:
        reason = f"{type(error).__name__}: {error}"[:2000]
        now = self.clock.now()
        final = job.attempts >= self.max_attempts
        async with self.database.unit_of_work() as session:
            values: dict[str, object]
            if final:
                values = {"status": "failed", "claimed_by": None, "claimed_until": None}
            else:
                values = {
                    "status": "pending",
                    "claimed_by": None,
                    "claimed_until": None,
                    "not_before": now + self._backoff(job.attempts),
                }
            changed = await rows_changed(
                session, self._ours(job).values(last_error=reason, **values)
            )
            if not changed:
                log.warning("due work %s (%s) failed and is no longer ours", job.id, job.kind)
                return "skipped"
            if final and (kind := self.registry.get(job.kind)) is not None:
                await self._plan_following(session, kind, job, now, guarded=True)
        if final:
            log.error(
                "due work %s (%s about %s) failed for good after %d attempts: %s",
                job.id, job.kind, job.subject, job.attempts, reason,
                exc_info=error,
            )  # fmt: skip
            return "failed"
        log.warning(
            "due work %s (%s) failed, attempt %d of %d, retried at %s: %s",
            job.id, job.kind, job.attempts, self.max_attempts, values["not_before"], reason,
            exc_info=error,
        )  # fmt: skip
        return "retry"

    async def _give_up(
        self, session: AsyncSession, row: DueWork, reason: str, now: datetime
    ) -> None:
        row.status, row.last_error = "failed", reason
        row.claimed_by = row.claimed_until = None
        log.error("due work %s (%s about %s) failed for good: %s", row.id, row.kind,
                  row.subject, reason)  # fmt: skip
        if (kind := self.registry.get(row.kind)) is not None:
            await self._plan_following(session, kind, DueJob.of(row), now, guarded=True)

    def _backoff(self, attempts: int) -> timedelta:
        return min(self.backoff * 2 ** (attempts - 1), self.max_backoff)

    async def _plan_following(
        self,
        session: AsyncSession,
        kind: Kind,
        job: DueJob,
        now: datetime,
        *,
        guarded: bool = False,
    ) -> None:
        """The next occurrence of a recurring kind. `guarded`: while giving a job up, a
        failure here is logged and must not undo the giving up (or the row would block)."""
        if kind.recurrence is None:
            return
        if not guarded:
            await self._plan_next(session, kind, job, now)
            return
        try:
            async with session.begin_nested():
                await self._plan_next(session, kind, job, now)
        except Exception:
            log.exception("due work %s (%s): its next occurrence could not be planned",
                          job.id, job.kind)  # fmt: skip

    async def _plan_next(
        self, session: AsyncSession, kind: Kind, job: DueJob, now: datetime
    ) -> None:
        assert kind.recurrence is not None
        zone = await kind.recurrence.zone(session, job.subject, job.recipient)
        due_at = kind.recurrence.next_after(max(job.due_at, now), zone)
        await plan(session, job.kind, job.subject, job.recipient, due_at, now=now)
