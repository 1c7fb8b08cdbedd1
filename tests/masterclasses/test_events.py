"""Creating, editing, cancelling and announcing: who may, what is checked, who is told."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.errors import AccessDenied
from bot.services.masterclasses import events
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.audience import Audience, Scope
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.events import KEEP, MasterclassEdit
from bot.texts import has
from storage.models import Broadcast
from tests.mandates.helpers import act, outbox
from tests.masterclasses.helpers import (
    CROWD_FROM,
    FAR_MEMBER,
    add_members,
    create,
    for_branch,
    fresh,
    registrations,
    texts_to,
)


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"title": "ab"}, "title_length"),
        ({"host": " "}, "host_length"),
        ({"place": None}, "place_missing"),
        ({"online_url": "https://x.example.org"}, "place_missing"),  # both
        ({"duration_minutes": 0}, "duration_out_of_range"),
        ({"starts_offset": timedelta(minutes=-1)}, "start_in_past"),
        ({"deadline_offset": timedelta(days=3)}, "deadline_after_start"),
        ({"deadline_offset": timedelta(days=-3)}, "deadline_in_past"),
        ({"audience": Audience(Scope.BRANCH, 9999)}, "audience_unknown"),
    ],
)
async def test_a_bad_draft_is_refused_and_nothing_is_saved(database, world, clock, fields, code):
    start = clock.now() + timedelta(days=2)
    if "starts_offset" in fields:
        start = clock.now() + fields.pop("starts_offset")
    if "deadline_offset" in fields:
        fields["registration_deadline"] = (
            start + fields.pop("deadline_offset") - timedelta(days=2)
            if fields["deadline_offset"] < timedelta(0)
            else start + fields.pop("deadline_offset")
        )
    with pytest.raises(MasterclassError) as refused:
        await create(database, world.admin, start, clock.now(), **fields)
    assert refused.value.code == code
    assert has(refused.value.text_key)
    assert await registrations(database, 1) == []


@pytest.mark.parametrize(
    ("organiser", "audience", "allowed"),
    [
        ("admin", Audience(Scope.ALL), True),
        ("admin", Audience(Scope.ALL, secretaries_only=True), True),
        ("region_admin", Audience(Scope.ALL), False),
        ("region_admin", "far_region", True),
        ("region_admin", "near_region", False),
        ("curator", "own_branch", True),
        ("curator", "other_branch", False),
        ("curator", Audience(Scope.ALL), False),
        ("secretary", "own_branch", False),
        ("author", "own_branch", False),
    ],
)
async def test_who_may_organise_for_which_audience(
    database, world, clock, organiser, audience, allowed
):
    from sqlalchemy import select

    from storage.models import Branch

    async with database.sessions() as session:
        far_region = await session.scalar(
            select(Branch.region_id).where(Branch.id == world.far_branch)
        )
        near_region = await session.scalar(
            select(Branch.region_id).where(Branch.id == world.branch)
        )
    named = {
        "far_region": Audience(Scope.REGION, far_region),
        "near_region": Audience(Scope.REGION, near_region),
        "own_branch": Audience(Scope.BRANCH, world.branch),
        "other_branch": Audience(Scope.BRANCH, world.other_branch),
    }
    audience = named.get(audience, audience)
    start = clock.now() + timedelta(days=2)
    who = getattr(world, organiser)
    if allowed:
        assert (await create(database, who, start, clock.now(), audience=audience)).id
    else:
        with pytest.raises(AccessDenied):
            await create(database, who, start, clock.now(), audience=audience)


async def test_the_announcement_reaches_exactly_the_audience(database, world, clock):
    await add_members(database, world.far_branch, FAR_MEMBER)
    start = clock.now() + timedelta(days=2)
    branch_only = await create(
        database, world.curator, start, clock.now(), audience=Audience(Scope.BRANCH, world.branch)
    )
    assert await act(database, events.announce, world.curator, branch_only.id, clock.now()) == 3
    # Members of 20-03 and its secretary; not the curator, not 20-04, not Novosibirsk.
    told = {m.chat_id for m in await outbox(database)}
    assert told == {world.author, world.member, world.secretary}

    secretaries = await create(
        database, world.admin, start, clock.now(),
        audience=Audience(Scope.ALL, secretaries_only=True),
    )  # fmt: skip
    before = len(await outbox(database))
    await act(database, events.announce, world.admin, secretaries.id, clock.now())
    told = {m.chat_id for m in (await outbox(database))[before:]}
    assert told == {world.secretary, world.foreign_secretary, world.far_secretary}
    [far] = await texts_to(database, world.far_secretary)
    assert "Новый мастер-класс" in far
    # Shown in Novosibirsk time: 4 hours ahead of the organiser's Moscow.
    local = (start + timedelta(hours=7)).strftime("%d.%m.%Y %H:%M")
    assert local in far


async def test_a_large_announcement_shows_the_organiser_its_progress(database, world, clock):
    crowd = [CROWD_FROM + n for n in range(40)]
    await add_members(database, world.branch, *crowd)
    masterclass = await for_branch(world, database, clock.now(), title="Наказы <и> ТОС")

    assert await act(database, events.announce, world.curator, masterclass.id, clock.now()) == 43
    async with database.sessions() as session:
        [broadcast] = await session.scalars(select(Broadcast))
    assert (broadcast.chat_id, broadcast.total) == (world.curator, 43)
    assert broadcast.label == "📣 Объявление о мастер-классе «Наказы &lt;и&gt; ТОС»"
    assert {m.broadcast_id for m in await outbox(database)} == {broadcast.id}


async def test_an_edit_tells_everyone_registered_or_waiting_what_changed(database, world, clock):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, world.member, masterclass.id, clock.now())
    changes = await act(
        database, events.edit_masterclass, world.curator, masterclass.id,
        MasterclassEdit(title="Наказы: <от А до Я>", place="Краснодар, ул. Северная, 5"),
        clock.now(),
    )  # fmt: skip
    assert [c.field for c in changes] == ["title", "place"]
    for user in (world.author, world.member):
        [text] = await texts_to(database, user)
        assert "Наказы: &lt;от А до Я&gt;" in text
        assert "ул. Северная" in text
    assert (await fresh(database, masterclass.id)).ics_sequence == 1
    # Nothing changed: nobody is told, the sequence stays.
    same = MasterclassEdit(title="Наказы: <от А до Я>", capacity=KEEP)
    assert await act(database, events.edit_masterclass, world.curator, masterclass.id, same,
                     clock.now()) == []  # fmt: skip
    assert len(await texts_to(database, world.author)) == 1


async def test_more_seats_promote_the_queue_and_fewer_than_taken_are_refused(
    database, world, clock
):
    crowd = [CROWD_FROM + n for n in range(3)]
    await add_members(database, world.branch, *crowd)
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    for user in crowd:
        await act(database, reg.register, user, masterclass.id, clock.now())
    await act(database, events.edit_masterclass, world.curator, masterclass.id,
              MasterclassEdit(capacity=2), clock.now())  # fmt: skip
    statuses = [r.status for r in await registrations(database, masterclass.id)]
    assert statuses == ["registered", "registered", "waiting"]
    assert "Освободилось место" in (await texts_to(database, crowd[1]))[-1]
    with pytest.raises(MasterclassError) as refused:
        await act(database, events.edit_masterclass, world.curator, masterclass.id,
                  MasterclassEdit(capacity=1), clock.now())  # fmt: skip
    assert refused.value.params == {"taken": 2}
    await act(database, events.edit_masterclass, world.curator, masterclass.id,
              MasterclassEdit(capacity=None), clock.now())  # fmt: skip
    statuses = [r.status for r in await registrations(database, masterclass.id)]
    assert statuses == ["registered"] * 3


async def test_only_the_organiser_or_an_admin_over_it_manages_it(database, world, clock):
    masterclass = await for_branch(world, database, clock.now())
    edit = MasterclassEdit(title="Чужое название")
    for stranger in (world.foreign_curator, world.secretary, world.author, world.region_admin):
        with pytest.raises(AccessDenied):
            await act(database, events.edit_masterclass, stranger, masterclass.id, edit,
                      clock.now())  # fmt: skip
        with pytest.raises(AccessDenied):
            await act(database, events.cancel_masterclass, stranger, masterclass.id, "Нет",
                      clock.now())  # fmt: skip
    assert (await fresh(database, masterclass.id)).title == "Как работать с наказами"
    # The admin of everything may, whoever created it.
    await act(database, events.edit_masterclass, world.admin, masterclass.id, edit, clock.now())
    assert (await fresh(database, masterclass.id)).title == "Чужое название"


async def test_a_started_or_cancelled_masterclass_cannot_be_changed(database, world, clock):
    masterclass = await for_branch(world, database, clock.now())
    await act(database, events.cancel_masterclass, world.curator, masterclass.id, "Карантин",
              clock.now())  # fmt: skip
    with pytest.raises(MasterclassError) as refused:
        await act(database, events.cancel_masterclass, world.curator, masterclass.id, "Ещё раз",
                  clock.now())  # fmt: skip
    assert refused.value.code == "masterclass_cancelled"
    other = await for_branch(world, database, clock.now())
    clock.set(other.starts_at)
    with pytest.raises(MasterclassError) as started:
        await act(database, events.edit_masterclass, world.curator, other.id,
                  MasterclassEdit(title="Поздно"), clock.now())  # fmt: skip
    assert started.value.code == "masterclass_started"


async def test_the_message_to_all_goes_to_those_with_a_seat(database, world, clock):
    masterclass = await for_branch(world, database, clock.now(), capacity=1)
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, world.member, masterclass.id, clock.now())
    sent = await act(database, events.message_registered, world.curator, masterclass.id,
                     "Возьмите <паспорт>", clock.now())  # fmt: skip
    assert sent == 1
    [text] = await texts_to(database, world.author)
    assert "Возьмите &lt;паспорт&gt;" in text
    assert await texts_to(database, world.member) == []
