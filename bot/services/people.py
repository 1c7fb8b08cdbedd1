"""Who a person is to the bot: their branch, roles with scopes, consent and time zone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol, TypeVar, cast

from sqlalchemy import CursorResult, Row, Select, bindparam, func, select, update
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


async def person_on_contact(
    session: AsyncSession,
    user_id: int,
    full_name: str,
    username: str | None,
    now: datetime,
    *,
    admin_ids: frozenset[int],
    consent_version: int,
    default_timezone: str,
) -> Person:
    """The person writing to the bot, in one query; their row is created on first contact,
    and a returning user's name is kept current and they are reachable again."""
    rows = await _person_rows(session, user_id)
    if not rows:
        session.add(User(id=user_id, full_name=full_name, username=username, created_at=now))
        await session.flush()
        return _person(
            _NewUser(user_id, full_name), [], admin_ids, consent_version, default_timezone
        )
    user = rows[0]
    if (user.full_name, user.username, user.is_reachable) != (full_name, username, True):
        await _refresh(session, user_id, full_name, username)
    person = _person(user, rows, admin_ids, consent_version, default_timezone)
    return dataclasses.replace(person, full_name=full_name)


@dataclass(frozen=True, slots=True)
class Stale:
    """The person as read, but their row must be written first (`refresh_contact`): a
    changed name or username, or reachable again. `person` already has the new name."""

    person: Person
    full_name: str
    username: str | None


async def person_if_current(
    session: AsyncSession,
    user_id: int,
    full_name: str,
    username: str | None,
    *,
    admin_ids: frozenset[int],
    consent_version: int,
    default_timezone: str,
) -> Person | Stale | None:
    """The person writing to the bot, read only; `Stale` when their row must be updated
    first (a changed name, reachable again), None when it must be made
    (`person_on_contact`): a first contact."""
    rows = await _person_rows(session, user_id)
    if not rows:
        return None
    user = rows[0]
    person = _person(user, rows, admin_ids, consent_version, default_timezone)
    if (user.full_name, user.username, user.is_reachable) != (full_name, username, True):
        return Stale(dataclasses.replace(person, full_name=full_name), full_name, username)
    return person


async def refresh_contact(
    session: AsyncSession, user_id: int, full_name: str, username: str | None
) -> bool:
    """Keep a known person's name current and make them reachable again, in one UPDATE
    (no read: `person_if_current` read them). False if their row is gone meanwhile."""
    return await _refresh(session, user_id, full_name, username) == 1


async def _refresh(
    session: AsyncSession, user_id: int, full_name: str, username: str | None
) -> int:
    result = cast(
        CursorResult[Any],
        await session.execute(
            _REFRESH,
            {"user_id": user_id, "full_name": full_name, "username": username},
        ),
    )
    return int(result.rowcount)


async def set_reachable(session: AsyncSession, user_id: int, reachable: bool) -> None:
    """The person blocked the bot (False) or unblocked it (True). A user the bot never
    met has no row and gets none."""
    await session.execute(update(User).where(User.id == user_id).values(is_reachable=reachable))


async def load_person(
    session: AsyncSession,
    user: User,
    *,
    admin_ids: frozenset[int],
    consent_version: int,
    default_timezone: str,
) -> Person:
    """The person again, e.g. after an action changed their roles or consent."""
    rows = await _person_rows(session, user.id)
    return _person(user, rows, admin_ids, consent_version, default_timezone)


# The user's columns, role, its branch and region, consent accepted and version, time zone:
# as the mapped columns type them, though the outer joins can leave all but the user's None.
_PersonRow = Row[Any]


@dataclass(frozen=True, slots=True)
class _NewUser:
    id: int
    full_name: str
    branch_id: int | None = None


