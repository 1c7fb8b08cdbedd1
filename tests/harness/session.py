"""A Bot API session that records every request and answers like Telegram would.

Successful answers are made up from the request (a sent message comes back as a Message
with a fresh id); failures are queued per method as real Bot API error bodies and go
through aiogram's own `check_response`, so the bot meets exactly the exceptions it would
meet in production.
"""

from __future__ import annotations

import json
from collections import defaultdict, deque
from collections.abc import AsyncGenerator
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.client.default import Default
from aiogram.exceptions import TelegramNetworkError
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    GetFile,
    GetMe,
    SendDocument,
    SendMediaGroup,
    SendMessage,
    SendPhoto,
    TelegramMethod,
)
from aiogram.methods.base import TelegramType
from aiogram.types import (
    Chat,
    Document,
    File,
    InlineKeyboardMarkup,
    Message,
    PhotoSize,
    User,
)

from bot.telegram_session import ProxyPagesAreServerErrors
from tests.harness.telegram_rules import BadRequest, check_text

PROXY_PAGE = "<html><head><title>502 Bad Gateway</title></head><body>nginx</body></html>"
BOT_USER = User(id=42, is_bot=True, first_name="Первичка", username="pervichka_test_bot")


class RecordingSession(ProxyPagesAreServerErrors):
    def __init__(self) -> None:
        super().__init__()
        self.requests: list[TelegramMethod[Any]] = []
        self.results: list[Any] = []  # what each request got back, in the same order
        self._failures: dict[str, deque[tuple[int, dict[str, Any] | str] | None]] = defaultdict(
            deque
        )
        self._next_message_id = 1000
        self.files: dict[str, bytes] = {}  # file_id -> content, for bot.download()

    # --- queueing failures ------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """The next call of `method` (e.g. "sendMessage") gets this Bot API error."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._failures[method].append((status, body))

    def fail_network(self, method: str) -> None:
        """The next call of `method` does not reach Telegram at all."""
        self._failures[method].append(None)

    def fail_proxy(self, method: str, status: int = 502) -> None:
        """The next call of `method` gets a proxy's HTML error page instead of the Bot API's
        JSON, as when a reverse proxy in front of the Bot API has a bad moment."""
        self._failures[method].append((status, PROXY_PAGE))

    # --- what was sent ----------------------------------------------------------------

    def sent(self, method_type: type[TelegramMethod[Any]] | None = None) -> list[Any]:
        return [r for r in self.requests if method_type is None or isinstance(r, method_type)]

    def texts_to(self, chat_id: int) -> list[str]:
        return [
            r.text
            for r in self.requests
            if isinstance(r, SendMessage | EditMessageText) and r.chat_id == chat_id
        ]

    # --- BaseSession ------------------------------------------------------------------

    async def make_request(
        self, bot: Bot, method: TelegramMethod[TelegramType], timeout: int | None = None
    ) -> TelegramType:
        name = method.__api_method__
        if self._failures[name]:
            failure = self._failures[name].popleft()
            if failure is None:
                raise TelegramNetworkError(method=method, message="Connection reset by peer")
            status, body = failure
            self.check_response(
                bot, method, status, body if isinstance(body, str) else json.dumps(body)
            )
        try:
            _check(method)
        except BadRequest as error:
            body = {"ok": False, "error_code": 400, "description": str(error)}
            self.check_response(bot, method, 400, json.dumps(body))
        result = self._answer(bot, method)
        self.requests.append(method)
        self.results.append(result)
        return result

    def _answer(self, bot: Bot, method: TelegramMethod[Any]) -> Any:
        if isinstance(method, GetMe):
            return BOT_USER
        if isinstance(method, GetFile):
            return File(file_id=method.file_id, file_unique_id="f", file_path=method.file_id)
        if isinstance(method, SendMessage | SendDocument | SendPhoto):
            self._next_message_id += 1
            return self._message(bot, method, self._next_message_id)
        if isinstance(method, SendMediaGroup):  # one message per photo, as Telegram answers
            album = []
            for item in method.media:
                self._next_message_id += 1
                photo = [PhotoSize(file_id=str(item.media), file_unique_id="p", width=1, height=1)]
                album.append(
                    Message(
                        message_id=self._next_message_id,
                        date=datetime.now(UTC),
                        chat=Chat(id=int(method.chat_id), type="private"),
                        from_user=BOT_USER,
                        photo=photo,
                    ).as_(bot)
                )
            return album
        if isinstance(method, EditMessageText | EditMessageReplyMarkup):
            return self._message(bot, method, method.message_id or 0)
        if getattr(method, "__returning__", None) is bool:
            return True
        return True

    def _message(self, bot: Bot, method: Any, message_id: int) -> Message:
        extra: dict[str, Any] = {}
        if isinstance(method, SendDocument):
            extra["document"] = Document(file_id=str(method.document), file_unique_id="d")
        if isinstance(method, SendPhoto):
            extra["photo"] = [
                PhotoSize(file_id=str(method.photo), file_unique_id="p", width=1, height=1)
            ]
        return Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=Chat(id=int(method.chat_id), type="private"),
            from_user=BOT_USER,
            text=getattr(method, "text", None),
            # Telegram echoes only inline keyboards back in the sent message.
            reply_markup=markup
            if isinstance(markup := getattr(method, "reply_markup", None), InlineKeyboardMarkup)
            else None,
            **extra,
        ).as_(bot)

    async def close(self) -> None:
        pass

    async def stream_content(
        self,
        url: str,
        headers: dict[str, Any] | None = None,
        timeout: int = 30,
        chunk_size: int = 65536,
        raise_for_status: bool = True,
    ) -> AsyncGenerator[bytes, None]:
        yield self.files[url.rsplit("/", 1)[-1]]


def _check(method: TelegramMethod[Any]) -> None:
    """Refuse what Telegram refuses: over-long texts and captions, HTML it cannot parse."""
    html = isinstance(mode := getattr(method, "parse_mode", None), Default) or mode == "HTML"
    if isinstance(method, SendMessage | EditMessageText):
        check_text(method.text, html=html)
    elif isinstance(method, SendPhoto | SendDocument):
        check_text(method.caption, caption=True, html=html)
