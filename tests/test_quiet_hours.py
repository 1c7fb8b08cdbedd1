"""Quiet hours in delivery: a notice about somebody else's action waits while the
recipient's local quiet hours last (21:00–09:00 by default, in their branch's region time
zone) and goes when they end, in order; an answer to the person's own action goes at once.
All on the FrozenClock, passes run by hand."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from bot.delivery import OutboxSender
from bot.services.outbox import Notice, QuietHours, enqueue
from bot.services.people import Role
from storage.models import OutboxMessage
from tests.harness.factories import make_branch, make_user

MOSCOW, NOVOSIBIRSK, NOBODY = 500, 600, 700  # 700: a chat we know no person of


@pytest.fixture
async def people(database) -> None:
    moscow = await make_branch(database, "20-03", region_code="77", timezone="Europe/Moscow")
    siberia = await make_branch(
        database, "54-01", region_code="54", region_name="Новосибирская область",
        timezone="Asia/Novosibirsk", local_name="Новосибирское местное отделение",
    )  # fmt: skip
    await make_user(database, MOSCOW, branch_id=moscow)
    # A secretary with no branch of their own: their zone is the branch they serve.
    await make_user(database, NOVOSIBIRSK, roles={Role.SECRETARY: [siberia]})


async def queue(database, clock, *notices: Notice) -> None:
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *notices)


async def held_until(database) -> dict[str, datetime | None]:
    async with database.sessions() as session:
        rows = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return {row.payload["text"]: row.held_until for row in rows}


async def test_notices_wait_for_nine_in_each_recipients_zone_and_go_in_order(
    people, bot, database, clock, recording
):
    clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # 23:00 in Moscow, 03:00 in Novosibirsk
    await queue(
        database,
        clock,
        Notice(MOSCOW, "первое"),
        Notice(NOVOSIBIRSK, "сибирь"),
        Notice(MOSCOW, "второе"),
        Notice(NOBODY, "группе"),
    )
    sender = OutboxSender(bot, database, clock)

    assert await sender.send_due() == 0
    nine_in_novosibirsk = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
    nine_in_moscow = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    assert await held_until(database) == {
        "первое": nine_in_moscow,
        "сибирь": nine_in_novosibirsk,
        "второе": nine_in_moscow,
        "группе": nine_in_moscow,  # DEFAULT_TIMEZONE
    }

    clock.set(datetime(2026, 11, 24, 1, 59, 59, tzinfo=UTC))
    assert await sender.send_due() == 0
    clock.set(nine_in_novosibirsk)
    assert await sender.send_due() == 1
    assert recording.texts_to(NOVOSIBIRSK) == ["сибирь"]

    clock.set(datetime(2026, 11, 24, 5, 59, 59, tzinfo=UTC))
    assert await sender.send_due() == 0
    clock.set(nine_in_moscow)
    assert await sender.send_due() == 2
    clock.advance(seconds=1)
    assert await sender.send_due() == 1
    assert recording.texts_to(MOSCOW) == ["первое", "второе"]  # in the order queued
    assert recording.texts_to(NOBODY) == ["группе"]
    assert [r.chat_id for r in recording.sent()] == [NOVOSIBIRSK, MOSCOW, NOBODY, MOSCOW]


async def test_an_answer_to_the_persons_own_action_goes_at_once_even_past_a_held_one(
    people, bot, database, clock, recording
):
    clock.set(datetime(2026, 11, 23, 20, 0, tzinfo=UTC))  # 23:00 in Moscow
    await queue(database, clock, Notice(MOSCOW, "о чужом действии"))
    await queue(database, clock, Notice(MOSCOW, "ваша выгрузка готова", quiet=False))
    sender = OutboxSender(bot, database, clock)

    assert await sender.send_due() == 1
    assert recording.texts_to(MOSCOW) == ["ваша выгрузка готова"]
    assert (await held_until(database))["о чужом действии"] is not None


async def test_outside_quiet_hours_a_notice_goes_at_once(people, bot, database, clock, recording):
    clock.set(datetime(2026, 11, 23, 17, 59, tzinfo=UTC))  # 20:59 in Moscow
    await queue(database, clock, Notice(MOSCOW, "вечером"))

    assert await OutboxSender(bot, database, clock).send_due() == 1
    assert recording.texts_to(MOSCOW) == ["вечером"]


async def test_the_window_is_the_settings(people, bot, database, clock, recording):
    clock.set(datetime(2026, 11, 23, 19, 30, tzinfo=UTC))  # 22:30 in Moscow
    await queue(database, clock, Notice(MOSCOW, "поздно"))
    later = QuietHours(time(23, 0), time(7, 0))

    assert await OutboxSender(bot, database, clock, quiet_hours=later).send_due() == 1
    assert recording.texts_to(MOSCOW) == ["поздно"]


@pytest.mark.parametrize(
    ("local_time", "released"),
    [
        ("2026-11-23T20:59:59", None),
        ("2026-11-23T21:00:00", "2026-11-24T09:00:00"),
        ("2026-11-23T23:30:00", "2026-11-24T09:00:00"),
        ("2026-11-24T03:00:00", "2026-11-24T09:00:00"),
        ("2026-11-24T08:59:59", "2026-11-24T09:00:00"),
        ("2026-11-24T09:00:00", None),
    ],
)
async def test_quiet_hours_cross_midnight(local_time, released):
    zone = "Asia/Novosibirsk"

    def at(text: str) -> datetime:
        return datetime.fromisoformat(text).replace(tzinfo=ZoneInfo(zone))

    result = QuietHours().release_at(at(local_time).astimezone(UTC), zone)
    assert result == (at(released).astimezone(UTC) if released else None)


async def test_a_daytime_window_and_none_at_all():
    day = QuietHours(time(13, 0), time(15, 0))
    moment = datetime(2026, 11, 23, 11, 0, tzinfo=UTC)  # 14:00 in Moscow
    assert day.release_at(moment, "Europe/Moscow") == datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert QuietHours.never().release_at(moment, "Europe/Moscow") is None
