"""The engine and session factory: the same code on SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager, nullcontext
from contextvars import ContextVar

from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import ConnectionPoolEntry

# The transaction of the update being handled, so that the FSM storage writes a step's
# state in the same transaction as the step's data: both commit or neither does, and the
# storage never waits on a write lock its own update holds.
_current: ContextVar[tuple[Database, AsyncSession] | None] = ContextVar("current_tx", default=None)


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession) -> list[AfterCommit]:
    """What must run once this session's transaction committed, in order (the update's
    middleware runs them with `run_after_commit`); a rolled-back one runs none."""
    hooks: list[AfterCommit] = session.info.setdefault("after_commit", [])
    return hooks


async def run_after_commit(session: AsyncSession) -> None:
    for hook in session.info.pop("after_commit", []):
        await hook()


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.engine: AsyncEngine = create_async_engine(url, echo=echo)
        sqlite = self.engine.dialect.name == "sqlite"
        if sqlite:
            _tune_sqlite(self.engine)
        # SQLite has one writer. Writers of this process queue here, first come first
        # served, instead of in SQLite's busy handler, which sleeps and retries and can let
        # a newcomer win while an early writer times out with "database is locked".
        self._writer = asyncio.Lock() if sqlite else None
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = async_sessionmaker(
            self.engine.execution_options(read_only=True), expire_on_commit=False
        )

    def _write_turn(self) -> AbstractAsyncContextManager[object]:
        return self._writer if self._writer is not None else nullcontext()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back when it raises.
        Not to be nested in another transaction of the same database: join it instead."""
        async with self._write_turn(), self.sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot for long reads (an export): it neither waits for writers
        nor holds them up, since SQLite in WAL mode lets readers and a writer run at once."""
        async with self._read_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """The transaction of one update; `current_or_new` inside it joins it."""
        async with self.transaction() as session:
            token = _current.set((self, session))
            try:
                yield session
            finally:
                _current.reset(token)

    def current(self) -> AsyncSession | None:
        """The session of the update being handled, if any."""
        current = _current.get()
        return current[1] if current is not None and current[0] is self else None

    @asynccontextmanager
    async def current_or_new(self) -> AsyncIterator[AsyncSession]:
        current = _current.get()
        if current is not None and current[0] is self:
            yield current[1]
            return
        async with self.transaction() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()


def _tune_sqlite(engine: AsyncEngine) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: DBAPIConnection, _record: ConnectionPoolEntry) -> None:
        # WAL lets the outbox sender read while a handler writes; the busy timeout makes
        # writers queue instead of failing; SQLite leaves foreign keys off unless asked.
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get("read_only"):
            conn.exec_driver_sql("BEGIN")
            return
        # Take the write lock at BEGIN: two concurrent read-then-write transactions would
        # otherwise deadlock on the upgrade and one would fail with "database is locked"
        # (another process, such as the CLI, may be writing too).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
