"""Submitting a mandate through the dispatcher, as a member meets it: every step, every
wrong answer, the summary with its changes, the duplicate offer, and a restart midway."""

from __future__ import annotations

import re

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from aiogram.types import Document, ReplyKeyboardMarkup
from sqlalchemy import select

from bot.app import build_bot, build_dispatcher
from bot.services.people import Role
from handlers.callbacks import SubmitCb
from storage.db import Database
from storage.models import Mandate, MandateEvent, MandatePhoto, MandateSupporter, OutboxMessage
from tests.harness.client import BotClient
from tests.harness.factories import make_branch, make_user
from tests.harness.session import RecordingSession

MEMBER, OTHER_MEMBER, SECRETARY = 700, 701, 900
TEXT = "Во дворе дома 12 на улице Мира третий месяц не горят фонари, вечером темно"
OTHER_TEXT = "В школе номер 5 протекает крыша над спортзалом, занятия отменяют"


@pytest.fixture
async def branch(database) -> int:
    branch_id = await make_branch(database, "20-03")
    await make_user(database, MEMBER, branch_id=branch_id, full_name="Мария Членова")
    await make_user(database, OTHER_MEMBER, branch_id=branch_id, full_name="Пётр Соседов")
    await make_user(database, SECRETARY, roles={Role.SECRETARY: [branch_id]})
    return branch_id


async def _mandates(database) -> list[Mandate]:
    async with database.sessions() as session:
        return list(await session.scalars(select(Mandate).order_by(Mandate.id)))


