from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

_EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


class FrozenClock:
    """A clock that moves only when a test moves it, or when someone sleeps on it.

    `sleep` lets whatever is ready run first, at the time it was ready, then moves the
    clock on by the time slept: a wait on this clock takes no real time, and the event
    loop's own clock (which real I/O and its timeouts use) is left alone. Sleepers are
    meant to take turns (the outbox's pacer serialises them); two sleeping at once would
    each move the clock by their own wait.
    """

    def __init__(self, moment: datetime | None = None) -> None:
        # A Monday morning in Moscow, no holiday near.
        self.moment = moment or datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def monotonic(self) -> float:
        return (self.moment - _EPOCH).total_seconds()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(0)
        if seconds > 0:
            self.moment += timedelta(seconds=seconds)

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment
