"""Each person's own settings (/settings), read where reminders are sent.

- Four switches, one per kind of reminder: the secretaries' morning message (`MORNING`),
  the escalation notices (`ESCALATION`, to curators and secretaries), the masterclass
  reminders (`MASTERCLASS`: the day before and the hour before) and the curators' weekly
  digest (`DIGEST`). Each handler asks `wanting` before it queues and skips a person who
  switched the kind off; the due work itself still runs (and an escalation is still
  recorded), so switching back on needs nothing re-planned.
- Quiet hours: the bot's own (QUIET_HOURS_START/END) unless the person set theirs, or
  none at all. The outbox sender looks them up per recipient (`quiet_hours_of`).
- The digest's weekday and time (Monday 09:00 unless set), in the curator's zone. The
  weekly series plans each next digest from the curator's own rule (`digest_rule`), and
  moving the day re-plans the pending one (`bot.services.digest.weekly.move_digest`).

No row: every default, i.e. the behaviour before /settings existed. No aiogram here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import time
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.outbox import QuietHours
from storage.models import Preferences
from storage.statements import dialect_insert

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
DEFAULT_DIGEST_WEEKDAY = 0
DEFAULT_DIGEST_TIME = time(9, 0)


class Kind(StrEnum):
    MORNING = "morning"
    ESCALATION = "escalation"
    MASTERCLASS = "masterclass"
    DIGEST = "digest"


@dataclass(frozen=True, slots=True)
class Settings:
    morning: bool = True
    escalation: bool = True
    masterclass: bool = True
    digest: bool = True
    quiet: QuietHours | None = None  # None: the bot's own
    digest_weekday: int = DEFAULT_DIGEST_WEEKDAY
    digest_time: time = DEFAULT_DIGEST_TIME

    def wants(self, kind: Kind) -> bool:
        return bool(getattr(self, kind.value))

    @property
    def digest_rule(self) -> str:
        return digest_rule(self.digest_weekday, self.digest_time)


def _time(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _settings(row: Preferences | None) -> Settings:
    if row is None:
        return Settings()
    quiet = None
    if row.quiet_start is not None and row.quiet_end is not None:
        quiet = QuietHours(_time(row.quiet_start), _time(row.quiet_end))
    return Settings(
        morning=row.morning,
        escalation=row.escalation,
        masterclass=row.masterclass,
        digest=row.digest,
        quiet=quiet,
        digest_weekday=row.digest_weekday,
        digest_time=_time(row.digest_time),
    )


def digest_rule(weekday: int, at: time) -> str:
    return f"FREQ=WEEKLY;BYDAY={WEEKDAYS[weekday]};BYHOUR={at.hour};BYMINUTE={at.minute}"


async def get(session: AsyncSession, user_id: int) -> Settings:
    return _settings(await session.get(Preferences, user_id))


async def _row(session: AsyncSession, user_id: int) -> Preferences:
    """The person's row, made with the defaults if missing; two taps at once make one."""
    row = await session.get(Preferences, user_id)
    if row is None:
        await session.execute(
            dialect_insert(session, Preferences)
            .values(
                user_id=user_id,
                morning=True,
                escalation=True,
                masterclass=True,
                digest=True,
                digest_weekday=DEFAULT_DIGEST_WEEKDAY,
                digest_time=_hhmm(DEFAULT_DIGEST_TIME),
            )
            .on_conflict_do_nothing(index_elements=["user_id"])
        )
        row = await session.get(Preferences, user_id)
        assert row is not None
    return row


async def set_switch(session: AsyncSession, user_id: int, kind: Kind, on: bool) -> Settings:
    row = await _row(session, user_id)
    setattr(row, kind.value, on)
    await session.flush()
    return _settings(row)


async def toggle(session: AsyncSession, user_id: int, kind: Kind) -> Settings:
    current = await get(session, user_id)
    return await set_switch(session, user_id, kind, not current.wants(kind))


