"""The staff's work on mandates through the dispatcher: the card, every status change the
secretary presses with the notice it queues, the buttons inside those notices, the
clarification round trip.

Mandates are created by the service (`submit_mandate`), as the submission flow would."""

from __future__ import annotations

from aiogram.methods import SendMediaGroup, SendPhoto

from bot.services.mandates import decisions
from tests.harness.factories import make_user
from tests.mandates.helpers import act, events, get_mandate, submit
from tests.mandates.work_steps import (
    ABOUT,
    VOTER_TEXT,
    accepted,
    last_alert,
    notice_button,
    notices_to,
    press,
    shown_buttons,
)

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
        "✅ Принять в работу",
        "❓ Уточнить",
        "➡️ Передать",
        "✖️ Отклонить",
        "⬅️ К списку",
        "🏠 В меню",
    ]


async def test_author_sees_own_card_with_photos_without_voter_details(
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
    assert [p.photo for p in recording.sent(SendPhoto)] == ["ph-1"]  # their own photo
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
    assert told.payload["text"] == f"🛠 Ваш наказ № {m.number} принят в работу.{ABOUT}"


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
    await secretary.send_sticker()  # not a text: explained, asked again, in the same message
    assert (
        "⚠️ Здесь нужен текст одним сообщением: стикер, фото или файл не подойдут."
        in secretary.last_text
    )
    assert "Вопрос автору наказа" in secretary.last_text
    await secretary.send("Какой номер подъезда?")
    assert "✅ Вопрос по наказу" in secretary.last_text
    assert "Статус: <b>уточнение у автора</b>" in secretary.last_text
    assert "Вопрос автору:</b> Какой номер подъезда?" in secretary.last_text

    mandate = await get_mandate(database, mandate_id)
    assert mandate.status == "clarification"
    question = (await notices_to(database, w.author))[-1]
    assert "Какой номер подъезда?" in question.payload["text"]

    # The author answers with the button in the notice.
    await author.click_data(notice_button(question, "Ответить"))
    assert "Ответ по наказу" in author.last_text
    assert "Вопрос к вам:</b> Какой номер подъезда?" in author.last_text
    await author.send("Подъезд <2>, этаж 5")
    assert f"✅ Спасибо! Ответ по наказу № {mandate.number} передан секретарю." in author.last_text
    assert "Статус: <b>в работе</b>" in author.last_text

    assert (await get_mandate(database, mandate_id)).status == "accepted"  # back where it was
    answered = (await notices_to(database, w.secretary))[-1]
    assert answered.payload["text"] == (
        f"💬 Автор наказа № {mandate.number} ответил на вопрос:{ABOUT}\n\n"
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
    assert "Без комментария" in shown_buttons(secretary)[0]
    await press(secretary, "Без комментария")
    assert secretary.last_text.endswith(
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
        f"📨 Ваш наказ № {first.number} передан в орган власти: Администрация округа.{ABOUT}",
        f"📨 Ваш наказ № {second.number} передан в орган власти: Департамент транспорта."
        "\n<i>ЖКХ: «Яма на дороге у школы номер 4»</i>"
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
        assert "⚠️ Здесь нужен текст" in secretary.last_text
        assert "Отклонение наказа" in secretary.last_text
    await secretary.send("   ")
    assert "⚠️ Текст пустой. Напишите хотя бы несколько слов." in secretary.last_text
    await secretary.send("я" * 1001)
    assert "⚠️ Слишком длинно: не больше 1000 символов." in secretary.last_text
    assert (await get_mandate(database, m.id)).status == "new"

    await secretary.send("Вопрос в ведении управляющей компании")
    assert secretary.last_text.endswith(f"✅ Наказ № {m.number} отклонён. Автор получит причину.")
    assert (await get_mandate(database, m.id)).status == "rejected"
    (told,) = await notices_to(database, w.author)
    assert told.payload["text"] == (
        f"❌ Ваш наказ № {m.number} отклонён.{ABOUT}"
        "\nПричина: Вопрос в ведении управляющей компании"
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


async def test_a_list_asked_for_mid_action_keeps_the_action(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:resolve:{m.id}")
    assert last_alert(secretary).show_alert  # new → resolved is not a step
    await secretary.click_data(f"md:reject:{m.id}")
    await secretary.send("📥 Входящие наказы")
    assert "Входящие наказы" in secretary.last_text
    assert "Вы не дописали причину отклонения" in secretary.last_text  # it waits, and says so
    await secretary.send("Причина, которую всё ещё ждут")
    assert (await get_mandate(database, m.id)).status == "rejected"
