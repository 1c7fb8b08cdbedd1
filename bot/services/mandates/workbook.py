"""Writing an `.xlsx` from plain rows, off the bot's process.

openpyxl's write-only mode streams rows instead of holding cell objects, so 10,000
mandates stay cheap in memory; the writing runs in a child process, so its seconds of
pure Python do not hold the bot's GIL (see `off_process`).
"""

from __future__ import annotations

import asyncio
import atexit
import io
import multiprocessing
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet


def _value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A value as openpyxl should store it. Plain values go as they are (cheap: openpyxl
    reuses one cell for them); only text that would turn into a formula gets its own cell."""
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # user text, never a formula («=HYPERLINK(…)» stays text)
        return cell
    return value


def _sheet(
    workbook: Workbook,
    title: str,
    headers: Sequence[str],
    widths: Sequence[int],
    rows: Iterable[list[Any]],
) -> None:
    sheet = workbook.create_sheet(title)
    for index, width in enumerate(widths):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = []
    for text in headers:
        cell = WriteOnlyCell(sheet, text)
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_value(sheet, value) for value in row])


def build_workbook(
    sheets: tuple[tuple[str, list[str], list[int]], ...], *rows: list[list[Any]]
) -> bytes:
    """The .xlsx of sheets (title, headers, widths) filled with `rows`, one list per sheet.
    Runs in the child process: plain data in, bytes out, no texts looked up here."""
    workbook = Workbook(write_only=True)
    for (title, headers, widths), sheet_rows in zip(sheets, rows, strict=True):
        _sheet(workbook, title, headers, widths, sheet_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# One child process for the whole bot, started at the first export and kept for the next:
# exports are rare, and starting a process (spawn: the parent has threads, so no fork)
# costs about a second of imports.
_pool: ProcessPoolExecutor | None = None


_pool_lock = threading.Lock()


def _process_pool() -> ProcessPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ProcessPoolExecutor(
                max_workers=1, mp_context=multiprocessing.get_context("spawn")
            )
        return _pool


def _drop_pool(broken: ProcessPoolExecutor | None = None) -> None:
    """Shut the pool down (all of it, or only `broken` if it is still the current one)."""
    global _pool
    with _pool_lock:
        pool = _pool
        if pool is None or (broken is not None and pool is not broken):
            return
        _pool = None
    pool.shutdown(wait=broken is None, cancel_futures=True)


atexit.register(_drop_pool)


async def off_process(function: Callable[..., bytes], *args: Any) -> bytes:
    """`function(*args)` in the child process; in a thread if the process cannot be used,
    so an export never fails for want of a process."""
    loop = asyncio.get_running_loop()
    pool = None
    try:
        pool = _process_pool()
        return await loop.run_in_executor(pool, function, *args)
    except (BrokenExecutor, OSError, RuntimeError):
        # The child died or could not start (or the pool was shut down at exit): a new one
        # is started at the next export.
        _drop_pool(pool)
    return await asyncio.to_thread(function, *args)
