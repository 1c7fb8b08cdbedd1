"""Issue #8, the staff's side: mandates as secretaries, curators and admins meet them,
through the dispatcher. Each test failed before its fix."""

from __future__ import annotations

import pytest

from bot.services.errors import AccessDenied
from bot.services.mandates import decisions, similarity
from bot.services.people import Role
from tests.harness.factories import make_branch, make_user
from tests.mandates.helpers import act, events, get_mandate, submit
from tests.mandates.submit_steps import submit as submit_in_chat
from tests.mandates.work_steps import (
    ABOUT,
    last_alert,
    notice_button,
    notices_to,
    press,
    shown_buttons,
)

LONELY_AUTHOR, LONELY_CURATOR = 800, 801  # of a branch without a secretary


async def _lonely_branch(database, *, curator: bool = True) -> int:
    branch = await make_branch(database, "20-05", name="пятый Береговой округ")
    await make_user(database, LONELY_AUTHOR, branch_id=branch)
    if curator:
        await make_user(database, LONELY_CURATOR, roles={Role.CURATOR: [branch]})
    return branch


# --- 1. a branch without a secretary ---------------------------------------------------------


async def test_a_branch_without_a_secretary_is_answered_by_its_curator(
    world, database, make_client, clock
):
    await _lonely_branch(database)
    author = make_client(LONELY_AUTHOR)
    await submit_in_chat(author)
    # The author is told who answers: not a secretary the branch does not have.
    sent = next(r for r in author.replies() if "Наказ отправлен" in r)
    assert "Секретарь отделения ответит" not in sent
    assert "ответит куратор отделения не позже" in sent

    (notice,) = await notices_to(database, LONELY_CURATOR)
    assert "В отделении пока нет секретаря, поэтому наказ пришёл вам" in notice.payload["text"]
    curator = make_client(LONELY_CURATOR)
    await curator.click_data(notice_button(notice, "Принять в работу"))
    assert last_alert(curator).text == "✅ Принят в работу"
    assert "Статус: <b>в работе</b>" in curator.last_text
    assert "куратор: Принят в работу" in curator.last_text
    # Everything a secretary can, and no «comment for the secretary» nobody would read.
    assert "❓ Уточнить" in shown_buttons(curator)
    assert "✔️ Отметить выполненным" in shown_buttons(curator)
    assert "💬 Комментарий" not in shown_buttons(curator)

    await press(curator, "Уточнить")
    await curator.send("Какой номер дома?")
    [mandate_row] = [n for n in await notices_to(database, LONELY_AUTHOR)][-1:]
    assert "Какой номер дома?" in mandate_row.payload["text"]


async def test_the_admin_is_told_once_that_a_branch_has_no_secretary(
    world, database, make_client, clock
):
    await _lonely_branch(database)
    author = make_client(LONELY_AUTHOR)
    await submit_in_chat(author)
    (told,) = await notices_to(database, world.admin)
    assert (
        "В первичном отделении №20-05 — пятый Береговой округ нет секретаря"
        in (told.payload["text"])
    )
    assert "кураторы отделения (1 куратор)" in told.payload["text"]
    # The admin may act on it from the notice.
    assert notice_button(told, "Принять в работу").startswith("md:accept:")
    # The second one while the first is open: the curator hears, the admin is not told again.
    await submit_in_chat(author, text="Во дворе дома 14 на улице Мира сломана детская площадка")
    assert len(await notices_to(database, world.admin)) == 1
    assert len(await notices_to(database, LONELY_CURATOR)) == 2


async def test_with_neither_secretary_nor_curator_admins_get_every_mandate(
    world, database, make_client, clock
):
    await _lonely_branch(database, curator=False)
    author = make_client(LONELY_AUTHOR)
    await submit_in_chat(author)
    assert any("ответит сотрудник исполкома" in r for r in author.replies())
    await submit_in_chat(author, text="Во дворе дома 14 на улице Мира сломана детская площадка")
    told = await notices_to(database, world.admin)
    assert len(told) == 2
    assert "нет ни секретаря, ни куратора" in told[0].payload["text"]


