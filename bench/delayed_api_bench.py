"""The whole bot against a Bot API that answers after a set delay, many people at once.

Telegram answers a `sendMessage` in tens of milliseconds, not at once; what the bot does
while it waits decides how many updates it can handle. `DelayedRecorder` is the tests'
recording session that sleeps `delay` before every answer. 1,000 members (over
`mandate_submissions`' 10 branches, each with a secretary) press menus (/menu, «ℹ️
Помощь», /help, /my_mandates) and some of them submit a whole mandate (7 updates), every
member's steps in order, all members at once with at most 100 updates in flight (what
`handle_as_tasks=True` does with a getUpdates batch).

In the same run, the same number of updates goes to two bare dispatchers over the same
kind of delayed session: the *echo* (aiogram alone, the handler answers the text) and the
*one-transaction floor* (the handler reads the person and records the update's id in one
transaction of the same `Database`, commits, then answers) — what any bot that keeps its
state in this database must pay at least.

With `--processes N` on PostgreSQL, the same members are also spread over N bot processes
sharing the database (`bench_processes`), as the webhook setup behind a proxy runs them:
SQLite has one writer and one process, PostgreSQL is what lets the bot grow past one core.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import multiprocessing
import random
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiogram import Bot, Dispatcher, Router
from aiogram.methods import TelegramMethod
from aiogram.types import Chat, Message, MessageEntity, Update, User
from sqlalchemy import func, select, text

from bench import Result, bench_settings, count_statements, mandate_members, migrated_database
from bench.mandate_members import ChatRecorder, Member, StepFailed
from bench.mandate_submissions import SUBMITTERS_FROM, _Conversations, _submit, seed_submitters
from bot.app import build_bot, build_dispatcher
from bot.config import Settings
from bot.texts import t
from storage.db import Database
from storage.handled_updates import first_time
from storage.models import Mandate
from storage.models import User as UserRow

IN_FLIGHT = 100  # what one getUpdates answer holds at most
PRESSES = ("/menu", "menu.help", "/help", "/my_mandates")


class DelayedRecorder(ChatRecorder):
    """Answers every request `delay` seconds after it was made, as a distant server does."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        await asyncio.sleep(self.delay)
        return await super().make_request(bot, method, timeout)


def p95(latencies: list[float]) -> str:
    ordered = sorted(latencies)
    return f"p95 {ordered[int(0.95 * (len(ordered) - 1))] * 1000:,.0f} ms"


@contextlib.asynccontextmanager
async def _database(postgres_url: str | None) -> AsyncIterator[tuple[Settings, Database]]:
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        overrides: dict[str, object] = {}
        if postgres_url:
            overrides["database_url"] = postgres_url
            wipe = Database(postgres_url)
            async with wipe.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await wipe.dispose()
        settings = bench_settings(Path(folder), **overrides)
        database = await migrated_database(settings)
        try:
            yield settings, database
        finally:
            await database.dispose()


def _press(rng: random.Random) -> str:
    press = rng.choice(PRESSES)
    return t(press) if not press.startswith("/") else press


async def _member_script(
    member: Member, presses: int, submits: bool, log: _Conversations, rng: random.Random
) -> None:
    try:
        for _ in range(presses):
            await member.send(_press(rng))
        if submits:
            await _submit(member, log)
    except StepFailed:
        log.broken += 1


@dataclass
class _Share:
    """What one process's members did: its timed window, their latencies, what broke."""

    started: float
    ended: float
    cpu: float
    latencies: list[float]
    statements: int
    broken: int
    errors: int


async def _run_members(
    settings: Settings,
    database: Database,
    delay: float,
    homes: dict[int, int],
    warmup: int,
    members: list[tuple[int, bool]],
    start: Callable[[], object] = lambda: None,
) -> _Share:
    """`warmup` submits a mandate untimed; then, once `start()` returned, every one of
    `members` (user id, whether they submit) presses a menu and maybe submits, all at once
    with at most IN_FLIGHT updates in flight."""
    recorder = DelayedRecorder(delay)
    bot = build_bot(settings, session=recorder)
    dp = build_dispatcher(settings, database, start_background=False)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    log = _Conversations(homes, random.Random(3))
    rng = random.Random(5)
    people = [Member(dp, bot, recorder, user_id, in_flight) for user_id, _ in members]  # type: ignore[arg-type]
    try:
        await _member_script(Member(dp, bot, recorder, warmup), 1, True, log, rng)
        statements = count_statements(database)
        start()
        started, cpu_started = time.perf_counter(), time.process_time()
        await asyncio.gather(
            *(
                _member_script(m, 1, submits, log, rng)
                for m, (_, submits) in zip(people, members, strict=True)
            )
        )
        ended, cpu = time.perf_counter(), time.process_time() - cpu_started
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
    latencies = [x for m in people for x in m.latencies]
    return _Share(started, ended, cpu, latencies, statements[0], log.broken, recorder.errors())


