"""Working days by the Russian production calendar, for mandate deadlines.

The `holidays` library's RU calendar knows the public holidays, the days off moved by
government decree (e.g. 2026-01-09, 2026-12-31) and the Saturdays made working days in
exchange (e.g. 2027-02-20): `HolidayBase.is_working_day` accounts for all three.

A deadline of N working days follows the Civil Code's counting (art. 191, 193, 194): it
starts the day after the event, counts only working days, and ends at 24:00 of the last
one, in the local time of the branch. So a mandate sent on Friday with N=3 is due by the
end of Wednesday, and one sent at 23:50 on Monday has all of Tuesday–Thursday.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays

# Deadlines are counted in whole working days; a year of slack is ample for any setting.
_MAX_SCAN_DAYS = 400


@cache
def _calendar() -> holidays.HolidayBase:
    # One shared calendar; it adds a year's holidays the first time a date in it is asked.
    return holidays.country_holidays("RU")


def is_working_day(day: date) -> bool:
    """A working day in Russia: not a weekend, a public holiday or a moved day off."""
    return bool(_calendar().is_working_day(day))


def add_working_days(start: datetime, days: int, timezone: str) -> datetime:
    """The UTC moment N working days after `start`: 24:00 local time of the N-th working day
    following `start`'s local date (the start of the next day, as an exclusive bound)."""
    if days < 1:
        raise ValueError("a deadline needs at least one working day")
    zone = ZoneInfo(timezone)
    day = start.astimezone(zone).date()
    counted = 0
    for _ in range(_MAX_SCAN_DAYS):
        day += timedelta(days=1)
        if is_working_day(day):
            counted += 1
            if counted == days:
                end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
                return end.astimezone(UTC)
    raise ValueError(f"no {days} working days within {_MAX_SCAN_DAYS} days of {start}")


def last_day_to_answer(due_at: datetime, timezone: str) -> date:
    """The last local day of a deadline computed by `add_working_days`, to show people
    («ответить до 02.12 включительно»)."""
    return (due_at.astimezone(ZoneInfo(timezone)) - timedelta(microseconds=1)).date()


def working_hours_between(start: datetime, end: datetime, timezone: str) -> float:
    """Hours from `start` to `end` that fall on working days in local time: a mandate sent
    on Friday evening and answered on Monday morning waited the Friday evening's and the
    Monday morning's hours, not the weekend's (the digest's time to a first answer)."""
    if end <= start:
        return 0.0
    zone = ZoneInfo(timezone)
    here, until = start.astimezone(zone), end.astimezone(zone)
    total = timedelta(0)
    day = here.date()
    while day <= until.date():
        day_start = datetime.combine(day, time(0), tzinfo=zone)
        day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
        if is_working_day(day):
            total += min(until, day_end) - max(here, day_start)
        day += timedelta(days=1)
    return total.total_seconds() / 3600


def working_days_overdue(due_at: datetime, now: datetime, timezone: str) -> int:
    """The working days a deadline (from `add_working_days`: 24:00 of its last day) has
    been missed by at `now`, counting today: 1 on the first working day after the last one,
    0 before the deadline."""
    if now < due_at:
        return 0
    zone = ZoneInfo(timezone)
    day, today = due_at.astimezone(zone).date(), now.astimezone(zone).date()
    days = 0
    while day <= today:
        days += is_working_day(day)
        day += timedelta(days=1)
    return days
