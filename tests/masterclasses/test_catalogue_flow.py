"""A member's masterclasses through the dispatcher: the upcoming list paged in place, the
card, registering (a seat with its .ics, or the queue), cancelling and the promotion it
causes, the .ics button, «Приду» / «Не смогу», «Мои мастер-классы», the deep link, and
forged buttons for a masterclass outside the person's audience."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
)
from aiogram.types import BufferedInputFile
from sqlalchemy import select

from bot.services.masterclasses import events, notices
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.audience import Audience, Scope
from handlers.callbacks import MasterclassCb, MasterclassListCb
from storage.models import OutboxMessage
from tests.harness.factories import make_user
from tests.mandates.helpers import act
from tests.masterclasses.helpers import create, for_branch, fresh, registrations, texts_to

FAR = 610  # an onboarded member of the Novosibirsk branch
NEWCOMER = 620  # has not given consent yet
DENIED = "⛔ Нет доступа."


def data(action: str, masterclass_id: int) -> str:
    return MasterclassCb(action=action, id=masterclass_id).pack()  # type: ignore[arg-type]


async def open_card(user, masterclass_id: int) -> None:
    """The card as a new message (through the deep link), so its buttons can be pressed."""
    await user.send(f"/start mc_{masterclass_id}")


def last_answer(recording) -> str | None:
    return recording.sent(AnswerCallbackQuery)[-1].text


def documents(recording, chat_id: int) -> list[SendDocument]:
    return [d for d in recording.sent(SendDocument) if d.chat_id == chat_id]


def ics_of(document: SendDocument) -> bytes:
    assert isinstance(document.document, BufferedInputFile)
    assert document.document.filename.endswith(".ics")
    return document.document.data


async def state_of(database, masterclass_id: int) -> tuple[int, list[tuple[int, str]]]:
    masterclass = await fresh(database, masterclass_id)
    rows = await registrations(database, masterclass_id)
    return masterclass.seats_taken, [(r.user_id, r.status) for r in rows]


# --- the list ----------------------------------------------------------------------------


async def test_nothing_upcoming_says_so(make_client, world):
    user = make_client(world.author)
    await user.send("/masterclasses")
    assert user.last_text.startswith("🎓 Ближайших мастер-классов для вас пока нет.")
    assert user.buttons() == []


async def test_the_list_nearest_first_paged_in_place(
    database, world, clock, make_client, recording
):
    day = timedelta(days=1)
    made = []
    for n in (3, 1, 6, 2, 5, 4, 7):  # created out of order: shown nearest first
        made.append(
            await for_branch(
                world, database, clock.now(), starts_at=clock.now() + n * day, title=f"МК {n}"
            )
        )
    await create(  # the other branch's: not shown
        database,
        world.admin,
        clock.now() + day,
        clock.now(),
        audience=Audience(Scope.BRANCH, world.other_branch),
        title="Чужой",
    )
    user = make_client(world.author)
    await user.send("🎓 Мастер-классы")
    first = user.last_text
    assert "Ближайшие мастер-классы</b> — 7" in first
    assert "Страница 1 из 2" in first
    positions = [first.index(f"<b>МК {n}</b>") for n in range(1, 6)]
    assert positions == sorted(positions)
    assert "МК 6" not in first
    assert "Чужой" not in first
    # 07:00 UTC is 10:00 in Moscow.
    assert "1. <b>МК 1</b>\n🗓 24.11.2026 10:00 · 📍 Краснодар, ул. Красная, 1" in first
    assert "Места без ограничений" in first
    assert user.buttons() == ["1. МК 1", "2. МК 2", "3. МК 3", "4. МК 4", "5. МК 5", "1/2", "▶️"]

    sent_before = len(user.messages())
    await user.click("▶️")
    assert len(user.messages()) == sent_before  # the same message, edited
    assert isinstance(recording.requests[-1], EditMessageText)
    second = user.last_text
    assert "Страница 2 из 2" in second
    assert "6. <b>МК 6</b>" in second
    assert "7. <b>МК 7</b>" in second
    assert "МК 5" not in second
    assert user.buttons() == ["6. МК 6", "7. МК 7", "◀️", "2/2"]
    await user.click("◀️")
    assert "Страница 1 из 2" in user.last_text
    assert user.answered_callbacks() == 2

    # An old or forged page number shows a real page.
    await user.click_data(MasterclassListCb(view="up", page=99).pack())
    assert "Страница 2 из 2" in user.last_text


async def test_seats_online_and_the_readers_zone(database, world, clock, make_client):
    await make_user(database, FAR, branch_id=world.far_branch)
    full = await create(
        database,
        world.admin,
        clock.now() + timedelta(days=1),
        clock.now(),
        title="Полный",
        capacity=1,
    )
    await act(database, reg.register, world.member, full.id, clock.now())
    await create(
        database,
        world.admin,
        clock.now() + timedelta(days=2),
        clock.now(),
        title="Онлайн <b>",
        place=None,
        online_url="https://meet.example.org/abc",
        capacity=10,
    )
    user = make_client(FAR)
    await user.send("/masterclasses")
    text = user.last_text
    # 07:00 UTC is 14:00 in Novosibirsk.
    assert "<b>Полный</b>\n🗓 24.11.2026 14:00" in text
    assert "Мест нет — можно встать в очередь" in text
    assert "<b>Онлайн &lt;b&gt;</b>\n🗓 25.11.2026 14:00 · 💻 онлайн\nСвободных мест: 10" in text


# --- the card and registering ------------------------------------------------------------


async def test_the_card_then_a_seat_with_its_ics(database, world, clock, make_client, recording):
    masterclass = await for_branch(world, database, clock.now(), capacity=5)
    user = make_client(world.author)
    await user.send("/masterclasses")
    await user.click("Как работать с наказами")
    card = user.last_text
    assert isinstance(recording.requests[-1], EditMessageText)  # the list became the card
    assert card.startswith("🎓 <b>Как работать с наказами</b>")
    assert "🗓 25.11.2026 10:00 (1 час 30 минут)" in card
    assert "🎤 Михаил Есаян, секретарь ПО 20-03" in card
    assert "Разбор лучших практик" in card
    assert "Свободных мест: 5." in card
    assert "Запись до 25.11.2026 10:00." in card
    assert "Вы не записаны." in card
    assert user.buttons() == ["✍️ Записаться", "⬅️ К списку"]

    await user.click("Записаться")
    assert last_answer(recording) == "✅ Вы записаны!"
    assert "✅ <b>Вы записаны.</b>" in user.last_text
    assert "Свободных мест: 4." in user.last_text
    assert user.buttons() == ["❌ Отменить запись", "📅 Календарь", "⬅️ К списку"]
    [document] = documents(recording, world.author)
    assert b"BEGIN:VCALENDAR" in ics_of(document)
    assert document.caption is not None
    assert "Вы записаны на мастер-класс «Как работать с наказами»" in document.caption
    assert await state_of(database, masterclass.id) == (1, [(world.author, "registered")])

    # A second press (a stale card) is refused as the service words it; nothing changes.
    await user.click_data(data("reg", masterclass.id))
    assert last_answer(recording) == "Вы уже записаны на этот мастер-класс."
    assert await state_of(database, masterclass.id) == (1, [(world.author, "registered")])

    await user.click("К списку")
    assert "Ближайшие мастер-классы" in user.last_text
    assert "✅ Вы записаны" in user.last_text


async def test_the_announcement_registers_in_one_press(
    database, world, clock, make_client, recording
):
    masterclass = await for_branch(world, database, clock.now(), capacity=5)
    await act(database, events.announce, world.curator, masterclass.id, clock.now())
    async with database.sessions() as session:
        row = await session.scalar(
            select(OutboxMessage).where(OutboxMessage.chat_id == world.author)
        )
    assert row is not None
    rows = [[button["text"] for button in line] for line in row.payload["buttons"]]
    assert rows == [["✍️ Записаться"], ["📄 Открыть"]]
    user = make_client(world.author)
    await user.click_data(row.payload["buttons"][0][0]["callback_data"])
    assert last_answer(recording) == "✅ Вы записаны!"
    assert "✅ <b>Вы записаны.</b>" in user.last_text  # the announcement became the card
    assert await state_of(database, masterclass.id) == (1, [(world.author, "registered")])


async def test_full_then_the_queue_then_a_cancellation_promotes(
    database, world, clock, make_client, recording
):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    author, member = make_client(world.author), make_client(world.member)
    await open_card(author, masterclass.id)
    await author.click("Записаться")

    await open_card(member, masterclass.id)
    assert "Мест нет — можно встать в очередь." in member.last_text
    assert member.buttons() == ["⏳ Встать в очередь", "⬅️ К списку"]
    await member.click("Встать в очередь")
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert answer.show_alert
    assert answer.text.startswith("Мест нет, и вы в очереди: 1-й по счёту.")
    assert "⏳ <b>Вы в очереди: 1-й по счёту.</b>" in member.last_text
    assert member.buttons() == ["❌ Отменить запись", "⬅️ К списку"]
    assert documents(recording, world.member) == []  # no calendar for a place in the queue

    await member.send("/my_masterclasses")
    assert "Мои мастер-классы</b> — 1" in member.last_text
    assert "⏳ Вы в очереди: 1-й по счёту" in member.last_text

    await open_card(author, masterclass.id)
    await author.click("Отменить запись")
    assert last_answer(recording) == "Запись отменена."
    assert "Вы не записаны." in author.last_text
    [_, cancelling] = documents(recording, world.author)
    assert b"METHOD:CANCEL" in ics_of(cancelling)
    assert "отменена" in (cancelling.caption or "")
    assert await state_of(database, masterclass.id) == (
        1,
        [(world.author, "cancelled"), (world.member, "registered")],
    )
    # The promoted member is told by the service's notice, with the calendar button.
    [told] = await texts_to(database, world.member)
    assert "Освободилось место" in told
    await open_card(member, masterclass.id)
    assert "✅ <b>Вы записаны.</b>" in member.last_text
    await member.click_data(data("ics", masterclass.id))
    [document] = documents(recording, world.member)
    assert b"METHOD:CANCEL" not in ics_of(document)


async def test_leaving_the_queue_sends_no_calendar(database, world, clock, make_client, recording):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, world.member, masterclass.id, clock.now())
    member = make_client(world.member)
    await open_card(member, masterclass.id)
    await member.click("Отменить запись")
    assert last_answer(recording) == "Вы вышли из очереди."
    assert documents(recording, world.member) == []
    assert await state_of(database, masterclass.id) == (
        1,
        [(world.author, "registered"), (world.member, "cancelled")],
    )


async def test_after_the_deadline_registration_is_closed(
    database, world, clock, make_client, recording
):
    masterclass = await for_branch(
        world, database, clock.now(), registration_deadline=clock.now() + timedelta(hours=1)
    )
    user = make_client(world.author)
    await open_card(user, masterclass.id)
    assert "Записаться" in user.buttons()[0]
    clock.advance(hours=2)
    await user.click("Записаться")
    assert last_answer(recording) == "Запись закрыта: срок записи истёк."
    assert "Запись закрыта (была до 23.11.2026 11:00)." in user.last_text  # redrawn
    assert user.buttons() == ["⬅️ К списку"]
    assert await state_of(database, masterclass.id) == (0, [])


async def test_forged_buttons_outside_the_audience_change_nothing(
    database, world, clock, make_client, recording
):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    before = await state_of(database, masterclass.id)
    outsider = make_client(world.foreign_member)
    for action in ("open", "reg", "unreg", "decline", "ics", "come"):
        await outsider.click_data(data(action, masterclass.id))
        assert outsider.replies() == [], action  # no card, no edit
        text = last_answer(recording)
        assert text in (DENIED, "Вы не записаны на этот мастер-класс."), action
        if action in ("open", "reg", "unreg"):
            assert text == DENIED, action
    assert documents(recording, world.foreign_member) == []
    assert await state_of(database, masterclass.id) == before
    # The buttons the outbox notices carry are the same data.
    assert data("open", masterclass.id) == notices.masterclass_cb("open", masterclass.id)
    # An id that is not there is «Нет доступа» too.
    await outsider.click_data(data("open", masterclass.id + 100))
    assert last_answer(recording) == DENIED


async def test_the_calendar_button_needs_a_seat(database, world, clock, make_client, recording):
    masterclass = await for_branch(world, database, clock.now())
    user = make_client(world.author)
    await user.click_data(data("ics", masterclass.id))
    assert last_answer(recording) == "Вы не записаны на этот мастер-класс."
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await user.click_data(data("ics", masterclass.id))
    [document] = documents(recording, world.author)
    assert b"BEGIN:VEVENT" in ics_of(document)
    assert "файл для календаря" in (document.caption or "")


# --- the day-before reminder -------------------------------------------------------------


async def test_come_thanks_and_changes_nothing(database, world, clock, make_client, recording):
    masterclass = await for_branch(world, database, clock.now())
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    before = await state_of(database, masterclass.id)
    user = make_client(world.author)
    await user.click_data(data("come", masterclass.id))
    assert last_answer(recording) == "Спасибо! Ждём вас."
    assert user.replies() == []
    assert await state_of(database, masterclass.id) == before


async def test_decline_frees_the_seat_and_promotes_the_queue(
    database, world, clock, make_client, recording
):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, world.member, masterclass.id, clock.now())
    user = make_client(world.author)
    await user.click_data(data("decline", masterclass.id))
    assert last_answer(recording) == "Хорошо, место освобождено."
    [bare] = recording.sent(EditMessageReplyMarkup)  # the reminder's buttons are taken off
    assert (bare.message_id, bare.reply_markup) == (1, None)
    [document] = documents(recording, world.author)
    assert b"METHOD:CANCEL" in ics_of(document)
    assert "освобождено" in (document.caption or "")
    assert await state_of(database, masterclass.id) == (
        1,
        [(world.author, "declined"), (world.member, "registered")],
    )
    [told] = await texts_to(database, world.member)
    assert "Освободилось место" in told
    # A second press is refused and changes nothing.
    await user.click_data(data("decline", masterclass.id))
    assert last_answer(recording) == "Вы не записаны на этот мастер-класс."


# --- «Мои мастер-классы» -----------------------------------------------------------------


async def test_my_masterclasses_paged_in_place(database, world, clock, make_client, recording):
    user = make_client(world.author)
    await user.send("/my_masterclasses")
    assert user.last_text.startswith("🎓 Вы пока никуда не записаны.")

    day = timedelta(days=1)
    for n in range(1, 8):
        masterclass = await for_branch(
            world, database, clock.now(), starts_at=clock.now() + n * day, title=f"МК {n}"
        )
        if n != 4:  # one not registered for: not in «Мои»
            await act(database, reg.register, world.author, masterclass.id, clock.now())
    await user.send("/my_masterclasses")
    first = user.last_text
    assert "Мои мастер-классы</b> — 6" in first
    assert "Страница 1 из 2" in first
    assert "МК 4" not in first
    assert (
        "1. <b>МК 1</b>\n🗓 24.11.2026 10:00 · 📍 Краснодар, ул. Красная, 1\n✅ Вы записаны" in first
    )
    assert user.buttons()[-2:] == ["1/2", "▶️"]
    sent_before = len(user.messages())
    await user.click("▶️")
    assert len(user.messages()) == sent_before
    assert "6. <b>МК 7</b>" in user.last_text
    await user.click("МК 7")
    assert user.last_text.startswith("🎓 <b>МК 7</b>")


# --- the deep link -----------------------------------------------------------------------


async def test_the_deep_link_opens_the_card_for_an_onboarded_person(
    database, world, clock, make_client
):
    masterclass = await for_branch(world, database, clock.now())
    user = make_client(world.author)
    await user.send(f"/start mc_{masterclass.id}")
    assert user.last_text.startswith("🎓 <b>Как работать с наказами</b>")
    assert user.buttons() == ["✍️ Записаться", "⬅️ К списку"]

    outsider = make_client(world.foreign_member)
    await outsider.send(f"/start mc_{masterclass.id}")
    assert outsider.last_text == DENIED
    await outsider.send("/start mc_99999999999")
    assert outsider.last_text == DENIED


async def test_the_deep_link_of_a_newcomer_goes_on_to_onboarding(
    database, world, clock, make_client
):
    masterclass = await for_branch(world, database, clock.now())
    await make_user(database, NEWCOMER, branch_id=world.branch, consent=False)
    user = make_client(NEWCOMER)
    await user.send(f"/start mc_{masterclass.id}")
    assert "Как работать с наказами" not in user.last_text
    assert "соглас" in user.last_text.lower()  # the consent question comes first
