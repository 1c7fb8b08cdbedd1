"""The catalogue's search: published practices found by their words in any Russian form.

The index is kept by the practice's own transactions: `index_practice` when a practice is
published or its published text changes, `unindex_practice` when it leaves the catalogue.
It holds search keys made here in Python (`search_terms`), the database does the rest:
FTS5 with bm25 on SQLite, a tsvector with GIN and ts_rank on PostgreSQL (the DDL and why
'simple': `storage/models/practice_search.py`). The bold is Python's (`highlight`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Row, text
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.practices.highlight import bold, first_match, snippet
from bot.services.practices.search_terms import Terms, document_keys, parse_query
from storage.models import Practice

PUBLISHED = "published"
MAX_LIMIT = 50
TITLE_WEIGHT = 3.0  # bm25 weight of the title against 1.0 for the text (PG: 'A' vs 'B')

_SQLITE_FORGET = text("DELETE FROM practice_search WHERE rowid = :id")
_SQLITE_PUT = text("INSERT INTO practice_search (rowid, title, body) VALUES (:id, :title, :body)")
_POSTGRES_FORGET = text("DELETE FROM practice_search WHERE practice_id = :id")
_POSTGRES_PUT = text(
    "INSERT INTO practice_search (practice_id, document) VALUES (:id, "
    "setweight(to_tsvector('simple', :title), 'A') || "
    "setweight(to_tsvector('simple', :body), 'B')) "
    "ON CONFLICT (practice_id) DO UPDATE SET document = excluded.document"
)

# The whole count comes with the page (a window over the matches, which ranking reads
# anyway); the newest first among equally relevant ones.
_COLUMNS = "p.id, p.title, p.category, p.what_done, p.result, count(*) OVER () AS total"
# bm25() is only allowed in a plain scan of the FTS5 table, so the matches are ranked
# there first (MATERIALIZED: not flattened into the join) and joined to the practices.
_SQLITE_SEARCH = text(
    "WITH m AS MATERIALIZED (SELECT rowid AS id, "
    f"bm25(practice_search, {TITLE_WEIGHT}, 1.0) AS score "
    "FROM practice_search WHERE practice_search MATCH :query) "
    f"SELECT {_COLUMNS} FROM m JOIN practices p ON p.id = m.id "
    "WHERE p.status = 'published' "
    "ORDER BY m.score, p.published_at DESC, p.id DESC LIMIT :limit OFFSET :offset"
)
_POSTGRES_SEARCH = text(
    f"SELECT {_COLUMNS} FROM practice_search s JOIN practices p ON p.id = s.practice_id "
    "WHERE s.document @@ to_tsquery('simple', :query) AND p.status = 'published' "
    "ORDER BY ts_rank(s.document, to_tsquery('simple', :query)) DESC, "
    "p.published_at DESC, p.id DESC LIMIT :limit OFFSET :offset"
)
_SQLITE_COUNT = text(
    "SELECT count(*) FROM practice_search JOIN practices p ON p.id = practice_search.rowid "
    "WHERE practice_search MATCH :query AND p.status = 'published'"
)
_POSTGRES_COUNT = text(
    "SELECT count(*) FROM practice_search s JOIN practices p ON p.id = s.practice_id "
    "WHERE s.document @@ to_tsquery('simple', :query) AND p.status = 'published'"
)


@dataclass(frozen=True, slots=True)
class SearchHit:
    practice_id: int
    title_html: str  # escaped for HTML parse mode, the matched words in <b>
    category: str  # a code of PRACTICE_CATEGORIES
    snippet_html: str  # ~200 characters around the first match, escaped, bold


@dataclass(frozen=True, slots=True)
class SearchPage:
    hits: tuple[SearchHit, ...]
    total: int  # all the matches, for «1–5 из 12» and the paging buttons
    offset: int
    limit: int
    empty_query: bool = False  # nothing to look for: no words, or only «и», «в», «для»…

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.hits) < self.total


def _sqlite(session: AsyncSession) -> bool:
    return session.get_bind().dialect.name == "sqlite"


def _params(practice_id: int, title: str, what_done: str, result: str) -> dict[str, object]:
    body = f"{what_done}\n{result}"
    return {"id": practice_id, "title": document_keys(title), "body": document_keys(body)}


async def index_practice(session: AsyncSession, practice: Practice) -> None:
    """Puts the published practice's title and text into the search index (or refreshes
    them); a practice that is not published is taken out instead."""
    if practice.status != PUBLISHED:
        await unindex_practice(session, practice.id)
        return
    params = _params(practice.id, practice.title, practice.what_done, practice.result)
    if _sqlite(session):  # FTS5 has no upsert: the old row goes first
        await session.execute(_SQLITE_FORGET, params)
        await session.execute(_SQLITE_PUT, params)
    else:
        await session.execute(_POSTGRES_PUT, params)


def index_row(
    connection: Connection, practice_id: int, title: str, what_done: str, result: str
) -> None:
    """`index_practice` for a migration's plain connection (filling the index)."""
    params = _params(practice_id, title, what_done, result)
    if connection.dialect.name == "sqlite":
        connection.execute(_SQLITE_FORGET, params)
        connection.execute(_SQLITE_PUT, params)
    else:
        connection.execute(_POSTGRES_PUT, params)


async def unindex_practice(session: AsyncSession, practice_id: int) -> None:
    """Takes a practice out of the search index (nothing if it is not there)."""
    forget = _SQLITE_FORGET if _sqlite(session) else _POSTGRES_FORGET
    await session.execute(forget, {"id": practice_id})


def _hit(terms: Terms, row: Row[Any]) -> SearchHit:
    what_done, result = row.what_done, row.result
    # The snippet is from the part that matched: what was done, else the result.
    where = what_done if first_match(what_done, terms) is not None else None
    if where is None and first_match(result, terms) is not None:
        where = result
    return SearchHit(
        row.id, bold(row.title, terms), row.category, snippet(where or what_done, terms)
    )


async def search_practices(
    session: AsyncSession, words: str, *, offset: int = 0, limit: int = 5, typing: bool = False
) -> SearchPage:
    """Published practices whose title or text hold all of `words` in any form, the most
    relevant first, one page of them with the whole count. With `typing` the last word is
    also found as the beginning of a word (inline mode). A query with nothing to look
    for gives an empty page with `empty_query` set, not an error."""
    offset, limit = max(0, offset), max(1, min(limit, MAX_LIMIT))
    terms = parse_query(words, typing=typing)
    if terms.empty:
        return SearchPage((), 0, offset, limit, empty_query=True)
    sqlite = _sqlite(session)
    query = terms.fts5() if sqlite else terms.tsquery()
    params = {"query": query, "limit": limit, "offset": offset}
    rows = (await session.execute(_SQLITE_SEARCH if sqlite else _POSTGRES_SEARCH, params)).all()
    if rows:
        total = int(rows[0].total)
    elif offset:  # past the end: the window had no row to say how many there are
        count = _SQLITE_COUNT if sqlite else _POSTGRES_COUNT
        total = int(await session.scalar(count, {"query": query}) or 0)
    else:
        total = 0
    return SearchPage(tuple(_hit(terms, row) for row in rows), total, offset, limit)
