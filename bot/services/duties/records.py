"""Creating, editing, pausing, resuming and deleting a duty, and the duties' list.

Every change is made in the caller's transaction together with its planning: a new or
resumed duty plans its next occurrence, a paused or deleted one cancels what is planned
(`delivery.stop_series`), an edited schedule re-plans. A deleted duty keeps its rows
(`deleted_at`), so what was done stays counted; it is no longer listed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.due_work import cancel
from bot.services.duties import delivery
from bot.services.duties.errors import DutyError
from bot.services.duties.schedule import Kind, kind_of
from bot.services.people import Role
from storage.models import Branch, Duty, LocalBranch, Region

ROLES = (Role.SECRETARY, Role.CURATOR)
SCOPES = ("all", "region", "local_branch", "branch")
TEXT_LIMIT = 1000


@dataclass(frozen=True, slots=True)
class Target:
    """Whom a duty is for: a role and a scope (`all`, or the id of a region, local branch
    or branch)."""

    role: str
    scope: str = "all"
    target_id: int | None = None


Levels = tuple[int | None, int | None, int | None]


async def _resolve(session: AsyncSession, target: Target) -> Levels:
    if target.role not in ROLES:
        raise DutyError("bad_role")
    if target.scope not in SCOPES or (target.scope == "all") != (target.target_id is None):
        raise DutyError("bad_scope")
    if target.scope == "all":
        return None, None, None
    if target.scope == "region":
        found = await session.scalar(select(Region.id).where(Region.id == target.target_id))
        if found is None:
            raise DutyError("bad_scope")
        return found, None, None
    if target.scope == "local_branch":
        pair = (
            await session.execute(
                select(LocalBranch.region_id, LocalBranch.id).where(
                    LocalBranch.id == target.target_id
                )
            )
        ).first()
        if pair is None:
            raise DutyError("bad_scope")
        return pair[0], pair[1], None
    row = (
        await session.execute(
            select(Branch.region_id, Branch.local_branch_id, Branch.id).where(
                Branch.id == target.target_id
            )
        )
    ).first()
    if row is None:
        raise DutyError("bad_scope")
    return row[0], row[1], row[2]


def clean_text(text: str) -> str:
    text = text.strip()
    if not text:
        raise DutyError("empty_text")
    if len(text) > TEXT_LIMIT:
        raise DutyError("text_too_long")
    return text


async def create_duty(
    session: AsyncSession, now: datetime, admin_id: int, target: Target, rule: str, text: str
) -> Duty:
    """A new duty, its next occurrence planned. Errors: `bad_role`, `bad_scope`,
    `empty_text`, `text_too_long`, `no_occurrence` (a one-off already past)."""
    region, local_branch, branch = await _resolve(session, target)
    duty = Duty(
        role=str(target.role),
        scope=target.scope,
        region_id=region,
        local_branch_id=local_branch,
        branch_id=branch,
        kind=str(kind_of(rule)),
        rule=rule,
        text=clean_text(text),
        paused=False,
        created_by=admin_id,
        created_at=now,
        updated_at=now,
    )
    session.add(duty)
    await session.flush()
    if await delivery.plan_series(session, duty, now) is None:
        raise DutyError("no_occurrence")
    return duty


async def get_duty(session: AsyncSession, duty_id: int) -> Duty:
    duty = await session.get(Duty, duty_id)
    if duty is None or duty.deleted_at is not None:
        raise DutyError("not_found")
    return duty


async def edit_duty(
    session: AsyncSession,
    duty_id: int,
    now: datetime,
    *,
    rule: str | None = None,
    text: str | None = None,
    target: Target | None = None,
) -> Duty:
    """Change the schedule, text or recipients; a new schedule of a running duty is
    re-planned from now. Errors as `create_duty`, and `not_found`."""
    duty = await get_duty(session, duty_id)
    if text is not None:
        duty.text = clean_text(text)
    if target is not None:
        duty.region_id, duty.local_branch_id, duty.branch_id = await _resolve(session, target)
        duty.role, duty.scope = str(target.role), target.scope
    if rule is not None and rule != duty.rule:
        duty.rule, duty.kind = rule, str(kind_of(rule))
        if not duty.paused:
            await cancel(session, delivery.OCCURRENCE, duty.id)
            if await delivery.plan_series(session, duty, now) is None:
                raise DutyError("no_occurrence")
    duty.updated_at = now
    return duty


async def pause_duty(session: AsyncSession, duty_id: int, now: datetime) -> Duty:
    """Nothing more is sent until resumed: its planned jobs are cancelled."""
    duty = await get_duty(session, duty_id)
    if not duty.paused:
        duty.paused = True
        duty.updated_at = now
        await delivery.stop_series(session, duty.id)
    return duty


async def resume_duty(session: AsyncSession, duty_id: int, now: datetime) -> Duty:
    """Planned again from now (occurrences missed while paused are not sent). Error:
    `no_occurrence` for a one-off whose moment passed meanwhile."""
    duty = await get_duty(session, duty_id)
    if duty.paused:
        if await delivery.plan_series(session, duty, now) is None:
            raise DutyError("no_occurrence")
        duty.paused = False
        duty.updated_at = now
    return duty


async def delete_duty(session: AsyncSession, duty_id: int, now: datetime) -> None:
    duty = await get_duty(session, duty_id)
    duty.deleted_at = now
    duty.updated_at = now
    await delivery.stop_series(session, duty.id)


async def list_duties(session: AsyncSession) -> list[Duty]:
    """The duties not deleted, the newest first."""
    return list(
        await session.scalars(
            select(Duty).where(Duty.deleted_at.is_(None)).order_by(Duty.id.desc())
        )
    )


__all__ = [
    "ROLES",
    "SCOPES",
    "Kind",
    "Target",
    "create_duty",
    "delete_duty",
    "edit_duty",
    "get_duty",
    "list_duties",
    "pause_duty",
    "resume_duty",
]
