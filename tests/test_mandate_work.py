"""The staff's work on mandates through the dispatcher: the card, every status change the
secretary presses with the notice it queues, the buttons inside those notices, the
clarification round trip, the author's rating, the curator's comment, /inbox and
/mandates with their filters and pages.

Mandates are created by the service (`submit_mandate`), as the submission flow would."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from aiogram.methods import (
    AnswerCallbackQuery,
    EditMessageText,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
)
from sqlalchemy import select

from bot.services.mandates import decisions
from bot.services.people import Role
from storage.models import OutboxMessage
from tests.harness.factories import make_user
from tests.mandate_helpers import World, act, events, get_mandate, submit

VOTER_TEXT = "Во дворе <b>дома 15</b> не работает освещение & темно по вечерам"


async def notices_to(database, chat_id: int) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
        )


def notice_button(notice: OutboxMessage, label: str) -> str:
    """The callback data of the button labelled `label` in a queued notice."""
    for row in notice.payload.get("buttons", []):
        for button in row:
            if label in button["text"]:
                return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {notice.payload}")


def _shown(client) -> list:
    """The inline buttons the bot last sent or edited into this chat, an edit of a pressed
    notice included (which `client.buttons()` cannot follow: the notice was not sent here)."""
    for request in reversed(client.session.requests):
        if isinstance(request, SendMessage | EditMessageText) and request.chat_id == client.chat.id:
            markup = request.reply_markup
            return [b for row in markup.inline_keyboard for b in row] if markup else []
    return []


def shown_buttons(client) -> list[str]:
    return [b.text for b in _shown(client)]


async def press(client, label: str) -> None:
    """Press a button of the newest card, wherever it was drawn."""
    for button in _shown(client):
        if label in button.text:
            await client.click_data(button.callback_data)
            return
    raise AssertionError(f"no button {label!r} in {shown_buttons(client)}")


def last_alert(client) -> AnswerCallbackQuery:
    return client.session.sent(AnswerCallbackQuery)[-1]


async def accepted(database, clock, w: World, **fields) -> int:
    m = await submit(database, w.author, clock.now(), **fields)
    await act(database, decisions.accept_mandate, w.secretary, m.id, clock.now())
    return m.id


# --- the card ------------------------------------------------------------------------------


async def test_secretary_sees_the_whole_card_with_photos_and_voter(
    world, database, make_client, clock, recording
):
    w = world
    m = await submit(
        database,
        w.author,
        clock.now(),
        text=VOTER_TEXT,
        address="ул. Ленина, 15",
        photos=["ph-1", "ph-2"],
        on_behalf="voter",
        voter_name="Анна Смирнова",
        voter_phone="+79181234567",
    )
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:open:{m.id}")

    media = recording.sent(SendMediaGroup)
    assert [[p.media for p in r.media] for r in media] == [["ph-1", "ph-2"]]
    assert media[0].chat_id == w.secretary
    card = secretary.last_text
    assert f"Наказ № {m.number}" in card
    assert "Статус: <b>новый</b>" in card
    assert "Категория: ЖКХ" in card
    assert "Отделение: №20-03 — первый Береговой округ" in card
    assert "Подан: 23.11.2026 10:00" in card  # Moscow time
    assert "до 26.11.2026 включительно" in card
    assert "⏰" not in card
    assert "&lt;b&gt;дома 15&lt;/b&gt;" in card  # the author's text, escaped
    assert "&amp; темно" in card
    assert "📍 Адрес: ул. Ленина, 15" in card
    assert "От имени избирателя: Анна Смирнова" in card
    assert "+79181234567" in card
    assert "Фотографий: 2" in card
    assert "автор: Наказ подан" in card
    assert "Анна Автор" not in card  # the author's account is never shown
    assert shown_buttons(secretary) == [
        "✅ Принять",
        "❓ Уточнить",
        "➡️ Передать",
        "✖️ Отклонить",
        "⬅️ К списку",
        "🏠 В меню",
    ]


async def test_author_sees_own_card_without_voter_details_and_photos(
    world, database, make_client, clock, recording
):
    w = world
    m = await submit(
        database,
        w.author,
        clock.now(),
        photos=["ph-1"],
        on_behalf="voter",
        voter_name="Анна Смирнова",
        voter_phone="+79181234567",
    )
    await act(database, decisions.accept_mandate, w.secretary, m.id, clock.now())
    author = make_client(w.author)
    await author.click_data(f"md:open:{m.id}")
    card = author.last_text
    assert "От имени избирателя" in card
    assert "Анна Смирнова" not in card
    assert "+79181234567" not in card
    assert "секретарь: Принят в работу" in card  # by role…
    assert "Сергей" not in card  # …never by name
    assert not recording.sent(SendMediaGroup)
    assert not recording.sent(SendPhoto)
    assert shown_buttons(author) == ["⬅️ К списку", "🏠 В меню"]


async def test_overdue_mandate_is_marked_on_the_card(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    clock.advance(days=4)  # Mon → Fri: three working days have passed
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:open:{m.id}")
    assert "до 26.11.2026 включительно ⏰ <b>просрочен</b>" in secretary.last_text


async def test_card_shows_the_deadline_in_the_viewers_zone_too(world, database, make_client, clock):
    # An admin of everything lives in the default zone; a branch in Novosibirsk is 4 hours
    # ahead: the last day is the branch's, the moment is also given in the admin's time.
    far_author = 600
    await make_user(database, far_author, branch_id=world.far_branch)
    m = await submit(database, far_author, clock.now())
    admin = make_client(world.admin)
    await admin.click_data(f"md:open:{m.id}")
    assert "до 26.11.2026 включительно по времени отделения (у вас — до 26.11.2026 20:00)" in (
        admin.last_text
    )
    await admin.send("/mandates")
    assert f"<b>№ {m.number}</b> · новый · до 26.11.2026 20:00" in admin.last_text


# --- the secretary's decisions, pressed in notices and on the card ------------------------


async def test_secretary_accepts_in_the_notice_and_the_author_is_told(
    world, database, make_client, clock
):
    w = world
    m = await submit(database, w.author, clock.now())
    (notice,) = await notices_to(database, w.secretary)
    assert notice_button(notice, "Принять") == f"md:accept:{m.id}"

    secretary = make_client(w.secretary)
    await secretary.click_data(notice_button(notice, "Принять"))

    assert last_alert(secretary).text == "✅ Принят в работу"
    assert "Статус: <b>в работе</b>" in secretary.last_text  # the notice became the card
    assert "секретарь: Принят в работу" in secretary.last_text
    assert (await get_mandate(database, m.id)).status == "accepted"
    (told,) = await notices_to(database, w.author)
    assert told.payload["text"] == f"🛠 Ваш наказ № {m.number} принят в работу."


async def test_double_tap_on_accept_is_refused_and_changes_nothing(
    world, database, make_client, clock
):
    w = world
    m = await submit(database, w.author, clock.now())
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:accept:{m.id}")
    await secretary.click_data(f"md:accept:{m.id}")

    alert = last_alert(secretary)
    assert alert.show_alert
    assert alert.text == f"С наказом № {m.number} этого сделать нельзя: он в статусе «в работе»."
    assert [e.action for e in await events(database, m.id)] == ["submitted", "accepted"]
    assert len(await notices_to(database, w.author)) == 1


async def test_clarification_round_trip(world, database, make_client, clock):
    w = world
    mandate_id = await accepted(database, clock, w)
    secretary, author = make_client(w.secretary), make_client(w.author)

    await secretary.click_data(f"md:open:{mandate_id}")
    await press(secretary, "Уточнить")
    assert "Вопрос автору наказа" in secretary.last_text
    assert "Например:" in secretary.last_text
    await secretary.send_sticker()  # not a text: explained, asked again
    assert (
        secretary.replies()[0]
        == "Здесь нужен текст одним сообщением: стикер, фото или файл не подойдут."
    )
    assert "Вопрос автору наказа" in secretary.last_text
    await secretary.send("Какой номер подъезда?")
    assert "Вопрос по наказу" in secretary.replies()[0]
    assert "Статус: <b>уточнение у автора</b>" in secretary.last_text
    assert "Вопрос автору:</b> Какой номер подъезда?" in secretary.last_text

    mandate = await get_mandate(database, mandate_id)
    assert mandate.status == "clarification"
    question = (await notices_to(database, w.author))[-1]
    assert "Какой номер подъезда?" in question.payload["text"]

    # The author answers with the button in the notice.
    await author.click_data(notice_button(question, "Ответить"))
    assert "Ответ по наказу" in author.last_text
    assert "Вопрос: Какой номер подъезда?" in author.last_text
    await author.send("Подъезд <2>, этаж 5")
    assert (
        author.replies()[0] == f"✅ Спасибо! Ответ по наказу № {mandate.number} передан секретарю."
    )
    assert "Статус: <b>в работе</b>" in author.last_text

    assert (await get_mandate(database, mandate_id)).status == "accepted"  # back where it was
    answered = (await notices_to(database, w.secretary))[-1]
    assert answered.payload["text"] == (
        f"💬 Автор наказа № {mandate.number} ответил на вопрос:\n\n"
        "Подъезд &lt;2&gt;, этаж 5\n\nНаказ вернулся в статус «в работе»."
    )
    assert [e.action for e in await events(database, mandate_id)][-2:] == [
        "clarification_asked",
        "clarification_answered",
    ]


async def test_forward_asks_for_the_authority_then_an_optional_comment(
    world, database, make_client, clock
):
    w = world
    first = await submit(database, w.author, clock.now())
    second = await submit(database, w.author, clock.now(), text="Яма на дороге у школы номер 4")
    secretary = make_client(w.secretary)

    await secretary.click_data(f"md:forward:{first.id}")
    assert "в какой орган власти" in secretary.last_text
    await secretary.send("Администрация округа")
    assert "Без комментария" in secretary.buttons()[0]
    await secretary.click("Без комментария")
    assert secretary.replies()[0] == (
        f"✅ Наказ № {first.number} передан: Администрация округа. Автор получит уведомление."
    )
    assert "Передан в: Администрация округа" in secretary.last_text

    await secretary.click_data(f"md:forward:{second.id}")
    await secretary.send("Департамент транспорта")
    await secretary.send("Ответ обещали через 30 дней")

    first_row, second_row = (
        await get_mandate(database, first.id),
        await get_mandate(database, second.id),
    )
    assert (first_row.status, first_row.forwarded_to) == ("forwarded", "Администрация округа")
    assert (second_row.status, second_row.forwarded_to) == ("forwarded", "Департамент транспорта")
    told = [n.payload["text"] for n in await notices_to(database, w.author)]
    assert told == [
        f"📨 Ваш наказ № {first.number} передан в орган власти: Администрация округа.",
        f"📨 Ваш наказ № {second.number} передан в орган власти: Департамент транспорта."
        "\n\nКомментарий: Ответ обещали через 30 дней",
    ]


async def test_reject_needs_a_reason_and_wrong_input_asks_again(
    world, database, make_client, clock
):
    w = world
    m = await submit(database, w.author, clock.now())
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:reject:{m.id}")
    assert "без причины отклонить нельзя" in secretary.last_text

    for wrong in (secretary.send_sticker, secretary.send_photo):
        await wrong()
        assert secretary.replies()[0].startswith("Здесь нужен текст")
        assert "Отклонение наказа" in secretary.last_text
    await secretary.send("   ")
    assert secretary.replies()[0] == "Текст пустой. Напишите хотя бы несколько слов."
    await secretary.send("я" * 1001)
    assert secretary.replies()[0] == "Слишком длинно: не больше 1000 символов."
    assert (await get_mandate(database, m.id)).status == "new"

    await secretary.send("Вопрос в ведении управляющей компании")
    assert secretary.replies()[0] == f"✅ Наказ № {m.number} отклонён. Автор получит причину."
    assert (await get_mandate(database, m.id)).status == "rejected"
    (told,) = await notices_to(database, w.author)
    assert told.payload["text"] == (
        f"❌ Ваш наказ № {m.number} отклонён.\nПричина: Вопрос в ведении управляющей компании"
    )

    # Resolving a rejected one is refused before anything is asked.
    await secretary.click_data(f"md:resolve:{m.id}")
    assert last_alert(secretary).text == (
        f"С наказом № {m.number} этого сделать нельзя: он в статусе «отклонён»."
    )
    await secretary.send("Сделано")
    assert secretary.replies() == [
        "Не понимаю это сообщение. Выберите действие кнопкой меню или нажмите /help."
    ]
    assert (await get_mandate(database, m.id)).status == "rejected"


async def test_cancel_leaves_an_action_half_written(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:ask:{m.id}")
    await secretary.send("/cancel")
    assert secretary.last_text == "Отменено. Вы в главном меню."
    await secretary.send("Какой подъезд?")
    assert (await get_mandate(database, m.id)).status == "new"
    assert await notices_to(database, world.author) == []


async def test_a_list_asked_for_mid_action_leaves_the_action(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:resolve:{m.id}")
    assert last_alert(secretary).show_alert  # new → resolved is not a step
    await secretary.click_data(f"md:reject:{m.id}")
    await secretary.send("📥 Входящие наказы")
    assert "Входящие наказы" in secretary.last_text
    await secretary.send("Причина, которую уже не ждут")
    assert (await get_mandate(database, m.id)).status == "new"


# --- resolving and the author's rating ----------------------------------------------------


async def test_resolve_then_the_author_rates_five_in_the_notice(
    world, database, make_client, clock
):
    w = world
    mandate_id = await accepted(database, clock, w)
    secretary, author = make_client(w.secretary), make_client(w.author)
    await secretary.click_data(f"md:open:{mandate_id}")
    await press(secretary, "Выполнен")
    assert "Напишите, что сделано" in secretary.last_text
    await secretary.send("Фонари заменили 25 ноября")
    assert "Статус: <b>выполнен</b>" in secretary.last_text

    resolved = (await notices_to(database, w.author))[-1]
    number = (await get_mandate(database, mandate_id)).number
    assert resolved.payload["text"].startswith(f"✅ Ваш наказ № {number} выполнен.")
    assert "Комментарий: Фонари заменили 25 ноября" in resolved.payload["text"]
    assert notice_button(resolved, "5") == f"mdr:{mandate_id}:5"

    await author.click_data(notice_button(resolved, "5"))
    assert author.last_text == f"⭐ Спасибо за оценку! Наказ № {number}: 5 из 5."
    mandate = await get_mandate(database, mandate_id)
    assert (mandate.status, mandate.rating) == ("resolved", 5)
    assert (await notices_to(database, w.secretary))[-1].payload["text"] == (
        f"⭐ Автор наказа № {number} оценил результат: 5 из 5."
    )

    await author.click_data(notice_button(resolved, "1"))  # a second tap
    assert last_alert(author).text == f"Вы уже оценили результат по наказу № {number}."
    assert (await get_mandate(database, mandate_id)).rating == 5


@pytest.mark.parametrize(
    ("label", "score", "told"),
    [("2", 2, "оценил результат на 2"), ("Нет", 0, "ответил, что вопрос не решён")],
)
async def test_a_low_rating_or_no_reopens(world, database, make_client, clock, label, score, told):
    w = world
    mandate_id = await accepted(database, clock, w)
    await act(database, decisions.resolve_mandate, w.secretary, mandate_id, "Сделано", clock.now())
    resolved = (await notices_to(database, w.author))[-1]
    author = make_client(w.author)
    await author.click_data(notice_button(resolved, label))
    assert notice_button(resolved, label) == f"mdr:{mandate_id}:{score}"
    assert "снова в работе" in author.last_text
    mandate = await get_mandate(database, mandate_id)
    assert (mandate.status, mandate.closed_at) == ("accepted", None)
    assert told in (await notices_to(database, w.secretary))[-1].payload["text"]


async def test_author_rates_from_the_card(world, database, make_client, clock):
    w = world
    mandate_id = await accepted(database, clock, w)
    await act(database, decisions.resolve_mandate, w.secretary, mandate_id, "Сделано", clock.now())
    author = make_client(w.author)
    await author.click_data(f"md:open:{mandate_id}")
    assert "⭐ Оценить" in shown_buttons(author)
    await press(author, "Оценить")
    assert "Удалось решить вопрос" in author.last_text
    await author.click("4")
    assert "4 из 5" in author.last_text
    assert (await get_mandate(database, mandate_id)).rating == 4


# --- the curator ---------------------------------------------------------------------------


async def test_curator_opens_from_the_list_and_comments(world, database, make_client, clock):
    w = world
    m = await submit(database, w.author, clock.now())
    curator = make_client(w.curator)
    await curator.send("/mandates")
    assert f"№ {m.number}" in curator.last_text
    await curator.click(f"№ {m.number}")
    assert curator.buttons() == ["💬 Комментарий", "⬅️ К списку", "🏠 В меню"]
    await curator.click("Комментарий")
    assert "автор его не увидит" in curator.last_text
    await curator.send("Прошу ответить до пятницы")
    assert curator.replies()[0] == (
        f"✅ Комментарий к наказу № {m.number} сохранён. Секретарь отделения получит уведомление."
    )
    assert "куратор: Комментарий" in curator.last_text
    assert (await notices_to(database, w.secretary))[-1].payload["text"] == (
        f"📝 Куратор оставил комментарий к наказу № {m.number}:\n\nПрошу ответить до пятницы"
    )
    assert await notices_to(database, w.author) == []
    assert (await get_mandate(database, m.id)).status == "new"

    author = make_client(w.author)
    await author.click_data(f"md:open:{m.id}")
    assert "Прошу ответить" not in author.last_text  # an internal remark


# --- /inbox and /mandates ------------------------------------------------------------------


def lines_with_numbers(text: str, numbers: list[str]) -> list[str]:
    """The numbers in the order they appear in a list's text."""
    return sorted((n for n in numbers if n in text), key=text.index)


