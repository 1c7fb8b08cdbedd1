"""Creating, editing and cancelling a masterclass, announcing it, and the organiser's
message to everyone registered — with the notices each owes, queued in the caller's
transaction.

- `create_masterclass`: from a `MasterclassDraft` (values already read by `parsing`),
  for an audience the person may organise for; plans the check-in code and the feedback.
- `announce`: the announcement to everyone in the audience (the organiser aside), each
  in their own zone, respecting their quiet hours; returns how many were queued.
- `edit_masterclass`: a `MasterclassEdit` of the fields to change; everyone registered
  or waiting is told what changed (with the new `.ics` behind the notice's button, the
  calendar SEQUENCE one higher); a new time re-plans every reminder; more seats promote
  the waiting list at once; fewer seats than are taken are refused.
- `cancel_masterclass`: with a reason; everyone registered or waiting is told and every
  reminder is cancelled.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied
from bot.services.masterclasses import notices, schedule
from bot.services.masterclasses.access import may_organise, require_manage
from bot.services.masterclasses.audience import Audience, ResolvedAudience, member_ids, resolve
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.notices import Change, duration_text, when
from bot.services.masterclasses.parsing import MAX_AHEAD, MAX_DURATION, MIN_DURATION
from bot.services.masterclasses.records import ACTIVE, REGISTERED, locked, require_upcoming
from bot.services.masterclasses.registration import promote_waiting
from bot.services.outbox import enqueue, enqueue_broadcast
from bot.services.people import Person, timezones_of
from bot.texts import t
from storage.models import Masterclass, MasterclassRegistration

TITLE = (3, 200)
DESCRIPTION = (1, 3000)
HOST = (2, 300)
PLACE = (3, 500)
REASON = (3, 500)
MESSAGE = (1, 3000)


def _text(value: str, limits: tuple[int, int], code: str) -> str:
    clean = " ".join(value.split()) if "\n" not in value else value.strip()
    if not limits[0] <= len(clean) <= limits[1]:
        raise MasterclassError(code, min=limits[0], max=limits[1])
    return clean


@dataclass(frozen=True, slots=True)
class MasterclassDraft:
    """Everything the organiser answered. `registration_deadline` None: the start."""

    title: str
    description: str
    host: str
    starts_at: datetime
    duration_minutes: int
    audience: Audience
    place: str | None = None
    online_url: str | None = None
    capacity: int | None = None
    registration_deadline: datetime | None = None

    def validated(self, now: datetime) -> MasterclassDraft:
        """The draft with its texts trimmed, or MasterclassError naming the first problem."""
        if (self.place is None) == (self.online_url is None):
            raise MasterclassError("place_missing")
        _check_times(self.starts_at, self.registration_deadline, self.duration_minutes, now)
        if self.capacity is not None and self.capacity < 1:
            raise MasterclassError("capacity_out_of_range", max=100_000)
        return replace(
            self,
            title=_text(self.title, TITLE, "title_length"),
            description=_text(self.description, DESCRIPTION, "description_length"),
            host=_text(self.host, HOST, "host_length"),
            place=_text(self.place, PLACE, "place_length") if self.place is not None else None,
        )


def _check_times(
    starts_at: datetime, deadline: datetime | None, duration: int, now: datetime
) -> None:
    if starts_at <= now:
        raise MasterclassError("start_in_past")
    if starts_at - now > MAX_AHEAD:
        raise MasterclassError("start_too_far")
    if deadline is not None:
        if deadline <= now:
            raise MasterclassError("deadline_in_past")
        if deadline > starts_at:
            raise MasterclassError("deadline_after_start")
    if not MIN_DURATION <= duration <= MAX_DURATION:
        raise MasterclassError("duration_out_of_range")


async def create_masterclass(
    session: AsyncSession, person: Person, draft: MasterclassDraft, now: datetime
) -> Masterclass:
    """Errors: AccessDenied (not an organiser for this audience), `audience_unknown`, and
    those of `MasterclassDraft.validated`."""
    audience = await resolve(session, draft.audience)
    if not may_organise(person, audience):
        raise AccessDenied()
    clean = draft.validated(now)
    masterclass = Masterclass(
        title=clean.title,
        description=clean.description,
        host=clean.host,
        starts_at=clean.starts_at,
        duration_minutes=clean.duration_minutes,
        timezone=person.timezone,
        place=clean.place,
        online_url=clean.online_url,
        capacity=clean.capacity,
        seats_taken=0,
        queue_last=0,
        audience_scope=audience.scope,
        audience_region_id=audience.region_id,
        audience_local_branch_id=audience.local_branch_id,
        audience_branch_id=audience.branch_id,
        secretaries_only=audience.secretaries_only,
        registration_deadline=clean.registration_deadline or clean.starts_at,
        organiser_id=person.id,
        status="published",
        ics_sequence=0,
        created_at=now,
        updated_at=now,
    )
    session.add(masterclass)
    await session.flush()
    await schedule.plan_event(session, masterclass, now)
    return masterclass


async def announce(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> int:
    """Queues the announcement to everyone in the audience but the organiser; returns how
    many. Errors: NotFound, AccessDenied, `masterclass_cancelled`, `masterclass_started`."""
    masterclass = await locked(session, masterclass_id)
    require_manage(person, masterclass)
    require_upcoming(masterclass, now)
    people = [
        p
        for p in await member_ids(session, ResolvedAudience.of(masterclass))
        if p != masterclass.organiser_id
    ]
    zones = await timezones_of(session, people, masterclass.timezone)
    return await enqueue_broadcast(
        session,
        now,
        person.id,
        t("masterclasses.broadcast.announcement", title=html.escape(masterclass.title)),
        [notices.announcement(p, masterclass, zones[p]) for p in people],
    )


class Keep(Enum):
    """«Leave this field as it is» in a `MasterclassEdit` (None means «no limit» for the
    capacity, so it cannot mean «unchanged»)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True, slots=True)
