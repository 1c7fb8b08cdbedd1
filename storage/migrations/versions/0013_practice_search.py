"""practice search: the full-text index of published practices (FTS5 / tsvector + GIN)

The statements are written out here, not imported, so this step stays what it was when
the models' DDL (`storage/models/practice_search.py`) changes later. The index holds
Snowball search keys made in Python; practices already published are indexed by
`pervichka` code on their next change, so this step also fills it from what exists.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SQLITE_CREATE = (
    "CREATE VIRTUAL TABLE practice_search USING fts5("
    "title, body, tokenize = 'unicode61 remove_diacritics 0')",
    "CREATE TRIGGER practice_search_forget AFTER DELETE ON practices BEGIN "
    "DELETE FROM practice_search WHERE rowid = old.id; END",
)
# 'simple', not 'russian': PostgreSQL's Snowball keeps «наставник» and «наставничества»
# apart too; the keys come stemmed from Python, the same as SQLite's (see the models).
POSTGRES_CREATE = (
    "CREATE TABLE practice_search ("
    "practice_id integer PRIMARY KEY REFERENCES practices (id) ON DELETE CASCADE, "
    "document tsvector NOT NULL)",
    "CREATE INDEX ix_practice_search_document ON practice_search USING gin (document)",
)


def upgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    for statement in SQLITE_CREATE if sqlite else POSTGRES_CREATE:
        op.execute(statement)
    _index_what_is_published()


def _index_what_is_published() -> None:
    # The keys are Python's (the stemmer), so the rows are read and written here.
    from sqlalchemy import text

    from bot.services.practices.search import index_row

    bind = op.get_bind()
    rows = bind.execute(
        text("SELECT id, title, what_done, result FROM practices WHERE status = 'published'")
    )
    for row in rows.all():
        index_row(bind, row.id, row.title, row.what_done, row.result)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS practice_search_forget")
    op.execute("DROP TABLE IF EXISTS practice_search")
