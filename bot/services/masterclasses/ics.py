"""The `.ics` calendar file of a masterclass, written with `icalendar`.

- The event is in the masterclass's own zone (`DTSTART;TZID=Europe/Moscow:…`, with the
  VTIMEZONE it needs), so a calendar shows it right wherever the reader is.
- The UID is the masterclass's and never changes, so a calendar updates the event it has
  instead of adding another; SEQUENCE is the masterclass's `ics_sequence` (raised by every
  change people are told about) plus the registration's own (raised when the person
  cancels or registers again), so for each person it only ever rises.
- A cancelled masterclass or registration gives `METHOD:CANCEL` with `STATUS:CANCELLED`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event, Timezone

from bot.clock import as_utc
from storage.models import Masterclass

PRODID = "-//Pervichka//masterclasses//RU"
UID_DOMAIN = "pervichka"


@dataclass(frozen=True, slots=True)
class IcsFile:
    filename: str
    content: bytes

    @property
    def mime_type(self) -> str:
        return "text/calendar"


@lru_cache(maxsize=64)
def _vtimezone(zone: str, year: int) -> Timezone:
    """The VTIMEZONE of a zone around a year: only its rules near the event (the zone's
    whole history would be kilobytes). Building one walks the zone's transitions, ≈0.2 s
    of CPU, so each is built once and shared (it is only ever serialised)."""
    return Timezone.from_tzid(zone, first_date=date(year - 1, 1, 1), last_date=date(year + 2, 1, 1))


def uid_of(masterclass_id: int) -> str:
    return f"masterclass-{masterclass_id}@{UID_DOMAIN}"


def calendar_file(
    masterclass: Masterclass,
    registration_sequence: int,
    now: datetime,
    *,
    cancelled: bool = False,
) -> IcsFile:
    """The file for one person: the event, or its cancellation when `cancelled` (or the
    masterclass itself is cancelled)."""
    cancelled = cancelled or masterclass.status == "cancelled"
    zone = ZoneInfo(masterclass.timezone)
    starts = as_utc(masterclass.starts_at).astimezone(zone)
    ends = starts + timedelta(minutes=masterclass.duration_minutes)

    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("method", "CANCEL" if cancelled else "PUBLISH")
    event = Event()
    event.add("uid", uid_of(masterclass.id))
    event.add("sequence", masterclass.ics_sequence + registration_sequence)
    event.add("dtstamp", as_utc(now))
    event.add("dtstart", starts)
    event.add("dtend", ends)
    event.add("summary", masterclass.title)
    description = masterclass.description
    if masterclass.host:
        description = f"{masterclass.host}\n\n{description}"
    event.add("description", description)
    if masterclass.place:
        event.add("location", masterclass.place)
    if masterclass.online_url:
        event.add("location", masterclass.online_url)
        event.add("url", masterclass.online_url)
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    calendar.add_component(_vtimezone(masterclass.timezone, starts.year))
    calendar.add_component(event)
    return IcsFile(f"masterclass-{masterclass.id}.ics", calendar.to_ical())
