"""The organiser's masterclasses through the dispatcher: `/my_organised` with its counts and
pages, a card with its deep link, changing a field (refused values asked again), cancelling
with a reason and a confirmation, a message and materials to everyone holding a seat,
wrong input, /cancel, a restart in the middle, and forged buttons from people who may not
manage the masterclass."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import select

from bot.app import build_bot, build_dispatcher
from bot.services.masterclasses import registration as reg
from handlers.callbacks import MasterclassListCb, OrganiserCb
from storage.models import OutboxMessage
from tests.harness.client import BotClient
from tests.harness.session import RecordingSession
from tests.mandates.helpers import act
from tests.masterclasses.helpers import CROWD_FROM, add_members, for_branch, fresh, registrations

DENIED = "⛔ Нет доступа."
LINK = "https://t.me/{bot}?start=mc_{id}"


def organiser(action: str, masterclass_id: int) -> str:
    return OrganiserCb(action=action, id=masterclass_id).pack()


def alert(user: BotClient) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


async def state_of(dp, user: BotClient) -> str | None:
    return await dp.fsm.get_context(user.bot, user.user.id, user.user.id).get_state()


async def outbox(database, chat_id: int) -> list[dict]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(OutboxMessage).where(OutboxMessage.chat_id == chat_id).order_by(OutboxMessage.id)
        )
        return [row.payload for row in rows]


async def _seated_and_waiting(database, world, clock, **fields):
    """The author holds the one seat, the member waits."""
    fields.setdefault("capacity", 1)
    masterclass = await for_branch(world, database, clock.now(), **fields)
    for user in (world.author, world.member):
        await act(database, reg.register, user, masterclass.id, clock.now())
    return masterclass


async def _open_card(user: BotClient, masterclass_id: int) -> None:
    """The card drawn over the list's message, as pressing it in /my_organised would."""
    await user.send("/my_organised")
    listed = user.messages()[-1]["message_id"]
    await user.click_data(organiser("card", masterclass_id), message_id=listed)


# --- the list and the card ---------------------------------------------------------------


