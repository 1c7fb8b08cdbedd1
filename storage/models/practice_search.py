"""The practices' full-text index: not a mapped table, since its shape is each database's
own — an FTS5 virtual table on SQLite, a tsvector side table with a GIN index on PostgreSQL.

Both hold *search keys* (Snowball stems, `bot.services.russian_words.search_key`), made in
Python when a practice is indexed, so that both databases match exactly the same forms;
the original text stays in `practices` for display. `create_all` / `drop_all` build and
drop it through the metadata events below (the tests' databases), migration 0013 does
the same for real ones; autogenerate and the schema check skip it (`include_name`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, event

from storage.models.base import Base

TABLE = "practice_search"

# SQLite: the practice's id is the FTS5 rowid (a delete by rowid is a lookup; by an
# UNINDEXED column it would be a scan). Keys are already lower case and plain letters, so
# unicode61 has only to split them; diacritics stay (it would fold «й» into «и»).
# A deleted practice leaves the index by the trigger, as PostgreSQL's cascade does.
# (A batch migration that copies `practices` drops the trigger: create it again there.)
SQLITE_CREATE = (
    f"CREATE VIRTUAL TABLE {TABLE} USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
    f"CREATE TRIGGER {TABLE}_forget AFTER DELETE ON practices BEGIN "
    f"DELETE FROM {TABLE} WHERE rowid = old.id; END",
)
SQLITE_DROP = (f"DROP TRIGGER IF EXISTS {TABLE}_forget", f"DROP TABLE IF EXISTS {TABLE}")

# PostgreSQL: `document` is setweight(to_tsvector('simple', title keys), 'A') ||
# setweight(to_tsvector('simple', body keys), 'B'). Not the `russian` configuration: it is
# Snowball too, so «наставник» and «наставничества» stay apart there as well (наставник /
# наставничеств), and the index would disagree with SQLite's; 'simple' over the keys
# Python made only splits and lower-cases, so both databases find the same practices.
POSTGRES_CREATE = (
    f"CREATE TABLE {TABLE} ("
    "practice_id integer PRIMARY KEY REFERENCES practices (id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    f"CREATE INDEX ix_{TABLE}_document ON {TABLE} USING gin (document)",
)
POSTGRES_DROP = (f"DROP TABLE IF EXISTS {TABLE}",)


def create_statements(dialect: str) -> tuple[str, ...]:
    return SQLITE_CREATE if dialect == "sqlite" else POSTGRES_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    return SQLITE_DROP if dialect == "sqlite" else POSTGRES_DROP


def include_name(name: str | None, type_: str, _parent_names: Any) -> bool:
    """For Alembic's comparison: the index and FTS5's own shadow tables
    (practice_search_data, _idx, _content, _docsize, _config) are not the models'."""
    return not (type_ == "table" and name is not None and name.startswith(TABLE))


@event.listens_for(Base.metadata, "after_create")
def _create(_target: object, connection: Connection, **_kw: Any) -> None:
    for statement in create_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)


@event.listens_for(Base.metadata, "before_drop")
def _drop(_target: object, connection: Connection, **_kw: Any) -> None:
    # Before `practices` goes: on PostgreSQL the index refers to it.
    for statement in drop_statements(connection.dialect.name):
        connection.exec_driver_sql(statement)
