"""The outbox sender: delivers stored notices within Telegram's limits.

Rows are written by `bot.services.outbox.enqueue` in the transaction that owes them; this
module claims what is due, sends it and records the outcome. Everything it needs to go on
is in the table, so a restart simply picks up the pending rows again.

Delivery is at-least-once: a row is marked `sent` only after Telegram answered. If the
process dies between that answer and the commit, the row is still pending and goes out
again once its claim runs out. The opposite order (mark first, send after) could lose a
message, which the spec forbids; a rare duplicate notice is the lesser harm.

Several senders (processes) may share one database. A pass claims a small batch of due
rows for `CLAIM_LEASE` (on PostgreSQL with `FOR UPDATE SKIP LOCKED`, so two senders never
take the same row; on SQLite the one writer serialises the claims), sends them and clears
the claim with the outcome. Through the table too:

- a chat's rows go strictly in the order queued: only the oldest pending row of a chat
  (its head) may be claimed, so a row that is claimed or waits for a retry holds back the
  rows behind it, whichever sender would take them;
- a chat gets one message a second: recording an attempt moves the chat's other pending
  rows to a second later (`not_before`), so the next one is not due before, for any sender;
- quiet hours: a row that respects them, found inside the recipient's quiet hours, gets
  `held_until` (their end) and stands aside from its chat's queue until then, so an answer
  to the person's own action queued behind it still goes at once.

The global rate is this process's own (`OUTBOX_RATE`): with several senders their rates
must add up to Telegram's 30 a second (see README, «Reliability»).
"""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from collections import deque
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
from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.outbox import QuietHours
from bot.services.people import timezones_of
from storage.db import Database
from storage.models import OutboxMessage, User
from storage.statements import rows_changed

log = logging.getLogger(__name__)

MAX_BACKOFF = 300.0  # seconds: the longest pause between two attempts after a network error
# A notice is retried through network errors and 5xx for this long after it was queued
# (unless it says otherwise), then kept as `expired`: Telegram outages and blocks of its
# addresses last hours, and a notice two days late is still worth having.
GIVE_UP_AFTER = timedelta(hours=48)
# When this many different chats are told to wait (429) within FLOOD_WINDOW seconds, it is
# the bot as a whole that goes too fast: the global pace is halved.
FLOOD_CHATS = 3
FLOOD_WINDOW = 10.0
IDLE_WAIT = 30.0  # seconds: look at the table at least this often even if nobody wakes us
ERROR_PAUSE = 5.0  # seconds: after a pass itself failed (e.g. the database was unavailable)
# How long a claim holds. A pass takes about a second of slots (the batch is one second's
# worth) and waits for Telegram's answers (aiogram gives up on a request after 60 s), so a
# live sender always records its rows before the claim runs out; a dead one's rows go out
# again this long after it took them.
CLAIM_LEASE = timedelta(minutes=2)


class Throttle:
    """Telegram's global limit: `global_rate` messages a second, on the injected clock.

    Never on the event loop's clock: a test fakes the clock and so runs these seconds at
    once, while the database and the Bot API it talks to keep real loop time and their real
    timeouts. It is a slot pacer: sends take slots `1 / global_rate` apart, one after
    another, in the order they asked. (aiolimiter, used here before, reads the event loop's
    clock and cannot be given another; one slot refilled at the rate is all of it we used.)
    Evenly spaced slots also mean no opening burst: a bucket of 30 would let a burst of 30
    go on top of the steady rate, up to 59 messages in the first second of a broadcast.

    A chat's limit (1 a second) lives in the table, not here, so that it holds for every
    sender over the database: see the module's docstring.
    """

    def __init__(self, clock: Clock, global_rate: int = 30) -> None:
        self.clock = clock
        self._base_slot = self._slot = 1 / global_rate
        self._next_slot: float | None = None
        self._turn = asyncio.Lock()  # slots are handed out in the order they were asked for
        self._floods: deque[tuple[float, int]] = deque()  # (when, chat) of recent 429s

    @property
    def rate(self) -> float:
        """Messages a second now: the configured rate, or less after a flood."""
        return 1 / self._slot

    def flooded(self, chat_id: int) -> None:
        """Telegram told a chat to wait. One chat is that chat's business (its row waits);
        several within seconds mean the bot is too fast overall: halve the pace, down to
        one message a second."""
        now = self.clock.monotonic()
        self._floods.append((now, chat_id))
        while self._floods and self._floods[0][0] < now - FLOOD_WINDOW:
            self._floods.popleft()
        if len({chat for _, chat in self._floods}) >= FLOOD_CHATS:
            self._floods.clear()
            self._slot = min(self._slot * 2, 1.0)
            log.warning("outbox: Telegram asks many chats to wait; pace now %.1f/s", self.rate)

    def delivered(self) -> None:
        """A send went through: the pace creeps back to the configured rate."""
        self._slot = max(self._base_slot, self._slot * 0.98)

    async def acquire(self) -> None:
        """Wait for the next slot; the send follows at once."""
        async with self._turn:
            now = self.clock.monotonic()
            if self._next_slot is not None and self._next_slot - now > _TIME_EPSILON:
                await self.clock.sleep(self._next_slot - now)
                # Never earlier than the slot, even if the sleep came back a hair early.
                now = max(self.clock.monotonic(), self._next_slot)
            self._next_slot = now + self._slot


