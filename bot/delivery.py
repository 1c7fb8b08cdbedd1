"""The outbox sender: delivers stored notices within Telegram's limits.

Rows are written by `bot.services.outbox.enqueue` in the transaction that owes them; this
module only reads what is due, sends it and records the outcome. Everything it needs to go
on is in the table, so a restart simply picks up the pending rows again.

Delivery is at-least-once: a row is marked `sent` only after Telegram answered. If the
process dies between that answer and the commit, the row is still pending and goes out
again after the restart. The opposite order (mark first, send after) could lose a message,
which the spec forbids; a rare duplicate notice is the lesser harm.

One sender per database: passes are serialised in-process, rows are not leased in the
table, so two bot processes over one database would each send the same row.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramMigrateToChat,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.methods import SendDocument, SendMessage, SendPhoto, TelegramMethod
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from cachetools import TTLCache
from sqlalchemy import Select, Subquery, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from storage.db import Database
from storage.models import OutboxMessage, User

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0  # seconds: the longest pause between two attempts after a network error
IDLE_WAIT = 30.0  # seconds: look at the table at least this often even if nobody wakes us
ERROR_PAUSE = 5.0  # seconds: after a pass itself failed (e.g. the database was unavailable)


class Throttle:
    """Telegram's limits: `global_rate` messages a second overall, one per interval a chat.

    Both run on the injected clock, never on the event loop's: a test fakes the clock and
    so runs these seconds at once, while the database and the Bot API it talks to keep
    real loop time and their real timeouts.

    The global limit is a slot pacer: sends take slots `1 / global_rate` apart, one after
    another. (aiolimiter, used here before, reads the event loop's clock and cannot be
    given another; one slot refilled at the rate is all of it we used.) Evenly spaced
    slots also mean no opening burst: a bucket of 30 would let a burst of 30 go on top of
    the steady rate, up to 59 messages in the first second of a broadcast, and earn a 429.

    A chat's limit needs no waiting: the sender never waits for a busy chat (it moves on to
    other chats), it only asks whether, and for how long, a chat is busy. So it is the
    moment of the chat's last message, kept in a TTL cache that forgets the chat when its
    interval is over, which also keeps the map as small as the traffic.
    """

    def __init__(
        self,
        clock: Clock,
        global_rate: int = 30,
        per_chat_interval: float = 1.0,
        *,
        max_chats: int = 10_000,
    ) -> None:
        self.clock = clock
        self.per_chat_interval = per_chat_interval
        self._slot = 1 / global_rate
        self._next_slot: float | None = None
        self._turn = asyncio.Lock()  # slots are handed out in the order they were asked for
        self._last_sent: TTLCache[int, float] = TTLCache(
            maxsize=max_chats, ttl=per_chat_interval, timer=clock.monotonic
        )

    def chat_free_in(self, chat_id: int) -> float:
        """Seconds until this chat may get its next message; 0 if it may now."""
        last = self._last_sent.get(chat_id)
        if last is None:
            return 0.0
        wait = last + self.per_chat_interval - self.clock.monotonic()
        return wait if wait > _TIME_EPSILON else 0.0

    async def acquire(self, chat_id: int) -> None:
        """Wait for the next global slot and note the chat's send; the send follows at once.

        The caller asks `chat_free_in` first: a busy chat is skipped, not waited for. The
        chat's time is noted after the global wait, right before the send, so two messages
        to one chat never go out closer than the interval however long the queue was.
        """
        async with self._turn:
            now = self.clock.monotonic()
            if self._next_slot is not None and self._next_slot - now > _TIME_EPSILON:
                await self.clock.sleep(self._next_slot - now)
                # Never earlier than the slot, even if the sleep came back a hair early.
                now = max(self.clock.monotonic(), self._next_slot)
            self._next_slot = now + self._slot
            self._last_sent[chat_id] = now


_TIME_EPSILON = 1e-6  # seconds: below the clock's resolution; float noise, not a wait


@dataclass(frozen=True, slots=True)
class _PassResult:
    sent: int
    chat_wait: float | None  # due rows were left for busy chats; the first frees up in this


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        database: Database,
        clock: Clock,
        *,
        global_rate: int = 30,
        per_chat_interval: float = 1.0,
        max_attempts: int = 8,
        batch: int = 100,
    ) -> None:
        self.bot = bot
        self.database = database
        self.clock = clock
        self.max_attempts = max_attempts
        self.batch = batch
        self.throttle = Throttle(clock, global_rate, per_chat_interval)
        self._wake = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._pass_lock = asyncio.Lock()  # one pass at a time: the loop and a manual send_due

    # --- the background loop -------------------------------------------------------------

    def start(self) -> None:
        if self.running:
            return
        self._stopping = False
        self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Stop after the sends already in flight are answered and recorded."""
        if self._task is None:
            return
        self._stopping = True
        self._wake.set()
        try:
            await self._task
        finally:
            self._task = None

    @property
    def running(self) -> bool:
        return self._task is not None and not self._task.done()

    def wake(self) -> None:
        self._wake.set()

    async def on_tick(self, now: datetime) -> None:
        self.wake()

    async def send_due(self) -> int:
        """Send what is due now, once; rows whose chat is still busy wait for a later pass."""
        return (await self._pass()).sent

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the pass: a wake() during the pass makes the wait below return
            # at once instead of being lost.
            self._wake.clear()
            try:
                result = await self._pass()
                if result.sent:
                    continue  # there may be more due right away
                delay = await self._idle_delay(result)
            except Exception:
                log.exception("outbox pass failed; trying again in %s s", ERROR_PAUSE)
                delay = ERROR_PAUSE
            await self._idle(delay)

    async def _idle(self, delay: float) -> None:
        """Wait `delay` on the clock, or less if someone wakes us."""
        woken = asyncio.ensure_future(self._wake.wait())
        slept = asyncio.ensure_future(self.clock.sleep(delay))
        try:
            await asyncio.wait({woken, slept}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiter in (woken, slept):
                waiter.cancel()
            await asyncio.gather(woken, slept, return_exceptions=True)

    async def _idle_delay(self, result: _PassResult) -> float:
        """How long to wait when nothing was sent: until a row falls due or a busy chat
        frees up, capped. Due rows of busy chats are counted by `chat_wait`, not here."""
        now = self.clock.now()
        heads = _heads()
        async with self.database.sessions() as session:
            earliest = await session.scalar(
                select(func.min(heads.c.not_before)).where(heads.c.not_before > now)
            )
        delay = IDLE_WAIT
        if earliest is not None:
            delay = min(delay, (earliest - now).total_seconds())
        if result.chat_wait is not None:
            delay = min(delay, result.chat_wait)
        return max(delay, 0.01)  # never spin, whatever the clocks say

    # --- one pass ------------------------------------------------------------------------

    async def _pass(self) -> _PassResult:
        async with self._pass_lock:
            async with self.database.transaction() as session:
                await self._skip_unreachable(session)
                rows = list(await session.scalars(_due(self.clock.now()).limit(self.batch)))
            waits = {row.id: self.throttle.chat_free_in(row.chat_id) for row in rows}
            ready = [row for row in rows if not waits[row.id]]
            sends: list[asyncio.Task[bool]] = []
            for row in ready:
                if self._stopping:
                    break
                # Slots are taken one after another, oldest row first; the sends themselves
                # run concurrently so that Telegram's latency does not cap the rate.
                await self.throttle.acquire(row.chat_id)
                if self._stopping:
                    break
                sends.append(asyncio.create_task(self._deliver(row)))
            outcomes = await asyncio.gather(*sends, return_exceptions=True)
            for row, outcome in zip(ready, outcomes, strict=False):
                if isinstance(outcome, BaseException):
                    log.error("outbox row %s: outcome not recorded", row.id, exc_info=outcome)
            busy = [wait for wait in waits.values() if wait]
            return _PassResult(
                sent=sum(outcome is True for outcome in outcomes),
                chat_wait=min(busy) if busy else None,
            )

    async def _skip_unreachable(self, session: AsyncSession) -> None:
        """Rows for users who blocked the bot are never sent: Telegram would only say 403."""
        unreachable = select(User.id).where(User.is_reachable.is_(False))
        result = await session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.chat_id.in_(unreachable))
            .values(status="blocked", last_error="user blocked the bot")
        )
        if result.rowcount:
            log.info("outbox: %s row(s) skipped, their users blocked the bot", result.rowcount)

    async def _deliver(self, row: OutboxMessage) -> bool:
        """Send one row and record the outcome; True if Telegram took it."""
        try:
            request = _request(row)
        except (KeyError, TypeError, ValueError) as error:  # a malformed row never improves
            await self._fail(row, f"bad payload: {error}")
            return False
        try:
            await self.bot(request)
        except TelegramRetryAfter as error:
            await self._retry(row, float(error.retry_after), f"429: {error.message}")
        except TelegramForbiddenError as error:
            await self._block(row, error.message)
        except (TelegramBadRequest, TelegramMigrateToChat, TelegramEntityTooLarge) as error:
            await self._fail(row, error.message)
        except (TelegramNetworkError, TelegramServerError) as error:
            await self._retry(row, _backoff(row.attempts + 1), str(error))
        except Exception as error:
            log.exception("outbox row %s: unexpected error while sending", row.id)
            await self._retry(row, _backoff(row.attempts + 1), repr(error))
        else:
            await self._record(
                row.id,
                status="sent",
                attempts=row.attempts + 1,
                sent_at=self.clock.now(),
                last_error=None,
            )
            return True
        return False

    # --- recording outcomes --------------------------------------------------------------

    async def _record(self, row_id: int, **values: Any) -> None:
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id == row_id).values(**values)
            )

    async def _retry(self, row: OutboxMessage, delay: float, reason: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self.max_attempts:
            log.warning("outbox row %s failed after %s attempts: %s", row.id, attempts, reason)
            await self._record(row.id, status="failed", attempts=attempts, last_error=reason)
            return
        log.warning(
            "outbox row %s to chat %s: attempt %s failed (%s); retrying in %.0f s",
            row.id,
            row.chat_id,
            attempts,
            reason,
            delay,
        )
        await self._record(
            row.id,
            attempts=attempts,
            not_before=self.clock.now() + timedelta(seconds=delay),
            last_error=reason,
        )

    async def _fail(self, row: OutboxMessage, reason: str) -> None:
        log.warning("outbox row %s to chat %s failed: %s", row.id, row.chat_id, reason)
        await self._record(row.id, status="failed", attempts=row.attempts + 1, last_error=reason)

    async def _block(self, row: OutboxMessage, reason: str) -> None:
        log.info(
            "outbox: chat %s blocked the bot (%s); its pending rows are dropped",
            row.chat_id,
            reason,
        )
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(status="blocked", attempts=row.attempts + 1, last_error=reason)
            )
            # The rest of this chat's queue: it includes chats with no user row (groups).
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.chat_id == row.chat_id, OutboxMessage.status == "pending")
                .values(status="blocked", last_error=reason)
            )
            await session.execute(
                update(User).where(User.id == row.chat_id).values(is_reachable=False)
            )


