"""The secretary's decisions on a real database: each change with the notice it queues,
refused changes, two secretaries at once."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.errors import DomainError, InvalidInput
from bot.services.mandates import decisions
from bot.services.people import Role
from tests.harness.factories import make_user
from tests.mandates.helpers import act, buttons, events, get_mandate, notices_after, outbox, submit
from tests.mandates.work_steps import ABOUT

# --- the secretary's decisions and the author's notices -------------------------------------


async def test_accept_tells_the_author_and_marks_the_first_answer(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    before = len(await outbox(database))
    clock.advance(hours=5)

    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.first_answered_at) == ("accepted", clock.now())
    [notice] = await notices_after(database, before)
    assert notice.chat_id == world.author
    # The number, and which mandate it is for an author with several.
    assert notice.payload["text"] == ("🛠 Ваш наказ № 20-03/2026/0001 принят в работу." + ABOUT)
    assert "Сергей" not in notice.payload["text"]  # the secretary's name stays private
    last = (await events(database, mandate.id))[-1]
    assert (last.action, last.from_status, last.to_status, last.actor_id, last.actor_role) == (
        "accepted",
        "new",
        "accepted",
        world.secretary,
        "secretary",
    )


async def test_resolve_with_comment_asks_for_a_rating(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    before = len(await outbox(database))
    clock.advance(days=2)

    await act(
        database,
        decisions.resolve_mandate,
        world.secretary,
        mandate.id,
        "Фонари <заменены>",
        clock.now(),
    )

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.closed_at) == ("resolved", clock.now())
    [notice] = await notices_after(database, before)
    text = notice.payload["text"]
    assert notice.chat_id == world.author
    assert "✅ Ваш наказ № 20-03/2026/0001 выполнен." in text
    assert "Комментарий: Фонари &lt;заменены&gt;" in text
    assert "Удалось решить вопрос?" in text
    assert [b["text"] for row in notice.payload["buttons"] for b in row] == [  # 5 the best
        "⭐⭐⭐⭐⭐ 5 — отлично",
        "⭐⭐⭐⭐ 4 — хорошо",
        "⭐⭐⭐ 3 — так себе",
        "⭐⭐ 2 — плохо",
        "⭐ 1 — очень плохо",
        "❌ Нет, не решён",
    ]
    assert buttons(notice) == [f"mdr:{mandate.id}:{s}" for s in (5, 4, 3, 2, 1, 0)]
    assert (await events(database, mandate.id))[-1].comment == "Фонари <заменены>"


async def test_reject_needs_a_reason_and_tells_it(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    with pytest.raises(InvalidInput) as error:
        await act(
            database, decisions.reject_mandate, world.secretary, mandate.id, "   ", clock.now()
        )
    assert error.value.code == "mandate_note_empty"
    before = len(await outbox(database))

    await act(
        database,
        decisions.reject_mandate,
        world.secretary,
        mandate.id,
        "Не в компетенции",
        clock.now(),
    )

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.first_answered_at, saved.closed_at) == (
        "rejected",
        clock.now(),
        clock.now(),
    )
    [notice] = await notices_after(database, before)
    assert notice.chat_id == world.author
    assert notice.payload["text"] == (
        "❌ Ваш наказ № 20-03/2026/0001 отклонён." + ABOUT + "\nПричина: Не в компетенции"
    )


async def test_forward_names_the_authority(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    before = len(await outbox(database))

    await act(
        database,
        decisions.forward_mandate,
        world.secretary,
        mandate.id,
        "Администрация Прикубанского округа",
        clock.now(),
        comment="Письмо № 15",
    )

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.forwarded_to) == (
        "forwarded",
        "Администрация Прикубанского округа",
    )
    [notice] = await notices_after(database, before)
    assert notice.payload["text"] == (
        "📨 Ваш наказ № 20-03/2026/0001 передан в орган власти: "
        "Администрация Прикубанского округа." + ABOUT + "\n\nКомментарий: Письмо № 15"
    )
    # The authority's answer comes later: a forwarded mandate can still be resolved.
    await act(
        database, decisions.resolve_mandate, world.secretary, mandate.id, "Сделано", clock.now()
    )
    assert (await get_mandate(database, mandate.id)).status == "resolved"


async def test_two_secretaries_accepting_at_once_make_one_change(database, world, clock) -> None:
    await make_user(database, 310, roles={Role.SECRETARY: [world.branch]})
    mandate = await submit(database, world.author, clock.now())

    results = await asyncio.gather(
        act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now()),
        act(database, decisions.accept_mandate, 310, mandate.id, clock.now()),
        return_exceptions=True,
    )

    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 1
    assert refused[0].code == "transition_not_allowed"
    accepted = [e for e in await events(database, mandate.id) if e.action == "accepted"]
    assert len(accepted) == 1
