"""Telegram as unkind as it is: what both fakes refuse, and how the bot takes a proxy's
HTML error page instead of the Bot API's JSON."""

from __future__ import annotations

import logging

import pytest
from aiogram.exceptions import TelegramBadRequest, TelegramServerError
from sqlalchemy import select

from bot.app import build_bot
from bot.cli.common import CliError
from bot.cli.run import wait_for_telegram
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


async def test_the_fake_server_answering_429_ten_times_then_200_loses_nothing(
    http_bot, api, database, clock
):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "первое"), Notice(100, "второе"))
    sender = OutboxSender(http_bot, database, clock)
    for _ in range(10):
        api.fail("sendMessage", 429, "Too Many Requests: retry after 30", retry_after=30)

    for _ in range(10):
        assert await sender.send_due() == 0
        clock.advance(seconds=30)
    assert await sender.send_due() == 1
    clock.advance(seconds=1)
    assert await sender.send_due() == 1

    delivered = [c.text for c in api.calls_of("sendMessage") if c.status == 200]
    assert delivered == ["первое", "второе"]
    async with database.sessions() as session:
        outcomes = (
            await session.execute(select(OutboxMessage.status, OutboxMessage.attempts))
        ).all()
    assert sorted(outcomes) == [("sent", 1), ("sent", 1)]


async def test_429s_from_many_chats_at_once_slow_the_global_pace(bot, database, clock):
    sender = OutboxSender(bot, database, clock)
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *(Notice(200 + i, "рассылка") for i in range(4)))
    for _ in range(4):
        bot.session.fail("sendMessage", 429, "Too Many Requests: retry after 2", retry_after=2)

    assert sender.throttle.rate == 30
    await sender.send_due()

    assert sender.throttle.rate == 15  # three chats told to wait within seconds: halved
    clock.advance(seconds=2)
    assert await sender.send_due() == 4
    assert 15 < sender.throttle.rate < 30  # and it creeps back as sends go through


async def test_run_waits_for_telegram_during_an_outage_and_starts_when_it_is_back(
    settings, api, caplog
):
    settings.telegram_api_base = api.base_url
    bot = build_bot(settings)
    for _ in range(3):
        api.fail_network("getMe")
    api.fail_proxy("getMe", 502)
    pauses: list[float] = []

    async def pause(seconds: float) -> None:
        pauses.append(seconds)

    with caplog.at_level(logging.INFO):
        me = await wait_for_telegram(bot, settings, sleep=pause)
    await bot.session.close()

    assert me.username == "pervichka_test_bot"
    assert pauses == [1, 2, 4, 8]
    waiting = [r for r in caplog.records if "Telegram недоступен" in r.getMessage()]
    assert len(waiting) == 4  # one line per try
    assert not [r for r in caplog.records if r.exc_info]


async def test_run_still_refuses_a_wrong_token_at_once(settings, api):
    settings.telegram_api_base = api.base_url
    bot = build_bot(settings)
    api.fail("getMe", 401, "Unauthorized")
    with pytest.raises(CliError) as refused:
        await wait_for_telegram(bot, settings, sleep=pytest.fail)
    await bot.session.close()
    assert refused.value.code == 2