# --- queries and requests ------------------------------------------------------------------


def _heads() -> Subquery:
    """Each chat's oldest pending row: a chat's rows go out strictly in the order queued,
    so a row waiting for a retry holds back the ones behind it."""
    first = (
        select(func.min(OutboxMessage.id).label("id"))
        .where(OutboxMessage.status == "pending")
        .group_by(OutboxMessage.chat_id)
        .subquery()
    )
    return (
        select(OutboxMessage.id, OutboxMessage.not_before)
        .join(first, OutboxMessage.id == first.c.id)
        .subquery()
    )


def _due(now: datetime) -> Select[Any]:
    heads = _heads()
    return (
        select(OutboxMessage)
        .join(heads, OutboxMessage.id == heads.c.id)
        .where(OutboxMessage.not_before <= now)
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
    )


def _backoff(attempt: int) -> float:
    """2, 4, 8 … seconds, at most MAX_BACKOFF."""
    return min(2.0**attempt, MAX_BACKOFF)


def _request(row: OutboxMessage) -> TelegramMethod[Any]:
    """The Bot API call a row stands for; HTML parse mode comes from the Bot's defaults."""
    payload = row.payload
    markup = _markup(payload.get("buttons"))
    if row.method == "send_message":
        return SendMessage(chat_id=row.chat_id, text=payload["text"], reply_markup=markup)
    caption = payload.get("text") or None
    if row.method == "send_photo":
        return SendPhoto(
            chat_id=row.chat_id, photo=payload["photo"], caption=caption, reply_markup=markup
        )
    if row.method == "send_document":
        return SendDocument(
            chat_id=row.chat_id,
            document=payload["document"],
            caption=caption,
            reply_markup=markup,
        )
    raise ValueError(f"unknown method {row.method!r}")


def _markup(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(**button) for button in row] for row in rows]
    )
