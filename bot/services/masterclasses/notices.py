"""The messages masterclass changes and reminders owe people, as outbox `Notice`s, and the
callback data their buttons carry.

Callback data, for the chat flows to parse (`MasterclassCb(prefix="mc", action, id)` and
`MasterclassRateCb(prefix="mcr", id, score)`):

- `mc:open:<id>`     the masterclass's card;
- `mc:reg:<id>`      «Записаться» on the announcement (`registration.register`);
- `mc:ics:<id>`      send me the current `.ics` (`ics.calendar_file` with my registration's
                     sequence; a cancelling one when the event or my registration is
                     cancelled): the outbox sends Telegram file_ids only, so a file made
                     now is sent by the handler as the answer to this button;
- `mc:come:<id>`     «Приду» on the day-before reminder (nothing changes; a thank-you);
- `mc:decline:<id>`  «Не смогу» (`registration.decline`);
- `mc:checkin:<id>`  «Отметиться» on the hour-before reminder: ask for the code;
- `mcr:<id>:<score>` a rating of 1–5 (`feedback.rate`).

The prefixes live in sent messages: never rename them. Times are shown in the
recipient's zone; every value typed by a person is escaped here.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.clock import as_utc, local
from bot.services.outbox import Button, Notice
from bot.texts import plural, t
from storage.models import Masterclass

MASTERCLASS_CB = "mc"
RATE_CB = "mcr"


def masterclass_cb(action: str, masterclass_id: int) -> str:
    return f"{MASTERCLASS_CB}:{action}:{masterclass_id}"


def rate_cb(masterclass_id: int, score: int) -> str:
    return f"{RATE_CB}:{masterclass_id}:{score}"


def when(moment: datetime, timezone: str) -> str:
    """«25.12.2026 18:30» in the reader's zone."""
    return local(moment, timezone).strftime("%d.%m.%Y %H:%M")


def duration_text(minutes: int) -> str:
    hours, rest = divmod(minutes, 60)
    parts = []
    if hours:
        parts.append(plural(hours, "masterclasses.plural.hour"))
    if rest:
        parts.append(plural(rest, "masterclasses.plural.minute"))
    return " ".join(parts)


def ends_at(masterclass: Masterclass) -> datetime:
    return masterclass.starts_at + timedelta(minutes=masterclass.duration_minutes)


def details(masterclass: Masterclass, timezone: str) -> str:
    """When (in the reader's zone), where or the link, who hosts: lines for any notice."""
    lines = [
        t(
            "masterclasses.notice.when_line",
            when=when(masterclass.starts_at, timezone),
            duration=duration_text(masterclass.duration_minutes),
        )
    ]
    if masterclass.place:
        lines.append(t("masterclasses.notice.place_line", place=html.escape(masterclass.place)))
    if masterclass.online_url:
        url = html.escape(masterclass.online_url)
        lines.append(t("masterclasses.notice.online_line", url=url))
    lines.append(t("masterclasses.notice.host_line", host=html.escape(masterclass.host)))
    return "\n".join(lines)


def seats_line(seats_left: int | None) -> str:
    if seats_left is None:
        return t("masterclasses.notice.seats_unlimited")
    if seats_left <= 0:
        return t("masterclasses.notice.seats_none")
    return t("masterclasses.notice.seats_left", seats=seats_left)


def seats_left_of(masterclass: Masterclass) -> int | None:
    if masterclass.capacity is None:
        return None
    return max(masterclass.capacity - masterclass.seats_taken, 0)


def _title(masterclass: Masterclass) -> str:
    return html.escape(masterclass.title)


def _open(masterclass_id: int) -> list[Button]:
    return [Button(t("masterclasses.button.open"), masterclass_cb("open", masterclass_id))]


def _calendar(masterclass_id: int, *, remove: bool = False) -> list[Button]:
    key = "masterclasses.button.calendar_remove" if remove else "masterclasses.button.calendar"
    return [Button(t(key), masterclass_cb("ics", masterclass_id))]


