"""FSM state kept outside the database (Redis), written only once the update committed.

With the state in our database, a step's state and its data commit together. A store
outside it would otherwise move the state while the handler runs: an update that then
fails, or dies, has its data rolled back but its state moved on, and its redelivery is
read as the answer to the next question. So the writes of an update are buffered in its
session and applied after its commit (`storage.db.after_commit`), while the person's event
isolation lock is still held; an update that fails never applies them.

One window stays: a crash after the commit and before the store is written leaves the
update applied (its id recorded) and the conversation one step back — the person is asked
the same question again, nothing is applied twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey

from storage.db import Database, WriteOnReadSession, after_commit, mark_written


class WrittenAfterCommit(BaseStorage):
    def __init__(self, inner: BaseStorage, database: Database) -> None:
        self.inner = inner
        self.database = database

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        value = state.state if isinstance(state, State) else state
        if (pending := self._pending()) is None:
            await self.inner.set_state(key, value)
        else:
            pending.setdefault(key, {})["state"] = value

    async def get_state(self, key: StorageKey) -> str | None:
        values = self._buffered(key)
        return values["state"] if "state" in values else await self.inner.get_state(key)

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        copied = json.loads(json.dumps(dict(data)))  # what the store would give back
        if (pending := self._pending()) is None:
            await self.inner.set_data(key, copied)
        else:
            pending.setdefault(key, {})["data"] = copied

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        values = self._buffered(key)
        return dict(values["data"]) if "data" in values else await self.inner.get_data(key)

    async def close(self) -> None:
        await self.inner.close()

    def _buffered(self, key: StorageKey) -> dict[str, Any]:
        """What this update wrote for `key` and has not flushed: "state" and/or "data"."""
        work = self.database.current_work()
        if work is None or work.write is None:
            return {}
        pending: dict[StorageKey, dict[str, Any]] = work.write.info.get("fsm_pending", {})
        return pending.get(key, {})

    def _pending(self) -> dict[StorageKey, dict[str, Any]] | None:
        """This update's writes, flushed after the commit of its write transaction; None
        outside an update. A handler on the read session (`reads_only`) may not write."""
        work = self.database.current_work()
        if work is None:
            return None
        if work.write is None:
            raise WriteOnReadSession("FSM state written by a handler flagged reads_only")
        session = work.write
        mark_written(session)  # so the update's id commits with the state it moves
        if "fsm_pending" not in session.info:
            pending: dict[StorageKey, dict[str, Any]] = {}
            session.info["fsm_pending"] = pending

            async def flush() -> None:
                # Writes after this commit (after a reply) go to a new buffer and hook.
                session.info.pop("fsm_pending", None)
                for key, values in pending.items():
                    if "state" in values:
                        await self.inner.set_state(key, values["state"])
                    if "data" in values:
                        await self.inner.set_data(key, values["data"])

            after_commit(session).append(flush)
        buffered: dict[StorageKey, dict[str, Any]] = session.info["fsm_pending"]
        return buffered
