"""Submitting on a real database: numbering, the deadline, who is told, refusals; similar
mandates and support."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from bot.services.errors import AccessDenied, DomainError, InvalidInput
from bot.services.mandates import decisions, lifecycle, similarity, submission
from bot.services.mandates.draft import MandateRules
from bot.services.people import Role
from storage.models import Mandate, MandatePhoto
from tests.harness.factories import make_branch, make_user
from tests.mandates.helpers import (
    SLA_DAYS,
    UNRELATED,
    act,
    buttons,
    count,
    draft,
    events,
    get_mandate,
    outbox,
    person,
    submit,
)

# --- submission and numbering --------------------------------------------------------------


async def test_submission_numbers_saves_and_tells_the_secretary(database, world, clock) -> None:
    first = await submit(
        database,
        world.author,
        clock.now(),
        text="Во дворе <b>дома</b> 15 не работает уличное освещение",
        address="ул. Ленина, 15",
        photos=["photo-1", "photo-2"],
    )
    second = await submit(database, world.member, clock.now(), category="roads")
    elsewhere = await submit(database, world.foreign_member, clock.now())

    assert (first.number, second.number) == ("20-03/2026/0001", "20-03/2026/0002")
    assert elsewhere.number == "20-04/2026/0001"
    saved = await get_mandate(database, first.id)
    assert (saved.status, saved.author_id, saved.branch_id) == ("new", world.author, world.branch)
    assert saved.created_at == clock.now()
    # Monday 10:00 MSK + 3 working days → the end of Thursday.
    assert saved.due_at == datetime(2026, 11, 26, 21, 0, tzinfo=UTC)
    assert saved.first_answered_at is None
    async with database.sessions() as session:
        photos = list(
            await session.scalars(
                select(MandatePhoto.file_id)
                .where(MandatePhoto.mandate_id == first.id)
                .order_by(MandatePhoto.position)
            )
        )
    assert photos == ["photo-1", "photo-2"]
    assert [(e.action, e.to_status, e.actor_id) for e in await events(database, first.id)] == [
        ("submitted", "new", world.author)
    ]

    sent = await outbox(database)
    assert [m.chat_id for m in sent] == [world.secretary, world.secretary, world.foreign_secretary]
    notice = sent[0]
    text = notice.payload["text"]
    assert "Новый наказ № 20-03/2026/0001" in text
    assert "Категория: ЖКХ" in text
    assert "&lt;b&gt;дома&lt;/b&gt;" in text
    assert "<b>дома</b>" not in text
    assert "ул. Ленина, 15" in text
    assert "Фотографий: 2" in text
    assert "до 26.11.2026 включительно" in text
    assert "Анна" not in text  # the author's name stays private
    assert buttons(notice) == [f"md:open:{first.id}", f"md:accept:{first.id}", f"md:ask:{first.id}"]


async def test_numbering_restarts_in_the_branchs_new_year(database, world, clock) -> None:
    await submit(database, world.author, datetime(2026, 12, 31, 20, 0, tzinfo=UTC))
    # 22:00 UTC on 31 December is already 1 January in Moscow.
    new_year = await submit(database, world.author, datetime(2026, 12, 31, 22, 0, tzinfo=UTC))
    assert new_year.number == "20-03/2027/0001"


async def test_concurrent_submissions_get_distinct_consecutive_numbers(
    database, world, clock
) -> None:
    authors = [1000 + i for i in range(20)]
    for user_id in authors:
        await make_user(database, user_id, branch_id=world.branch)

    saved = await asyncio.gather(*(submit(database, a, clock.now()) for a in authors))

    numbers = sorted(m.number for m in saved)
    assert numbers == [f"20-03/2026/{i:04d}" for i in range(1, 21)]
    assert await count(database, Mandate) == 20


async def test_a_branch_without_secretary_tells_its_curators(database, world, clock) -> None:
    lonely = await make_branch(database, "30-01", name="новый округ")
    await make_user(database, 700, branch_id=lonely)
    await make_user(database, 701, roles={Role.CURATOR: [lonely]})
    await submit(database, 700, clock.now())
    assert [m.chat_id for m in await outbox(database)] == [701]


async def test_submission_refused_changes_nothing(database, world, clock) -> None:
    with pytest.raises(InvalidInput) as error:
        await submit(database, world.author, clock.now(), text="Коротко")
    assert error.value.code == "mandate_text_too_short"
    with pytest.raises(DomainError) as no_branch:  # an admin must say which branch
        await submit(database, world.admin, clock.now())
    assert no_branch.value.code == "mandate_no_branch"
    with pytest.raises(AccessDenied):  # a branch outside one's own and one's scope
        await submit(database, world.secretary, clock.now(), branch_id=world.other_branch)
    await make_user(database, 800, branch_id=world.branch, consent=False)
    with pytest.raises(DomainError) as no_consent:
        await submit(database, 800, clock.now())
    assert no_consent.value.code == "consent_required"
    assert await count(database, Mandate) == 0
    assert await outbox(database) == []
    # The failed attempts used no number.
    assert (await submit(database, world.author, clock.now())).number == "20-03/2026/0001"


# --- similar mandates and support -----------------------------------------------------------


async def test_similar_mandates_of_the_branch_and_category(database, world, clock) -> None:
    now = clock.now()
    close = await submit(database, world.member, now - timedelta(days=2))
    closer = await submit(
        database,
        world.member,
        now - timedelta(days=1),
        text="Во дворе дома 15 по Ленина не горят фонари, уличное освещение не работает",
    )
    await submit(database, world.member, now, text=UNRELATED)  # another problem
    await submit(database, world.member, now, category="safety")  # another category
    await submit(database, world.foreign_member, now)  # another branch
    await submit(database, world.author, now)  # the person's own
    await submit(database, world.member, now - timedelta(days=31))  # too old
    finished = await submit(database, world.member, now)
    await act(database, decisions.reject_mandate, world.secretary, finished.id, "Дубликат", now)

    found = await act(
        database,
        similarity.find_similar,
        world.author,
        draft("Не работает уличное освещение во дворе дома 15 на улице Ленина"),
        now,
    )

    assert [s.id for s in found] == [close.id, closer.id] or [s.id for s in found] == [
        closer.id,
        close.id,
    ]
    assert all(s.score >= similarity.SIMILAR_THRESHOLD for s in found)
    assert found[0].score >= found[1].score


async def test_similar_returns_at_most_three(database, world, clock) -> None:
    for _ in range(5):
        await submit(database, world.member, clock.now())
    found = await act(database, similarity.find_similar, world.author, draft(), clock.now())
    assert len(found) == 3


async def test_support_counts_once_and_tells_the_author(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    before = len(await outbox(database))

    first = await act(database, similarity.support_mandate, world.member, mandate.id, clock.now())
    again = await act(database, similarity.support_mandate, world.member, mandate.id, clock.now())

    assert (first.added, first.supporters, first.number) == (True, 1, mandate.number)
    assert (again.added, again.supporters) == (False, 1)
    assert (await get_mandate(database, mandate.id)).supporters == 1
    told = (await outbox(database))[before:]
    assert [m.chat_id for m in told] == [world.author]
    assert "Ваш наказ № 20-03/2026/0001 поддержал" in told[0].payload["text"]
    assert "Всего поддержали: 1 человек." in told[0].payload["text"]

    with pytest.raises(DomainError) as own:
        await act(database, similarity.support_mandate, world.author, mandate.id, clock.now())
    assert own.value.code == "mandate_support_own"
    with pytest.raises(AccessDenied):
        await act(
            database, similarity.support_mandate, world.foreign_member, mandate.id, clock.now()
        )
    assert (await get_mandate(database, mandate.id)).supporters == 1


# --- deadlines ------------------------------------------------------------------------------


async def test_overdue_until_the_first_answer(database, world, clock) -> None:
    clock.set(datetime(2026, 11, 27, 12, 0, tzinfo=UTC))  # Friday 15:00 MSK
    mandate = await submit(database, world.author, clock.now())
    saved = await get_mandate(database, mandate.id)
    assert saved.due_at == datetime(2026, 12, 2, 21, 0, tzinfo=UTC)  # end of Wednesday MSK

    assert not lifecycle.is_overdue(saved, datetime(2026, 12, 2, 20, 59, tzinfo=UTC))
    assert lifecycle.is_overdue(saved, datetime(2026, 12, 2, 21, 0, tzinfo=UTC))

    clock.set(datetime(2026, 12, 3, 6, 0, tzinfo=UTC))
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    assert not lifecycle.is_overdue(await get_mandate(database, mandate.id), clock.now())


async def test_the_deadline_skips_the_new_year_holidays(database, world, clock) -> None:
    clock.set(datetime(2026, 12, 30, 9, 0, tzinfo=UTC))  # Wednesday, noon in Moscow
    mandate = await submit(database, world.author, clock.now())
    # 31 Dec and 1–10 Jan are days off: Mon 11, Tue 12, Wed 13 January.
    assert mandate.due_at == datetime(2027, 1, 13, 21, 0, tzinfo=UTC)
    assert mandate.number == "20-03/2026/0001"


async def test_submission_uses_the_sla_setting(database, world, clock) -> None:
    author = await person(database, world.author)
    async with database.transaction() as session:
        mandate = await submission.submit_mandate(
            session, author, draft(), clock.now(), MandateRules(sla_days=1)
        )
    assert mandate.due_at == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # end of Tuesday
    assert SLA_DAYS == 3
