"""Submitting a mandate through the dispatcher, as a member meets it: every step, every
wrong answer, photos and a voter's mandate."""

from __future__ import annotations

import re

from aiogram.methods import EditMessageText, SendMessage
from aiogram.types import ReplyKeyboardMarkup
from sqlalchemy import select

from storage.models import MandatePhoto
from tests.mandates.submit_steps import (
    MEMBER,
    OTHER_TEXT,
    SECRETARY,
    TEXT,
    fsm_state,
    queued,
    saved_mandates,
    submit,
    to_address,
    to_behalf,
    to_photos,
    to_text,
)

# --- the whole way ---------------------------------------------------------------------------


async def test_a_member_submits_a_mandate_step_by_step(
    database, make_client, branch, dp, recording
):
    user = make_client(MEMBER)
    await user.send("/mandate")
    assert "Шаг 1 из 5" in user.last_text
    assert "Выберите категорию" in user.last_text
    assert user.buttons()[:3] == ["ЖКХ", "Благоустройство", "Дороги и транспорт"]
    assert len(user.buttons()) == 10
    assert (await fsm_state(dp, user))[0] == "MandateForm:category"

    await user.click("ЖКХ")
    assert "Категория: <b>ЖКХ</b>" in user.last_text
    assert "Шаг 2 из 5" in user.last_text
    assert "От 20 до 2000 символов" in user.last_text
    assert "Например" in user.last_text
    assert len(user.replies()) == 1  # the category question became the next one, in place
    assert isinstance(recording.requests[-1], EditMessageText)

    await user.send(TEXT)
    assert "Шаг 3 из 5" in user.last_text
    assert user.keyboard() == ["📍 Отправить геопозицию", "⏭ Без адреса"]
    location_button = recording.sent(SendMessage)[-1].reply_markup.keyboard[0][0]
    assert location_button.request_location is True
    state, data = await fsm_state(dp, user)
    assert state == "MandateForm:address"
    assert data["draft"]["text"] == TEXT  # kept after every step

    await user.send("ул. Мира, 12")
    assert user.replies()[0] == "📍 Адрес записан: ул. Мира, 12"
    assert "📝 Подать наказ" in user.keyboard()  # the main menu is back
    assert "Шаг 4 из 5" in user.last_text
    assert "до 5 штук" in user.last_text
    assert user.buttons() == ["⏭ Без фото"]

    await user.click("Без фото")
    assert "Шаг 5 из 5" in user.last_text
    assert user.buttons() == ["👤 Мой", "🙋 Избирателя"]

    await user.click("Мой")
    summary = user.last_text
    assert "Проверьте наказ" in summary
    for line in ("Категория:</b> ЖКХ", TEXT, "Адрес:</b> ул. Мира, 12", "Фото:</b> нет", "мой"):
        assert line in summary
    assert user.buttons() == ["✅ Отправить", "✏️ Изменить", "❌ Отменить"]

    await user.click("Отправить")
    sent = user.last_text  # the summary, edited in place; the keyboard stays, no menu again
    assert "Наказ отправлен" in sent
    assert "<b>20-03/2026/0001</b>" in sent
    assert "Спасибо" in sent
    assert "не позже 26.11.2026" in sent  # three working days from Monday
    assert not any("Главное меню" in text for text in user.replies())
    assert (await fsm_state(dp, user))[0] is None
    assert user.answered_callbacks() == 4  # every button press was answered

    [mandate] = await saved_mandates(database)
    assert re.fullmatch(r"20-03/2026/\d{4}", mandate.number)
    assert (mandate.number, mandate.branch_id, mandate.author_id) == (
        "20-03/2026/0001",
        branch,
        MEMBER,
    )
    assert (mandate.category, mandate.text, mandate.address) == ("housing", TEXT, "ул. Мира, 12")
    assert (mandate.on_behalf, mandate.voter_name, mandate.status) == ("self", None, "new")

    [notice] = await queued(database)
    assert notice.chat_id == SECRETARY
    assert "Новый наказ № 20-03/2026/0001" in notice.payload["text"]
    assert TEXT in notice.payload["text"]


