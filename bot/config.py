"""Settings, read from the environment and `.env` (documented in `.env.example`)."""

from __future__ import annotations

from datetime import datetime, time
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.clock import Clock, ShiftedClock, SystemClock
from bot.services.mandates.draft import CATEGORY_CODES, MandateRules
from bot.services.outbox import QuietHours
from bot.services.practices.rules import CATEGORY_CODES as PRACTICE_CATEGORY_CODES
from bot.services.practices.rules import PracticeRules

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/pervichka.sqlite3"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    bot_token: SecretStr | None = None
    bot_username: str | None = Field(
        default=None, description="Used in invite links; asked from Telegram when unset."
    )
    database_url: str = DEFAULT_DATABASE_URL
    admin_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    default_timezone: str = "Europe/Moscow"
    telegram_api_base: str | None = None
    log_level: str = "INFO"
    party_name: str = "Партия"
    consent_version: int = Field(default=1, ge=1)
    # Polled updates handled concurrently, one person's in order (README, «Reliability»);
    # False: one at a time, each acknowledged only after its handler finished.
    polling_handle_as_tasks: bool = True
    throttle_rate: float = Field(default=2.0, gt=0, description="Updates per second per user.")
    tick_seconds: float = Field(default=30, gt=0)
    # Several processes over one database may all send: each claims its own rows. The
    # global limit is shared out: the `outbox_rate` of all sending processes add up to 30.
    outbox_sender: bool = True
    outbox_rate: int = Field(default=30, ge=1, description="Messages per second, this process.")
    # Through network errors and Telegram's 5xx a notice is retried this long, then expired.
    outbox_give_up_hours: float = Field(default=48, gt=0)
    # Sent (and failed, expired, blocked) outbox rows are deleted this long after queued.
    outbox_keep_days: float = Field(default=30, gt=0)
    # Local hours when notices that are not answers to the person's own action wait.
    quiet_hours_start: time = time(21, 0)
    quiet_hours_end: time = time(9, 0)
    mandate_sla_days: int = Field(default=3, ge=1)
    # Working days after its deadline that a mandate still without a first answer is
    # escalated to the branch's curators (bot/services/reminders/escalation.py).
    mandate_escalate_days: int = Field(default=2, ge=1)
    # Category codes in the order offered; names are `mandates.category.<code>` texts,
    # and a code without one is shown as written.
    mandate_categories: Annotated[tuple[str, ...], NoDecode] = CATEGORY_CODES
    mandate_text_min: int = Field(default=20, ge=1)
    mandate_text_max: int = Field(default=2000, le=3500)  # a card must fit one message
    mandate_max_photos: int = Field(default=5, ge=0, le=10)  # an album holds at most 10
    # Best practices' categories, as for mandates: codes in the order offered, names are
    # `practices.category.<code>` texts (a code without one is shown as written).
    practice_categories: Annotated[tuple[str, ...], NoDecode] = PRACTICE_CATEGORY_CODES
    redis_url: str | None = None
    # Webhook mode instead of long polling: the public HTTPS address Telegram posts to,
    # a secret it sends back in a header, and where this process listens.
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "127.0.0.1"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # For walks and rehearsals only: the bot's clock starts at this moment (with its UTC
    # offset, e.g. 2026-12-07T08:59:40+03:00) and runs at real speed (bot/clock.py).
    clock_start: datetime | None = None

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p for p in value.replace(";", ",").split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("ADMIN_IDS: числовые id Telegram через запятую") from None
        if isinstance(value, int):
            return frozenset({value})
        return value

    @field_validator("mandate_categories", "practice_categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        if isinstance(value, str):
            value = tuple(dict.fromkeys(c.strip() for c in value.split(",") if c.strip()))
            if not value:
                raise ValueError("коды категорий через запятую")
        return value

    @model_validator(mode="after")
    def _check_text_limits(self) -> Settings:
        if self.mandate_text_min >= self.mandate_text_max:
            raise ValueError("MANDATE_TEXT_MIN должен быть меньше MANDATE_TEXT_MAX")
        return self

    def quiet_hours(self) -> QuietHours:
        return QuietHours(self.quiet_hours_start, self.quiet_hours_end)

    def mandate_rules(self) -> MandateRules:
        return MandateRules(
            categories=self.mandate_categories,
            text_min=self.mandate_text_min,
            text_max=self.mandate_text_max,
            max_photos=self.mandate_max_photos,
            sla_days=self.mandate_sla_days,
            escalate_days=self.mandate_escalate_days,
        )

    def practice_rules(self) -> PracticeRules:
        return PracticeRules(categories=self.practice_categories)

    @field_validator("default_timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"неизвестный часовой пояс {value!r}, пример: Europe/Moscow") from None
        return value

    @field_validator("clock_start")
    @classmethod
    def _check_clock_start(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("нужен момент со смещением от UTC, пример: 2026-12-07T08:59:40+03:00")
        return value

    def clock(self) -> Clock:
        return ShiftedClock(self.clock_start) if self.clock_start else SystemClock()

    @field_validator("log_level")
    @classmethod
    def _check_level(cls, value: str) -> str:
        value = value.upper()
        if value not in {"DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"}:
            raise ValueError("LOG_LEVEL: DEBUG, INFO, WARNING, ERROR или CRITICAL")
        return value

    def sqlite_path(self) -> Path | None:
        """The database file when the URL points at SQLite, so its folder can be created."""
        prefix = "sqlite+aiosqlite:///"
        if self.database_url.startswith(prefix) and ":memory:" not in self.database_url:
            return Path(self.database_url[len(prefix) :])
        return None


class SettingsError(Exception):
    """A bad setting, explained in one line."""


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]).upper()
        message = first["msg"].removeprefix("Value error, ")
        raise SettingsError(f"Неверная настройка {field}: {message}".replace(" :", ":")) from None
