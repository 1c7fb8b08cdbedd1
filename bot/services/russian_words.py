"""Russian words reduced to their stems, the one way the project matches words in any form.

Snowball's Russian stemmer (the `snowballstemmer` package, the algorithm PostgreSQL's
`russian` text-search configuration uses too): «двор», «дворе», «двора» → «двор»;
«освещение», «освещения» → «освещен». «ё» is read as «е», as people type it either way.
"""

from __future__ import annotations

import re
from functools import lru_cache

import snowballstemmer

_WORD_RE = re.compile(r"[0-9]+|[a-zа-я]+")
_STEMMER = snowballstemmer.stemmer("russian")


def words(text: str) -> list[str]:
    """The words and numbers of `text`, lower case, «ё» as «е»."""
    return _WORD_RE.findall(text.lower().replace("ё", "е"))


@lru_cache(maxsize=50_000)
def stem(word: str) -> str:
    """The stem of one lower-case word; a number stays as it is."""
    return word if word.isdigit() else _STEMMER.stemWord(word)
