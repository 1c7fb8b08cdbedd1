"""End to end: the real bot, started the way `pervichka run` starts it, long-polls a fake
Bot API server over HTTP while a scripted person goes from /start to the member menu."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from aiogram import Dispatcher

import bot.app
from bot.cli import common, run
from bot.config import load_settings
from bot.services.people import Role
from storage.db import Database
from storage.models import User
from tests.fake_api import Call, FakeTelegram
from tests.harness.factories import make_branch, make_user

NEWCOMER = 7001
SECRETARY = 7002


def _to(chat_id: int, method: str, text: str) -> Callable[[Call], bool]:
    return lambda c: c.method == method and c.chat_id == chat_id and text in (c.text or "")


@pytest.fixture
async def api():
    async with FakeTelegram(token="42:TEST") as server:
        yield server


@pytest.fixture
async def capture_dispatcher(monkeypatch) -> asyncio.Future[Dispatcher]:
    """The dispatcher the CLI builds, so the test can stop its polling cleanly."""
    built: asyncio.Future[Dispatcher] = asyncio.get_running_loop().create_future()
    real = bot.app.build_dispatcher

    def build(*args, **kwargs) -> Dispatcher:
        dp = real(*args, **kwargs)
        built.set_result(dp)
        return dp

    monkeypatch.setattr(bot.app, "build_dispatcher", build)
    return built


async def test_a_newcomer_goes_from_start_to_the_member_menu_over_http(
    api: FakeTelegram, capture_dispatcher, tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # no stray .env is read
    for name, value in {
        "BOT_TOKEN": "42:TEST",
        "TELEGRAM_API_BASE": api.base_url,
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path}/e2e.sqlite3",
        "ADMIN_IDS": "",
        # The secretary's notice goes at once whatever the hour of the run.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
    }.items():
        monkeypatch.setenv(name, value)
    settings = load_settings()

    async with asyncio.timeout(30):
        await asyncio.to_thread(common.migrate_schema, settings)  # what `run` does before polling
        database = Database(settings.database_url)
        branch_id = await make_branch(database)
        await make_user(database, SECRETARY, roles={Role.SECRETARY: [branch_id]})

        polling = asyncio.create_task(run._poll(settings))
        await asyncio.wait([polling, capture_dispatcher], return_when=asyncio.FIRST_COMPLETED)
        if polling.done():  # it stopped before polling: show why
            polling.result()
            pytest.fail("the bot stopped before it started polling")
        dp = capture_dispatcher.result()
        try:
            await api.push_message(NEWCOMER, "/start")
            await api.wait_for(_to(NEWCOMER, "sendMessage", "Здравствуйте"))
            consent = await api.wait_for(_to(NEWCOMER, "sendMessage", "Согласие на обработку"))
            assert consent.keyboard_labels() == ["✅ Даю согласие", "Не даю"]

            mark = len(api.calls)
            await api.click(NEWCOMER, "✅ Даю согласие")
            await api.wait_for(_to(NEWCOMER, "editMessageText", "Согласие сохранено"), since=mark)
            await api.wait_for(_to(NEWCOMER, "sendMessage", "Выберите регион"), since=mark)

            for label, next_step in [
                ("Краснодарский край", "Выберите местное отделение"),
                ("Краснодарское местное отделение", "Выберите первичное отделение"),
                ("№20-03 — ", "Вы вступили в первичное отделение"),
            ]:
                mark = len(api.calls)
                await api.click(NEWCOMER, label)
                await api.wait_for(_to(NEWCOMER, "editMessageText", next_step), since=mark)

            menu = await api.wait_for(_to(NEWCOMER, "sendMessage", "Главное меню"), since=mark)
            assert "keyboard" in (menu.reply_markup or {})  # a reply keyboard, not inline
            assert "ℹ️ Помощь" in menu.keyboard_labels()
            # Every press was answered, so no button kept spinning.
            assert len(api.calls_of("answerCallbackQuery")) == 4

            # The secretary hears about it through the outbox sender running in background.
            new_member = _to(SECRETARY, "sendMessage", "Новый участник первичного отделения")
            notice = await api.wait_for(new_member)
            assert "№20-03" in (notice.text or "")
        finally:
            await dp.stop_polling()
            await polling

        async with database.sessions() as session:
            newcomer = await session.get(User, NEWCOMER)
        await database.dispose()
        assert newcomer is not None
        assert newcomer.branch_id == branch_id
        assert all(c.status == 200 for c in api.calls), [c for c in api.calls if c.status != 200]
