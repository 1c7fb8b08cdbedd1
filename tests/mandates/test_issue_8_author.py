"""Issue #8, the author's side: mandates as people meet them. Each test goes through the
dispatcher and guards one point of the issue (its number in the test's name)."""

from __future__ import annotations

from datetime import UTC, datetime

from aiogram.methods import (
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    SendVenue,
    SendVoice,
)
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, Message, PhotoSize, Voice
from sqlalchemy import select

from bot.services.mandates import decisions
from storage.models import MandatePhoto
from tests.harness.session import BOT_USER
from tests.mandates.helpers import act, events, get_mandate, resolved, submit
from tests.mandates.submit_steps import (
    MEMBER,
    SECRETARY,
    TEXT,
    fsm_state,
    queued,
    saved_mandates,
    to_address,
    to_photos,
    to_text,
)
from tests.mandates.work_steps import notice_button, notices_to

# --- 6: one message per question ---------------------------------------------------------


def _visible(user) -> list[dict]:
    return [m for m in user.messages() if m["text"]]


def _copies(user, marker: str) -> int:
    return sum(marker in m["text"] for m in _visible(user))


async def test_6_a_whole_submission_has_one_message_per_question(
    database, make_client, branch, recording
):
    """Four mistakes and two changes from the summary: each question is one message in the
    chat at the end (its refused copies are gone), each mistake costs one message, and
    there is one summary."""
    user = make_client(MEMBER)
    await user.send("/mandate")
    await user.send("ЖКХ")  # mistake 1: typed where a button is asked
    assert len(user.replies()) == 1
    await user.click("ЖКХ")
    await user.send_sticker()  # mistake 2
    assert len(user.replies()) == 1
    await user.send("Нет света")  # mistake 3: too short
    assert len(user.replies()) == 1
    await user.send(TEXT)
    await user.send_sticker()  # mistake 4: a sticker for the address
    assert len(user.replies()) == 1
    await user.send("ул. Мира, 12")
    await user.send_photo("p1", media_group_id="a1")
    await user.send_photo("p2", media_group_id="a1")
    await user.click("Готово")
    await user.click("Мой")
    # Two changes from the summary: one typed, one with a button.
    await user.click("Изменить")
    await user.click("Текст")
    await user.send(TEXT + ", и во дворе дома 14 тоже")
    await user.click("Изменить")
    await user.click("Категория")
    await user.click("Благоустройство")

    for marker in (
        "Выберите категорию",
        "Шаг 2 из 5",
        "Шаг 3 из 5",
        "Шаг 4 из 5",
        "Шаг 5 из 5",
        "Проверьте наказ",
    ):
        assert _copies(user, marker) <= 1, marker
    assert _copies(user, "Проверьте наказ") == 1
    summary = _visible(user)[-1]["text"]
    assert "Благоустройство" in summary
    assert "и во дворе дома 14 тоже" in summary
    # Nothing else was sent besides the questions: the only extra message is the one that
    # takes the location keyboard away («📍 Адрес записан»).
    extra = [
        m["text"]
        for m in _visible(user)
        if not any(k in m["text"] for k in ("Шаг", "Проверьте", "Выберите категорию"))
    ]
    assert extra == ["📍 Адрес записан: ул. Мира, 12"]
    assert recording.sent(DeleteMessage)  # the refused copies were taken away

    await user.click("Отправить")
    [mandate] = await saved_mandates(database)
    assert mandate.category == "improvement"


async def test_6_a_refused_answer_is_one_message_under_the_persons(make_client, branch):
    user = make_client(MEMBER)
    await to_text(user)
    question = _visible(user)[-1]["message_id"]
    await user.send("Нет света")
    [reply] = user.replies()
    assert reply.startswith("⚠️ Слишком коротко")
    assert "Шаг 2 из 5" in reply
    assert question not in [m["message_id"] for m in user.messages()]  # the old copy went


