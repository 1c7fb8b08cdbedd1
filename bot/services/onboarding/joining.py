"""Joining a branch and accepting invites; the branch's secretaries hear about new members."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, NotFound
from bot.services.onboarding import invites
from bot.services.outbox import Notice, enqueue
from bot.services.people import Role, secretaries_of
from bot.texts import t
from storage.models import Branch, User


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
    redeemed = await invites.redeem_invite(session, token, user_id, now)
    if redeemed.role == Role.MEMBER and redeemed.changed:
        branch = await session.get(Branch, redeemed.branch_ids[0])
        assert branch is not None  # the invite's foreign key guarantees it
        await _tell_secretaries(session, user_id, branch, now)
    return redeemed


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
