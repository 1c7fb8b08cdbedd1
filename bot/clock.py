"""Time is injected wherever a rule depends on it, so tests never sleep.

A `Clock` gives the wall time rules are about (`now`), and the time that paces and waits
(`monotonic`, `sleep`). Nothing that waits takes its time from the event loop: a test
fakes the clock, never the loop, so real I/O (a database, a server, a child process)
always runs on real loop time with its real timeouts.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware, in UTC."""

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back, for pacing and measuring waits."""

    async def sleep(self, seconds: float) -> None:
        """Wait this long on this clock."""


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


class ShiftedClock(SystemClock):
    """The system clock moved to start at `start`, running at real speed from then on.

    For walks and rehearsals (`CLOCK_START`): the bot is started just before a morning
    message, an escalation or a Monday digest is due and lives through it in real time,
    talking to a real (or fake) Bot API, with nothing in the code told about it.
    """

    def __init__(self, start: datetime) -> None:
        self._start = as_utc(start)
        self._started = time.monotonic()

    def now(self) -> datetime:
        return self._start + timedelta(seconds=time.monotonic() - self._started)


def as_utc(moment: datetime) -> datetime:
    """SQLite returns naive datetimes; everything we store is UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local(moment: datetime, timezone: str) -> datetime:
    return as_utc(moment).astimezone(ZoneInfo(timezone))
