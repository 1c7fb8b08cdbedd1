"""Reading mandates on a real database: the lists, the card and the history."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.errors import AccessDenied, InvalidInput
from bot.services.mandates import decisions, queries
from bot.services.mandates.card import mandate_card
from bot.services.people import Role
from storage.models import MandateEvent
from tests.harness.factories import make_user
from tests.mandates.helpers import TEXT, act, submit

# --- lists and the card ---------------------------------------------------------------------


async def test_my_mandates_newest_first_in_pages(database, world, clock) -> None:
    ids = []
    for _ in range(7):
        ids.append((await submit(database, world.author, clock.now())).id)
        clock.advance(hours=1)
    await submit(database, world.member, clock.now())

    first = await act(database, queries.my_mandates, world.author, clock.now(), per_page=5)
    second = await act(database, queries.my_mandates, world.author, clock.now(), page=2, per_page=5)
    beyond = await act(database, queries.my_mandates, world.author, clock.now(), page=9, per_page=5)

    assert (first.total, first.pages, first.page) == (7, 2, 1)
    assert [m.id for m in first.items] == ids[::-1][:5]
    assert [m.id for m in second.items] == ids[::-1][5:]
    assert beyond.page == 2
    assert not beyond.has_next
    assert beyond.has_prev
    assert first.items[0].number == "20-03/2026/0007"
    assert first.items[0].status == "new"
    assert first.items[0].preview == TEXT


async def test_inbox_overdue_first_then_oldest(database, world, clock) -> None:
    start = clock.now()
    old_answered = await submit(database, world.author, start - timedelta(days=20))
    await act(database, decisions.accept_mandate, world.secretary, old_answered.id, start)
    overdue_late = await submit(database, world.author, start - timedelta(days=9))
    overdue_early = await submit(database, world.author, start - timedelta(days=10))
    fresh = await submit(database, world.author, start)
    closed = await submit(database, world.author, start - timedelta(days=30))
    await act(database, decisions.reject_mandate, world.secretary, closed.id, "Нет", start)
    await submit(database, world.foreign_member, start - timedelta(days=40))

    page = await act(database, queries.inbox, world.secretary, start)

    assert [m.id for m in page.items] == [
        overdue_early.id,
        overdue_late.id,
        old_answered.id,
        fresh.id,
    ]
    assert [m.overdue for m in page.items] == [True, True, False, False]
    curator = await act(database, queries.inbox, world.curator, start)
    assert [m.id for m in curator.items] == [m.id for m in page.items]
    with pytest.raises(AccessDenied):
        await act(database, queries.inbox, world.author, start)
    with pytest.raises(AccessDenied):
        await act(database, queries.inbox, world.secretary, start, branch_id=world.other_branch)


async def test_curator_list_filters_by_branch_and_status(database, world, clock) -> None:
    await make_user(database, 450, roles={Role.CURATOR: [world.branch, world.other_branch]})
    here = await submit(database, world.author, clock.now())
    there = await submit(database, world.foreign_member, clock.now())
    await act(database, decisions.accept_mandate, world.foreign_secretary, there.id, clock.now())
    await submit(database, world.author, clock.now(), category="roads")

    everything = await act(database, queries.curator_list, 450, clock.now())
    assert everything.total == 3
    one_branch = await act(
        database, queries.curator_list, 450, clock.now(), branch_id=world.other_branch
    )
    assert [m.id for m in one_branch.items] == [there.id]
    accepted = await act(database, queries.curator_list, 450, clock.now(), status="accepted")
    assert [m.id for m in accepted.items] == [there.id]
    new_here = await act(
        database, queries.curator_list, 450, clock.now(), branch_id=world.branch, status="new"
    )
    assert here.id in [m.id for m in new_here.items]
    assert new_here.total == 2
    with pytest.raises(InvalidInput):
        await act(database, queries.curator_list, 450, clock.now(), status="lost")
    with pytest.raises(AccessDenied):
        await act(
            database, queries.curator_list, world.curator, clock.now(), branch_id=world.far_branch
        )
    options = await act(database, queries.staff_branches, 450)
    assert [(b.number, b.id) for b in options] == [
        ("20-03", world.branch),
        ("20-04", world.other_branch),
    ]


async def test_the_card_has_photos_history_and_the_viewers_actions(database, world, clock) -> None:
    mandate = await submit(
        database,
        world.author,
        clock.now(),
        photos=["ph-1"],
        on_behalf="voter",
        voter_name="Пётр Петров",
        voter_phone="+7 918 123-45-67",
    )
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())

    card = await act(database, mandate_card, world.secretary, mandate.id, clock.now())

    assert (card.number, card.status, card.branch_number) == (
        "20-03/2026/0001",
        "accepted",
        "20-03",
    )
    assert (card.voter_name, card.voter_phone, card.photos) == (
        "Пётр Петров",
        "+79181234567",
        ["ph-1"],
    )
    assert [(h.action, h.actor_role) for h in card.history] == [
        ("submitted", "author"),
        ("accepted", "secretary"),
    ]
    assert card.viewer == "secretary"
    assert card.actions == {"resolve", "reject", "forward", "ask"}
    author_card = await act(database, mandate_card, world.author, mandate.id, clock.now())
    assert author_card.viewer == "author"
    assert author_card.actions == frozenset()


async def test_history_rows_are_kept_for_every_change(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now(), "Берём")
    await act(
        database, decisions.resolve_mandate, world.secretary, mandate.id, "Готово", clock.now()
    )
    await act(database, decisions.rate_mandate, world.author, mandate.id, 4, clock.now())
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(MandateEvent.action, MandateEvent.comment, MandateEvent.rating)
                .where(MandateEvent.mandate_id == mandate.id)
                .order_by(MandateEvent.id)
            )
        ).all()
    assert [tuple(r) for r in rows] == [
        ("submitted", None, None),
        ("accepted", "Берём", None),
        ("resolved", "Готово", None),
        ("rated", None, 4),
    ]