async def test_inbox_lists_overdue_first_then_oldest(world, database, make_client, clock):
    w = world
    old_answered = await submit(
        database, w.author, clock.now(), text="Первый наказ про двор и фонари"
    )
    await act(database, decisions.accept_mandate, w.secretary, old_answered.id, clock.now())
    clock.advance(hours=1)
    overdue = await submit(database, w.member, clock.now(), text="Второй наказ про подъезд и двери")
    done = await submit(database, w.author, clock.now(), text="Третий наказ, уже отклонённый")
    await act(database, decisions.reject_mandate, w.secretary, done.id, "Не наше", clock.now())
    foreign = await submit(database, w.foreign_member, clock.now(), text="Наказ другого отделения")
    clock.set(datetime(2026, 11, 26, 7, 0, tzinfo=UTC))  # Thursday
    fresh = await submit(database, w.author, clock.now(), text="Свежий наказ про детскую площадку")
    clock.set(datetime(2026, 11, 27, 7, 0, tzinfo=UTC))  # Friday: Monday's deadline passed

    secretary = make_client(w.secretary)
    await secretary.send("📥 Входящие наказы")
    text = secretary.last_text
    numbers = [m.number for m in (old_answered, overdue, done, foreign, fresh)]
    assert lines_with_numbers(text, numbers) == [overdue.number, old_answered.number, fresh.number]
    assert f"<b>№ {overdue.number}</b> · новый · до 26.11.2026 ⏰" in text
    assert "Всего: 3 наказа" in text
    assert secretary.buttons()[:3] == [
        f"⏰ № {overdue.number} · новый",
        f"№ {old_answered.number} · в работе",
        f"№ {fresh.number} · новый",
    ]
    await secretary.click(f"№ {fresh.number}")
    assert f"Наказ № {fresh.number}" in secretary.last_text
    await secretary.click("К списку")
    assert "Входящие наказы" in secretary.last_text


