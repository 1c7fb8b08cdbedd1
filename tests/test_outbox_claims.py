"""Several senders over one database: each pass claims its rows, so every row goes out
once, each chat's rows in order and a second apart, and a dead sender's claims run out.

The senders are two `Database` objects over one URL, as two processes would be (on
PostgreSQL two connection pools, on SQLite two writers taking turns on the file). Time is
the FrozenClock's; passes are run by hand, two at once, so nothing depends on real time.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from itertools import pairwise

from sqlalchemy import select

from bot.delivery import CLAIM_LEASE, OutboxSender
from bot.services.outbox import Notice, enqueue
from storage.db import Database
from storage.models import OutboxMessage

CHATS = range(2000, 2012)
PER_CHAT = 6


def stamp_requests(recording, clock) -> list[tuple[int, str, float]]:
    sent: list[tuple[int, str, float]] = []
    real_request = recording.make_request

    async def make_request(bot, method, timeout=None):
        sent.append((int(method.chat_id), method.text, clock.monotonic()))
        return await real_request(bot, method, timeout)

    recording.make_request = make_request
    return sent


async def test_two_senders_send_every_row_once_in_order_per_chat(
    bot, database, settings, clock, recording
):
    async with database.transaction() as session:
        # Interleaved: chat 2000's rows are not next to each other in the table.
        await enqueue(
            session,
            clock.now(),
            *(Notice(chat, f"{chat}/{n}") for n in range(PER_CHAT) for chat in CHATS),
        )
    sent = stamp_requests(recording, clock)
    other = Database(settings.database_url)  # the second process
    try:
        first = OutboxSender(bot, database, clock, sender_id="first", batch=5)
        second = OutboxSender(bot, other, clock, sender_id="second", batch=5)
        by_sender = Counter[str]()
        for _ in range(4 * PER_CHAT):  # bounded: well over the rounds needed
            a, b = await asyncio.gather(first.send_due(), second.send_due())
            by_sender.update(first=a, second=b)
            if len(sent) == len(CHATS) * PER_CHAT:
                break
            clock.advance(seconds=1)
    finally:
        await other.dispose()

    texts = [text for _, text, _ in sent]
    assert Counter(texts) == Counter(f"{c}/{n}" for c in CHATS for n in range(PER_CHAT))
    for chat in CHATS:
        to_chat = [(text, at) for c, text, at in sent if c == chat]
        assert [text for text, _ in to_chat] == [f"{chat}/{n}" for n in range(PER_CHAT)]
        gaps = [b - a for (_, a), (_, b) in pairwise(to_chat)]
        assert all(gap >= 1 - 1e-3 for gap in gaps), (chat, gaps)  # whichever sender sent it
    assert by_sender["first"] > 0  # both really sent
    assert by_sender["second"] > 0
    async with database.sessions() as session:
        rows = list(await session.scalars(select(OutboxMessage)))
    assert {(r.status, r.claimed_by, r.claimed_until) for r in rows} == {("sent", None, None)}


async def test_a_dead_senders_claim_runs_out_and_its_rows_go_out_once(
    bot, database, clock, recording
):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "первое"), Notice(100, "второе"))
        await enqueue(session, clock.now(), Notice(101, "другому"))
    dead = OutboxSender(bot, database, clock, sender_id="dead")
    async with database.transaction() as session:  # it claims, then the process dies
        claimed = await dead._claim(session, clock.now())
    assert sorted(row.chat_id for row in claimed) == [100, 101]

    alive = OutboxSender(bot, database, clock, sender_id="alive")
    assert await alive.send_due() == 0  # claimed rows, and chat 100's next waits behind one
    clock.advance(seconds=CLAIM_LEASE.total_seconds() - 1)
    assert await alive.send_due() == 0

    clock.advance(seconds=1)
    assert await alive.send_due() == 2
    clock.advance(seconds=1)
    assert await alive.send_due() == 1
    assert await alive.send_due() == 0
    assert recording.texts_to(100) == ["первое", "второе"]
    assert recording.texts_to(101) == ["другому"]


async def test_a_stopping_sender_hands_its_unsent_claims_back(bot, database, clock, recording):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *(Notice(chat, "всем") for chat in range(10, 13)))
    sender = OutboxSender(bot, database, clock, sender_id="stopping")
    real_request = recording.make_request

    async def stop_after_first(bot, method, timeout=None):
        sender._stopping = True  # stop() was called while the first send was in flight
        return await real_request(bot, method, timeout)

    recording.make_request = stop_after_first
    assert await sender.send_due() == 1

    recording.make_request = real_request
    other = OutboxSender(bot, database, clock, sender_id="other")
    assert await other.send_due() == 2  # at once, not after the lease
