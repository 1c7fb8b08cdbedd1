"""Mandate services on a real SQLite database: submission and numbering, similar mandates
and support, every status change with the notice it queues, refused changes, the
clarification round trip, rating, deadlines and the lists.

Tests are `async` even where nothing awaits: looptime's pytest plugin opens an event loop
for sync tests and never closes it, which `filterwarnings=error` turns into failures."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from bot.services.errors import AccessDenied, DomainError, InvalidInput
from bot.services.mandates import decisions, lifecycle, queries, similarity, submission
from bot.services.mandates.card import mandate_card
from bot.services.mandates.draft import (
    MAX_PHOTOS,
    TEXT_MAX,
    TEXT_MIN,
    MandateDraft,
    MandateRules,
    categories,
    normalize_phone,
    validate_photos,
    validate_text,
    validate_voter_name,
)
from bot.services.people import Role
from storage.models import Mandate, MandateEvent, MandatePhoto, OutboxMessage
from tests.harness.factories import make_branch, make_user
from tests.mandate_helpers import (
    SLA_DAYS,
    TEXT,
    act,
    draft,
    events,
    get_mandate,
    outbox,
    person,
    submit,
)

UNRELATED = "Нужно отремонтировать дорогу на проспекте Мира, сплошные ямы после зимы"


def buttons(message: OutboxMessage) -> list[str]:
    return [b["callback_data"] for row in message.payload.get("buttons", []) for b in row]


async def count(database, model) -> int:
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


# --- the draft's checks --------------------------------------------------------------------


async def test_text_limits_are_named_in_the_error() -> None:
    assert validate_text("  " + "а" * TEXT_MIN + "  ") == "а" * TEXT_MIN
    with pytest.raises(InvalidInput) as short:
        validate_text("Яма")
    assert short.value.code == "mandate_text_too_short"
    assert short.value.params == {"min": TEXT_MIN, "max": TEXT_MAX, "length": 3}
    with pytest.raises(InvalidInput) as long:
        validate_text("а" * (TEXT_MAX + 1))
    assert (long.value.code, long.value.params["max"]) == ("mandate_text_too_long", TEXT_MAX)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8 (918) 123-45-67", "+79181234567"),
        ("+7 918 123 45 67", "+79181234567"),
        ("9181234567", "+79181234567"),
        ("+375 29 123-45-67", "+375291234567"),  # a Belarusian number with its code
    ],
)
async def test_phone_is_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["123", "позвоните мне", "+7 918 123", "8 800 000 00 00 00"])
async def test_a_wrong_phone_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_phone(raw)
    assert error.value.code == "phone_invalid"


async def test_voter_name() -> None:
    assert validate_voter_name("  Мария   Ивановна  ") == "Мария Ивановна"
    assert validate_voter_name("Анна-Мария О'Нил") == "Анна-Мария О'Нил"
    for bad in ["", "А", "Иван 2", "!!!", "a" * 201]:
        with pytest.raises(InvalidInput) as error:
            validate_voter_name(bad)
        assert error.value.code == "voter_name_invalid"


async def test_photos_limit_and_categories() -> None:
    assert validate_photos(["a", "b", "a"]) == ["a", "b"]
    with pytest.raises(InvalidInput) as error:
        validate_photos([str(i) for i in range(MAX_PHOTOS + 1)])
    assert error.value.params == {"max": MAX_PHOTOS}
    names = dict(categories())
    assert names["housing"] == "ЖКХ"
    assert names["other"] == "Другое"
    assert len(names) == 10


async def test_draft_survives_json_and_validates_a_voters_mandate() -> None:
    original = MandateDraft(
        category="roads",
        text=TEXT,
        latitude=45.03,
        longitude=38.97,
        photos=["p1", "p2"],
        on_behalf="voter",
        voter_name=" Пётр  Петров ",
        voter_phone="8 918 123-45-67",
    )
    restored = MandateDraft.from_dict(json.loads(json.dumps(original.to_dict())))
    assert restored == original
    clean = restored.validated()
    assert (clean.voter_name, clean.voter_phone) == ("Пётр Петров", "+79181234567")
    with pytest.raises(InvalidInput) as error:
        MandateDraft(category="roads", text=TEXT, on_behalf="voter").validated()
    assert error.value.code == "voter_name_invalid"


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
    with pytest.raises(DomainError) as no_branch:
        await submit(database, world.secretary, clock.now())
    assert no_branch.value.code == "mandate_no_branch"
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
    assert "1 сторонник" in told[0].payload["text"]

    with pytest.raises(DomainError) as own:
        await act(database, similarity.support_mandate, world.author, mandate.id, clock.now())
    assert own.value.code == "mandate_support_own"
    with pytest.raises(AccessDenied):
        await act(
            database, similarity.support_mandate, world.foreign_member, mandate.id, clock.now()
        )
    assert (await get_mandate(database, mandate.id)).supporters == 1


# --- the secretary's decisions and the author's notices -------------------------------------


async def _notices_after(database, before: int) -> list[OutboxMessage]:
    return (await outbox(database))[before:]


async def test_accept_tells_the_author_and_marks_the_first_answer(database, world, clock) -> None:
    mandate = await submit(database, world.author, clock.now())
    before = len(await outbox(database))
    clock.advance(hours=5)

    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.first_answered_at) == ("accepted", clock.now())
    [notice] = await _notices_after(database, before)
    assert notice.chat_id == world.author
    assert notice.payload["text"] == "🛠 Ваш наказ № 20-03/2026/0001 принят в работу."
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
    [notice] = await _notices_after(database, before)
    text = notice.payload["text"]
    assert notice.chat_id == world.author
    assert "✅ Ваш наказ № 20-03/2026/0001 выполнен." in text
    assert "Комментарий: Фонари &lt;заменены&gt;" in text
    assert "Удалось решить вопрос?" in text
    assert [b["text"] for row in notice.payload["buttons"] for b in row] == [
        "1",
        "2",
        "3",
        "4",
        "5",
        "Нет",
    ]
    assert buttons(notice) == [f"mdr:{mandate.id}:{s}" for s in (1, 2, 3, 4, 5, 0)]
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
    [notice] = await _notices_after(database, before)
    assert notice.chat_id == world.author
    assert notice.payload["text"] == (
        "❌ Ваш наказ № 20-03/2026/0001 отклонён.\nПричина: Не в компетенции"
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
    [notice] = await _notices_after(database, before)
    assert notice.payload["text"] == (
        "📨 Ваш наказ № 20-03/2026/0001 передан в орган власти: "
        "Администрация Прикубанского округа.\n\nКомментарий: Письмо № 15"
    )
    # The authority's answer comes later: a forwarded mandate can still be resolved.
    await act(
        database, decisions.resolve_mandate, world.secretary, mandate.id, "Сделано", clock.now()
    )
    assert (await get_mandate(database, mandate.id)).status == "resolved"


@pytest.mark.parametrize(
    ("setup", "refused"),
    [
        (["accept"], "accept"),  # a double tap on «Принять»
        (["reject"], "resolve"),  # resolving a rejected one
        ([], "resolve"),  # resolving one nobody accepted
        (["accept", "resolve"], "reject"),
        (["accept", "resolve"], "ask"),
        (["ask"], "ask"),
        (["accept", "forward"], "forward"),
    ],
)
async def test_a_change_not_allowed_is_refused_and_changes_nothing(
    database, world, clock, setup: list[str], refused: str
) -> None:
    calls = {
        "accept": (decisions.accept_mandate, ()),
        "resolve": (decisions.resolve_mandate, ("Сделано",)),
        "reject": (decisions.reject_mandate, ("Причина",)),
        "ask": (decisions.ask_clarification, ("Какой подъезд?",)),
        "forward": (decisions.forward_mandate, ("Администрация",)),
    }
    mandate = await submit(database, world.author, clock.now())
    for step in setup:
        fn, args = calls[step]
        await act(database, fn, world.secretary, mandate.id, *args, clock.now())
    before = await get_mandate(database, mandate.id)
    history, sent = await events(database, mandate.id), await outbox(database)
    clock.advance(minutes=1)

    fn, args = calls[refused]
    with pytest.raises(DomainError) as error:
        await act(database, fn, world.secretary, mandate.id, *args, clock.now())

    assert error.value.code == "transition_not_allowed"
    assert error.value.params["number"] == "20-03/2026/0001"
    after = await get_mandate(database, mandate.id)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert len(await events(database, mandate.id)) == len(history)
    assert len(await outbox(database)) == len(sent)


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
    [question] = await _notices_after(database, before)
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
    [answer] = await _notices_after(database, before + 1)
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
    assert sorted(m.chat_id for m in await _notices_after(database, before)) == sorted(
        [world.secretary, world.admin]
    )


# --- rating ---------------------------------------------------------------------------------


async def _resolved(database, world, clock) -> Mandate:
    mandate = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
    await act(
        database, decisions.resolve_mandate, world.secretary, mandate.id, "Готово", clock.now()
    )
    return mandate


async def test_a_good_rating_is_kept_and_told_once(database, world, clock) -> None:
    mandate = await _resolved(database, world, clock)
    before = len(await outbox(database))

    await act(database, decisions.rate_mandate, world.author, mandate.id, 5, clock.now())

    saved = await get_mandate(database, mandate.id)
    assert (saved.status, saved.rating, saved.rated_at) == ("resolved", 5, clock.now())
    [told] = await _notices_after(database, before)
    assert (told.chat_id, told.payload["text"]) == (
        world.secretary,
        "⭐ Автор наказа № 20-03/2026/0001 оценил результат: 5 из 5.",
    )
    with pytest.raises(DomainError) as again:
        await act(database, decisions.rate_mandate, world.author, mandate.id, 4, clock.now())
    assert again.value.code == "already_rated"
    assert (await get_mandate(database, mandate.id)).rating == 5


@pytest.mark.parametrize("rating", [None, 1, 2])
async def test_no_or_a_low_rating_reopens(database, world, clock, rating) -> None:
    mandate = await _resolved(database, world, clock)
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
    [told] = await _notices_after(database, before)
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

    [told] = await _notices_after(database, before)
    assert told.chat_id == world.secretary
    assert told.payload["text"] == (
        "📝 Куратор оставил комментарий к наказу № 20-03/2026/0001:\n\nУскорьте, &lt;жалоба&gt;"
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


async def test_submission_uses_the_sla_setting(database, world, clock) -> None:
    author = await person(database, world.author)
    async with database.transaction() as session:
        mandate = await submission.submit_mandate(
            session, author, draft(), clock.now(), MandateRules(sla_days=1)
        )
    assert mandate.due_at == datetime(2026, 11, 24, 21, 0, tzinfo=UTC)  # end of Tuesday
    assert SLA_DAYS == 3


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