async def _saved(database: Database, cast: list[tuple[int, bool]]) -> int:
    """How many of the submitting members' mandates were saved."""
    submitting = [user_id for user_id, submits in cast if submits]
    async with database.reading() as session:
        count = await session.scalar(
            select(func.count()).select_from(Mandate).where(Mandate.author_id.in_(submitting))
        )
    return count or 0


def _result(
    name: str, shares: list[_Share], saved: int, members: int, cast: list[tuple[int, bool]]
) -> Result:
    latencies = [x for share in shares for x in share.latencies]
    seconds = max(s.ended for s in shares) - min(s.started for s in shares)
    submitters = sum(submits for _, submits in cast)
    notes = [
        f"{members:,} members, {len(cast):,} pressing, {submitters} submitting: "
        f"{saved}/{submitters} saved, "
        f"{sum(s.broken for s in shares)} broken, {sum(s.errors for s in shares)} errors",
        f"{sum(s.statements for s in shares) / len(latencies):.1f} SQL/update",
        f"{sum(s.cpu for s in shares) / len(latencies) * 1000:.1f} ms CPU/update",
        p95(latencies),
    ]
    return Result(name, len(latencies), seconds, "; ".join(notes))


def _cast(
    homes: dict[int, int], active: int, submitters: int
) -> tuple[int, list[tuple[int, bool]]]:
    """The warm-up member and the `active` timed ones, the first `submitters` submitting."""
    ids = list(homes)
    return ids[0], [(user_id, n < submitters) for n, user_id in enumerate(ids[1 : active + 1])]


async def bench_bot(
    delay: float, members: int, active: int, submitters: int, postgres_url: str | None
) -> tuple[Result, int]:
    async with _database(postgres_url) as (settings, database):
        homes = await seed_submitters(database, members)
        warmup, cast = _cast(homes, active, submitters)
        share = await _run_members(settings, database, delay, homes, warmup, cast)
        saved = await _saved(database, cast)
    name = f"bot, {delay * 1000:.0f} ms API, {IN_FLIGHT} in flight"
    return _result(name, [share], saved, members, cast), len(share.latencies)


def _process_share(
    postgres_url: str,
    delay: float,
    homes: dict[int, int],
    warmup: int,
    members: list[tuple[int, bool]],
    first_id: int,
    ready: Any,
    results: Any,
) -> None:
    """One bot process of `bench_processes` (run in a child): its own dispatcher and pool
    over the shared PostgreSQL database, its own update ids."""
    mandate_members._ids = itertools.count(first_id)
    logging.disable(logging.WARNING)

    async def main() -> _Share:
        settings = bench_settings(Path(tempfile.gettempdir()), database_url=postgres_url)
        database = Database(postgres_url)
        try:
            return await _run_members(settings, database, delay, homes, warmup, members, ready.wait)
        finally:
            await database.dispose()

    results.put(asyncio.run(main()))


