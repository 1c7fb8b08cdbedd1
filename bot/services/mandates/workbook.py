"""Writing an `.xlsx` from plain rows, off the bot's process.

XlsxWriter's constant-memory mode writes each row out to a temporary file as soon as the
next begins, so 10,000 mandates stay cheap in memory, and it writes about twice as fast as
openpyxl's write-only mode (openpyxl stays for reading the files people upload). The
writing runs in a child process, so its seconds of pure Python do not hold the bot's GIL
(see `off_process`).
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
import re
import tempfile
import threading
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import BrokenExecutor, ProcessPoolExecutor, ThreadPoolExecutor
from datetime import date, datetime
from typing import Any

import xlsxwriter

# Characters XML 1.0 cannot hold: dropped from user text (XlsxWriter would write them as
# `_xHHHH_` escapes, which Excel turns back into invisible characters and other readers
# show as they are).
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")

_OPTIONS = {
    "constant_memory": True,
    # People's text is text: «=HYPERLINK(…)» is not run, «http://…» is not made a link
    # (Excel allows 65,530 links a sheet), «0012» keeps its zeros.
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
}


_EPOCH = datetime(1899, 12, 30)  # day 0 of Excel's dates from 1 March 1900 on


def _serial(moment: date) -> float:
    """A wall-clock date or time as Excel's day number, as XlsxWriter's `write_datetime`
    computes it but eight times faster (a time zone, if any, is dropped: the sheet shows
    wall-clock time). Exports are tens of thousands of these."""
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    delta = moment.replace(tzinfo=None) - _EPOCH
    return delta.days + (delta.seconds + delta.microseconds / 1e6) / 86400


class _Sheet:
    """One sheet being written: its rows go at the end, in order."""

    def __init__(
        self,
        workbook: xlsxwriter.Workbook,
        title: str,
        headers: Sequence[str],
        widths: Sequence[int],
        freeze: bool,
    ) -> None:
        self.sheet = workbook.add_worksheet(title)
        self.moment = workbook.add_format({"num_format": "dd.mm.yyyy hh:mm"})
        self.day = workbook.add_format({"num_format": "dd.mm.yyyy"})
        self.plain = workbook.add_format()
        if freeze:
            self.sheet.freeze_panes(1, 0)
        for index, width in enumerate(widths):
            self.sheet.set_column(index, index, width)
        self.sheet.write_row(0, 0, list(headers), workbook.add_format({"bold": True}))
        self.next_row = 1

    def append(self, rows: Iterable[Sequence[Any]]) -> None:
        # The innermost loop of every export: the methods are looked up once.
        sheet, number = self.sheet, self.next_row
        write_string, write_number = sheet.write_string, sheet.write_number
        for row in rows:
            for column, value in enumerate(row):
                kind = type(value)
                if kind is str:
                    if not value:
                        continue  # an empty cell, not empty text for a reader to trip on
                    if _ILLEGAL.search(value) or value.startswith("<r>"):
                        self._odd_text(number, column, value)
                    else:
                        write_string(number, column, value)
                elif kind is int or kind is float:
                    write_number(number, column, value)
                elif value is not None:
                    self._other(number, column, value)
            number += 1
        self.next_row = number

    def _other(self, row: int, column: int, value: Any) -> None:
        if isinstance(value, datetime):
            self.sheet.write_number(row, column, _serial(value), self.moment)
        elif isinstance(value, date):
            self.sheet.write_number(row, column, _serial(value), self.day)
        elif isinstance(value, bool):
            self.sheet.write_boolean(row, column, value)
        elif isinstance(value, int | float):
            self.sheet.write_number(row, column, value)
        else:
            self._odd_text(row, column, str(value))

    def _odd_text(self, row: int, column: int, value: str) -> None:
        value = _ILLEGAL.sub("", value)
        if value.startswith("<r>") and value.endswith("</r>"):
            # XlsxWriter takes such a string for rich-text XML of its own and writes it
            # unescaped; as two runs of plain text it is escaped like any other.
            self.sheet.write_rich_string(row, column, value[:1], self.plain, value[1:])
        elif value:
            self.sheet.write_string(row, column, value)


class _Book:
    """A workbook being written, with the folder of its temporary files (removed when it
    is saved or dropped)."""

    def __init__(self, sheets: tuple[tuple[str, list[str], list[int]], ...], freeze: bool):
        self.folder = tempfile.TemporaryDirectory(prefix="pervichka-xlsx-")
        self.buffer = io.BytesIO()
        self.workbook = xlsxwriter.Workbook(self.buffer, {**_OPTIONS, "tmpdir": self.folder.name})
        self.sheets = [_Sheet(self.workbook, *sheet, freeze) for sheet in sheets]

    def save(self) -> bytes:
        try:
            self.workbook.close()
            return self.buffer.getvalue()
        finally:
            self.folder.cleanup()

    def drop(self) -> None:
        # Closing is the one public way to close the sheets' temporary files; the
        # half-written file it makes is thrown away.
        with contextlib.suppress(Exception):
            self.workbook.close()
        self.folder.cleanup()


def build_workbook(
    sheets: tuple[tuple[str, list[str], list[int]], ...],
    *rows: list[list[Any]],
    freeze_header: bool = False,
) -> bytes:
    """The .xlsx of sheets (title, headers, widths) filled with `rows`, one list per sheet,
    in one go (what `StreamedWorkbook` does chunk by chunk); `freeze_header` keeps each
    sheet's header row in sight while scrolling."""
    book = _Book(sheets, freeze_header)
    for sheet, sheet_rows in zip(book.sheets, rows, strict=True):
        sheet.append(sheet_rows)
    return book.save()


# --- a workbook written chunk by chunk ---------------------------------------------------------
#
# The workbooks being written in this process (the child), by key. Their sheets write
# each row to a temporary file, so a workbook here holds about one chunk in memory however
# many rows it gets.
_open_books: dict[str, _Book] = {}


def open_book(key: str, sheets: tuple[tuple[str, list[str], list[int]], ...]) -> None:
    """Start the workbook `key` with its sheets (title, headers, widths), headers only (kept
    in sight while scrolling)."""
    _open_books[key] = _Book(sheets, freeze=True)


def append_rows(key: str, sheet: int, rows: list[list[Any]]) -> None:
    """Rows at the end of the workbook's sheet number `sheet`."""
    _open_books[key].sheets[sheet].append(rows)


def close_book(key: str) -> bytes:
    """The finished file; the workbook is forgotten."""
    return _open_books.pop(key).save()


def drop_book(key: str) -> None:
    """Forget an unfinished workbook (its export failed half-way)."""
    if (book := _open_books.pop(key, None)) is not None:
        book.drop()


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
