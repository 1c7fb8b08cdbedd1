"""Attendance through the dispatcher: the organiser's list of people paged in place with
its ticks and its .xlsx, the check-in code, a person's /checkin (with the code, alone, and
from the reminder's button), the rating and the comment, the feedback summary, and forged
buttons from people who may not manage the masterclass."""

from __future__ import annotations

import re
from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendDocument
from aiogram.types import BufferedInputFile

from bot.app import build_bot, build_dispatcher
from bot.services.masterclasses import checkin, feedback
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.audience import Audience, Scope
from bot.services.masterclasses.checkin import OPENS_BEFORE_START
from handlers.callbacks import AttendCb, MasterclassCb, MasterclassRateCb, OrganiserCb
from tests.harness.client import BotClient
from tests.harness.session import RecordingSession
from tests.mandates.helpers import act
from tests.masterclasses.helpers import (
    CROWD_FROM,
    add_members,
    create,
    for_branch,
    fresh,
    registrations,
)

DENIED = "⛔ Нет доступа."


def people(masterclass_id: int, page: int = 1) -> str:
    return OrganiserCb(action="people", id=masterclass_id, page=page).pack()


def organiser(action: str, masterclass_id: int, page: int = 1) -> str:
    return OrganiserCb(action=action, id=masterclass_id, page=page).pack()


def last_answer(recording) -> str | None:
    return recording.sent(AnswerCallbackQuery)[-1].text


def edits(recording, chat_id: int) -> list[EditMessageText]:
    return [e for e in recording.sent(EditMessageText) if e.chat_id == chat_id]


def labels(markup) -> list[str]:
    return [b.text for row in markup.inline_keyboard for b in row]


def data_of(markup, label: str) -> str:
    for row in markup.inline_keyboard:
        for button in row:
            if label in button.text:
                return button.callback_data
    raise AssertionError(f"no {label!r} in {labels(markup)}")


async def _with_people(database, world, clock, capacity=None):
    masterclass = await for_branch(world, database, clock.now(), capacity=capacity)
    for user in (world.author, world.member):
        await act(database, reg.register, user, masterclass.id, clock.now())
    return masterclass


async def _attended(database, world, clock):
    """A masterclass that is over, the author marked present, the member not."""
    masterclass = await _with_people(database, world, clock)
    clock.set(masterclass.starts_at)
    await act(
        database,
        checkin.mark_present,
        world.curator,
        masterclass.id,
        world.author,
        True,
        clock.now(),
    )
    clock.set(masterclass.starts_at + timedelta(minutes=100))
    return masterclass


# --- the list of people ------------------------------------------------------------------


