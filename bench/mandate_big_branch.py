"""/inbox and /export on a branch with 10,000 mandates: the branch is seeded with bulk
inserts (not through the chat), then the services and the handlers are timed on it."""

from __future__ import annotations

import asyncio
import functools
import io
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Dispatcher
from aiogram.methods import (
    SendDocument,
)
from openpyxl import load_workbook

from bench import Result, bench_settings, migrated_database
from bench.big_branch_seed import BigBranch, seed_big_branch
from bench.mandate_members import (
    ChatRecorder,
    Member,
    StepFailed,
)
from bot.app import build_bot, build_dispatcher
from bot.clock import SystemClock
from bot.config import Settings
from bot.services.mandates import export as mandate_export
from bot.services.mandates import queries
from bot.services.paging import Page
from bot.services.people import Person, load_person
from handlers.callbacks import ExportCb, MandateListCb
from handlers.mandates.export import period_dates
from handlers.mandates.lists import PER_PAGE  # what /inbox shows
from storage.db import Database
from storage.models import User as UserRow

BIG_SECRETARY = 4_000_000
BIG_AUTHORS_FROM = 4_100_000
LIST_RUNS = 7
EXPORT_RUNS = 3


# --- 2. /inbox and /export on a big branch ----------------------------------------------------


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    """Run `call` once to warm up, then `runs` times; the times in seconds, the last result."""
    result = await call()
    times = []
    for _ in range(runs):
        before = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - before)
    return times, result


def _timing(times: list[float]) -> str:
    median = statistics.median(times) * 1000
    return f"median {median:,.1f} ms of {len(times)} (min {min(times) * 1000:,.1f})"


