"""What the duties refuse: a code whose text is `duties.error.<code>`."""

from __future__ import annotations


class DutyError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code
