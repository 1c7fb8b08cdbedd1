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

from bot.services.practices.highlight import bold, snippet
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

# One page is ranked inside the index (bm25 / ts_rank over the matches, the top ones
# kept), then joined to the practices for its few rows; on SQLite the whole count is a
# second, cheaper statement (no ranking). Ties go to the newer practice (the higher id), which
# keeps pages stable. The index holds published practices only (`index_practice` takes
# the others out); the status check of the join is a guard on top: a practice left in
# the index by mistake is not shown, though the count may still include it.
_PAGE = (
    "SELECT p.id, p.title, p.category, p.what_done, p.result{total} FROM page "
    "JOIN practices p ON p.id = page.id WHERE p.status = 'published' "
    "ORDER BY page.score, page.id DESC"
)
_SQLITE_SEARCH = text(
    f"WITH page AS (SELECT rowid AS id, bm25(practice_search, {TITLE_WEIGHT}, 1.0) AS score "
    "FROM practice_search WHERE practice_search MATCH :query "
    "ORDER BY score, rowid DESC LIMIT :limit OFFSET :offset) " + _PAGE.format(total="")
)
# PostgreSQL reads every matching tsvector to rank them anyway, so the count comes from
# the same scan (a window before the LIMIT); FTS5's own count is cheaper than that.
_POSTGRES_SEARCH = text(
    "WITH page AS (SELECT practice_id AS id, count(*) OVER () AS total, "
    "-ts_rank(document, to_tsquery('simple', :query)) AS score FROM practice_search "
    "WHERE document @@ to_tsquery('simple', :query) "
    "ORDER BY score, practice_id DESC LIMIT :limit OFFSET :offset) "
    + _PAGE.format(total=", page.total")
)
_SQLITE_COUNT = text("SELECT count(*) FROM practice_search WHERE practice_search MATCH :query")
_POSTGRES_COUNT = text(
    "SELECT count(*) FROM practice_search WHERE document @@ to_tsquery('simple', :query)"
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
    # The snippet is from the part that matched: what was done, else the result.
    excerpt = snippet(row.what_done, row.result, terms=terms)
    return SearchHit(row.id, bold(row.title, terms), row.category, excerpt)


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
    if rows and not sqlite:
        total = int(rows[0].total)
    elif offset == 0 and len(rows) < limit:  # all of them are on this page
        total = len(rows)
    else:
        count = _SQLITE_COUNT if sqlite else _POSTGRES_COUNT
        total = int(await session.scalar(count, {"query": query}) or 0)
    return SearchPage(tuple(_hit(terms, row) for row in rows), total, offset, limit)