_TIME_EPSILON = 1e-6  # seconds: below the clock's resolution; float noise, not a wait


def default_sender_id() -> str:
    """Unique among the processes over one database, and says which one it is in a row."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{secrets.token_hex(3)}"


class OutboxSender:
    def __init__(
        self,
        bot: Bot,
        database: Database,
        clock: Clock,
        *,
        global_rate: int = 30,
        per_chat_interval: float = 1.0,
        give_up_after: timedelta = GIVE_UP_AFTER,
        batch: int | None = None,
        sender_id: str | None = None,
        quiet_hours: QuietHours | None = None,
        default_timezone: str = "Europe/Moscow",
    ) -> None:
        self.bot = bot
        self.database = database
        self.clock = clock
        self.give_up_after = give_up_after
        self.per_chat_interval = timedelta(seconds=per_chat_interval)
        self.batch = batch or global_rate  # one second of sends per claim
        self.sender_id = sender_id or default_sender_id()
        self.quiet_hours = quiet_hours or QuietHours()
        self.default_timezone = default_timezone
        self.throttle = Throttle(clock, global_rate)
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
        return await self._pass()

    async def _run(self) -> None:
        while not self._stopping:
            # Cleared before the pass: a wake() during the pass makes the wait below return
            # at once instead of being lost.
            self._wake.clear()
            try:
                if await self._pass():
                    continue  # there may be more due right away
                delay = await self._idle_delay()
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

    async def _idle_delay(self) -> float:
        """How long to wait when nothing was sent: until a row falls due, a held row's quiet
        hours end or another sender's claim runs out; at most IDLE_WAIT."""
        now = self.clock.now()
        pending = OutboxMessage.status == "pending"

        def earliest(column: Any) -> Any:
            return select(func.min(column)).where(pending, column > now).scalar_subquery()

        async with self.database.sessions() as session:
            moments = (
                await session.execute(
                    select(
                        earliest(OutboxMessage.not_before),
                        earliest(OutboxMessage.held_until),
                        earliest(OutboxMessage.claimed_until),
                    )
                )
            ).one()
        delay = min([IDLE_WAIT, *((moment - now).total_seconds() for moment in moments if moment)])
        return max(delay, 0.01)  # never spin, whatever the clocks say

    # --- one pass ------------------------------------------------------------------------

    async def _pass(self) -> int:
        """Claim a batch, send it at the global rate, record every outcome; rows sent."""
        async with self._pass_lock:
            async with self.database.transaction() as session:
                await self._skip_unreachable(session)
                rows = await self._claim(session, self.clock.now())
            sends: list[asyncio.Task[bool]] = []
            for row in rows:
                if self._stopping:
                    break
                # Slots are taken one after another, oldest row first; the sends themselves
                # run concurrently so that Telegram's latency does not cap the rate.
                await self.throttle.acquire()
                if self._stopping:
                    break
                sends.append(asyncio.create_task(self._deliver(row)))
            outcomes = await asyncio.gather(*sends, return_exceptions=True)
            for row, outcome in zip(rows, outcomes, strict=False):
                if isinstance(outcome, BaseException):
                    log.error("outbox row %s: outcome not recorded", row.id, exc_info=outcome)
            if unsent := rows[len(sends) :]:
                await self._release(unsent)  # stopping: another sender may take them now
            return sum(outcome is True for outcome in outcomes)

    async def _claim(self, session: AsyncSession, now: datetime) -> list[OutboxMessage]:
        """Due heads of chats, claimed for this sender; rows found inside their recipient's
        quiet hours are held instead, and the rows behind them looked at in their place."""
        claimed: list[OutboxMessage] = []
        while len(claimed) < self.batch:
            rows = list(
                await session.scalars(
                    _due(now)
                    .limit(self.batch - len(claimed))
                    .with_for_update(skip_locked=True, of=OutboxMessage)
                )
            )
            held = await self._hold_quiet(session, rows, now)
            fresh = [row for row in rows if row.id not in held]
            if fresh:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([row.id for row in fresh]))
                    .values(claimed_by=self.sender_id, claimed_until=now + CLAIM_LEASE)
                )
                claimed += fresh
            if not held:  # held rows stand aside: their chats' next rows may be due
                break
        return claimed

    async def _hold_quiet(
        self, session: AsyncSession, rows: list[OutboxMessage], now: datetime
    ) -> set[int]:
        """Hold the rows whose recipient is inside quiet hours until they end; their ids."""
        quiet = [row for row in rows if row.respect_quiet_hours]
        if not quiet:
            return set()
        zones = await timezones_of(session, {row.chat_id for row in quiet}, self.default_timezone)
        releases: dict[datetime, list[int]] = {}
        for row in quiet:
            if release := self.quiet_hours.release_at(now, zones[row.chat_id]):
                releases.setdefault(release, []).append(row.id)
        for release, ids in releases.items():
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.id.in_(ids)).values(held_until=release)
            )
        return {row_id for ids in releases.values() for row_id in ids}

    async def _release(self, rows: list[OutboxMessage]) -> None:
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.id.in_([row.id for row in rows]),
                    OutboxMessage.claimed_by == self.sender_id,
                )
                .values(claimed_by=None, claimed_until=None)
            )

    async def _skip_unreachable(self, session: AsyncSession) -> None:
        """Rows for users who blocked the bot are never sent: Telegram would only say 403."""
        unreachable = select(User.id).where(User.is_reachable.is_(False))
        skipped = await rows_changed(
            session,
            update(OutboxMessage)
            .where(OutboxMessage.status == "pending", OutboxMessage.chat_id.in_(unreachable))
            .values(status="blocked", last_error="user blocked the bot"),
        )
        if skipped:
            log.info("outbox: %s row(s) skipped, their users blocked the bot", skipped)

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
            self.throttle.flooded(row.chat_id)
            await self._wait_as_asked(row, float(error.retry_after), error.message)
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
            self.throttle.delivered()
            await self._record(
                row,
                status="sent",
                attempts=row.attempts + 1,
                sent_at=self.clock.now(),
                last_error=None,
            )
            return True
        return False

    # --- recording outcomes --------------------------------------------------------------

    async def _record(self, row: OutboxMessage, **values: Any) -> None:
        """The attempt's outcome, the claim cleared, and the chat's next message a second
        later: the per-chat limit, for every sender over this database."""
        now = self.clock.now()
        chat_free = now + self.per_chat_interval
        async with self.database.transaction() as session:
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id == row.id)
                .values(claimed_by=None, claimed_until=None, **values)
            )
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.chat_id == row.chat_id,
                    OutboxMessage.status == "pending",
                    OutboxMessage.not_before < chat_free,
                )
                .values(not_before=chat_free)
            )

    async def _wait_as_asked(self, row: OutboxMessage, seconds: float, reason: str) -> None:
        """429: not a failure. The row (and so its chat's queue) waits as long as Telegram
        says, however long, and the attempt is not counted against it."""
        log.info(
            "outbox row %s to chat %s: Telegram asks to wait %.0f s", row.id, row.chat_id, seconds
        )
        await self._record(
            row,
            not_before=self.clock.now() + timedelta(seconds=seconds),
            last_error=f"429: {reason}",
        )

    async def _retry(self, row: OutboxMessage, delay: float, reason: str) -> None:
        """A transient fault (network, 5xx): tried again after `delay` for as long as the
        notice is worth sending, then kept as `expired` with the reason."""
        attempts = row.attempts + 1
        now = self.clock.now()
        if now + timedelta(seconds=delay) >= self._expiry(row):
            log.warning("outbox row %s expired after %s attempts: %s", row.id, attempts, reason)
            await self._record(row, status="expired", attempts=attempts, last_error=reason)
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
            row,
            attempts=attempts,
            not_before=self.clock.now() + timedelta(seconds=delay),
            last_error=reason,
        )

    def _expiry(self, row: OutboxMessage) -> datetime:
        return row.expires_at or row.created_at + self.give_up_after

    async def _fail(self, row: OutboxMessage, reason: str) -> None:
        log.warning("outbox row %s to chat %s failed: %s", row.id, row.chat_id, reason)
        await self._record(row, status="failed", attempts=row.attempts + 1, last_error=reason)

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
                .values(
                    status="blocked",
                    attempts=row.attempts + 1,
                    last_error=reason,
                    claimed_by=None,
                    claimed_until=None,
                )
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


def _due(now: datetime) -> Select[Any]:
    """The rows a pass may claim: each chat's head (its oldest pending row that is not held
    for quiet hours), if it is due and nobody holds a live claim on it."""
    heads = (
        select(func.min(OutboxMessage.id).label("id"))
        .where(
            OutboxMessage.status == "pending",
            or_(OutboxMessage.held_until.is_(None), OutboxMessage.held_until <= now),
        )
        .group_by(OutboxMessage.chat_id)
        .subquery()
    )
    return (
        select(OutboxMessage)
        .join(heads, OutboxMessage.id == heads.c.id)
        .where(
            OutboxMessage.not_before <= now,
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
        )
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
        inline_keyboard=[
            [InlineKeyboardButton.model_validate(button) for button in row] for row in rows
        ]
    )
