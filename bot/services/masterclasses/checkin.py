"""Attendance: a 4-digit code said in the room, or the organiser ticking the list.

At the start (`schedule.CHECKIN`) the masterclass gets a random code, valid until
`VALID_AFTER_END` after its end, and the organiser is sent it. A registered person sends
the code (`/checkin 4821`, or the hour-before reminder's button and then the code) and is
marked present; the code is looked up among their own seated registrations, so two
masterclasses with the same code never mix. Someone marked present after the end is asked
for feedback at once (the others were asked at the end).
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.due_work import DueJob
from bot.services.masterclasses import notices
from bot.services.masterclasses.access import require_manage
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.notices import ends_at
from bot.services.masterclasses.records import REGISTERED, locked, registration_of
from bot.services.outbox import enqueue
from bot.services.people import Person, timezones_of
from storage.models import Masterclass, MasterclassRegistration

VALID_AFTER_END = timedelta(hours=3)
# The organiser may ask for the code a little before the start, to write it on a board.
OPENS_BEFORE_START = timedelta(minutes=30)
_CODE = re.compile(r"^\d{4}$")


def new_code() -> str:
    return f"{secrets.randbelow(10_000):04d}"


def open_check_in(masterclass: Masterclass, now: datetime) -> str:
    """The masterclass's code, made now if it has none; valid until 3 hours after the end."""
    if masterclass.checkin_code is None:
        masterclass.checkin_code = new_code()
        masterclass.checkin_expires_at = ends_at(masterclass) + VALID_AFTER_END
        masterclass.updated_at = now
    return masterclass.checkin_code


async def send_code_at_start(session: AsyncSession, job: DueJob, now: datetime) -> None:
    """The `masterclass.checkin` kind: the code to the organiser, unless it was cancelled
    or the bot, down meanwhile, runs it when the code would mark nobody any more."""
    masterclass = await locked(session, int(job.subject))
    if masterclass.status != "published" or now > ends_at(masterclass) + VALID_AFTER_END:
        return
    open_check_in(masterclass, now)
    await session.flush()
    zones = await timezones_of(session, [masterclass.organiser_id], masterclass.timezone)
    await enqueue(
        session,
        now,
        notices.checkin_code(
            masterclass.organiser_id, masterclass, zones[masterclass.organiser_id]
        ),
    )


async def code_for_organiser(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> str:
    """The code, for the organiser's card (from half an hour before the start).
    Errors: NotFound, AccessDenied, `masterclass_cancelled`, `checkin_not_open`,
    `checkin_code_expired` (a code that no longer marks anyone is not given out)."""
    masterclass = await locked(session, masterclass_id)
    require_manage(person, masterclass)
    if masterclass.status != "published":
        raise MasterclassError("masterclass_cancelled")
    if now < masterclass.starts_at - OPENS_BEFORE_START:
        raise MasterclassError("checkin_not_open")
    if now > ends_at(masterclass) + VALID_AFTER_END:
        raise MasterclassError("checkin_code_expired")
    code = open_check_in(masterclass, now)
    await session.flush()
    return code


async def check_in(
    session: AsyncSession,
    person: Person,
    code: str,
    now: datetime,
    *,
    masterclass_id: int | None = None,
) -> Masterclass:
    """Marks the person present at the masterclass of theirs whose code this is (or at
    `masterclass_id` only, after the reminder's button). Sending the code again is fine.

    Errors: `checkin_code_format`, `checkin_wrong_code`, `checkin_expired`,
    `checkin_not_open` (no code given out yet), `checkin_not_registered`."""
    code = code.strip()
    if not _CODE.match(code):
        raise MasterclassError("checkin_code_format")
    query = (
        select(MasterclassRegistration, Masterclass)
        .join(Masterclass, Masterclass.id == MasterclassRegistration.masterclass_id)
        .where(
            MasterclassRegistration.user_id == person.id,
            MasterclassRegistration.status == REGISTERED,
            Masterclass.status == "published",
        )
    )
    if masterclass_id is not None:
        query = query.where(Masterclass.id == masterclass_id)
    mine = [(r, m) for r, m in (await session.execute(query)).all()]
    matching = [(r, m) for r, m in mine if m.checkin_code == code]
    valid = [(r, m) for r, m in matching if m.checkin_expires_at and now <= m.checkin_expires_at]
    if valid:
        registration, masterclass = valid[0]
        await _mark(session, masterclass, registration, True, now)
        return masterclass
    if matching:
        raise MasterclassError("checkin_expired")
    if any(m.checkin_code is not None and now <= (m.checkin_expires_at or now) for _, m in mine):
        raise MasterclassError("checkin_wrong_code")
    if any(m.checkin_expires_at is not None and now > m.checkin_expires_at for _, m in mine):
        raise MasterclassError("checkin_expired")  # a wrong code, but no code works by now
    if any(now < ends_at(m) for _, m in mine):
        raise MasterclassError("checkin_not_open")
    raise MasterclassError("checkin_not_registered")


async def mark_present(
    session: AsyncSession,
    person: Person,
    masterclass_id: int,
    user_id: int,
    present: bool,
    now: datetime,
) -> None:
    """The organiser ticks (or unticks) a seated person on the list.
    Errors: NotFound, AccessDenied, `masterclass_cancelled`, `person_not_registered`."""
    masterclass = await locked(session, masterclass_id)
    require_manage(person, masterclass)
    if masterclass.status != "published":
        raise MasterclassError("masterclass_cancelled")
    registration = await registration_of(session, masterclass.id, user_id)
    if registration is None or registration.status != REGISTERED:
        raise MasterclassError("person_not_registered")
    await _mark(session, masterclass, registration, present, now)


async def _mark(
    session: AsyncSession,
    masterclass: Masterclass,
    registration: MasterclassRegistration,
    present: bool,
    now: datetime,
) -> None:
    newly = present and not registration.attended
    registration.attended = present
    registration.attended_at = now if present else None
    registration.updated_at = now
    await session.flush()
    if newly and now >= ends_at(masterclass) and registration.rating is None:
        await enqueue(session, now, notices.feedback_request(registration.user_id, masterclass))
