"""CLOCK_START: the bot lives from a chosen moment on, at real speed (walks, rehearsals)."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import build_dispatcher
from bot.clock import ShiftedClock, SystemClock
from bot.config import SettingsError, load_settings


def test_the_shifted_clock_starts_at_the_moment_and_runs_at_real_speed():
    start = datetime(2026, 12, 7, 5, 59, 40, tzinfo=UTC)
    clock = ShiftedClock(start)
    first = clock.now()
    time.sleep(0.05)
    second = clock.now()
    assert timedelta(0) <= first - start < timedelta(seconds=1)
    assert timedelta(seconds=0.05) <= second - first < timedelta(seconds=1)


def test_a_moment_without_its_offset_is_refused_in_russian():
    with pytest.raises(SettingsError, match="CLOCK_START: нужен момент со смещением от UTC"):
        load_settings(clock_start="2026-12-07T08:59:40")


async def test_the_dispatcher_takes_its_clock_from_the_setting(settings, database):
    shifted = settings.model_copy(
        update={"clock_start": datetime.fromisoformat("2026-12-07T08:59:40+03:00")}
    )
    dp = build_dispatcher(shifted, database, start_background=False)
    assert isinstance(dp["clock"], ShiftedClock)
    assert dp["clock"].now() - datetime(2026, 12, 7, 5, 59, 40, tzinfo=UTC) < timedelta(minutes=1)
    assert isinstance(
        build_dispatcher(settings, database, start_background=False)["clock"], SystemClock
    )
