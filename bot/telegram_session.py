"""aiogram's HTTP session, with one change: an answer that is not the Bot API's JSON (an
HTML «502 Bad Gateway» page from a proxy in front of the Bot API) is an ordinary server
fault, retried like any 5xx, not a decoding error that ends in a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.session.base import BaseSession
from aiogram.exceptions import ClientDecodeError, TelegramServerError
from aiogram.methods import Response, TelegramMethod
from aiogram.methods.base import TelegramType

if TYPE_CHECKING:
    from aiogram import Bot


class ProxyPagesAreServerErrors(BaseSession):
    """The rule itself, for any session (the tests' recording session takes it too)."""

    def check_response(
        self,
        bot: Bot,
        method: TelegramMethod[TelegramType],
        status_code: int,
        content: str,
    ) -> Response[TelegramType]:
        try:
            return super().check_response(bot, method, status_code, content)
        except ClientDecodeError:
            raise TelegramServerError(
                method=method, message=f"HTTP {status_code} without a Bot API answer"
            ) from None


class BotApiSession(ProxyPagesAreServerErrors, AiohttpSession):
    """The session `pervichka run` talks to Telegram with."""
