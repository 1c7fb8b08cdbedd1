"""`pervichka run`: long polling, or the webhook server when WEBHOOK_URL is set."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiogram import Bot, Dispatcher
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import User
from pydantic import SecretStr

from bot.cli.common import CliError, check_token_format, migrate_schema, token_of
from bot.config import Settings
from bot.texts import t
from storage.db import Database

log = logging.getLogger(__name__)
MAX_START_WAIT = 60.0  # seconds between two tries to reach Telegram at start


def run_command(_args: argparse.Namespace, settings: Settings) -> int:
    token = token_of(settings)
    if token is None:
        raise CliError(t("cli.no_token"), 2)
    check_token_format(token)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # APScheduler logs every run of the tick at INFO: two lines a tick, nothing to read;
    # and a tick skipped because the last one still runs is by design (`max_instances=1`).
    logging.getLogger("apscheduler").setLevel(logging.WARNING)
    logging.getLogger("apscheduler.scheduler").setLevel(logging.ERROR)
    migrate_schema(settings)
    asyncio.run(_poll(settings))
    print(t("cli.stopped"), file=sys.stderr)
    return 0


async def _poll(settings: Settings) -> None:
    # Imported here: the handlers are needed only to run the bot, not to manage its data.
    from bot.app import build_bot, build_dispatcher

    database = Database(settings.database_url)
    bot = build_bot(settings.model_copy(update={"bot_token": SecretStr(token_of(settings) or "")}))
    try:
        me = await wait_for_telegram(bot, settings)
        log.info(t("cli.starting", username=me.username))
        if settings.clock_start:
            log.warning(t("cli.clock_shifted", moment=settings.clock_start.isoformat()))
        dispatcher = build_dispatcher(settings, database)
        if settings.webhook_url:
            await _serve_webhook(dispatcher, bot, settings)
            return
        # handle_as_tasks=True (the default setting): updates are handled concurrently,
        # one person's in order (event isolation), each applied once (handled_updates),
        # and no database lock is held during a Bot API call, so they do not queue on
        # one. False handles one at a time and confirms an update only once handled.
        await dispatcher.start_polling(bot, handle_as_tasks=settings.polling_handle_as_tasks)
    finally:
        await bot.session.close()
        await database.dispose()


async def wait_for_telegram(
    bot: Bot,
    settings: Settings,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> User:
    """Who the bot is (getMe), waiting through an outage: a restart while Telegram is
    unreachable must leave a bot that starts when it is back, not none. A rejected token
    is told at once, before anything starts."""
    delay = 1.0
    while True:
        try:
            async with _telegram_errors(settings):
                return await bot.me()
        except _Unreachable as error:
            log.warning(t("cli.telegram_waiting", error=error.cause, seconds=round(delay)))
            await sleep(delay)
            delay = min(delay * 2, MAX_START_WAIT)


async def _serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings) -> None:
    from aiohttp import web

    from bot.webhook import build_webhook_app

    runner = web.AppRunner(build_webhook_app(dispatcher, bot, settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        await asyncio.Event().wait()  # until Ctrl+C cancels the run
    finally:
        await runner.cleanup()


class _Unreachable(Exception):
    """Telegram could not be asked now; worth asking again."""

    def __init__(self, cause: TelegramAPIError) -> None:
        super().__init__(str(cause))
        self.cause = cause


@asynccontextmanager
async def _telegram_errors(settings: Settings) -> AsyncIterator[None]:
    """Telegram's refusal of the token told as CliError; an outage as _Unreachable."""
    try:
        yield
    # Telegram answers an unknown token with 401, some Bot API servers with 404.
    except (TelegramUnauthorizedError, TelegramNotFound):
        raise CliError(t("cli.token_rejected"), 2) from None
    except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as error:
        raise _Unreachable(error) from None
    except TelegramAPIError as error:
        raise CliError(t("cli.telegram_failed", error=error), 1) from None