async def bench_big_branch(count: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        database = await migrated_database(settings)
        try:
            now = SystemClock().now()
            before = time.perf_counter()
            big = await seed_big_branch(database, settings, count, now)
            seeding = time.perf_counter() - before
            async with database.sessions() as session:
                person = await load_person(
                    session,
                    await session.get_one(UserRow, big.secretary_id),
                    admin_ids=settings.admin_ids,
                    consent_version=settings.consent_version,
                    default_timezone=settings.default_timezone,
                )
            results, exported = await _bench_services(database, person, big, now, seeding)
            results += await _bench_handlers(settings, database, big, exported)
        finally:
            await database.dispose()
    return results


async def _bench_services(
    database: Database, person: Person, big: BigBranch, now: datetime, seeding: float
) -> tuple[list[Result], dict[str, int]]:
    """The services alone, each in a transaction as a handler runs them. Also returns how
    many mandates each export period holds."""
    exported: dict[str, int] = {}

    async def inbox(page: int) -> Page[Any]:
        async with database.transaction() as session:
            return await queries.inbox(session, person, now, page=page, per_page=PER_PAGE)

    times, first = await _timed(LIST_RUNS, lambda: inbox(1))
    pages = first.pages
    where = (
        f"{big.mandates:,} in the branch, {big.open:,} open, {big.overdue:,} overdue "
        f"(seeded in {seeding:.1f} s)"
    )
    results = [
        Result(
            f"mandates: inbox service, page 1 of {pages:,}",
            1,
            statistics.median(times),
            f"{_timing(times)}; {where}",
        )
    ]
    times, last = await _timed(LIST_RUNS, lambda: inbox(pages))
    results.append(
        Result(
            f"mandates: inbox service, page {pages:,} (the last)",
            1,
            statistics.median(times),
            f"{_timing(times)}; page {last.page} with {len(last.items)} mandates",
        )
    )
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    for period in ("year", "all"):
        date_from, date_to = period_dates(period, today)

        async def export(date_from: date = date_from, date_to: date = date_to) -> bytes:
            async with database.reading() as session:  # as the handler reads for it
                return await mandate_export.export_mandates_xlsx(
                    session, person, date_from, date_to, person.timezone, now
                )

        times, data = await _timed(EXPORT_RUNS, export)
        mandates, history = _rows_in(data)
        exported[period] = mandates
        results.append(
            Result(
                f"mandates: export service, {'a year' if period == 'year' else 'all time'}",
                mandates,
                statistics.median(times),
                f"{_timing(times)}; {mandates:,} mandates + {history:,} history rows, "
                f"{len(data) / 1e6:.1f} MB",
            )
        )
    return results, exported


def _rows_in(data: bytes) -> tuple[int, int]:
    """Mandates and history rows in the workbook (headers left out): it really opens."""
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    counts = [sum(1 for _ in sheet.iter_rows()) - 1 for sheet in workbook.worksheets]
    workbook.close()
    return counts[0], counts[1]


async def _bench_handlers(
    settings: Settings, database: Database, big: BigBranch, exported: dict[str, int]
) -> list[Result]:
    """The same through the dispatcher, from middlewares to the reply; an export until its
    file is sent (the handler answers at once and builds the file in the background). The
    rows count a list page as one item and an export as the mandates in its file."""
    recorder = ChatRecorder()
    bot = build_bot(settings, session=recorder)
    dp = build_dispatcher(settings, database, start_background=False)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    secretary = Member(dp, bot, recorder, big.secretary_id)
    pages = -(-big.open // PER_PAGE)
    last_page = MandateListCb(view="inbox", page=pages).pack()
    results = []
    try:
        for label, step in [
            ("/inbox (page 1)", lambda: secretary.send("/inbox")),
            (f"inbox page {pages:,} button", lambda: secretary.click_data(last_page)),
        ]:
            times, _ = await _timed(LIST_RUNS, step)
            name = f"mandates: {label} through the dispatcher"
            notes = f"{_timing(times)}; {_shown(recorder, big)}"
            results.append(Result(name, 1, statistics.median(times), notes))
        for period, label in (("year", "«За год»"), ("all", "«За всё время»")):
            documents = len(recorder.sent(SendDocument))
            answered: list[float] = []
            press = functools.partial(_export, dp, secretary, period, answered)
            times, _ = await _timed(EXPORT_RUNS, press)
            sent = len(recorder.sent(SendDocument)) - documents
            files = "an .xlsx sent each time" if sent == EXPORT_RUNS + 1 else f"{sent} files sent"
            notes = (
                f"{_timing(times)} to the file sent; the button answered in "
                f"{statistics.median(answered) * 1000:,.1f} ms; {files}"
            )
            name = f"mandates: /export {label} through the dispatcher"
            results.append(Result(name, exported[period], statistics.median(times), notes))
        if recorder.errors():
            raise RuntimeError(f"{recorder.errors()} handler errors while timing the handlers")
        bystander = Member(dp, bot, recorder, BIG_AUTHORS_FROM)
        results.append(await _meanwhile(dp, secretary, bystander))
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
    return results


async def _export(dp: Dispatcher, secretary: Member, period: str, answered: list[float]) -> None:
    """Press a period button of /export and wait until the file has been sent."""
    before = time.perf_counter()
    await secretary.click_data(ExportCb(period=period).pack())
    answered.append(time.perf_counter() - before)
    if background := dp.workflow_data.get("background"):
        await background.drain()


async def _meanwhile(dp: Dispatcher, secretary: Member, bystander: Member) -> Result:
    """How long another member's /help takes while an all-time export is being built: one
    every 0.2 s until the file is sent, each handled at once with the export."""
    started = time.perf_counter()
    export = asyncio.create_task(_export(dp, secretary, "all", []))
    took: list[float] = []
    failed = 0
    while not export.done():
        await asyncio.sleep(0.2)
        before = time.perf_counter()
        try:
            await bystander.send("/help")
        except StepFailed:
            failed += 1
        took.append(time.perf_counter() - before)
    await export
    total = time.perf_counter() - started
    notes = (
        f"{len(took)} sent, {failed} failed: median {statistics.median(took) * 1000:,.0f} ms, "
        f"max {max(took) * 1000:,.0f} ms; the export took {total * 1000:,.0f} ms"
    )
    name = "mandates: a member's /help during that export"
    return Result(name, len(took), sum(took), notes)


def _shown(recorder: ChatRecorder, big: BigBranch) -> str:
    """What the last list showed: its buttons (one per mandate, then paging)."""
    shown = recorder.keyboards.get(big.secretary_id)
    buttons = sum(len(row) for row in shown[1].inline_keyboard) if shown else 0
    return f"{buttons} buttons on the page"
