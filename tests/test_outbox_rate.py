"""The sender over time: Telegram's limits (30 messages/s overall, 1/s per chat) and the
background loop.

The limits are checked on the FrozenClock: the sender paces and waits on the clock it is
given, so these seconds pass at once while the event loop, the database and the Bot API
keep real time. Every wait of the sender is on that clock, so each test is bounded by a
few real seconds (`asyncio.timeout`) in case a sender never finishes. The start/wake/stop
tests run on the system clock with short bounds, since there the point is that nothing
waits for a timeout.
"""

from __future__ import annotations

import asyncio
import itertools
from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.app import build_dispatcher
from bot.clock import SystemClock
from bot.delivery import OutboxSender, Throttle
from bot.services.outbox import Notice, QuietHours, enqueue
from storage.models import OutboxMessage
from tests.harness.clock import FrozenClock

REAL_BOUND = 10  # seconds of real time any one wait in these tests may take


async def send_through(throttle: Throttle, chat_id: int, log: list[tuple[int, float]]) -> None:
    await throttle.acquire()
    log.append((chat_id, throttle.clock.monotonic()))


def times(log: list[tuple[int, float]], chat_id: int | None = None) -> list[float]:
    return [at for chat, at in log if chat_id is None or chat == chat_id]


async def test_throttle_sends_90_chats_at_30_per_second(clock):
    throttle, log = Throttle(clock), []
    start = clock.monotonic()

    await asyncio.gather(*(send_through(throttle, chat, log) for chat in range(90)))

    # Evenly paced, no opening burst: the 90th message leaves at 89/30 s, plus the margin
    # (20 ms) that each full second of sends keeps.
    assert clock.monotonic() - start == pytest.approx(89 / 30 + 2 * 0.02, abs=1e-3)
    # No second holds more than 30: any 31 consecutive sends span at least a second.
    stamps = times(log)
    assert all(stamps[i + 30] - stamps[i] >= 1 - 1e-3 for i in range(len(stamps) - 30))


class OversleepingClock(FrozenClock):
    """Every sleep comes back 5 ms late, as a busy event loop's do."""

    async def sleep(self, seconds: float) -> None:
        await super().sleep(seconds + 0.005 if seconds > 0 else seconds)


async def test_late_sends_do_not_slow_the_pace_and_never_break_the_limit():
    clock = OversleepingClock()
    throttle, log = Throttle(clock), []
    start = clock.monotonic()

    await asyncio.gather(*(send_through(throttle, chat, log) for chat in range(300)))

    # The late milliseconds are caught up, but for each second's margin (20 ms) and the
    # lateness of the send that ends it: 29.3/s. Pushed back one by one, the sends took
    # 11.5 s, 26.1/s.
    assert 299 / 30 <= clock.monotonic() - start < 10.3
    stamps = times(log)
    assert all(stamps[i + 30] - stamps[i] >= 1.02 - 1e-3 for i in range(len(stamps) - 30))
    assert all(b - a >= 0.5 / 30 - 1e-6 for a, b in itertools.pairwise(stamps))


async def test_after_a_pause_the_pace_starts_even_again(clock):
    throttle, log = Throttle(clock), []
    await asyncio.gather(*(send_through(throttle, chat, log) for chat in range(10)))
    clock.advance(seconds=5)
    log.clear()

    await asyncio.gather(*(send_through(throttle, chat, log) for chat in range(10, 40)))

    stamps = times(log)
    assert all(b - a == pytest.approx(1 / 30, abs=1e-6) for a, b in itertools.pairwise(stamps))


# --- the same limits through the sender, its database and the background loop ------------


class Stamps(list[tuple[int, float]]):
    """The clock's time of every request the fake Bot API received, by chat."""

    def __init__(self, clock) -> None:
        super().__init__()
        self.clock = clock
        self._grew = asyncio.Event()

    def add(self, chat_id: int) -> None:
        self.append((chat_id, self.clock.monotonic()))
        self._grew.set()

    async def reached(self, count: int) -> None:  # bounded by the caller
        while len(self) < count:
            self._grew.clear()
            await self._grew.wait()


