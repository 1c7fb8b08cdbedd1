"""The .ics, parsed back with icalendar: its zone and times, one UID, a rising SEQUENCE,
and METHOD:CANCEL when the event or the registration is cancelled."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from icalendar import Calendar

from bot.services.masterclasses import events
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.ics import uid_of
from tests.mandates.helpers import act
from tests.masterclasses.helpers import for_branch

START = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 18:30 in Krasnodar


def parsed(content: bytes):
    calendar = Calendar.from_ical(content)
    [event] = calendar.walk("VEVENT")
    return calendar, event


async def test_the_file_names_the_zone_and_the_times_of_the_masterclass(database, world, clock):
    masterclass = await for_branch(
        world, database, clock.now(), starts_at=START, online_url="https://meet.example.org/x",
        place=None,
    )  # fmt: skip
    registered = await act(database, reg.register, world.author, masterclass.id, clock.now())
    calendar, event = parsed(registered.ics.content)
    assert str(calendar["method"]) == "PUBLISH"
    assert [str(z["tzid"]) for z in calendar.walk("VTIMEZONE")] == ["Europe/Moscow"]
    start = event.decoded("dtstart")
    assert start == START
    assert start.tzinfo == ZoneInfo("Europe/Moscow")
    assert (start.hour, start.minute) == (18, 30)
    assert event.decoded("dtend") == START + timedelta(minutes=90)
    assert str(event["uid"]) == uid_of(masterclass.id)
    assert int(event["sequence"]) == 0
    assert str(event["summary"]) == "Как работать с наказами"
    assert str(event["url"]) == "https://meet.example.org/x"
    assert str(event["status"]) == "CONFIRMED"


async def test_every_update_keeps_the_uid_and_raises_the_sequence(database, world, clock):
    masterclass = await for_branch(world, database, clock.now(), starts_at=START)
    first = await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(
        database, events.edit_masterclass, world.curator, masterclass.id,
        events.MasterclassEdit(starts_at=START + timedelta(hours=1)), clock.now(),
    )  # fmt: skip
    updated = await act(database, reg.my_ics, world.author, masterclass.id, clock.now())
    left = await act(database, reg.cancel_registration, world.author, masterclass.id, clock.now())
    again = await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(
        database, events.cancel_masterclass, world.curator, masterclass.id, "Перенесли",
        clock.now(),
    )  # fmt: skip
    gone = await act(database, reg.my_ics, world.author, masterclass.id, clock.now())

    files = [first.ics, updated, left.ics, again.ics, gone]
    parts = [parsed(f.content) for f in files]
    assert {str(e["uid"]) for _, e in parts} == {uid_of(masterclass.id)}
    sequences = [int(e["sequence"]) for _, e in parts]
    assert sequences == sorted(sequences)
    assert len(set(sequences)) == len(sequences)
    methods = [str(c["method"]) for c, _ in parts]
    assert methods == ["PUBLISH", "PUBLISH", "CANCEL", "PUBLISH", "CANCEL"]
    assert [str(e["status"]) for _, e in parts][-1] == "CANCELLED"
    assert parts[1][1].decoded("dtstart") == START + timedelta(hours=1)
