"""The outbox with a backlog: which rows a pass may claim (walked through the partial
indexes of pending rows, never by grouping them all), the outcomes of a pass written
together, and finished rows pruned after OUTBOX_KEEP_DAYS.

On SQLite and, under `make test-postgres`, on PostgreSQL. Time is the FrozenClock's.
"""

from __future__ import annotations

import asyncio
import bisect
from collections import Counter
from datetime import timedelta
from itertools import pairwise

import pytest
from sqlalchemy import event, select, update

from bot.delivery import CLAIM_LEASE, OutboxSender
from bot.delivery import sender as sender_module
from bot.delivery.queue import due_heads
from bot.services.outbox import Notice, QuietHours, enqueue
from bot.services.people import set_reachable
from storage.models import OutboxMessage
from tests.harness.factories import make_user


async def queue(database, clock, *notices: Notice) -> list[int]:
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *notices)
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage.id).order_by(OutboxMessage.id)))


async def heads(database, clock) -> list[str]:
    async with database.sessions() as session:
        rows = await session.scalars(due_heads(clock.now()))
        return [row.payload["text"] for row in rows]


async def set_row(database, text_: str, **values) -> None:
    async with database.transaction() as session:
        await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.payload["text"].as_string() == text_)
            .values(**values)
        )


async def all_rows(database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


# --- which rows a pass may claim ------------------------------------------------------------


async def test_due_heads_are_each_chats_oldest_pending_row_oldest_due_first(database, clock):
    await queue(database, clock, Notice(1, "1a"), Notice(2, "2a"), Notice(1, "1b"))
    clock.advance(seconds=5)
    await queue(database, clock, Notice(3, "3a"), Notice(2, "2b"))
    await set_row(database, "2a", not_before=clock.now() - timedelta(seconds=10))

    # 2a fell due first; 1b and 2b wait behind their chats' heads.
    assert await heads(database, clock) == ["2a", "1a", "3a"]

    await set_row(database, "2a", status="sent")
    await set_row(database, "1a", status="failed")
    assert await heads(database, clock) == ["1b", "3a", "2b"]


async def test_a_head_waiting_or_claimed_holds_its_chat_back_and_others_go(database, clock):
    await queue(
        database,
        clock,
        Notice(1, "1a"),
        Notice(1, "1b"),
        Notice(2, "2a"),
        Notice(2, "2b"),
        Notice(3, "3a"),
        Notice(3, "3b"),
    )
    await set_row(database, "1a", not_before=clock.now() + timedelta(seconds=30))  # a retry
    await set_row(
        database, "2a", claimed_by="other", claimed_until=clock.now() + CLAIM_LEASE
    )  # another sender's live claim
    await set_row(database, "3a", claimed_by="dead", claimed_until=clock.now())  # ran out

    assert await heads(database, clock) == ["3a"]
    clock.advance(seconds=30)
    assert await heads(database, clock) == ["3a", "1a"]  # 1a fell due later


async def test_a_held_row_stands_aside_and_is_head_again_once_released(database, clock):
    await queue(database, clock, Notice(1, "held"), Notice(1, "answer"), Notice(1, "later"))
    release = clock.now() + timedelta(hours=8)
    await set_row(database, "held", held_until=release, not_before=release)

    assert await heads(database, clock) == ["answer"]
    await set_row(database, "answer", status="sent")
    assert await heads(database, clock) == ["later"]
    clock.set(release)
    assert await heads(database, clock) == ["held"]  # in front of "later" again


async def test_holding_a_row_moves_it_out_of_the_due_range_till_its_release(
    bot, database, clock, recording
):
    await make_user(database, 10)
    night = QuietHours()  # 21:00–09:00 Moscow
    clock.set(clock.now().replace(hour=20, minute=0, second=0, microsecond=0))  # 23:00 MSK
    await queue(database, clock, Notice(10, "ночью"))
    sender = OutboxSender(bot, database, clock, quiet_hours=night)

    assert await sender.send_due() == 0
    (row,) = await all_rows(database)
    assert row.held_until is not None
    assert row.not_before == row.held_until
    assert await heads(database, clock) == []
    clock.set(row.held_until)
    assert await sender.send_due() == 1
    assert recording.texts_to(10) == ["ночью"]


async def test_rows_of_people_who_blocked_the_bot_are_dropped_when_they_come_up(
    bot, database, clock, recording
):
    for user in (10, 11):
        await make_user(database, user)
    async with database.transaction() as session:
        await set_reachable(session, 10, reachable=False)
    await queue(database, clock, Notice(10, "a"), Notice(11, "b"), Notice(10, "c"))
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())

    assert await sender.send_due() == 1
    assert recording.texts_to(11) == ["b"]
    assert recording.texts_to(10) == []
    assert [(r.payload["text"], r.status) for r in await all_rows(database)] == [
        ("a", "blocked"),
        ("b", "sent"),
        ("c", "blocked"),
    ]


