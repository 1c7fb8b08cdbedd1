"""Webhook mode: Telegram posts updates over HTTP; the bot answers 200 once handled."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.methods import SendMessage, SetWebhook
from aiogram.types import Chat, Message, Update, User
from aiohttp.test_utils import TestClient, TestServer
from pydantic import SecretStr

from bot.app import build_bot, build_dispatcher
from bot.webhook import build_webhook_app
from tests.harness.factories import make_branch, make_user
from tests.harness.session import RecordingSession

SECRET = "s3cret-token"


def _update(user_id: int, text: str) -> dict:
    user = User(id=user_id, is_bot=False, first_name="Анна")
    message = Message(
        message_id=1,
        date=datetime.now(UTC),
        chat=Chat(id=user_id, type="private"),
        from_user=user,
        text=text,
    )
    return Update(update_id=77, message=message).model_dump(mode="json", exclude_none=True)


@pytest.fixture
async def webhook(settings, database, clock):
    settings = settings.model_copy(
        update={
            "webhook_url": "https://bot.example.org/telegram/hook",
            "webhook_secret": SecretStr(SECRET),
        }
    )
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    bot = build_bot(settings, RecordingSession())
    async with TestClient(TestServer(build_webhook_app(dp, bot, settings))) as client:
        yield client, bot.session


async def test_an_update_posted_by_telegram_is_handled_before_the_answer(webhook, database):
    client, recording = webhook
    branch_id = await make_branch(database)
    await make_user(database, 900, branch_id=branch_id)
    [registered] = recording.sent(SetWebhook)
    assert registered.url == "https://bot.example.org/telegram/hook"
    assert registered.secret_token == SECRET

    response = await client.post(
        "/telegram/hook",
        json=_update(900, "/help"),
        headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
    )
    assert response.status == 200
    [reply] = recording.sent(SendMessage)  # already sent when the answer came
    assert reply.chat_id == 900
    assert "Что умеет бот" in reply.text


async def test_a_post_without_the_secret_is_refused(webhook):
    client, recording = webhook
    response = await client.post("/telegram/hook", json=_update(900, "/help"))
    assert response.status == 401
    assert recording.sent(SendMessage) == []
