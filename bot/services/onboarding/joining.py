"""Joining a branch and accepting invites. The branch's secretaries hear about new members;
the admin who made a one-time link hears when it is used, and when someone opens it again."""

from __future__ import annotations

import html
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.onboarding import invites
from bot.services.outbox import Notice, enqueue
from bot.services.people import Role, secretaries_of
from bot.services.structure.queries import number_key
from bot.texts import t
from storage.models import Branch, Invite, User


async def join_offered_branch(
    session: AsyncSession,
    user_id: int,
    offered_local_branch_id: int,
    branch_id: int,
    now: datetime,
) -> bool:
    """Join a branch picked from the list of one local branch. The branch must belong to
    that local branch, whatever the button said: a forged choice is refused."""
    branch = await session.get(Branch, branch_id)
    if branch is None:
        raise NotFound("branch_not_found")
    if branch.local_branch_id != offered_local_branch_id:
        raise AccessDenied("branch_not_offered")
    joined = await invites.join_branch(session, user_id, branch_id, now)
    if joined:
        await _tell_secretaries(session, user_id, branch, now)
    return joined


async def accept_invite(
    session: AsyncSession, user_id: int, token: str, now: datetime
) -> invites.Redeemed:
    """Redeem the invite. A used one-time link is refused with `told` set when its maker
    was told of the attempt."""
    try:
        redeemed = await invites.redeem_invite(session, token, user_id, now)
    except DomainError as error:
        maker = error.params.get("created_by")
        error.params["told"] = False
        if error.code == "invite_used" and isinstance(maker, int) and maker != user_id:
            invite = await session.get(Invite, token)
            assert invite is not None  # refused as used: it exists
            role, branch_ids = Role(invite.role), [b.branch_id for b in invite.branches]
            await _tell_maker(session, maker, "reuse", user_id, role, branch_ids, now)
            error.params["told"] = True
        raise
    if redeemed.role == Role.MEMBER and redeemed.changed:
        branch = await session.get(Branch, redeemed.branch_ids[0])
        assert branch is not None  # the invite's foreign key guarantees it
        await _tell_secretaries(session, user_id, branch, now)
    maker = redeemed.created_by
    if redeemed.one_time and redeemed.changed and maker is not None and maker != user_id:
        await _tell_maker(session, maker, "used", user_id, redeemed.role, redeemed.branch_ids, now)
    return redeemed


async def _tell_maker(
    session: AsyncSession,
    maker: int,
    what: str,  # "used" or "reuse"
    user_id: int,
    role: Role,
    branch_ids: Sequence[int],
    now: datetime,
) -> None:
    name = await session.scalar(select(User.full_name).where(User.id == user_id))
    numbers = await session.scalars(select(Branch.number).where(Branch.id.in_(branch_ids)))
    text = t(
        f"onboarding.invite_{what}_notice",
        name=html.escape(name or ""),
        role=t(f"common.role.{role}"),
        branches=", ".join(f"№{html.escape(n)}" for n in sorted(numbers, key=number_key)),
    )
    await enqueue(session, now, Notice(chat_id=maker, text=text))


async def _tell_secretaries(
    session: AsyncSession, user_id: int, branch: Branch, now: datetime
) -> None:
    name = await session.scalar(select(User.full_name).where(User.id == user_id))
    text = t(
        "onboarding.new_member_notice",
        name=html.escape(name or ""),
        number=html.escape(branch.number),
    )
    notices = [
        Notice(chat_id=s, text=text)
        for s in await secretaries_of(session, branch.id)
        if s != user_id
    ]
    if notices:
        await enqueue(session, now, *notices)
