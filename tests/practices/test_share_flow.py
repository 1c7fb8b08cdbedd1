"""Sharing a practice through the dispatcher: every question with its example, refused
answers asked again in one message, an album counted as one answer, a document, the
summary with a field changed, sending to moderation, a draft kept across a restart and
offered again, /cancel, and correcting a practice returned for rework."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery
from aiogram.types import PhotoSize
from sqlalchemy import select

from bot.app import build_bot, build_dispatcher
from bot.services.practices import moderation
from handlers.callbacks import PracticeCb, ShareCb
from storage.models import Practice
from tests.harness.client import BotClient
from tests.harness.session import RecordingSession
from tests.mandates.helpers import act
from tests.practices.helpers import RESULT, WHAT_DONE, fresh, history, photos_of, share, texts_to

TITLE = "ТОС на базе первички: как выиграть грант"


def alert(user: BotClient) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


async def state_of(dp, user: BotClient) -> str | None:
    return await dp.fsm.get_context(user.bot, user.user.id, user.user.id).get_state()


async def saved(database) -> list[Practice]:
    async with database.sessions() as session:
        return list(await session.scalars(select(Practice).order_by(Practice.id)))


async def photo(user: BotClient, file_id: str, album: str | None = None) -> None:
    size = PhotoSize(file_id=file_id, file_unique_id=file_id, width=800, height=600)
    await user.send(photo=[size], media_group_id=album)


async def to_attachments(user: BotClient) -> None:
    await user.send("/share_practice")
    await user.send(TITLE)
    await user.click("ТОС на базе первички")
    await user.send(WHAT_DONE)
    await user.send(RESULT)


async def test_the_whole_conversation_to_moderation(database, world, make_client, dp):
    user = make_client(world.author)
    await user.send("/share_practice")
    assert "Шаг 1 из 6" in user.last_text
    assert "Например" in user.last_text
    await user.send("ТОС")
    assert user.last_text.startswith("⚠️ Название слишком короткое")
    assert len(user.messages()) == 1  # the refused question's old copy is gone
    await user.send(TITLE)
    assert "Шаг 2 из 6" in user.last_text
    assert "Наставничество" in user.buttons()
    await user.send("гранты")  # a word where a button is awaited
    assert user.last_text.startswith("⚠️ Выберите вариант кнопкой")
    await user.click("ТОС на базе первички")
    assert user.last_text.startswith("Тема: ТОС на базе первички ✔️")
    await user.send("мало")
    assert user.last_text.startswith("⚠️ Расскажите подробнее")
    await user.send(WHAT_DONE)
    await user.send(RESULT)
    assert "Шаг 5 из 6" in user.last_text
    assert user.buttons() == ["Без вложений"]

    await photo(user, "p1", album="a1")
    await photo(user, "p2", album="a1")
    await photo(user, "p3", album="a1")
    assert "Вложения:</b> 3 фото" in user.last_text
    assert len(user.messages()) == 1  # the album filled one message
    await user.click("Готово")
    assert user.last_text.startswith("Фото: 3 ✔️")
    assert "Шаг 6 из 6" in user.last_text
    await user.click("Да, готов")
    summary = user.last_text
    assert "Проверьте практику" in summary
    assert TITLE in summary
    assert "3 фото" in summary
    assert "Готовы рассказать подробнее" in summary
    assert user.buttons() == ["📤 Отправить на модерацию", "✏️ Изменить …", "❌ Отменить"]

    await user.click("Отправить на модерацию")
    [practice] = await saved(database)
    assert (practice.title, practice.category, practice.status) == (TITLE, "tos", "moderation")
    assert practice.contact_offer
    assert await photos_of(database, practice.id) == ["p1", "p2", "p3"]
    assert any("Отправлено:" in m["text"] for m in user.messages())
    assert await state_of(dp, user) is None
    assert any("на модерацию" in text for text in await texts_to(database, world.curator))
    assert any("получена" in text for text in await texts_to(database, world.author))


async def test_a_document_too_many_photos_and_a_sticker(database, world, make_client):
    user = make_client(world.author)
    await to_attachments(user)
    await user.send_sticker()
    assert user.last_text.startswith("⚠️ Сюда подойдут фото или документ.")
    for n in range(5):
        await photo(user, f"p{n}", album="big")
    await photo(user, "p5", album="big")
    assert "не больше 5 фото" in user.last_text
    await user.click("Убрать вложения")
    assert user.last_text.startswith("Вложения убраны ✔️")
    await user.send_document("doc-1", "polozhenie.pdf", b"%PDF")
    assert "документ «polozhenie.pdf»" in user.last_text
    await user.send_document("doc-2", "other.pdf", b"%PDF")
    assert user.last_text.startswith("⚠️ Документ уже приложен")
    await user.click("Готово")
    await user.click("Нет")
    assert "документ «polozhenie.pdf»" in user.last_text
    assert "Без связи с автором" in user.last_text


async def test_a_field_changed_from_the_summary(database, world, make_client):
    user = make_client(world.author)
    await to_attachments(user)
    await user.click("Без вложений")
    await user.click("Нет")
    await user.click("Изменить")
    assert "Что изменить?" in user.last_text
    await user.click("Результат")
    assert user.last_text.startswith("✏️ Изменяем: результат.")
    assert "⬅️ Назад к итогу" in user.buttons()
    await user.send("Пришли 60 жителей, выиграли конкурс")
    assert "Проверьте практику" in user.last_text  # straight back to the summary
    assert "Пришли 60 жителей" in user.last_text
    await user.click("Отправить")
    [practice] = await saved(database)
    assert practice.result == "Пришли 60 жителей, выиграли конкурс"


async def test_the_draft_outlives_a_restart_and_is_offered_again(
    database, settings, clock, world, make_client
):
    user = make_client(world.author)
    await user.send("/share_practice")
    await user.send(TITLE)

    second_dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    second = BotClient(second_dp, build_bot(settings, RecordingSession()), world.author)
    await second.send("/share_practice")
    assert f"неотправленная практика «{TITLE}»" in second.last_text
    await second.click("Продолжить")
    assert "Шаг 2 из 6" in second.last_text
    await second.send("/menu")
    assert "неотправленная практика" in second.last_text  # named under the menu


async def test_cancel_leaves_and_nothing_is_saved(database, world, make_client, dp):
    user = make_client(world.author)
    await to_attachments(user)
    await user.send("/cancel")
    assert await state_of(dp, user) is None
    await user.click_data(ShareCb(action="send").pack())
    assert alert(user).startswith("Эта кнопка относится к другому шагу")
    assert await saved(database) == []


async def test_a_curator_without_a_branch_is_told_why(database, world, make_client, dp):
    user = make_client(world.curator)
    await user.send("/share_practice")
    assert (
        user.last_text
        == "Поделиться практикой можно от первичного отделения, а вы не состоите ни в одном."
    )
    assert await state_of(dp, user) is None


async def test_a_returned_practice_corrected_and_sent_again(database, world, clock, make_client):
    practice = await share(database, world.author, clock.now())
    await act(
        database,
        moderation.return_for_rework,
        world.curator,
        practice.id,
        "Добавьте цифры",
        clock.now(),
    )
    user = make_client(world.author)
    await user.click_data(PracticeCb(action="edit", id=practice.id).pack())
    assert "Её вернули на доработку:</b> Добавьте цифры" in user.last_text
    await user.click("Изменить")
    await user.click("Результат")
    await user.send("Выиграли грант 500 000 ₽, пришли 40 жителей из 120")
    await user.click("Отправить")
    again = await fresh(database, practice.id)
    assert again.status == "moderation"
    assert again.result.endswith("из 120")
    actions = [action for action, _, _ in await history(database, practice.id)]
    assert actions == ["submitted", "returned", "resubmitted"]

    stranger = make_client(world.member)
    await stranger.click_data(PracticeCb(action="edit", id=practice.id).pack())
    assert alert(stranger) == "⛔ Нет доступа."