async def test_nobody_registered_says_so(database, world, clock, make_client):
    masterclass = await for_branch(world, database, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(people(masterclass.id))
    assert "Пока никто не записался." in curator.last_text
    edit = edits(curator.session, world.curator)[-1]
    assert labels(edit.reply_markup) == ["⬅️ К карточке"]
    assert data_of(edit.reply_markup, "К карточке") == organiser("card", masterclass.id)


async def test_registered_then_waiting_with_branches_and_ticks(
    database, world, clock, make_client, recording
):
    masterclass = await _with_people(database, world, clock, capacity=1)
    curator = make_client(world.curator)
    await curator.click_data(people(masterclass.id), message_id=7)
    text = curator.last_text
    assert "Записаны: 1 из 1 · в очереди: 1 · отмечены на месте: 0" in text
    assert "1. Анна Автор — ПО 20-03" in text
    assert "2. Михаил — ПО 20-03" in text
    assert "1-й в очереди" in text
    assert text.index("Анна Автор") < text.index("В очереди") < text.index("Михаил")
    markup = edits(recording, world.curator)[-1].reply_markup
    # One tick, for the seated person only; the file and the way back.
    assert labels(markup) == ["⬜ 1. Анна Автор", "📊 Скачать .xlsx", "⬅️ К карточке"]
    assert last_answer(recording) is None  # answered, silently

    await curator.click_data(data_of(markup, "Анна"), message_id=7)
    [author] = [
        r for r in await registrations(database, masterclass.id) if r.user_id == world.author
    ]
    assert author.attended
    edit = edits(recording, world.curator)[-1]
    assert edit.message_id == 7  # redrawn in place
    assert "1. ✅ Анна Автор" in edit.text
    assert "отмечены на месте: 1" in edit.text
    assert labels(edit.reply_markup)[0] == "✅ 1. Анна Автор"

    await curator.click_data(data_of(edit.reply_markup, "Анна"), message_id=7)
    [author] = [
        r for r in await registrations(database, masterclass.id) if r.user_id == world.author
    ]
    assert not author.attended
    assert "⬜ 1. Анна Автор" in labels(edits(recording, world.curator)[-1].reply_markup)


async def test_the_list_pages_in_place(database, world, clock, make_client, recording):
    masterclass = await for_branch(world, database, clock.now())
    crowd = list(range(CROWD_FROM, CROWD_FROM + 12))
    await add_members(database, world.branch, *crowd)
    for user in crowd:
        await act(database, reg.register, user, masterclass.id, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(people(masterclass.id), message_id=9)
    first = edits(recording, world.curator)[-1]
    assert "Страница 1 из 2" in first.text
    assert "10. Участник" in first.text
    assert "11. Участник" not in first.text
    await curator.click_data(data_of(first.reply_markup, "▶️"), message_id=9)
    second = edits(recording, world.curator)[-1]
    assert second.message_id == 9
    assert "Страница 2 из 2" in second.text
    assert "11. Участник" in second.text
    # A tick on page 2 redraws page 2.
    await curator.click_data(data_of(second.reply_markup, "12."), message_id=9)
    assert "Страница 2 из 2" in edits(recording, world.curator)[-1].text
    # A forged page number shows a real page.
    await curator.click_data(people(masterclass.id, page=99), message_id=9)
    assert "Страница 2 из 2" in edits(recording, world.curator)[-1].text


async def test_the_xlsx_is_sent_with_the_date_in_its_name(
    database, world, clock, make_client, recording
):
    masterclass = await _with_people(database, world, clock)
    curator = make_client(world.curator)
    await curator.click_data(AttendCb(action="xlsx", id=masterclass.id).pack())
    [document] = recording.sent(SendDocument)
    assert document.chat_id == world.curator
    assert isinstance(document.document, BufferedInputFile)
    day = masterclass.starts_at.strftime("%Y-%m-%d")
    assert document.document.filename == f"uchastniki_{day}_mk{masterclass.id}.xlsx"
    assert document.document.data[:2] == b"PK"
    assert "Список участников" in (document.caption or "")


async def test_forged_organiser_buttons_are_refused(database, world, clock, make_client, recording):
    masterclass = await _with_people(database, world, clock)
    clock.set(masterclass.starts_at)
    [author_reg] = [
        r for r in await registrations(database, masterclass.id) if r.user_id == world.author
    ]
    for who in (world.foreign_curator, world.author, world.secretary):
        client = make_client(who)
        for action in ("people", "code", "feedback"):
            await client.click_data(organiser(action, masterclass.id))
            assert last_answer(recording) == DENIED, (who, action)
        await client.click_data(AttendCb(action="xlsx", id=masterclass.id).pack())
        assert last_answer(recording) == DENIED
        await client.click_data(AttendCb(action="tick", id=author_reg.id).pack())
        assert last_answer(recording) == DENIED
    # Not there at all: the same answer.
    curator = make_client(world.curator)
    await curator.click_data(organiser("people", 999_999))
    assert last_answer(recording) == DENIED
    await curator.click_data(AttendCb(action="tick", id=999_999).pack())
    assert last_answer(recording) == DENIED
    assert not recording.sent(SendDocument)
    assert not any(r.attended for r in await registrations(database, masterclass.id))
    assert (await fresh(database, masterclass.id)).checkin_code is None


async def test_a_tick_with_a_registration_of_another_organisers_masterclass(
    database, world, clock, make_client, recording
):
    """The curator's own list gives registration ids; one of the foreign curator's
    masterclass, forged into a tick, is refused and changes nothing."""
    await _with_people(database, world, clock)
    theirs = await create(
        database,
        world.foreign_curator,
        clock.now() + timedelta(days=2),
        clock.now(),
        audience=Audience(Scope.BRANCH, world.other_branch),
    )
    await act(database, reg.register, world.foreign_member, theirs.id, clock.now())
    [other] = await registrations(database, theirs.id)
    clock.set(theirs.starts_at)
    await make_client(world.curator).click_data(AttendCb(action="tick", id=other.id).pack())
    assert last_answer(recording) == DENIED
    assert not (await registrations(database, theirs.id))[0].attended


# --- the code, for the organiser ---------------------------------------------------------


async def test_the_code_opens_half_an_hour_before_the_start(
    database, world, clock, make_client, recording
):
    masterclass = await _with_people(database, world, clock)
    curator = make_client(world.curator)
    await curator.click_data(organiser("code", masterclass.id))
    answer = last_answer(recording) or ""
    assert answer.startswith("Код появится за полчаса до начала")
    assert (await fresh(database, masterclass.id)).checkin_code is None

    clock.set(masterclass.starts_at - OPENS_BEFORE_START)
    await curator.click_data(organiser("code", masterclass.id), message_id=5)
    code = (await fresh(database, masterclass.id)).checkin_code
    assert code is not None
    edit = edits(recording, world.curator)[-1]
    assert edit.message_id == 5
    assert f"Назовите его в зале: участники отправят /checkin {code}" in edit.text
    assert labels(edit.reply_markup) == ["⬅️ К карточке"]

    saved = await fresh(database, masterclass.id)
    assert saved.checkin_expires_at is not None
    clock.set(saved.checkin_expires_at + timedelta(minutes=1))
    await curator.click_data(organiser("code", masterclass.id), message_id=5)
    assert (last_answer(recording) or "").startswith("Срок действия кода истёк")


# --- /checkin ----------------------------------------------------------------------------


async def _open(database, world, clock, make_client) -> tuple[int, str]:
    masterclass = await _with_people(database, world, clock)
    clock.set(masterclass.starts_at)
    await make_client(world.curator).click_data(organiser("code", masterclass.id))
    code = (await fresh(database, masterclass.id)).checkin_code
    assert code is not None
    return masterclass.id, code


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


async def _present(database, masterclass_id: int) -> dict[int, bool]:
    return {r.user_id: r.attended for r in await registrations(database, masterclass_id)}


async def test_checkin_with_the_code_in_the_command(database, world, clock, make_client):
    masterclass_id, code = await _open(database, world, clock, make_client)
    author = make_client(world.author)
    await author.send(f"/checkin {code}")
    assert author.last_text.startswith("✅ Вы отмечены на мастер-классе «Как работать с наказами»")
    assert (await _present(database, masterclass_id))[world.author]


async def test_a_wrong_code_asks_again_and_the_next_message_is_the_code(
    database, world, clock, make_client, recording
):
    masterclass_id, code = await _open(database, world, clock, make_client)
    author = make_client(world.author)
    await author.send(f"/checkin {_wrong(code)}")
    assert author.last_text.startswith("⚠️ Код не подходит.")
    assert "Напишите код отметки — 4 цифры" in author.last_text
    await author.send("48")
    assert author.last_text.startswith("⚠️ Код — 4 цифры")
    # One copy of the question in the chat.
    assert sum("Напишите код" in (m["text"] or "") for m in author.messages()) == 1
    await author.send_sticker()
    assert author.last_text.startswith("⚠️ Нужен код цифрами")
    await author.send(code)
    assert author.last_text.startswith("✅ Вы отмечены")
    assert (await _present(database, masterclass_id))[world.author]
    await author.send("1234")  # the question is over: not taken as a code
    assert "Вы отмечены" not in author.last_text


async def test_checkin_alone_asks_for_the_code_and_cancel_leaves(
    database, world, clock, make_client
):
    masterclass_id, code = await _open(database, world, clock, make_client)
    author = make_client(world.author)
    await author.send("/checkin")
    assert "Напишите код отметки — 4 цифры" in author.last_text
    assert "Например: 4821" in author.last_text
    await author.send("/cancel")
    assert author.last_text == "Отменено. Вы в главном меню."
    await author.send(code)
    assert not (await _present(database, masterclass_id))[world.author]
    await author.send("/checkin")
    await author.send(code)
    assert author.last_text.startswith("✅ Вы отмечены")


async def test_the_reminders_button_asks_for_that_masterclasss_code(
    database, world, clock, make_client, recording
):
    masterclass_id, code = await _open(database, world, clock, make_client)
    member = make_client(world.member)
    await member.click_data(MasterclassCb(action="checkin", id=masterclass_id).pack())
    assert "Отметка на мастер-классе «Как работать с наказами»" in member.last_text
    await member.send(code)
    assert member.last_text.startswith("✅ Вы отмечены")
    assert (await _present(database, masterclass_id))[world.member]
    # Someone without a seat there: a clear refusal, no question.
    stranger = make_client(world.foreign_member)
    await stranger.click_data(MasterclassCb(action="checkin", id=masterclass_id).pack())
    assert (
        last_answer(recording)
        == "Отметиться можно только на мастер-классе, на который вы записаны."
    )
    await stranger.click_data(MasterclassCb(action="checkin", id=999_999).pack())
    assert (
        last_answer(recording)
        == "Отметиться можно только на мастер-классе, на который вы записаны."
    )


async def test_checkin_before_the_code_and_after_it_expired(database, world, clock, make_client):
    masterclass = await _with_people(database, world, clock)
    author = make_client(world.author)
    await author.send("/checkin 4821")
    assert author.last_text.startswith("Отметка ещё не открыта")
    clock.set(masterclass.starts_at)
    await make_client(world.curator).click_data(organiser("code", masterclass.id))
    saved = await fresh(database, masterclass.id)
    assert saved.checkin_expires_at is not None
    clock.set(saved.checkin_expires_at + timedelta(minutes=1))
    await author.send(f"/checkin {saved.checkin_code}")
    assert author.last_text.startswith("Срок действия кода истёк")


# --- the rating and the comment ----------------------------------------------------------


def rate_data(masterclass_id: int, score: int) -> str:
    return MasterclassRateCb(id=masterclass_id, score=score).pack()


async def _rating(database, masterclass_id: int, user_id: int) -> tuple[int | None, str | None]:
    [mine] = [r for r in await registrations(database, masterclass_id) if r.user_id == user_id]
    return mine.rating, mine.comment


async def test_a_rating_then_a_comment(database, world, clock, make_client, recording):
    masterclass = await _attended(database, world, clock)
    author = make_client(world.author)
    await author.click_data(rate_data(masterclass.id, 4), message_id=11)
    edit = edits(recording, world.author)[-1]
    assert edit.message_id == 11  # the request itself turns into the thanks
    assert "Спасибо за оценку «Как работать с наказами»: ⭐⭐⭐⭐ (4 из 5)" in edit.text
    assert "до 1000 символов" in edit.text
    assert labels(edit.reply_markup) == ["Пропустить"]
    assert await _rating(database, masterclass.id, world.author) == (4, None)

    await author.send("x" * 1001)
    assert author.last_text.startswith("⚠️ Комментарий слишком длинный: не больше 1000 символов.")
    await author.send_sticker()
    assert author.last_text.startswith("⚠️ Комментарий нужен текстом")
    await author.send("Очень полезно <про наказы>")
    assert author.last_text.startswith("💬 Спасибо! Комментарий сохранён: организатор")
    assert await _rating(database, masterclass.id, world.author) == (
        4,
        "Очень полезно <про наказы>",
    )
    # Only one question's button is left in the chat: none.
    assert author.buttons() == []

    await author.click_data(rate_data(masterclass.id, 5), message_id=11)
    assert last_answer(recording) == "Вы уже оценили этот мастер-класс."
    assert await _rating(database, masterclass.id, world.author) == (
        4,
        "Очень полезно <про наказы>",
    )


async def test_skip_leaves_the_comment_question(database, world, clock, make_client, recording):
    masterclass = await _attended(database, world, clock)
    author = make_client(world.author)
    await author.click_data(rate_data(masterclass.id, 5), message_id=12)
    await author.click_data(AttendCb(action="skip", id=masterclass.id).pack(), message_id=12)
    assert last_answer(recording) == "Хорошо, без комментария."
    await author.send("это уже не комментарий")
    assert await _rating(database, masterclass.id, world.author) == (5, None)


async def test_only_those_present_may_rate(database, world, clock, make_client, recording):
    masterclass = await _attended(database, world, clock)
    for who in (world.member, world.foreign_member):  # registered but absent; a stranger
        await make_client(who).click_data(rate_data(masterclass.id, 5))
        assert last_answer(recording) == "Оценить мастер-класс могут только те, кто на нём был."
    assert await _rating(database, masterclass.id, world.member) == (None, None)


async def test_cancel_leaves_the_comment_question(database, world, clock, make_client):
    masterclass = await _attended(database, world, clock)
    author = make_client(world.author)
    await author.click_data(rate_data(masterclass.id, 3))
    await author.send("/cancel")
    await author.send("не комментарий")
    assert await _rating(database, masterclass.id, world.author) == (3, None)


# --- the feedback, for the organiser -----------------------------------------------------


async def test_the_feedback_summary_escapes_and_pages_the_comments(
    database, world, clock, make_client, recording
):
    masterclass = await for_branch(world, database, clock.now())
    crowd = list(range(CROWD_FROM, CROWD_FROM + 8))
    await add_members(database, world.branch, *crowd)
    for user in crowd:
        await act(database, reg.register, user, masterclass.id, clock.now())
    clock.set(masterclass.starts_at)
    for user in crowd:
        await act(
            database, checkin.mark_present, world.curator, masterclass.id, user, True, clock.now()
        )
    clock.set(masterclass.starts_at + timedelta(hours=2))
    for n, user in enumerate(crowd):
        await act(database, feedback.rate, user, masterclass.id, 5 if n % 2 else 4, clock.now())
        await act(
            database, feedback.comment, user, masterclass.id, f"<i>{n}</i>" + "&" * 990, clock.now()
        )

    curator = make_client(world.curator)
    await curator.click_data(organiser("feedback", masterclass.id), message_id=21)
    first = edits(recording, world.curator)[-1]
    assert "Были на мастер-классе: 8 · оценок: 8" in first.text
    assert "Средняя оценка: <b>4,5</b> из 5" in first.text
    assert "&lt;i&gt;0&lt;/i&gt;" in first.text
    assert "<i>" not in first.text
    assert len(first.text) < 4096
    assert "Страница 1 из" in first.text
    seen = len(re.findall(r"⭐ [45] — ", first.text))
    page = first
    while "▶️" in labels(page.reply_markup):
        await curator.click_data(data_of(page.reply_markup, "▶️"), message_id=21)
        page = edits(recording, world.curator)[-1]
        assert page.message_id == 21
        assert len(page.text) < 4096
        seen += len(re.findall(r"⭐ [45] — ", page.text))
    assert seen == 8
    assert "⬅️ К карточке" in labels(page.reply_markup)


async def test_no_feedback_yet(database, world, clock, make_client, recording):
    masterclass = await _with_people(database, world, clock)
    curator = make_client(world.curator)
    await curator.click_data(organiser("feedback", masterclass.id))
    text = edits(recording, world.curator)[-1].text
    assert "Оценок пока нет" in text
    assert "Комментариев пока нет." in text


async def test_the_code_question_survives_a_restart(database, settings, world, clock, make_client):
    masterclass_id, code = await _open(database, world, clock, make_client)
    await make_client(world.author).click_data(
        MasterclassCb(action="checkin", id=masterclass_id).pack()
    )
    # The process dies; a new one, on the same database, takes the next message.
    again = build_dispatcher(settings, database, clock=clock, start_background=False)
    author = BotClient(again, build_bot(settings, RecordingSession()), world.author)
    await author.send(code)
    assert author.last_text.startswith("✅ Вы отмечены на мастер-классе")
    assert (await _present(database, masterclass_id))[world.author]
