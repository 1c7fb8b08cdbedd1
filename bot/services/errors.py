"""Refusals a service gives; each names a text the interface shows (`errors.<code>`)."""

from __future__ import annotations


class DomainError(Exception):
    code = "generic"

    def __init__(self, code: str | None = None, **params: object) -> None:
        self.code = code or self.code
        self.params = params
        super().__init__(self.code)


class AccessDenied(DomainError):
    code = "access_denied"


class NotFound(DomainError):
    code = "not_found"


class InvalidInput(DomainError):
    code = "invalid_input"