async def test_6_single_photos_keep_one_counter(make_client, branch):
    user = make_client(MEMBER)
    await to_photos(user)
    for n in range(3):
        await user.send_photo(f"s{n}")
    assert _copies(user, "Шаг 4 из 5") == 1
    assert _copies(user, "Приложено фото") == 1  # not one counter per photo
    assert "3 из 5" in _visible(user)[-1]["text"]


# --- 11: captions and voice messages -----------------------------------------------------


async def _send_photo(user, file_id: str, caption: str) -> None:
    photo = [PhotoSize(file_id=file_id, file_unique_id=file_id, width=10, height=10)]
    await user.send(photo=photo, caption=caption)


async def test_11_a_photo_with_a_caption_where_the_text_is_asked(database, make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)
    await _send_photo(user, "with-caption", TEXT)
    assert "Текст наказа взят из подписи к фото" in user.last_text
    assert "Шаг 3 из 5" in user.last_text
    _, data = await fsm_state(dp, user)
    assert data["draft"]["text"] == TEXT
    assert data["draft"]["photos"] == ["with-caption"]


async def test_11_captions_at_the_photo_step_reach_the_secretary(
    database, make_client, branch, dp, recording
):
    user = make_client(MEMBER)
    await to_photos(user)
    await _send_photo(user, "p1", "Вид со двора")
    await user.send(voice=Voice(file_id="voice-1", file_unique_id="v1", duration=7))
    assert "Голосовых сообщений: 1" in user.last_text
    await user.click("Готово")
    await user.click("Мой")
    assert "с подписью: 1" in user.last_text
    assert "Голосовые сообщения:</b> 1" in user.last_text
    await user.click("Отправить")
    async with database.sessions() as session:
        rows = (
            await session.execute(
                select(MandatePhoto.file_id, MandatePhoto.kind, MandatePhoto.caption).order_by(
                    MandatePhoto.position
                )
            )
        ).all()
    assert [tuple(r) for r in rows] == [("p1", "photo", "Вид со двора"), ("voice-1", "voice", None)]
    [notice] = [n for n in await queued(database) if n.chat_id == SECRETARY]
    assert "Голосовых сообщений: 1" in notice.payload["text"]

    [mandate] = await saved_mandates(database)
    secretary = make_client(SECRETARY)
    await secretary.click_data(f"md:open:{mandate.id}")
    [photo] = recording.sent(SendPhoto)
    assert photo.photo == "p1"
    assert "Вид со двора" in (photo.caption or "")
    [voice] = recording.sent(SendVoice)
    assert voice.voice == "voice-1"


async def test_11_a_voice_where_the_address_is_asked_is_named(make_client, branch):
    user = make_client(MEMBER)
    await to_address(user)
    await user.send(voice=Voice(file_id="v", file_unique_id="v", duration=3))
    assert "голосовое" in user.replies()[0]


async def test_11_a_voice_where_the_text_is_asked_is_kept(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)
    await user.send(voice=Voice(file_id="v", file_unique_id="v", duration=3))
    assert "Голосовое сообщение сохранено" in user.replies()[0]
    assert (await fsm_state(dp, user))[1]["draft"]["voices"] == ["v"]


# --- 3: work is never dropped silently ---------------------------------------------------