async def test_the_menu_button_starts_it_and_numbers_go_up(database, make_client, branch):
    user = make_client(MEMBER)
    await user.send("📝 Подать наказ")
    assert "Выберите категорию" in user.last_text
    await user.click("Образование")
    await user.send(OTHER_TEXT)
    await user.send("⏭ Без адреса")
    assert user.replies()[0] == "Без адреса."
    await user.click("Без фото")
    await user.click("Мой")
    assert "Адрес:</b> не указан" in user.last_text
    await user.click("Отправить")
    await submit(user)
    assert [m.number for m in await saved_mandates(database)] == [
        "20-03/2026/0001",
        "20-03/2026/0002",
    ]


# --- wrong answers ---------------------------------------------------------------------------


async def test_typing_where_a_button_is_expected_asks_again(make_client, branch, dp):
    user = make_client(MEMBER)
    await user.send("/mandate")
    await user.send("ЖКХ")
    [reply] = user.replies()  # one message: the complaint and the question again
    assert reply.startswith("⚠️ Выберите вариант кнопкой под этим сообщением.")
    assert "Выберите категорию" in reply
    assert len(user.buttons()) == 10
    assert (await fsm_state(dp, user))[0] == "MandateForm:category"


async def test_the_text_step_explains_each_wrong_answer(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)

    await user.send_sticker()
    [reply] = user.replies()
    assert reply.startswith("⚠️ Здесь нужен текст наказа")
    assert "Шаг 2 из 5" in reply

    await user.send_photo()
    assert user.replies()[0].startswith("⚠️ Фото сохранено")

    await user.send("Нет света")
    [reply] = user.replies()
    assert reply.startswith("⚠️ Слишком коротко")
    assert "от 20 до 2000 символов" in reply
    assert "Шаг 2 из 5" in reply

    await user.send("а" * 2001)
    assert user.replies()[0].startswith("⚠️ Слишком длинно")
    assert "от 20 до 2000 символов" in user.replies()[0]

    state, data = await fsm_state(dp, user)
    assert state == "MandateForm:text"
    assert data["draft"]["text"] is None
    await user.send(TEXT)
    assert "Шаг 3 из 5" in user.last_text


async def test_an_album_at_the_text_step_is_answered_once(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)
    await user.send_photo("a", media_group_id="wrong")
    assert len(user.replies()) == 1
    await user.send_photo("b", media_group_id="wrong")
    assert user.replies() == []
    assert (await fsm_state(dp, user))[1]["draft"]["photos"] == ["a", "b"]  # kept for step 4


