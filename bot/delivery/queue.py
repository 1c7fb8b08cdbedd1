"""Which outbox rows a pass may claim: the order of each chat's queue, in the table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, or_, select

from storage.models import OutboxMessage


def due_heads(now: datetime) -> Select[Any]:
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
