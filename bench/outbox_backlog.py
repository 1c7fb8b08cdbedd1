"""The outbox with a backlog: what one pass of the sender costs with 300, 50,000 or
300,000 rows pending, and a broadcast to 10,000 people at Telegram's real limit while
members keep talking to the bot.

*Pass cost.* A migrated SQLite file gets `pending` rows, one per chat (a broadcast that
has not gone out yet), inserted in bulk. The real `OutboxSender` then makes passes with
`send_due()` — claim a batch of 30 due heads, send them, record the outcomes — over the
tests' `RecordingSession` (answers at once, no network) with the global limit raised, so
a pass's time is the database's: the claim transaction and the outcome writes. One
untimed pass, then `PASSES` timed; the median and the SQL statements per pass.

*Broadcast.* `broadcast` notices to distinct chats are queued in one transaction; the
real sender sends them at `global_rate=30` over HTTP to the fake Bot API server, while a
member sends `/help` through the real dispatcher (`build_dispatcher`, over the same
database) every `HELP_EVERY` seconds, each answered before the next is sent. Reported:
the rate from the first message to the last, the most in any one second, and the
latency of those `/help` updates.

Standalone: `python -m bench.outbox_backlog --pending 300,50000,300000 --broadcast 10000`.
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import os
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

from aiogram.methods import SendMessage
from sqlalchemy import func, insert, select

from bench import Result, bench_settings, count_statements, format_table, migrated_database
from bench.dispatcher_bench import MEMBER_IDS_FROM, _Updates, seed
from bot.app import build_bot, build_dispatcher
from bot.clock import SystemClock
from bot.delivery import OutboxSender
from bot.delivery.queue import due_heads
from bot.services.outbox import Notice, QuietHours
from storage.db import Database
from storage.models import OutboxMessage
from tests.fake_api import FakeTelegram
from tests.harness.session import RecordingSession

FIRST_CHAT = 7_000_000
PASSES = 15
RAISED_RATE = 100_000
HELP_EVERY = 0.1  # seconds between two /help of the member talking during the broadcast
INSERT_CHUNK = 10_000


async def _queue(database: Database, count: int, now: datetime, first: int = 0) -> None:
    """`count` pending notices, one per chat, inserted in bulk (as `enqueue` would write
    them, without building 300,000 ORM objects); chats numbered from `first`."""
    template = Notice(chat_id=0, text="").to_row(now)
    for start in range(first, first + count, INSERT_CHUNK):
        rows = [
            {
                "chat_id": FIRST_CHAT + n,
                "method": template.method,
                "payload": {"text": f"📣 Анонс мастер-класса, №{n + 1}"},
                "status": "pending",
                "attempts": 0,
                "not_before": now,
                "created_at": now,
                "respect_quiet_hours": False,
            }
            for n in range(start, min(start + INSERT_CHUNK, first + count))
        ]
        async with database.transaction() as session:
            await session.execute(insert(OutboxMessage), rows)


async def bench_pass(pending: int, database_url: str | None = None) -> Result:
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        if database_url:  # a PostgreSQL database, emptied first
            settings = bench_settings(Path(folder), database_url=database_url)
            await _empty(database_url)
        database = await migrated_database(settings)
        recorder = RecordingSession()
        bot = build_bot(settings, session=recorder)
        try:
            await _queue(database, pending, clock.now())
            sender = OutboxSender(
                bot,
                database,
                clock,
                global_rate=RAISED_RATE,
                batch=30,
                quiet_hours=QuietHours.never(),
            )
            await sender.send_due()  # untimed: warms the caches and the code up
            statements = count_statements(database)
            times, sent, counted = [], 0, 0
            for n in range(PASSES):
                # The backlog stays at `pending`: what a pass took is queued again, untimed.
                await _queue(database, 30, clock.now(), first=pending + 30 * n)
                before, counted_before = time.perf_counter(), statements[0]
                sent += await sender.send_due()
                times.append(time.perf_counter() - before)
                counted += statements[0] - counted_before
            per_pass = counted / PASSES
            # The due query alone, as the claim runs it (without the lock), PASSES times.
            query_times = []
            async with database.sessions() as session:
                for _ in range(PASSES):
                    before = time.perf_counter()
                    list(await session.scalars(due_heads(clock.now()).limit(30)))
                    query_times.append(time.perf_counter() - before)
            plan = await _plan(database) if database_url else ""
            async with database.sessions() as session:
                left = await session.scalar(
                    select(func.count()).where(OutboxMessage.status == "pending")
                )
        finally:
            await bot.session.close()
            await database.dispose()
    median = statistics.median(times)
    notes = (
        f"median {median * 1000:.1f} ms of {PASSES} passes (min {min(times) * 1000:.1f}, "
        f"max {max(times) * 1000:.1f}); {sent // PASSES} rows a pass, "
        f"{per_pass:.0f} SQL statements a pass; {left:,} still pending; the due query alone "
        f"{statistics.median(query_times) * 1000:.2f} ms{plan}"
    )
    where = " (PostgreSQL)" if database_url else ""
    return Result(f"outbox pass, {pending:,} pending{where}", 30, median, notes)


async def _empty(url: str) -> None:
    database = Database(url)
    async with database.engine.begin() as connection:
        await connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        await connection.exec_driver_sql("CREATE SCHEMA public")
    await database.dispose()


async def _plan(database: Database) -> str:
    """PostgreSQL's plan of the due query as the sender runs it, in a few words."""
    statement = due_heads(SystemClock().now()).limit(30).with_for_update(skip_locked=True)
    sql = statement.compile(database.engine.sync_engine, compile_kwargs={"literal_binds": True})
    async with database.engine.connect() as connection:
        lines = await connection.exec_driver_sql("EXPLAIN (ANALYZE, COSTS OFF) " + str(sql))
        plan = [line[0].strip(" ->") for line in lines]
    return "; plan: " + " / ".join(line for line in plan if "Scan" in line or "Time" in line)


