"""What the bot owes people, queued in the same transaction as the change that owes it.

A notice is stored before anything is sent; the delivery loop (`bot/delivery.py`) sends it
later within Telegram's limits. A rolled-back change therefore never sends a notice, and a
committed one never loses it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OutboxMessage


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None

    def as_dict(self) -> dict[str, str]:
        data = {"text": self.text}
        if self.callback_data is not None:
            data["callback_data"] = self.callback_data
        if self.url is not None:
            data["url"] = self.url
        return data


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to one chat: HTML text, optional inline buttons, optional document/photo."""

    chat_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: str | None = None  # a Telegram file_id
    document: str | None = None  # a Telegram file_id

    def to_row(self, now: datetime) -> OutboxMessage:
        payload: dict[str, Any] = {"text": self.text}
        if self.buttons:
            payload["buttons"] = [[b.as_dict() for b in row] for row in self.buttons]
        method = "send_message"
        if self.photo:
            method, payload["photo"] = "send_photo", self.photo
        elif self.document:
            method, payload["document"] = "send_document", self.document
        return OutboxMessage(
            chat_id=self.chat_id,
            method=method,
            payload=payload,
            status="pending",
            attempts=0,
            not_before=now,
            created_at=now,
        )


async def enqueue(session: AsyncSession, now: datetime, *notices: Notice) -> None:
    session.add_all(notice.to_row(now) for notice in notices)
    await session.flush()
    # Read by the per-update transaction: wake the sender once this commits.
    session.info["outbox_added"] = True