class MasterclassEdit:
    """The fields to change; the rest stay. Setting `place` makes it in-person, setting
    `online_url` makes it online."""

    title: str | Keep = KEEP
    description: str | Keep = KEEP
    host: str | Keep = KEEP
    starts_at: datetime | Keep = KEEP
    duration_minutes: int | Keep = KEEP
    place: str | Keep = KEEP
    online_url: str | Keep = KEEP
    capacity: int | Keep | None = KEEP
    registration_deadline: datetime | Keep = KEEP


async def edit_masterclass(
    session: AsyncSession, person: Person, masterclass_id: int, edit: MasterclassEdit, now: datetime
) -> list[Change]:
    """Applies the edit and tells everyone registered or waiting; returns what changed
    (nothing changed: nobody is told). Errors: NotFound, AccessDenied,
    `masterclass_cancelled`, `masterclass_started`, `capacity_below_registered`, and the
    checks of a draft."""
    masterclass = await locked(session, masterclass_id)
    require_manage(person, masterclass)
    require_upcoming(masterclass, now)
    changes: list[Change] = []
    time_changed = False

    if not isinstance(edit.title, Keep):
        title = _text(edit.title, TITLE, "title_length")
        if title != masterclass.title:
            masterclass.title = title
            changes.append(Change("title", html.escape(title)))
    if not isinstance(edit.description, Keep):
        description = _text(edit.description, DESCRIPTION, "description_length")
        if description != masterclass.description:
            masterclass.description = description
            changes.append(Change("description", html.escape(description)))
    if not isinstance(edit.host, Keep):
        host = _text(edit.host, HOST, "host_length")
        if host != masterclass.host:
            masterclass.host = host
            changes.append(Change("host", html.escape(host)))

    starts_at = masterclass.starts_at if isinstance(edit.starts_at, Keep) else edit.starts_at
    duration = (
        masterclass.duration_minutes
        if isinstance(edit.duration_minutes, Keep)
        else edit.duration_minutes
    )
    if isinstance(edit.registration_deadline, Keep):
        deadline = masterclass.registration_deadline
        if deadline == masterclass.starts_at or deadline > starts_at:
            # It was the start (the default), or would fall after the new one: the start.
            deadline = starts_at
        _check_times(starts_at, None, duration, now)
    else:
        deadline = edit.registration_deadline
        _check_times(starts_at, deadline, duration, now)
    if deadline > starts_at:
        raise MasterclassError("deadline_after_start")
    if starts_at != masterclass.starts_at:
        masterclass.starts_at, time_changed = starts_at, True
        changes.append(Change("starts_at", when(starts_at, masterclass.timezone)))
    if duration != masterclass.duration_minutes:
        masterclass.duration_minutes, time_changed = duration, True
        changes.append(Change("duration", duration_text(duration)))
    if deadline != masterclass.registration_deadline:
        masterclass.registration_deadline = deadline
        changes.append(Change("deadline", when(deadline, masterclass.timezone)))

    if not isinstance(edit.place, Keep):
        place = _text(edit.place, PLACE, "place_length")
        if place != masterclass.place:
            masterclass.place, masterclass.online_url = place, None
            changes.append(Change("place", html.escape(place)))
    elif not isinstance(edit.online_url, Keep) and edit.online_url != masterclass.online_url:
        masterclass.online_url, masterclass.place = edit.online_url, None
        changes.append(Change("online_url", html.escape(edit.online_url)))

    more_seats = False
    if not isinstance(edit.capacity, Keep) and edit.capacity != masterclass.capacity:
        if edit.capacity is not None and edit.capacity < masterclass.seats_taken:
            raise MasterclassError("capacity_below_registered", taken=masterclass.seats_taken)
        more_seats = edit.capacity is None or (
            masterclass.capacity is not None and edit.capacity > masterclass.capacity
        )
        masterclass.capacity = edit.capacity
        value = str(edit.capacity) if edit.capacity is not None else t("masterclasses.unlimited")
        changes.append(Change("capacity", value))

    if not changes:
        return []
    masterclass.ics_sequence += 1
    masterclass.updated_at = now
    await session.flush()
    if time_changed:
        await schedule.replan_all(session, masterclass, now)
    promoted = await promote_waiting(session, masterclass, now) if more_seats else []
    people = [p for p in await _people(session, masterclass.id) if p not in promoted]
    zones = await timezones_of(session, people, masterclass.timezone)
    await enqueue(
        session,
        now,
        *(notices.changed(p, masterclass, zones[p], changes) for p in people),
    )
    return changes


