"""The outbox sender's sustained send rate against the fake Bot API server.

Notices to distinct chats are queued in one transaction, then the real `OutboxSender`
sends them over HTTP (aiogram's `AiohttpSession`) to `tests.fake_api.FakeTelegram`, which
answers at once. With Telegram's limit (30/s) the run shows that the limit holds; with
the limit raised it shows what the sender and the database manage on their own.
"""

from __future__ import annotations

import bisect
import tempfile
import time
from pathlib import Path

from sqlalchemy import func, select

from bench import Result, bench_settings, migrated_database
from bot.app import build_bot
from bot.clock import SystemClock
from bot.delivery import OutboxSender
from bot.services.outbox import Notice, QuietHours, enqueue
from storage.models import OutboxMessage
from tests.fake_api import FakeTelegram

FIRST_CHAT = 5_000_000
RAISED_RATE = 100_000


async def bench_outbox(count: int, global_rate: int) -> Result:
    clock = SystemClock()
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        async with FakeTelegram() as api:
            settings = bench_settings(Path(folder), telegram_api_base=api.base_url)
            database = await migrated_database(settings)
            bot = build_bot(settings)
            try:
                async with database.transaction() as session:
                    notices = [
                        Notice(chat_id=FIRST_CHAT + n, text=f"👤 Уведомление №{n + 1}")
                        for n in range(count)
                    ]
                    await enqueue(session, clock.now(), *notices)
                # Measured at any hour: quiet hours would hold these notices till morning.
                sender = OutboxSender(
                    bot, database, clock, global_rate=global_rate, quiet_hours=QuietHours.never()
                )
                started = time.monotonic()
                sender.start()
                try:
                    # Bounded: twice the time the limit needs, plus a margin.
                    limit = 2 * count / min(global_rate, 1000) + 30
                    calls = await api.wait_calls("sendMessage", count, timeout=limit)
                finally:
                    await sender.stop()
                async with database.sessions() as session:
                    sent = await session.scalar(
                        select(func.count()).where(OutboxMessage.status == "sent")
                    )
            finally:
                await bot.session.close()
                await database.dispose()
    moments = sorted(c.at for c in calls)
    seconds = moments[-1] - started
    notes = [f"{sent:,}/{count:,} rows marked sent", f"at most {_busiest_second(moments)} in 1 s"]
    if len(moments) > 1 and global_rate < RAISED_RATE:
        steady = (len(moments) - 1) / (moments[-1] - moments[0])
        notes.append(f"first to last {steady:.1f}/s")
    label = "limit raised" if global_rate >= RAISED_RATE else f"limit {global_rate}/s"
    return Result(f"outbox: {label}, distinct chats", count, seconds, "; ".join(notes))


def _busiest_second(moments: list[float]) -> int:
    """The most sends within any one-second window."""
    return max(bisect.bisect_left(moments, m + 1.0) - i for i, m in enumerate(moments))


async def run(raised: int, limited: int) -> list[Result]:
    results = []
    if limited:
        results.append(await bench_outbox(limited, global_rate=30))
    if raised:
        results.append(await bench_outbox(raised, global_rate=RAISED_RATE))
    return results
