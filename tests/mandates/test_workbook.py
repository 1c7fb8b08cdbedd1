"""The `.xlsx` writer every export, roster and digest uses: what people typed comes back
as the same text, times as spreadsheet dates, and nothing is left on disk."""

from __future__ import annotations

import io
import os
import tempfile
from datetime import date, datetime

from openpyxl import load_workbook

from bot.services.mandates import workbook

SHEET = ("Лист", ["Текст", "Когда", "Число"], [40, 18, 8])


def _read(data: bytes) -> list[tuple]:
    sheet = load_workbook(io.BytesIO(data))["Лист"]
    return [tuple(row) for row in sheet.iter_rows(min_row=2, values_only=True)]


def test_peoples_text_comes_back_as_the_same_text() -> None:
    texts = [
        '=HYPERLINK("http://x")',  # not a formula
        "http://example.org/a",  # not a link
        "0012",  # not a number
        "<r>&</r>",  # not rich-text XML (XlsxWriter's own marker): the file stays valid
        "<r><t>жирный</t></r>",
        "двор\x01 дома\x0b 15",  # characters XML cannot hold are dropped
        "ул. Ленина, 15 — «двор»",
    ]
    data = workbook.build_workbook((SHEET,), [[text, None, 1] for text in texts])

    assert [row[0] for row in _read(data)] == [
        '=HYPERLINK("http://x")',
        "http://example.org/a",
        "0012",
        "<r>&</r>",
        "<r><t>жирный</t></r>",
        "двор дома 15",
        "ул. Ленина, 15 — «двор»",
    ]
    sheet = load_workbook(io.BytesIO(data))["Лист"]
    assert {sheet[f"A{n}"].data_type for n in range(2, 9)} == {"s"}
    assert sheet._hyperlinks == []


def test_times_are_dates_an_empty_text_an_empty_cell() -> None:
    rows = [
        ["", datetime(2026, 11, 23, 10, 0), 2.5],
        [None, date(2026, 11, 26), True],
        ["x", datetime(1999, 12, 31, 23, 59, 30), 7],
    ]
    data = workbook.build_workbook((SHEET,), rows)

    assert _read(data) == [
        (None, datetime(2026, 11, 23, 10, 0), 2.5),
        (None, datetime(2026, 11, 26), True),
        ("x", datetime(1999, 12, 31, 23, 59, 30), 7),
    ]
    sheet = load_workbook(io.BytesIO(data))["Лист"]
    assert (sheet["B2"].number_format, sheet["B3"].number_format) == (
        "dd.mm.yyyy hh:mm",
        "dd.mm.yyyy",
    )


def test_a_streamed_book_keeps_its_header_in_sight_and_leaves_no_files() -> None:
    before = set(os.listdir(tempfile.gettempdir()))
    workbook.open_book("a", (SHEET,))
    for start in range(0, 3000, 1000):
        workbook.append_rows("a", 0, [[f"наказ {n}", None, n] for n in range(start, start + 1000)])
    workbook.open_book("b", (SHEET,))
    workbook.append_rows("b", 0, [["бросили", None, 1]])
    workbook.drop_book("b")  # an export that failed half-way
    data = workbook.close_book("a")

    sheet = load_workbook(io.BytesIO(data))["Лист"]
    assert [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)] == list(range(3000))
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["A"].width > 39
    assert set(os.listdir(tempfile.gettempdir())) - before == set()
