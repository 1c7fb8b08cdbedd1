"""The access matrix: every role against every action, on a mandate of their own branch
(20-03, written by the author) and on one of another branch (20-04). A refusal raises
AccessDenied and changes nothing: status, history and outbox stay as they were."""

from __future__ import annotations

import pytest

from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.mandates import decisions, queries, similarity
from bot.services.mandates.card import mandate_card
from storage.models import Mandate
from tests.harness.factories import make_user
from tests.mandates.helpers import act, events, get_mandate, outbox, submit

FOREIGN_AUTHOR = 201  # writes the mandate of branch 20-04

# What each role may do with a mandate of branch 20-03 written by `author`.
HOME = {
    "author": {"read", "answer", "rate"},
    "member": {"support"},  # another member of 20-03: may support, may not read
    "secretary": {"read", "accept", "resolve"},
    "curator": {"read", "comment"},
    "admin": {"read", "accept", "resolve", "comment"},
    "region_admin": set(),  # an admin of another region
    "foreign_secretary": set(),
    "foreign_curator": set(),
    "foreign_member": set(),
}
# …and with a mandate of branch 20-04 (same region) written by someone else.
AWAY = {
    "author": set(),
    "member": set(),
    "secretary": set(),
    "curator": set(),
    "admin": {"read", "accept", "resolve", "comment"},
    "region_admin": set(),
    "foreign_secretary": {"read", "accept", "resolve"},
    "foreign_curator": {"read", "comment"},
    "foreign_member": {"support"},
}
ACTIONS = ["read", "accept", "resolve", "comment", "answer", "rate", "support"]


async def _prepare(database, world, clock, action: str, home: bool) -> Mandate:
    """A mandate in the status the action needs, so only access can refuse it."""
    author = world.author if home else FOREIGN_AUTHOR
    secretary = world.secretary if home else world.foreign_secretary
    mandate = await submit(database, author, clock.now())
    now = clock.now()
    if action in ("resolve", "rate"):
        await act(database, decisions.accept_mandate, secretary, mandate.id, now)
    if action == "rate":
        await act(database, decisions.resolve_mandate, secretary, mandate.id, "Сделано", now)
    if action == "answer":
        await act(database, decisions.ask_clarification, secretary, mandate.id, "Где?", now)
    return mandate


async def _do(database, user_id: int, action: str, mandate_id: int, now) -> None:
    calls = {
        "read": lambda: act(database, mandate_card, user_id, mandate_id, now),
        "accept": lambda: act(database, decisions.accept_mandate, user_id, mandate_id, now),
        "resolve": lambda: act(database, decisions.resolve_mandate, user_id, mandate_id, "Ок", now),
        "comment": lambda: act(database, decisions.comment_mandate, user_id, mandate_id, "Ок", now),
        "answer": lambda: act(
            database, decisions.answer_clarification, user_id, mandate_id, "Тут", now
        ),
        "rate": lambda: act(database, decisions.rate_mandate, user_id, mandate_id, 5, now),
        "support": lambda: act(database, similarity.support_mandate, user_id, mandate_id, now),
    }
    await calls[action]()


async def _state(database, mandate_id: int) -> tuple:
    m = await get_mandate(database, mandate_id)
    return (
        m.status,
        m.updated_at,
        m.supporters,
        m.rating,
        len(await events(database, mandate_id)),
        len(await outbox(database)),
    )


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("role", list(HOME))
async def test_access_matrix(database, world, clock, role: str, action: str) -> None:
    await make_user(database, FOREIGN_AUTHOR, branch_id=world.other_branch)
    user_id = getattr(world, role)
    for home, expected in ((True, HOME[role]), (False, AWAY[role])):
        mandate = await _prepare(database, world, clock, action, home)
        before = await _state(database, mandate.id)
        clock.advance(minutes=1)
        where = "own branch" if home else "foreign branch"

        if action in expected:
            await _do(database, user_id, action, mandate.id, clock.now())
            if action != "read":
                assert await _state(database, mandate.id) != before, (role, action, where)
        else:
            with pytest.raises(DomainError) as error:
                await _do(database, user_id, action, mandate.id, clock.now())
            # Supporting one's own mandate gets its own explanation; the rest «Нет доступа».
            own_support = (role, action, home) == ("author", "support", True)
            expected_code = "mandate_support_own" if own_support else "access_denied"
            assert error.value.code == expected_code, (role, action, where)
            assert await _state(database, mandate.id) == before, (role, action, where)


