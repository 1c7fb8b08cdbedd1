"""Submitting a mandate through the dispatcher, from the summary on: changing a field,
cancelling, the duplicate offer, stale buttons, the menu midway and a restart."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery
from aiogram.types import Document
from sqlalchemy import select

from bot.app import build_bot, build_dispatcher
from handlers.callbacks import SubmitCb
from storage.db import Database
from storage.models import MandateEvent, MandatePhoto, MandateSupporter
from tests.harness.client import BotClient
from tests.harness.factories import make_user
from tests.harness.session import RecordingSession
from tests.mandates.submit_steps import (
    MEMBER,
    OTHER_MEMBER,
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
    to_summary,
    to_text,
)

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
    [mandate] = await saved_mandates(database)
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
    assert (await fsm_state(dp, user))[1]["draft"]["photos"] == ["new"]


async def test_cancel_from_the_summary(database, make_client, branch, dp, recording):
    user = make_client(MEMBER)
    await to_summary(user)
    await user.click("Отменить")
    assert "Наказ не отправлен, черновик удалён" in user.last_text  # no menu again
    assert not any("Главное меню" in text for text in user.replies())
    assert (await fsm_state(dp, user)) == (None, {})

    await user.click_data(SubmitCb(action="send").pack())  # the old summary's button
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert answer.text.startswith("Этот наказ уже отправлен или отменён")
    assert await saved_mandates(database) == []
    assert await queued(database) == []


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
    assert (await fsm_state(dp, user))[0] is not None
    await user.send("/cancel")
    assert user.last_text.startswith("Отменено")
    assert "📝 Подать наказ" in user.keyboard()
    assert (await fsm_state(dp, user))[0] is None
    assert await saved_mandates(database) == []


@pytest.mark.parametrize("step", ["voter_name", "voter_phone"])
async def test_slash_cancel_leaves_the_voter_steps(database, make_client, branch, dp, step):
    user = make_client(MEMBER)
    await to_behalf(user)
    await user.click("Избирателя")
    if step == "voter_phone":
        await user.send("Иван Петров")
    assert (await fsm_state(dp, user))[0] == f"MandateForm:{step}"
    await user.send("/cancel")
    assert user.last_text.startswith("Отменено")
    assert (await fsm_state(dp, user))[0] is None


# --- a similar mandate already exists --------------------------------------------------------


async def test_supporting_a_similar_mandate_instead_of_a_new_one(database, make_client, branch, dp):
    neighbour = make_client(OTHER_MEMBER)
    await submit(neighbour)
    existing = (await saved_mandates(database))[0]

    user = make_client(MEMBER)
    await to_summary(user, text="Третий месяц во дворе дома 12 на улице Мира не горят фонари")
    await user.click("Отправить")
    assert "уже есть похожие наказы" in user.last_text
    assert "1. <b>№ 20-03/2026/0001</b> от 23.11.2026 · 👍 поддержали: 0 человек" in user.last_text
    assert user.buttons() == [
        "👍 Поддержать № 20-03/2026/0001",
        "📨 Всё равно отправить новый",
        "⬅️ Назад к наказу",
        "❌ Отменить",
    ]
    assert (await fsm_state(dp, user))[0] == "MandateForm:similar"

    await user.click("Поддержать")
    assert (
        "Вы поддержали наказ № 20-03/2026/0001, всего его поддержали: 1 человек" in user.last_text
    )
    assert not any("Главное меню" in text for text in user.replies())
    assert (await fsm_state(dp, user))[0] is None

    [mandate] = await saved_mandates(database)  # no new one
    assert (mandate.id, mandate.supporters) == (existing.id, 1)
    async with database.sessions() as session:
        supporters = list(await session.scalars(select(MandateSupporter.user_id)))
    assert supporters == [MEMBER]
    to_author = [n for n in await queued(database) if n.chat_id == OTHER_MEMBER]
    assert len(to_author) == 1
    assert "поддержал ещё один участник" in to_author[0].payload["text"]


async def test_sending_anyway_despite_a_similar_one(database, make_client, branch):
    await submit(make_client(OTHER_MEMBER))
    user = make_client(MEMBER)
    await submit(user)  # the same words
    await user.click("Всё равно отправить новый")
    assert "<b>20-03/2026/0002</b>" in user.last_text
    mandates = await saved_mandates(database)
    assert [(m.author_id, m.supporters) for m in mandates] == [(OTHER_MEMBER, 0), (MEMBER, 0)]
    secretary_notices = [n for n in await queued(database) if n.chat_id == SECRETARY]
    assert len(secretary_notices) == 2


async def test_a_forged_support_button_changes_nothing(database, make_client, branch, recording):
    await submit(make_client(OTHER_MEMBER))
    user = make_client(MEMBER)
    await submit(user)
    await user.click_data(SubmitCb(action="similar", value="999").pack())
    assert recording.sent(AnswerCallbackQuery)[-1].show_alert
    assert [m.supporters for m in await saved_mandates(database)] == [0]


async def test_back_from_the_offer_to_the_summary(make_client, branch, dp):
    await submit(make_client(OTHER_MEMBER))
    user = make_client(MEMBER)
    await submit(user)
    await user.click("Назад к наказу")
    assert "Проверьте наказ" in user.last_text
    assert (await fsm_state(dp, user))[0] == "MandateForm:summary"


# --- who may, stale buttons, the menu midway, a restart --------------------------------------


async def test_a_secretary_submits_to_the_branch_she_runs(database, make_client, branch, dp):
    # Issue #8: she is a member of her branch, not told to ask for an invite.
    secretary = make_client(SECRETARY)
    await secretary.send("/mandate")
    assert "Выберите категорию" in secretary.last_text
    state, data = await fsm_state(dp, secretary)
    assert (state, data["branch"]) == ("MandateForm:category", branch)


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
    assert answer.text == (
        "Эта кнопка относится к другому шагу. Ответьте на последний вопрос — "
        "он в самом низу переписки."
    )
    state, data = await fsm_state(dp, user)
    assert state == "MandateForm:text"
    assert data["draft"]["on_behalf"] == "self"


async def test_the_main_menu_still_works_midway(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_text(user)
    await user.send("📋 Мои наказы")
    assert "У вас пока нет наказов" in user.last_text
    assert (await fsm_state(dp, user))[0] == "MandateForm:text"  # the draft waits
    await user.send(TEXT)
    assert "Шаг 3 из 5" in user.last_text


async def test_a_new_command_starts_a_fresh_draft_once_asked(make_client, branch, dp):
    user = make_client(MEMBER)
    await to_photos(user)
    await user.send("/mandate")
    assert (await fsm_state(dp, user))[1]["draft"]["text"] == TEXT  # not yet: asked first
    await user.click("Удалить и начать новый")
    state, data = await fsm_state(dp, user)
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
    assert counter["text"].startswith("Шаг 4 из 5. 🖼 Приложено фото: 1 из 5")
    done = counter["reply_markup"].inline_keyboard[0][0].callback_data
    await after.click_data(done, message_id=counter["message_id"])
    assert "Шаг 5 из 5" in after.last_text
    await after.click_data(SubmitCb(action="behalf", value="self").pack())
    assert TEXT in after.last_text
    assert "Адрес:</b> ул. Мира, 12" in after.last_text
    await after.click_data(SubmitCb(action="send").pack())
    assert "<b>20-03/2026/0001</b>" in after.replies()[0]
    await restarted_db.dispose()

    [mandate] = await saved_mandates(database)
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
    assert user.replies()[0].startswith("⚠️ Пришлите изображение как фото (со сжатием)")
    assert (await fsm_state(dp, user))[1]["draft"]["photos"] == []


async def test_a_double_tap_on_send_makes_one_mandate(database, make_client, branch, recording):
    user = make_client(MEMBER)
    await to_summary(user)
    summary_id = user.messages()[-1]["message_id"]
    await user.click("Отправить")
    await user.click_data(SubmitCb(action="send").pack(), message_id=summary_id)
    assert recording.sent(AnswerCallbackQuery)[-1].text.startswith("Этот наказ уже отправлен")
    assert len(await saved_mandates(database)) == 1
    assert len([n for n in await queued(database) if n.chat_id == SECRETARY]) == 1
