"""SQLite calls made on the event loop's own thread, not through aiosqlite's worker thread.

aiosqlite runs every call (each execute, fetch, commit) in a thread of its own and hands
the result back through the event loop: two thread switches and a loop wake-up per call,
about 0.3 ms, where the call itself takes a few microseconds to a tenth of a millisecond
on a local file in WAL mode. An update makes some twenty such calls. Here the same
aiosqlite connection runs them at once, in the caller's thread: SQLAlchemy's aiosqlite
dialect and everything above it stay as they are.

What it costs: a call blocks the loop while it runs. That is the time of the query itself
— short, as the bot's are indexed lookups, small writes and chunked reads — and a writer
never waits for SQLite's lock inside a call, since the process's writes take turns on the
one write connection before they reach SQLite (storage/db.py). Several bot processes over
one SQLite file could make a call wait up to the busy timeout for another's lock; that
setup is PostgreSQL's (README, «Scaling out»).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from typing import Any

import aiosqlite
from sqlalchemy.engine import make_url


class _RunNow:
    """Stands in for the queue to aiosqlite's worker: runs what is put in it at once
    (aiosqlite and SQLAlchemy put a few calls there directly, not through `_execute`)."""

    def put_nowait(self, item: tuple[Any, Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as error:  # handed to the awaiting caller, as the worker does
            if future is not None:
                future.set_exception(error)
        else:
            if future is not None:
                future.set_result(result)


class InlineConnection(aiosqlite.Connection):
    def __init__(self, connector: Callable[[], sqlite3.Connection]) -> None:
        super().__init__(connector, iter_chunk_size=64)
        self._tx = _RunNow()  # type: ignore[assignment]

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)

    def __await__(self) -> Any:
        return self._connect().__await__()  # no worker thread to start


def inline_creator(url: str) -> Callable[[], Any]:
    """`create_async_engine(url, async_creator=inline_creator(url))` for a file database."""
    path = make_url(url).database or ""

    async def connect() -> InlineConnection:
        return await InlineConnection(lambda: sqlite3.connect(path, check_same_thread=True))

    return connect
