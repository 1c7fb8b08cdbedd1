"""The engine and session factory: the same code on SQLite (default) and PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from contextvars import ContextVar

from sqlalchemy import Connection, event
from sqlalchemy.engine.interfaces import DBAPIConnection
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.pool import AsyncAdaptedQueuePool, ConnectionPoolEntry

from storage.sqlite_inline import inline_creator

# The unit of work of the update being handled, so that the FSM storage reads and writes
# the state in the update's own transaction: a step's state and data commit together, and
# the storage never waits on a write turn its own update holds.
_current: ContextVar[UpdateWork | None] = ContextVar("current_work", default=None)

# The write pool of SQLite: one connection is the one writer, and its checkout queue (first
# come, first served) is the writers' turn. Long waits are normal under load, not a fault;
# PostgreSQL's pool gets the same patience.
WRITE_TURN_TIMEOUT = 300.0


AfterCommit = Callable[[], Awaitable[None]]


def after_commit(session: AsyncSession) -> list[AfterCommit]:
    """What must run once this session's transaction committed, in order; a rolled-back
    one runs none. A unit of work runs them after each of its commits."""
    hooks: list[AfterCommit] = session.info.setdefault("after_commit", [])
    return hooks


PendingWrite = Callable[[AsyncSession], Awaitable[None]]


def write_before_commit(session: AsyncSession, name: str, write: PendingWrite) -> None:
    """Have `write(session)` send what it keeps in memory (the FSM rows) just before the
    session's transaction commits, in it, once however often it is asked for under `name`:
    so a step's state and data are one statement, and commit with the rest of the step."""
    pending: dict[str, PendingWrite] = session.info.setdefault("pending_writes", {})
    pending.setdefault(name, write)


async def run_pending_writes(session: AsyncSession) -> None:
    pending: dict[str, PendingWrite] = session.info.get("pending_writes", {})
    while pending:
        name = next(iter(pending))
        await pending.pop(name)(session)


def mark_written(session: AsyncSession) -> None:
    """The session's transaction changes something outside the database (the FSM state in
    Redis, written after the commit): it records the update's id like a write would."""
    session.info["wrote"] = True


def signal_after_commit(session: AsyncSession, name: str) -> None:
    """Once this transaction commits, call what the process listens with for `name`
    (`Database.listen`), once however often it is signalled: e.g. wake the outbox sender
    for the notices the transaction queued, without the storage knowing of a sender."""
    signals: set[str] = session.info.setdefault("signals", set())
    signals.add(name)


async def run_after_commit(session: AsyncSession) -> None:
    for hook in session.info.pop("after_commit", []):
        await hook()
    database = session.info.get("database")
    for name in sorted(session.info.pop("signals", ())):
        for listener in database.listeners.get(name, []) if database is not None else []:
            listener()


class WriteOnReadSession(RuntimeError):
    """A handler flagged `reads_only` tried to write: flag it wrongly, lose the write."""


class AlreadyApplied(Exception):
    """The update was applied meanwhile by another delivery of it (its id is recorded)."""


FirstWrite = Callable[[AsyncSession], Awaitable[bool]]


