"""A structure file as people have it: an Excel workbook (.xlsx) or a CSV (UTF-8, with
commas or Excel's semicolons), read into the header and the numbered rows `csv_format`
checks. The bot's upload and the CLI's import both read files here, so they accept and
refuse the same files, with the same words; and the template the bot offers is made here.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from datetime import date, datetime, time

import xlsxwriter
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from bot.services.errors import InvalidInput
from bot.services.structure.csv_format import COLUMNS, ImportProblem, RawRow, read_text
from bot.texts import t

_ZIP = b"PK\x03\x04"  # an .xlsx is a zip archive
_OLE = b"\xd0\xcf\x11\xe0"  # the old binary Office formats: .xls, .doc


class UnreadableFile(InvalidInput):
    """Not a table the import can read; `reason` says why and what to do, in Russian."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.reason = t(f"structure.{code}")


@dataclass(slots=True)
class Table:
    fieldnames: list[str]
    rows: list[tuple[int, RawRow]]  # (line, values by column name), the header is line 1
    # Cells Excel turned into something else (20-03 typed without the text format becomes
    # a date): told with the rows' problems, never imported as they came.
    problems: list[ImportProblem] = field(default_factory=list)


def read_file(data: bytes) -> Table:
    """The table in `data`, told apart by its content rather than its name: people rename
    files, and Telegram keeps whatever name they had."""
    if data.startswith(_ZIP):
        return _read_workbook(data)
    if data.startswith(_OLE):
        raise UnreadableFile("old_excel")
    if b"\x00" in data:  # no text file holds NUL bytes: a picture, a PDF, an archive
        raise UnreadableFile("not_a_table")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise UnreadableFile("not_utf8") from None  # Excel's «CSV» in Windows-1251
    fieldnames, rows = read_text(text)
    return Table(fieldnames, rows)


def _read_workbook(data: bytes) -> Table:
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError):
        raise UnreadableFile("not_a_table") from None  # a .docx, a zip of photos, a broken file
    try:
        sheet = workbook.worksheets[0]  # the data; a template's notes are on the second
        lines = sheet.iter_rows(values_only=True)
        header = next(lines, ())
        fieldnames = [_cell(value) for value in header]
        table = Table(fieldnames, [])
        for line, values in enumerate(lines, start=2):
            row: dict[object, object] = {}
            for column, value in zip(fieldnames, values, strict=False):
                if isinstance(value, date | time):
                    reason = t("structure.date_cell", column=column)
                    table.problems.append(ImportProblem(line, reason))
                row[column] = _cell(value)
            extra = [_cell(value) for value in values[len(fieldnames) :] if _cell(value)]
            if extra:
                row[None] = extra  # as the csv module has it: beyond the header
            table.rows.append((line, row))
        return table
    finally:
        workbook.close()


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a region code typed as a number: 23, not 23.0
    if isinstance(value, datetime):
        return value.strftime("%d.%m.%Y")
    return str(value)


def template() -> bytes:
    """An .xlsx to fill in: the header on the first sheet (every column formatted as text,
    so Excel keeps 20-03 a branch number and not a date); what each column means, with an
    example, on the second, where a forgotten example is never imported."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"strings_to_numbers": False})
    bold, text = workbook.add_format({"bold": True}), workbook.add_format({"num_format": "@"})
    sheet = workbook.add_worksheet(t("structure.template.sheet"))
    for index, column in enumerate(COLUMNS):
        sheet.set_column(index, index, max(16, len(column) + 4), text)
    sheet.write_row(0, 0, list(COLUMNS), bold)
    notes = workbook.add_worksheet(t("structure.template.notes_sheet"))
    for index, width in enumerate((18, 70, 36)):
        notes.set_column(index, index, width)
    notes.write_row(
        0, 0, [t(f"structure.template.{key}") for key in ("column", "meaning", "example")], bold
    )
    for row, column in enumerate(COLUMNS, start=1):
        notes.write_row(
            row,
            0,
            [column, t(f"structure.columns.{column}"), t(f"structure.template.examples.{column}")],
        )
    workbook.close()
    return buffer.getvalue()