async def _outbox(database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _state(dp, user: BotClient) -> tuple[str | None, dict]:
    context = dp.fsm.get_context(user.bot, user.user.id, user.user.id)
    return await context.get_state(), await context.get_data()


async def to_text(user: BotClient) -> None:
    await user.send("/mandate")
    await user.click("ЖКХ")


async def to_address(user: BotClient, text: str = TEXT) -> None:
    await to_text(user)
    await user.send(text)


async def to_photos(user: BotClient, text: str = TEXT) -> None:
    await to_address(user, text)
    await user.send("ул. Мира, 12")


async def to_behalf(user: BotClient, text: str = TEXT) -> None:
    await to_photos(user, text)
    await user.click("Без фото")


async def to_summary(user: BotClient, text: str = TEXT) -> None:
    await to_behalf(user, text)
    await user.click("Мой")


async def submit(user: BotClient, text: str = TEXT) -> None:
    await to_summary(user, text)
    await user.click("Отправить")


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
    assert (await _state(dp, user))[0] == "MandateForm:category"

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
    state, data = await _state(dp, user)
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
    sent = user.messages()[-2]["text"]
    assert "Наказ отправлен" in sent
    assert "<b>20-03/2026/0001</b>" in sent
    assert "Спасибо" in sent
    assert "не позже 26.11.2026" in sent  # three working days from Monday
    assert "Главное меню" in user.last_text
    assert (await _state(dp, user))[0] is None
    assert user.answered_callbacks() == 4  # every button press was answered

    [mandate] = await _mandates(database)
    assert re.fullmatch(r"20-03/2026/\d{4}", mandate.number)
    assert (mandate.number, mandate.branch_id, mandate.author_id) == (
        "20-03/2026/0001",
        branch,
        MEMBER,
    )
    assert (mandate.category, mandate.text, mandate.address) == ("housing", TEXT, "ул. Мира, 12")
    assert (mandate.on_behalf, mandate.voter_name, mandate.status) == ("self", None, "new")

    [notice] = await _outbox(database)
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
    assert [m.number for m in await _mandates(database)] == ["20-03/2026/0001", "20-03/2026/0002"]


# --- wrong answers ---------------------------------------------------------------------------


async def test_typing_where_a_button_is_expected_asks_again(make_client, branch, dp):
    user = make_client(MEMBER)
    await user.send("/mandate")
    await user.send("ЖКХ")
    assert user.replies()[0] == "Выберите вариант кнопкой под сообщением ниже."
    assert "Выберите категорию" in user.replies()[1]
    assert len(user.buttons()) == 10
    assert (await _state(dp, user))[0] == "MandateForm:category"


async def test_the_text_step_explains_each_wrong_answer(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)

    await user.send_sticker()
    assert user.replies()[0].startswith("Здесь нужен текст наказа")
    assert "Шаг 2 из 5" in user.replies()[1]

    await user.send_photo()
    assert user.replies()[0].startswith("Здесь нужен текст наказа")

    await user.send("Нет света")
    assert user.replies()[0].startswith("Слишком коротко")
    assert "от 20 до 2000 символов" in user.replies()[0]
    assert "Шаг 2 из 5" in user.replies()[1]

    await user.send("а" * 2001)
    assert user.replies()[0].startswith("Слишком длинно")
    assert "от 20 до 2000 символов" in user.replies()[0]

    state, data = await _state(dp, user)
    assert state == "MandateForm:text"
    assert data["draft"]["text"] is None
    await user.send(TEXT)
    assert "Шаг 3 из 5" in user.last_text


async def test_an_album_at_the_text_step_is_answered_once(make_client, branch):
    user = make_client(MEMBER)
    await to_text(user)
    await user.send_photo("a", media_group_id="wrong")
    await user.send_photo("b", media_group_id="wrong")
    assert user.replies() == []


async def test_a_sticker_for_the_address_asks_again(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_address(user)
    await user.send_sticker()
    assert user.replies()[0].startswith("Здесь нужен адрес текстом или точка на карте")
    assert "Шаг 3 из 5" in user.replies()[1]
    assert "📍 Отправить геопозицию" in user.keyboard()
    assert (await _state(dp, user))[0] == "MandateForm:address"


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
    [mandate] = await _mandates(database)
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
    assert counters[0]["text"].startswith("🖼 Приложено фото: 3 из 5")
    assert user.buttons() == ["✅ Готово"]
    assert (await _state(dp, user))[1]["draft"]["photos"] == ["p1", "p2", "p3"]

    await user.click("Готово")
    assert "🖼 Приложено фото: 3." in user.last_text
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
    assert user.last_text.startswith("🖼 Приложено фото: 4 из 5")
    # Each single photo gets its own counter; only the newest keeps the «Готово» button.
    inline = [
        m["text"]
        for m in user.messages()
        if m["reply_markup"] is not None and not isinstance(m["reply_markup"], ReplyKeyboardMarkup)
    ]
    assert inline == [user.last_text]

    for n in range(1, 4):
        await user.send_photo(f"album-{n}", media_group_id="big")
    assert user.last_text.startswith("🖼 Приложено фото: 5 из 5 — это максимум")
    assert "Можно приложить не больше 5 фото. Не добавлено: 2." in user.last_text
    await user.send_photo("one-more")
    assert "Не добавлено: 1." in user.last_text
    photos = (await _state(dp, user))[1]["draft"]["photos"]
    assert photos == ["single-1", "single-2", "single-3", "single-4", "album-1"]


async def test_text_or_a_file_at_the_photo_step(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("вот")
    assert user.replies()[0].startswith("Здесь нужны фотографии")
    assert user.buttons() == ["⏭ Без фото"]
    await user.send_sticker()
    assert user.replies()[0].startswith("Здесь нужны фотографии")
    assert (await _state(dp, user))[0] == "MandateForm:photos"


# --- a voter's mandate -----------------------------------------------------------------------


async def test_a_voters_mandate_with_a_validated_phone(database, make_client, branch):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    assert "Как зовут избирателя" in user.last_text

    await user.send("12345")
    assert user.replies()[0].startswith("Имя избирателя — от 2 до 200 символов")
    await user.send_sticker()
    assert user.replies()[0] == "Здесь нужно имя избирателя, написанное текстом."
    await user.send("Анна Петровна Смирнова")
    assert "Избиратель согласен оставить телефон?" in user.last_text
    assert user.buttons() == ["⏭ Без телефона"]

    await user.send("12345")
    assert user.replies()[0].startswith("Не похоже на номер телефона")
    assert "Избиратель согласен оставить телефон?" in user.replies()[1]
    await user.send("8 (918) 123-45-67")
    assert "избирателя — Анна Петровна Смирнова" in user.last_text
    assert "Телефон избирателя:</b> +79181234567" in user.last_text

    await user.click("Отправить")
    [mandate] = await _mandates(database)
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
    assert (await _mandates(database))[0].voter_phone == "+79181234567"


async def test_a_voter_who_keeps_the_phone_to_themselves(database, make_client, branch):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    await user.send("Иван Петров")
    await user.click("Без телефона")
    assert "Телефон избирателя:</b> не указан" in user.last_text
    await user.click("Отправить")
    [mandate] = await _mandates(database)
    assert (mandate.voter_name, mandate.voter_phone) == ("Иван Петров", None)


# --- the summary -----------------------------------------------------------------------------


async def test_user_text_is_escaped_in_the_summary(make_client, branch):
    user = make_client(MEMBER)
    await to_summary(user, text="Фонари <b>не горят</b> & во дворе темно давно")
    assert "Фонари &lt;b&gt;не горят&lt;/b&gt; &amp; во дворе" in user.last_text


async def test_a_field_changed_from_the_summary(database, make_client, branch, dp):
    user = make_client(MEMBER)
    await to_summary(user)
    await user.click("Изменить")
    assert "Что изменить?" in user.last_text
    assert user.buttons() == [
        "Категория",
        "Текст",
        "Адрес",
        "Фото",
        "Чей наказ",
        "⬅️ Назад к наказу",
    ]

    await user.click("Текст")
    assert "Изменяем: Текст" in user.last_text
    assert "Шаг 2 из 5" in user.last_text
    await user.send(OTHER_TEXT)
    assert "Проверьте наказ" in user.last_text  # straight back to the summary
    assert OTHER_TEXT in user.last_text

    await user.click("Изменить")
    await user.click("Категория")
    await user.click("Образование")
    assert "Категория:</b> Образование" in user.last_text

    await user.click("Изменить")
    await user.click("Адрес")
    await user.send("ул. Школьная, 5")
    assert "Адрес:</b> ул. Школьная, 5" in user.last_text

    await user.click("Изменить")
    await user.click("Чей наказ")
    await user.click("Избирателя")
    await user.send("Иван Петров")
    await user.send("+7 918 000-11-22")
    assert "избирателя — Иван Петров" in user.last_text
    await user.click("Изменить")
    assert "Телефон избирателя" in user.buttons()
    await user.click("Телефон избирателя")
    await user.click("Без телефона")
    assert "Телефон избирателя:</b> не указан" in user.last_text

    await user.click("Изменить")
    await user.click("Назад")
    assert user.buttons() == ["✅ Отправить", "✏️ Изменить", "❌ Отменить"]
    await user.click("Отправить")
    [mandate] = await _mandates(database)
    assert (mandate.category, mandate.text, mandate.address) == (
        "education",
        OTHER_TEXT,
        "ул. Школьная, 5",
    )
    assert (mandate.on_behalf, mandate.voter_name, mandate.voter_phone) == (
        "voter",
        "Иван Петров",
        None,
    )


async def test_photos_changed_from_the_summary_replace_the_old_ones(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send_photo("old")
    await user.click("Готово")
    await user.click("Мой")
    await user.click("Изменить")
    await user.click("Фото")
    await user.send_photo("new")
    await user.click("Готово")
    assert "Проверьте наказ" in user.last_text
    assert (await _state(dp, user))[1]["draft"]["photos"] == ["new"]


async def test_cancel_from_the_summary(database, make_client, branch, dp, recording):
    user = make_client(MEMBER)
    await to_summary(user)
    await user.click("Отменить")
    assert "Наказ не отправлен, черновик удалён" in user.messages()[-2]["text"]
    assert "Главное меню" in user.last_text
    assert (await _state(dp, user)) == (None, {})

    await user.click_data(SubmitCb(action="send").pack())  # the old summary's button
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert answer.text.startswith("Этот наказ уже отправлен или отменён")
    assert await _mandates(database) == []
    assert await _outbox(database) == []


@pytest.mark.parametrize(
    "walk",
    [
        lambda u: u.send("/mandate"),
        to_text,
        to_address,
        to_photos,
        to_behalf,
        to_summary,
    ],
    ids=["category", "text", "address", "photos", "behalf", "summary"],
)
async def test_slash_cancel_leaves_at_every_step(database, make_client, branch, dp, walk):
    user = make_client(MEMBER)
    await walk(user)
    assert (await _state(dp, user))[0] is not None
    await user.send("/cancel")
    assert user.last_text.startswith("Отменено")
    assert "📝 Подать наказ" in user.keyboard()
    assert (await _state(dp, user))[0] is None
    assert await _mandates(database) == []


@pytest.mark.parametrize("step", ["voter_name", "voter_phone"])
async def test_slash_cancel_leaves_the_voter_steps(database, make_client, branch, dp, step):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    if step == "voter_phone":
        await user.send("Иван Петров")
    assert (await _state(dp, user))[0] == f"MandateForm:{step}"
    await user.send("/cancel")
    assert user.last_text.startswith("Отменено")
    assert (await _state(dp, user))[0] is None


# --- a similar mandate already exists --------------------------------------------------------


async def test_supporting_a_similar_mandate_instead_of_a_new_one(database, make_client, branch, dp):
    neighbour = make_client(OTHER_MEMBER)
    await submit(neighbour)
    existing = (await _mandates(database))[0]

    user = make_client(MEMBER)
    await to_summary(user, text="Третий месяц во дворе дома 12 на улице Мира не горят фонари")
    await user.click("Отправить")
    assert "уже есть похожие наказы" in user.last_text
    assert "1. <b>№ 20-03/2026/0001</b> от 23.11.2026 · 👍 0 сторонников" in user.last_text
    assert user.buttons() == [
        "👍 Поддержать № 20-03/2026/0001",
        "📨 Всё равно отправить новый",
        "⬅️ Назад к наказу",
        "❌ Отменить",
    ]
    assert (await _state(dp, user))[0] == "MandateForm:similar"

    await user.click("Поддержать")
    assert (
        "Вы поддержали наказ № 20-03/2026/0001, теперь у него 1 сторонник"
        in (user.messages()[-2]["text"])
    )
    assert "Главное меню" in user.last_text
    assert (await _state(dp, user))[0] is None

    [mandate] = await _mandates(database)  # no new one
    assert (mandate.id, mandate.supporters) == (existing.id, 1)
    async with database.sessions() as session:
        supporters = list(await session.scalars(select(MandateSupporter.user_id)))
    assert supporters == [MEMBER]
    to_author = [n for n in await _outbox(database) if n.chat_id == OTHER_MEMBER]
    assert len(to_author) == 1
    assert "поддержал ещё один участник" in to_author[0].payload["text"]


async def test_sending_anyway_despite_a_similar_one(database, make_client, branch):
    await submit(make_client(OTHER_MEMBER))
    user = make_client(MEMBER)
    await submit(user)  # the same words
    await user.click("Всё равно отправить новый")
    assert "<b>20-03/2026/0002</b>" in user.messages()[-2]["text"]
    mandates = await _mandates(database)
    assert [(m.author_id, m.supporters) for m in mandates] == [(OTHER_MEMBER, 0), (MEMBER, 0)]
    secretary_notices = [n for n in await _outbox(database) if n.chat_id == SECRETARY]
    assert len(secretary_notices) == 2


async def test_a_forged_support_button_changes_nothing(database, make_client, branch, recording):
    await submit(make_client(OTHER_MEMBER))
    user = make_client(MEMBER)
    await submit(user)
    await user.click_data(SubmitCb(action="similar", value="999").pack())
    assert recording.sent(AnswerCallbackQuery)[-1].show_alert
    assert [m.supporters for m in await _mandates(database)] == [0]


async def test_back_from_the_offer_to_the_summary(make_client, branch, dp):
    await submit(make_client(OTHER_MEMBER))
    user = make_client(MEMBER)
    await submit(user)
    await user.click("Назад к наказу")
    assert "Проверьте наказ" in user.last_text
    assert (await _state(dp, user))[0] == "MandateForm:summary"


# --- who may, stale buttons, the menu midway, a restart --------------------------------------


async def test_a_secretary_without_a_branch_cannot_submit(database, make_client, branch, dp):
    secretary = make_client(SECRETARY)
    await secretary.send("/mandate")
    assert secretary.last_text.startswith("📝 Подавать наказы могут только члены")
    assert (await _state(dp, secretary))[0] is None


async def test_without_consent_the_command_points_to_start(database, make_client, branch):
    await make_user(database, 702, branch_id=branch, consent=False)
    user = make_client(702)
    await user.send("/mandate")
    assert "нажмите /start" in user.last_text


async def test_a_button_from_another_step_changes_nothing(make_client, branch, dp, recording):
    user = make_client(MEMBER)
    await to_text(user)
    await user.click_data(SubmitCb(action="behalf", value="voter").pack())
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert answer.text == "Эта кнопка относится к другому шагу. Ответьте на последний вопрос выше."
    state, data = await _state(dp, user)
    assert state == "MandateForm:text"
    assert data["draft"]["on_behalf"] == "self"


async def test_the_main_menu_still_works_midway(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)
    await user.send("📋 Мои наказы")
    assert "У вас пока нет наказов" in user.last_text
    assert (await _state(dp, user))[0] == "MandateForm:text"  # the draft waits
    await user.send(TEXT)
    assert "Шаг 3 из 5" in user.last_text


async def test_a_new_command_starts_a_fresh_draft(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("/mandate")
    state, data = await _state(dp, user)
    assert state == "MandateForm:category"
    assert data["draft"]["text"] is None


async def test_the_draft_survives_a_restart(database, make_client, branch, settings, clock):
    before = make_client(MEMBER)
    await to_photos(before)
    await before.send_photo("kept-photo")
    # The process dies here; a new one starts over the same database.
    restarted_db = Database(settings.database_url)
    restarted_dp = build_dispatcher(settings, restarted_db, clock=clock, start_background=False)
    after = BotClient(restarted_dp, build_bot(settings, RecordingSession()), MEMBER)
    # Buttons of messages the first process sent, pressed in the second one.
    counter = before.messages()[-1]
    assert counter["text"].startswith("🖼 Приложено фото: 1 из 5")
    done = counter["reply_markup"].inline_keyboard[0][0].callback_data
    await after.click_data(done, message_id=counter["message_id"])
    assert "Шаг 5 из 5" in after.last_text
    await after.click_data(SubmitCb(action="behalf", value="self").pack())
    assert TEXT in after.last_text
    assert "Адрес:</b> ул. Мира, 12" in after.last_text
    await after.click_data(SubmitCb(action="send").pack())
    assert "<b>20-03/2026/0001</b>" in after.replies()[0]
    await restarted_db.dispose()

    [mandate] = await _mandates(database)
    assert (mandate.text, mandate.address) == (TEXT, "ул. Мира, 12")
    async with database.sessions() as session:
        assert list(await session.scalars(select(MandatePhoto.file_id))) == ["kept-photo"]
        events = list(await session.scalars(select(MandateEvent.action)))
    assert events == ["submitted"]


async def test_a_picture_sent_as_a_file_is_asked_for_as_a_photo(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    picture = Document(file_id="doc", file_unique_id="doc", mime_type="image/jpeg")
    await user.send(document=picture)
    assert user.replies()[0] == "Пришлите изображение как фото (со сжатием), а не файлом."
    assert (await _state(dp, user))[1]["draft"]["photos"] == []


async def test_a_double_tap_on_send_makes_one_mandate(database, make_client, branch, recording):
    user = make_client(MEMBER)
    await to_summary(user)
    summary_id = user.messages()[-1]["message_id"]
    await user.click("Отправить")
    await user.click_data(SubmitCb(action="send").pack(), message_id=summary_id)
    assert recording.sent(AnswerCallbackQuery)[-1].text.startswith("Этот наказ уже отправлен")
    assert len(await _mandates(database)) == 1
    assert len([n for n in await _outbox(database) if n.chat_id == SECRETARY]) == 1
