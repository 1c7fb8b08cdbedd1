"""Which outbox rows a pass may claim: the order of each chat's queue, in the table.

A pass must cost the same with 300 rows pending or 300,000 (a broadcast). So the query
never groups all pending rows by chat: it walks the partial index of pending rows by due
time (`ix_outbox_pending_due`, `status = 'pending'` only, so finished rows cost nothing)
from the earliest, and for each row asks the chat's index (`ix_outbox_pending_chat`)
whether an older pending row of that chat stands in front of it. It stops at the batch's
size, so it reads about as many rows as it returns, plus those it passes over:

- rows claimed by a sender right now (at most a batch per sender);
- a chat's later rows that fell due together with its head (until the head's attempt
  moves them a second on);
- nothing held for quiet hours: holding a row also moves its `not_before` to the end of
  the hold (`held_until`), so a held row is out of the due range until it is released.

The same statement runs on SQLite and PostgreSQL (both plan it as an index range scan
with a correlated index probe, checked in tests/test_outbox_queue.py). `'pending'` is
written as a literal: a partial index is used only when the query's condition visibly
implies the index's, which a bound parameter does not.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, literal_column, or_, select
from sqlalchemy.orm import aliased

from storage.models import OutboxMessage

# Literal, not a parameter, so that both databases use the partial indexes (see above).
PENDING: ColumnElement[bool] = OutboxMessage.status == literal_column("'pending'")


def pending_of(row: Any) -> ColumnElement[bool]:
    """`status = 'pending'` on `row` (the table or an alias of it), as the indexes say it."""
    return row.status == literal_column("'pending'")


def due_heads(now: datetime) -> Select[Any]:
    """The rows a pass may claim, oldest due first: each chat's head (its oldest pending row
    that is not held for quiet hours), if it is due and nobody holds a live claim on it."""
    ahead = aliased(OutboxMessage, name="ahead")
    in_front = exists().where(
        pending_of(ahead),
        ahead.chat_id == OutboxMessage.chat_id,
        ahead.id < OutboxMessage.id,
        or_(ahead.held_until.is_(None), ahead.held_until <= now),
    )
    return (
        select(OutboxMessage)
        .where(
            and_(PENDING, OutboxMessage.not_before <= now),
            or_(OutboxMessage.held_until.is_(None), OutboxMessage.held_until <= now),
            or_(OutboxMessage.claimed_until.is_(None), OutboxMessage.claimed_until <= now),
            ~in_front,
        )
        .order_by(OutboxMessage.not_before, OutboxMessage.id)
    )
