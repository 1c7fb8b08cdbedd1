"""A duty's schedule: the typed part parsed into an RRULE, and the rule said back in
Russian words.

The admin picks the kind with a button and types the rest:

- monthly: «20-го в 10:00», «20 10:00», «последний день в 18:00» → ``FREQ=MONTHLY;
  BYMONTHDAY=20;BYHOUR=10;BYMINUTE=0`` (days 29–31 are refused: not every month has them;
  «последний день» is ``BYMONTHDAY=-1``);
- weekly: «понедельник в 09:00», «пн 9:00» → ``FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0``;
- once: «25.12 в 10:00» or «25.12.2026 10:00» → the next such day (this year or next) as
  ``FREQ=DAILY;…`` bound by ``UNTIL`` that day, so the rule has no later one.

Refusals are `DutyError` codes, whose texts are `duties.error.<code>`.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from enum import StrEnum

from bot.clock import local
from bot.services.duties.errors import DutyError


class Kind(StrEnum):
    MONTHLY = "monthly"
    WEEKLY = "weekly"
    ONCE = "once"


WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
# What may be typed for each weekday: full names in any case, and the short ones.
_DAY_NAMES = {
    "понедельник": 0, "пн": 0,
    "вторник": 1, "вт": 1,
    "среда": 2, "среду": 2, "ср": 2,
    "четверг": 3, "чт": 3,
    "пятница": 4, "пятницу": 4, "пт": 4,
    "суббота": 5, "субботу": 5, "сб": 5,
    "воскресенье": 6, "вс": 6,
    # «по понедельникам», «по средам», «по пятницам» with «ам» taken off
    "сред": 2, "пятниц": 4, "суббот": 5, "воскресень": 6,
}  # fmt: skip
# «каждый понедельник», «каждую среду», «каждое воскресенье»
_EVERY = ("каждый понедельник", "каждый вторник", "каждую среду", "каждый четверг",
          "каждую пятницу", "каждую субботу", "каждое воскресенье")  # fmt: skip
_MONTHS_GENITIVE = ("января", "февраля", "марта", "апреля", "мая", "июня", "июля",
                    "августа", "сентября", "октября", "ноября", "декабря")  # fmt: skip

_TIME = r"(?:,?\s*в)?\s*(\d{1,2})[:.](\d{2})"


def _time(hours: str, minutes: str) -> tuple[int, int]:
    hour, minute = int(hours), int(minutes)
    if hour > 23 or minute > 59:
        raise DutyError("bad_time")
    return hour, minute


def _clean(typed: str) -> str:
    return " ".join(typed.strip().lower().replace("ё", "е").split())


def parse(kind: Kind, typed: str, now: datetime, zone: str) -> str:
    """The RRULE of what was typed for `kind`; `now` and `zone` (the admin's) choose the
    year of a one-off date. Errors: `bad_monthly`, `bad_weekly`, `bad_once`, `bad_time`,
    `day_too_late` (29–31), `bad_date`, `date_passed`."""
    text = _clean(typed)
    if kind == Kind.MONTHLY:
        found = re.fullmatch(r"(\d{1,2})(?:-?го|-?е)?" + _TIME, text)
        if found:
            day = int(found[1])
            if not 1 <= day <= 31:
                raise DutyError("bad_date")
            if day > 28:
                raise DutyError("day_too_late")
        else:
            found = re.fullmatch(r"последн(?:ий|ее|его)(?:\s+(?:день|число))?" + _TIME, text)
            if not found:
                raise DutyError("bad_monthly")
            day = -1
        last = found.lastindex or 0
        hour, minute = _time(found[last - 1], found[last])
        return f"FREQ=MONTHLY;BYMONTHDAY={day};BYHOUR={hour};BYMINUTE={minute}"
    if kind == Kind.WEEKLY:
        found = re.fullmatch(r"(?:кажд\w+\s+)?(?:по\s+)?([а-я]+)" + _TIME, text)
        if not found:
            raise DutyError("bad_weekly")
        name = found[1]
        if name.endswith("ам"):  # «по понедельникам»
            name = name[:-2]
        weekday = _DAY_NAMES.get(name)
        if weekday is None:
            raise DutyError("bad_weekly")
        hour, minute = _time(found[2], found[3])
        return f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]};BYHOUR={hour};BYMINUTE={minute}"
    found = re.fullmatch(r"(\d{1,2})\.(\d{1,2})(?:\.(\d{4}))?" + _TIME, text)
    if not found:
        raise DutyError("bad_once")
    hour, minute = _time(found[4], found[5])
    today = local(now, zone)
    year = int(found[3]) if found[3] else today.year
    try:
        on = date(year, int(found[2]), int(found[1]))
    except ValueError:
        raise DutyError("bad_date") from None
    moment = datetime(on.year, on.month, on.day, hour, minute)
    if moment <= today.replace(tzinfo=None):
        if found[3]:
            raise DutyError("date_passed")
        try:
            on = date(year + 1, on.month, on.day)
        except ValueError:
            raise DutyError("bad_date") from None
    return (
        f"FREQ=DAILY;BYMONTH={on.month};BYMONTHDAY={on.day};BYHOUR={hour};"
        f"BYMINUTE={minute};UNTIL={on:%Y%m%d}T235959"
    )


def _fields(rule: str) -> dict[str, str]:
    return dict(part.split("=", 1) for part in rule.split(";"))


def kind_of(rule: str) -> Kind:
    freq = _fields(rule)["FREQ"]
    return {"MONTHLY": Kind.MONTHLY, "WEEKLY": Kind.WEEKLY}.get(freq, Kind.ONCE)


def describe(rule: str) -> str:
    """«каждый месяц, 20-го, в 10:00», «каждый понедельник в 09:00»,
    «однократно 25 декабря 2026 в 10:00»."""
    fields = _fields(rule)
    at = f"{int(fields['BYHOUR']):02d}:{int(fields['BYMINUTE']):02d}"
    if fields["FREQ"] == "MONTHLY":
        day = int(fields["BYMONTHDAY"])
        which = "в последний день" if day == -1 else f"{day}-го"
        return f"каждый месяц, {which}, в {at}"
    if fields["FREQ"] == "WEEKLY":
        return f"{_EVERY[WEEKDAYS.index(fields['BYDAY'])]} в {at}"
    until = fields["UNTIL"]
    month = _MONTHS_GENITIVE[int(until[4:6]) - 1]
    return f"однократно {int(until[6:8])} {month} {until[:4]} в {at}"


def occurrence_label(kind: Kind | str, wall: str) -> str:
    """What an occurrence is called in the report: «за ноябрь 2026» for a monthly duty,
    «за 23.11.2026» otherwise. `wall` is «YYYY-MM-DDTHH:MM»."""
    day = date.fromisoformat(wall[:10])
    if kind == Kind.MONTHLY:
        return f"{_MONTHS_NOMINATIVE[day.month - 1]} {day.year}"
    return f"{day:%d.%m.%Y}"


_MONTHS_NOMINATIVE = ("январь", "февраль", "март", "апрель", "май", "июнь", "июль",
                      "август", "сентябрь", "октябрь", "ноябрь", "декабрь")  # fmt: skip
