"""Telegram's global limit for the outbox sender, on the injected clock."""

from __future__ import annotations

import asyncio
import logging
from collections import deque

from bot.clock import Clock

log = logging.getLogger(__name__)

# When this many different chats are told to wait (429) within FLOOD_WINDOW seconds, it is
# the bot as a whole that goes too fast: the global pace is halved.
FLOOD_CHATS = 3
FLOOD_WINDOW = 10.0


class Throttle:
    """Telegram's global limit: `global_rate` messages a second, on the injected clock.

    Never on the event loop's clock: a test fakes the clock and so runs these seconds at
    once, while the database and the Bot API it talks to keep real loop time and their real
    timeouts. It is a slot pacer: sends take slots `1 / global_rate` apart, one after
    another, in the order they asked. (aiolimiter, used here before, reads the event loop's
    clock and cannot be given another; one slot refilled at the rate is all of it we used.)
    Evenly spaced slots also mean no opening burst: a bucket of 30 would let a burst of 30
    go on top of the steady rate, up to 59 messages in the first second of a broadcast.
    The slots keep to their schedule when a send leaves a little late (the loop was busy,
    a sleep overslept): the next send may follow it sooner, down to `CATCH_UP` of a slot,
    as long as no `global_rate` + 1 sends fall within `global_rate` slots (one second) and
    `WINDOW_MARGIN`: the margin is for a request that reaches Telegram a little later than
    its slot. Pushing every later slot back instead lost each late millisecond: 28.5/s.

    A chat's limit (1 a second) lives in the table, not here, so that it holds for every
    sender over the database: see the module's docstring.
    """

    def __init__(self, clock: Clock, global_rate: int = 30) -> None:
        self.clock = clock
        self._base_slot = self._slot = 1 / global_rate
        self._next_slot: float | None = None
        self._turn = asyncio.Lock()  # slots are handed out in the order they were asked for
        self._sent: deque[float] = deque(maxlen=global_rate)  # when the last sends left
        self._floods: deque[tuple[float, int]] = deque()  # (when, chat) of recent 429s

    @property
    def rate(self) -> float:
        """Messages a second now: the configured rate, or less after a flood."""
        return 1 / self._slot

    def flooded(self, chat_id: int) -> None:
        """Telegram told a chat to wait. One chat is that chat's business (its row waits);
        several within seconds mean the bot is too fast overall: halve the pace, down to
        one message a second."""
        now = self.clock.monotonic()
        self._floods.append((now, chat_id))
        while self._floods and self._floods[0][0] < now - FLOOD_WINDOW:
            self._floods.popleft()
        if len({chat for _, chat in self._floods}) >= FLOOD_CHATS:
            self._floods.clear()
            self._slot = min(self._slot * 2, 1.0)
            log.warning("outbox: Telegram asks many chats to wait; pace now %.1f/s", self.rate)

    def delivered(self) -> None:
        """A send went through: the pace creeps back to the configured rate."""
        self._slot = max(self._base_slot, self._slot * 0.98)

    async def acquire(self) -> None:
        """Wait for the next slot; the send follows at once."""
        async with self._turn:
            now = self.clock.monotonic()
            slot = now if self._next_slot is None else max(now, self._next_slot)
            earliest = slot
            if self._sent:  # a late send's successor may come sooner, within the window
                window_start = self._sent[0] + len(self._sent) * self._slot
                if len(self._sent) == self._sent.maxlen:
                    window_start += WINDOW_MARGIN
                earliest = max(slot, self._sent[-1] + CATCH_UP * self._slot, window_start)
            if earliest - now > _TIME_EPSILON:
                await self.clock.sleep(earliest - now)
                # Never earlier than the slot, even if the sleep came back a hair early.
                now = max(self.clock.monotonic(), earliest)
            self._sent.append(now)
            self._next_slot = slot + self._slot


CATCH_UP = 0.5  # of a slot: the closest two sends may come while catching up
WINDOW_MARGIN = 0.02  # seconds added to each second's worth of sends: 29.4/s at most
_TIME_EPSILON = 1e-6  # seconds: below the clock's resolution; float noise, not a wait
