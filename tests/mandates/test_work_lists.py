"""The staff's work on mandates through the dispatcher: the author's rating, the curator's
comment, /inbox and /mandates with their filters and pages, photos and long histories.

Mandates are created by the service (`submit_mandate`), as the submission flow would."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from aiogram.methods import SendPhoto

from bot.services.mandates import decisions
from bot.services.people import Role
from tests.harness.factories import make_user
from tests.mandates.helpers import act, get_mandate, submit
from tests.mandates.work_steps import (
    ABOUT,
    accepted,
    last_alert,
    notice_button,
    notices_to,
    press,
    shown_buttons,
)

# --- resolving and the author's rating ----------------------------------------------------


async def test_resolve_then_the_author_rates_five_in_the_notice(
    world, database, make_client, clock
):
    w = world
    mandate_id = await accepted(database, clock, w)
    secretary, author = make_client(w.secretary), make_client(w.author)
    await secretary.click_data(f"md:open:{mandate_id}")
    await press(secretary, "Отметить выполненным")
    assert "Напишите, что сделано" in secretary.last_text
    await secretary.send("Фонари заменили 25 ноября")
    assert "Статус: <b>выполнен</b>" in secretary.last_text

    resolved = (await notices_to(database, w.author))[-1]
    number = (await get_mandate(database, mandate_id)).number
    assert resolved.payload["text"].startswith(f"✅ Ваш наказ № {number} выполнен.")
    assert "Комментарий: Фонари заменили 25 ноября" in resolved.payload["text"]
    assert notice_button(resolved, "5 —") == f"mdr:{mandate_id}:5"

    await author.click_data(notice_button(resolved, "5 —"))
    assert author.last_text == (
        f"Спасибо за оценку! Наказ № {number}: ⭐⭐⭐⭐⭐ 5 из 5. Секретарь её увидит."
    )
    mandate = await get_mandate(database, mandate_id)
    assert (mandate.status, mandate.rating) == ("resolved", 5)
    assert (await notices_to(database, w.secretary))[-1].payload["text"] == (
        f"⭐ Автор наказа № {number} оценил результат: 5 из 5.{ABOUT}"
    )

    await author.click_data(notice_button(resolved, "1 —"))  # a second tap
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
    assert curator.last_text.endswith(
        f"✅ Комментарий к наказу № {m.number} сохранён. Секретарь отделения получит уведомление."
    )
    assert "куратор: Комментарий" in curator.last_text
    assert (await notices_to(database, w.secretary))[-1].payload["text"] == (
        f"📝 Куратор оставил комментарий к наказу № {m.number}:{ABOUT}\n\nПрошу ответить до пятницы"
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
