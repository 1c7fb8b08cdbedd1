"""aiogram FSM storage in our database, so a conversation survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database, write_before_commit
from storage.models import FsmRecord


def record_key(key: StorageKey) -> str:
    """Every field of the StorageKey, so bots, threads and business chats never share state."""
    return ":".join(
        str(part)
        for part in (
            key.bot_id,
            key.chat_id,
            key.user_id,
            key.thread_id or "",
            key.business_connection_id or "",
            key.destiny,
        )
    )


class DatabaseStorage(BaseStorage):
    def __init__(self, database: Database) -> None:
        self.database = database

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        await self._write(key, state=value)

    async def get_state(self, key: StorageKey) -> str | None:
        record = await self._read(key)
        return record[0] if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # A round trip through JSON now, so data that a real store could not keep fails
        # in the handler that put it there, not after a restart.
        await self._write(key, data=json.loads(json.dumps(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(key)
        return dict(record[1]) if record else {}

    async def close(self) -> None:
        """The database belongs to the application, which closes it."""

    async def _read(self, key: StorageKey) -> _Record | None:
        async with self.database.current_or_new() as session:
            return await self._load(session, record_key(key))

    async def _load(self, session: AsyncSession, key: str) -> _Record | None:
        """The row as this session knows it; the write session of an update takes it over
        from the update's read session (routing read it) instead of reading it again —
        the person's updates take turns, so it cannot have changed meanwhile."""
        cache = _Cache.of(session)
        work = self.database.current_work()
        if key not in cache.records and work is not None and session is work.write:
            read = _Cache.of(work.read)
            if key in read.records:
                cache.records[key] = read.records[key]
                cache.stored[key] = read.records[key] is not None
        if key not in cache.records:
            row = (await session.execute(_SELECT, {"fsm_key": key})).first()
            cache.records[key] = None if row is None else (row.state, row.data)
            cache.stored[key] = row is not None
        return cache.records[key]

    async def _write(self, key: StorageKey, **values: Any) -> None:
        async with self.database.current_or_new() as session:
            name = record_key(key)
            record = await self._load(session, name)
            state = values.get("state", record[0] if record else None)
            data = values.get("data", record[1] if record else {})
            cache = _Cache.of(session)
            cache.records[name] = None if state is None and not data else (state, data)
            cache.changed.add(name)
            write_before_commit(session, "fsm", _write_changed)


# The state and the data; absent: no row.
_Record = tuple[str | None, dict[str, Any]]


class _Cache:
    """The update's FSM rows as read or written in this session, absent ones included, as
    plain values (a mapped object's loading and flushing cost more than the statements):
    aiogram asks for the state and the data separately and `clear()` writes both, and each
    would otherwise be one more statement. What changed is written once, just before the
    transaction commits (`storage.db.write_before_commit`), with its final state and data:
    a new row is inserted once, a row cleared is deleted, one never written is not."""

    __slots__ = ("changed", "records", "stored")

    def __init__(self) -> None:
        self.records: dict[str, _Record | None] = {}
        self.stored: dict[str, bool] = {}  # the row exists in the database, as written so far
        self.changed: set[str] = set()

    @staticmethod
    def of(session: AsyncSession) -> _Cache:
        cache = session.info.get("fsm_records")
        if cache is None:
            cache = session.info["fsm_records"] = _Cache()
        return cache


async def _write_changed(session: AsyncSession) -> None:
    cache = _Cache.of(session)
    now = datetime.now(UTC)
    for key in sorted(cache.changed):
        record, stored = cache.records[key], cache.stored.get(key, False)
        if record is None:
            if stored:
                await session.execute(_DELETE, {"fsm_key": key})
        elif stored:
            await session.execute(
                _UPDATE,
                {"fsm_key": key, "fsm_state": record[0], "fsm_data": record[1], "fsm_at": now},
            )
        else:
            await session.execute(
                _INSERT,
                {"fsm_key": key, "fsm_state": record[0], "fsm_data": record[1], "fsm_at": now},
            )
        cache.stored[key] = record is not None
    cache.changed.clear()


# Built once: every update reads its state, and building a statement costs more than running it.
_columns = FsmRecord.__table__.c
_KEY = bindparam("fsm_key", type_=_columns.key.type)
_STATE = bindparam("fsm_state", type_=_columns.state.type)
_DATA = bindparam("fsm_data", type_=_columns.data.type)
_AT = bindparam("fsm_at", type_=_columns.updated_at.type)
_SELECT = select(FsmRecord.state, FsmRecord.data).where(FsmRecord.key == _KEY)
_UPDATE = (
    update(FsmRecord).where(FsmRecord.key == _KEY).values(state=_STATE, data=_DATA, updated_at=_AT)
)
_INSERT = insert(FsmRecord).values(key=_KEY, state=_STATE, data=_DATA, updated_at=_AT)
_DELETE = delete(FsmRecord).where(FsmRecord.key == _KEY)
