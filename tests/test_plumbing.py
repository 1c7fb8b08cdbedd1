"""The small machinery under every flow: the periodic tick and the flood throttle."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery

from bot.app import build_bot, build_dispatcher
from bot.scheduler import Tick
from tests.harness.client import BotClient
from tests.harness.factories import make_branch, make_user
from tests.harness.session import RecordingSession


async def test_the_tick_runs_every_job_with_the_clock_and_survives_a_failing_one(clock):
    seen = []

    async def broken(now):
        raise RuntimeError("a job failed")

    async def recorder(now):
        seen.append(now)

    tick = Tick(clock)
    tick.register("broken", broken)
    tick.register("recorder", recorder)
    first = clock.now()
    await tick.run()
    second = clock.advance(minutes=1)
    await tick.run()
    assert seen == [first, second]


async def test_a_flood_from_one_person_is_cut_without_silencing_others(settings, database, clock):
    settings = settings.model_copy(update={"throttle_rate": 1.0})
    branch_id = await make_branch(database)
    for user_id in (801, 802):
        await make_user(database, user_id, branch_id=branch_id)
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    bot = build_bot(settings, RecordingSession())
    flooder, neighbour = BotClient(dp, bot, 801), BotClient(dp, bot, 802)

    for _ in range(12):
        await flooder.send("/help")
    answered = sum("Что умеет бот" in text for text in bot.session.texts_to(801))
    assert 1 <= answered <= 6  # a burst of five gets through, the rest is dropped

    await neighbour.send("/help")
    assert "Что умеет бот" in neighbour.last_text
    await flooder.click_data("md:open:1")
    assert bot.session.sent(AnswerCallbackQuery)[-1].text == "Слишком часто, подождите секунду."


async def test_plain_filters_are_checked_on_the_loop_thread_with_the_same_answers():
    import threading

    from aiogram import F, Router
    from aiogram.fsm.state import State

    from bot.app import run_sync_filters_inline

    threads = []

    def plain(message: object) -> bool:
        threads.append(threading.current_thread())
        return True

    router = Router()
    router.message(plain, F.text == "да", State("x", "G"))(lambda message: None)
    assert run_sync_filters_inline(router) == 3
    plain_f, magic_f, state_f = router.message.handlers[0].filters or []
    assert await plain_f.call(object()) is True
    assert threads == [threading.current_thread()]

    class Text:
        text = "да"

    assert await magic_f.call(Text()) is True
    assert await state_f.call(Text(), raw_state="G:x") is True
    assert await state_f.call(Text(), raw_state=None) is False
    assert run_sync_filters_inline(router) == 0  # already inline
