"""The sender over time: Telegram's limits (30 messages/s overall, 1/s per chat) and the
background loop.

The limits are checked on looptime's fake loop clock: they run on the event loop's clock,
so these seconds pass at once, and `end` makes a sender that never finishes fail at that
loop time instead of hanging the run. The start/wake/stop tests run on the real clock
with short bounds, since there the point is that nothing waits for a timeout.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from bot.app import build_dispatcher
from bot.delivery import OutboxSender, Throttle
from bot.services.outbox import Notice, enqueue
from storage.models import OutboxMessage

pytestmark = pytest.mark.looptime(end=60)


async def send_through(throttle: Throttle, chat_id: int, log: list[tuple[int, float]]) -> None:
    await throttle.acquire(chat_id)
    log.append((chat_id, asyncio.get_running_loop().time()))


def times(log: list[tuple[int, float]], chat_id: int | None = None) -> list[float]:
    return [at for chat, at in log if chat_id is None or chat == chat_id]


async def test_throttle_sends_90_chats_at_30_per_second(looptime):
    throttle, log = Throttle(), []
    start = float(looptime)

    await asyncio.gather(*(send_through(throttle, chat, log) for chat in range(90)))

    # Evenly paced, no opening burst: the 90th message leaves at 89/30 s.
    assert float(looptime) - start == pytest.approx(89 / 30, abs=0.01)
    # No second holds more than 30: any 31 consecutive sends span at least a second.
    stamps = times(log)
    assert all(stamps[i + 30] - stamps[i] >= 1 - 1e-3 for i in range(len(stamps) - 30))


async def test_throttle_spaces_one_chat_without_holding_up_others(looptime):
    throttle, log = Throttle(), []
    start = float(looptime)

    async def three_to_one_chat() -> None:
        for _ in range(3):
            await send_through(throttle, 7, log)

    others = range(10, 20)
    await asyncio.gather(three_to_one_chat(), *(send_through(throttle, c, log) for c in others))

    assert [at - start for at in times(log, 7)] == pytest.approx([0, 1, 2], abs=0.01)
    assert all(at - start < 0.5 for chat in others for at in times(log, chat))


# --- the same limits through the sender, its database and the background loop ------------


class Stamps(list[tuple[int, float]]):
    """The loop time of every request the fake Bot API answered, by chat.

    Tests wait on `reached` rather than poll with sleeps: a pending timer would let the
    fake clock jump ahead while the database works in its thread, and skew the times.
    """

    def __init__(self) -> None:
        super().__init__()
        self._grew = asyncio.Event()

    def add(self, chat_id: int) -> None:
        self.append((chat_id, asyncio.get_running_loop().time()))
        self._grew.set()

    async def reached(self, count: int) -> None:  # bounded by the caller
        while len(self) < count:
            self._grew.clear()
            await self._grew.wait()


@pytest.fixture
def stamped(recording) -> Stamps:
    stamps = Stamps()
    real_request = recording.make_request

    async def make_request(bot, method, timeout=None):
        result = await real_request(bot, method, timeout)
        stamps.add(int(method.chat_id))
        return result

    recording.make_request = make_request
    return stamps


async def run_until_sent(sender: OutboxSender, stamped: Stamps, count: int) -> None:
    sender.start()
    try:
        await stamped.reached(count)  # bounded by the test's end of loop time
    finally:
        await sender.stop()


async def test_sender_keeps_to_30_per_second_overall(bot, database, clock, stamped, looptime):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *(Notice(1000 + i, f"№{i}") for i in range(90)))
    sender = OutboxSender(bot, database, clock)
    start = float(looptime)

    await run_until_sent(sender, stamped, 90)

    assert sorted(chat for chat, _ in stamped) == [1000 + i for i in range(90)]
    assert max(times(stamped)) - start >= 89 / 30 - 1e-3
    stamps = sorted(times(stamped))
    assert all(stamps[i + 30] - stamps[i] >= 1 - 1e-3 for i in range(len(stamps) - 30))


async def test_sender_spaces_one_chat_and_lets_others_through(
    bot, database, clock, recording, stamped, looptime
):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *(Notice(7, f"подряд {i}") for i in range(3)))
        await enqueue(session, clock.now(), *(Notice(chat, "соседу") for chat in range(10, 15)))
    sender = OutboxSender(bot, database, clock)
    start = float(looptime)

    await run_until_sent(sender, stamped, 8)

    to_seven = [at - start for at in times(stamped, 7)]
    assert to_seven[1] - to_seven[0] >= 1 - 1e-3
    assert to_seven[2] - to_seven[1] >= 1 - 1e-3
    assert all(at - start < 1 for chat in range(10, 15) for at in times(stamped, chat))
    assert recording.texts_to(7) == ["подряд 0", "подряд 1", "подряд 2"]  # in the order queued


class LoopClock:
    """The bot's clock made to follow the event loop's, so that rows fall due on the same
    fake time line the limiters run on, with nothing for the test to do meanwhile."""

    def __init__(self, start: datetime) -> None:
        self.start = start

    def now(self) -> datetime:
        return self.start + timedelta(seconds=asyncio.get_running_loop().time())


async def test_a_busy_chat_does_not_hold_up_rows_that_fall_due_meanwhile(
    bot, database, clock, stamped, looptime
):
    loop_clock = LoopClock(clock.now() - timedelta(seconds=float(looptime)))
    now = loop_clock.now()
    async with database.transaction() as session:
        await enqueue(session, now, *(Notice(7, f"подряд {i}") for i in range(3)))
        # Due half a second later, while chat 7 waits for its second message.
        later = now + timedelta(seconds=0.5)
        await enqueue(session, later, *(Notice(chat, "соседу") for chat in range(10, 15)))
    start = float(looptime)

    await run_until_sent(OutboxSender(bot, database, loop_clock), stamped, 8)

    to_seven = [at - start for at in times(stamped, 7)]
    assert to_seven[1] >= 1 - 1e-3
    for chat in range(10, 15):
        [at] = times(stamped, chat)
        assert 0.5 - 1e-3 <= at - start < to_seven[1]


# --- the background loop on the real clock ------------------------------------------------


async def statuses(database) -> list[str]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


@pytest.mark.looptime(False)
async def test_the_background_loop_sends_what_is_queued_and_woken_for(
    bot, database, clock, recording, stamped
):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "до запуска"))
    sender = OutboxSender(bot, database, clock)
    sender.start()
    try:
        async with asyncio.timeout(5):
            await stamped.reached(1)
        # Idle now for up to half a minute: only wake() makes it look again this soon.
        async with database.transaction() as session:
            await enqueue(session, clock.now(), Notice(101, "после запуска"))
        sender.wake()
        async with asyncio.timeout(5):
            await stamped.reached(2)
    finally:
        async with asyncio.timeout(5):  # stopping does not wait out the idle pause either
            await sender.stop()

    assert [r.text for r in recording.sent()] == ["до запуска", "после запуска"]
    assert await statuses(database) == ["sent", "sent"]


@pytest.mark.looptime(False)
async def test_stop_waits_for_the_send_in_flight_and_records_it(bot, database, clock, recording):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "в пути"))
    real_request = recording.make_request
    in_flight, answer = asyncio.Event(), asyncio.Event()

    async def slow(bot, method, timeout=None):
        in_flight.set()
        await answer.wait()
        return await real_request(bot, method, timeout)

    recording.make_request = slow
    sender = OutboxSender(bot, database, clock)
    sender.start()
    async with asyncio.timeout(5):
        await in_flight.wait()
    stopping = asyncio.create_task(sender.stop())
    await asyncio.sleep(0)
    assert not stopping.done()  # Telegram has not answered yet
    answer.set()
    async with asyncio.timeout(5):
        await stopping

    assert recording.texts_to(100) == ["в пути"]
    assert await statuses(database) == ["sent"]


@pytest.mark.looptime(False)
async def test_stop_does_not_wait_out_the_idle_pause(bot, database, clock):
    sender = OutboxSender(bot, database, clock)
    sender.start()
    await asyncio.sleep(0)  # let the loop begin its first pass; it then idles for 30 s
    async with asyncio.timeout(5):
        await sender.stop()


@pytest.mark.parametrize("enabled", [True, False])
async def test_only_the_process_told_to_send_starts_the_sender(settings, database, bot, enabled):
    settings = settings.model_copy(update={"outbox_sender": enabled})
    dp = build_dispatcher(settings, database)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    try:
        assert dp["outbox"].running is enabled
        assert dp["scheduler"] is not None  # due work is ticked in every process
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
    assert not dp["outbox"].running
