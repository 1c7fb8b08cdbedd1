"""Registering for a masterclass, the waiting list, cancelling, «Не смогу», promotion.

- `register`: a seat while there is one, else a place in the queue; after the deadline
  registration is closed; a second registration is refused. The masterclass's row is
  locked first, then the seat is taken by a conditional UPDATE (`seats_taken < capacity`)
  and the database's CHECK holds the count to the capacity: the last seat goes to one
  person however many press at once, on SQLite and PostgreSQL.
- `cancel_registration` (the person's «Отменить запись») and `decline` («Не смогу» on the
  day-before reminder) free the seat, cancel the person's reminders and promote at once.
- `promote_waiting`: fills every free seat from the front of the queue; each promoted
  person gets their reminders and a notice (with the `.ics` behind its button).

All of it runs inside the caller's transaction; the notices commit with the change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.attributes import set_committed_value

from bot.services.masterclasses import notices, schedule
from bot.services.masterclasses.access import Action, require
from bot.services.masterclasses.audience import places_of
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.ics import IcsFile, calendar_file
from bot.services.masterclasses.records import (
    CANCELLED,
    DECLINED,
    REGISTERED,
    WAITING,
    locked,
    place_in_queue,
    registration_of,
    require_upcoming,
)
from bot.services.outbox import enqueue
from bot.services.people import Person, timezones_of
from storage.models import Masterclass, MasterclassRegistration


@dataclass(frozen=True, slots=True)
class Registered:
    """What registering gave: a seat (with its `.ics`) or a place in the queue."""

    masterclass: Masterclass
    seated: bool
    place: int | None  # 1-based place in the queue when waiting
    ics: IcsFile | None  # when seated

    @property
    def status(self) -> str:
        return REGISTERED if self.seated else WAITING


@dataclass(frozen=True, slots=True)
class LeftMasterclass:
    """What cancelling gave: the cancelling `.ics` when a seat was freed (none for a place
    in the queue, which never reached a calendar), and who was moved in."""

    masterclass: Masterclass
    ics: IcsFile | None
    promoted: list[int]


async def register(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> Registered:
    """Errors: NotFound, AccessDenied (not in the audience), `masterclass_cancelled`,
    `masterclass_started`, `masterclass_over`, `registration_closed`, `already_registered`,
    `already_waiting` (with `place`)."""
    masterclass = await locked(session, masterclass_id)
    require(person, Action.REGISTER, masterclass, await places_of(session, person))
    require_upcoming(masterclass, now)
    if now > masterclass.registration_deadline:
        raise MasterclassError("registration_closed")
    registration = await registration_of(session, masterclass.id, person.id)
    if registration is not None and registration.status == REGISTERED:
        raise MasterclassError("already_registered")
    if registration is not None and registration.status == WAITING:
        assert registration.queue_number is not None
        place = await place_in_queue(session, masterclass.id, registration.queue_number)
        raise MasterclassError("already_waiting", place=place)

    seated = await _take_seat(session, masterclass)
    queue_number = None if seated else await _next_queue_number(session, masterclass)
    if registration is None:
        registration = MasterclassRegistration(
            masterclass_id=masterclass.id,
            user_id=person.id,
            ics_sequence=0,
            attended=False,
            created_at=now,
        )
        session.add(registration)
    else:  # cancelled or declined before: the same row, a later calendar sequence
        registration.ics_sequence += 1
        registration.cancelled_at = None
    registration.status = REGISTERED if seated else WAITING
    registration.queue_number = queue_number
    registration.seated_at = now if seated else None
    registration.updated_at = now
    await session.flush()
    if not seated:
        assert queue_number is not None
        place = await place_in_queue(session, masterclass.id, queue_number)
        return Registered(masterclass, False, place, None)
    await schedule.plan_for_people(session, masterclass, [person.id], now)
    ics = calendar_file(masterclass, registration.ics_sequence, now)
    return Registered(masterclass, True, None, ics)


async def cancel_registration(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> LeftMasterclass:
    """The person's own «Отменить запись», seated or waiting. Errors: NotFound,
    `not_registered`, `masterclass_cancelled`, `masterclass_started`, `masterclass_over`."""
    return await _leave(session, person, masterclass_id, now, CANCELLED)


async def decline(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> LeftMasterclass:
    """«Не смогу» on the day-before reminder: like a cancellation, kept as `declined` so the
    organiser sees who said they could not come. Errors: as `cancel_registration`."""
    return await _leave(session, person, masterclass_id, now, DECLINED)


async def _leave(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime, status: str
) -> LeftMasterclass:
    masterclass = await locked(session, masterclass_id)
    registration = await registration_of(session, masterclass.id, person.id)
    if registration is None or registration.status not in (REGISTERED, WAITING):
        raise MasterclassError("not_registered")
    require_upcoming(masterclass, now)
    was_seated = registration.status == REGISTERED
    registration.status = status
    registration.cancelled_at = registration.updated_at = now
    registration.ics_sequence += 1
    await session.flush()
    if not was_seated:
        return LeftMasterclass(masterclass, None, [])
    await _free_seat(session, masterclass)
    await schedule.cancel_for_person(session, masterclass.id, person.id)
    promoted = await promote_waiting(session, masterclass, now)
    ics = calendar_file(masterclass, registration.ics_sequence, now, cancelled=True)
    return LeftMasterclass(masterclass, ics, promoted)


async def promote_waiting(
    session: AsyncSession, masterclass: Masterclass, now: datetime
) -> list[int]:
    """Moves the first in line into every free seat, in queue order, plans their reminders
    and tells them. The masterclass must be locked (`records.locked`) by the caller.
    Returns the promoted people's ids."""
    if masterclass.status != "published" or now >= masterclass.starts_at:
        return []
    free = None if masterclass.capacity is None else masterclass.capacity - masterclass.seats_taken
    if free is not None and free <= 0:
        return []
    query = (
        select(MasterclassRegistration)
        .where(
            MasterclassRegistration.masterclass_id == masterclass.id,
            MasterclassRegistration.status == WAITING,
        )
        .order_by(MasterclassRegistration.queue_number)
    )
    if free is not None:
        query = query.limit(free)
    waiting = list(await session.scalars(query))
    if not waiting:
        return []
    for registration in waiting:
        registration.status = REGISTERED
        registration.seated_at = registration.updated_at = now
    await session.flush()
    taken = await session.scalar(
        update(Masterclass)
        .where(Masterclass.id == masterclass.id)
        .values(seats_taken=Masterclass.seats_taken + len(waiting))
        .returning(Masterclass.seats_taken)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(masterclass, "seats_taken", taken)
    people = [registration.user_id for registration in waiting]
    await schedule.plan_for_people(session, masterclass, people, now)
    zones = await timezones_of(session, people, masterclass.timezone)
    await enqueue(session, now, *(notices.promoted(p, masterclass, zones[p]) for p in people))
    return people


async def _take_seat(session: AsyncSession, masterclass: Masterclass) -> bool:
    """One seat more, if one is free: a conditional UPDATE, so even without the row lock
    the count could not pass the capacity (and the CHECK would refuse it if it did)."""
    taken = await session.scalar(
        update(Masterclass)
        .where(
            Masterclass.id == masterclass.id,
            or_(
                Masterclass.capacity.is_(None),
                Masterclass.seats_taken < Masterclass.capacity,
            ),
        )
        .values(seats_taken=Masterclass.seats_taken + 1)
        .returning(Masterclass.seats_taken)
        .execution_options(synchronize_session=False)
    )
    if taken is None:
        return False
    set_committed_value(masterclass, "seats_taken", taken)
    return True


async def _free_seat(session: AsyncSession, masterclass: Masterclass) -> None:
    taken = await session.scalar(
        update(Masterclass)
        .where(Masterclass.id == masterclass.id)
        .values(seats_taken=Masterclass.seats_taken - 1)
        .returning(Masterclass.seats_taken)
        .execution_options(synchronize_session=False)
    )
    set_committed_value(masterclass, "seats_taken", taken)


async def _next_queue_number(session: AsyncSession, masterclass: Masterclass) -> int:
    number = await session.scalar(
        update(Masterclass)
        .where(Masterclass.id == masterclass.id)
        .values(queue_last=Masterclass.queue_last + 1)
        .returning(Masterclass.queue_last)
        .execution_options(synchronize_session=False)
    )
    assert number is not None
    set_committed_value(masterclass, "queue_last", number)
    return int(number)


async def my_ics(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> IcsFile:
    """The current `.ics` for the person (the `mc:ics:<id>` button): the event while they
    hold a seat, its cancellation when the event or their seat is cancelled.
    Error: `not_registered` when they never held a seat."""
    masterclass = await session.get(Masterclass, masterclass_id)
    registration = (
        await registration_of(session, masterclass_id, person.id) if masterclass else None
    )
    if masterclass is None or registration is None or registration.seated_at is None:
        raise MasterclassError("not_registered")
    return calendar_file(
        masterclass,
        registration.ics_sequence,
        now,
        cancelled=registration.status != REGISTERED,
    )
