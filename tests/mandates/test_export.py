"""`/export`: the .xlsx opened with openpyxl, its rows checked; mandates outside the
reader's scope or period are absent."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from bot.services.errors import AccessDenied, InvalidInput
from bot.services.mandates import decisions, similarity
from bot.services.mandates.export import export_mandates_xlsx
from tests.mandates.helpers import act, submit

MANDATE_HEADERS = [
    "Номер",
    "Дата подачи",
    "Первичное отделение",
    "Категория",
    "Статус",
    "Текст наказа",
    "Адрес",
    "Широта",
    "Долгота",
    "От чьего имени",
    "Имя избирателя",
    "Телефон избирателя",
    "Фотографий",
    "Поддержали",
    "Срок первого ответа",
    "Просрочен",
    "Первый ответ",
    "Передан в",
    "Закрыт",
    "Оценка автора",
]
HISTORY_HEADERS = [
    "Номер",
    "Дата и время",
    "Кто",
    "Имя",
    "Действие",
    "Статус до",
    "Статус после",
    "Комментарий",
    "Оценка автора",
]


def rows(data: bytes, sheet: str) -> list[tuple]:
    workbook = load_workbook(io.BytesIO(data))
    return [tuple(r) for r in workbook[sheet].iter_rows(values_only=True)]


async def _export(database, user_id, clock, start=date(2026, 11, 1), end=date(2026, 11, 30)):
    return await act(
        database, export_mandates_xlsx, user_id, start, end, "Europe/Moscow", clock.now()
    )


async def test_export_has_every_field_and_the_history(database, world, clock) -> None:
    first = await submit(
        database,
        world.author,
        clock.now(),
        text='=HYPERLINK("http://x") во дворе дома 15 нет света',
        address="ул. Ленина, 15",
        latitude=45.035,
        longitude=38.975,
        photos=["a", "b"],
        on_behalf="voter",
        voter_name="Пётр Петров",
        voter_phone="8 918 123-45-67",
    )
    clock.advance(hours=2)
    await act(database, decisions.accept_mandate, world.secretary, first.id, clock.now())
    await act(
        database,
        decisions.resolve_mandate,
        world.secretary,
        first.id,
        "Фонари заменены",
        clock.now(),
    )
    await act(database, decisions.rate_mandate, world.author, first.id, 5, clock.now())
    second = await submit(database, world.member, clock.now(), category="roads")
    await act(database, similarity.support_mandate, world.author, second.id, clock.now())
    foreign = await submit(database, world.foreign_member, clock.now())
    clock.advance(days=10)  # the second is overdue by now

    data = await _export(database, world.secretary, clock)

    mandates = rows(data, "Наказы")
    assert list(mandates[0]) == MANDATE_HEADERS
    assert [r[0] for r in mandates[1:]] == [first.number, second.number]
    assert foreign.number not in {r[0] for r in mandates}
    row = dict(zip(MANDATE_HEADERS, mandates[1], strict=True))
    assert row == {
        "Номер": "20-03/2026/0001",
        "Дата подачи": datetime(2026, 11, 23, 10, 0),  # Moscow time
        "Первичное отделение": "20-03 первый Береговой округ",
        "Категория": "ЖКХ",
        "Статус": "выполнен",
        "Текст наказа": '=HYPERLINK("http://x") во дворе дома 15 нет света',  # not a formula
        "Адрес": "ул. Ленина, 15",
        "Широта": 45.035,
        "Долгота": 38.975,
        "От чьего имени": "от имени избирателя",
        "Имя избирателя": "Пётр Петров",
        "Телефон избирателя": "+79181234567",
        "Фотографий": 2,
        "Поддержали": 0,
        "Срок первого ответа": datetime(2026, 11, 26),
        "Просрочен": "нет",
        "Первый ответ": datetime(2026, 11, 23, 12, 0),
        "Передан в": None,
        "Закрыт": datetime(2026, 11, 23, 12, 0),
        "Оценка автора": 5,
    }
    text_cell = load_workbook(io.BytesIO(data))["Наказы"]["F2"]
    assert text_cell.data_type == "s"  # stored as text: Excel won't run it as a formula
    overdue = dict(zip(MANDATE_HEADERS, mandates[2], strict=True))
    assert (overdue["Категория"], overdue["Статус"], overdue["Просрочен"]) == (
        "Дороги и транспорт",
        "новый",
        "да",
    )
    assert (overdue["От чьего имени"], overdue["Поддержали"]) == ("от своего имени", 1)

    history = rows(data, "История")
    assert list(history[0]) == HISTORY_HEADERS
    assert [(r[0], r[2], r[3], r[4], r[5], r[6], r[7], r[8]) for r in history[1:]] == [
        (first.number, "автор", None, "Наказ подан", None, "новый", None, None),
        (first.number, "секретарь", "Сергей", "Принят в работу", "новый", "в работе", None, None),
        (
            first.number,
            "секретарь",
            "Сергей",
            "Отмечен выполненным",
            "в работе",
            "выполнен",
            "Фонари заменены",
            None,
        ),
        (first.number, "автор", None, "Оценка результата", None, None, None, 5),
        (second.number, "автор", None, "Наказ подан", None, "новый", None, None),
        (
            second.number,
            "участник отделения",
            None,
            "Наказ поддержан",
            None,
            None,
            None,
            None,
        ),
    ]
    assert history[2][1] == datetime(2026, 11, 23, 12, 0)


async def test_each_reader_gets_their_scope_and_period(database, world, clock) -> None:
    home = await submit(database, world.author, clock.now())
    away = await submit(database, world.foreign_member, clock.now())
    earlier = await submit(database, world.author, clock.now() - timedelta(days=60))

    def numbers(data: bytes) -> set[str]:
        return {r[0] for r in rows(data, "Наказы")[1:]}

    assert numbers(await _export(database, world.curator, clock)) == {home.number}
    assert numbers(await _export(database, world.foreign_curator, clock)) == {away.number}
    assert numbers(await _export(database, world.admin, clock)) == {home.number, away.number}
    assert numbers(await _export(database, world.region_admin, clock)) == set()
    everything = await _export(database, world.admin, clock, start=date(2026, 9, 1))
    assert numbers(everything) == {home.number, away.number, earlier.number}
    with pytest.raises(AccessDenied):
        await _export(database, world.author, clock)
    with pytest.raises(InvalidInput) as error:
        await _export(database, world.admin, clock, start=date(2026, 12, 1))
    assert error.value.code == "export_period_invalid"


async def test_the_period_is_in_the_readers_days(database, world, clock) -> None:
    # 22:30 UTC on 30 November is 1 December in Moscow: outside a November export.
    late = await submit(database, world.author, datetime(2026, 11, 30, 22, 30, tzinfo=UTC))
    inside = await submit(database, world.author, datetime(2026, 11, 30, 20, 30, tzinfo=UTC))
    data = await _export(database, world.secretary, clock)
    assert [r[0] for r in rows(data, "Наказы")[1:]] == [inside.number]
    assert late.number.endswith("0001")


def _die_in_a_child(parent: int) -> bytes:
    # Module-level so the child process can import it: kills the child, not the parent.
    import os

    if os.getpid() != parent:
        os._exit(1)
    return b"in the parent"


async def test_the_workbook_is_written_in_another_process_or_else_in_a_thread(
    database, world, clock, monkeypatch
) -> None:
    # Imported here: this test was added below the module's own tests.
    import os
    from concurrent.futures.process import BrokenProcessPool

    from bot.services.mandates import workbook

    # openpyxl in a thread would hold the GIL for seconds and stall every other update.
    assert await workbook.off_process(os.getpid) != os.getpid()
    # A child that dies costs that export nothing: it is written in a thread instead, and
    # the next one gets a new child.
    assert await workbook.off_process(_die_in_a_child, os.getpid()) == b"in the parent"
    assert await workbook.off_process(os.getpid) != os.getpid()

    def cannot_start() -> None:
        raise BrokenProcessPool("no processes here")

    monkeypatch.setattr(workbook, "_process_pool", cannot_start)
    mandate = await submit(database, world.author, clock.now())
    data = await _export(database, world.secretary, clock)
    assert [r[0] for r in rows(data, "Наказы")] == ["Номер", mandate.number]
