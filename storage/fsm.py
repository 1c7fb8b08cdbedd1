"""aiogram FSM storage in our database, so a conversation survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import AsyncSession

from storage.db import Database
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
        return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        # A round trip through JSON now, so data that a real store could not keep fails
        # in the handler that put it there, not after a restart.
        await self._write(key, data=json.loads(json.dumps(dict(data))))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        record = await self._read(key)
        return dict(record.data) if record else {}

    async def close(self) -> None:
        """The database belongs to the application, which closes it."""

    async def _read(self, key: StorageKey) -> FsmRecord | None:
        async with self.database.current_or_new() as session:
            return await self._load(session, record_key(key))

    async def _load(self, session: AsyncSession, key: str) -> FsmRecord | None:
        """The row as this session knows it; the write session of an update takes it over
        from the update's read session (routing read it) instead of reading it again —
        the person's updates take turns, so it cannot have changed meanwhile."""
        cache = _records(session)
        work = self.database.current_work()
        if key not in cache and work is not None and session is work.write:
            read_cache = _records(work.read)
            if key in read_cache:
                record = read_cache[key]
                cache[key] = None if record is None else await session.merge(record, load=False)
        return await _load(session, key)

    async def _write(self, key: StorageKey, **values: Any) -> None:
        async with self.database.current_or_new() as session:
            record = await self._load(session, record_key(key))
            state = values.get("state", record.state if record else None)
            data = values.get("data", record.data if record else {})
            cache = _records(session)
            if state is None and not data:
                if record is not None:
                    if record in session.new:  # never written: nothing to delete
                        session.expunge(record)
                    else:
                        await session.delete(record)
                    cache[record.key] = None
                return
            if record is None:
                record = FsmRecord(key=record_key(key))
                session.add(record)
                cache[record.key] = record
            record.state, record.data, record.updated_at = state, data, datetime.now(UTC)


def _records(session: AsyncSession) -> dict[str, FsmRecord | None]:
    """The update's FSM rows as read or written in this session, absent ones included:
    aiogram asks for the state and the data separately and `clear()` writes both, and
    each would otherwise be one more statement (the identity map remembers only rows that
    exist). A new row is inserted once, at the commit, with its final state and data."""
    cache: dict[str, FsmRecord | None] = session.info.setdefault("fsm_records", {})
    return cache


async def _load(session: AsyncSession, key: str) -> FsmRecord | None:
    cache = _records(session)
    if key not in cache:
        cache[key] = await session.get(FsmRecord, key)
    return cache[key]
