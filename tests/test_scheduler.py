"""The real APScheduler, wired as `pervichka run` wires it, runs the tick.

Flow tests build the dispatcher with `start_background=False` and drive the tick by hand,
so they never showed that APScheduler was handed something it could not await.
"""

from __future__ import annotations

import asyncio

from bot.app import build_dispatcher
from bot.scheduler import ApschedulerScheduler


async def test_the_real_scheduler_runs_the_tick_jobs(settings, database, bot):
    settings = settings.model_copy(update={"tick_seconds": 0.05, "outbox_sender": False})
    dp = build_dispatcher(settings, database)  # start_background=True, as in `run`
    ticked = asyncio.Event()

    async def probe(now):
        ticked.set()

    dp["tick"].register("probe", probe)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    try:
        assert isinstance(dp["scheduler"], ApschedulerScheduler)
        async with asyncio.timeout(5):
            await ticked.wait()
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)


async def test_a_tick_running_at_shutdown_finishes_its_work(settings, database, bot):
    settings = settings.model_copy(update={"tick_seconds": 0.05, "outbox_sender": False})
    dp = build_dispatcher(settings, database)
    started, finished = asyncio.Event(), asyncio.Event()

    async def slow(now):
        started.set()
        await asyncio.sleep(0.3)  # half-way through its transactions when the bot stops
        finished.set()

    dp["tick"].register("slow", slow)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    async with asyncio.timeout(5):
        await started.wait()
    await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
    assert finished.is_set()
