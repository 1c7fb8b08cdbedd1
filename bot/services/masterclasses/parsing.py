"""Reading what an organiser types: a start moment, a duration, a capacity, a link.

Each reader takes the text as typed and returns a value or raises `MasterclassError` with
a code whose text gives an example (`masterclasses.errors.<code>`), so the question can be
asked again at once.

Dates are read as people write them in Russian: day first (`25.12 18:30`,
`25.12.2026 18:30`, `25.12.26 18:30`, `25/12 18:30`) or a word (`сегодня 9:00`,
`завтра 18:30`, `послезавтра 10:00`), with «в» allowed before the time. A date without a
year is the nearest such day: «05.01» typed in December is next January, but «01.12»
typed on 2 December is yesterday (and refused as past), not a day eleven months away.
`datetime.date` validates the calendar (31.02 is refused), the wall-clock time is read in
the organiser's zone, python-dateutil resolves a time a clock change skips, zoneinfo turns
it into UTC. (dateutil's own parser reads «25.12» as 25 January 2012, so the shape is
matched here instead.)
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil import tz

from bot.clock import as_utc
from bot.services.masterclasses.errors import MasterclassError

# How far ahead a masterclass may be planned; a typo in the year is refused, not kept.
MAX_AHEAD = timedelta(days=366)
MIN_DURATION, MAX_DURATION = 5, 12 * 60  # minutes
MAX_CAPACITY = 100_000
MAX_LINK = 1000
# A yearless day further back than this is read as next year's.
_NEXT_YEAR_AFTER = timedelta(days=183)

_RELATIVE_DAYS = {"сегодня": 0, "завтра": 1, "послезавтра": 2}
_MOMENT = re.compile(
    r"""^\s*
    (?P<day>сегодня|завтра|послезавтра|\d{1,2}[./-]\d{1,2}(?:[./-]\d{2}(?:\d{2})?)?)
    \s*,?\s*(?:в\s+)?
    (?P<hour>\d{1,2})[:.](?P<minute>\d{2})
    \s*$""",
    re.IGNORECASE | re.VERBOSE,
)


def parse_moment(text: str, timezone: str, now: datetime) -> datetime:
    """A moment typed in `timezone`, as UTC; any moment, past or not (`parse_start` checks).

    Errors: `start_unreadable` when it is not a date and a time as above, `start_no_such_day`
    for a day the calendar lacks (31.02), `time_invalid` for 25:00."""
    match = _MOMENT.match(_normalised(text))
    if match is None:
        raise MasterclassError("start_unreadable")
    zone = ZoneInfo(timezone)
    today = as_utc(now).astimezone(zone).date()
    hour, minute = int(match["hour"]), int(match["minute"])
    if hour > 23 or minute > 59:
        raise MasterclassError("time_invalid")
    day_text = match["day"].lower()
    if day_text in _RELATIVE_DAYS:
        day = today + timedelta(days=_RELATIVE_DAYS[day_text])
    else:
        numbers = [int(part) for part in re.split(r"[./-]", day_text)]
        day_of_month, month = numbers[0], numbers[1]
        year = numbers[2] if len(numbers) == 3 else today.year
        if year < 100:
            year += 2000
        try:
            day = date(year, month, day_of_month)
        except ValueError:
            if len(numbers) == 3 or (day_of_month, month) != (29, 2):
                raise MasterclassError("start_no_such_day") from None
            day = _next_leap_day(today)  # 29.02 without a year, in a common year
        if len(numbers) == 2 and today - day > _NEXT_YEAR_AFTER:
            day = _same_day_next_year(day)
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone)
    return as_utc(tz.resolve_imaginary(wall))


def _next_leap_day(today: date) -> date:
    """The first 29 February not before today."""
    year = today.year
    while not calendar.isleap(year) or date(year, 2, 29) < today:
        year += 1
    return date(year, 2, 29)


def _same_day_next_year(day: date) -> date:
    if (day.month, day.day) == (2, 29):
        return _next_leap_day(day + timedelta(days=1))
    return day.replace(year=day.year + 1)


def parse_start(text: str, timezone: str, now: datetime) -> datetime:
    """The start of a masterclass: `parse_moment`, and ahead of now by less than a year.

    Errors: as `parse_moment`, and `start_in_past`, `start_too_far`."""
    moment = parse_moment(text, timezone, now)
    if moment <= now:
        raise MasterclassError("start_in_past")
    if moment - now > MAX_AHEAD:
        raise MasterclassError("start_too_far")
    return moment


def parse_deadline(text: str, timezone: str, now: datetime, starts_at: datetime) -> datetime:
    """The end of registration: typed like a start, ahead of now and not after the start.

    Errors: as `parse_moment`, and `deadline_in_past`, `deadline_after_start`."""
    moment = parse_moment(text, timezone, now)
    if moment <= now:
        raise MasterclassError("deadline_in_past")
    if moment > starts_at:
        raise MasterclassError("deadline_after_start")
    return moment


_DURATION_CLOCK = re.compile(r"^(\d{1,2}):(\d{2})$")
_DURATION_PARTS = re.compile(
    r"""^(?:(?P<hours>\d{1,2}(?:[.,]\d{1,2})?)\s*(?:ч|час|часа|часов)\.?)?
    \s*(?:(?P<minutes>\d{1,3})\s*(?:м|мин|минута|минуты|минут)\.?)?$""",
    re.VERBOSE,
)


def parse_duration(text: str) -> int:
    """Minutes, from `1:30`, `90 мин`, `2 ч`, `1,5 ч`, `1 ч 30 мин` or a bare `90` (minutes).

    Errors: `duration_unreadable`, `duration_out_of_range` (5 minutes to 12 hours)."""
    value = _normalised(text).lower()
    minutes: float
    if (clock := _DURATION_CLOCK.match(value)) is not None:
        if int(clock[2]) > 59:
            raise MasterclassError("duration_unreadable")
        minutes = int(clock[1]) * 60 + int(clock[2])
    elif value.isdigit():
        minutes = int(value)
    elif value and (parts := _DURATION_PARTS.match(value)) is not None and any(parts.groups()):
        hours = float((parts["hours"] or "0").replace(",", "."))
        minutes = hours * 60 + int(parts["minutes"] or 0)
    else:
        raise MasterclassError("duration_unreadable")
    if minutes != int(minutes) or not MIN_DURATION <= minutes <= MAX_DURATION:
        raise MasterclassError("duration_out_of_range")
    return int(minutes)


_UNLIMITED = {
    "без ограничений",
    "без ограничения",
    "не ограничено",
    "неограниченно",
    "без лимита",
    "нет",
    "∞",
}


def parse_capacity(text: str) -> int | None:
    """Seats: a whole number, or None for «без ограничений» (and the like).

    Errors: `capacity_unreadable`, `capacity_out_of_range` (1 to 100 000)."""
    value = _normalised(text).lower().rstrip(".!")
    if value in _UNLIMITED:
        return None
    digits = value.replace(" ", "").replace("\u00a0", "")
    if not digits.isdigit():
        raise MasterclassError("capacity_unreadable")
    seats = int(digits)
    if not 1 <= seats <= MAX_CAPACITY:
        raise MasterclassError("capacity_out_of_range", max=MAX_CAPACITY)
    return seats


def parse_link(text: str) -> str:
    """An online link: http or https, with a host name that has a dot (or an IP).

    Errors: `link_invalid`, `link_too_long`."""
    value = text.strip()
    if len(value) > MAX_LINK:
        raise MasterclassError("link_too_long", max=MAX_LINK)
    if not value or any(c.isspace() for c in value):
        raise MasterclassError("link_invalid")
    try:
        parts = urlsplit(value)
        host = parts.hostname
        parts.port  # noqa: B018 — a port that is not a number raises here
    except ValueError as error:
        raise MasterclassError("link_invalid") from error
    if parts.scheme.lower() not in ("http", "https") or not host or "." not in host:
        raise MasterclassError("link_invalid")
    return value


def _normalised(text: str) -> str:
    """One space between words, no spaces at the ends; Telegram may send no-break spaces."""
    return " ".join(text.replace("\u00a0", " ").split())
