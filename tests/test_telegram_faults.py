"""Telegram as unkind as it is: what both fakes refuse, and how the bot takes a proxy's
HTML error page instead of the Bot API's JSON."""

from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramServerError
from sqlalchemy import select

from bot.app import build_bot
from bot.delivery import OutboxSender
from bot.services.outbox import Notice, enqueue
from storage.models import OutboxMessage
from tests.fake_api import FakeTelegram


@pytest.fixture
async def api():
    async with FakeTelegram(token="42:TEST-TOKEN") as server:
        yield server


@pytest.fixture
async def http_bot(settings, api):
    """The bot as `pervichka run` builds it, over HTTP to the fake server."""
    settings.telegram_api_base = api.base_url
    bot = build_bot(settings)
    yield bot
    await bot.session.close()


@pytest.mark.parametrize(
    ("text", "description"),
    [
        ("x" * 4097, "message is too long"),
        ("Иван <Петров>", "can't parse entities"),
        ("<b>не закрыт", "can't parse entities"),
        ("Рога & копыта", "can't parse entities"),
    ],
    ids=["too-long", "bare-angle-bracket", "open-tag", "bare-ampersand"],
)
async def test_both_fakes_refuse_what_telegram_refuses(bot, http_bot, text, description):
    for sender in (bot, http_bot):
        with pytest.raises(TelegramBadRequest, match=description):
            await sender.send_message(100, text)


async def test_both_fakes_take_4096_characters_of_markup_and_escaped_text(bot, http_bot):
    text = "<b>" + "я" * 4090 + "</b> &lt;&amp;"
    for sender in (bot, http_bot):
        assert (await sender.send_message(100, text)).text


async def test_a_proxy_page_is_a_server_error_not_a_decoding_failure(http_bot, api):
    api.fail_proxy("sendMessage", 502)
    with pytest.raises(TelegramServerError, match="HTTP 502"):
        await http_bot.send_message(100, "Здравствуйте")


async def test_the_outbox_retries_after_a_proxy_page_with_one_warning(
    http_bot, api, database, clock, caplog
):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "Новый наказ"))
    sender = OutboxSender(http_bot, database, clock, per_chat_interval=0)
    api.fail_proxy("sendMessage", 502)

    with caplog.at_level(logging.INFO):
        assert await sender.send_due() == 0
    async with database.sessions() as session:
        row = await session.scalar(select(OutboxMessage))
    assert (row.status, row.attempts) == ("pending", 1)
    assert "HTTP 502" in row.last_error
    assert not [r for r in caplog.records if r.exc_info], "no traceback for a proxy page"
    assert any("HTTP 502" in r.getMessage() for r in caplog.records)

    clock.advance(seconds=60)
    assert await sender.send_due() == 1
    assert [c.text for c in api.calls_of("sendMessage") if c.status == 200] == ["Новый наказ"]


async def test_a_reply_lost_to_a_proxy_page_is_one_warning_and_the_step_is_kept(
    make_client, recording, caplog
):
    client = make_client(300)
    recording.fail_proxy("sendMessage", 502)

    with caplog.at_level(logging.INFO):
        await client.send("/start")

    assert not [r for r in caplog.records if r.exc_info], "no traceback for a proxy page"
    assert any("HTTP 502" in r.getMessage() for r in caplog.records)
    await client.send("/start")  # Telegram is back: the person is answered
    assert "согласи" in client.last_text.lower()