async def cancel_masterclass(
    session: AsyncSession, person: Person, masterclass_id: int, reason: str, now: datetime
) -> int:
    """Cancels it with a reason, tells everyone registered or waiting (returns how many)
    and cancels every reminder. Errors: NotFound, AccessDenied, `masterclass_cancelled`,
    `masterclass_started`, `reason_length`."""
    masterclass = await locked(session, masterclass_id)
    require_manage(person, masterclass)
    require_upcoming(masterclass, now)
    masterclass.cancel_reason = _text(reason, REASON, "reason_length")
    masterclass.status = "cancelled"
    masterclass.cancelled_at = masterclass.updated_at = now
    masterclass.ics_sequence += 1
    await session.flush()
    await schedule.cancel_all(session, masterclass.id)
    people = await _people(session, masterclass.id)
    zones = await timezones_of(session, people, masterclass.timezone)
    await enqueue(session, now, *(notices.cancelled(p, masterclass, zones[p]) for p in people))
    return len(people)


async def message_registered(
    session: AsyncSession, person: Person, masterclass_id: int, text: str, now: datetime
) -> int:
    """The organiser's message to everyone holding a seat; returns how many.
    Errors: NotFound, AccessDenied, `masterclass_cancelled`, `message_length`."""
    masterclass = await locked(session, masterclass_id)
    require_manage(person, masterclass)
    if masterclass.status == "cancelled":
        raise MasterclassError("masterclass_cancelled")
    clean = _text(text, MESSAGE, "message_length")
    people = await _people(session, masterclass.id, statuses=(REGISTERED,))
    return await enqueue_broadcast(
        session,
        now,
        person.id,
        t("masterclasses.broadcast.message", title=html.escape(masterclass.title)),
        [notices.message_to_all(p, masterclass, clean) for p in people],
    )


async def _people(
    session: AsyncSession, masterclass_id: int, statuses: tuple[str, ...] = ACTIVE
) -> list[int]:
    rows = await session.scalars(
        select(MasterclassRegistration.user_id)
        .where(
            MasterclassRegistration.masterclass_id == masterclass_id,
            MasterclassRegistration.status.in_(statuses),
        )
        .order_by(MasterclassRegistration.id)
    )
    return list(rows)