async def bench_processes(
    delay: float, members: int, active: int, submitters: int, postgres_url: str, processes: int
) -> Result:
    """The same members spread over `processes` bot processes sharing one PostgreSQL
    database, as the webhook setup behind a proxy runs it; each member's updates go to one
    process (the proxy's other half, Redis, keeps them in order across processes)."""
    async with _database(postgres_url) as (_settings, database):
        homes = await seed_submitters(database, members)
        warmup, cast = _cast(homes, active, submitters)
        # One warm-up member a process: WARMUP, then the last of the cast.
        timed = cast[: len(cast) - (processes - 1)]
        warmups = [warmup] + [user_id for user_id, _ in cast[len(timed) :]]
        context = multiprocessing.get_context("spawn")
        ready, results = context.Barrier(processes), context.Queue()
        children = [
            context.Process(
                target=_process_share,
                args=(
                    postgres_url, delay, homes, warmups[k],
                    timed[k::processes], 10_000_000 * (k + 1), ready, results,
                ),
            )
            for k in range(processes)
        ]  # fmt: skip
        for child in children:
            child.start()
        # A child that died never answers: the run fails after ten minutes, not never.
        shares = [await asyncio.to_thread(results.get, timeout=600) for _ in children]
        for child in children:
            await asyncio.to_thread(child.join)
        saved = await _saved(database, timed)
    name = f"bot, {delay * 1000:.0f} ms API, {processes} processes × {IN_FLIGHT} in flight"
    return _result(name, shares, saved, members, timed)


def _updates(total: int, users: int) -> list[Update]:
    updates = []
    for n in range(total):
        user = User(id=SUBMITTERS_FROM + n % users, is_bot=False, first_name="Участник")
        message = Message(
            message_id=n + 1,
            date=datetime.now(UTC),
            chat=Chat(id=user.id, type="private"),
            from_user=user,
            text="/help",
            entities=[MessageEntity(type="bot_command", offset=0, length=5)],
        )
        updates.append(Update(update_id=n + 1, message=message))
    return updates


async def _feed(dp: Dispatcher, bot: Bot, updates: list[Update]) -> tuple[float, list[float]]:
    in_flight = asyncio.Semaphore(IN_FLIGHT)
    latencies: list[float] = []

    async def one(update: Update) -> None:
        async with in_flight:
            before = time.perf_counter()
            await dp.feed_update(bot, update)
            latencies.append(time.perf_counter() - before)

    started = time.perf_counter()
    await asyncio.gather(*(one(u) for u in updates))
    return time.perf_counter() - started, latencies


async def bench_floor(delay: float, total: int, members: int, postgres_url: str | None) -> Result:
    """One read and one write in one transaction of the same Database, then the answer."""
    async with _database(postgres_url) as (_settings, database):
        await seed_submitters(database, members)
        router = Router()

        @router.message()
        async def one_transaction(message: Message, bot: Bot, event_update: Update) -> None:
            assert message.from_user is not None
            async with database.transaction() as session:
                await session.get(UserRow, message.from_user.id)
                await first_time(session, bot.id, event_update.update_id, datetime.now(UTC))
            await message.answer(message.text or "")

        dp = Dispatcher()
        dp.include_router(router)
        bot = Bot("42:TEST", session=DelayedRecorder(delay))
        seconds, latencies = await _feed(dp, bot, _updates(total, members))
    name = f"floor: one transaction, {delay * 1000:.0f} ms API"
    return Result(name, total, seconds, p95(latencies))


async def bench_echo(delay: float, total: int, members: int) -> Result:
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot("42:TEST", session=DelayedRecorder(delay))
    seconds, latencies = await _feed(dp, bot, _updates(total, members))
    return Result(f"echo: bare aiogram, {delay * 1000:.0f} ms API", total, seconds, p95(latencies))


async def run(
    delays: list[float],
    members: int,
    active: dict[float, tuple[int, int]],
    postgres_url: str | None = None,
    processes: int = 1,
) -> list[Result]:
    """For each delay: the bot (`active[delay]` = members pressing, of them submitting),
    the floor and the echo over as many updates; and the bot/floor ratio. On PostgreSQL
    with `processes` > 1, also the same members over that many bot processes."""
    results: list[Result] = []
    for delay in delays:
        pressing, submitting = active[delay]
        bot_result, total = await bench_bot(delay, members, pressing, submitting, postgres_url)
        floor = await bench_floor(delay, total, members, postgres_url)
        echo = await bench_echo(delay, total, members)
        bots = [bot_result]
        if postgres_url and processes > 1:
            bots.append(
                await bench_processes(delay, members, pressing, submitting, postgres_url, processes)
            )
        for result in bots:
            ratio = result.rate / floor.rate
            results.append(
                Result(
                    result.name,
                    result.items,
                    result.seconds,
                    f"{result.notes}; {ratio:.2f} of the floor",
                )
            )
        results += [floor, echo]
    return results
