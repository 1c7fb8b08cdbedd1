"""The categories and limits of mandates come from settings, not from the code."""

from __future__ import annotations

import pytest

from bot.app import build_bot, build_dispatcher
from bot.config import SettingsError, load_settings
from tests.harness.client import BotClient
from tests.harness.factories import make_branch, make_user
from tests.harness.session import RecordingSession


async def test_the_flow_offers_the_configured_categories_and_limits(settings, database, clock):
    settings = settings.model_copy(
        update={
            "mandate_categories": ("roads", "gasification"),
            "mandate_text_min": 5,
            "mandate_text_max": 40,
            "mandate_max_photos": 2,
        }
    )
    branch_id = await make_branch(database)
    await make_user(database, 800, branch_id=branch_id)
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    user = BotClient(dp, build_bot(settings, RecordingSession()), 800)

    await user.send("/mandate")
    assert user.buttons() == ["Дороги и транспорт", "gasification"]  # unnamed codes as written
    await user.click("gasification")
    assert "От 5 до 40 символов" in user.last_text
    await user.send("Нужен газ")
    assert "Шаг 3 из 5" in user.last_text


def test_bad_mandate_settings_stop_the_start_with_one_line(monkeypatch):
    monkeypatch.setenv("MANDATE_TEXT_MIN", "50")
    monkeypatch.setenv("MANDATE_TEXT_MAX", "30")
    with pytest.raises(SettingsError, match=r"^Неверная настройка: MANDATE_TEXT_MIN должен быть"):
        load_settings(_env_file=None)
    monkeypatch.setenv("MANDATE_CATEGORIES", " , ")
    with pytest.raises(SettingsError, match="MANDATE_CATEGORIES"):
        load_settings(_env_file=None)
