"""Writing an `.xlsx` from plain rows, off the bot's process.

openpyxl's write-only mode streams rows instead of holding cell objects, so 10,000
mandates stay cheap in memory; the writing runs in a child process, so its seconds of
pure Python do not hold the bot's GIL (see `off_process`).
"""

from __future__ import annotations

import asyncio
import atexit
import collections
import contextlib
import io
import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
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
    freeze: bool = False,
) -> WriteOnlyWorksheet:
    sheet = workbook.create_sheet(title)
    if freeze:  # before the first row: a write-only sheet writes its views with it
        sheet.freeze_panes = "A2"
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
    return sheet


def build_workbook(
    sheets: tuple[tuple[str, list[str], list[int]], ...],
    *rows: list[list[Any]],
    freeze_header: bool = False,
) -> bytes:
    """The .xlsx of sheets (title, headers, widths) filled with `rows`, one list per sheet,
    in one go (what `StreamedWorkbook` does chunk by chunk); `freeze_header` keeps each
    sheet's header row in sight while scrolling."""
    workbook = Workbook(write_only=True)
    for (title, headers, widths), sheet_rows in zip(sheets, rows, strict=True):
        _sheet(workbook, title, headers, widths, sheet_rows, freeze_header)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


# --- a workbook written chunk by chunk ---------------------------------------------------------
#
# The workbooks being written in this process (the child), by key. openpyxl's write-only
# sheets stream their rows to temporary files, so a workbook here holds about one chunk
# in memory however many rows it gets.
_open_books: dict[str, tuple[Workbook, list[WriteOnlyWorksheet]]] = {}


def open_book(key: str, sheets: tuple[tuple[str, list[str], list[int]], ...]) -> None:
    """Start the workbook `key` with its sheets (title, headers, widths), headers only."""
    workbook = Workbook(write_only=True)
    _open_books[key] = (workbook, [_sheet(workbook, *sheet, rows=()) for sheet in sheets])


def append_rows(key: str, sheet: int, rows: list[list[Any]]) -> None:
    """Rows at the end of the workbook's sheet number `sheet`."""
    target = _open_books[key][1][sheet]
    for row in rows:
        target.append([_value(target, value) for value in row])


def close_book(key: str) -> bytes:
    """The finished file; the workbook is forgotten."""
    workbook, _ = _open_books.pop(key)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def drop_book(key: str) -> None:
    """Forget an unfinished workbook (its export failed half-way)."""
    if (book := _open_books.pop(key, None)) is not None:
        book[0].close()


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


class ChildUnavailable(Exception):
    """The child process died or could not start while a workbook was being streamed to
    it; the export is written again in this process (`StreamedWorkbook(in_child=False)`)."""


class StreamedWorkbook:
    """A workbook filled chunk by chunk while the rows are still being read: each chunk
    goes to the child process (or, `in_child=False`, to a thread of this one) as soon as it
    is built, and the child writes it while the next is read and built here. At most
    `AHEAD` chunks are on their way, so neither process holds more than a few at once.

    ::

        book = StreamedWorkbook(sheets)
        await book.open()
        await book.append(0, rows)  # …for each chunk of each sheet, in order
        data = await book.close()   # or `await book.drop()` when the export failed
    """

    AHEAD = 2

    def __init__(
        self, sheets: tuple[tuple[str, list[str], list[int]], ...], *, in_child: bool = True
    ) -> None:
        self.sheets = sheets
        self.in_child = in_child
        self.key = f"{os.getpid()}-{next(_book_numbers)}"
        self._on_the_way: collections.deque[asyncio.Future[Any]] = collections.deque()
        self._pool: ProcessPoolExecutor | None = None
        # In this process: one thread of its own, so the chunks are written in order.
        self._thread = None if in_child else ThreadPoolExecutor(1, thread_name_prefix="xlsx")

    async def open(self) -> None:
        self._submit(open_book, self.key, self.sheets)

    async def append(self, sheet: int, rows: list[list[Any]]) -> None:
        if not rows:
            return
        while len(self._on_the_way) >= self.AHEAD:
            await self._settle(self._on_the_way.popleft())
        self._submit(append_rows, self.key, sheet, rows)

    async def close(self) -> bytes:
        await self._settle_all()
        data: bytes = await self._settle(self._submit(close_book, self.key))
        self._on_the_way.clear()
        self._done()
        return data

    async def drop(self) -> None:
        """Forget the unfinished workbook, wherever it is; never raises."""
        while self._on_the_way:
            with contextlib.suppress(Exception):
                await self._on_the_way.popleft()
        with contextlib.suppress(Exception):
            await self._settle(self._submit(drop_book, self.key))
        self._on_the_way.clear()
        self._done()

    def _done(self) -> None:
        if self._thread is not None:
            self._thread.shutdown(wait=False)

    async def _settle_all(self) -> None:
        while self._on_the_way:
            await self._settle(self._on_the_way.popleft())

    def _submit(self, function: Callable[..., Any], *args: Any) -> asyncio.Future[Any]:
        loop = asyncio.get_running_loop()
        if self._thread is not None:
            future = loop.run_in_executor(self._thread, function, *args)
        else:
            try:
                self._pool = self._pool or _process_pool()
                future = loop.run_in_executor(self._pool, function, *args)
            except (BrokenExecutor, OSError, RuntimeError) as error:
                _drop_pool(self._pool)
                raise ChildUnavailable() from error
        self._on_the_way.append(future)
        return future

    async def _settle(self, future: asyncio.Future[Any]) -> Any:
        try:
            return await future
        except (BrokenExecutor, OSError, RuntimeError) as error:
            if not self.in_child:
                raise
            _drop_pool(self._pool)  # a new child is started at the next export
            raise ChildUnavailable() from error


_book_numbers = itertools.count(1)