class UpdateWork:
    """The database work of one update: a read session from its start, and a write
    session from the moment a handler that may write is chosen (`begin_writing`).

    Neither holds a connection across a network call: `settle()` before every outgoing
    request commits what was written so far (with the update's id, recorded by
    `first_write` in the first transaction that writes anything) and runs its after-commit
    hooks, or just ends a transaction that wrote nothing, and ends the read transaction.
    Statements after the request begin a new transaction on the same session, which waits
    for the write turn again."""

    def __init__(self, database: Database, first_write: FirstWrite | None) -> None:
        self.database = database
        self.read = database.read_sessions()
        self.read.info["database"] = database
        self.write: AsyncSession | None = None
        self.first_write = first_write
        self.recorded = False  # the update's id is committed
        self.commits = 0  # transactions of this update that wrote something
        self.closed = False
        self.owner = asyncio.current_task()
        self.deferred: list[Callable[[], Awaitable[object]]] = []

    def session(self) -> AsyncSession:
        return self.write if self.write is not None else self.read

    async def begin_writing(self) -> AsyncSession:
        """The write session. The read transaction ends first: an update never holds a
        read connection while it waits for a write one (on PostgreSQL both come from one
        pool, which 100 updates in flight would otherwise drain and wait on forever)."""
        if self.read.in_transaction():
            await self.read.commit()
        if self.write is None:
            self.write = self.database.sessions()
            self.write.info["database"] = self.database
            self.write.info["wrote"] = False
        return self.write

    async def settle(self) -> None:
        """Commit (or end) what is open, so that no connection is held during a call."""
        if self.closed:
            return
        if changed := (
            self.read.new
            or self.read.dirty
            or self.read.deleted
            or list(self.read.info.get("pending_writes", ()))
        ):
            raise WriteOnReadSession(f"a write on the read session: {list(changed)!r}")
        write = self.write
        if write is not None and (
            write.in_transaction()
            or write.info.get("wrote")
            or write.info.get("after_commit")
            or write.info.get("pending_writes")
        ):  # a write outside the database (Redis FSM state) counts too: its id is recorded
            await self._commit_write(write)
        if self.read.in_transaction():
            await self.read.commit()  # a read-only one: a write in it fails loudly here
        while self.deferred:  # calls whose answer nobody waits for, in the order made
            await self.deferred.pop(0)()

    async def _commit_write(self, session: AsyncSession) -> None:
        await run_pending_writes(session)
        await session.flush()
        if session.info.get("wrote"):
            if not self.recorded and self.first_write is not None:
                if not await self.first_write(session):
                    await session.rollback()
                    raise AlreadyApplied
                self.recorded = True
            session.info["wrote"] = False
            self.commits += 1
        await session.commit()
        await run_after_commit(session)

    async def close(self, failed: bool) -> None:
        self.closed = True
        try:
            if self.write is not None:
                if failed:
                    await self.write.rollback()
                await self.write.close()
        finally:
            await self.read.close()


def _mark_writes(session_class: type[Session]) -> None:
    """`session.info["wrote"]` becomes True when the session sends a write: a flush that
    had something to do, or an INSERT, UPDATE or DELETE statement."""

    @event.listens_for(session_class, "after_flush")
    def _after_flush(session: Session, _context: object) -> None:
        session.info["wrote"] = True

    @event.listens_for(session_class, "do_orm_execute")
    def _on_execute(state: ORMExecuteState) -> None:
        if state.is_insert or state.is_update or state.is_delete:
            state.session.info["wrote"] = True


class _WriteSession(Session):
    pass


_mark_writes(_WriteSession)