async def test_the_due_query_walks_the_pending_index_on_sqlite(database, clock):
    if database.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's plan; PostgreSQL's is looked at in bench/README.md")
    sql = str(due_heads(clock.now()).limit(30).compile(database.engine.sync_engine))
    # The plan does not depend on the values: the moments as text, then LIMIT and OFFSET.
    values = ("2026-12-01 00:00:00.000000",) * (sql.count("?") - 2) + (30, 0)
    async with database.engine.connect() as connection:
        result = await connection.exec_driver_sql("EXPLAIN QUERY PLAN " + sql, values)
        plan = " | ".join(row[3] for row in result)
    # Neither a scan of the table nor a temporary b-tree for GROUP BY or ORDER BY.
    assert "USING INDEX ix_outbox_pending_due" in plan, plan
    assert "USING INDEX ix_outbox_pending_chat" in plan, plan
    assert "SCAN outbox" not in plan, plan
    assert "TEMP B-TREE" not in plan, plan


# --- a pass's outcomes, written together ------------------------------------------------------


async def test_a_pass_writes_its_outcomes_with_one_update_per_kind(bot, database, clock, recording):
    chats = range(100, 120)
    await queue(database, clock, *(Notice(chat, f"first{chat}") for chat in chats))
    await queue(database, clock, *(Notice(chat, f"next{chat}") for chat in chats))
    recording.fail("sendMessage", 400, "Bad Request: chat not found", chat_id=105)
    recording.fail_network("sendMessage")
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    updates: list[tuple[str, bool]] = []

    @event.listens_for(database.engine.sync_engine, "before_cursor_execute")
    def count(_conn, _cursor, statement, _params, _context, executemany) -> None:
        if statement.lstrip().upper().startswith("UPDATE"):
            updates.append((statement.split(" SET ")[1].split(" WHERE ")[0], executemany))

    try:
        assert await sender.send_due() == 18
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", count)

    statuses = Counter(
        (r.status, r.payload["text"].startswith("first")) for r in await all_rows(database)
    )
    assert statuses == {
        ("sent", True): 18,
        ("pending", True): 1,
        ("failed", True): 1,
        ("pending", False): 20,
    }
    # The claim; sent, failed, the retry (one statement each, for all their rows); the
    # chats' next rows moved a second on. Not 20 transactions of two updates each.
    assert len(updates) == 5, updates
    rows = {r.payload["text"]: r for r in await all_rows(database)}
    assert {r.not_before for t, r in rows.items() if t.startswith("next")} == {
        clock.now() + timedelta(seconds=1)
    }
    assert all(r.claimed_by is None for r in rows.values())


# --- pruning -----------------------------------------------------------------------------------


async def test_prune_deletes_only_finished_rows_older_than_the_retention(
    bot, database, clock, monkeypatch
):
    monkeypatch.setattr(sender_module, "PRUNE_BATCH", 3)
    statuses = ["sent", "failed", "expired", "blocked", "pending"]
    await queue(database, clock, *(Notice(1, f"old {s} {n}") for s in statuses for n in range(3)))
    clock.advance(days=31)
    await queue(database, clock, *(Notice(1, f"new {s}") for s in statuses))
    async with database.transaction() as session:
        for status in statuses[:-1]:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.payload["text"].as_string().like(f"% {status}%"))
                .values(status=status)
            )
    sender = OutboxSender(bot, database, clock, keep_for=timedelta(days=30))
    begins = []

    @event.listens_for(database.engine.sync_engine, "begin")
    def began(_conn) -> None:
        begins.append(1)

    try:
        await sender.on_tick(clock.now())
    finally:
        event.remove(database.engine.sync_engine, "begin", began)

    left = [r.payload["text"] for r in await all_rows(database)]
    assert left == [f"old pending {n}" for n in range(3)] + [f"new {s}" for s in statuses]
    assert len(begins) >= 4  # 12 rows, 3 a transaction (and one that found none left)


