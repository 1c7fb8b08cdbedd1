"""Webhook mode: Telegram posts updates to our HTTPS address instead of being polled.

For when one machine is not enough: several bot processes behind a load balancer, FSM
state in Redis, data in PostgreSQL. An update is answered with 200 only after its handler
finished (`handle_in_background=False`), so if the process dies mid-update Telegram sends
it again. Posts are handled concurrently (Telegram keeps several connections open), one
person's in order through event isolation, as polling with `handle_as_tasks=True`.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler, setup_application
from aiohttp import web

from bot.config import Settings


def build_webhook_app(dp: Dispatcher, bot: Bot, settings: Settings) -> web.Application:
    url = settings.webhook_url
    if url is None:
        raise ValueError("webhook mode needs WEBHOOK_URL")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else None
    app = web.Application()
    SimpleRequestHandler(
        dispatcher=dp, bot=bot, handle_in_background=False, secret_token=secret
    ).register(app, path=urlsplit(url).path or "/")

    async def set_webhook(bot: Bot) -> None:
        await bot.set_webhook(
            url,
            secret_token=secret,
            allowed_updates=dp.resolve_used_update_types(),
        )

    dp.startup.register(set_webhook)
    setup_application(app, dp, bot=bot)
    return app