async def set_quiet_hours(
    session: AsyncSession, user_id: int, hours: tuple[time, time] | None
) -> Settings:
    """`hours`: (start, end), or None for no quiet hours at all."""
    row = await _row(session, user_id)
    start, end = hours if hours is not None else (time(0), time(0))
    row.quiet_start, row.quiet_end = _hhmm(start), _hhmm(end)
    await session.flush()
    return _settings(row)


async def set_digest_time(session: AsyncSession, user_id: int, weekday: int, at: time) -> Settings:
    """Only the row; `digest.weekly.move_digest` also re-plans the pending digest."""
    if not 0 <= weekday <= 6:
        raise ValueError(f"weekday {weekday} is not 0..6")
    row = await _row(session, user_id)
    row.digest_weekday, row.digest_time = weekday, _hhmm(at.replace(second=0, microsecond=0))
    row.digest = True
    await session.flush()
    return _settings(row)


async def wanting(session: AsyncSession, user_ids: Iterable[int], kind: Kind) -> list[int]:
    """Those of `user_ids` (in their order) who did not switch `kind` off; one query."""
    ids = list(dict.fromkeys(user_ids))
    if not ids:
        return []
    column = getattr(Preferences, kind.value)
    off = set(
        await session.scalars(
            select(Preferences.user_id).where(Preferences.user_id.in_(ids), column.is_(False))
        )
    )
    return [user_id for user_id in ids if user_id not in off]


async def wants(session: AsyncSession, user_id: int, kind: Kind) -> bool:
    return bool(await wanting(session, [user_id], kind))


async def quiet_hours_of(
    session: AsyncSession, user_ids: Iterable[int], default: QuietHours
) -> dict[int, QuietHours]:
    """Each person's quiet hours, `default` unless they set their own; one query."""
    hours = dict.fromkeys(set(user_ids), default)
    if hours:
        rows = await session.execute(
            select(Preferences.user_id, Preferences.quiet_start, Preferences.quiet_end).where(
                Preferences.user_id.in_(hours),
                Preferences.quiet_start.is_not(None),
                Preferences.quiet_end.is_not(None),
            )
        )
        for user_id, start, end in rows:
            if start is not None and end is not None:
                hours[user_id] = QuietHours(_time(start), _time(end))
    return hours


class NotUnderstood(ValueError):
    """Typed text that is no time or range of times."""


_TIME = r"(\d{1,2})(?:[:.](\d{2}))?"
_RANGE = re.compile(rf"^\s*(?:с\s*)?{_TIME}\s*(?:[-–—]|до)\s*{_TIME}\s*$", re.IGNORECASE)
_ONE = re.compile(rf"^\s*{_TIME}\s*$")
NONE_WORDS = frozenset({"нет", "не надо", "без тихих часов", "никогда", "-", "—"})


def _clock(hours: str, minutes: str | None) -> time:
    try:
        return time(int(hours), int(minutes or 0))
    except ValueError as error:  # past 23:59
        raise NotUnderstood(f"{hours}:{minutes}") from error


def parse_time(text: str) -> time:
    """«09:00», «9:30», «18.00», «18»; NotUnderstood otherwise."""
    found = _ONE.match(text)
    if found is None:
        raise NotUnderstood(text)
    return _clock(*found.groups())


def parse_quiet_hours(text: str) -> tuple[time, time] | None:
    """«22:00–08:00» (also «22-8», «с 22:00 до 08:00»), or «нет» (None: no quiet hours);
    NotUnderstood otherwise, and for a start equal to the end."""
    if text.strip().lower() in NONE_WORDS:
        return None
    found = _RANGE.match(text)
    if found is None:
        raise NotUnderstood(text)
    start = _clock(found.group(1), found.group(2))
    end = _clock(found.group(3), found.group(4))
    if start == end:
        raise NotUnderstood(text)
    return start, end
