"""Russian texts, kept in `bot/locales/ru/*.toml` and looked up as `"file.key"`."""

from __future__ import annotations

import tomllib
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

LOCALES = Path(__file__).parent / "locales"


@cache
def _catalogue(locale: str = "ru") -> dict[str, str]:
    catalogue: dict[str, str] = {}
    for path in sorted((LOCALES / locale).glob("*.toml")):
        with path.open("rb") as fh:
            _flatten(path.stem, tomllib.load(fh), catalogue)
    return catalogue


def _flatten(prefix: str, table: dict[str, Any], into: dict[str, str]) -> None:
    for key, value in table.items():
        name = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(name, value, into)
        else:
            into[name] = value


def t(key: str, /, **params: Any) -> str:
    """The text under `key`, with `{placeholders}` filled. A missing key is a bug: KeyError."""
    text = _catalogue()[key]
    return text.format(**params) if params else text


def has(key: str) -> bool:
    return key in _catalogue()


def plural_form(n: int, forms: str) -> str:
    """Russian plural: forms is "наказ|наказа|наказов" (1, 2–4, 5–20 and the like)."""
    one, few, many = forms.split("|")
    n = abs(n)
    if n % 10 == 1 and n % 100 != 11:
        return one
    if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14:
        return few
    return many


def plural(n: int, key: str) -> str:
    """ "5 наказов" for key "plural.mandate"."""
    return f"{n} {plural_form(n, t(key))}"


def shorten(text: str, limit: int) -> str:
    """One line of at most `limit` characters, cut with «…» after a whole word where it is
    longer (mid-word only when the first word alone is too long)."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    if text[limit - 1] != " " and " " in cut:
        cut = cut.rsplit(" ", 1)[0]
    return cut.rstrip(" ,.;:—-") + "…"


def day_at(moment: datetime) -> str:
    """«11.12 в 10:00» of a moment already in the reader's zone."""
    return t("common.day_at", day=f"{moment:%d.%m}", time=f"{moment:%H:%M}")