@pytest.fixture
def stamped(recording, clock) -> Stamps:
    stamps = Stamps(clock)
    real_request = recording.make_request

    async def make_request(bot, method, timeout=None):
        stamps.add(int(method.chat_id))  # when the request left, not when it was answered
        return await real_request(bot, method, timeout)

    recording.make_request = make_request
    return stamps


async def run_until_sent(sender: OutboxSender, stamped: Stamps, count: int) -> None:
    sender.start()
    try:
        async with asyncio.timeout(REAL_BOUND):
            await stamped.reached(count)
    finally:
        await sender.stop()


async def test_sender_keeps_to_30_per_second_overall(bot, database, clock, stamped):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *(Notice(1000 + i, f"№{i}") for i in range(90)))
    sender = OutboxSender(bot, database, clock)
    start = clock.monotonic()

    await run_until_sent(sender, stamped, 90)

    assert sorted(chat for chat, _ in stamped) == [1000 + i for i in range(90)]
    assert max(times(stamped)) - start >= 89 / 30 - 1e-3
    stamps = sorted(times(stamped))
    assert all(stamps[i + 30] - stamps[i] >= 1 - 1e-3 for i in range(len(stamps) - 30))


async def test_sender_spaces_one_chat_and_lets_others_through(
    bot, database, clock, recording, stamped
):
    async with database.transaction() as session:
        await enqueue(session, clock.now(), *(Notice(7, f"подряд {i}") for i in range(3)))
        await enqueue(session, clock.now(), *(Notice(chat, "соседу") for chat in range(10, 15)))
    sender = OutboxSender(bot, database, clock)
    start = clock.monotonic()

    await run_until_sent(sender, stamped, 8)

    to_seven = [at - start for at in times(stamped, 7)]
    assert to_seven[1] - to_seven[0] >= 1 - 1e-3
    assert to_seven[2] - to_seven[1] >= 1 - 1e-3
    assert all(at - start < 1 for chat in range(10, 15) for at in times(stamped, chat))
    assert recording.texts_to(7) == ["подряд 0", "подряд 1", "подряд 2"]  # in the order queued


async def test_a_busy_chat_does_not_hold_up_rows_that_fall_due_meanwhile(
    bot, database, clock, stamped
):
    now = clock.now()
    async with database.transaction() as session:
        await enqueue(session, now, *(Notice(7, f"подряд {i}") for i in range(3)))
        # Due half a second later, while chat 7 waits for its second message.
        later = now + timedelta(seconds=0.5)
        await enqueue(session, later, *(Notice(chat, "соседу") for chat in range(10, 15)))
    start = clock.monotonic()

    await run_until_sent(OutboxSender(bot, database, clock), stamped, 8)

    to_seven = [at - start for at in times(stamped, 7)]
    assert to_seven[1] >= 1 - 1e-3
    for chat in range(10, 15):
        [at] = times(stamped, chat)
        assert 0.5 - 1e-3 <= at - start < to_seven[1]


# --- the background loop on the real clock ------------------------------------------------
# On the FrozenClock an idle pause would pass at once; here it must really be cut short.
# Whatever the hour of the run, nothing is held for quiet hours.


def real_time_sender(bot, database) -> OutboxSender:
    return OutboxSender(bot, database, SystemClock(), quiet_hours=QuietHours.never())


async def statuses(database) -> list[str]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage.status).order_by(OutboxMessage.id)))


async def test_the_background_loop_sends_what_is_queued_and_woken_for(
    bot, database, recording, stamped
):
    clock = SystemClock()
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "до запуска"))
    sender = real_time_sender(bot, database)
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


async def test_stop_waits_for_the_send_in_flight_and_records_it(bot, database, recording):
    clock = SystemClock()
    async with database.transaction() as session:
        await enqueue(session, clock.now(), Notice(100, "в пути"))
    real_request = recording.make_request
    in_flight, answer = asyncio.Event(), asyncio.Event()

    async def slow(bot, method, timeout=None):
        in_flight.set()
        await answer.wait()
        return await real_request(bot, method, timeout)

    recording.make_request = slow
    sender = real_time_sender(bot, database)
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


async def test_stop_does_not_wait_out_the_idle_pause(bot, database):
    sender = real_time_sender(bot, database)
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
