"""Whom a masterclass is for, and who is in that audience.

An audience is a scope — everyone, one region, one local branch or one primary branch —
optionally narrowed to the secretaries of the branches in it. A person belongs to it
through the branch they are a member of and the branches they are secretary of (a
secretary need not be a member); «secretaries only» counts the second kind alone.

The same rule is written three ways, kept side by side here so they cannot drift apart:
`contains` for one masterclass in Python, `visible_condition` as SQL over `Masterclass`
for a person's list, and `member_ids` for the announcement's recipients.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.masterclasses.errors import MasterclassError
from bot.services.people import Person, Role
from storage.models import Branch, LocalBranch, Masterclass, Region, RoleAssignment, User


class Scope(StrEnum):
    ALL = "all"
    REGION = "region"
    LOCAL_BRANCH = "local_branch"
    BRANCH = "branch"


@dataclass(frozen=True, slots=True)
class Audience:
    """What the organiser chose: a scope, the id of its region / local branch / branch
    (None for everyone), and whether only secretaries are invited."""

    scope: Scope
    target_id: int | None = None
    secretaries_only: bool = False

    def __post_init__(self) -> None:
        if (self.scope == Scope.ALL) != (self.target_id is None):
            raise MasterclassError("audience_unknown")


@dataclass(frozen=True, slots=True)
class ResolvedAudience:
    """An audience with every level filled in, as stored on the masterclass."""

    scope: Scope
    region_id: int | None
    local_branch_id: int | None
    branch_id: int | None
    secretaries_only: bool

    @classmethod
    def of(cls, masterclass: Masterclass) -> ResolvedAudience:
        return cls(
            Scope(masterclass.audience_scope),
            masterclass.audience_region_id,
            masterclass.audience_local_branch_id,
            masterclass.audience_branch_id,
            masterclass.secretaries_only,
        )


async def resolve(session: AsyncSession, audience: Audience) -> ResolvedAudience:
    """Fills in the wider levels (a branch's local branch and region). Error:
    `audience_unknown` when the region, local branch or branch does not exist."""
    region = local = branch = None
    if audience.scope == Scope.REGION:
        region = await session.scalar(select(Region.id).where(Region.id == audience.target_id))
    elif audience.scope == Scope.LOCAL_BRANCH:
        found = await session.execute(
            select(LocalBranch.region_id, LocalBranch.id).where(
                LocalBranch.id == audience.target_id
            )
        )
        pair = found.first()
        if pair is not None:
            region, local = pair
    elif audience.scope == Scope.BRANCH:
        triple = (
            await session.execute(
                select(Branch.region_id, Branch.local_branch_id, Branch.id).where(
                    Branch.id == audience.target_id
                )
            )
        ).first()
        if triple is not None:
            region, local, branch = triple
    if audience.scope != Scope.ALL and region is None:
        raise MasterclassError("audience_unknown")
    return ResolvedAudience(audience.scope, region, local, branch, audience.secretaries_only)


@dataclass(frozen=True, slots=True)
class Places:
    """Where a person belongs, at every level: as a member or secretary (`any_*`) and as a
    secretary (`secretary_*`)."""

    any_branches: frozenset[int]
    any_locals: frozenset[int]
    any_regions: frozenset[int]
    secretary_branches: frozenset[int]
    secretary_locals: frozenset[int]
    secretary_regions: frozenset[int]


async def places_of(session: AsyncSession, person: Person) -> Places:
    """The person's branches with their local branches and regions, in one query."""
    branches = set(person.secretary_of)
    if person.branch_id is not None:
        branches.add(person.branch_id)
    rows = []
    if branches:
        rows = list(
            (
                await session.execute(
                    select(Branch.id, Branch.local_branch_id, Branch.region_id).where(
                        Branch.id.in_(sorted(branches))
                    )
                )
            ).all()
        )
    secretary = [row for row in rows if row[0] in person.secretary_of]
    return Places(
        any_branches=frozenset(row[0] for row in rows),
        any_locals=frozenset(row[1] for row in rows),
        any_regions=frozenset(row[2] for row in rows),
        secretary_branches=frozenset(row[0] for row in secretary),
        secretary_locals=frozenset(row[1] for row in secretary),
        secretary_regions=frozenset(row[2] for row in secretary),
    )


def contains(audience: ResolvedAudience, places: Places) -> bool:
    """Whether a person with these places is in the audience."""
    if audience.secretaries_only:
        branches, locals_, regions = (
            places.secretary_branches,
            places.secretary_locals,
            places.secretary_regions,
        )
    else:
        branches, locals_, regions = places.any_branches, places.any_locals, places.any_regions
    if audience.scope == Scope.ALL:
        return bool(branches)
    if audience.scope == Scope.REGION:
        return audience.region_id in regions
    if audience.scope == Scope.LOCAL_BRANCH:
        return audience.local_branch_id in locals_
    return audience.branch_id in branches


def visible_condition(places: Places) -> ColumnElement[bool]:
    """SQL on `Masterclass`: its audience contains a person with these places."""

    def within(
        branches: frozenset[int], locals_: frozenset[int], regions: frozenset[int]
    ) -> ColumnElement[bool]:
        if not branches:
            return false()
        return or_(
            Masterclass.audience_scope == Scope.ALL,
            and_(
                Masterclass.audience_scope == Scope.REGION,
                Masterclass.audience_region_id.in_(sorted(regions)),
            ),
            and_(
                Masterclass.audience_scope == Scope.LOCAL_BRANCH,
                Masterclass.audience_local_branch_id.in_(sorted(locals_)),
            ),
            and_(
                Masterclass.audience_scope == Scope.BRANCH,
                Masterclass.audience_branch_id.in_(sorted(branches)),
            ),
        )

    return or_(
        and_(
            Masterclass.secretaries_only.is_(False),
            within(places.any_branches, places.any_locals, places.any_regions),
        ),
        and_(
            Masterclass.secretaries_only.is_(True),
            within(places.secretary_branches, places.secretary_locals, places.secretary_regions),
        ),
    )


def _branch_in_scope(audience: ResolvedAudience) -> ColumnElement[bool]:
    """SQL on `Branch`: the branch lies in the audience's scope."""
    if audience.scope == Scope.ALL:
        return true()
    if audience.scope == Scope.REGION:
        return Branch.region_id == audience.region_id
    if audience.scope == Scope.LOCAL_BRANCH:
        return Branch.local_branch_id == audience.local_branch_id
    return Branch.id == audience.branch_id


async def member_ids(session: AsyncSession, audience: ResolvedAudience) -> list[int]:
    """Everyone in the audience who can be written to (not blocked the bot), in id order:
    members of its branches and secretaries of them (or the secretaries alone)."""
    in_scope = select(Branch.id).where(_branch_in_scope(audience))
    secretaries = select(RoleAssignment.user_id).where(
        RoleAssignment.role == Role.SECRETARY, RoleAssignment.branch_id.in_(in_scope)
    )
    people: ColumnElement[bool] = User.id.in_(secretaries)
    if not audience.secretaries_only:
        people = or_(User.branch_id.in_(in_scope), people)
    rows = await session.scalars(
        select(User.id).where(people, User.is_reachable.is_(True)).order_by(User.id)
    )
    return list(rows)
