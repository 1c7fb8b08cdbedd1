"""The outbox sender against the recording Bot API: what Telegram received, what the table holds.

Time passes on the injected FrozenClock only (`time_passes`): it decides when a row is due
and drives the rate limits. The event loop keeps real time, so the database (a real
PostgreSQL server under `make test-postgres`) keeps its real timeouts. Nothing sleeps.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from aiogram.methods import SendDocument, SendMessage, SendPhoto
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy import select

from bot.delivery import OutboxSender
from bot.services.outbox import Button, Notice, enqueue
from storage.models import OutboxMessage, User
from tests.harness.factories import make_user


async def queue(database, clock, *notices: Notice) -> None:
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *notices)


async def rows(database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def time_passes(clock, seconds: float) -> None:
    clock.advance(seconds=seconds)


@pytest.fixture
def sender(bot, database, clock) -> OutboxSender:
    return OutboxSender(bot, database, clock)


async def test_a_notice_with_buttons_is_sent_once_and_marked_sent(
    sender, database, clock, recording
):
    await make_user(database, 100)
    buttons = [[Button("Открыть", callback_data="m:7"), Button("Сайт", url="https://example.org")]]
    await queue(database, clock, Notice(100, "<b>Новое</b> поручение", buttons=buttons))

    assert await sender.send_due() == 1
    assert await sender.send_due() == 0  # nothing is sent twice

    [request] = recording.sent()
    assert isinstance(request, SendMessage)
    assert request.chat_id == 100
    assert request.text == "<b>Новое</b> поручение"
    assert request.reply_markup == InlineKeyboardMarkup(
        inline_keyboard=[
            [
                InlineKeyboardButton(text="Открыть", callback_data="m:7"),
                InlineKeyboardButton(text="Сайт", url="https://example.org"),
            ]
        ]
    )
    [row] = await rows(database)
    assert (row.status, row.attempts, row.sent_at, row.last_error) == ("sent", 1, clock.now(), None)


async def test_photo_and_document_go_out_with_the_text_as_caption(
    sender, database, clock, recording
):
    await queue(
        database,
        clock,
        Notice(100, "Фото с пикета", photo="photo-file-id"),
        Notice(101, "Протокол", document="doc-file-id", buttons=[[Button("Ок", "ok")]]),
    )

    assert await sender.send_due() == 2

    photo, document = recording.sent()
    assert isinstance(photo, SendPhoto)
    assert (photo.chat_id, photo.photo, photo.caption) == (100, "photo-file-id", "Фото с пикета")
    assert isinstance(document, SendDocument)
    assert (document.chat_id, document.document, document.caption) == (
        101,
        "doc-file-id",
        "Протокол",
    )
    assert document.reply_markup.inline_keyboard[0][0].callback_data == "ok"
    assert [r.status for r in await rows(database)] == ["sent", "sent"]


async def test_429_waits_for_retry_after_then_sends(sender, database, clock, recording):
    await queue(database, clock, Notice(100, "Напоминание"))
    recording.fail("sendMessage", 429, "Too Many Requests: retry after 5", retry_after=5)
    queued_at = clock.now()

    assert await sender.send_due() == 0
    [row] = await rows(database)
    assert (row.status, row.attempts) == ("pending", 0)  # waiting as asked is no attempt
    assert row.not_before == queued_at + timedelta(seconds=5)
    assert "retry after 5" in row.last_error

    await time_passes(clock, 4)
    assert await sender.send_due() == 0
    assert recording.sent() == []

    await time_passes(clock, 1)
    assert await sender.send_due() == 1
    assert recording.texts_to(100) == ["Напоминание"]
    [row] = await rows(database)
    assert (row.status, row.attempts) == ("sent", 1)


async def test_a_retry_holds_back_the_rest_of_that_chat_only(sender, database, clock, recording):
    await queue(
        database, clock, Notice(100, "первое"), Notice(100, "второе"), Notice(101, "другому")
    )
    recording.fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)

    assert await sender.send_due() == 1
    assert recording.texts_to(101) == ["другому"]
    await time_passes(clock, 2)
    assert await sender.send_due() == 0  # "второе" is due but must not overtake "первое"
    await time_passes(clock, 1)
    assert await sender.send_due() == 1
    await time_passes(clock, 1)
    assert await sender.send_due() == 1

    assert recording.texts_to(100) == ["первое", "второе"]


async def test_403_blocks_the_user_and_their_later_notices_are_not_sent(
    sender, database, clock, recording
):
    await make_user(database, 200)
    await make_user(database, 201)
    await queue(database, clock, Notice(200, "первое"), Notice(200, "второе"))
    recording.fail("sendMessage", 403, "Forbidden: bot was blocked by the user")

    assert await sender.send_due() == 0
    first, second = await rows(database)
    assert (first.status, first.last_error) == ("blocked", "Forbidden: bot was blocked by the user")
    assert second.status == "blocked"  # already queued behind it: dropped as well
    async with database.sessions() as session:
        assert (await session.get(User, 200)).is_reachable is False

    await time_passes(clock, 60)
    await queue(database, clock, Notice(200, "третье"), Notice(201, "соседу"))
    assert await sender.send_due() == 1

    assert recording.texts_to(200) == []  # Telegram was never asked again
    assert recording.texts_to(201) == ["соседу"]
    assert [r.status for r in await rows(database)] == ["blocked", "blocked", "blocked", "sent"]


async def test_400_fails_with_its_reason_and_the_queue_goes_on(sender, database, clock, recording):
    await queue(
        database,
        clock,
        Notice(300, "<b>сломанный"),
        Notice(301, "другому"),
        Notice(300, "следующее тому же"),
    )
    recording.fail("sendMessage", 400, "Bad Request: can't parse entities")

    assert await sender.send_due() == 1  # the broken one failed, the other chat got its own
    await time_passes(clock, 1)  # the per-chat limit counts the failed attempt too
    assert await sender.send_due() == 1

    broken, other, following = await rows(database)
    assert (broken.status, broken.last_error) == ("failed", "Bad Request: can't parse entities")
    assert (other.status, following.status) == ("sent", "sent")
    assert recording.texts_to(300) == ["следующее тому же"]
    assert recording.texts_to(301) == ["другому"]


@pytest.mark.parametrize("outage", ["network", "server"])
async def test_network_errors_are_retried_with_growing_pauses(
    outage, sender, database, clock, recording
):
    await queue(database, clock, Notice(100, "отчёт"))
    for _ in range(2):
        if outage == "network":
            recording.fail_network("sendMessage")
        else:
            recording.fail("sendMessage", 502, "Bad Gateway")

    assert await sender.send_due() == 0
    [row] = await rows(database)
    assert (row.attempts, row.not_before) == (1, clock.now() + timedelta(seconds=2))

    await time_passes(clock, 2)
    assert await sender.send_due() == 0
    [row] = await rows(database)
    assert (row.attempts, row.not_before) == (2, clock.now() + timedelta(seconds=4))

    await time_passes(clock, 3)
    assert await sender.send_due() == 0  # not yet: the pause doubled
    await time_passes(clock, 1)
    assert await sender.send_due() == 1
    assert recording.texts_to(100) == ["отчёт"]
    [row] = await rows(database)
    assert (row.status, row.attempts) == ("sent", 3)


async def test_an_outage_of_hours_is_waited_out_with_pauses_of_at_most_five_minutes(
    sender, database, clock, recording
):
    await queue(database, clock, Notice(100, "отчёт"))
    for _ in range(40):  # about three hours of a Telegram outage
        recording.fail_network("sendMessage")

    pauses = []
    while await sender.send_due() == 0:
        [row] = await rows(database)
        assert row.status == "pending"
        pause = (row.not_before - clock.now()).total_seconds()
        pauses.append(pause)
        await time_passes(clock, pause)

    assert max(pauses) == 300
    assert sum(pauses) > 2.5 * 3600
    assert recording.texts_to(100) == ["отчёт"]
    [row] = await rows(database)
    assert (row.status, row.attempts) == ("sent", 41)


async def test_a_notice_expires_once_it_is_no_longer_worth_sending(bot, database, clock, recording):
    sender = OutboxSender(bot, database, clock, give_up_after=timedelta(hours=1))
    reminder_starts = clock.now() + timedelta(minutes=10)
    await queue(
        database,
        clock,
        Notice(100, "отчёт"),
        Notice(101, "Через час мастер-класс", expires_at=reminder_starts),
    )
    for _ in range(100):
        recording.fail_network("sendMessage")

    while pending := [row for row in await rows(database) if row.status == "pending"]:
        await sender.send_due()
        await time_passes(
            clock, max(1, min((row.not_before - clock.now()).total_seconds() for row in pending))
        )

    report, reminder = await rows(database)
    # Tries at 0, 2, 6, 14, 30, 62, 126, 254 and 510 s; the next would be after its start.
    assert (reminder.status, reminder.attempts) == ("expired", 9)
    assert "Connection reset by peer" in reminder.last_error
    assert report.status == "expired"  # an hour on, with tries five minutes apart
    assert report.attempts == 9 + 10
    assert recording.sent() == []


async def test_429_ten_times_in_a_row_is_waited_out_and_counts_no_attempt(
    sender, database, clock, recording
):
    await queue(database, clock, Notice(100, "первое"), Notice(100, "второе"))
    for _ in range(10):
        recording.fail("sendMessage", 429, "Too Many Requests: retry after 40", retry_after=40)

    for _ in range(10):
        assert await sender.send_due() == 0
        first, second = await rows(database)
        assert (first.status, first.attempts, second.status) == ("pending", 0, "pending")
        assert first.not_before == clock.now() + timedelta(seconds=40)
        await time_passes(clock, 40)

    assert await sender.send_due() == 1
    await time_passes(clock, 1)
    assert await sender.send_due() == 1
    assert recording.texts_to(100) == ["первое", "второе"]  # the chat's order is kept


async def test_an_unexpected_error_is_retried_like_a_network_error(
    sender, database, clock, recording, caplog
):
    await queue(database, clock, Notice(100, "отчёт"))
    real_request = recording.make_request
    failures = [RuntimeError("boom")]

    async def flaky(bot, method, timeout=None):
        if failures:
            raise failures.pop()
        return await real_request(bot, method, timeout)

    recording.make_request = flaky

    assert await sender.send_due() == 0
    [row] = await rows(database)
    assert (row.status, row.attempts, row.last_error) == ("pending", 1, "RuntimeError('boom')")
    assert f"outbox row {row.id}" in caplog.text

    await time_passes(clock, 2)
    assert await sender.send_due() == 1
    assert recording.texts_to(100) == ["отчёт"]


async def test_unsent_rows_are_sent_exactly_once_after_a_restart(bot, database, clock, recording):
    await queue(database, clock, *(Notice(chat, f"для {chat}") for chat in (100, 101, 102)))

    before_crash = OutboxSender(bot, database, clock, batch=1)
    assert await before_crash.send_due() == 1  # then the process dies; nothing in memory survives

    after_restart = OutboxSender(bot, database, clock)
    assert await after_restart.send_due() == 2
    assert await OutboxSender(bot, database, clock).send_due() == 0

    assert [r.chat_id for r in recording.sent()] == [100, 101, 102]
    assert {r.status for r in await rows(database)} == {"sent"}
