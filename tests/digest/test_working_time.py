"""Working hours to a first answer and working days overdue, on the Russian calendar."""

from __future__ import annotations

import pytest

from bot.services.working_days import working_days_overdue, working_hours_between
from tests.digest.helpers import utc

MOSCOW = "Europe/Moscow"


def test_weekend_and_holiday_hours_do_not_count():
    # Friday 18:00 MSK to Monday 08:00 MSK: 6 + 8 hours.
    assert working_hours_between(utc(11, 20, 15), utc(11, 23, 5), MOSCOW) == pytest.approx(14)
    # Tuesday 03.11 12:00 to Thursday 05.11 12:00 MSK: 04.11 is a holiday.
    assert working_hours_between(utc(11, 3, 9), utc(11, 5, 9), MOSCOW) == pytest.approx(24)
    assert working_hours_between(utc(11, 5, 9), utc(11, 3, 9), MOSCOW) == 0


def test_days_overdue_count_working_days_from_the_deadline_including_today():
    due = utc(11, 13, 21)  # 14.11 00:00 MSK, a Saturday
    assert working_days_overdue(due, utc(11, 13, 20), MOSCOW) == 0
    assert working_days_overdue(due, utc(11, 15, 12), MOSCOW) == 0  # the weekend
    assert working_days_overdue(due, utc(11, 16, 6), MOSCOW) == 1
    assert working_days_overdue(due, utc(11, 23, 6), MOSCOW) == 6
    # Novosibirsk's deadline in its own days: 14.11 00:00 there is 13.11 17:00 UTC.
    assert working_days_overdue(utc(11, 13, 17), utc(11, 16, 1), "Asia/Novosibirsk") == 1
