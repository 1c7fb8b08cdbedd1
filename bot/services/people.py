"""Who a person is to the bot: their branch, roles with scopes, consent and time zone."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Branch, Consent, Region, RoleAssignment, User


class Role(StrEnum):
    MEMBER = "member"
    SECRETARY = "secretary"
    CURATOR = "curator"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Person:
    id: int
    full_name: str
    branch_id: int | None
    secretary_of: frozenset[int]
    curator_of: frozenset[int]
    is_admin: bool
    # Empty with is_admin: an admin of everything (ADMIN_IDS or an unscoped assignment).
    admin_regions: frozenset[int]
    consent_given: bool | None  # None: not asked for the current version yet
    timezone: str

    @property
    def roles(self) -> frozenset[Role]:
        roles = set()
        if self.branch_id is not None:
            roles.add(Role.MEMBER)
        if self.secretary_of:
            roles.add(Role.SECRETARY)
        if self.curator_of:
            roles.add(Role.CURATOR)
        if self.is_admin:
            roles.add(Role.ADMIN)
        return frozenset(roles)

    @property
    def onboarded(self) -> bool:
        """Past consent and in a branch, or holding a role that needs no branch."""
        return bool(self.consent_given) and bool(self.roles)


async def touch_user(
    session: AsyncSession, user_id: int, full_name: str, username: str | None, now: datetime
) -> User:
    """The user's row, created on first contact; a returning user is reachable again."""
    user = await session.get(User, user_id)
    if user is None:
        user = User(id=user_id, full_name=full_name, username=username, created_at=now)
        session.add(user)
        await session.flush()
    elif (user.full_name, user.username, user.is_reachable) != (full_name, username, True):
        user.full_name, user.username, user.is_reachable = full_name, username, True
    return user


async def load_person(
    session: AsyncSession,
    user: User,
    *,
    admin_ids: frozenset[int],
    consent_version: int,
    default_timezone: str,
) -> Person:
    assignments = (
        await session.scalars(select(RoleAssignment).where(RoleAssignment.user_id == user.id))
    ).all()
    secretary_of = {a.branch_id for a in assignments if a.role == Role.SECRETARY and a.branch_id}
    curator_of = {a.branch_id for a in assignments if a.role == Role.CURATOR and a.branch_id}
    admin_rows = [a for a in assignments if a.role == Role.ADMIN]
    global_admin = user.id in admin_ids or any(a.region_id is None for a in admin_rows)
    admin_regions = frozenset() if global_admin else frozenset(a.region_id for a in admin_rows)

    consent = await session.scalar(
        select(Consent)
        .where(Consent.user_id == user.id)
        .order_by(Consent.decided_at.desc(), Consent.id.desc())
        .limit(1)
    )
    consent_given = consent.accepted if consent and consent.version >= consent_version else None

    return Person(
        id=user.id,
        full_name=user.full_name,
        branch_id=user.branch_id,
        secretary_of=frozenset(secretary_of),
        curator_of=frozenset(curator_of),
        is_admin=global_admin or bool(admin_rows),
        admin_regions=admin_regions,
        consent_given=consent_given,
        timezone=await _timezone(session, user, secretary_of, default_timezone),
    )


async def _timezone(session: AsyncSession, user: User, secretary_of: set[int], default: str) -> str:
    branch_id = user.branch_id or next(iter(sorted(secretary_of)), None)
    if branch_id is None:
        return default
    timezone = await session.scalar(
        select(Region.timezone)
        .join(Branch, Branch.region_id == Region.id)
        .where(Branch.id == branch_id)
    )
    return timezone or default


async def timezones_of(
    session: AsyncSession, user_ids: Iterable[int], default: str
) -> dict[int, str]:
    """The time zone of each of many people, by the rule of `load_person`: their branch's
    region, else the region of the first branch they are secretary of, else `default`
    (also for a chat that is no person we know)."""
    ids = set(user_ids)
    zones = dict.fromkeys(ids, default)
    if not ids:
        return zones
    by_branch = await session.execute(
        select(User.id, Region.timezone)
        .join(Branch, Branch.id == User.branch_id)
        .join(Region, Region.id == Branch.region_id)
        .where(User.id.in_(ids))
    )
    found: dict[int, str] = {user_id: timezone for user_id, timezone in by_branch}
    branchless = ids - found.keys()  # a branch always has a region
    if branchless:
        as_secretary = await session.execute(
            select(RoleAssignment.user_id, Region.timezone)
            .join(Branch, Branch.id == RoleAssignment.branch_id)
            .join(Region, Region.id == Branch.region_id)
            .where(RoleAssignment.user_id.in_(branchless), RoleAssignment.role == Role.SECRETARY)
            .order_by(RoleAssignment.user_id, RoleAssignment.branch_id)
        )
        for user_id, timezone in as_secretary:
            found.setdefault(user_id, timezone)
    zones.update((user_id, timezone) for user_id, timezone in found.items() if timezone)
    return zones


async def grant_role(
    session: AsyncSession,
    user_id: int,
    role: Role,
    now: datetime,
    *,
    branch_id: int | None = None,
    region_id: int | None = None,
) -> bool:
    """Give a role with its scope; False when the person already had exactly that."""
    existing = await session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.user_id == user_id,
            RoleAssignment.role == role,
            RoleAssignment.branch_id.is_(None)
            if branch_id is None
            else RoleAssignment.branch_id == branch_id,
            RoleAssignment.region_id.is_(None)
            if region_id is None
            else RoleAssignment.region_id == region_id,
        )
    )
    if existing:
        return False
    session.add(
        RoleAssignment(
            user_id=user_id, role=role, branch_id=branch_id, region_id=region_id, granted_at=now
        )
    )
    await session.flush()
    return True


async def secretaries_of(session: AsyncSession, branch_id: int) -> list[int]:
    rows = await session.scalars(
        select(RoleAssignment.user_id).where(
            RoleAssignment.role == Role.SECRETARY, RoleAssignment.branch_id == branch_id
        )
    )
    return list(rows)


async def curators_of(session: AsyncSession, branch_id: int) -> list[int]:
    rows = await session.scalars(
        select(RoleAssignment.user_id).where(
            RoleAssignment.role == Role.CURATOR, RoleAssignment.branch_id == branch_id
        )
    )
    return list(rows)


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise LookupError(user_id)
    return user
