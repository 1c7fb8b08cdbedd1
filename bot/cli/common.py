"""What the commands share: the error a person at the terminal is shown, the database
brought up to date, one transaction, the token from the settings."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TypeVar

from aiogram.utils.token import TokenValidationError, validate_token
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.texts import t
from storage.db import Database
from storage.migrate import upgrade

T = TypeVar("T")


class CliError(Exception):
    """A message for the person at the terminal, and the exit code that goes with it."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def shown_url(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL"


def migrate_schema(settings: Settings) -> None:
    """Create the SQLite folder if needed and bring the schema up to date (blocking)."""
    if (path := settings.sqlite_path()) is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            where = shown_url(settings.database_url)
            raise CliError(t("cli.database_unavailable", where=where, error=error)) from None
    upgrade(settings.database_url)


async def in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            return await work(session)
    finally:
        await database.dispose()


def token_of(settings: Settings) -> str | None:
    token = settings.bot_token.get_secret_value().strip() if settings.bot_token else ""
    return token or None  # `BOT_TOKEN=` copied from .env.example is as good as unset


def check_token_format(token: str) -> None:
    try:
        validate_token(token)
    except TokenValidationError:
        raise CliError(t("cli.bad_token"), 2) from None
