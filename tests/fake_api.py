"""A fake Telegram Bot API server on 127.0.0.1, for the end-to-end test and the benchmark.

The real bot talks to it over HTTP through aiogram's own `AiohttpSession` (point
`TELEGRAM_API_BASE` at `server.base_url`), so everything between a handler and the socket
is exercised: form and multipart encoding, long polling with `offset`, error answers.

A scripted user queues updates with `push_message` / `push_callback` / `click`; every call
the bot makes is recorded as a `Call`, and `wait_for` waits (bounded, on a condition, no
sleeping) for the call a test expects. `fail(method, status, ...)` makes the next call of a
method answer with a Bot API error, as Telegram would. `hold(method)` keeps the bot's calls
of a method waiting for an answer (`wait_held` sees them arrive) until `release(method)`,
so a test can kill the bot in the middle of an update.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import socket
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy

from tests.harness.session import PROXY_PAGE
from tests.harness.telegram_rules import BadRequest, check_text

TOKEN = "42:TEST"
BOT_USER = {
    "id": 42,
    "is_bot": True,
    "first_name": "Первичка",
    "username": "pervichka_test_bot",
    "can_join_groups": False,
    "can_read_all_group_messages": False,
    "supports_inline_queries": False,
}
# Values that are plain text even when they look like JSON ("123", "[draft]").
_TEXT_FIELDS = frozenset(
    {"text", "caption", "callback_query_id", "parse_mode", "url", "description", "file_id"}
)
# Methods Telegram answers with `true`.
_BOOL_METHODS = frozenset(
    {
        "deletewebhook",
        "setwebhook",
        "setmycommands",
        "deletemycommands",
        "answercallbackquery",
        "deletemessage",
        "sendchataction",
        "setchatmenubutton",
        "pinchatmessage",
        "unpinchatmessage",
        "close",
        "logout",
    }
)


@dataclass(slots=True)
class Call:
    """One request the bot made: the Bot API method, its decoded parameters, the answer.

    `status` is the HTTP status answered; 0 when the connection was dropped instead."""

    method: str
    params: dict[str, Any]
    status: int = 200
    result: Any = None
    files: dict[str, bytes] = field(default_factory=dict)
    at: float = field(default_factory=time.monotonic)

    @property
    def chat_id(self) -> int | None:
        value = self.params.get("chat_id")
        return int(value) if value is not None else None

    @property
    def text(self) -> str | None:
        return self.params.get("text")

    @property
    def reply_markup(self) -> dict[str, Any] | None:
        return self.params.get("reply_markup")

    def keyboard_labels(self) -> list[str]:
        """Labels of a reply keyboard or of inline buttons, row after row."""
        markup = self.reply_markup or {}
        rows = markup.get("keyboard") or markup.get("inline_keyboard") or []
        return [b["text"] if isinstance(b, dict) else str(b) for row in rows for b in row]


class FakeTelegram:
    """`async with FakeTelegram() as api:` serves the Bot API on `api.base_url`."""

    def __init__(self, token: str = TOKEN, *, record_polls: bool = False) -> None:
        self.token = token
        self.record_polls = record_polls  # getUpdates calls flood the record; off by default
        self.calls: list[Call] = []
        self._answered: Counter[str] = Counter()  # successful calls per method, lower case
        self.updates: deque[dict[str, Any]] = deque()
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}  # (chat, id) -> Message
        self.files: dict[str, bytes] = {}  # file_id -> content of uploaded/known files
        self._failures: dict[str, deque[tuple[int, dict[str, Any] | str] | None]] = defaultdict(
            deque
        )
        self._holds: dict[str, asyncio.Event] = {}
        self.held: list[Call] = []  # calls that arrived while their method was held
        self._changed = asyncio.Condition()
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._closing = False
        self._runner: web.AppRunner | None = None
        self.port = 0

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=50 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))  # a free port chosen by the system
        self.port = sock.getsockname()[1]
        await web.SockSite(self._runner, sock).start()
        return self

    async def stop(self) -> None:
        # Release long polls first, so the server does not wait for them to time out.
        self._closing = True
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        return await self.start()

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # --- the scripted user --------------------------------------------------------------

    async def push_update(self, **content: Any) -> int:
        update_id = next(self._update_ids)
        async with self._changed:
            self.updates.append({"update_id": update_id, **content})
            self._changed.notify_all()
        return update_id

    async def push_message(self, user_id: int, text: str, first_name: str = "Иван") -> int:
        return await self.push_update(**self.message_update(user_id, text, first_name))

    def message_update(self, user_id: int, text: str, first_name: str = "Иван") -> dict[str, Any]:
        """The content of an update with a text message, without an `update_id`; for
        `push_update`, or to be posted to a webhook."""
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _private_chat(user_id, first_name),
            "from": _user(user_id, first_name),
            "text": text,
        }
        if text.startswith("/"):
            command = text.split()[0]
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": len(command)}]
        return {"message": message}

    async def push_callback(
        self, user_id: int, data: str, message_id: int, first_name: str = "Иван"
    ) -> int:
        """A press on an inline button under the bot's message `message_id`."""
        message = self.messages.get((user_id, message_id)) or {
            "message_id": message_id,
            "date": int(time.time()),
            "chat": _private_chat(user_id, first_name),
            "text": "…",
        }
        query = {
            "id": secrets.token_hex(8),
            "from": _user(user_id, first_name),
            "chat_instance": f"ci-{user_id}",
            "message": message,
            "data": data,
        }
        return await self.push_update(callback_query=query)

    def inline_button(self, chat_id: int, label: str) -> tuple[int, str]:
        """(message id, callback data) of the button containing `label` in the newest
        message in this chat that has inline buttons."""
        for (chat, message_id), message in sorted(self.messages.items(), reverse=True):
            markup = message.get("reply_markup") if chat == chat_id else None
            if not markup:
                continue
            for row in markup["inline_keyboard"]:
                for button in row:
                    if label in button["text"] and "callback_data" in button:
                        return message_id, button["callback_data"]
            break
        raise AssertionError(f"no inline button {label!r} in chat {chat_id}")

    async def click(self, user_id: int, label: str) -> int:
        message_id, data = self.inline_button(user_id, label)
        return await self.push_callback(user_id, data, message_id)

    # --- what the bot did ---------------------------------------------------------------

    def calls_of(self, method: str, chat_id: int | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method.lower() == method.lower() and (chat_id is None or c.chat_id == chat_id)
        ]

    async def wait_for(
        self, predicate: Callable[[Call], bool], timeout: float = 5.0, *, since: int = 0
    ) -> Call:
        """The first recorded call from index `since` on that matches, waiting up to
        `timeout` seconds for it to arrive."""
        checked = since

        def found() -> Call | None:
            nonlocal checked
            for call in self.calls[checked:]:
                if predicate(call):
                    return call
            checked = len(self.calls)
            return None

        async with self._changed:
            try:
                async with asyncio.timeout(timeout):
                    while (call := found()) is None:
                        await self._changed.wait()
            except TimeoutError:
                recent = [(c.method, c.params.get("text")) for c in self.calls[since:][-10:]]
                raise TimeoutError(
                    f"no matching call in {timeout}s; last calls: {recent}"
                ) from None
        return call

    async def wait_calls(self, method: str, count: int, timeout: float = 10.0) -> list[Call]:
        """Wait until `count` calls of `method` have been answered successfully; those calls."""
        key = method.lower()
        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: self._answered[key] >= count)
        return [c for c in self.calls_of(method) if c.status == 200]

    # --- failures -----------------------------------------------------------------------

    def fail(self, method: str, status: int, description: str, **parameters: Any) -> None:
        """The next call of `method` gets this Bot API error, e.g.
        `fail("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)`."""
        body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
        if parameters:
            body["parameters"] = parameters
        self._failures[method.lower()].append((status, body))

    def fail_network(self, method: str) -> None:
        """The next call of `method` loses its connection without an answer."""
        self._failures[method.lower()].append(None)

    def fail_proxy(self, method: str, status: int = 502) -> None:
        """The next call of `method` gets a proxy's HTML error page, not the Bot API's JSON."""
        self._failures[method.lower()].append((status, PROXY_PAGE))

    # --- holding calls ------------------------------------------------------------------

    def hold(self, method: str) -> None:
        """Calls of `method` from now on wait for `release(method)` before being answered."""
        self._holds.setdefault(method.lower(), asyncio.Event())

    def release(self, method: str) -> None:
        """Answer the held calls of `method` (those whose caller is still connected)."""
        if event := self._holds.pop(method.lower(), None):
            event.set()

    async def wait_held(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Call]:
        key = method.lower()

        def held() -> list[Call]:
            return [c for c in self.held if c.method.lower() == key]

        async with self._changed:
            async with asyncio.timeout(timeout):
                await self._changed.wait_for(lambda: len(held()) >= count)
        return held()

    # --- HTTP ---------------------------------------------------------------------------

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return _error(401, {"ok": False, "error_code": 401, "description": "Unauthorized"})
        method = request.match_info["method"]
        key = method.lower()
        params, files = await _read_params(request)
        if key == "getupdates":
            return await self._get_updates(method, params)

        call = Call(method, params, files=files)
        if hold := self._holds.get(key):
            async with self._changed:
                self.held.append(call)
                self._changed.notify_all()
            await hold.wait()
            if request.transport is None or request.transport.is_closing():
                call.status = 0  # the caller is gone (killed): nothing was answered
                await self._record(call)
                return web.Response()
        if queued := self._failures.get(key):
            failure = queued.popleft()
            if failure is None:
                call.status = 0
                await self._record(call)
                assert request.transport is not None
                request.transport.close()  # the client sees a dropped connection
                return web.Response()
            call.status, body = failure
            await self._record(call)
            if isinstance(body, str):
                return web.Response(status=call.status, text=body, content_type="text/html")
            return _error(call.status, body)
        try:
            call.result = self._answer(key, params, files)
        except BadRequest as error:
            call.status = 400
            await self._record(call)
            return _error(400, {"ok": False, "error_code": 400, "description": str(error)})
        await self._record(call)
        return web.json_response({"ok": True, "result": call.result})

    async def _record(self, call: Call) -> None:
        async with self._changed:
            self.calls.append(call)
            if call.status == 200:
                self._answered[call.method.lower()] += 1
            self._changed.notify_all()

    async def _get_updates(self, method: str, params: dict[str, Any]) -> web.Response:
        offset = int(params.get("offset") or 0)
        limit = int(params.get("limit") or 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            # Updates below the offset are confirmed: Telegram forgets them.
            while self.updates and self.updates[0]["update_id"] < offset:
                self.updates.popleft()
            if not self.updates and timeout > 0 and not self._closing:
                try:
                    async with asyncio.timeout(timeout):
                        await self._changed.wait_for(lambda: bool(self.updates) or self._closing)
                except TimeoutError:
                    pass
            result = list(itertools.islice(self.updates, limit))
            if self.record_polls:
                self.calls.append(Call(method, params, result=result))
                self._changed.notify_all()
        return web.json_response({"ok": True, "result": result})

    async def _download(self, request: web.Request) -> web.StreamResponse:
        content = self.files.get(request.match_info["path"])
        if request.match_info["token"] != self.token or content is None:
            return web.Response(status=404, text="Not Found")
        return web.Response(body=content)

    # --- answers ------------------------------------------------------------------------

    def _answer(self, key: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        if key == "getme":
            return BOT_USER
        if key in _BOOL_METHODS:
            return True
        html = params.get("parse_mode", "HTML") == "HTML"  # the bot's default parse mode
        if key in ("sendmessage", "editmessagetext"):
            check_text(params.get("text"), html=html)
        elif key in ("sendphoto", "senddocument", "sendvideo"):
            check_text(params.get("caption"), caption=True, html=html)
        if key == "sendmessage":
            return self._new_message(params, text=_required(params, "text"))
        if key in ("sendphoto", "senddocument", "sendvideo"):
            return self._send_file(key, params, files)
        if key == "sendmediagroup":
            return self._send_album(params)
        if key == "editmessagetext":
            return self._edit(params, text=_required(params, "text"))
        if key == "editmessagereplymarkup":
            return self._edit(params)
        if key == "getfile":
            file_id = _required(params, "file_id")
            if file_id not in self.files:
                raise BadRequest("Bad Request: invalid file_id")
            return {
                "file_id": file_id,
                "file_unique_id": file_id,
                "file_size": len(self.files[file_id]),
                "file_path": file_id,
            }
        raise BadRequest(f"Bad Request: the fake server does not know method {key!r}")

    def _new_message(self, params: dict[str, Any], **content: Any) -> dict[str, Any]:
        chat_id = int(_required(params, "chat_id"))
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": _private_chat(chat_id),
            "from": BOT_USER,
            **content,
        }
        markup = params.get("reply_markup")
        # A Message carries only inline keyboards; a reply keyboard is not echoed back.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(chat_id, message["message_id"])] = message
        return message

    def _send_album(self, params: dict[str, Any]) -> list[Any]:
        """An album: 2–10 photos by file_id, one message each, as Telegram answers."""
        media = params.get("media")
        items = json.loads(media) if isinstance(media, str) else media
        if not isinstance(items, list) or not 2 <= len(items) <= 10:
            raise BadRequest("Bad Request: wrong number of media in the album")
        sent = []
        for item in items:
            check_text(item.get("caption"), caption=True, html=True)
            file_id = str(item["media"])
            photo = [{"file_id": file_id, "file_unique_id": file_id, "width": 1, "height": 1}]
            extra = {"caption": item["caption"]} if item.get("caption") else {}
            sent.append(self._new_message(params, photo=photo, **extra))
        return sent

    def _send_file(self, key: str, params: dict[str, Any], files: dict[str, bytes]) -> Any:
        field_name = {"sendphoto": "photo", "sendvideo": "video"}.get(key, "document")
        value = str(_required(params, field_name))
        if value.startswith("attach://"):
            content = files[value.removeprefix("attach://")]
            file_id = f"file-{secrets.token_hex(6)}"
            self.files[file_id] = content
        else:
            file_id = value
        if field_name == "photo":
            media: Any = [{"file_id": file_id, "file_unique_id": file_id, "width": 1, "height": 1}]
        else:
            media = {"file_id": file_id, "file_unique_id": file_id}
        extra = {"caption": params["caption"]} if params.get("caption") else {}
        return self._new_message(params, **{field_name: media}, **extra)

    def _edit(self, params: dict[str, Any], **content: Any) -> Any:
        if params.get("inline_message_id"):
            return True
        chat_id = int(_required(params, "chat_id"))
        message = self.messages.get((chat_id, int(_required(params, "message_id"))))
        if message is None:
            raise BadRequest("Bad Request: message to edit not found")
        markup = params.get("reply_markup")
        if (
            "text" in content
            and content["text"] == message.get("text")
            and (markup == message.get("reply_markup"))
        ):
            raise BadRequest("Bad Request: message is not modified")
        message.update(content)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        if isinstance(markup, dict) and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)
        return dict(message)


