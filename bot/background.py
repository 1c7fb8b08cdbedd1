"""Work a handler starts and does not wait for, such as building a large export.

The update is answered at once and the next ones are handled meanwhile; the task is kept
here so it is not garbage-collected half-way, and shutdown waits for it. Such work must
tell the person itself when it ends, and must not be owed: an export lost in a crash is
simply asked for again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger(__name__)


class Background:
    def __init__(self) -> None:
        self._tasks: set[asyncio.Task[Any]] = set()

    def spawn(self, work: Coroutine[Any, Any, Any], name: str) -> None:
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._finished)

    def _finished(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("background task %s failed", task.get_name(), exc_info=task.exception())

    async def drain(self) -> None:
        """Wait for everything started so far, and for what that starts in turn."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