async def bench_broadcast(count: int, global_rate: int = 30) -> list[Result]:
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        async with FakeTelegram() as api:
            settings = bench_settings(Path(folder), telegram_api_base=api.base_url)
            database = await migrated_database(settings)
            await seed(database, 10)
            recorder = RecordingSession()
            chat_bot = build_bot(settings, session=recorder)
            dp = build_dispatcher(settings, database, start_background=False)
            await dp.emit_startup(bot=chat_bot, dispatcher=dp, **dp.workflow_data)
            send_bot = build_bot(settings)
            make = _Updates()
            member = MEMBER_IDS_FROM + 1
            try:
                # The member's first /help, untimed: warms up the dispatcher.
                await dp.feed_update(chat_bot, make.message(member, "/help"))
                await _queue(database, count, clock.now())
                sender = OutboxSender(
                    send_bot,
                    database,
                    clock,
                    global_rate=global_rate,
                    quiet_hours=QuietHours.never(),
                )
                started = time.monotonic()
                sender.start()
                latencies: list[float] = []
                answers_before = len(recorder.sent(SendMessage))
                drained = asyncio.create_task(
                    api.wait_calls("sendMessage", count, timeout=2 * count / global_rate + 60)
                )
                try:
                    while not drained.done():
                        update = make.message(member, "/help")
                        before = time.perf_counter()
                        await dp.feed_update(chat_bot, update)
                        latencies.append(time.perf_counter() - before)
                        await asyncio.sleep(HELP_EVERY)
                    calls = await drained
                finally:
                    await sender.stop()
                answered = len(recorder.sent(SendMessage)) - answers_before
                async with database.sessions() as session:
                    sent = await session.scalar(
                        select(func.count()).where(OutboxMessage.status == "sent")
                    )
            finally:
                await dp.emit_shutdown(bot=chat_bot, dispatcher=dp, **dp.workflow_data)
                await send_bot.session.close()
                await chat_bot.session.close()
                await database.dispose()
    moments = sorted(c.at for c in calls)
    steady = (len(moments) - 1) / (moments[-1] - moments[0])
    cuts = statistics.quantiles(latencies, n=100)
    return [
        Result(
            f"outbox: broadcast to {count:,} at {global_rate}/s",
            count,
            moments[-1] - started,
            f"{sent:,}/{count:,} marked sent; first to last {steady:.2f}/s; "
            f"at most {_busiest_second(moments)} in 1 s",
        ),
        Result(
            "a member's /help meanwhile",
            len(latencies),
            sum(latencies),
            f"{answered:,}/{len(latencies):,} answered; p50 {cuts[49] * 1000:.1f} ms, "
            f"p99 {cuts[98] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms",
        ),
    ]


def _busiest_second(moments: list[float]) -> int:
    return max(bisect.bisect_left(moments, m + 1.0) - i for i, m in enumerate(moments))


async def run(pending: list[int], broadcast: int) -> list[Result]:
    results = [await bench_pass(n) for n in pending]
    if broadcast:
        results += await bench_broadcast(broadcast)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.outbox_backlog")
    parser.add_argument("--pending", default="300,50000,300000")
    parser.add_argument("--broadcast", type=int, default=10_000)
    parser.add_argument(
        "--postgres", action="store_true", help="passes on TEST_POSTGRES_URL, not SQLite"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    pending = [int(n) for n in args.pending.split(",") if n]
    if args.postgres:
        url = os.environ["TEST_POSTGRES_URL"]
        results = [asyncio.run(bench_pass(n, url)) for n in pending]
        print(format_table(results), flush=True)
        return
    print(format_table(asyncio.run(run(pending, args.broadcast))), flush=True)


if __name__ == "__main__":
    main()
