"""The author's and the curator's side on a real database: the clarification round trip,
the rating, the curator's comment."""

from __future__ import annotations

import pytest

from bot.services.errors import AccessDenied, DomainError, InvalidInput
from bot.services.mandates import decisions, lifecycle
from bot.services.mandates.card import mandate_card
from tests.mandates.helpers import (
    act,
    buttons,
    events,
    get_mandate,
    notices_after,
    outbox,
    resolved,
    submit,
)
from tests.mandates.work_steps import ABOUT

# --- clarification ---------------------------------------------------------------------------


async def test_clarification_round_trip_returns_to_the_previous_status(
    database, world, clock
) -> None:
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    before = len(await outbox(database))

    await act(
        database,
        decisions.ask_clarification,
        world.secretary,
        mandate.id,
        "Какой <подъезд>?",
        clock.now(),
    )
    [question] = await notices_after(database, before)
    assert question.chat_id == world.author
    assert "Какой &lt;подъезд&gt;?" in question.payload["text"]
    assert buttons(question) == [f"md:answer:{mandate.id}"]
    assert (await get_mandate(database, mandate.id)).status == "clarification"
    card = await act(database, mandate_card, world.author, mandate.id, clock.now())
    assert card.question == "Какой <подъезд>?"
    assert "answer" in card.actions

    with pytest.raises(AccessDenied):  # only the author answers
        await act(
            database, decisions.answer_clarification, world.secretary, mandate.id, "Я", clock.now()
        )
    await act(
        database,
        decisions.answer_clarification,
        world.author,
        mandate.id,
        "Второй & третий",
        clock.now(),
    )

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.status_before_clarification) == ("accepted", None)
    [answer] = await notices_after(database, before + 1)
    assert answer.chat_id == world.secretary
    assert "ответил на вопрос" in answer.payload["text"]
    assert "Второй &amp; третий" in answer.payload["text"]
    assert "«в работе»" in answer.payload["text"]
    assert [e.action for e in await events(database, mandate.id)][-2:] == [
        "clarification_asked",
        "clarification_answered",
    ]
    with pytest.raises(DomainError) as twice:
        await act(
            database, decisions.answer_clarification, world.author, mandate.id, "Ещё", clock.now()
        )
    assert twice.value.code == "transition_not_allowed"


async def test_a_question_on_a_new_mandate_is_its_first_answer(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    await act(
        database, decisions.ask_clarification, world.admin, mandate.id, "Где именно?", clock.now()
    )
    before = len(await outbox(database))
    await act(
        database, decisions.answer_clarification, world.author, mandate.id, "У 3-го", clock.now()
    )

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.first_answered_at) == ("new", clock.now())
    clock.advance(days=10)
    assert not lifecycle.is_overdue(saved, clock.now())
    # The admin who asked hears the answer, and so does the branch's secretary.
    assert sorted(m.chat_id for m in await notices_after(database, before)) == sorted(
        [world.secretary, world.admin]
    )


# --- rating ---------------------------------------------------------------------------------


async def test_a_good_rating_is_kept_and_told_once(database, world, clock) -> None:
    mandate = await resolved(database, world, clock)
    before = len(await outbox(database))

    await act(database, decisions.rate_mandate, world.author, mandate.id, 5, clock.now())

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.rating, saved.rated_at) == ("resolved", 5, clock.now())
    [told] = await notices_after(database, before)
    assert (told.chat_id, told.payload["text"]) == (
        world.secretary,
        "⭐ Автор наказа № 20-03/2026/0001 оценил результат: 5 из 5." + ABOUT,
    )
    with pytest.raises(DomainError) as again:
        await act(database, decisions.rate_mandate, world.author, mandate.id, 4, clock.now())
    assert again.value.code == "already_rated"
    assert (await get_mandate(database, mandate.id)).rating == 5


@pytest.mark.parametrize("rating", [None, 1, 2])
async def test_no_or_a_low_rating_reopens(database, world, clock, rating) -> None:
    mandate = await resolved(database, world, clock)
    before = len(await outbox(database))

    await act(database, decisions.rate_mandate, world.author, mandate.id, rating, clock.now())

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.closed_at, saved.rating) == ("accepted", None, rating)
    last = (await events(database, mandate.id))[-1]
    assert (last.action, last.from_status, last.to_status, last.rating) == (
        "reopened",
        "resolved",
        "accepted",
        rating,
    )
    [told] = await notices_after(database, before)
    assert told.chat_id == world.secretary
    assert "Наказ снова в работе" in told.payload["text"]
    # A double tap on «Нет» changes nothing more.
    with pytest.raises(DomainError) as again:
        await act(database, decisions.rate_mandate, world.author, mandate.id, rating, clock.now())
    assert again.value.code == "already_rated"
    # Resolved again, it may be rated again.
    await act(
        database, decisions.resolve_mandate, world.secretary, mandate.id, "Теперь да", clock.now()
    )
    await act(database, decisions.rate_mandate, world.author, mandate.id, 4, clock.now())
    assert (await get_mandate(database, mandate.id)).rating == 4


async def test_rating_refused_out_of_place(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    with pytest.raises(DomainError) as not_resolved:
        await act(database, decisions.rate_mandate, world.author, mandate.id, 5, clock.now())
    assert not_resolved.value.code == "transition_not_allowed"
    with pytest.raises(InvalidInput) as invalid:
        await act(database, decisions.rate_mandate, world.author, mandate.id, 6, clock.now())
    assert invalid.value.code == "rating_invalid"


# --- curator's comment ----------------------------------------------------------------------


async def test_a_curators_comment_reaches_the_secretary_not_the_author(
    database, world, clock
) -> None:
    mandate = await submit(database, world.author, clock.now())
    before = len(await outbox(database))

    await act(
        database,
        decisions.comment_mandate,
        world.curator,
        mandate.id,
        "Ускорьте, <жалоба>",
        clock.now(),
    )

    [told] = await notices_after(database, before)
    assert told.chat_id == world.secretary
    assert told.payload["text"] == (
        "📝 Куратор оставил комментарий к наказу № 20-03/2026/0001:"
        + ABOUT
        + "\n\nУскорьте, &lt;жалоба&gt;"
    )
    last = (await events(database, mandate.id))[-1]
    assert (last.action, last.actor_role, last.comment) == (
        "comment",
        "curator",
        "Ускорьте, <жалоба>",
    )
    assert (await get_mandate(database, mandate.id)).status == "new"  # a comment is no answer
    author_view = await act(database, mandate_card, world.author, mandate.id, clock.now())
    staff_view = await act(database, mandate_card, world.secretary, mandate.id, clock.now())
    assert "comment" not in [h.action for h in author_view.history]
    assert "comment" in [h.action for h in staff_view.history]
