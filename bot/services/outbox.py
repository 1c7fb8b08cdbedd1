"""What the bot owes people, queued in the same transaction as the change that owes it.

A notice is stored before anything is sent; the delivery loop (`bot/delivery/`) sends it
later within Telegram's limits. A rolled-back change therefore never sends a notice, and a
committed one never loses it.

Quiet hours belong to delivery: a notice says only whether it respects them (`quiet`), and
the sender holds it while the recipient's quiet hours last (`QuietHours`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import signal_after_commit
from storage.models import Broadcast, OutboxFile, OutboxMessage


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
class Upload:
    """A file the bot made itself, sent as an upload (it has no Telegram file_id yet): its
    bytes are stored beside the outbox row (`OutboxFile`) and read when it is sent."""

    data: bytes = field(repr=False)
    filename: str
    as_photo: bool = False  # a picture shown in the chat, else a document


@dataclass(frozen=True, slots=True)
class Notice:
    """A message to one chat: HTML text, optional inline buttons, optional photo, document
    or video (the text is then its caption).

    `quiet`: held during the recipient's quiet hours. True unless the notice answers the
    recipient's own action (their export is ready, say), which they wait for now; what
    other people's actions cause (a new mandate for a secretary, a status change for an
    author) waits for the morning.
    """

    chat_id: int
    text: str
    buttons: list[list[Button]] = field(default_factory=list)
    photo: str | None = None  # a Telegram file_id
    document: str | None = None  # a Telegram file_id
    video: str | None = None  # a Telegram file_id
    upload: Upload | None = None  # a file made by the bot, sent as a photo or a document
    quiet: bool = True
    # After this it is not worth sending any more (a masterclass reminder after its start);
    # None: the sender's default, two days after it was queued.
    expires_at: datetime | None = None

    def to_row(self, now: datetime) -> OutboxMessage:
        payload: dict[str, Any] = {"text": self.text}
        if self.buttons:
            payload["buttons"] = [[b.as_dict() for b in row] for row in self.buttons]
        method = "send_message"
        if self.photo:
            method, payload["photo"] = "send_photo", self.photo
        elif self.document:
            method, payload["document"] = "send_document", self.document
        elif self.video:
            method, payload["video"] = "send_video", self.video
        elif self.upload:
            method = "send_photo" if self.upload.as_photo else "send_document"
            payload["upload"] = self.upload.filename  # the bytes: the row's OutboxFile
        return OutboxMessage(
            chat_id=self.chat_id,
            method=method,
            payload=payload,
            status="pending",
            attempts=0,
            not_before=now,
            created_at=now,
            respect_quiet_hours=self.quiet,
            expires_at=self.expires_at,
        )


async def enqueue(session: AsyncSession, now: datetime, *notices: Notice) -> None:
    rows = [notice.to_row(now) for notice in notices]
    session.add_all(rows)
    await session.flush()
    await _store_uploads(session, notices, rows)
    # The sender is woken once this commits (bot/app.py listens for it).
    signal_after_commit(session, "outbox")


async def _store_uploads(
    session: AsyncSession, notices: Sequence[Notice], rows: Sequence[OutboxMessage]
) -> None:
    files = [
        OutboxFile(outbox_id=row.id, filename=notice.upload.filename, data=notice.upload.data)
        for notice, row in zip(notices, rows, strict=True)
        if notice.upload is not None
    ]
    if files:
        session.add_all(files)
        await session.flush()


# From this many notices on, delivery takes more than a second at Telegram's limit, and the
# sender gets a progress line; fewer go out before anyone would read one.
PROGRESS_FROM = 30


async def enqueue_broadcast(
    session: AsyncSession, now: datetime, sender_chat: int, label: str, notices: Sequence[Notice]
) -> int:
    """Queue many notices at once for the person `sender_chat`, who is then shown how far
    their delivery got (`label`, HTML, says what is sent), in a line the delivery loop
    sends and edits (bot/delivery/progress.py). Returns how many were queued."""
    if len(notices) < PROGRESS_FROM:
        await enqueue(session, now, *notices)
        return len(notices)
    broadcast = Broadcast(chat_id=sender_chat, label=label, total=len(notices), created_at=now)
    session.add(broadcast)
    await session.flush()
    rows = [notice.to_row(now) for notice in notices]
    for row in rows:
        row.broadcast_id = broadcast.id
    session.add_all(rows)
    await session.flush()
    await _store_uploads(session, notices, rows)
    signal_after_commit(session, "outbox")
    return len(notices)


@dataclass(frozen=True, slots=True)
class QuietHours:
    """Local hours when notices wait, [start, end); over midnight when start > end
    (21:00–09:00). Equal start and end: no quiet hours."""

    start: time = time(21, 0)
    end: time = time(9, 0)

    @classmethod
    def never(cls) -> QuietHours:
        return cls(time(0, 0), time(0, 0))

    def release_at(self, moment: datetime, timezone: str) -> datetime | None:
        """When quiet hours in this zone end (UTC), if `moment` is inside them; else None."""
        if self.start == self.end:
            return None
        zone = ZoneInfo(timezone)
        here = moment.astimezone(zone)
        at = here.time().replace(tzinfo=None)
        if self.start < self.end:
            inside, end_day = self.start <= at < self.end, here.date()
        else:
            inside = at >= self.start or at < self.end
            end_day = here.date() + timedelta(days=1) if at >= self.start else here.date()
        if not inside:
            return None
        return datetime.combine(end_day, self.end, tzinfo=zone).astimezone(UTC)
