"""Mandate deadlines in Russian working days: weekends, public holidays, moved days off and
working Saturdays, counted in the branch's time zone and stored in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from bot.services.working_days import add_working_days, is_working_day, last_day_to_answer

MSK = "Europe/Moscow"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2026, 11, 23), True),  # Monday
        (date(2026, 11, 28), False),  # Saturday
        (date(2026, 11, 4), False),  # Unity Day
        (date(2026, 12, 31), False),  # a day off moved from 3 January
        (date(2027, 1, 8), False),  # Friday, the last New Year holiday
        (date(2027, 1, 11), True),  # the first working day of 2027
        (date(2026, 1, 9), False),  # Friday made a day off
        (date(2027, 2, 20), True),  # a Saturday made a working day in exchange for 22 Feb
        (date(2027, 2, 22), False),
    ],
)
async def test_production_calendar(day: date, working: bool) -> None:
    assert is_working_day(day) is working


@pytest.mark.parametrize(
    ("created", "due", "last_day", "why"),
    [
        # Monday 10:00 MSK: Tue, Wed, Thu → due at the end of Thursday.
        (utc(2026, 11, 23, 7), utc(2026, 11, 26, 21), date(2026, 11, 26), "midweek"),
        # Friday: the weekend is skipped — Mon, Tue, Wed.
        (utc(2026, 11, 27, 12), utc(2026, 12, 2, 21), date(2026, 12, 2), "over a weekend"),
        # Saturday: counting starts on Monday.
        (utc(2026, 11, 28, 9), utc(2026, 12, 2, 21), date(2026, 12, 2), "sent on Saturday"),
        # Tuesday before Unity Day (Wed 4 Nov): Thu, Fri, Mon.
        (utc(2026, 11, 3, 9), utc(2026, 11, 9, 21), date(2026, 11, 9), "over a holiday"),
        # Wednesday 30 Dec: 31 Dec is a moved day off, 1–8 Jan are holidays, 9–10 Jan a
        # weekend, so Mon 11, Tue 12, Wed 13 Jan.
        (utc(2026, 12, 30, 8), utc(2027, 1, 13, 21), date(2027, 1, 13), "New Year"),
        # Tuesday 29 Dec: Wed 30 Dec, then 11 and 12 Jan.
        (utc(2026, 12, 29, 8), utc(2027, 1, 12, 21), date(2027, 1, 12), "into New Year"),
        # Thursday 18 Feb 2027: Fri 19, the working Saturday 20, then 22–23 off → Wed 24.
        (utc(2027, 2, 18, 8), utc(2027, 2, 24, 21), date(2027, 2, 24), "working Saturday"),
    ],
)
async def test_deadline_in_working_days(
    created: datetime, due: datetime, last_day: date, why: str
) -> None:
    assert add_working_days(created, 3, MSK) == due, why
    assert last_day_to_answer(due, MSK) == last_day


async def test_the_day_is_the_branchs_local_day() -> None:
    # 18:00 UTC on Monday is still Monday in Moscow but already Tuesday in Novosibirsk.
    created = utc(2026, 11, 23, 18)
    assert add_working_days(created, 3, MSK) == utc(2026, 11, 26, 21)  # Thu 24:00 MSK
    assert add_working_days(created, 3, "Asia/Novosibirsk") == utc(2026, 11, 27, 17)  # Fri
    assert add_working_days(created, 3, "Asia/Novosibirsk").tzinfo == UTC


async def test_one_working_day_and_a_refused_zero() -> None:
    assert add_working_days(utc(2026, 11, 27, 12), 1, MSK) == utc(2026, 11, 30, 21)
    with pytest.raises(ValueError, match="at least one"):
        add_working_days(utc(2026, 11, 27, 12), 0, MSK)
