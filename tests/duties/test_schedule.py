"""The typed schedule: parsed into an RRULE, refused clearly, said back in Russian."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.duties.errors import DutyError
from bot.services.duties.schedule import Kind, describe, occurrence_label, parse
from bot.texts import t

NOW = datetime(2026, 12, 3, 8, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("kind", "typed", "words"),
    [
        (Kind.MONTHLY, "20-го в 10:00", "каждый месяц, 20-го, в 10:00"),
        (Kind.MONTHLY, "5 9.30", "каждый месяц, 5-го, в 09:30"),
        (Kind.MONTHLY, "Последний день в 18:00", "каждый месяц, в последний день, в 18:00"),
        (Kind.WEEKLY, "понедельник в 09:00", "каждый понедельник в 09:00"),
        (Kind.WEEKLY, "каждую среду в 9:00", "каждую среду в 09:00"),
        (Kind.WEEKLY, "по пятницам 17:30", "каждую пятницу в 17:30"),
        (Kind.WEEKLY, "вс 12:00", "каждое воскресенье в 12:00"),
        (Kind.ONCE, "25.12 в 10:00", "однократно 25 декабря 2026 в 10:00"),
        (Kind.ONCE, "01.02 10:00", "однократно 1 февраля 2027 в 10:00"),  # next year's
        (Kind.ONCE, "03.12.2026 в 12:00", "однократно 3 декабря 2026 в 12:00"),
    ],
)
def test_typed_schedules_are_read_and_said_back(kind, typed, words):
    assert describe(parse(kind, typed, NOW, "Europe/Moscow")) == words


@pytest.mark.parametrize(
    ("kind", "typed", "code"),
    [
        (Kind.MONTHLY, "двадцатого", "bad_monthly"),
        (Kind.MONTHLY, "31-го в 10:00", "day_too_late"),
        (Kind.MONTHLY, "0 в 10:00", "bad_date"),
        (Kind.MONTHLY, "20-го в 25:00", "bad_time"),
        (Kind.WEEKLY, "в 09:00", "bad_weekly"),
        (Kind.WEEKLY, "праздник в 09:00", "bad_weekly"),
        (Kind.ONCE, "завтра", "bad_once"),
        (Kind.ONCE, "31.02 в 10:00", "bad_date"),
        (Kind.ONCE, "01.12.2026 в 10:00", "date_passed"),
    ],
)
def test_what_cannot_be_read_is_refused_with_a_reason(kind, typed, code):
    with pytest.raises(DutyError) as refused:
        parse(kind, typed, NOW, "Europe/Moscow")
    assert refused.value.code == code
    assert t(f"duties.error.{code}")


def test_occurrences_are_named_by_month_or_by_day():
    assert occurrence_label(Kind.MONTHLY, "2026-11-20T10:00") == "ноябрь 2026"
    assert occurrence_label(Kind.WEEKLY, "2026-11-30T09:00") == "30.11.2026"