def announcement(chat_id: int, masterclass: Masterclass, timezone: str) -> Notice:
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.announcement",
            title=_title(masterclass),
            details=details(masterclass, timezone),
            description=html.escape(masterclass.description),
            seats=seats_line(seats_left_of(masterclass)),
            deadline=when(masterclass.registration_deadline, timezone),
        ),
        # A seat in one press: the card opens in place of the announcement with the answer.
        [
            [Button(t("masterclasses.button.register"), masterclass_cb("reg", masterclass.id))],
            _open(masterclass.id),
        ],
        expires_at=masterclass.registration_deadline,
    )


def promoted(chat_id: int, masterclass: Masterclass, timezone: str) -> Notice:
    """From the waiting list to a seat: other people's action (a cancellation) caused it."""
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.promoted",
            title=_title(masterclass),
            details=details(masterclass, timezone),
        ),
        [_calendar(masterclass.id), _open(masterclass.id)],
        expires_at=masterclass.starts_at,
    )


@dataclass(frozen=True, slots=True)
class Change:
    """One field an edit changed, with its new value as shown (already escaped)."""

    field: str
    value: str


def changed(chat_id: int, masterclass: Masterclass, timezone: str, changes: list[Change]) -> Notice:
    lines = "\n".join(
        t(
            "masterclasses.notice.change_line",
            field=t(f"masterclasses.field.{c.field}"),
            value=c.value,
        )
        for c in changes
    )
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.changed",
            title=_title(masterclass),
            changes=lines,
            details=details(masterclass, timezone),
        ),
        [_calendar(masterclass.id), _open(masterclass.id)],
        expires_at=ends_at(masterclass),
    )


def cancelled(chat_id: int, masterclass: Masterclass, timezone: str) -> Notice:
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.cancelled",
            title=_title(masterclass),
            when=when(masterclass.starts_at, timezone),
            reason=html.escape(masterclass.cancel_reason or ""),
        ),
        [_calendar(masterclass.id, remove=True)],
    )


def day_before(chat_id: int, masterclass: Masterclass, timezone: str) -> Notice:
    """«Придёте?» with «Приду» / «Не смогу»; «завтра» is wrong from the event's day on."""
    event_day = local(masterclass.starts_at, timezone).date()
    midnight = datetime.combine(event_day, time(0), tzinfo=ZoneInfo(timezone))
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.day_before",
            title=_title(masterclass),
            details=details(masterclass, timezone),
        ),
        [
            [
                Button(t("masterclasses.button.come"), masterclass_cb("come", masterclass.id)),
                Button(
                    t("masterclasses.button.decline"), masterclass_cb("decline", masterclass.id)
                ),
            ]
        ],
        expires_at=as_utc(midnight),
    )


def hour_before(chat_id: int, masterclass: Masterclass, timezone: str) -> Notice:
    """Asked for by registering, and useless an hour later: not held for quiet hours."""
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.hour_before",
            title=_title(masterclass),
            details=details(masterclass, timezone),
        ),
        [[Button(t("masterclasses.button.checkin"), masterclass_cb("checkin", masterclass.id))]],
        quiet=False,
        expires_at=masterclass.starts_at,
    )


def checkin_code(chat_id: int, masterclass: Masterclass, timezone: str) -> Notice:
    assert masterclass.checkin_code is not None
    assert masterclass.checkin_expires_at is not None
    return Notice(
        chat_id,
        t(
            "masterclasses.notice.checkin_code",
            title=_title(masterclass),
            code=masterclass.checkin_code,
            until=when(masterclass.checkin_expires_at, timezone),
        ),
        quiet=False,
        expires_at=masterclass.checkin_expires_at,
    )


def feedback_request(chat_id: int, masterclass: Masterclass) -> Notice:
    scores = [Button(str(n), rate_cb(masterclass.id, n)) for n in range(1, 6)]
    return Notice(
        chat_id,
        t("masterclasses.notice.feedback_request", title=_title(masterclass)),
        [scores],
    )


def message_to_all(chat_id: int, masterclass: Masterclass, text: str) -> Notice:
    return Notice(
        chat_id,
        t("masterclasses.notice.message", title=_title(masterclass), text=html.escape(text)),
        [_open(masterclass.id)],
    )
