"""The secretary's morning message on the FrozenClock: at 09:00 of each zone on Russian
working days (none on a holiday, one on a Saturday made working), only when something
waits, one for a secretary of two branches, the three most overdue with their days, and
tomorrow's masterclasses — with nothing waiting too."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.mandates import decisions
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.audience import Audience, Scope
from bot.services.people import Role, grant_role
from bot.services.reminders.morning import INBOX_CB, MORNING, MORNING_SWEEP
from storage.models.due_work import DueWork
from tests.harness.factories import NOW
from tests.mandates.helpers import act, buttons, submit
from tests.masterclasses.helpers import FAR_MEMBER, create
from tests.reminders.helpers import (
    add_member,
    make_runner,
    messages_to,
    mornings,
    reminders_registry,
    run_all,
    start,
)

MOSCOW_NINE = datetime(2026, 11, 24, 6, 0, tzinfo=UTC)  # Tuesday 24.11, 09:00 in Moscow
NOVOSIBIRSK_NINE = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)  # 09:00 in Novosibirsk


@pytest.fixture
def registry():
    return reminders_registry()


async def test_each_zone_gets_its_message_at_its_own_nine(database, world, clock, registry):
    await add_member(database, world.far_branch, FAR_MEMBER)
    moscow = await submit(database, world.author, clock.now())
    far = await submit(database, FAR_MEMBER, clock.now())
    assert await start(database, clock) == 2  # Moscow and Novosibirsk
    assert await start(database, clock) == 0  # started once
    worker = make_runner(database, registry, clock)

    clock.set(NOVOSIBIRSK_NINE - timedelta(seconds=1))
    await run_all(worker)
    assert await mornings(database, world.far_secretary) == []
    clock.set(NOVOSIBIRSK_NINE)
    await run_all(worker)
    [siberian] = await messages_to(database, world.far_secretary, "Доброе утро")
    assert "Ждут первого ответа: 1 наказ." in siberian.payload["text"]
    assert "Просроченных нет." in siberian.payload["text"]
    assert buttons(siberian) == [INBOX_CB]
    assert await mornings(database, world.secretary) == []

    clock.set(MOSCOW_NINE - timedelta(seconds=1))
    await run_all(worker)
    assert await mornings(database, world.secretary) == []
    clock.set(MOSCOW_NINE)
    await run_all(worker)
    [text] = await mornings(database, world.secretary)
    assert "1 наказ" in text
    assert await mornings(database, world.foreign_secretary) == []  # nothing waits there
    assert await mornings(database, world.far_secretary) == [siberian.payload["text"]]
    assert moscow.number not in text
    assert far.number not in text

    # The series goes on: Wednesday 09:00 again, each zone once.
    clock.set(MOSCOW_NINE + timedelta(days=1))
    await run_all(worker)
    assert len(await mornings(database, world.secretary)) == 2
    assert len(await mornings(database, world.far_secretary)) == 2


async def _day_by_day(
    database, world, clock, registry, first_day: datetime, days: int
) -> list[str]:
    """Mornings of the author's secretary over `days` days from `first_day` (a Moscow 09:00),
    a mandate waiting throughout: the local dates that had one."""
    clock.set(first_day - timedelta(days=1))
    await submit(database, world.author, clock.now())
    await start(database, clock)
    worker = make_runner(database, registry, clock)
    sent = []
    for day in range(days):
        clock.set(first_day + timedelta(days=day))
        before = len(await mornings(database, world.secretary))
        await run_all(worker)
        if len(await mornings(database, world.secretary)) > before:
            sent.append(clock.now().date().isoformat())
    return sent


async def test_none_on_a_public_holiday(database, world, clock, registry):
    # 04.11.2026, Wednesday, Day of National Unity.
    first = datetime(2026, 11, 3, 6, 0, tzinfo=UTC)
    sent = await _day_by_day(database, world, clock, registry, first, 3)
    assert sent == ["2026-11-03", "2026-11-05"]


async def test_sent_on_a_saturday_made_working_and_none_on_the_days_off_for_it(
    database, world, clock, registry
):
    # 20.02.2027 is a working Saturday; 21.02 Sunday, 22 and 23.02 days off.
    first = datetime(2027, 2, 19, 6, 0, tzinfo=UTC)
    sent = await _day_by_day(database, world, clock, registry, first, 6)
    assert sent == ["2027-02-19", "2027-02-20", "2027-02-24"]


async def test_nothing_when_nothing_waits_for_a_first_answer(database, world, clock, registry):
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    await start(database, clock)
    clock.set(MOSCOW_NINE)
    await run_all(make_runner(database, registry, clock))
    for secretary in (world.secretary, world.foreign_secretary, world.far_secretary):
        assert await mornings(database, secretary) == []
    async with database.sessions() as session:
        planned = await session.scalars(select(DueWork.kind).where(DueWork.kind == MORNING))
        assert list(planned) == []  # the sweep chose nobody


async def test_a_secretary_of_two_branches_gets_one_message_for_both(
    database, world, clock, registry
):
    async with database.transaction() as session:
        await grant_role(
            session, world.secretary, Role.SECRETARY, NOW, branch_id=world.other_branch
        )
    await submit(database, world.author, clock.now())
    await submit(database, world.foreign_member, clock.now())
    await submit(
        database,
        world.foreign_member,
        clock.now(),
        text="Нужна новая детская площадка во дворе дома 7",
    )
    await start(database, clock)
    clock.set(MOSCOW_NINE)
    worker = make_runner(database, registry, clock)
    await run_all(worker)
    [text] = await mornings(database, world.secretary)
    assert "Ждут первого ответа: 3 наказа." in text
    [other] = await mornings(database, world.foreign_secretary)
    assert "2 наказа" in other
    # A second sweep the same morning (a restart that planned it anew) sends nothing more.
    async with database.transaction() as session:
        sweep = await session.scalar(
            select(DueWork).where(DueWork.kind == MORNING_SWEEP, DueWork.due_at == MOSCOW_NINE)
        )
        assert sweep is not None
        assert sweep.status == "done"
        sweep.status, sweep.not_before = "pending", MOSCOW_NINE
    await run_all(worker)
    assert len(await mornings(database, world.secretary)) == 1


async def test_the_three_most_overdue_with_their_numbers_and_days(database, world, clock, registry):
    def moscow(day: int) -> datetime:  # 10:00 in Moscow on that day of November 2026
        return datetime(2026, 11, day, 7, 0, tzinfo=UTC)

    # Last days to answer (3 working days; 04.11 a holiday): 06.11, 09.11, 10.11, 11.11.
    oldest = await submit(database, world.author, moscow(2))
    second = await submit(database, world.author, moscow(3))
    third = await submit(database, world.author, moscow(5))
    fourth = await submit(database, world.author, moscow(6))
    await submit(database, world.author, moscow(16))  # due later: waits, not overdue
    answered = await submit(database, world.author, moscow(2))
    await act(database, decisions.accept_mandate, world.secretary, answered.id, moscow(3))
    clock.set(moscow(16))
    await start(database, clock)
    clock.set(datetime(2026, 11, 17, 6, 0, tzinfo=UTC))  # Tuesday 17.11, 09:00 in Moscow
    await run_all(make_runner(database, registry, clock))
    [message] = await messages_to(database, world.secretary, "Доброе утро")
    text = message.payload["text"]
    assert "Ждут первого ответа: 5 наказов." in text
    assert "Из них просрочено: 4 наказа." in text
    # In working days, as the digest counts them: 09–13.11 and 16–17.11 after 06.11.
    assert f"№ {oldest.number} — просрочен на 7 рабочих дней" in text
    assert f"№ {second.number} — просрочен на 6 рабочих дней" in text
    assert f"№ {third.number} — просрочен на 5 рабочих дней" in text
    assert fourth.number not in text
    assert text.index(oldest.number) < text.index(second.number) < text.index(third.number)
    assert buttons(message) == [INBOX_CB]


async def test_tomorrows_masterclass_is_listed_and_alone_it_is_sent_too(
    database, world, clock, registry
):
    # Wednesday 25.11, 18:30 in Moscow; the secretary has no mandate waiting.
    starts = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    masterclass = await create(
        database, world.admin, starts, clock.now(), audience=Audience(Scope.ALL),
        title="Работа с наказами",
    )  # fmt: skip
    later = await create(
        database, world.admin, starts + timedelta(days=1), clock.now(),
        audience=Audience(Scope.ALL), title="Не завтра",
    )  # fmt: skip
    for event in (masterclass, later):
        await act(database, reg.register, world.secretary, event.id, clock.now())
    await start(database, clock)
    clock.set(MOSCOW_NINE)
    await run_all(make_runner(database, registry, clock))
    [message] = await messages_to(database, world.secretary, "Доброе утро")
    text = message.payload["text"]
    assert "Завтра мастер-класс, на который вы записаны" in text
    assert "18:30 — «Работа с наказами»" in text
    assert "Не завтра" not in text
    assert "наказ" not in text.replace("Работа с наказами", "")  # nothing about mandates
    assert buttons(message) == []


async def test_the_masterclass_next_to_mandates_and_its_own_reminder_still_comes(
    database, world, clock, registry
):
    from bot.services.masterclasses.reminders import register_due_work

    register_due_work(registry)
    starts = datetime(2026, 11, 25, 15, 30, tzinfo=UTC)
    masterclass = await create(
        database, world.admin, starts, clock.now(), audience=Audience(Scope.ALL)
    )
    await act(database, reg.register, world.secretary, masterclass.id, clock.now())
    await submit(database, world.author, clock.now())
    await start(database, clock)
    worker = make_runner(database, registry, clock)
    clock.set(MOSCOW_NINE)
    await run_all(worker)
    [text] = await mornings(database, world.secretary)
    assert "1 наказ" in text
    assert "Завтра мастер-класс" in text
    clock.set(starts - timedelta(days=1))
    await run_all(worker)
    assert await messages_to(database, world.secretary, "Придёте?")


async def test_a_secretary_appointed_later_is_found_by_the_next_sweep(
    database, world, clock, registry
):
    await start(database, clock)
    newcomer = 303
    await add_member(database, world.other_branch, newcomer)
    async with database.transaction() as session:
        await grant_role(session, newcomer, Role.SECRETARY, NOW, branch_id=world.other_branch)
    await submit(database, world.foreign_member, clock.now())
    clock.set(MOSCOW_NINE)
    await run_all(make_runner(database, registry, clock))
    assert len(await mornings(database, newcomer)) == 1
    assert len(await mornings(database, world.foreign_secretary)) == 1


async def test_the_dispatchers_startup_starts_the_series(settings, database, world, clock, bot):
    from bot.app import build_dispatcher

    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    try:
        async with database.sessions() as session:
            zones = await session.scalars(
                select(DueWork.subject)
                .where(DueWork.kind == MORNING_SWEEP)
                .order_by(DueWork.subject)
            )
            assert list(zones) == ["Asia/Novosibirsk", "Europe/Moscow"]
        clock.set(MOSCOW_NINE)
        await run_all(dp["due_work_runner"])  # its kinds are registered there
    finally:
        await dp.emit_shutdown()