async def test_inbox_pages_turn_in_place(world, database, make_client, clock):
    w = world
    submitted = []
    for n in range(12):
        clock.advance(minutes=1)
        submitted.append(
            await submit(database, w.author, clock.now(), text=f"Наказ номер {n} про двор")
        )
    secretary = make_client(w.secretary)
    await secretary.send("/inbox")
    assert "Всего: 12 наказов" in secretary.last_text
    assert submitted[0].number in secretary.last_text
    assert submitted[10].number not in secretary.last_text
    assert "1/2" in secretary.buttons()
    before = len(secretary.messages())
    await secretary.click("▶️")
    assert len(secretary.messages()) == before  # edited, not sent anew
    assert submitted[10].number in secretary.last_text
    assert submitted[0].number not in secretary.last_text
    assert "2/2" in secretary.buttons()


async def test_secretary_of_two_branches_filters_by_branch(world, database, make_client, clock):
    w = world
    both = 310
    await make_user(database, both, roles={Role.SECRETARY: [w.branch, w.other_branch]})
    mine = await submit(database, w.author, clock.now())
    other = await submit(
        database, w.foreign_member, clock.now(), text="Наказ второго округа про дороги"
    )
    secretary = make_client(both)
    await secretary.send("/inbox")
    assert mine.number in secretary.last_text
    assert other.number in secretary.last_text
    assert "Отделения: все ваши" in secretary.last_text

    await secretary.click("Отделение")
    assert secretary.buttons()[:3] == [
        "• Все отделения",
        "№20-03 — первый Береговой округ",
        "№20-04 — второй Береговой округ",
    ]
    await secretary.click("№20-04")
    assert "Отделение: №20-04 — второй Береговой округ" in secretary.last_text
    assert other.number in secretary.last_text
    assert mine.number not in secretary.last_text
    await secretary.click(f"№ {other.number}")
    await secretary.click("К списку")  # back to the filtered list
    assert "Отделение: №20-04" in secretary.last_text