async def test_an_unknown_mandate_is_not_found(database, world, clock) -> None:
    with pytest.raises(NotFound) as error:
        await act(database, decisions.accept_mandate, world.secretary, 999_999, clock.now())
    assert error.value.code == "mandate_not_found"


async def test_a_regional_admin_acts_in_their_region(database, world, clock) -> None:
    await make_user(database, 600, branch_id=world.far_branch)
    mandate = await submit(database, 600, clock.now())
    await act(database, decisions.accept_mandate, world.region_admin, mandate.id, clock.now())
    last = (await events(database, mandate.id))[-1]
    assert (last.action, last.actor_role) == ("accepted", "admin")
    page = await act(database, queries.inbox, world.region_admin, clock.now())
    assert [m.id for m in page.items] == [mandate.id]
    with pytest.raises(AccessDenied):
        await act(database, mandate_card, world.secretary, mandate.id, clock.now())


async def test_lists_show_only_what_a_card_would(database, world, clock) -> None:
    """The SQL scope and the per-mandate rule agree, for every role, on every mandate."""
    await make_user(database, FOREIGN_AUTHOR, branch_id=world.other_branch)
    await make_user(database, 600, branch_id=world.far_branch)
    mine = await submit(database, world.author, clock.now())
    theirs = await submit(database, FOREIGN_AUTHOR, clock.now())
    far = await submit(database, 600, clock.now())
    for role in HOME:
        user_id = getattr(world, role)
        readable = set()
        for m in (mine, theirs, far):
            try:
                await act(database, mandate_card, user_id, m.id, clock.now())
                readable.add(m.id)
            except AccessDenied:
                pass
        listed = set()
        try:
            page = await act(database, queries.curator_list, user_id, clock.now(), per_page=50)
            listed = {s.id for s in page.items}
        except AccessDenied:
            pass
        own = await act(database, queries.my_mandates, user_id, clock.now(), per_page=50)
        listed |= {s.id for s in own.items}
        assert listed == readable, role


LONELY_AUTHOR, LONELY_CURATOR = 800, 801


@pytest.mark.parametrize("action", ["read", "accept", "resolve", "comment"])
async def test_a_branch_without_a_secretary_is_its_curators_to_manage(
    database, world, clock, action: str
) -> None:
    """While a branch has no secretary its curators do the secretary's work there; nobody
    else gains anything, and the curators of a branch with a secretary still only comment."""
    from bot.services.people import Role
    from tests.harness.factories import make_branch

    lonely = await make_branch(database, "20-05", name="пятый Береговой округ")
    await make_user(database, LONELY_AUTHOR, branch_id=lonely)
    await make_user(database, LONELY_CURATOR, roles={Role.CURATOR: [lonely]})
    expected = {
        LONELY_CURATOR: {"read", "accept", "resolve", "comment"},
        world.admin: {"read", "accept", "resolve", "comment"},
        world.curator: set(),
        world.secretary: set(),
        world.region_admin: set(),
        world.member: set(),
    }
    for user_id, allowed_actions in expected.items():
        mandate = await submit(database, LONELY_AUTHOR, clock.now())
        if action == "resolve":
            await act(database, decisions.accept_mandate, LONELY_CURATOR, mandate.id, clock.now())
        before = await _state(database, mandate.id)
        clock.advance(minutes=1)
        if action in allowed_actions:
            await _do(database, user_id, action, mandate.id, clock.now())
            if action != "read":
                assert await _state(database, mandate.id) != before, (user_id, action)
        else:
            with pytest.raises(AccessDenied):
                await _do(database, user_id, action, mandate.id, clock.now())
            assert await _state(database, mandate.id) == before, (user_id, action)
