"""Reading what an organiser types: dates as people write them, durations, seats, links."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.parsing import (
    parse_capacity,
    parse_deadline,
    parse_duration,
    parse_link,
    parse_moment,
    parse_start,
)
from bot.texts import has

MOSCOW, NOVOSIBIRSK = "Europe/Moscow", "Asia/Novosibirsk"
# Monday 23 November 2026, 10:00 in Moscow, 14:00 in Novosibirsk.
NOW = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.mark.parametrize(
    ("typed", "zone", "expected"),
    [
        ("25.12 18:30", MOSCOW, utc(2026, 12, 25, 15, 30)),
        ("25.12.2026 18:30", MOSCOW, utc(2026, 12, 25, 15, 30)),
        ("25.12.26 18:30", MOSCOW, utc(2026, 12, 25, 15, 30)),
        ("25/12 18.30", MOSCOW, utc(2026, 12, 25, 15, 30)),
        ("  25.12   в 18:30 ", MOSCOW, utc(2026, 12, 25, 15, 30)),
        ("25.12 18:30", NOVOSIBIRSK, utc(2026, 12, 25, 11, 30)),
        ("завтра 18:30", MOSCOW, utc(2026, 11, 24, 15, 30)),
        ("Завтра в 9:05", NOVOSIBIRSK, utc(2026, 11, 24, 2, 5)),
        ("сегодня 19:00", MOSCOW, utc(2026, 11, 23, 16, 0)),
        ("послезавтра 10:00", MOSCOW, utc(2026, 11, 25, 7, 0)),
        # No year, and this year's day is long past: next year's.
        ("05.01 12:00", MOSCOW, utc(2027, 1, 5, 9, 0)),
        ("22.05 12:00", MOSCOW, utc(2027, 5, 22, 9, 0)),
        ("1.2.2027 8:00", MOSCOW, utc(2027, 2, 1, 5, 0)),
    ],
)
def test_a_start_is_read_as_typed_in_the_organisers_zone(typed, zone, expected):
    assert parse_start(typed, zone, NOW) == expected


def test_today_is_the_organisers_today_not_utcs():
    # 20:30 UTC on the 23rd: 23:30 in Moscow, already 03:30 on the 24th in Novosibirsk.
    late = utc(2026, 11, 23, 20, 30)
    assert parse_moment("сегодня 12:00", NOVOSIBIRSK, late) == utc(2026, 11, 24, 5, 0)
    assert parse_moment("сегодня 12:00", MOSCOW, late) == utc(2026, 11, 23, 9, 0)


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "start_unreadable"),
        ("завтра", "start_unreadable"),
        ("18:30", "start_unreadable"),
        ("в пятницу 18:30", "start_unreadable"),
        ("25.12", "start_unreadable"),
        ("25.12 18:30 и ещё", "start_unreadable"),
        ("31.02 18:30", "start_no_such_day"),
        ("25.13 18:30", "start_no_such_day"),
        ("25.12 24:00", "time_invalid"),
        ("25.12 18:60", "time_invalid"),
        ("сегодня 9:00", "start_in_past"),  # it is 10:00 in Moscow
        ("23.11.2026 09:59", "start_in_past"),
        ("20.11 18:30", "start_in_past"),  # three days ago, not next November
        ("01.01.2030 10:00", "start_too_far"),
    ],
)
def test_a_bad_or_past_start_is_refused_with_a_code_that_has_a_text(typed, code):
    with pytest.raises(MasterclassError) as refused:
        parse_start(typed, MOSCOW, NOW)
    assert refused.value.code == code
    assert refused.value.text_key == f"masterclasses.errors.{code}"
    assert has(refused.value.text_key)


def test_a_deadline_lies_between_now_and_the_start():
    start = utc(2026, 12, 25, 15, 30)
    assert parse_deadline("24.12 12:00", MOSCOW, NOW, start) == utc(2026, 12, 24, 9, 0)
    assert parse_deadline("25.12 18:30", MOSCOW, NOW, start) == start
    for typed, code in [
        ("25.12 18:31", "deadline_after_start"),
        ("сегодня 9:00", "deadline_in_past"),
    ]:
        with pytest.raises(MasterclassError) as refused:
            parse_deadline(typed, MOSCOW, NOW, start)
        assert refused.value.code == code


@pytest.mark.parametrize(
    ("typed", "minutes"),
    [
        ("1:30", 90),
        ("0:45", 45),
        ("90", 90),
        ("90 мин", 90),
        ("90 минут", 90),
        ("2 ч", 120),
        ("2 часа", 120),
        ("1,5 ч", 90),
        ("1.5 часа", 90),
        ("1 ч 30 мин", 90),
        ("1ч30м", 90),
        ("12 ч", 720),
    ],
)
def test_a_duration_is_read_in_the_ways_people_write_it(typed, minutes):
    assert parse_duration(typed) == minutes


@pytest.mark.parametrize(
    ("typed", "code"),
    [
        ("", "duration_unreadable"),
        ("полтора часа", "duration_unreadable"),
        ("1:75", "duration_unreadable"),
        ("ч", "duration_unreadable"),
        ("0", "duration_out_of_range"),
        ("4 мин", "duration_out_of_range"),
        ("13 ч", "duration_out_of_range"),
        ("0,05 ч", "duration_out_of_range"),
    ],
)
def test_a_bad_duration_is_refused(typed, code):
    with pytest.raises(MasterclassError) as refused:
        parse_duration(typed)
    assert refused.value.code == code
    assert has(refused.value.text_key)


def test_capacity_is_a_number_or_no_limit():
    assert parse_capacity("30") == 30
    assert parse_capacity(" 1 000 ") == 1000
    assert parse_capacity("Без ограничений") is None
    assert parse_capacity("нет") is None
    for typed, code in [
        ("тридцать", "capacity_unreadable"),
        ("-5", "capacity_unreadable"),
        ("2.5", "capacity_unreadable"),
        ("0", "capacity_out_of_range"),
        ("1000000", "capacity_out_of_range"),
    ]:
        with pytest.raises(MasterclassError) as refused:
            parse_capacity(typed)
        assert refused.value.code == code, typed
        assert has(refused.value.text_key)


@pytest.mark.parametrize(
    "link",
    ["https://meet.example.org/abc?x=1", "http://zoom.us/j/123", "HTTPS://Example.ORG"],
)
def test_an_http_link_is_accepted(link):
    assert parse_link(f"  {link} ") == link


@pytest.mark.parametrize(
    "link",
    [
        "",
        "meet.example.org/abc",
        "ftp://example.org/file",
        "javascript:alert(1)",
        "https://",
        "https://localhost/x",
        "https://exa mple.org",
        "https://example.org:port/",
        "mailto:someone@example.org",
    ],
)
def test_anything_but_an_http_link_is_refused(link):
    with pytest.raises(MasterclassError) as refused:
        parse_link(link)
    assert refused.value.code == "link_invalid"


def test_a_too_long_link_is_refused_with_its_limit():
    with pytest.raises(MasterclassError) as refused:
        parse_link("https://example.org/" + "a" * 1000)
    assert (refused.value.code, refused.value.params) == ("link_too_long", {"max": 1000})
