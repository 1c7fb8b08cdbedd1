"""What settings decide about practices (`PRACTICE_*` in `.env.example`): the categories
offered and the limits of each answer, so one card fits one Telegram message (4,096
characters: title, what was done, the result and a few lines of header)."""

from __future__ import annotations

from dataclasses import dataclass

from bot.texts import has, t

# The categories in the order offered; names are `practices.category.<code>` texts.
CATEGORY_CODES: tuple[str, ...] = (
    "tos",
    "mentoring",
    "mandates",
    "youth",
    "volunteering",
    "grants",
    "media",
    "other",
)
TITLE_MIN, TITLE_MAX = 5, 200  # the column is String(200)
WHAT_DONE_MIN, WHAT_DONE_MAX = 20, 1500
RESULT_MIN, RESULT_MAX = 10, 1000
MAX_PHOTOS = 5  # the issue's «up to 5 photos»; an album counts as one answer
COMMENT_MAX = 1000  # a moderator's «на доработку», a follow-up comment, a relayed message


@dataclass(frozen=True, slots=True)
class PracticeRules:
    categories: tuple[str, ...] = CATEGORY_CODES
    max_photos: int = MAX_PHOTOS


DEFAULT_RULES = PracticeRules()


def categories(rules: PracticeRules = DEFAULT_RULES) -> list[tuple[str, str]]:
    """(code, Russian name) pairs in the order they are offered."""
    return [(code, category_name(code)) for code in rules.categories]


def category_name(code: str) -> str:
    """The Russian name; a code since removed from the settings is shown as written."""
    key = f"practices.category.{code}"
    return t(key) if has(key) else code