async def test_prune_is_bounded_per_tick_and_goes_on_at_the_next(bot, database, clock, monkeypatch):
    monkeypatch.setattr(sender_module, "PRUNE_BATCH", 2)
    monkeypatch.setattr(sender_module, "PRUNE_BATCHES", 3)
    await queue(database, clock, *(Notice(1, f"old {n}") for n in range(10)))
    async with database.transaction() as session:
        await session.execute(update(OutboxMessage).values(status="sent"))
    clock.advance(days=40)
    sender = OutboxSender(bot, database, clock)  # the default: 30 days

    assert await sender.prune(clock.now() - timedelta(days=30)) == 6
    assert len(await all_rows(database)) == 4
    await sender.on_tick(clock.now())
    assert await all_rows(database) == []


def test_nothing_reads_sent_rows_once_sent():
    """Pruning is safe only while exports and digests never read the outbox: only the
    delivery package and the outbox service name the table (a broadcast's progress line
    counts its sent rows while it is under way, long before they are old enough to go)."""
    import pathlib

    root = pathlib.Path(__file__).resolve().parents[1]
    readers = sorted(
        str(path.relative_to(root))
        for folder in ("bot", "handlers", "storage")
        for path in (root / folder).rglob("*.py")
        if "OutboxMessage" in path.read_text(encoding="utf-8")
        or "FROM outbox" in path.read_text(encoding="utf-8")
    )
    assert readers == [
        "bot/delivery/outcomes.py",
        "bot/delivery/progress.py",
        "bot/delivery/queue.py",
        "bot/delivery/requests.py",
        "bot/delivery/sender.py",
        "bot/services/outbox.py",
        "storage/models/__init__.py",
        "storage/models/outbox.py",
    ], readers


# --- a broadcast through the background loop --------------------------------------------------


async def test_a_broadcast_through_the_loop_keeps_each_chats_order_and_both_limits(
    bot, database, clock, recording
):
    """The loop claims the next batch while the last one's answers and outcomes are still
    on their way: no row twice, each chat's rows in order and a second apart, and never
    more than 30 in a second overall."""
    chats = range(300, 340)
    await queue(database, clock, *(Notice(c, f"{c}/{n}") for n in range(3) for c in chats))
    sent: list[tuple[int, str, float]] = []
    all_sent = asyncio.Event()
    real_request = recording.make_request

    async def make_request(bot, method, timeout=None):
        sent.append((int(method.chat_id), method.text, clock.monotonic()))
        if len(sent) == 3 * len(chats):
            all_sent.set()
        await asyncio.sleep(0.001)  # Telegram's answer takes a moment: sends overlap
        return await real_request(bot, method, timeout)

    recording.make_request = make_request
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    sender.start()
    try:
        async with asyncio.timeout(30):  # real seconds, a bound only
            await all_sent.wait()
    finally:
        await sender.stop()

    assert Counter(text for _, text, _ in sent) == Counter(
        f"{c}/{n}" for c in chats for n in range(3)
    )
    for chat in chats:
        mine = [(text, at) for c, text, at in sent if c == chat]
        assert [text for text, _ in mine] == [f"{chat}/{n}" for n in range(3)]
        assert all(b - a >= 1 - 1e-3 for (_, a), (_, b) in pairwise(mine)), mine
    moments = sorted(at for _, _, at in sent)
    busiest = max(bisect.bisect_left(moments, m + 1 - 1e-6) - i for i, m in enumerate(moments))
    assert busiest <= 30
    rows = await all_rows(database)
    assert {(r.status, r.claimed_by) for r in rows} == {("sent", None)}
