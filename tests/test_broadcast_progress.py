"""A large mailing shows its sender how far it got, in one line edited as it goes."""

from __future__ import annotations

from datetime import time

from aiogram.methods import EditMessageText, SendMessage
from sqlalchemy import select

from bot.delivery import OutboxSender
from bot.services.outbox import PROGRESS_FROM, Notice, QuietHours, enqueue_broadcast
from storage.models import Broadcast, OutboxMessage, User
from tests.harness.factories import make_user

ORGANISER = 7


async def broadcast(database, clock, recipients: range) -> int:
    async with database.transaction() as session:
        return await enqueue_broadcast(
            session,
            clock.now(),
            ORGANISER,
            "📣 Объявление",
            [Notice(chat, f"Приглашаем, {chat}") for chat in recipients],
        )


def progress_lines(recording) -> list[str]:
    return [
        r.text
        for r in recording.requests
        if isinstance(r, SendMessage | EditMessageText) and r.chat_id == ORGANISER
    ]


async def drain(sender, clock, passes: int) -> None:
    for _ in range(passes):
        await sender.send_due()
        clock.advance(seconds=1)


async def test_the_line_is_sent_once_then_edited_until_everyone_got_it(
    bot, database, clock, recording
):
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    assert await broadcast(database, clock, range(1000, 1100)) == 100

    await drain(sender, clock, 8)

    lines = progress_lines(recording)
    assert lines[0] == "📣 Объявление\nРазослано 30 из 100"
    assert lines[-1] == "📣 Объявление\nРазослано 100 из 100\n✅ Готово: получили все."
    # One message, edited in place: the first a send, every other an edit of it.
    [first] = [r for r in recording.sent(SendMessage) if r.chat_id == ORGANISER]
    edits = [r for r in recording.sent(EditMessageText) if r.chat_id == ORGANISER]
    assert edits
    assert {e.message_id for e in edits} == {
        recording.results[recording.requests.index(first)].message_id
    }
    # At most one edit per five seconds before the end: 100 rows at 30/s take 4 passes.
    assert len(edits) <= 2
    async with database.sessions() as session:
        [row] = await session.scalars(select(Broadcast))
    assert row.finished_at is not None

    recording.requests.clear()
    await drain(sender, clock, 2)
    assert progress_lines(recording) == []  # a finished broadcast is left alone


async def test_those_who_blocked_the_bot_are_counted_as_not_delivered(
    bot, database, clock, recording
):
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    for chat in (1000, 1001):
        await make_user(database, chat)
    async with database.transaction() as session:
        for user in await session.scalars(select(User).where(User.id.in_([1000, 1001]))):
            user.is_reachable = False
    await broadcast(database, clock, range(1000, 1000 + PROGRESS_FROM))

    await drain(sender, clock, 3)

    assert progress_lines(recording)[-1] == (
        "📣 Объявление\nРазослано 28 из 30\n"
        "✅ Готово. Не доставлено: 2 — эти люди заблокировали бота или недоступны."
    )


async def test_rows_held_for_quiet_hours_are_said_to_wait_for_the_morning(
    bot, database, clock, recording
):
    # Quiet all day for everyone: every row is held.
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours(time(0, 0), time(23, 59)))
    await broadcast(database, clock, range(1000, 1000 + PROGRESS_FROM))

    await drain(sender, clock, 2)
    await sender.on_tick(clock.now())

    assert progress_lines(recording) == [
        "📣 Объявление\nРазослано 0 из 30\n"
        "Ждут конца тихих часов у получателей (утром уйдут сами): 30"
    ]


async def test_a_few_notices_go_without_a_line(bot, database, clock, recording):
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    await broadcast(database, clock, range(1000, 1000 + PROGRESS_FROM - 1))

    await drain(sender, clock, 2)
    await sender.on_tick(clock.now())

    assert progress_lines(recording) == []
    async with database.sessions() as session:
        assert list(await session.scalars(select(Broadcast))) == []
        rows = list(await session.scalars(select(OutboxMessage)))
    assert {r.status for r in rows} == {"sent"}
    assert {r.broadcast_id for r in rows} == {None}


async def test_a_line_deleted_by_its_reader_comes_back_as_a_new_one(
    bot, database, clock, recording
):
    sender = OutboxSender(bot, database, clock, quiet_hours=QuietHours.never())
    await broadcast(database, clock, range(1000, 1100))
    await drain(sender, clock, 1)
    recording.fail("editMessageText", 400, "Bad Request: message to edit not found")

    await drain(sender, clock, 8)

    lines = progress_lines(recording)
    assert lines[-1].endswith("Разослано 100 из 100\n✅ Готово: получили все.")
    assert len([r for r in recording.sent(SendMessage) if r.chat_id == ORGANISER]) == 2
