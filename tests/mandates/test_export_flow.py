"""/export through the dispatcher: the period is chosen with a button, the `.xlsx` comes
back as a document; opened with openpyxl, it holds the reader's mandates of that period
and nothing else."""

from __future__ import annotations

import io
from datetime import date

import pytest
from aiogram.methods import AnswerCallbackQuery, SendDocument
from openpyxl import load_workbook

from bot.services.mandates import decisions
from handlers.mandates.export import period_dates
from tests.mandates.helpers import act, submit


def workbook_rows(request: SendDocument, sheet: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(request.document.data))
    return [tuple(r) for r in workbook[sheet].iter_rows(values_only=True)]


async def test_secretary_exports_the_week_of_their_branch(
    world, database, make_client, clock, recording
):
    w = world
    clock.advance(days=-10)
    older = await submit(database, w.author, clock.now(), text="Старый наказ про лавочки во дворе")
    clock.advance(days=10)
    mine = await submit(database, w.author, clock.now())
    await act(database, decisions.accept_mandate, w.secretary, mine.id, clock.now())
    foreign = await submit(database, w.foreign_member, clock.now(), text="Наказ другого округа")

    secretary = make_client(w.secretary)
    await secretary.send("📤 Выгрузка в Excel")
    assert "За какой период?" in secretary.last_text
    assert secretary.buttons() == ["За 7 дней", "За месяц", "За 3 месяца", "За год", "За всё время"]
    await secretary.click("За 7 дней")

    (sent,) = recording.sent(SendDocument)
    assert sent.chat_id == w.secretary
    assert sent.document.filename == "nakazy_2026-11-23.xlsx"
    assert sent.caption.startswith("📤 Наказы, поданные с 17.11.2026 по 23.11.2026.")
    rows = workbook_rows(sent, "Наказы")
    assert rows[0][:5] == ("Номер", "Дата подачи", "Первичное отделение", "Категория", "Статус")
    assert [r[0] for r in rows[1:]] == [mine.number]  # neither the old one nor the foreign one
    assert rows[1][4] == "в работе"
    history = workbook_rows(sent, "История")
    assert [(r[0], r[2], r[4]) for r in history[1:]] == [
        (mine.number, "автор", "Наказ подан"),
        (mine.number, "секретарь", "Принят в работу"),
    ]
    assert older.number not in {r[0] for r in history}
    assert foreign.number not in {r[0] for r in history}
    assert "Выгрузка: За 7 дней" in secretary.last_text  # the choice replaced the buttons


async def test_admin_exports_everything(world, database, make_client, clock, recording):
    w = world
    clock.advance(days=-400)
    ancient = await submit(database, w.author, clock.now(), text="Очень старый наказ про крышу")
    clock.advance(days=400)
    mine = await submit(database, w.author, clock.now())
    foreign = await submit(database, w.foreign_member, clock.now(), text="Наказ другого округа")
    admin = make_client(w.admin)
    await admin.send("/export")
    await admin.click("За всё время")
    (sent,) = recording.sent(SendDocument)
    numbers = {r[0] for r in workbook_rows(sent, "Наказы")[1:]}
    assert numbers == {ancient.number, mine.number, foreign.number}
    assert sent.caption.startswith("📤 Все наказы по 23.11.2026.")


async def test_curator_exports_only_curated_branches(
    world, database, make_client, clock, recording
):
    w = world
    mine = await submit(database, w.author, clock.now())
    await submit(database, w.foreign_member, clock.now(), text="Наказ другого округа")
    curator = make_client(w.curator)
    await curator.send("/export")
    await curator.click("За месяц")
    (sent,) = recording.sent(SendDocument)
    assert [r[0] for r in workbook_rows(sent, "Наказы")[1:]] == [mine.number]


async def test_members_without_a_staff_role_get_no_file(world, database, make_client, recording):
    member = make_client(world.member)
    await member.send("/export")
    assert member.last_text == "⛔ Нет доступа."
    await member.click_data("ex:week")  # a forged button
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert (answer.text, answer.show_alert) == ("⛔ Нет доступа.", True)
    assert not recording.sent(SendDocument)


async def test_an_unknown_period_is_refused(world, make_client, recording):
    secretary = make_client(world.secretary)
    await secretary.click_data("ex:decade")
    assert (
        recording.sent(AnswerCallbackQuery)[-1].text == "Такого периода нет: выберите его кнопкой."
    )
    assert not recording.sent(SendDocument)


@pytest.mark.parametrize(
    ("period", "today", "start"),
    [
        ("week", date(2026, 11, 23), date(2026, 11, 17)),
        ("month", date(2026, 11, 23), date(2026, 10, 24)),
        ("month", date(2026, 3, 31), date(2026, 3, 1)),  # 28 Feb + 1 day
        ("quarter", date(2026, 2, 15), date(2025, 11, 16)),
        ("year", date(2028, 2, 29), date(2027, 3, 1)),
    ],
)
async def test_periods_end_today(period, today, start):
    assert period_dates(period, today) == (start, today)
