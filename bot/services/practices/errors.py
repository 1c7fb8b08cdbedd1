"""The practices' refusals: a `DomainError` whose text is `practices.errors.<code>`
(`bot/locales/ru/practices.toml`), so the feature keeps its texts in its own file."""

from __future__ import annotations

from bot.services.errors import DomainError


class PracticeError(DomainError):
    texts = "practices.errors"
