"""A small scheduling interface of our own over APScheduler.

Due work lives in tables (reminders, deadlines, the outbox), not in APScheduler's memory:
one periodic tick asks each registered job to do what is due by now. A job is idempotent,
so a tick that dies half-way is simply repeated by the next one.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from bot.clock import Clock

log = logging.getLogger(__name__)
TickJob = Callable[[datetime], Awaitable[None]]


class Scheduler(Protocol):
    def every(self, seconds: int, job_id: str, job: Callable[[], Awaitable[None]]) -> None: ...
    def start(self) -> None: ...
    def shutdown(self) -> None: ...


class ApschedulerScheduler:
    def __init__(self) -> None:
        self._aps = AsyncIOScheduler(timezone="UTC")

    def every(self, seconds: int, job_id: str, job: Callable[[], Awaitable[None]]) -> None:
        self._aps.add_job(
            job,
            "interval",
            seconds=seconds,
            id=job_id,
            replace_existing=True,
            max_instances=1,  # a slow tick is not overlapped by the next one
            coalesce=True,
        )

    def start(self) -> None:
        self._aps.start()

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=False)


class Tick:
    """The one periodic job: runs every registered piece of due work in turn."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.jobs: list[tuple[str, TickJob]] = []

    def register(self, name: str, job: TickJob) -> None:
        self.jobs.append((name, job))

    async def __call__(self) -> None:
        now = self.clock.now()
        for name, job in self.jobs:
            try:
                await job(now)
            except Exception:  # one failing job must not starve the others
                log.exception("tick job %s failed", name)
