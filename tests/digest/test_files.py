"""The chart and the workbook are made and opened, with the figures checked (and the reused
figure leaves nothing of one chart in the next); 40 branches still fit one message."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from PIL import Image

from bot.services.digest.chart import Chart, ChartData, chart_data, render_chart
from bot.services.digest.figures import build_digest
from bot.services.digest.text import render_message
from bot.services.digest.weekly import render_files
from bot.services.people import Role, grant_role
from storage.models import Mandate
from tests.digest.helpers import NOW, mandate, utc
from tests.digest.test_figures import digest_of
from tests.harness.factories import make_branch


async def test_the_chart_is_a_phone_sized_png_of_the_week_and_the_trend(database, week):
    digest = await digest_of(database, week.world.curator)
    data = chart_data(digest)
    assert data.branches == [("20-03", {"accepted": 1, "resolved": 1, "rejected": 1, "new": 1}),
                             ("7", {"new": 1})]  # fmt: skip
    assert data.received == [1, 0, 0, 0, 0, 1, 1, 5]
    assert data.weeks[-1] == "16.11"
    image = Image.open(io.BytesIO(render_chart(data)))
    assert image.format == "PNG"
    assert image.size == (800, 960)


async def test_the_workbook_has_a_sheet_per_topic_with_the_figures(database, week):
    digest = await digest_of(database, week.world.curator)
    files = await render_files(digest)
    assert Image.open(io.BytesIO(files.chart)).size == (800, 960)
    book = load_workbook(io.BytesIO(files.workbook))
    assert book.sheetnames == ["Отделения", "Просроченные", "Практики", "По неделям", "Обязанности"]
    branches = book["Отделения"]
    rows = list(branches.iter_rows(values_only=True))
    assert rows[0][:8] == ("Номер", "Отделение", "Поступило", "Первый ответ", "Выполнено",
                           "Отклонено", "Просрочено сейчас", "Эскалировано")  # fmt: skip
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["20-03"][2:14] == (4, 3, 2, 1, 2, 1, 14, 4.5, 2, 1, 1, "нет")
    assert by_number["7"][2:7] == (1, 0, 0, 0, 0)
    assert by_number["7"][13] == "да"
    assert by_number[None][1:7] == ("Итого", 5, 3, 2, 1, 2)
    assert branches.freeze_panes == "A2"
    assert branches.column_dimensions["B"].width >= len("Береговой округ")
    overdue = list(book["Просроченные"].iter_rows(values_only=True))
    assert overdue[1:] == [("M4", "20-03 первый Береговой округ", 6, "да"),
                           ("M5", "20-03 первый Береговой округ", 1, "нет")]  # fmt: skip
    practices = list(book["Практики"].iter_rows(values_only=True))
    assert [row[0] for row in practices[1:]] == ["Субботник во дворе", "Чат дома",
                                                 "Лавочки у подъезда"]  # fmt: skip
    weeks = list(book["По неделям"].iter_rows(values_only=True))
    assert weeks[-1] == ("16.11.2026", 5, 3, 2)
    assert len(weeks) == 9


async def test_a_curator_of_40_branches_gets_totals_and_exceptions_under_4096(database, world):
    branch_ids = []
    for n in range(40):
        branch_ids.append(
            await make_branch(database, f"30-{n:02}", name=f"Очень длинное название округа {n}")
        )
    async with database.transaction() as session:
        for branch_id in branch_ids:
            await grant_role(session, world.curator, Role.CURATOR, NOW, branch_id=branch_id)
        rows: list[Mandate] = []
        for i, branch_id in enumerate(branch_ids):
            for k in range(5):  # each branch: overdue ones, and answered ones
                rows.append(mandate(f"30-{i:02}/2026-{k:04}", branch_id, world.author, "new",
                                    utc(11, 10, 9), utc(11, 13, 21)))  # fmt: skip
                rows.append(mandate(f"30-{i:02}/2026-1{k:03}", branch_id, world.author,
                                    "accepted", utc(11, 17, 9), utc(11, 20, 21),
                                    answered=utc(11, 18, 9)))  # fmt: skip
        session.add_all(rows)
    async with database.reading() as session:
        digest = await build_digest(session, world.curator, branch_ids, NOW, "Europe/Moscow")
    text, _ = render_message(digest, escalate_days=2)
    assert len(text) < 4096
    assert "Просрочено: 200 наказов" in text
    assert "Цифры по каждому отделению (40) — в файле Excel" in text
    assert "Поступило: 200 · первый ответ: 200" in text
    assert text.count("• ") == 5  # the five most overdue
    files = await render_files(digest)
    book = load_workbook(io.BytesIO(files.workbook))
    assert book["Отделения"].max_row == 42  # the header, 40 branches, the total
    assert book["Просроченные"].max_row == 201


def test_the_reused_figure_draws_each_chart_as_a_fresh_one_would():
    """One figure per process draws every digest's chart: the second of two digests in a row
    is the very PNG a new figure makes of it — no bar, label or line left from the first."""
    busy = ChartData(
        branches=[(f"{n:02}", {"new": n + 1, "resolved": 2, "rejected": 1}) for n in range(10)]
        + [("остальные (5)", {"accepted": 40})],
        weeks=[f"{day:02}.10" for day in range(1, 9)],
        received=[90, 80, 70, 60, 50, 40, 30, 120],
        answered=[5] * 8,
        resolved=[1] * 8,
    )
    quiet = ChartData(
        branches=[("7", {"clarification": 1})],
        weeks=[f"{day:02}.11" for day in range(1, 9)],
        received=[0, 0, 1, 0, 0, 0, 0, 1],
        answered=[0] * 8,
        resolved=[0] * 8,
    )
    empty = ChartData(branches=[], weeks=quiet.weeks, received=[0] * 8, answered=[0] * 8,
                      resolved=[0] * 8)  # fmt: skip
    reused = Chart()
    pictures = [reused.render(busy), reused.render(quiet), reused.render(empty),
                reused.render(busy)]  # fmt: skip
    assert pictures[1] == Chart().render(quiet)
    assert pictures[2] == Chart().render(empty)
    assert pictures[3] == pictures[0]
    assert len(set(pictures[:3])) == 3
    for picture in pictures:
        image = Image.open(io.BytesIO(picture))
        image.load()  # every row decodes
        assert (image.format, image.size) == ("PNG", (800, 960))
        assert image.getextrema()[3] == (255, 255)  # opaque everywhere
