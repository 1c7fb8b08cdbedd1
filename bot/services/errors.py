"""Refusals a service gives; each names a text the interface shows (`errors.<code>`)."""

from __future__ import annotations


class DomainError(Exception):
    code = "generic"
    # The texts file the code is looked up in; a feature may keep its own refusals.
    texts = "errors"

    def __init__(self, code: str | None = None, **params: object) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(self.code)

    @property
    def text_key(self) -> str:
        """The key of the text the interface shows, `errors.<code>` unless a feature's own."""
        return f"{self.texts}.{self.code}"


class AccessDenied(DomainError):
    code = "access_denied"


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"
