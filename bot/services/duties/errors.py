"""What the duties refuse: a code whose text is `duties.error.<code>`."""

from __future__ import annotations

from bot.services.errors import DomainError


class DutyError(DomainError):
    texts = "duties.error"
