"""End to end in webhook mode: `python -m bot run` as a child process with `WEBHOOK_URL`,
serving updates posted to it over HTTP on 127.0.0.1, talking to the fake Bot API server.

The secret header is checked (a post without it, or with a wrong one, gets 401 and changes
nothing); the process is killed with SIGKILL while Telegram holds the update's first reply
— after the commit that comes before every request — started again, and the same update,
posted again as Telegram posts it until it gets its 200, is applied once: its step was
kept, so the re-post is skipped.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import signal
import socket
import sqlite3
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import aiohttp
import pytest

from tests.fake_api import Call, FakeTelegram

SECRET = "e2e-webhook-secret_42"
NEWCOMER = 7101
UPDATE_ID = 500_001
STARTUP_TIMEOUT = 60.0  # a cold start imports aiogram, SQLAlchemy and runs the migrations


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class BotProcess:
    """`python -m bot run` in webhook mode; `start()` returns once it accepts posts."""

    def __init__(self, api: FakeTelegram, folder: Path) -> None:
        self.api, self.folder = api, folder
        self.port = _free_port()
        self.database = folder / "webhook.sqlite3"
        self.url = f"http://127.0.0.1:{self.port}/telegram/hook"
        self.process: asyncio.subprocess.Process | None = None
        self.starts = 0

    async def start(self, http: aiohttp.ClientSession) -> None:
        self.starts += 1
        env = {
            **os.environ,
            "BOT_TOKEN": self.api.token,
            "TELEGRAM_API_BASE": self.api.base_url,
            "WEBHOOK_URL": "https://bot.example.org/telegram/hook",
            "WEBHOOK_SECRET": SECRET,
            "WEBHOOK_LISTEN": "127.0.0.1",
            "WEBHOOK_PORT": str(self.port),
            "DATABASE_URL": f"sqlite+aiosqlite:///{self.database}",
            "ADMIN_IDS": "",
            "LOG_LEVEL": "INFO",
        }
        for name in ("REDIS_URL", "TEST_REDIS_URL", "TEST_POSTGRES_URL"):
            env.pop(name, None)  # this test is about the webhook, over SQLite
        # A plain descriptor for the child's output: nothing of it is read while it runs.
        log = os.open(self.folder / f"bot-{self.starts}.log", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "bot",
                "run",
                cwd=self.folder,  # no stray .env is read
                env=env,
                stdout=log,
                stderr=asyncio.subprocess.STDOUT,
            )
        finally:
            os.close(log)
        mark = len(self.api.calls)
        async with asyncio.timeout(STARTUP_TIMEOUT):
            waiting = asyncio.create_task(
                self.api.wait_for(_method("setWebhook"), timeout=STARTUP_TIMEOUT, since=mark)
            )
            exited = asyncio.create_task(self.process.wait())
            await asyncio.wait({waiting, exited}, return_when=asyncio.FIRST_COMPLETED)
            if exited.done():
                waiting.cancel()
                pytest.fail(f"the bot exited with {exited.result()}:\n{self.log()}")
            exited.cancel()
            registered = waiting.result()
            assert registered.params["url"] == "https://bot.example.org/telegram/hook"
            assert registered.params["secret_token"] == SECRET
            # setWebhook is sent at startup, just before the socket listens: poll the
            # socket (bounded by the timeout above) until it answers.
            for _ in itertools.count():
                if await self._listening(http):
                    break
                await asyncio.sleep(0.05)

    async def _listening(self, http: aiohttp.ClientSession) -> bool:
        try:
            async with http.get(self.url) as response:  # only POST is routed: 405
                return response.status == 405
        except aiohttp.ClientConnectionError:
            return False

    def kill(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGKILL)

    async def reap(self) -> None:
        if self.process is not None:
            self.kill()
            async with asyncio.timeout(10):
                await self.process.wait()

    def log(self) -> str:
        return "\n".join(
            path.read_text(errors="replace") for path in sorted(self.folder.glob("bot-*.log"))
        )

    def rows(self, query: str) -> list[tuple]:
        """What is committed in the bot's database, read as another process would."""
        with sqlite3.connect(self.database) as connection:
            return connection.execute(query).fetchall()


def _method(name: str, chat_id: int | None = None) -> Callable[[Call], bool]:
    return lambda c: c.method.lower() == name.lower() and (chat_id is None or c.chat_id == chat_id)


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram(token="42:TEST") as server:
        yield server


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
        yield session


@pytest.fixture
async def bot_process(api, tmp_path) -> AsyncIterator[BotProcess]:
    process = BotProcess(api, tmp_path)
    try:
        yield process
    finally:
        await process.reap()
        api.release("sendMessage")


async def _post(http, process: BotProcess, update: dict, secret: str | None) -> int:
    headers = {"X-Telegram-Bot-Api-Secret-Token": secret} if secret is not None else {}
    async with http.post(process.url, json=update, headers=headers) as response:
        return response.status


async def test_posts_are_checked_handled_and_applied_once_across_a_kill(
    api: FakeTelegram, http: aiohttp.ClientSession, bot_process: BotProcess
):
    update = {"update_id": UPDATE_ID, **api.message_update(NEWCOMER, "/start")}
    handled = f"SELECT update_id FROM handled_updates WHERE update_id = {UPDATE_ID}"
    newcomer = f"SELECT id FROM users WHERE id = {NEWCOMER}"
    await bot_process.start(http)

    # Without the secret, or with a wrong one: refused, nothing handled or sent.
    assert await _post(http, bot_process, update, None) == 401
    assert await _post(http, bot_process, update, "not-the-secret") == 401
    assert api.calls_of("sendMessage") == []
    assert bot_process.rows(handled) == []
    assert bot_process.rows(newcomer) == []

    # The right secret, but the bot dies while Telegram is taking its first reply: the
    # step (the person, their conversation at the consent question, the update's id)
    # committed before that reply left; no lock was held while it waited.
    api.hold("sendMessage")
    posting = asyncio.create_task(_post(http, bot_process, update, SECRET))
    [held] = await api.wait_held("sendMessage", timeout=30)
    assert held.chat_id == NEWCOMER
    assert bot_process.rows(handled) == [(UPDATE_ID,)]  # committed while the reply waits
    bot_process.kill()
    with pytest.raises(aiohttp.ClientError):  # Telegram gets no 200, so it posts again
        await posting
    await bot_process.reap()
    api.release("sendMessage")
    assert bot_process.rows(newcomer) == [(NEWCOMER,)]
    assert bot_process.rows(f"SELECT state FROM fsm_states WHERE key LIKE '%:{NEWCOMER}:%'") == [
        ("Onboarding:consent",)
    ]
    answered = [c for c in api.calls_of("sendMessage", NEWCOMER) if c.status == 200]
    assert answered == []  # the greeting never arrived

    # Started again, the re-post is answered 200 and skipped: the step is not applied
    # twice (the person, who saw nothing, sends /start again and is asked once more).
    await bot_process.start(http)
    assert await _post(http, bot_process, update, SECRET) == 200
    assert [c for c in api.calls_of("sendMessage", NEWCOMER) if c.status == 200] == []
    assert bot_process.rows(handled) == [(UPDATE_ID,)]
    assert "already handled" in bot_process.log()

    again = {"update_id": UPDATE_ID + 1, **api.message_update(NEWCOMER, "/start")}
    assert await _post(http, bot_process, again, SECRET) == 200
    answered = [c for c in api.calls_of("sendMessage", NEWCOMER) if c.status == 200]
    assert any("Здравствуйте" in (c.text or "") for c in answered), bot_process.log()
    assert any("Согласие на обработку" in (c.text or "") for c in answered)
