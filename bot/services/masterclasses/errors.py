"""The masterclasses' refusals: a `DomainError` whose text is `masterclasses.errors.<code>`
(`bot/locales/ru/masterclasses.toml`), so the feature keeps its texts in its own file."""

from __future__ import annotations

from bot.services.errors import DomainError


class MasterclassError(DomainError):
    texts = "masterclasses.errors"