def _required(params: dict[str, Any], name: str) -> Any:
    if params.get(name) in (None, ""):
        raise BadRequest(f"Bad Request: {name} is empty")
    return params[name]


def _user(user_id: int, first_name: str = "Иван") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ru"}


def _private_chat(chat_id: int, first_name: str = "Иван") -> dict[str, Any]:
    return {"id": chat_id, "type": "private", "first_name": first_name}


def _error(status: int, body: dict[str, Any]) -> web.Response:
    return web.json_response(body, status=status)


async def _read_params(request: web.Request) -> tuple[dict[str, Any], dict[str, bytes]]:
    """Query string, JSON body, url-encoded or multipart form: Telegram accepts them all.
    Complex values arrive as JSON strings and are decoded."""
    params: dict[str, Any] = {}
    files: dict[str, bytes] = {}
    raw: dict[str, Any] = dict(request.query)
    if request.content_type == "application/json":
        raw.update(await request.json())
    elif request.can_read_body:
        form: MultiDictProxy[Any] = await request.post()
        for name, value in form.items():
            if isinstance(value, web.FileField):
                files[name] = value.file.read()
            else:
                raw[name] = value
    for name, value in raw.items():
        params[name] = _decode(name, value)
    return params, files


def _decode(name: str, value: Any) -> Any:
    if not isinstance(value, str) or name in _TEXT_FIELDS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value