async def test_my_organised_lists_with_counts_and_opens_a_card(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await curator.send("/my_organised")
    text = curator.last_text
    assert "Мастер-классы, которые вы проводите</b> — впереди 1" in text
    assert "Как работать с наказами" in text
    assert "Записаны: 1 из 1 · в очереди: 1" in text
    assert curator.buttons() == [
        "1. Как работать с наказами",
        "🗂 Прошедшие",
        "➕ Новый мастер-класс",
    ]

    await curator.click("1. Как работать")
    card = curator.last_text
    assert "Записаны: 1 из 1 · в очереди: 1" in card
    assert LINK.format(bot=(await curator.bot.me()).username, id=masterclass.id) in card
    assert "Запись открыта до" in card
    assert curator.buttons() == [
        "✏️ Изменить",
        "❌ Отменить",
        "✉️ Написать записавшимся",
        "📎 Материалы",
        "👥 Записавшиеся",
        "🔢 Код отметки",
        "⬅️ К списку",
    ]
    assert len(curator.messages()) == 1  # the list became the card: one message
    await curator.click("К списку")
    assert "впереди 1" in curator.last_text
    assert len(curator.messages()) == 1


async def test_the_list_pages_and_shows_the_past(database, world, clock, make_client):
    for day in range(1, 8):
        await for_branch(world, database, clock.now(), starts_at=clock.now() + timedelta(days=day))
    curator = make_client(world.curator)
    await curator.send("/my_organised")
    assert "Страница 1 из 2" in curator.last_text
    assert "◀️" not in " ".join(curator.buttons())
    await curator.click("▶️")
    assert "Страница 2 из 2" in curator.last_text
    assert "6. " in curator.last_text
    assert "7. " in curator.last_text
    await curator.click("Прошедшие")
    assert curator.last_text == "🗂 Прошедших мастер-классов пока нет."

    clock.advance(days=3)
    await curator.click_data(MasterclassListCb(view="past").pack())
    assert "Прошедшие мастер-классы</b> — всего 3" in curator.last_text
    await curator.click_data(MasterclassListCb(view="org", page=99).pack())  # forged: clamped
    assert "Страница" not in curator.last_text  # four left: one page, no page line
    assert "впереди 4" in curator.last_text


async def test_nobody_else_sees_or_manages_it(database, world, clock, make_client, dp):
    masterclass = await _seated_and_waiting(database, world, clock)
    for intruder in (world.foreign_curator, world.secretary, world.author):
        user = make_client(intruder)
        await user.send("/my_organised")
        assert "Впереди нет мастер-классов" in user.last_text
        for action in ("card", "edit", "edit.title", "drop", "write", "files"):
            await user.click_data(organiser(action, masterclass.id))
            assert alert(user) == DENIED, (intruder, action)
        assert await state_of(dp, user) is None
    await make_client(world.foreign_curator).click_data(organiser("card", 999_999))
    assert (await fresh(database, masterclass.id)).title == "Как работать с наказами"


async def test_the_member_card_leads_the_organiser_to_theirs(database, world, clock, make_client):
    masterclass = await for_branch(world, database, clock.now())
    curator = make_client(world.curator)
    await curator.send(f"/start mc_{masterclass.id}")
    assert "⚙️ Управлять" in curator.buttons()
    await curator.click("Управлять")
    assert "✏️ Изменить" in curator.buttons()
    member = make_client(world.member)
    await member.send(f"/start mc_{masterclass.id}")
    assert "✍️ Записаться" in member.buttons()
    assert "⚙️ Управлять" not in member.buttons()


# --- changing a field --------------------------------------------------------------------


async def test_a_new_title_is_saved_and_everyone_told(database, world, clock, make_client, dp):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Изменить")
    assert "Что изменить" in curator.last_text
    await curator.click("Название")
    assert "Сейчас: Как работать с наказами" in curator.last_text
    assert "Например" in curator.last_text

    await curator.send("ab")
    assert curator.last_text.startswith("⚠️ Название — от 3 до 200 символов.")
    assert "Новое название" in curator.last_text
    assert len(curator.messages()) == 1  # the refused question's old copy is gone

    await curator.send("Наказы: от приёма до отчёта")
    assert curator.last_text.startswith("✅ Сохранено: название.")
    assert "получат: 2 человека" in curator.last_text
    assert "✏️ Изменить" in curator.buttons()  # the card again
    assert len(curator.messages()) == 1
    assert await state_of(dp, curator) is None
    assert (await fresh(database, masterclass.id)).title == "Наказы: от приёма до отчёта"
    for person in (world.author, world.member):
        assert any(
            "Наказы: от приёма до отчёта" in p["text"] for p in await outbox(database, person)
        )


async def test_a_new_time_refused_in_the_past_then_kept(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click_data(
        organiser("edit.starts", masterclass.id), message_id=curator.messages()[-1]["message_id"]
    )
    assert "Новые дата и время начала" in curator.last_text
    await curator.send("вчера в обед")
    assert curator.last_text.startswith("⚠️ Не получилось прочитать дату и время.")
    before = (await fresh(database, masterclass.id)).starts_at
    await curator.send("01.01.2020 10:00")
    assert curator.last_text.startswith("⚠️ ")
    await curator.send("завтра 18:30")
    assert "Сохранено: время начала" in curator.last_text
    after = (await fresh(database, masterclass.id)).starts_at
    assert after != before
    assert (await fresh(database, masterclass.id)).ics_sequence == 1


async def test_fewer_seats_than_taken_refused_more_seats_move_the_queue(
    database, world, clock, make_client
):
    masterclass = await _seated_and_waiting(database, world, clock, capacity=2)
    await add_members(database, world.branch, CROWD_FROM)
    await act(database, reg.register, CROWD_FROM, masterclass.id, clock.now())
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click_data(
        organiser("edit.capacity", masterclass.id), message_id=curator.messages()[-1]["message_id"]
    )
    assert "не меньше, чем уже записались (2)" in curator.last_text
    await curator.send("1")
    assert curator.last_text.startswith("⚠️ Уже записались 2: мест не может быть меньше.")
    await curator.click("Без ограничений")
    assert "Сохранено: число мест" in curator.last_text
    assert (await fresh(database, masterclass.id)).capacity is None
    statuses = {r.user_id: r.status for r in await registrations(database, masterclass.id)}
    assert statuses[CROWD_FROM] == "registered"  # the one waiting got the seat at once


async def test_the_same_value_changes_nothing(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    before = len(await outbox(database, world.author))
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Изменить")
    await curator.click("Название")
    await curator.send("Как работать с наказами")
    assert curator.last_text.startswith("Ничего не изменилось")
    assert len(await outbox(database, world.author)) == before  # nobody is told
    assert (await fresh(database, masterclass.id)).ics_sequence == 0


async def test_a_started_masterclass_cannot_be_changed(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    clock.set(masterclass.starts_at + timedelta(minutes=1))
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    assert "Идёт сейчас" in curator.last_text
    assert "✏️ Изменить" not in curator.buttons()
    assert "⭐ Отзывы" in curator.buttons()
    await curator.click_data(organiser("edit.title", masterclass.id))
    assert alert(curator) == "Мастер-класс уже начался: записаться или изменить его нельзя."


# --- cancelling --------------------------------------------------------------------------


async def test_cancel_with_a_reason_and_a_confirmation(database, world, clock, make_client, dp):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Отменить")
    assert "Напишите причину" in curator.last_text
    assert "(2 человека)" in curator.last_text
    await curator.send("ну")
    assert curator.last_text.startswith("⚠️ Причина — от 3 до 500 символов.")
    await curator.send("Ведущий заболел, перенесём на январь")
    assert "Отменить «Как работать с наказами»?" in curator.last_text
    assert "Причина: Ведущий заболел" in curator.last_text
    assert (await fresh(database, masterclass.id)).status == "published"  # not yet
    await curator.send("да")  # a word where a button is awaited
    assert curator.last_text.startswith("⚠️ Выберите вариант кнопкой")
    assert len(curator.messages()) == 1

    await curator.click("Да, отменить")
    cancelled = await fresh(database, masterclass.id)
    assert cancelled.status == "cancelled"
    assert cancelled.cancel_reason == "Ведущий заболел, перенесём на январь"
    assert curator.last_text.startswith("❌ Мастер-класс «Как работать с наказами» отменён.")
    assert "Причина: Ведущий заболел" in curator.last_text
    assert curator.buttons() == ["👥 Записавшиеся", "⬅️ К списку"]
    assert await state_of(dp, curator) is None
    for person in (world.author, world.member):
        assert any("отмен" in p["text"] for p in await outbox(database, person))


async def test_back_to_the_card_gives_the_question_up(database, world, clock, make_client, dp):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Отменить")
    await curator.click("К карточке")
    assert await state_of(dp, curator) is None
    await curator.click_data(organiser("drop.yes", masterclass.id))  # an old button
    assert alert(curator).startswith("Эта кнопка устарела.")
    assert (await fresh(database, masterclass.id)).status == "published"


async def test_slash_cancel_leaves_and_nothing_changes(database, world, clock, make_client, dp):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Отменить")
    await curator.send("Ведущий заболел")
    await curator.send("/cancel")
    assert await state_of(dp, curator) is None
    await curator.click_data(organiser("drop.yes", masterclass.id))
    assert (await fresh(database, masterclass.id)).status == "published"


async def test_the_reason_outlives_a_restart(database, settings, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Отменить")
    await curator.send("Ведущий заболел")
    confirm_id = curator.messages()[-1]["message_id"]

    second_dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    second = BotClient(second_dp, build_bot(settings, RecordingSession()), world.curator)
    await second.click_data(organiser("drop.yes", masterclass.id), message_id=confirm_id)
    assert (await fresh(database, masterclass.id)).status == "cancelled"
    assert "отменён" in second.last_text


# --- a message and materials -------------------------------------------------------------


async def test_a_message_goes_to_those_holding_a_seat(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Написать записавшимся")
    assert "(1 человек)" in curator.last_text
    await curator.send_sticker()
    assert curator.last_text.startswith("⚠️ Здесь нужен ответ текстом")
    await curator.send("Возьмите паспорт <обязательно>")
    assert "Возьмите паспорт &lt;обязательно&gt;" in curator.last_text
    assert curator.buttons() == ["📤 Отправить", "✏️ Написать иначе", "⬅️ К карточке"]
    await curator.click("Отправить")
    assert curator.last_text.startswith("✉️ Сообщение поставлено в очередь: 1 человек.")
    [sent] = [p for p in await outbox(database, world.author) if "паспорт" in p["text"]]
    assert "&lt;обязательно&gt;" in sent["text"]
    assert not [p for p in await outbox(database, world.member) if "паспорт" in p["text"]]


async def test_nobody_registered_nobody_to_write_to(database, world, clock, make_client, dp):
    masterclass = await for_branch(world, database, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(organiser("write", masterclass.id))
    assert alert(curator) == "На этот мастер-класс пока никто не записан: писать некому."
    assert await state_of(dp, curator) is None


async def test_materials_a_document_or_a_link(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Материалы")
    assert "документ (файл), видео или ссылку" in curator.last_text
    await curator.send_sticker()
    assert curator.last_text.startswith("⚠️ Подойдёт документ, видео или ссылка.")
    await curator.send("слайды будут позже")
    assert curator.last_text.startswith("⚠️ Это не похоже на ссылку.")
    await curator.send_document("doc-slides", "slides.pdf", b"%PDF")
    assert "📄 Документ: slides.pdf" in curator.last_text
    await curator.click("Прислать другое")
    await curator.send("https://disk.example.org/slides Слайды и запись")
    assert "🔗 Ссылка: https://disk.example.org/slides" in curator.last_text
    assert "Подпись: Слайды и запись" in curator.last_text
    await curator.click("Отправить")
    assert curator.last_text.startswith("📎 Материалы поставлены в очередь: 1 человек.")
    [sent] = [p for p in await outbox(database, world.author) if "disk.example.org" in p["text"]]
    assert "Слайды и запись" in sent["text"]


async def test_a_document_goes_by_its_file_id(database, world, clock, make_client):
    masterclass = await _seated_and_waiting(database, world, clock)
    curator = make_client(world.curator)
    await _open_card(curator, masterclass.id)
    await curator.click("Материалы")
    await curator.send_document("doc-slides", "slides.pdf", b"%PDF")
    await curator.click("Отправить")
    assert any(p.get("document") == "doc-slides" for p in await outbox(database, world.author))
