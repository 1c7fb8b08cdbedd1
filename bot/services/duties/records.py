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
from bot.services.duties import access, delivery
from bot.services.duties.errors import DutyError
from bot.services.duties.schedule import Kind, kind_of
from bot.services.errors import AccessDenied
from bot.services.people import Person, Role
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


async def _reachable(session: AsyncSession, by: Person, target: Target) -> Levels:
    """The target's region, local branch and branch, checked for `by`: an admin of regions
    only inside their regions. Errors: `bad_role`, `bad_scope`, AccessDenied."""
    levels = await _resolve(session, target)
    if not access.may_reach(by, target.scope, levels[0]):
        raise AccessDenied()
    return levels


async def require_reach(session: AsyncSession, by: Person, scope: str, unit_id: int) -> None:
    """That `by` may address a duty to the region, local branch or branch `unit_id`
    (`scope`), before it is picked: a region's admin never opens another region's units.
    Errors: `bad_scope`, AccessDenied."""
    await _reachable(session, by, Target(Role.SECRETARY, scope, unit_id))


def target_of(duty: Duty) -> Target:
    """The duty's recipients as a `Target`, as they were given."""
    unit = {"region": duty.region_id, "local_branch": duty.local_branch_id}.get(
        duty.scope, duty.branch_id
    )
    return Target(duty.role, duty.scope, None if duty.scope == "all" else unit)


def _first_after(rule: str, now: datetime) -> datetime:
    moment = delivery.next_occurrence(rule, now)
    if moment is None:
        raise DutyError("no_occurrence")
    return moment


async def create_duty(
    session: AsyncSession, now: datetime, by: Person, target: Target, rule: str, text: str
) -> Duty:
    """A new duty by `by`, its next occurrence planned. Everything is checked before
    anything is written, so a refusal leaves nothing behind. Errors: `bad_role`,
    `bad_scope`, `empty_text`, `text_too_long`, `no_occurrence` (a one-off already past),
    AccessDenied (recipients outside `by`'s regions)."""
    region, local_branch, branch = await _reachable(session, by, target)
    text = clean_text(text)
    _first_after(rule, now)
    duty = Duty(
        role=str(target.role),
        scope=target.scope,
        region_id=region,
        local_branch_id=local_branch,
        branch_id=branch,
        kind=str(kind_of(rule)),
        rule=rule,
        text=text,
        paused=False,
        created_by=by.id,
        created_at=now,
        updated_at=now,
    )
    session.add(duty)
    await session.flush()
    await delivery.plan_series(session, duty, now)
    return duty


async def get_duty(session: AsyncSession, duty_id: int, by: Person) -> Duty:
    """The duty, if `by` may manage it. Errors: `not_found`, AccessDenied."""
    duty = await session.get(Duty, duty_id)
    if duty is None or duty.deleted_at is not None:
        raise DutyError("not_found")
    access.require_manage(by, duty)
    return duty


async def edit_duty(
    session: AsyncSession,
    duty_id: int,
    now: datetime,
    *,
    by: Person,
    rule: str | None = None,
    text: str | None = None,
    target: Target | None = None,
) -> Duty:
    """Change the schedule, text or recipients. Everything is checked before anything is
    changed. A new schedule of a running duty is re-planned from now: the next occurrence
    is the new rule's, and the reminders of an occurrence not yet sent are cancelled, so
    nobody gets one at the old time. New recipients cancel the unsent reminders of those
    no longer among them. Errors as `create_duty`, and `not_found`."""
    duty = await get_duty(session, duty_id, by)
    levels = await _reachable(session, by, target) if target is not None else None
    text = clean_text(text) if text is not None else None
    replan = rule is not None and rule != duty.rule
    if replan and not duty.paused:
        assert rule is not None
        _first_after(rule, now)
    if text is not None:
        duty.text = text
    if target is not None and levels is not None:
        duty.region_id, duty.local_branch_id, duty.branch_id = levels
        duty.role, duty.scope = str(target.role), target.scope
        await session.flush()
        await delivery.cancel_unsent(
            session, duty.id, keep=set(await delivery.recipients_of(session, duty))
        )
    if replan and rule is not None:
        duty.rule, duty.kind = rule, str(kind_of(rule))
        if not duty.paused:
            await cancel(session, delivery.OCCURRENCE, duty.id)
            await delivery.cancel_unsent(session, duty.id)
            await delivery.plan_series(session, duty, now)
    duty.updated_at = now
    return duty


async def pause_duty(session: AsyncSession, duty_id: int, now: datetime, by: Person) -> Duty:
    """Nothing more is sent until resumed: its planned jobs are cancelled."""
    duty = await get_duty(session, duty_id, by)
    if not duty.paused:
        duty.paused = True
        duty.updated_at = now
        await delivery.stop_series(session, duty.id)
    return duty


async def resume_duty(session: AsyncSession, duty_id: int, now: datetime, by: Person) -> Duty:
    """Planned again from now (occurrences missed while paused are not sent). Error:
    `no_occurrence` for a one-off whose moment passed meanwhile."""
    duty = await get_duty(session, duty_id, by)
    if duty.paused:
        if await delivery.plan_series(session, duty, now) is None:
            raise DutyError("no_occurrence")
        duty.paused = False
        duty.updated_at = now
    return duty


async def delete_duty(session: AsyncSession, duty_id: int, now: datetime, by: Person) -> None:
    duty = await get_duty(session, duty_id, by)
    duty.deleted_at = now
    duty.updated_at = now
    await delivery.stop_series(session, duty.id)


async def list_duties(session: AsyncSession, by: Person) -> list[Duty]:
    """The duties not deleted that `by` may manage, the newest first."""
    return list(
        await session.scalars(
            select(Duty)
            .where(Duty.deleted_at.is_(None), access.managed_condition(by))
            .order_by(Duty.id.desc())
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
    "require_reach",
    "resume_duty",
    "target_of",
]
