"""INSERT … ON CONFLICT, the same on SQLite (3.24+) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


def dialect_insert(session: AsyncSession, table: Any) -> Any:
    """The dialect's INSERT for `table`, which has `on_conflict_do_nothing/update`."""
    bind = session.get_bind()
    if bind.dialect.name == "postgresql":
        return postgresql.insert(table)
    return sqlite.insert(table)
