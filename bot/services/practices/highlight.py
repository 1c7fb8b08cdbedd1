"""The matched words in bold, for Telegram's HTML parse mode: the practice's own text,
escaped (<, >, &), with each word whose key the query looks for wrapped in <b>…</b>.

The text is cut at word boundaries *before* escaping, and escaped piece by piece, so an
entity (&amp;) is never broken and every <b> is closed.
"""

from __future__ import annotations

import html
import re

from bot.services.practices.search_terms import Terms
from bot.services.russian_words import STOP_WORDS, search_key, word_spans

SNIPPET_CHARS = 200
_LEAD = 60  # characters of context before the first match
_SPACE_RE = re.compile(r"\s+")

Span = tuple[int, int, str]


def _is_match(terms: Terms, word: str) -> bool:
    return word not in STOP_WORDS and terms.matches(search_key(word))


def _render(text: str, spans: list[Span], terms: Terms, start: int, end: int) -> str:
    out: list[str] = []
    at = start
    for s, e, word in spans:
        if s < start or e > end:
            continue
        out.append(html.escape(_SPACE_RE.sub(" ", text[at:s]), quote=False))
        piece = html.escape(text[s:e], quote=False)
        out.append(f"<b>{piece}</b>" if _is_match(terms, word) else piece)
        at = e
    out.append(html.escape(_SPACE_RE.sub(" ", text[at:end]), quote=False))
    return "".join(out)


def bold(text: str, terms: Terms) -> str:
    """All of `text`, escaped, the matched words in bold (a title)."""
    return _render(text, word_spans(text), terms, 0, len(text))


def _first(spans: list[Span], terms: Terms) -> int | None:
    return next((s for s, _e, w in spans if _is_match(terms, w)), None)


def snippet(*texts: str, terms: Terms, width: int = SNIPPET_CHARS) -> str:
    """About `width` characters of the first of `texts` that has a matched word, around
    that word (the first text's beginning if none has one), cut between words, «…» where
    cut, escaped, the matched words in bold."""
    chosen = None
    for text in texts:
        spans = word_spans(text)
        if (found := _first(spans, terms)) is not None:
            chosen = (text, spans, found)
            break
    if chosen is None:
        text = texts[0] if texts else ""
        chosen = (text, word_spans(text), 0)
    return _cut(*chosen, terms, width)


def _cut(text: str, spans: list[Span], found: int, terms: Terms, width: int) -> str:
    start = max(0, found - _LEAD)
    end = min(len(text), start + width)
    start = max(0, min(start, end - width))  # near the end: use the whole width
    if start > 0:  # begin at a word, not inside one
        start = next((s for s, _e, _w in spans if s >= start), start)
    if end < len(text):  # end after a whole word
        end = max((e for _s, e, _w in spans if start < e <= end), default=end)
    body = _render(text, spans, terms, start, end).strip()
    return ("…" if start > 0 else "") + body + ("…" if end < len(text) else "")
