"""/settings in the domain, on the FrozenClock: each switch turns its kind of reminder off
and back on; a person's own quiet hours hold a notice until their own morning (or not at
all); the digest moved to Friday 18:00 arrives then and not on Monday, and off sends
nothing while its series goes on."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from bot.delivery import OutboxSender
from bot.services import preferences
from bot.services.digest import weekly
from bot.services.due_work import DueWorkRegistry, DueWorkRunner
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses import reminders as mc_reminders
from bot.services.masterclasses.audience import Audience, Scope
from bot.services.outbox import QuietHours
from bot.services.preferences import Kind
from storage.db import Database
from storage.models import DueWork, OutboxMessage
from tests.digest.helpers import NOW as MONDAY_NINE
from tests.due_work.helpers import runner
from tests.mandates.helpers import act, submit
from tests.masterclasses.helpers import create, texts_to
from tests.reminders.helpers import (
    make_runner,
    messages_to,
    mornings,
    reminders_registry,
    run_all,
    start,
)

TUESDAY_NINE = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # 09:00 in Moscow
ESCALATION = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)  # 00:00 of 01.12 in Moscow
ALARM = "без ответа"
TOLD = "передан на контроль"


async def switch(database: Database, user_id: int, kind: Kind, on: bool) -> None:
    async with database.transaction() as session:
        await preferences.set_switch(session, user_id, kind, on)


async def test_defaults_are_todays_behaviour(database, world):
    async with database.reading() as session:
        settings = await preferences.get(session, world.curator)
        wanting = await preferences.wanting(session, [world.curator, world.secretary], Kind.DIGEST)
        hours = await preferences.quiet_hours_of(session, [world.curator], QuietHours())
    assert all(settings.wants(kind) for kind in Kind)
    assert settings.quiet is None
    assert settings.digest_rule == weekly.RULE
    assert wanting == [world.curator, world.secretary]
    assert hours == {world.curator: QuietHours()}


async def test_a_toggle_flips_one_switch_only(database, world):
    async with database.transaction() as session:
        settings = await preferences.toggle(session, world.secretary, Kind.MORNING)
        assert not settings.morning
        assert settings.escalation
        assert settings.masterclass
        settings = await preferences.toggle(session, world.secretary, Kind.MORNING)
        assert settings.morning


async def test_the_morning_message_off_and_on(database, world, clock):
    registry = reminders_registry()
    await submit(database, world.author, clock.now())
    await start(database, clock)
    await switch(database, world.secretary, Kind.MORNING, False)
    worker = make_runner(database, registry, clock)
    clock.set(TUESDAY_NINE)
    await run_all(worker)
    assert await mornings(database, world.secretary) == []

    await switch(database, world.secretary, Kind.MORNING, True)
    clock.set(TUESDAY_NINE + timedelta(days=1))
    await run_all(worker)
    assert len(await mornings(database, world.secretary)) == 1


async def test_escalations_off_for_the_curator_only(database, world, clock):
    registry = reminders_registry()
    await submit(database, world.author, clock.now())
    await switch(database, world.curator, Kind.ESCALATION, False)
    clock.set(ESCALATION)
    await run_all(make_runner(database, registry, clock))
    assert await messages_to(database, world.curator, ALARM) == []
    assert len(await messages_to(database, world.secretary, TOLD)) == 1


async def test_escalations_off_then_on_again_before_it_is_due(database, world, clock):
    registry = reminders_registry()
    await submit(database, world.author, clock.now())
    for user in (world.curator, world.secretary):
        await switch(database, user, Kind.ESCALATION, False)
        await switch(database, user, Kind.ESCALATION, True)
    clock.set(ESCALATION)
    await run_all(make_runner(database, registry, clock))
    assert len(await messages_to(database, world.curator, ALARM)) == 1
    assert len(await messages_to(database, world.secretary, TOLD)) == 1


async def test_masterclass_reminders_off_then_on(database, world, clock):
    registry = DueWorkRegistry()
    mc_reminders.register_due_work(registry)
    start_at = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)  # 18:30 in Moscow
    masterclass = await create(
        database, world.admin, start_at, clock.now(), audience=Audience(Scope.ALL)
    )
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    before = await texts_to(database, world.author)
    await switch(database, world.author, Kind.MASTERCLASS, False)
    worker = runner(database, registry, clock, "r")
    clock.set(datetime(2026, 11, 24, 15, 30, tzinfo=UTC))  # the day before, 18:30
    await worker.run_due()
    assert await texts_to(database, world.author) == before

    await switch(database, world.author, Kind.MASTERCLASS, True)
    clock.set(start_at - timedelta(hours=1))
    await worker.run_due()
    [hour_before] = (await texts_to(database, world.author))[len(before) :]
    assert masterclass.title in hour_before


async def test_own_quiet_hours_hold_a_notice_until_the_persons_own_morning(
    database, world, clock, bot, recording
):
    registry = reminders_registry()
    await submit(database, world.author, clock.now())
    async with database.transaction() as session:
        await preferences.set_quiet_hours(session, world.curator, (time(23, 0), time(7, 0)))
        await preferences.set_quiet_hours(session, world.foreign_curator, None)  # none
    clock.set(ESCALATION)  # 00:00 in Moscow
    await run_all(make_runner(database, registry, clock))
    sender = OutboxSender(bot, database, clock)
    await sender.send_due()
    [to_curator] = await messages_to(database, world.curator, ALARM)
    assert to_curator.held_until == datetime(2026, 12, 1, 4, 0, tzinfo=UTC)  # 07:00 hers
    [to_secretary] = await messages_to(database, world.secretary, TOLD)
    assert to_secretary.held_until == datetime(2026, 12, 1, 6, 0, tzinfo=UTC)  # the bot's 09:00

    clock.set(datetime(2026, 12, 1, 4, 0, tzinfo=UTC))
    await sender.send_due()
    clock.advance(seconds=2)
    await sender.send_due()
    assert [t for t in recording.texts_to(world.curator) if ALARM in t]
    assert not [t for t in recording.texts_to(world.secretary) if TOLD in t]


async def test_no_quiet_hours_means_sent_at_night(database, world, clock):
    async with database.transaction() as session:
        await preferences.set_quiet_hours(session, world.curator, None)
        hours = await preferences.quiet_hours_of(
            session, [world.curator, world.secretary], QuietHours()
        )
    night = datetime(2026, 11, 30, 21, 0, tzinfo=UTC)
    assert hours[world.curator].release_at(night, "Europe/Moscow") is None
    assert hours[world.secretary].release_at(night, "Europe/Moscow") is not None


def digest_runner(database, clock) -> DueWorkRunner:
    registry = DueWorkRegistry()
    weekly.register_due_work(registry)
    return DueWorkRunner(database, registry, clock, worker_id="d")


async def digest_rows(database, user_id: int) -> list[tuple[datetime, str]]:
    async with database.reading() as session:
        rows = await session.execute(
            select(DueWork.due_at, DueWork.status)
            .where(DueWork.kind == weekly.KIND, DueWork.recipient_id == user_id)
            .order_by(DueWork.due_at, DueWork.status)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


async def digests_to(database, chat_id: int) -> list[OutboxMessage]:
    async with database.reading() as session:
        return list(
            await session.scalars(
                select(OutboxMessage).where(
                    OutboxMessage.chat_id == chat_id, OutboxMessage.method == "send_photo"
                )
            )
        )


async def test_the_digest_moved_to_friday_evening_arrives_then(database, clock, week):
    curator = week.world.curator
    clock.set(MONDAY_NINE - timedelta(days=1))
    await weekly.plan_missing_series(database, clock.now())
    async with database.transaction() as session:
        due = await weekly.move_digest(session, curator, 4, time(18, 0), clock.now())
    friday = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # 18:00 in Moscow
    assert due == friday
    assert await digest_rows(database, curator) == [
        (MONDAY_NINE, "cancelled"),
        (friday, "pending"),
    ]
    worker = digest_runner(database, clock)
    clock.set(MONDAY_NINE)
    await worker.run_due()
    await weekly.plan_missing_series(database, clock.now())  # nothing new for this curator
    assert await digests_to(database, curator) == []
    clock.set(friday - timedelta(seconds=1))
    await worker.run_due()
    assert await digests_to(database, curator) == []
    clock.set(friday)
    await worker.run_due()
    assert len(await digests_to(database, curator)) == 1
    assert (await digest_rows(database, curator))[-1] == (friday + timedelta(days=7), "pending")


async def test_the_digest_off_sends_nothing_and_on_again_the_next_week(database, clock, week):
    curator = week.world.curator
    clock.set(MONDAY_NINE - timedelta(days=1))
    await weekly.plan_missing_series(database, clock.now())
    await switch(database, curator, Kind.DIGEST, False)
    worker = digest_runner(database, clock)
    clock.set(MONDAY_NINE)
    await worker.run_due()
    assert await digests_to(database, curator) == []
    assert len(await digests_to(database, week.world.foreign_curator)) == 1
    assert (await digest_rows(database, curator))[-1] == (
        MONDAY_NINE + timedelta(days=7),
        "pending",
    )

    await switch(database, curator, Kind.DIGEST, True)
    clock.set(MONDAY_NINE + timedelta(days=7))
    await worker.run_due()
    assert len(await digests_to(database, curator)) == 1


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("22:00–08:00", (time(22), time(8))),
        ("22:00-08:00", (time(22), time(8))),
        (" 23.30 — 7.15 ", (time(23, 30), time(7, 15))),
        ("с 22 до 8", (time(22), time(8))),
        ("нет", None),
        ("Нет", None),
    ],
)
def test_quiet_hours_typed(text, expected):
    assert preferences.parse_quiet_hours(text) == expected


@pytest.mark.parametrize("text", ["", "ночью", "25:00–08:00", "22:00", "22:00–22:00", "22:61-8"])
def test_quiet_hours_refused(text):
    with pytest.raises(preferences.NotUnderstood):
        preferences.parse_quiet_hours(text)


def test_a_time_typed():
    assert preferences.parse_time("09:00") == time(9)
    assert preferences.parse_time("18.30") == time(18, 30)
    for bad in ("", "9 утра", "24:00", "12:60"):
        with pytest.raises(preferences.NotUnderstood):
            preferences.parse_time(bad)
