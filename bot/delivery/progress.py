"""The progress line of a broadcast: «Разослано 1 200 из 3 400» in its sender's chat.

The delivery loop calls `Progress.report` after each pass that sent a broadcast's rows,
and the tick calls it too (a broadcast whose last rows were dropped, not sent, finishes
there). The line is sent once, then edited at most every `EVERY` and once more when
nothing of the broadcast is pending; what it last showed is in the `broadcasts` row, so
any process (and a restarted one) goes on from there. It never holds a transaction
during a call, and takes the same slots of Telegram's limit as the notices themselves.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramBadRequest, TelegramForbiddenError
from sqlalchemy import ColumnElement, case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.delivery.throttle import Throttle
from bot.texts import t
from storage.db import Database
from storage.models import Broadcast, OutboxMessage
from storage.statements import rows_changed

log = logging.getLogger("bot.delivery")

EVERY = timedelta(seconds=5)
SENDING = 0  # `message_id` while one process sends the first line…
SENDING_FOR = timedelta(minutes=2)  # …for at most this long (it may have died meanwhile)


@dataclass(frozen=True, slots=True)
class Counts:
    pending: int
    held: int  # pending, held for the recipients' quiet hours
    sent: int


def number(value: int) -> str:
    """«3 400»: thousands apart, as Russian writes them (a no-break space)."""
    return f"{value:,}".replace(",", "\u00a0")


def progress_text(broadcast: Broadcast, counts: Counts) -> str:
    lines = [
        broadcast.label,
        t("broadcast.sent", sent=number(counts.sent), total=number(broadcast.total)),
    ]
    if counts.held:
        lines.append(t("broadcast.held", held=number(counts.held)))
    if not counts.pending:
        lost = broadcast.total - counts.sent
        lines.append(t("broadcast.lost", lost=number(lost)) if lost else t("broadcast.done"))
    return "\n".join(lines)


async def counts_of(session: AsyncSession, broadcast_id: int, now: datetime) -> Counts:
    pending = OutboxMessage.status == "pending"
    row = (
        await session.execute(
            select(
                func.coalesce(func.sum(case((pending, 1), else_=0)), 0),
                func.coalesce(
                    func.sum(case((pending & (OutboxMessage.held_until > now), 1), else_=0)), 0
                ),
                func.coalesce(func.sum(case((OutboxMessage.status == "sent", 1), else_=0)), 0),
            ).where(OutboxMessage.broadcast_id == broadcast_id)
        )
    ).one()
    return Counts(int(row[0]), int(row[1]), int(row[2]))


class Progress:
    def __init__(self, bot: Bot, database: Database, clock: Clock, throttle: Throttle) -> None:
        self.bot = bot
        self.database = database
        self.clock = clock
        self.throttle = throttle

    async def report(self) -> None:
        """Bring every unfinished broadcast's line up to date, where it is due."""
        now = self.clock.now()
        async with self.database.sessions() as session:
            broadcasts = list(
                await session.scalars(
                    select(Broadcast)
                    .where(Broadcast.finished_at.is_(None))
                    .where(self._not_being_sent(now))
                )
            )
            due = []
            for broadcast in broadcasts:
                counts = await counts_of(session, broadcast.id, now)
                finished = counts.pending == 0
                recent = broadcast.shown_at is not None and now - broadcast.shown_at < EVERY
                text = progress_text(broadcast, counts)
                if text != broadcast.shown and (finished or not recent):
                    due.append((broadcast, text, finished))
        for broadcast, text, finished in due:
            try:
                await self._show(broadcast, text, finished)
            except Exception:  # a line not shown now is shown on the next report
                log.exception("broadcast %s: progress not shown", broadcast.id)

    async def _show(self, broadcast: Broadcast, text: str, finished: bool) -> None:
        now = self.clock.now()
        values: dict[str, object] = {"shown": text, "shown_at": now}
        if finished:
            values["finished_at"] = now
        message_id = broadcast.message_id
        if message_id not in (None, SENDING):
            await self.throttle.acquire()
            try:
                await self.bot.edit_message_text(
                    text=text, chat_id=broadcast.chat_id, message_id=message_id
                )
            except TelegramForbiddenError:  # the sender blocked the bot: nobody to show
                values["finished_at"] = now
            except TelegramBadRequest as error:
                if "not modified" not in error.message:
                    message_id = None  # the line is gone (its reader deleted it): a new one
            if message_id is not None:
                await self._write(broadcast.id, values)
                return
            await self._write(broadcast.id, {"message_id": None})
        if not await self._claim(broadcast.id):
            return  # another process is sending it
        await self.throttle.acquire()
        try:
            message = await self.bot.send_message(broadcast.chat_id, text)
        except TelegramForbiddenError:
            values.update(finished_at=now, message_id=None)
        except TelegramAPIError:
            await self._write(broadcast.id, {"message_id": None})
            raise
        else:
            values["message_id"] = message.message_id
        await self._write(broadcast.id, values)

    @staticmethod
    def _not_being_sent(now: datetime) -> ColumnElement[bool]:
        return or_(
            Broadcast.message_id.is_(None),
            Broadcast.message_id != SENDING,
            Broadcast.shown_at < now - SENDING_FOR,
        )

    async def _claim(self, broadcast_id: int) -> bool:
        now = self.clock.now()
        async with self.database.transaction() as session:
            return (
                await rows_changed(
                    session,
                    update(Broadcast)
                    .where(
                        Broadcast.id == broadcast_id,
                        Broadcast.message_id.is_(None) | (Broadcast.message_id == SENDING),
                        self._not_being_sent(now),
                    )
                    .values(message_id=SENDING, shown_at=now),
                )
                == 1
            )

    async def _write(self, broadcast_id: int, values: dict[str, object]) -> None:
        async with self.database.transaction() as session:
            await session.execute(
                update(Broadcast).where(Broadcast.id == broadcast_id).values(**values)
            )
