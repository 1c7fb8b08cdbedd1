"""Invite deep links: a branch's reusable member link, one-time secretary and curator links."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.people import Person, Role, grant_role
from storage.models import Branch, Invite, InviteBranch, User

# How long a one-time link stays valid; a member link lives until it is replaced.
ONE_TIME_TTL = timedelta(days=7)


@dataclass(frozen=True, slots=True)
class Redeemed:
    role: Role
    branch_ids: tuple[int, ...]
    changed: bool  # False when the person already had what the invite gives
    one_time: bool = False
    created_by: int | None = None  # the admin who made it; None for the CLI's links


async def create_invite(
    session: AsyncSession,
    role: Role,
    branch_ids: list[int],
    now: datetime,
    *,
    created_by: int | None = None,
) -> Invite:
    if role == Role.ADMIN:
        raise DomainError("invite_role")
    if not branch_ids or (role != Role.CURATOR and len(branch_ids) != 1):
        raise DomainError("invite_branches")
    found = set(await session.scalars(select(Branch.id).where(Branch.id.in_(branch_ids))))
    if found != set(branch_ids):
        raise NotFound("branch_not_found")
    reusable = role == Role.MEMBER
    invite = Invite(
        token=secrets.token_urlsafe(16),
        role=role,
        reusable=reusable,
        created_by=created_by,
        created_at=now,
        expires_at=None if reusable else now + ONE_TIME_TTL,
        branches=[InviteBranch(branch_id=b) for b in dict.fromkeys(branch_ids)],
    )
    session.add(invite)
    await session.flush()
    return invite


async def redeem_invite(session: AsyncSession, token: str, user_id: int, now: datetime) -> Redeemed:
    """Apply an invite to a user. One-time links are claimed atomically, so a double tap
    or two people racing for one secretary link give it to exactly one of them; the one
    who got it may open it again and is told they have the role.

    A refused link (`invite_expired`, `invite_used`) carries who made it, `created_by` and
    `creator_name`, so the person knows whom to ask for a new one."""
    invite = await session.get(Invite, token)
    if invite is None:
        raise NotFound("invite_unknown")
    role = Role(invite.role)
    branch_ids = tuple(b.branch_id for b in invite.branches)
    if invite.used_by == user_id:
        return Redeemed(
            role, branch_ids, changed=False, one_time=True, created_by=invite.created_by
        )
    if invite.expires_at is not None and invite.expires_at <= now:
        raise await _refused(session, "invite_expired", invite)
    if not invite.reusable:
        claimed = await session.execute(
            update(Invite)
            .where(Invite.token == token, Invite.used_by.is_(None))
            .values(used_by=user_id, used_at=now)
            .returning(Invite.token)
        )
        if claimed.first() is None:
            raise await _refused(session, "invite_used", invite)
    if role == Role.MEMBER:
        changed = await join_branch(session, user_id, branch_ids[0], now)
    else:
        changed = False
        for branch_id in branch_ids:
            changed |= await grant_role(session, user_id, role, now, branch_id=branch_id)
    return Redeemed(
        role, branch_ids, changed, one_time=not invite.reusable, created_by=invite.created_by
    )


async def _refused(session: AsyncSession, code: str, invite: Invite) -> DomainError:
    name = None
    if invite.created_by is not None:
        name = await session.scalar(select(User.full_name).where(User.id == invite.created_by))
    return DomainError(code, created_by=invite.created_by, creator_name=name)


async def join_branch(session: AsyncSession, user_id: int, branch_id: int, now: datetime) -> bool:
    """Make the user a member of the branch; False when they were already in it."""
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound("user_not_found")
    if await session.get(Branch, branch_id) is None:
        raise NotFound("branch_not_found")
    if user.branch_id == branch_id:
        return False
    user.branch_id, user.joined_branch_at = branch_id, now
    await session.flush()
    return True


async def create_invite_as(
    session: AsyncSession, person: Person, role: Role, branch_ids: list[int], now: datetime
) -> Invite:
    """An invite made in the chat: only an admin, and a regional admin only in their regions."""
    if not person.is_admin:
        raise AccessDenied()
    if person.admin_regions:
        regions = set(
            await session.scalars(select(Branch.region_id).where(Branch.id.in_(branch_ids)))
        )
        if not regions <= person.admin_regions:
            raise AccessDenied()
    return await create_invite(session, role, branch_ids, now, created_by=person.id)