def _person_statement() -> Select[*tuple[Any, ...]]:
    """The user with each role assignment (a row per role, one without any), their latest
    consent and their region's time zone: everything a Person needs, in one statement."""
    latest_consent = (
        select(Consent.id)
        .where(Consent.user_id == User.id)
        .order_by(Consent.decided_at.desc(), Consent.id.desc())
        .limit(1)
        .correlate(User)
        .scalar_subquery()
    )
    statement = (
        select(
            User.id,
            User.full_name,
            User.username,
            User.branch_id,
            User.is_reachable,
            RoleAssignment.role,
            RoleAssignment.branch_id.label("role_branch_id"),
            RoleAssignment.region_id.label("role_region_id"),
            Consent.accepted,
            Consent.version,
            Region.timezone,
        )
        .outerjoin(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(Consent, Consent.id == latest_consent)
    )
    return _in_home_region(statement).where(User.id == bindparam("user_id"))


async def _person_rows(session: AsyncSession, user_id: int) -> list[_PersonRow]:
    return list((await session.execute(_PERSON, {"user_id": user_id})).all())


class _UserFields(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def full_name(self) -> str: ...
    @property
    def branch_id(self) -> int | None: ...


def _person(
    user: _UserFields,
    rows: list[_PersonRow],
    admin_ids: frozenset[int],
    consent_version: int,
    default_timezone: str,
) -> Person:
    assignments = [(row.role, row.role_branch_id, row.role_region_id) for row in rows if row.role]
    secretary_of = {branch for role, branch, _ in assignments if role == Role.SECRETARY and branch}
    curator_of = {branch for role, branch, _ in assignments if role == Role.CURATOR and branch}
    admin_scopes = [region for role, _, region in assignments if role == Role.ADMIN]
    global_admin = user.id in admin_ids or any(region is None for region in admin_scopes)
    first = rows[0] if rows else None
    consent_given = None
    if first is not None and first.version is not None and first.version >= consent_version:
        consent_given = first.accepted
    return Person(
        id=user.id,
        full_name=user.full_name,
        branch_id=user.branch_id,
        secretary_of=frozenset(secretary_of),
        curator_of=frozenset(curator_of),
        is_admin=global_admin or bool(admin_scopes),
        admin_regions=frozenset(r for r in admin_scopes if r is not None and not global_admin),
        consent_given=consent_given,
        timezone=(first.timezone if first is not None else None) or default_timezone,
    )


async def timezones_of(
    session: AsyncSession, user_ids: Iterable[int], default: str
) -> dict[int, str]:
    """The time zone of each of many people, by the rule of `load_person`, in one query;
    `default` also for a chat that is no person we know."""
    zones = dict.fromkeys(set(user_ids), default)
    if zones:
        found = await session.execute(
            _in_home_region(select(User.id, Region.timezone).select_from(User)).where(
                User.id.in_(zones)
            )
        )
        zones.update((user_id, zone) for user_id, zone in found if zone)
    return zones


_Select = TypeVar("_Select", bound="Select[*tuple[Any, ...]]")


def _in_home_region(statement: _Select) -> _Select:
    """Joins the person's home region: that of their branch, else that of the first branch
    they are secretary of (a secretary need not be a member), else none."""
    first_secretary_branch = (
        select(func.min(RoleAssignment.branch_id))
        .where(RoleAssignment.user_id == User.id, RoleAssignment.role == Role.SECRETARY)
        .correlate(User)
        .scalar_subquery()
    )
    return statement.outerjoin(
        Branch, Branch.id == func.coalesce(User.branch_id, first_secretary_branch)
    ).outerjoin(Region, Region.id == Branch.region_id)


# Built once, at import: every update reads its person, and building the statement anew
# cost more than running it (about a sixth of an update's time with 100 in flight). Plain
# columns, not the ORM object: loading a mapped User (identity map, attribute state) cost
# more than the query, and the row is only read.
_PERSON = _person_statement()
_REFRESH = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(full_name=bindparam("full_name"), username=bindparam("username"), is_reachable=True)
)


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
