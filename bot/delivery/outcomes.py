"""What became of each attempt to send an outbox row, written to the table."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import update

from bot.clock import Clock
from bot.services.people import set_reachable
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger("bot.delivery")

MAX_BACKOFF = 300.0  # seconds: the longest pause between two attempts after a network error
# A notice is retried through network errors and 5xx for this long after it was queued
# (unless it says otherwise), then kept as `expired`: Telegram outages and blocks of its
# addresses last hours, and a notice two days late is still worth having.
GIVE_UP_AFTER = timedelta(hours=48)


class Outcomes:
    """Records an attempt's outcome and clears the row's claim; every record also moves
    the chat's other pending rows a second on (the per-chat limit, for every sender)."""

    def __init__(
        self,
        database: Database,
        clock: Clock,
        *,
        per_chat_interval: timedelta,
        give_up_after: timedelta,
    ) -> None:
        self.database = database
        self.clock = clock
        self.per_chat_interval = per_chat_interval
        self.give_up_after = give_up_after

    async def sent(self, row: OutboxMessage) -> None:
        await self.record(
            row, status="sent", attempts=row.attempts + 1, sent_at=self.clock.now(), last_error=None
        )

    async def record(self, row: OutboxMessage, **values: Any) -> None:
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

    async def wait_as_asked(self, row: OutboxMessage, seconds: float, reason: str) -> None:
        """429: not a failure. The row (and so its chat's queue) waits as long as Telegram
        says, however long, and the attempt is not counted against it."""
        log.info(
            "outbox row %s to chat %s: Telegram asks to wait %.0f s", row.id, row.chat_id, seconds
        )
        await self.record(
            row,
            not_before=self.clock.now() + timedelta(seconds=seconds),
            last_error=f"429: {reason}",
        )

    async def retry(self, row: OutboxMessage, delay: float, reason: str) -> None:
        """A transient fault (network, 5xx): tried again after `delay` for as long as the
        notice is worth sending, then kept as `expired` with the reason."""
        attempts = row.attempts + 1
        now = self.clock.now()
        if now + timedelta(seconds=delay) >= self.expiry(row):
            log.warning("outbox row %s expired after %s attempts: %s", row.id, attempts, reason)
            await self.record(row, status="expired", attempts=attempts, last_error=reason)
            return
        log.warning(
            "outbox row %s to chat %s: attempt %s failed (%s); retrying in %.0f s",
            row.id,
            row.chat_id,
            attempts,
            reason,
            delay,
        )
        await self.record(
            row,
            attempts=attempts,
            not_before=self.clock.now() + timedelta(seconds=delay),
            last_error=reason,
        )

    def expiry(self, row: OutboxMessage) -> datetime:
        return row.expires_at or row.created_at + self.give_up_after

    async def fail(self, row: OutboxMessage, reason: str) -> None:
        log.warning("outbox row %s to chat %s failed: %s", row.id, row.chat_id, reason)
        await self.record(row, status="failed", attempts=row.attempts + 1, last_error=reason)

    async def block(self, row: OutboxMessage, reason: str) -> None:
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
            await set_reachable(session, row.chat_id, reachable=False)


def backoff(attempt: int) -> float:
    """2, 4, 8 … seconds, at most MAX_BACKOFF."""
    return min(2.0**attempt, MAX_BACKOFF)
