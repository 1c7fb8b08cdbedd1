"""Who sees what: the upcoming list by audience, nearest first and paged, «Мои»,
the organiser's list, one card (refused to outsiders), and the list of people with its
.xlsx."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from bot.services.errors import AccessDenied
from bot.services.masterclasses import queries, roster
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.audience import Audience, Scope
from storage.models import Branch
from tests.mandates.helpers import act
from tests.masterclasses.helpers import CROWD_FROM, FAR_MEMBER, add_members, create


async def _region_of(database, branch_id):
    async with database.sessions() as session:
        return await session.scalar(select(Branch.region_id).where(Branch.id == branch_id))


@pytest.fixture
async def catalogue(database, world, clock):
    """Five masterclasses a day apart, each for another audience."""
    await add_members(database, world.far_branch, FAR_MEMBER)
    near, far = (
        await _region_of(database, world.branch),
        await _region_of(database, world.far_branch),
    )
    day = timedelta(days=1)
    audiences = {
        "all": (world.admin, Audience(Scope.ALL)),
        "secretaries": (world.admin, Audience(Scope.ALL, secretaries_only=True)),
        "near_region": (world.admin, Audience(Scope.REGION, near)),
        "far_region": (world.region_admin, Audience(Scope.REGION, far)),
        "branch": (world.curator, Audience(Scope.BRANCH, world.branch)),
    }
    made = {}
    for n, (name, (organiser, audience)) in enumerate(audiences.items(), start=1):
        made[name] = (
            await create(
                database,
                organiser,
                clock.now() + n * day,
                clock.now(),
                audience=audience,
                title=f"Мастер-класс {name}",
            )
        ).id
    return made


@pytest.mark.parametrize(
    ("who", "expected"),
    [
        ("author", ["all", "near_region", "branch"]),
        ("foreign_member", ["all", "near_region"]),
        ("secretary", ["all", "secretaries", "near_region", "branch"]),
        ("far_secretary", ["all", "secretaries", "far_region"]),
        ("curator", []),  # a curator is no member: they organise
        ("admin", []),
    ],
)
async def test_the_upcoming_list_holds_the_audience_only(
    database, world, clock, catalogue, who, expected
):
    page = await act(database, queries.upcoming_for, getattr(world, who), clock.now(), 1, 10)
    names = {v: k for k, v in catalogue.items()}
    assert [names[item.id] for item in page.items] == expected
    if expected:
        hidden = next(i for n, i in catalogue.items() if n not in expected)
        with pytest.raises(AccessDenied):
            await act(database, queries.card, getattr(world, who), hidden, clock.now())
        with pytest.raises(AccessDenied):
            await act(database, reg.register, getattr(world, who), hidden, clock.now())


async def test_the_list_is_nearest_first_paged_and_drops_what_started(
    database, world, clock, catalogue
):
    first = await act(database, queries.upcoming_for, world.secretary, clock.now(), 1, 3)
    assert (first.total, first.pages, len(first.items)) == (4, 2, 3)
    second = await act(database, queries.upcoming_for, world.secretary, clock.now(), 2, 3)
    assert [i.id for i in second.items] == [catalogue["branch"]]
    starts = [i.starts_at for i in first.items]
    assert starts == sorted(starts)
    clock.advance(days=1, seconds=1)  # «all» has started
    later = await act(database, queries.upcoming_for, world.secretary, clock.now(), 1, 10)
    assert catalogue["all"] not in [i.id for i in later.items]


async def test_seats_left_my_status_and_place_in_the_queue(database, world, clock):
    masterclass = await create(database, world.curator, clock.now() + timedelta(days=1),
                               clock.now(), audience=Audience(Scope.BRANCH, world.branch),
                               capacity=1)  # fmt: skip
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    await act(database, reg.register, world.member, masterclass.id, clock.now())
    [mine] = (await act(database, queries.upcoming_for, world.member, clock.now())).items
    assert (mine.seats_left, mine.waiting, mine.my_status, mine.my_place) == (0, 1, "waiting", 1)
    [theirs] = (await act(database, queries.my_masterclasses, world.author, clock.now())).items
    assert (theirs.my_status, theirs.my_place) == ("registered", None)
    [organised] = (await act(database, queries.organised_by, world.curator, clock.now())).items
    assert (organised.seats_taken, organised.capacity, organised.waiting) == (1, 1, 1)
    assert (
        await act(database, queries.organised_by, world.foreign_curator, clock.now())
    ).total == 0
    card = await act(database, queries.card, world.curator, masterclass.id, clock.now())
    assert (card.can_manage, card.can_register, card.registration_open) == (True, False, True)


async def test_the_organisers_list_of_people_and_its_workbook(database, world, clock):
    crowd = [CROWD_FROM + n for n in range(3)]
    await add_members(database, world.branch, *crowd)
    masterclass = await create(database, world.curator, clock.now() + timedelta(days=1),
                               clock.now(), audience=Audience(Scope.BRANCH, world.branch),
                               capacity=2)  # fmt: skip
    for user in (world.author, world.secretary, *crowd):
        await act(database, reg.register, user, masterclass.id, clock.now())
    await act(database, reg.cancel_registration, crowd[0], masterclass.id, clock.now())

    lines = await act(database, roster.roster, world.curator, masterclass.id)
    assert [(line.user_id, line.status, line.place) for line in lines] == [
        (world.author, "registered", None),
        (world.secretary, "registered", None),
        (crowd[1], "waiting", 1),
        (crowd[2], "waiting", 2),
    ]
    assert (lines[0].branch_number, lines[1].branch_number) == ("20-03", None)
    with pytest.raises(AccessDenied):
        await act(database, roster.roster, world.author, masterclass.id)

    content = await act(database, roster.roster_xlsx, world.curator, masterclass.id,
                        "Europe/Moscow")  # fmt: skip
    sheet = load_workbook(io.BytesIO(content), read_only=True)["Участники"]
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0][:3] == ("Имя", "Первичное отделение", "Статус")
    assert [row[2] for row in rows[1:]] == ["записан", "записан", "в очереди", "в очереди",
                                             "отменил запись"]  # fmt: skip
    assert rows[1][1] == "20-03 первый Береговой округ"
