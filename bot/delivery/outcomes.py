"""What became of each attempt to send an outbox row, written to the table.

An attempt's outcome is decided as soon as Telegram answers (`Outcomes.sent`, `retry`, …
return it), and a pass writes all of its outcomes together at its end (`Outcomes.write`):
one transaction, one UPDATE by primary key per kind of outcome (executed for all the rows
of that kind), one that moves the chats' next rows a second on, and for chats that blocked
the bot one that drops the rest of their queues. Thirty single-row transactions a second
would hold SQLite's one writer thirty times; a crash before the write leaves the pass's
rows claimed, and they go again once their claim runs out (at-least-once, as before).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import literal_column, update

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
# When finished rows (sent, failed, expired, blocked) are deleted: nothing reads them
# after the attempt (exports and digests read the mandates' own tables); kept a while for
# looking into a complaint ("I never got it").
KEEP_FOR = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class Outcome:
    """One attempt's outcome: the row's new values (its claim cleared with them), and
    whether the chat blocked the bot (then the rest of its queue is dropped too)."""

    row_id: int
    chat_id: int
    values: dict[str, Any] = field(default_factory=dict)
    blocked: str | None = None  # Telegram's reason, when the chat blocked the bot


class Outcomes:
    """Decides an attempt's outcome, and writes a pass's outcomes in one transaction; every
    write also moves the chats' other pending rows a second on (the per-chat limit, for
    every sender)."""

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

    def sent(self, row: OutboxMessage) -> Outcome:
        return _outcome(
            row, status="sent", attempts=row.attempts + 1, sent_at=self.clock.now(), last_error=None
        )

    def wait_as_asked(self, row: OutboxMessage, seconds: float, reason: str) -> Outcome:
        """429: not a failure. The row (and so its chat's queue) waits as long as Telegram
        says, however long, and the attempt is not counted against it."""
        log.info(
            "outbox row %s to chat %s: Telegram asks to wait %.0f s", row.id, row.chat_id, seconds
        )
        return _outcome(
            row,
            not_before=self.clock.now() + timedelta(seconds=seconds),
            last_error=f"429: {reason}",
        )

    def retry(self, row: OutboxMessage, delay: float, reason: str) -> Outcome:
        """A transient fault (network, 5xx): tried again after `delay` for as long as the
        notice is worth sending, then kept as `expired` with the reason."""
        attempts = row.attempts + 1
        now = self.clock.now()
        if now + timedelta(seconds=delay) >= self.expiry(row):
            log.warning("outbox row %s expired after %s attempts: %s", row.id, attempts, reason)
            return _outcome(row, status="expired", attempts=attempts, last_error=reason)
        log.warning(
            "outbox row %s to chat %s: attempt %s failed (%s); retrying in %.0f s",
            row.id,
            row.chat_id,
            attempts,
            reason,
            delay,
        )
        return _outcome(
            row,
            attempts=attempts,
            not_before=now + timedelta(seconds=delay),
            last_error=reason,
        )

    def expiry(self, row: OutboxMessage) -> datetime:
        return row.expires_at or row.created_at + self.give_up_after

    def fail(self, row: OutboxMessage, reason: str) -> Outcome:
        log.warning("outbox row %s to chat %s failed: %s", row.id, row.chat_id, reason)
        return _outcome(row, status="failed", attempts=row.attempts + 1, last_error=reason)

    def block(self, row: OutboxMessage, reason: str) -> Outcome:
        log.info(
            "outbox: chat %s blocked the bot (%s); its pending rows are dropped",
            row.chat_id,
            reason,
        )
        outcome = _outcome(row, status="blocked", attempts=row.attempts + 1, last_error=reason)
        return Outcome(row.id, row.chat_id, outcome.values, blocked=reason)

    async def write(self, outcomes: Sequence[Outcome]) -> None:
        """The pass's outcomes, their claims cleared, and each chat's next message a second
        later: the per-chat limit, for every sender over this database."""
        if not outcomes:
            return
        chat_free = self.clock.now() + self.per_chat_interval
        by_kind: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for outcome in outcomes:
            by_kind.setdefault(tuple(sorted(outcome.values)), []).append(
                {"id": outcome.row_id, **outcome.values}
            )
        async with self.database.transaction() as session:
            for rows in by_kind.values():
                # An UPDATE by primary key, executed once for all the rows of this kind.
                await session.execute(update(OutboxMessage), rows)
            await session.execute(
                update(OutboxMessage)
                .where(
                    OutboxMessage.status == literal_column("'pending'"),
                    OutboxMessage.chat_id.in_({outcome.chat_id for outcome in outcomes}),
                    OutboxMessage.not_before < chat_free,
                )
                .values(not_before=chat_free)
                .execution_options(synchronize_session=False)
            )
            blocked = {o.chat_id: o.blocked for o in outcomes if o.blocked is not None}
            for chat_id, reason in blocked.items():
                # The rest of this chat's queue: it includes chats with no user row (groups).
                await session.execute(
                    update(OutboxMessage)
                    .where(
                        OutboxMessage.status == literal_column("'pending'"),
                        OutboxMessage.chat_id == chat_id,
                    )
                    .values(status="blocked", last_error=reason)
                    .execution_options(synchronize_session=False)
                )
                await set_reachable(session, chat_id, reachable=False)


def _outcome(row: OutboxMessage, **values: Any) -> Outcome:
    return Outcome(row.id, row.chat_id, {"claimed_by": None, "claimed_until": None, **values})


def backoff(attempt: int) -> float:
    """2, 4, 8 … seconds, at most MAX_BACKOFF."""
    return min(2.0**attempt, MAX_BACKOFF)
