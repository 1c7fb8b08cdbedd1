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


# Words too common to look for: a query of only these finds nothing, and the index does
# not keep them (they would only add noise to the ranking).
_STOP_WORDS = (
    "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по "
    "только ее мне было вот от меня еще нет о из ему теперь когда даже ну ли если уже "
    "или ни быть был него до вас нибудь опять уж вам ведь там потом себя ничего ей "
    "может они тут где есть надо ней для мы тебя их чем была сам чтоб без будто чего "
    "раз тоже себе под будет ж тогда кто этот того потому этого какой совсем ним здесь "
    "этом один почти мой тем чтобы нее были куда зачем всех никогда можно при наконец "
    "два об другой хоть после над больше тот через эти нас про всего них какая много "
    "разве три эту моя впрочем хорошо свою этой перед иногда лучше чуть том нельзя "
    "такой им более всегда конечно всю между это"
)
STOP_WORDS = frozenset(_STOP_WORDS.split())

# Snowball gives the word's inflection, not its family: «наставник» → «наставник» but
# «наставничества» → «наставничеств». These few suffixes of abstract nouns and adjectives
# lead back to the person they are made from (наставничество, наставнический → наставник;
# волонтёрство → волонтёр; партнёрство → партнёр), so a search finds both.
_FAMILY_SUFFIXES = (("ничеств", "ник"), ("ническ", "ник"), ("ерств", "ер"))

_SPAN_RE = re.compile(r"[0-9]+|[a-zа-яё]+", re.IGNORECASE)


@lru_cache(maxsize=50_000)
def search_key(word: str) -> str:
    """What a lower-case word is looked up by in a search: its stem, led back to its
    family for the suffixes above. Both the index and the query use it."""
    key = stem(word)
    for suffix, replacement in _FAMILY_SUFFIXES:
        if key.endswith(suffix) and len(key) > len(suffix) + 2:
            return key[: -len(suffix)] + replacement
    return key


def word_spans(text: str) -> list[tuple[int, int, str]]:
    """Each word of `text` with where it is: (start, end, the word as `words` gives it),
    to mark words in the original text (the offsets are the original's)."""
    return [
        (m.start(), m.end(), m.group().lower().replace("ё", "е")) for m in _SPAN_RE.finditer(text)
    ]