async def test_a_sticker_for_the_address_asks_again(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_address(user)
    await user.send_sticker()
    [reply] = user.replies()
    assert reply.startswith("⚠️ Здесь нужен адрес текстом или точка на карте")
    assert "Шаг 3 из 5" in reply
    assert "📍 Отправить геопозицию" in user.keyboard()
    assert (await fsm_state(dp, user))[0] == "MandateForm:address"


async def test_a_location_instead_of_an_address(database, make_client, branch):
    user = make_client(MEMBER)
    await to_address(user)
    await user.send_location(45.035, 38.975)
    assert user.replies()[0] == "📍 Точка на карте записана."
    assert "Шаг 4 из 5" in user.last_text
    await user.click("Без фото")
    await user.click("Мой")
    assert "точка на карте (45.03500, 38.97500)" in user.last_text
    await user.click("Отправить")
    [mandate] = await saved_mandates(database)
    assert (mandate.address, mandate.latitude, mandate.longitude) == (None, 45.035, 38.975)


# --- photos ----------------------------------------------------------------------------------


async def test_an_album_of_three_photos_is_one_answer(database, make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send_photo("p1", media_group_id="album-1")
    await user.send_photo("p2", media_group_id="album-1")
    await user.send_photo("p3", media_group_id="album-1")
    counters = [m for m in user.messages() if "Приложено фото" in (m["text"] or "")]
    assert len(counters) == 1  # one message, edited as the album's photos arrived
    assert counters[0]["text"].startswith("Шаг 4 из 5. 🖼 Приложено фото: 3 из 5")
    assert user.buttons() == ["✅ Готово"]
    assert (await fsm_state(dp, user))[1]["draft"]["photos"] == ["p1", "p2", "p3"]

    await user.click("Готово")
    assert "📎 Приложено: фото — 3." in user.last_text
    assert "Шаг 5 из 5" in user.last_text
    await user.click("Мой")
    assert "Фото:</b> 3" in user.last_text
    await user.click("Отправить")
    async with database.sessions() as session:
        photos = list(
            await session.scalars(select(MandatePhoto.file_id).order_by(MandatePhoto.position))
        )
    assert photos == ["p1", "p2", "p3"]


async def test_more_photos_than_the_limit_are_refused(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    for n in range(1, 5):
        await user.send_photo(f"single-{n}")
    assert user.last_text.startswith("Шаг 4 из 5. 🖼 Приложено фото: 4 из 5")
    # Each single photo moves the one counter under it; only one is left, with «Готово».
    inline = [
        m["text"]
        for m in user.messages()
        if m["reply_markup"] is not None and not isinstance(m["reply_markup"], ReplyKeyboardMarkup)
    ]
    assert inline == [user.last_text]

    for n in range(1, 4):
        await user.send_photo(f"album-{n}", media_group_id="big")
    assert user.last_text.startswith("Шаг 4 из 5. 🖼 Приложено фото: 5 из 5 — это максимум")
    assert "Можно приложить не больше 5 фото. Не добавлено: 2." in user.last_text
    await user.send_photo("one-more")
    assert "Не добавлено: 1." in user.last_text
    photos = (await fsm_state(dp, user))[1]["draft"]["photos"]
    assert photos == ["single-1", "single-2", "single-3", "single-4", "album-1"]


async def test_text_or_a_file_at_the_photo_step(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("вот")
    assert user.replies()[0].startswith("⚠️ Здесь нужны фотографии")
    assert user.buttons() == ["⏭ Без фото"]
    await user.send_sticker()
    assert user.replies()[0].startswith("⚠️ Здесь нужны фотографии")
    assert (await fsm_state(dp, user))[0] == "MandateForm:photos"


# --- a voter's mandate -----------------------------------------------------------------------


async def test_a_voters_mandate_with_a_validated_phone(database, make_client, branch):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    assert "Как зовут избирателя" in user.last_text

    await user.send("12345")
    assert user.replies()[0].startswith("⚠️ Имя избирателя — от 2 до 200 символов")
    await user.send_sticker()
    assert user.replies()[0].startswith("⚠️ Здесь нужно имя избирателя, написанное текстом")
    await user.send("Анна Петровна Смирнова")
    assert "Избиратель согласен оставить телефон?" in user.last_text
    assert user.buttons() == ["⏭ Без телефона"]

    await user.send("12345")
    assert user.replies()[0].startswith("⚠️ Не похоже на номер телефона")
    assert "Избиратель согласен оставить телефон?" in user.replies()[0]
    await user.send("8 (918) 123-45-67")
    assert "избирателя — Анна Петровна Смирнова" in user.last_text
    assert "Телефон избирателя:</b> +79181234567" in user.last_text

    await user.click("Отправить")
    [mandate] = await saved_mandates(database)
    assert (mandate.on_behalf, mandate.voter_name, mandate.voter_phone) == (
        "voter",
        "Анна Петровна Смирнова",
        "+79181234567",
    )


async def test_a_voters_phone_from_a_shared_contact(database, make_client, branch):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    await user.send("Иван Петров")
    await user.send_contact("79181234567")
    assert "Телефон избирателя:</b> +79181234567" in user.last_text
    await user.click("Отправить")
    assert (await saved_mandates(database))[0].voter_phone == "+79181234567"


async def test_a_voter_who_keeps_the_phone_to_themselves(database, make_client, branch):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    await user.send("Иван Петров")
    await user.click("Без телефона")
    assert "Телефон избирателя:</b> не указан" in user.last_text
    await user.click("Отправить")
    [mandate] = await saved_mandates(database)
    assert (mandate.voter_name, mandate.voter_phone) == ("Иван Петров", None)