async def test_curator_filters_by_status(world, database, make_client, clock):
    w = world
    fresh = await submit(database, w.author, clock.now(), text="Новый наказ про освещение двора")
    working = await accepted(database, clock, w)
    working_number = (await get_mandate(database, working)).number
    curator = make_client(w.curator)
    await curator.send("📊 Наказы отделений")
    assert fresh.number in curator.last_text
    assert working_number in curator.last_text
    await curator.click("Статус")
    await curator.click("в работе")
    assert "Статус: в работе" in curator.last_text
    assert working_number in curator.last_text
    assert fresh.number not in curator.last_text
    await curator.click("Статус")
    assert "• в работе" in curator.buttons()
    await curator.click("Все статусы")
    assert fresh.number in curator.last_text


async def test_lists_refuse_members_and_foreign_branches(world, database, make_client):
    w = world
    member = make_client(w.member)
    for command in ("/inbox", "/mandates"):
        await member.send(command)
        assert member.last_text == "⛔ Нет доступа."
    curator = make_client(w.curator)
    await curator.click_data(f"ml:cur:1:{w.other_branch}:")
    alert = last_alert(curator)
    assert (alert.text, alert.show_alert) == ("⛔ Нет доступа.", True)


async def test_one_photo_goes_alone_and_a_lost_photo_does_not_hide_the_card(
    world, database, make_client, clock, recording
):
    w = world
    single = await submit(database, w.author, clock.now(), photos=["ph-1"])
    album = await submit(database, w.member, clock.now(), photos=["gone-1", "gone-2"])
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:open:{single.id}")
    (photo,) = recording.sent(SendPhoto)
    assert (photo.chat_id, photo.photo) == (w.secretary, "ph-1")
    assert photo.caption == f"🖼 Фото к наказу № {single.number}"

    recording.fail("sendMediaGroup", 400, "Bad Request: wrong file identifier")
    await secretary.click_data(f"md:open:{album.id}")
    assert f"Наказ № {album.number}" in secretary.last_text


async def test_a_long_history_keeps_the_card_within_one_message(
    world, database, make_client, clock
):
    w = world
    m = await submit(database, w.author, clock.now(), text="Д" * 2000)
    for n in range(8):
        clock.advance(minutes=1)
        note = f"Замечание {n}: " + "ж" * 900
        await act(database, decisions.comment_mandate, w.curator, m.id, note, clock.now())
    secretary = make_client(w.secretary)
    await secretary.click_data(f"md:open:{m.id}")
    card = secretary.last_text
    visible = html.unescape(re.sub(r"<[^>]+>", "", card))
    assert len(visible) <= 4096
    assert "… и ещё ранних записей:" in card
    assert "Замечание 7" in card  # the newest is kept
    assert "Замечание 0" not in card