class Database:
    """The engines: on SQLite a write engine whose pool holds one connection (the one
    writer; waiting for it is the write turn, in arrival order) and a read engine (plain
    BEGIN, WAL lets reads run beside the writer, `PRAGMA query_only`); on PostgreSQL one
    normal pool, reads in read-only transactions."""

    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.sqlite = url.startswith("sqlite")
        self.listeners: dict[str, list[Callable[[], object]]] = {}
        if self.sqlite:
            self.engine: AsyncEngine = create_async_engine(
                url,
                echo=echo,
                async_creator=inline_creator(url),
                poolclass=AsyncAdaptedQueuePool,
                pool_size=1,
                max_overflow=0,
                pool_timeout=WRITE_TURN_TIMEOUT,
                pool_reset_on_return=None,  # see _tune_sqlite
            )
            _tune_sqlite(self.engine, writer=True)
            self.read_engine: AsyncEngine = create_async_engine(
                url,
                echo=echo,
                async_creator=inline_creator(url),
                poolclass=AsyncAdaptedQueuePool,
                pool_size=5,
                max_overflow=10,
                pool_reset_on_return=None,
            )
            _tune_sqlite(self.read_engine, writer=False)
        else:
            # An update checks a connection out again after each request, so with many
            # in flight a wait for the pool is normal under load, as for SQLite's turn.
            self.engine = create_async_engine(url, echo=echo, pool_timeout=WRITE_TURN_TIMEOUT)
            self.read_engine = self.engine.execution_options(postgresql_readonly=True)
        self.sessions = async_sessionmaker(
            self.engine, expire_on_commit=False, sync_session_class=_WriteSession
        )
        self.read_sessions = async_sessionmaker(self.read_engine, expire_on_commit=False)

    @property
    def engines(self) -> list[AsyncEngine]:
        """Every engine with a pool of its own (for counting statements)."""
        return [self.engine, self.read_engine] if self.sqlite else [self.engine]

    def listen(self, name: str, listener: Callable[[], object]) -> None:
        """Call `listener` after each commit of a transaction that signalled `name`."""
        self.listeners.setdefault(name, []).append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """One unit of work: committed when the block ends, rolled back when it raises.
        Not to be nested in another transaction of the same database: join it instead."""
        async with self.sessions() as session, session.begin():
            session.info["database"] = self
            yield session
            await run_pending_writes(session)
        await run_after_commit(session)

    @asynccontextmanager
    async def reading(self) -> AsyncIterator[AsyncSession]:
        """A read-only snapshot for long reads (an export): it neither waits for writers
        nor holds them up, since SQLite in WAL mode lets readers and a writer run at once."""
        async with self.read_sessions() as session, session.begin():
            yield session

    @asynccontextmanager
    async def unit_of_work(self) -> AsyncIterator[AsyncSession]:
        """One write transaction that `current_or_new` inside it joins (due work)."""
        work = UpdateWork(self, None)
        session = await work.begin_writing()
        token = _current.set(work)
        try:
            async with session.begin():
                yield session
                await run_pending_writes(session)
        finally:
            _current.reset(token)
            work.closed = True
            await work.read.close()
        await run_after_commit(session)

    @asynccontextmanager
    async def update_work(self, first_write: FirstWrite | None) -> AsyncIterator[UpdateWork]:
        """The database work of one update (see `UpdateWork`): committed at the end (and
        before each outgoing request, `settle_current`), rolled back when it raises."""
        work = UpdateWork(self, first_write)
        token = _current.set(work)
        try:
            yield work
            await work.settle()
        except BaseException:
            _current.reset(token)
            await work.close(failed=True)
            raise
        _current.reset(token)
        await work.close(failed=False)

    def current_work(self) -> UpdateWork | None:
        work = _current.get()
        if work is None or work.database is not self or work.closed:
            return None
        if work.owner is not asyncio.current_task():  # a task it started, e.g. Background
            return None
        return work

    def current(self) -> AsyncSession | None:
        """The session of the update being handled, if any: its write session once a
        handler that writes runs, its read session before."""
        work = self.current_work()
        return work.session() if work is not None else None

    @asynccontextmanager
    async def current_or_new(self) -> AsyncIterator[AsyncSession]:
        current = self.current()
        if current is not None:
            yield current
            return
        async with self.transaction() as session:
            yield session

    async def dispose(self) -> None:
        await self.engine.dispose()
        if self.read_engine is not self.engine and self.sqlite:
            await self.read_engine.dispose()


def defer_until_settled(call: Callable[[], Awaitable[object]]) -> bool:
    """Make `call` at the current update's next settling (before its next request, or
    at its end) instead of now; False outside an update (then make it now). For calls
    whose answer the handler does not use, so the writes before and after them still
    commit together."""
    work = _current.get()
    if work is None or work.closed or work.owner is not asyncio.current_task():
        return False
    work.deferred.append(call)
    return True


async def settle_current() -> None:
    """Before a network call: commit or end the current update's open transactions, so
    no database lock (nor SQLite's write turn) is held while waiting for the answer."""
    work = _current.get()
    if work is None or work.closed or work.owner is not asyncio.current_task():
        return
    await work.settle()


def _tune_sqlite(engine: AsyncEngine, *, writer: bool) -> None:
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
        if not writer:  # a write on a read session fails loudly instead of taking a lock
            cursor.execute("PRAGMA query_only=ON")
        cursor.close()

    # The pool's ROLLBACK on every return is a thread hop more per session (one after each
    # COMMIT): it is off, since every session ends its transaction itself. Should one ever
    # come back in a transaction (a cancellation at the wrong moment), it is rolled back
    # at its next checkout — the flag is read without a hop — instead of keeping the lock.
    @event.listens_for(engine.sync_engine, "checkout")
    def _on_checkout(dbapi_connection: DBAPIConnection, *_: object) -> None:
        driver = getattr(dbapi_connection, "driver_connection", None)
        if driver is not None and driver.in_transaction:
            dbapi_connection.rollback()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if not writer:
            conn.exec_driver_sql("BEGIN")
            return
        # Take the write lock at BEGIN: two concurrent read-then-write transactions would
        # otherwise deadlock on the upgrade and one would fail with "database is locked"
        # (another process, such as the CLI, may be writing too).
        conn.exec_driver_sql("BEGIN IMMEDIATE")
