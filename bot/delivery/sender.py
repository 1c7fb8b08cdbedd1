"""The outbox sender: claims due rows, sends them within Telegram's limits, records how
it went (the package's docstring says how the pieces fit)."""

from __future__ import annotations

import asyncio
import logging
import os
import secrets
import socket
from datetime import datetime, timedelta

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
from sqlalchemy import delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.outcomes import GIVE_UP_AFTER, KEEP_FOR, Outcome, Outcomes, backoff
from bot.delivery.progress import Progress
from bot.delivery.queue import PENDING, due_heads
from bot.delivery.requests import request_for
from bot.delivery.throttle import Throttle
from bot.services.outbox import QuietHours
from bot.services.people import timezones_of
from bot.services.preferences import quiet_hours_of
from storage.db import Database
from storage.models import OutboxFile, OutboxMessage, User
from storage.statements import rows_changed

log = logging.getLogger("bot.delivery")

IDLE_WAIT = 30.0  # seconds: look at the table at least this often even if nobody wakes us
ERROR_PAUSE = 5.0  # seconds: after a pass itself failed (e.g. the database was unavailable)
# How long a claim holds. A pass takes about a second of slots (the batch is one second's
# worth) and waits for Telegram's answers (aiogram gives up on a request after 60 s), so a
# live sender always records its rows before the claim runs out; a dead one's rows go out
# again this long after it took them.
CLAIM_LEASE = timedelta(minutes=2)
# Finished rows are pruned by the tick in batches of this many, each its own short
# transaction (so updates queued for the writer get their turn in between), at most
# PRUNE_BATCHES a tick: a backlog of old rows goes over a few ticks.
PRUNE_BATCH = 1000
PRUNE_BATCHES = 20
FINISHED = ("sent", "failed", "expired", "blocked")


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
        keep_for: timedelta = KEEP_FOR,
    ) -> None:
        self.bot = bot
        self.database = database
        self.clock = clock
        self.outcomes = Outcomes(
            database,
            clock,
            per_chat_interval=timedelta(seconds=per_chat_interval),
            give_up_after=give_up_after,
        )
        self.batch = batch or global_rate  # one second of sends per claim
        self.sender_id = sender_id or default_sender_id()
        self.quiet_hours = quiet_hours or QuietHours()
        self.default_timezone = default_timezone
        self.keep_for = keep_for
        self.throttle = Throttle(clock, global_rate)
        self.progress = Progress(bot, database, clock, self.throttle)
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
        """The tick: wake the loop (a safety net for a lost wake-up) and prune rows that
        finished more than `keep_for` ago. Runs in every process, sending or not; pruning
        is idempotent."""
        self.wake()
        await self.prune(now - self.keep_for)
        await self.progress.report()

    async def prune(self, before: datetime) -> int:
        """Delete finished rows queued before `before`, in bounded batches; never a pending
        row. Returns how many were deleted."""
        deleted = 0
        for _ in range(PRUNE_BATCHES):
            oldest = (
                select(OutboxMessage.id)
                .where(OutboxMessage.created_at < before, OutboxMessage.status.in_(FINISHED))
                .order_by(OutboxMessage.created_at)
                .limit(PRUNE_BATCH)
                .scalar_subquery()
            )
            async with self.database.transaction() as session:
                batch = await rows_changed(
                    session, delete(OutboxMessage).where(OutboxMessage.id.in_(oldest))
                )
            deleted += batch
            if batch < PRUNE_BATCH:
                break
            await asyncio.sleep(0)  # let the updates waiting for the writer go first
        if deleted:
            log.info("outbox: %s finished row(s) older than %s pruned", deleted, before)
        return deleted

    async def send_due(self) -> int:
        """Send what is due now, once; rows whose chat is still busy wait for a later pass."""
        return await self._pass()

    async def _run(self) -> None:
        """Pass after pass. A pass's answers and outcomes are waited for while the next
        pass claims and takes its slots, so the gap between two batches (the last answer,
        the outcome write, the next claim) costs no slot: a broadcast goes at the full rate
        from its first message to its last. A chat's next row is never in the next batch
        while its head's outcome is unwritten: the head is still pending and claimed."""
        finishing: asyncio.Task[int] | None = None
        try:
            while not self._stopping:
                # Cleared before the pass: a wake() during the pass makes the wait below
                # return at once instead of being lost.
                self._wake.clear()
                try:
                    async with self._pass_lock:
                        rows, sends = await self._claim_and_send()
                    previous, finishing = (
                        finishing,
                        (asyncio.create_task(self._finish(rows, sends)) if rows else None),
                    )
                    if previous is not None:  # the pass before: at most one behind
                        await previous
                    if rows:
                        continue  # there may be more due right away
                    delay = await self._idle_delay()
                except Exception:
                    log.exception("outbox pass failed; trying again in %s s", ERROR_PAUSE)
                    delay = ERROR_PAUSE
                await self._idle(delay)
        finally:
            if finishing is not None:  # stopping: the sends in flight are recorded
                await asyncio.gather(finishing, return_exceptions=True)

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
        """How long to wait when nothing was sent: until a row falls due (a held row's
        `not_before` is the end of its hold) or another sender's claim runs out; at most
        IDLE_WAIT. Both look at the pending rows' index by due time only: the first row due
        after now, and the claims among the rows due by now (a claimed row was due)."""
        now = self.clock.now()
        next_due = (
            select(func.min(OutboxMessage.not_before))
            .where(PENDING, OutboxMessage.not_before > now)
            .scalar_subquery()
        )
        claim_ends = (
            select(func.min(OutboxMessage.claimed_until))
            .where(PENDING, OutboxMessage.not_before <= now, OutboxMessage.claimed_until > now)
            .scalar_subquery()
        )
        async with self.database.sessions() as session:
            moments = (await session.execute(select(next_due, claim_ends))).one()
        delay = min([IDLE_WAIT, *((moment - now).total_seconds() for moment in moments if moment)])
        return max(delay, 0.01)  # never spin, whatever the clocks say

    # --- one pass ------------------------------------------------------------------------

    async def _pass(self) -> int:
        """Claim a batch, send it at the global rate, record every outcome; rows sent."""
        async with self._pass_lock:
            rows, sends = await self._claim_and_send()
            return await self._finish(rows, sends)

    async def _claim_and_send(self) -> tuple[list[OutboxMessage], list[asyncio.Task[Outcome]]]:
        """Claim a batch and start its sends at the global rate; back once the last slot is
        taken, with the sends perhaps still waiting for Telegram's answers."""
        async with self.database.transaction() as session:
            rows = await self._claim(session, self.clock.now())
        sends: list[asyncio.Task[Outcome]] = []
        for row in rows:
            if self._stopping:
                break
            # Slots are taken one after another, oldest row first; the sends themselves
            # run concurrently so that Telegram's latency does not cap the rate.
            await self.throttle.acquire()
            if self._stopping:
                break
            sends.append(asyncio.create_task(self._deliver(row)))
        return rows, sends

    async def _finish(self, rows: list[OutboxMessage], sends: list[asyncio.Task[Outcome]]) -> int:
        """Wait for the batch's answers and write their outcomes; rows sent."""
        answered = await asyncio.gather(*sends, return_exceptions=True)
        outcomes: list[Outcome] = []
        for row, outcome in zip(rows, answered, strict=False):
            if isinstance(outcome, BaseException):  # the row's claim runs out: sent again
                log.error("outbox row %s: no outcome", row.id, exc_info=outcome)
            else:
                outcomes.append(outcome)
        try:
            await self.outcomes.write(outcomes)
        except Exception:
            # Sent but not recorded: these rows go out again once their claims run out.
            log.exception("outbox: outcomes of %s row(s) not recorded", len(outcomes))
            raise
        if unsent := rows[len(sends) :]:
            await self._release(unsent)  # stopping: another sender may take them now
        if any(row.broadcast_id for row in rows):
            await self.progress.report()
        return sum(outcome.values.get("status") == "sent" for outcome in outcomes)

    async def _claim(self, session: AsyncSession, now: datetime) -> list[OutboxMessage]:
        """Due heads of chats, claimed for this sender; rows found inside their recipient's
        quiet hours are held instead, rows of people who blocked the bot dropped with the
        rest of their queues, and the rows behind them looked at in their place."""
        claimed: list[OutboxMessage] = []
        while len(claimed) < self.batch:
            rows = list(
                await session.scalars(
                    due_heads(now)
                    .limit(self.batch - len(claimed))
                    .with_for_update(skip_locked=True, of=OutboxMessage)
                )
            )
            held = await self._skip_unreachable(session, rows)
            held |= await self._hold_quiet(
                session, [row for row in rows if row.id not in held], now
            )
            fresh = [row for row in rows if row.id not in held]
            if fresh:
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_([row.id for row in fresh]))
                    .values(claimed_by=self.sender_id, claimed_until=now + CLAIM_LEASE)
                )
                claimed += fresh
            if not held:  # held or dropped rows stand aside: their chats' next rows may be due
                break
        return claimed

    async def _hold_quiet(
        self, session: AsyncSession, rows: list[OutboxMessage], now: datetime
    ) -> set[int]:
        """Hold the rows whose recipient is inside quiet hours until they end; their ids.
        A held row's `not_before` moves to the end of the hold too, which keeps it out of
        the due range the query walks (bot/delivery/queue.py) until then."""
        quiet = [row for row in rows if row.respect_quiet_hours]
        if not quiet:
            return set()
        chats = {row.chat_id for row in quiet}
        zones = await timezones_of(session, chats, self.default_timezone)
        # Each recipient's own (/settings), else the bot's.
        hours = await quiet_hours_of(session, chats, self.quiet_hours)
        releases: dict[datetime, list[int]] = {}
        for row in quiet:
            if release := hours[row.chat_id].release_at(now, zones[row.chat_id]):
                releases.setdefault(release, []).append(row.id)
        for release, ids in releases.items():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(ids))
                .values(held_until=release, not_before=release)
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

    async def _skip_unreachable(self, session: AsyncSession, rows: list[OutboxMessage]) -> set[int]:
        """Rows for users who blocked the bot are never sent: Telegram would only say 403.
        Looked up for the rows about to be claimed only (their chats' whole queues are
        dropped), so a pass costs the same however many rows are pending; their ids."""
        if not rows:
            return set()
        unreachable = set(
            await session.scalars(
                select(User.id).where(
                    User.id.in_({row.chat_id for row in rows}), User.is_reachable.is_(False)
                )
            )
        )
        if not unreachable:
            return set()
        skipped = await rows_changed(
            session,
            update(OutboxMessage)
            .where(PENDING, OutboxMessage.chat_id.in_(unreachable))
            .values(status="blocked", last_error="user blocked the bot")
            .execution_options(synchronize_session=False),
        )
        log.info("outbox: %s row(s) skipped, their users blocked the bot", skipped)
        return {row.id for row in rows if row.chat_id in unreachable}

    async def _upload_of(self, row: OutboxMessage) -> bytes | None:
        """The bytes of a file the bot made (`Upload`), read only when the row is sent."""
        if "upload" not in row.payload:
            return None
        async with self.database.reading() as session:
            data: bytes | None = await session.scalar(
                select(OutboxFile.data).where(OutboxFile.outbox_id == row.id)
            )
        return data

    async def _deliver(self, row: OutboxMessage) -> Outcome:
        """Send one row; its outcome, which the pass writes with the others."""
        try:
            request = request_for(row, await self._upload_of(row))
        except (KeyError, TypeError, ValueError) as error:  # a malformed row never improves
            return self.outcomes.fail(row, f"bad payload: {error}")
        try:
            await self.bot(request)
        except TelegramRetryAfter as error:
            self.throttle.flooded(row.chat_id)
            return self.outcomes.wait_as_asked(row, float(error.retry_after), error.message)
        except TelegramForbiddenError as error:
            return self.outcomes.block(row, error.message)
        except (TelegramBadRequest, TelegramMigrateToChat, TelegramEntityTooLarge) as error:
            return self.outcomes.fail(row, error.message)
        except (TelegramNetworkError, TelegramServerError) as error:
            return self.outcomes.retry(row, backoff(row.attempts + 1), str(error))
        except Exception as error:
            log.exception("outbox row %s: unexpected error while sending", row.id)
            return self.outcomes.retry(row, backoff(row.attempts + 1), repr(error))
        self.throttle.delivered()
        return self.outcomes.sent(row)