async def test_a_curator_of_a_branch_with_a_secretary_still_only_comments(
    world, database, make_client, clock
):
    m = await submit(database, world.author, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(f"md:accept:{m.id}")  # forged: the branch has a secretary
    assert last_alert(curator).text == "⛔ Нет доступа."
    await curator.click_data(f"md:ask:{m.id}")
    assert last_alert(curator).text == "⛔ Нет доступа."
    assert (await get_mandate(database, m.id)).status == "new"


async def test_forged_buttons_of_a_lonely_branch_are_refused_outside_ones_scope(
    world, database, make_client, clock
):
    await _lonely_branch(database)
    m = await submit(database, LONELY_AUTHOR, clock.now())
    for outsider in (world.curator, world.secretary, world.region_admin):
        client = make_client(outsider)
        for action in ("accept", "ask", "reject"):
            await client.click_data(f"md:{action}:{m.id}")
            assert last_alert(client).text == "⛔ Нет доступа.", (outsider, action)
    with pytest.raises(AccessDenied):
        await act(database, decisions.accept_mandate, world.curator, m.id, clock.now())
    assert (await get_mandate(database, m.id)).status == "new"
    assert [e.action for e in await events(database, m.id)] == ["submitted"]


# --- 8. which mandate a notice is about -------------------------------------------------------


async def test_the_authors_notice_says_which_mandate(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:accept:{m.id}")
    (told,) = await notices_to(database, world.author)
    assert told.payload["text"] == f"🛠 Ваш наказ № {m.number} принят в работу.{ABOUT}"


# --- 14. one word for each thing --------------------------------------------------------------


async def test_the_authors_own_history_says_you_and_supporters_are_people(
    world, database, make_client, clock
):
    m = await submit(database, world.author, clock.now())
    await act(database, similarity.support_mandate, world.member, m.id, clock.now())
    await act(database, decisions.ask_clarification, world.secretary, m.id, "Где?", clock.now())
    author = make_client(world.author)
    await author.click_data(f"md:open:{m.id}")
    card = author.last_text
    assert "вы: Наказ подан" in card
    assert "автор:" not in card
    assert "участник отделения: Наказ поддержан" in card
    assert "👍 Поддержали: 1 человек" in card
    assert "сторонник" not in card
    assert "Вопрос к вам:</b> Где?" in card
    assert "секретарь: Задан вопрос" in card


async def test_labels_are_the_same_on_the_notice_and_the_card(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    (notice,) = await notices_to(database, world.secretary)
    on_notice = [b["text"] for row in notice.payload["buttons"] for b in row]
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:open:{m.id}")
    on_card = shown_buttons(secretary)
    assert {"✅ Принять в работу", "❓ Уточнить"} <= set(on_notice)
    assert {"✅ Принять в работу", "❓ Уточнить"} <= set(on_card)


async def test_one_role_is_named_as_one(world, make_client):
    secretary = make_client(world.secretary)
    await secretary.send("/menu")
    assert "Ваша роль: секретарь." in secretary.last_text
    admin = make_client(world.admin)
    await admin.send("/help")
    assert "курируемых" not in admin.last_text


# --- 6. one card per mandate per chat ---------------------------------------------------------


def _notice_message_id(notice) -> int:
    return 50_000 + notice.id  # the id Telegram would have given the delivered notice


async def _press_in_notice(client, notice, label: str) -> None:
    await client.click_data(
        notice_button(notice, label),
        message_id=_notice_message_id(notice),
        text=notice.payload["text"],
    )


def _to(recording, chat_id: int, *kinds) -> list:
    return [r for r in recording.requests if isinstance(r, kinds) and r.chat_id == chat_id]


async def test_a_secretarys_round_trip_is_one_message_per_question(
    world, database, make_client, clock, recording
):
    from aiogram.methods import EditMessageReplyMarkup, EditMessageText, SendMediaGroup, SendMessage

    w = world
    m = await submit(database, w.author, clock.now())
    secretary, author = make_client(w.secretary), make_client(w.author)

    (new,) = await notices_to(database, w.secretary)
    await _press_in_notice(secretary, new, "Принять в работу")  # the notice becomes the card
    await press(secretary, "Уточнить")  # the question is asked on the card
    assert "Вопрос автору наказа" in secretary.last_text
    assert shown_buttons(secretary) == ["↩️ Отменить"]  # the card's buttons give way
    await secretary.send_sticker()  # refused: said in the same message
    assert "⚠️" in secretary.last_text
    await secretary.send("Какой номер подъезда?")
    assert "Статус: <b>уточнение у автора</b>" in secretary.last_text
    assert "✅ Вопрос по наказу" in secretary.last_text

    question = (await notices_to(database, w.author))[-1]
    await _press_in_notice(author, question, "Ответить")
    await author.send("Подъезд 2, этаж 5")

    answered = (await notices_to(database, w.secretary))[-1]
    assert "ответил на вопрос" in answered.payload["text"]
    await _press_in_notice(secretary, answered, "Открыть")  # the card moves to the newest
    await press(secretary, "Отметить выполненным")
    await secretary.send("Фонари заменили 25 ноября")
    assert "Статус: <b>выполнен</b>" in secretary.last_text

    # Nothing sent to the secretary but the two notices; every step edited one of them.
    assert _to(recording, w.secretary, SendMessage, SendMediaGroup) == []
    notices = {_notice_message_id(new), _notice_message_id(answered)}
    edited = {r.message_id for r in _to(recording, w.secretary, EditMessageText)}
    assert edited == notices
    # The first copy of the card lost its buttons when the card moved on.
    cleared = _to(recording, w.secretary, EditMessageReplyMarkup)
    assert [r.message_id for r in cleared] == [_notice_message_id(new)]
    assert cleared[0].reply_markup is None
    assert (await get_mandate(database, m.id)).status == "resolved"


async def test_photos_go_to_a_chat_once(world, database, make_client, clock, recording):
    from aiogram.methods import SendMediaGroup

    m = await submit(database, world.author, clock.now(), photos=["ph-1", "ph-2"])
    secretary = make_client(world.secretary)
    await secretary.click_data(f"md:open:{m.id}")
    await secretary.send("/inbox")
    await secretary.click(f"№ {m.number}")
    await secretary.click_data(f"md:open:{m.id}")
    assert len(recording.sent(SendMediaGroup)) == 1
    assert "Фотографий: 2" in secretary.last_text


# --- 10. closed mandates can be found ---------------------------------------------------------


async def test_a_secretary_finds_closed_mandates_by_status(world, database, make_client, clock):
    m = await submit(database, world.author, clock.now())
    await act(database, decisions.accept_mandate, world.secretary, m.id, clock.now())
    await act(database, decisions.resolve_mandate, world.secretary, m.id, "Готово", clock.now())
    secretary = make_client(world.secretary)
    await secretary.send("/inbox")
    assert "Открытых наказов нет" in secretary.last_text
    await secretary.click("Статус")
    await secretary.click("выполнен")
    assert "Статус: выполнен" in secretary.last_text
    assert f"<b>№ {m.number}</b> · выполнен" in secretary.last_text
    await secretary.click("Статус")
    await secretary.click("Открытые")
    assert "Открытых наказов нет" in secretary.last_text


async def test_a_mandate_is_found_by_its_number_within_what_one_may_see(
    world, database, make_client, clock
):
    m = await submit(database, world.author, clock.now())
    await act(database, decisions.reject_mandate, world.secretary, m.id, "Не наше", clock.now())
    secretary = make_client(world.secretary)
    await secretary.send(f"/mandate {m.number}")
    assert f"Наказ № {m.number}</b>" in secretary.last_text
    assert "Статус: <b>отклонён</b>" in secretary.last_text
    author = make_client(world.author)
    await author.send("20-03/2026/1")  # just the number, the zeros left out
    assert f"Наказ № {m.number}</b>" in author.last_text
    for outsider in (world.foreign_secretary, world.member):
        client = make_client(outsider)
        await client.send(m.number)
        assert client.last_text == f"Наказа № {m.number} среди ваших нет. " + (
            "Проверьте номер: он выглядит так — 20-03/2026/0015."
        )


# --- 4. staff submit mandates too -------------------------------------------------------------


async def test_a_secretary_submits_to_her_branch_without_an_invite(
    world, database, make_client, clock
):
    secretary = make_client(world.secretary)
    await submit_in_chat(secretary)
    sent = next(r for r in secretary.replies() if "Наказ отправлен" in r)
    assert "Секретарь отделения ответит" in sent
    from tests.mandates.submit_steps import saved_mandates

    [m] = await saved_mandates(database)
    assert (m.branch_id, m.author_id) == (world.branch, world.secretary)


async def test_a_curator_is_asked_which_branch(world, database, make_client, clock):
    from tests.mandates.submit_steps import TEXT, saved_mandates

    await make_user(database, 402, roles={Role.CURATOR: [world.branch, world.other_branch]})
    curator = make_client(402)
    await curator.send("/mandate")
    assert "В какое первичное отделение подать наказ?" in curator.last_text
    assert "попросите у секретаря" not in curator.last_text
    await curator.click("№20-04")
    assert "Выберите категорию" in curator.last_text
    await curator.click("ЖКХ")
    await curator.send(TEXT)
    await curator.send("ул. Мира, 12")
    await curator.click("Без фото")
    await curator.click("Мой")
    await curator.click("Отправить")
    [m] = await saved_mandates(database)
    assert m.branch_id == world.other_branch
    # A forged choice outside one's branches is refused.
    from handlers.callbacks import PickCb

    await curator.click_data(PickCb(purpose="mnd", level="br", id=world.far_branch).pack())
    assert last_alert(curator).text == "⛔ Нет доступа."


async def test_an_admin_picks_any_branch_of_their_scope(world, database, make_client, clock):
    admin = make_client(world.admin)
    await admin.send("/mandate")
    assert "Выберите регион" in admin.last_text
    await admin.click("Краснодарский край")
    await admin.click("Краснодарское местное отделение")
    await admin.click("№20-03")
    assert "Выберите категорию" in admin.last_text
