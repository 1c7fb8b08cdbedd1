from __future__ import annotations

from datetime import UTC, datetime, timedelta


class FrozenClock:
    """A clock that moves only when a test moves it."""

    def __init__(self, moment: datetime | None = None) -> None:
        # A Monday morning in Moscow, no holiday near.
        self.moment = moment or datetime(2026, 11, 23, 7, 0, tzinfo=UTC)

    def now(self) -> datetime:
        return self.moment

    def advance(self, **delta: float) -> datetime:
        self.moment += timedelta(**delta)
        return self.moment

    def set(self, moment: datetime) -> None:
        self.moment = moment