async def test_3_start_in_the_middle_keeps_the_draft_and_says_so(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("/start")
    assert "У вас есть неотправленный наказ" in user.last_text
    state, data = await fsm_state(dp, user)
    assert state == "MandateForm:photos"
    assert data["draft"]["text"] == TEXT


async def test_3_menu_in_the_middle_keeps_the_draft(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("/menu")
    assert "У вас есть неотправленный наказ" in user.last_text
    assert (await fsm_state(dp, user))[0] == "MandateForm:photos"


async def test_3_a_new_mandate_asks_before_the_draft_goes(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("/mandate")
    assert "У вас есть неотправленный наказ" in user.last_text
    assert user.buttons() == ["▶️ Продолжить наказ", "🗑 Удалить и начать новый"]
    await user.click("Продолжить")
    assert "Продолжаем наказ" in user.last_text
    assert "Шаг 4 из 5" in user.last_text
    assert _copies(user, "Шаг 4 из 5") == 1
    assert (await fsm_state(dp, user))[1]["draft"]["text"] == TEXT

    await user.send("/mandate")
    await user.click("Удалить и начать новый")
    assert "Выберите категорию" in user.last_text
    state, data = await fsm_state(dp, user)
    assert state == "MandateForm:category"
    assert data["draft"]["text"] is None
    assert _copies(user, "Шаг 4 из 5") == 0  # the old draft's question is gone


async def test_3_my_mandates_during_a_draft_mentions_it(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_address(user)
    await user.send("📋 Мои наказы")
    assert "Неотправленный наказ" in user.last_text
    assert user.buttons() == ["▶️ Продолжить наказ", "🗑 Удалить черновик"]
    await user.click("Продолжить")
    assert "Шаг 3 из 5" in user.last_text
    await user.send("📋 Мои наказы")
    await user.click("Удалить черновик")
    assert "Черновик наказа удалён" in user.last_text
    assert (await fsm_state(dp, user))[0] is None


async def test_3_inbox_while_writing_a_reason_keeps_the_reason(world, database, make_client, clock):
    w = world
    m = await submit(database, w.author, clock.now())
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:reject:{m.id}")
    await secretary.send("/inbox")
    assert "Вы не дописали причину отклонения" in secretary.last_text
    await secretary.send("Вопрос в ведении управляющей компании")
    assert (await get_mandate(database, m.id)).status == "rejected"
    assert "Не понимаю" not in "".join(secretary.replies())


# --- 2: answering a question by just typing ----------------------------------------------


async def _asked(database, w, clock, question="Уточните номер подъезда"):
    m = await submit(database, w.author, clock.now())
    await act(database, decisions.ask_clarification, w.secretary, m.id, question, clock.now())
    return m


def _question_message(notice) -> Message:
    rows = [
        [InlineKeyboardButton(text=b["text"], callback_data=b["callback_data"]) for b in row]
        for row in notice.payload["buttons"]
    ]
    return Message(
        message_id=5000,
        date=datetime.now(UTC),
        chat={"id": notice.chat_id, "type": "private"},
        from_user=BOT_USER,
        text=notice.payload["text"].replace("<b>", "").replace("</b>", ""),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def test_2_a_typed_text_answers_the_one_open_question(world, database, make_client, clock):
    w = world
    m = await _asked(database, w, clock)
    author = make_client(w.author)
    await author.send("Подъезд 2, этаж 5")
    assert "Ваш ответ по наказу" in author.last_text
    mandate = await get_mandate(database, m.id)
    assert mandate.status == "new"
    assert (await events(database, m.id))[-1].comment == "Подъезд 2, этаж 5"
    assert any("Подъезд 2" in n.payload["text"] for n in await notices_to(database, w.secretary))


async def test_2_a_reply_to_the_question_answers_it_even_in_a_draft(
    world, database, make_client, clock, dp
):
    w = world
    first = await _asked(database, w, clock)
    second = await _asked(database, w, clock, "Какой дом?")
    [*_, notice] = [
        n for n in await notices_to(database, w.author) if "Какой дом" in n.payload["text"]
    ]
    author = make_client(w.author)
    await author.send("/mandate")
    await author.click("ЖКХ")
    await author.send("Дом 14", reply_to_message=_question_message(notice))
    assert "Ваш ответ по наказу" in author.replies()[0]
    assert "неотправленный наказ" in author.replies()[0]  # and the draft is still there
    assert (await get_mandate(database, second.id)).status == "new"
    assert (await get_mandate(database, first.id)).status == "clarification"
    assert (await fsm_state(dp, author))[0] == "MandateForm:text"


async def test_2_with_two_open_questions_one_tap_says_which(world, database, make_client, clock):
    w = world
    first = await _asked(database, w, clock)
    second = await _asked(database, w, clock, "Какой дом?")
    author = make_client(w.author)
    await author.send("Дом 14")
    assert "На какой из них этот ответ" in author.last_text
    assert len(author.buttons()) == 3
    await author.click(second.number)
    assert (await get_mandate(database, second.id)).status == "new"
    assert (await get_mandate(database, first.id)).status == "clarification"
    assert "Ваш ответ по наказу" in author.last_text


async def test_2_the_notice_says_typing_answers(world, database, clock):
    w = world
    await _asked(database, w, clock)
    [notice] = [n for n in await notices_to(database, w.author) if "вопрос" in n.payload["text"]]
    assert "просто напишите ответ сообщением" in notice.payload["text"]


# --- 9: the rating -----------------------------------------------------------------------


async def test_9_the_rating_says_5_is_best_and_keeps_the_comment(
    world, database, make_client, clock, recording
):
    w = world
    m = await resolved(database, w, clock)
    [notice] = [n for n in await notices_to(database, w.author) if "выполнен" in n.payload["text"]]
    labels = [b["text"] for row in notice.payload["buttons"] for b in row]
    assert labels[0] == "⭐⭐⭐⭐⭐ 5 — отлично"
    assert labels[-1] == "❌ Нет, не решён"
    assert "⭐⭐⭐⭐⭐ — отлично" in notice.payload["text"]
    author = make_client(w.author)
    await author.click_data(notice_button(notice, "4 —"), message_id=77, text="Готово")
    assert not [r for r in recording.sent(EditMessageText) if r.message_id == 77]
    assert [r.message_id for r in recording.sent(EditMessageReplyMarkup)] == [77]
    assert "Спасибо за оценку" in author.last_text
    assert "4 из 5" in author.last_text
    assert (await get_mandate(database, m.id)).rating == 4


async def test_9_a_low_rating_asks_what_went_wrong(world, database, make_client, clock):
    w = world
    m = await resolved(database, w, clock)
    [notice] = [n for n in await notices_to(database, w.author) if "выполнен" in n.payload["text"]]
    author = make_client(w.author)
    await author.click_data(notice_button(notice, "1 —"), message_id=78, text="Готово")
    assert "Что пошло не так" in author.last_text
    assert (await get_mandate(database, m.id)).status == "accepted"
    await author.send("Фонари так и не горят")
    assert "переданы секретарю" in author.last_text
    staff = await notices_to(database, w.secretary)
    assert "Фонари так и не горят" in staff[-1].payload["text"]
    assert (await events(database, m.id))[-1].comment == "Фонари так и не горят"


async def test_9_a_low_rating_without_words(world, database, make_client, clock, dp):
    w = world
    await resolved(database, w, clock)
    [notice] = [n for n in await notices_to(database, w.author) if "выполнен" in n.payload["text"]]
    author = make_client(w.author)
    await author.click_data(notice_button(notice, "Нет, не решён"), message_id=79, text="Готово")
    await author.click("Не писать")
    assert (await fsm_state(dp, author))[0] is None


# --- 7: the place as a pin and a link; the author's own photos ----------------------------


async def test_7_staff_get_a_pin_and_a_map_link(world, database, make_client, clock, recording):
    w = world
    m = await submit(database, w.author, clock.now(), latitude=45.0448, longitude=38.976)
    [notice] = [n for n in await notices_to(database, w.secretary)]
    assert "yandex.ru/maps/?pt=38.976000,45.044800" in notice.payload["text"]
    assert "Точка на карте: 45" not in notice.payload["text"]
    urls = [b.get("url") for row in notice.payload["buttons"] for b in row]
    assert any(u and "yandex.ru/maps" in u for u in urls)
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:open:{m.id}")
    [venue] = recording.sent(SendVenue)
    assert (venue.latitude, venue.longitude) == (45.0448, 38.976)
    assert m.number in venue.title
    assert "открыть карту" in secretary.last_text


async def test_7_the_author_sees_their_own_photos(world, database, make_client, clock, recording):
    w = world
    m = await submit(database, w.author, clock.now(), photos=["a1", "a2"])
    author = make_client(w.author)
    await author.click_data(f"md:open:{m.id}")
    [album] = recording.sent(SendMediaGroup)
    assert [p.media for p in album.media] == ["a1", "a2"]
    assert not recording.sent(SendVenue)
    assert isinstance(recording.requests[-1], SendMessage)  # the card comes last
