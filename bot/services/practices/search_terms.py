"""What a search looks for, and what a practice is found by: Russian words turned into
search keys (`russian_words.search_key`), the same in the index, the query and the bold.

A query becomes only keys (letters and digits), so whatever the person typed — quotes,
`*`, `-`, NEAR, brackets — never reaches FTS5's or PostgreSQL's query syntax as syntax.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.services.russian_words import STOP_WORDS, search_key, words

MAX_QUERY_WORDS = 8  # a pasted paragraph is not a query; the first words are enough
MIN_PREFIX = 3  # «т*» would match half the catalogue


def document_keys(text: str) -> str:
    """The text as the index holds it: the keys of its words, in order, stop words out."""
    return " ".join(search_key(w) for w in words(text) if w not in STOP_WORDS)


@dataclass(frozen=True, slots=True)
class Terms:
    """The keys of a query: every one must be found; `prefix`, if set, is the last word
    being typed, found as the beginning of a key."""

    exact: tuple[str, ...]
    prefix: str | None = None

    @property
    def empty(self) -> bool:
        return not self.exact and self.prefix is None

    def matches(self, key: str) -> bool:
        return key in self.exact or (self.prefix is not None and key.startswith(self.prefix))

    def fts5(self) -> str:
        """FTS5's MATCH: each key a quoted string (implicit AND), the prefix one with `*`."""
        quoted = [f'"{key}"' for key in self.exact]
        if self.prefix is not None:
            quoted.append(f'"{self.prefix}"*')
        return " ".join(quoted)

    def tsquery(self) -> str:
        """PostgreSQL's to_tsquery('simple', …): keys joined by &, the prefix one `:*`."""
        parts = list(self.exact)
        if self.prefix is not None:
            parts.append(f"{self.prefix}:*")
        return " & ".join(parts)


def parse_query(query: str, *, typing: bool = False) -> Terms:
    """The query's keys, in order, each once. With `typing` (inline mode, as the person
    types) the last word is a prefix, if it is long enough to be one."""
    found = [w for w in words(query) if w not in STOP_WORDS][:MAX_QUERY_WORDS]
    prefix = None
    if typing and found and len(found[-1]) >= MIN_PREFIX:
        prefix = search_key(found.pop())
    exact = tuple(dict.fromkeys(search_key(w) for w in found))
    if prefix is not None and any(key.startswith(prefix) for key in exact):
        prefix = None  # already required in full
    return Terms(exact, prefix)
