"""Recurring due work: the next occurrence of an RFC 5545 rule in a person's own zone.

The rule is read by python-dateutil's `rrule` over local wall-clock time, so «09:00 every
working morning» is 09:00 in Novosibirsk for a Novosibirsk secretary and 09:00 in Moscow
for a Moscow one, and «the 31st» or «the last day» (`BYMONTHDAY=-1`) of a month follow the
calendar, not a fixed number of days. Only the result is turned into UTC, for the table.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from dateutil.rrule import rrule, rrulestr
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc

# (session, subject, recipient) -> an IANA zone name, looked up when the next one is planned
TimezoneLookup = Callable[[AsyncSession, str, int | None], Awaitable[str]]


@dataclass(frozen=True, slots=True)
class Recurrence:
    """`rule` is an RRULE without DTSTART, e.g.

    - ``FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR;BYHOUR=9;BYMINUTE=0`` — 09:00 every weekday,
    - ``FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0`` — Mondays at 09:00,
    - ``FREQ=MONTHLY;BYMONTHDAY=20;BYHOUR=10;BYMINUTE=0`` — the 20th at 10:00,
    - ``FREQ=MONTHLY;BYMONTHDAY=-1;BYHOUR=18;BYMINUTE=0`` — the last day at 18:00.

    `timezone` is a zone name or a lookup (the recipient's region, a branch's zone).
    """

    rule: str
    timezone: str | TimezoneLookup

    def __post_init__(self) -> None:
        _parse(self.rule, datetime(2000, 1, 1))  # a bad rule fails at registration

    async def zone(self, session: AsyncSession, subject: str, recipient: int | None) -> str:
        if isinstance(self.timezone, str):
            return self.timezone
        return await self.timezone(session, subject, recipient)

    def next_after(self, moment: datetime, timezone: str) -> datetime:
        """The first occurrence strictly after `moment`, in UTC."""
        zone = ZoneInfo(timezone)
        wall = as_utc(moment).astimezone(zone).replace(tzinfo=None)
        # Seconds not named by the rule come from DTSTART: start the count at a whole minute.
        rule = _parse(self.rule, wall.replace(second=0, microsecond=0))
        found = rule.after(wall)
        if found is None:
            raise ValueError(f"rule {self.rule!r} has no occurrence after {moment}")
        return found.replace(tzinfo=zone).astimezone(ZoneInfo("UTC"))


def _parse(rule: str, dtstart: datetime) -> rrule:
    parsed = rrulestr(rule, dtstart=dtstart)
    if not isinstance(parsed, rrule):
        raise ValueError(f"one RRULE expected, got {rule!r}")
    return parsed
