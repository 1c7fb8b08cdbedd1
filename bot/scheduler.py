"""A small scheduling interface of our own over APScheduler.

Due work lives in tables (reminders, deadlines, the outbox), not in APScheduler's memory:
one periodic tick asks each registered job to do what is due by now. A job is idempotent,
so a tick that dies half-way is simply repeated by the next one.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock

log = logging.getLogger(__name__)
TickJob = Callable[[datetime], Awaitable[None]]


class Scheduler(Protocol):
    def every(self, seconds: float, job_id: str, job: Callable[[], Awaitable[None]]) -> None: ...
    def start(self) -> None: ...
    async def shutdown(self) -> None: ...


class ApschedulerScheduler:
    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(timezone="UTC")
        self._in_flight: set[asyncio.Task[None]] = set()

    def every(self, seconds: float, job_id: str, job: Callable[[], Awaitable[None]]) -> None:
        # APScheduler 3 awaits only what `inspect.iscoroutinefunction` recognises; anything
        # else (a callable instance, a lambda, a partial) it calls in a worker thread and
        # drops the coroutine unawaited. Wrapping every job in a coroutine function makes
        # that mistake impossible whatever is passed in.
        async def run() -> None:
            try:
                await self._tracked(job())
            except asyncio.CancelledError:
                # APScheduler's shutdown cancels the job it runs; the tick under it is
                # shielded and finishes, and `shutdown` waits for it.
                return

        self._aps.add_job(
            run,
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            max_instances=1,  # a slow tick is not overlapped by the next one
            coalesce=True,
        )

    async def _tracked(self, work: Awaitable[None]) -> None:
        task = asyncio.ensure_future(work)
        self._in_flight.add(task)
        task.add_done_callback(self._in_flight.discard)
        await asyncio.shield(task)

    def start(self) -> None:
        self._aps.start()

    async def shutdown(self) -> None:
        """Stops planning ticks and lets a tick that is running finish (its work is in
        transactions, so cutting it would only waste it)."""
        if self._aps.running:
            self._aps.shutdown(wait=False)
        if self._in_flight:
            await asyncio.gather(*self._in_flight, return_exceptions=True)


class Tick:
    """The one periodic job: runs every registered piece of due work in turn."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.jobs: list[tuple[str, TickJob]] = []

    def register(self, name: str, job: TickJob) -> None:
        self.jobs.append((name, job))

    async def run(self) -> None:
        now = self.clock.now()
        for name, job in self.jobs:
            try:
                await job(now)
            except Exception:  # one failing job must not starve the others
                log.exception("tick job %s failed", name)
