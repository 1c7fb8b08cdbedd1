"""Registering: a seat, then the waiting list in order; cancelling promotes the first in
line at once; the deadline; no second registration; the race for the last seat."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError

from bot.services.errors import AccessDenied
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.schedule import DAY_BEFORE, HOUR_BEFORE
from storage.models import Masterclass, MasterclassRegistration
from storage.models.due_work import DueWork
from tests.mandates.helpers import act, person
from tests.masterclasses.helpers import (
    CROWD_FROM,
    add_members,
    for_branch,
    fresh,
    registrations,
    texts_to,
)


async def reminders_of(database, masterclass_id: int) -> set[tuple[str, int, str]]:
    async with database.sessions() as session:
        rows = await session.scalars(
            select(DueWork).where(
                DueWork.subject == str(masterclass_id), DueWork.kind.in_([DAY_BEFORE, HOUR_BEFORE])
            )
        )
        return {(row.kind, row.recipient_id, row.status) for row in rows}


async def test_seats_then_the_queue_in_order_and_a_cancellation_promotes_the_first(
    database, world, clock
):
    crowd = [CROWD_FROM + n for n in range(3)]
    await add_members(database, world.branch, *crowd)
    masterclass = await for_branch(world, database, clock.now(), capacity=2)

    first = await act(database, reg.register, world.author, masterclass.id, clock.now())
    second = await act(database, reg.register, world.member, masterclass.id, clock.now())
    assert (first.seated, second.seated) == (True, True)
    assert first.ics is not None
    assert b"BEGIN:VCALENDAR" in first.ics.content
    waiting = [await act(database, reg.register, u, masterclass.id, clock.now()) for u in crowd]
    assert [(w.seated, w.place, w.ics) for w in waiting] == [
        (False, 1, None),
        (False, 2, None),
        (False, 3, None),
    ]
    assert (await fresh(database, masterclass.id)).seats_taken == 2

    left = await act(database, reg.cancel_registration, world.member, masterclass.id, clock.now())
    assert left.promoted == [crowd[0]]
    assert left.ics is not None
    assert b"METHOD:CANCEL" in left.ics.content
    by_user = {r.user_id: r for r in await registrations(database, masterclass.id)}
    assert by_user[world.member].status == "cancelled"
    assert by_user[crowd[0]].status == "registered"
    assert [by_user[u].status for u in crowd[1:]] == ["waiting", "waiting"]
    # The promoted person is told at once, and the queue moved up.
    [told] = await texts_to(database, crowd[0])
    assert "Освободилось место" in told
    with pytest.raises(MasterclassError) as queued:
        await act(database, reg.register, crowd[2], masterclass.id, clock.now())
    assert (queued.value.code, queued.value.params) == ("already_waiting", {"place": 2})
    # Reminders: the canceller's are cancelled, the promoted person's planned.
    planned = await reminders_of(database, masterclass.id)
    assert (DAY_BEFORE, world.member, "cancelled") in planned
    assert (DAY_BEFORE, crowd[0], "pending") in planned
    assert (HOUR_BEFORE, crowd[0], "pending") in planned
    assert not {p for p in planned if p[1] in crowd[1:]}


async def test_a_person_cannot_register_twice(database, world, clock):
    masterclass = await for_branch(world, database, clock.now(), capacity=5)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    with pytest.raises(MasterclassError) as refused:
        await act(database, reg.register, world.author, masterclass.id, clock.now())
    assert refused.value.code == "already_registered"
    assert (await fresh(database, masterclass.id)).seats_taken == 1
    assert len(await registrations(database, masterclass.id)) == 1


async def test_the_database_itself_refuses_a_second_row_and_a_seat_past_capacity(
    database, world, clock
):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    row = {"masterclass_id": masterclass.id, "user_id": world.author, "status": "waiting",
           "queue_number": 9, "attended": False, "ics_sequence": 0,
           "created_at": clock.now(), "updated_at": clock.now()}  # fmt: skip
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await session.execute(insert(MasterclassRegistration).values(**row))
    with pytest.raises(IntegrityError):
        async with database.transaction() as session:
            await session.execute(
                update(Masterclass).where(Masterclass.id == masterclass.id).values(seats_taken=2)
            )


async def test_cancelling_and_registering_again_reuses_the_row_with_a_later_sequence(
    database, world, clock
):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.cancel_registration, world.author, masterclass.id, clock.now())
    back = await act(database, reg.register, world.author, masterclass.id, clock.now())
    assert back.seated
    [row] = await registrations(database, masterclass.id)
    assert (row.status, row.ics_sequence, row.cancelled_at) == ("registered", 2, None)
    assert b"SEQUENCE:2" in back.ics.content


async def test_leaving_the_queue_frees_no_seat_and_gives_no_calendar_file(database, world, clock):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, world.member, masterclass.id, clock.now())
    left = await act(database, reg.cancel_registration, world.member, masterclass.id, clock.now())
    assert (left.ics, left.promoted) == (None, [])
    assert (await fresh(database, masterclass.id)).seats_taken == 1
    with pytest.raises(MasterclassError) as refused:
        await act(database, reg.cancel_registration, world.member, masterclass.id, clock.now())
    assert refused.value.code == "not_registered"


async def test_registration_closes_at_the_deadline_and_at_the_start(database, world, clock):
    start = clock.now() + timedelta(days=2)
    masterclass = await for_branch(
        world, database, clock.now(), registration_deadline=start - timedelta(days=1)
    )
    clock.set(start - timedelta(days=1))
    await act(database, reg.register, world.author, masterclass.id, clock.now())  # at it: open
    clock.advance(seconds=1)
    with pytest.raises(MasterclassError) as closed:
        await act(database, reg.register, world.member, masterclass.id, clock.now())
    assert closed.value.code == "registration_closed"
    clock.set(start)
    with pytest.raises(MasterclassError) as started:
        await act(database, reg.cancel_registration, world.author, masterclass.id, clock.now())
    assert started.value.code == "masterclass_started"


async def test_only_the_audience_may_register(database, world, clock):
    masterclass = await for_branch(world, database, clock.now())
    for outsider in (world.foreign_member, world.foreign_secretary, world.far_secretary):
        with pytest.raises(AccessDenied):
            await act(database, reg.register, outsider, masterclass.id, clock.now())
    # A secretary of the branch is in its audience though not a member of it.
    assert (await act(database, reg.register, world.secretary, masterclass.id, clock.now())).seated
    assert {r.user_id for r in await registrations(database, masterclass.id)} == {world.secretary}


async def test_many_pressing_for_few_seats_at_once_get_exactly_that_many(database, world, clock):
    crowd = [CROWD_FROM + n for n in range(24)]
    await add_members(database, world.branch, *crowd)
    masterclass = await for_branch(world, database, clock.now(), capacity=5)
    people = [await person(database, u) for u in crowd]

    async def press(who):
        async with database.transaction() as session:
            return await reg.register(session, who, masterclass.id, clock.now())

    results = await asyncio.gather(*(press(who) for who in people))
    assert sum(r.seated for r in results) == 5
    assert sorted(r.place for r in results if not r.seated) == list(range(1, 20))
    rows = await registrations(database, masterclass.id)
    assert sum(r.status == "registered" for r in rows) == 5
    numbers = sorted(r.queue_number for r in rows if r.status == "waiting")
    assert numbers == list(range(1, 20))
    assert (await fresh(database, masterclass.id)).seats_taken == 5


async def test_the_last_seat_goes_to_the_first_transaction_while_the_second_waits_for_it(
    database, world, clock
):
    """Two connections: the first holds the masterclass row while the second presses; the
    second waits for the first to commit and then gets the queue, not a seat."""
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    author, member = await person(database, world.author), await person(database, world.member)
    first_has_seat, release = asyncio.Event(), asyncio.Event()

    async def first():
        async with database.transaction() as session:
            result = await reg.register(session, author, masterclass.id, clock.now())
            first_has_seat.set()
            await release.wait()
            return result

    async def second():
        await first_has_seat.wait()
        async with database.transaction() as session:
            return await reg.register(session, member, masterclass.id, clock.now())

    one = asyncio.create_task(first())
    two = asyncio.create_task(second())
    await first_has_seat.wait()
    await asyncio.sleep(0.2)  # the second is blocked on the row (PG) or the writer (SQLite)
    assert not two.done()
    release.set()
    results = await asyncio.gather(one, two)
    assert [(r.seated, r.place) for r in results] == [(True, None), (False, 1)]
