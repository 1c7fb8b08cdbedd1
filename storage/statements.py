"""Statement helpers every feature uses the same way, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, Executable
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT for `table`, which has `on_conflict_do_nothing/update`
    (SQLite 3.24+ and PostgreSQL)."""
    if session.get_bind().dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)


async def rows_changed(session: AsyncSession, statement: Executable) -> int:
    """Run an INSERT, UPDATE or DELETE and say how many rows it changed: the answer to a
    compare-and-set («was it still mine?») or an insert-or-ignore («was it new?»)."""
    result = cast(CursorResult[Any], await session.execute(statement))
    return int(result.rowcount)
