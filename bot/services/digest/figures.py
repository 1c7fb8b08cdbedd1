"""The curator's weekly digest as figures: what `text`, `chart` and `workbook` show.

`build_digest` reads (a read session is enough) everything about the given branches in a
few queries and computes the rest in Python:

- the week is the 7 days before `now` (`period_start` … `now`);
- per branch and in total: mandates received (created in the week), given a first answer
  (`first_answered_at` in the week), resolved and rejected (closed in the week, by their
  status now), overdue now (no first answer and past the deadline, as on the cards);
- overdue days are working days (bot/services/working_days.py) in the branch's zone; a
  mandate overdue by more than `escalate_days` (MANDATE_ESCALATE_DAYS) of them counts as
  escalated, counted from the mandates table, not from the escalations sent;
- the median time to a first answer in working hours, over the week's first answers;
- the authors' average rating, over the ratings given in the week;
- masterclass registrations made in the week (not cancelled or declined) and attendances
  marked in the week, of the branches' secretaries;
- a branch is inactive when in 30 days no mandate got a first answer, no secretary of it
  attended a masterclass and nothing was shared from it as a practice;
- the three practices published in the week with the most likes + adoptions, from the
  whole catalogue (every practice is public once published);
- the trend: received, answered and resolved for each of the last 8 weeks;
- duties done on time (`_duties`): the reminders of the secretaries' duties (their
  `duty_marks`) whose term — `DUTY_TERM`, 48 hours from the first reminder, so one
  «Напомнить завтра» is still on time — ran out in the week, each judged once and for
  good: marked done within the term (on time), after it but before `now` (late), or not
  marked yet (missing). A mark belongs to each branch of the digest that its recipient
  is a secretary of and that the duty's scope covers; the total counts each mark once (a
  secretary of two branches is one reminder in the total, one in each branch). Curators'
  duties and deleted duties are not counted. A branch without such reminders has
  `duties == 0`: the message says nothing about duties for it.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import and_, desc, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import as_utc
from bot.services.masterclasses.records import CANCELLED, DECLINED
from bot.services.people import Role
from bot.services.practices.access import PUBLISHED
from bot.services.working_days import working_days_overdue, working_hours_between
from storage.models import (
    Branch,
    Duty,
    DutyMark,
    DutyOccurrence,
    Mandate,
    MasterclassRegistration,
    Practice,
    Region,
    RoleAssignment,
    User,
)

WEEK = timedelta(days=7)
TREND_WEEKS = 8
INACTIVE_DAYS = 30
ESCALATE_DAYS = 2  # MANDATE_ESCALATE_DAYS' default
DUTY_TERM = timedelta(hours=48)  # from the first reminder: «Напомнить завтра» once is on time
STATUSES = ("new", "accepted", "clarification", "forwarded", "resolved", "rejected")


@dataclass(frozen=True, slots=True)
class OverdueMandate:
    id: int
    number: str
    branch_id: int
    days: int  # working days past the deadline
    escalated: bool


@dataclass(slots=True)
class BranchFigures:
    branch_id: int  # 0 for the total
    number: str
    name: str
    received: int = 0
    answered: int = 0
    resolved: int = 0
    rejected: int = 0
    overdue: int = 0
    escalated: int = 0
    answer_hours: list[float] = field(default_factory=list)
    ratings: list[int] = field(default_factory=list)
    registrations: int = 0
    attended: int = 0
    by_status: dict[str, int] = field(default_factory=dict)  # the week's received, by status now
    inactive: bool = False
    duties: int = 0  # the secretaries' duty reminders whose term ran out in the week
    duties_on_time: int = 0  # of them, marked done within the term
    duties_late: int = 0  # marked done after the term, before now
    duties_missing: int = 0  # not marked done yet

    @property
    def median_hours(self) -> float | None:
        return statistics.median(self.answer_hours) if self.answer_hours else None

    @property
    def rating(self) -> float | None:
        return sum(self.ratings) / len(self.ratings) if self.ratings else None

    @property
    def notable(self) -> bool:
        """Anything to say about it this week."""
        return bool(
            self.received
            or self.answered
            or self.resolved
            or self.rejected
            or self.overdue
            or self.registrations
            or self.attended
            or self.duties
        )


@dataclass(frozen=True, slots=True)
class BestPractice:
    id: int
    title: str
    branch: str
    likes: int
    adoptions: int


ON_TIME, LATE, MISSING = "on_time", "late", "missing"


@dataclass(frozen=True, slots=True)
class DutyMarkRow:
    """One secretary's reminder of a duty whose term ran out in the week, per branch."""

    branch_id: int
    user_id: int
    name: str
    duty: str  # the duty's text
    sent_at: datetime  # the first reminder
    done_at: datetime | None  # None: not marked done (by `now`)
    verdict: str  # ON_TIME | LATE | MISSING

    @property
    def deadline(self) -> datetime:
        return self.sent_at + DUTY_TERM


@dataclass(frozen=True, slots=True)
class WeekPoint:
    start: datetime
    received: int
    answered: int
    resolved: int


@dataclass(slots=True)
class Digest:
    recipient: int
    timezone: str
    period_start: datetime
    now: datetime
    branches: list[BranchFigures]
    total: BranchFigures
    overdue: list[OverdueMandate]  # all overdue now, the most overdue first
    practices: list[BestPractice]
    trend: list[WeekPoint]  # the oldest week first
    duty_marks: list[DutyMarkRow] = field(default_factory=list)  # by branch, then name

    @property
    def inactive(self) -> list[BranchFigures]:
        return [branch for branch in self.branches if branch.inactive]

    @property
    def escalated(self) -> list[OverdueMandate]:
        return [mandate for mandate in self.overdue if mandate.escalated]

    @property
    def duties_missing(self) -> list[BranchFigures]:
        """The branches with a duty reminder not marked done within its term and since."""
        return [branch for branch in self.branches if branch.duties_missing]

    def branch(self, branch_id: int) -> BranchFigures:
        return next(b for b in self.branches if b.branch_id == branch_id)


def _in(start: datetime, moment: datetime | None, end: datetime) -> bool:
    return moment is not None and start <= moment < end


async def build_digest(
    session: AsyncSession,
    recipient: int,
    branch_ids: Sequence[int],
    now: datetime,
    timezone: str,
    *,
    escalate_days: int = ESCALATE_DAYS,
) -> Digest:
    """The digest of `branch_ids` for the 7 days before `now`, for `recipient`."""
    start = now - WEEK
    trend_start = now - WEEK * TREND_WEEKS
    active_since = now - timedelta(days=INACTIVE_DAYS)
    ids = sorted(set(branch_ids))
    rows = (
        await session.execute(
            select(Branch.id, Branch.number, Branch.name, Region.timezone)
            .join(Region, Region.id == Branch.region_id)
            .where(Branch.id.in_(ids))
            .order_by(Branch.number, Branch.id)
        )
    ).all()
    branches = {r.id: BranchFigures(r.id, r.number, r.name) for r in rows}
    zones = {r.id: r.timezone for r in rows}
    total = BranchFigures(0, "", "")
    weeks = [trend_start + WEEK * k for k in range(TREND_WEEKS + 1)]
    trend = [[0, 0, 0] for _ in range(TREND_WEEKS)]  # received, answered, resolved
    overdue: list[OverdueMandate] = []
    last_answer: dict[int, datetime] = {}
    mandates = await session.execute(
        select(
            Mandate.id,
            Mandate.number,
            Mandate.branch_id,
            Mandate.status,
            Mandate.created_at,
            Mandate.due_at,
            Mandate.first_answered_at,
            Mandate.closed_at,
            Mandate.rating,
            Mandate.rated_at,
        ).where(
            Mandate.branch_id.in_(ids),
            or_(
                Mandate.created_at >= trend_start,
                Mandate.first_answered_at >= trend_start,
                Mandate.closed_at >= trend_start,
                Mandate.rated_at >= start,
                and_(Mandate.first_answered_at.is_(None), Mandate.due_at <= now),
            ),
        )
    )
    for m in mandates:
        figures = branches[m.branch_id]
        zone = zones[m.branch_id]
        counted = (figures, total)
        if _in(start, m.created_at, now):
            for f in counted:
                f.received += 1
                f.by_status[m.status] = f.by_status.get(m.status, 0) + 1
        if _in(start, m.first_answered_at, now):
            hours = working_hours_between(m.created_at, m.first_answered_at, zone)
            for f in counted:
                f.answered += 1
                f.answer_hours.append(hours)
        if _in(start, m.closed_at, now):
            for f in counted:
                f.resolved += m.status == "resolved"
                f.rejected += m.status == "rejected"
        if m.rating is not None and _in(start, m.rated_at, now):
            for f in counted:
                f.ratings.append(m.rating)
        if m.first_answered_at is None and now >= m.due_at:
            days = working_days_overdue(m.due_at, now, zone)
            escalated = days > escalate_days
            overdue.append(OverdueMandate(m.id, m.number, m.branch_id, days, escalated))
            for f in counted:
                f.overdue += 1
                f.escalated += escalated
        if m.first_answered_at is not None:
            last_answer[m.branch_id] = max(last_answer.get(m.branch_id, m.first_answered_at),
                                           m.first_answered_at)  # fmt: skip
        for k, week in enumerate(trend):
            week[0] += _in(weeks[k], m.created_at, weeks[k + 1])
            week[1] += _in(weeks[k], m.first_answered_at, weeks[k + 1])
            week[2] += m.status == "resolved" and _in(weeks[k], m.closed_at, weeks[k + 1])
    attended_recently = await _registrations(
        session, ids, start, now, active_since, branches, total
    )
    shared = set(
        await session.scalars(
            select(Practice.branch_id)
            .where(Practice.branch_id.in_(ids), Practice.created_at >= active_since)
            .distinct()
        )
    )
    for branch_id, figures in branches.items():
        answered_recently = last_answer.get(branch_id, active_since - WEEK) >= active_since
        figures.inactive = not (
            answered_recently or branch_id in attended_recently or branch_id in shared
        )
    overdue.sort(key=lambda m: (-m.days, m.number))
    duty_marks = await _duties(session, ids, start, now, branches, total)
    return Digest(
        recipient=recipient,
        timezone=timezone,
        period_start=start,
        now=now,
        branches=list(branches.values()),
        total=total,
        overdue=overdue,
        practices=await best_practices(session, start, now),
        trend=[WeekPoint(weeks[k], *week) for k, week in enumerate(trend)],
        duty_marks=duty_marks,
    )


async def _duties(
    session: AsyncSession,
    ids: list[int],
    start: datetime,
    now: datetime,
    branches: dict[int, BranchFigures],
    total: BranchFigures,
) -> list[DutyMarkRow]:
    """Counts the secretaries' duty reminders whose term ran out in the week (see the
    module's docstring); returns them per branch, for the workbook."""
    in_scope = or_(
        Duty.scope == "all",
        and_(Duty.scope == "region", Duty.region_id == Branch.region_id),
        and_(Duty.scope == "local_branch", Duty.local_branch_id == Branch.local_branch_id),
        and_(Duty.scope == "branch", Duty.branch_id == Branch.id),
    )
    rows = await session.execute(
        select(
            DutyMark.id,
            RoleAssignment.branch_id,
            DutyMark.user_id,
            User.full_name,
            Duty.text,
            DutyMark.sent_at,
            DutyMark.done_at,
        )
        .join(DutyOccurrence, DutyOccurrence.id == DutyMark.occurrence_id)
        .join(Duty, Duty.id == DutyOccurrence.duty_id)
        .join(
            RoleAssignment,
            and_(
                RoleAssignment.user_id == DutyMark.user_id,
                RoleAssignment.role == Role.SECRETARY,
                RoleAssignment.branch_id.in_(ids),
            ),
        )
        .join(Branch, Branch.id == RoleAssignment.branch_id)
        .outerjoin(User, User.id == DutyMark.user_id)
        .where(
            Duty.role == Role.SECRETARY,
            Duty.deleted_at.is_(None),
            in_scope,
            # The term (sent_at + 48 h) ran out in the week.
            DutyMark.sent_at >= start - DUTY_TERM,
            DutyMark.sent_at < now - DUTY_TERM,
        )
        .distinct()
    )
    marks: list[DutyMarkRow] = []
    counted: set[int] = set()
    for mark_id, branch_id, user_id, name, text, sent, done in rows:
        assert branch_id is not None  # joined on `branch_id IN ids`
        sent_at = as_utc(sent)
        done_at = as_utc(done) if done is not None and as_utc(done) < now else None
        if done_at is None:
            verdict = MISSING
        elif done_at <= sent_at + DUTY_TERM:
            verdict = ON_TIME
        else:
            verdict = LATE
        figures = [branches[branch_id]]
        if mark_id not in counted:  # the total counts a mark once, however many branches
            counted.add(mark_id)
            figures.append(total)
        for f in figures:
            f.duties += 1
            f.duties_on_time += verdict == ON_TIME
            f.duties_late += verdict == LATE
            f.duties_missing += verdict == MISSING
        marks.append(
            DutyMarkRow(branch_id, user_id, name or str(user_id), text, sent_at, done_at, verdict)
        )
    order = {branch_id: k for k, branch_id in enumerate(branches)}
    marks.sort(key=lambda m: (order[m.branch_id], m.name, m.sent_at, m.user_id))
    return marks


async def _registrations(
    session: AsyncSession,
    ids: list[int],
    start: datetime,
    now: datetime,
    active_since: datetime,
    branches: dict[int, BranchFigures],
    total: BranchFigures,
) -> set[int]:
    """Counts the secretaries' registrations and attendances of the week; returns the
    branches whose secretaries attended a masterclass in the last 30 days."""
    R = MasterclassRegistration
    rows = await session.execute(
        select(RoleAssignment.branch_id, R.id, R.status, R.created_at, R.attended_at)
        .join(RoleAssignment, RoleAssignment.user_id == R.user_id)
        .where(
            RoleAssignment.role == Role.SECRETARY,
            RoleAssignment.branch_id.in_(ids),
            or_(R.created_at >= start, R.attended_at >= active_since),
        )
    )
    attended_recently: set[int] = set()
    in_total: set[int] = set()  # a secretary of two branches: each branch, the total once
    for r in rows:
        if r.branch_id is None:
            continue
        counted = [branches[r.branch_id]]
        if r.id not in in_total:
            in_total.add(r.id)
            counted.append(total)
        for f in counted:
            if _in(start, r.created_at, now) and r.status not in (CANCELLED, DECLINED):
                f.registrations += 1
            if _in(start, r.attended_at, now):
                f.attended += 1
        if _in(active_since, r.attended_at, now):
            attended_recently.add(r.branch_id)
    return attended_recently


async def best_practices(
    session: AsyncSession, start: datetime, now: datetime, limit: int = 3
) -> list[BestPractice]:
    score = Practice.likes_count + Practice.adoptions_count
    rows = await session.execute(
        select(
            Practice.id,
            Practice.title,
            Branch.name,
            Practice.likes_count,
            Practice.adoptions_count,
        )
        .join(Branch, Branch.id == Practice.branch_id)
        .where(
            Practice.status == PUBLISHED,
            Practice.published_at >= start,
            Practice.published_at < now,
        )
        .order_by(desc(score), desc(Practice.published_at), Practice.id)
        .limit(limit)
    )
    return [BestPractice(r.id, r.title, r.name, r.likes_count, r.adoptions_count) for r in rows]


async def curated_branches(session: AsyncSession, curator_id: int) -> list[int]:
    return list(
        await session.scalars(
            select(RoleAssignment.branch_id)
            .where(
                RoleAssignment.user_id == curator_id,
                RoleAssignment.role == Role.CURATOR,
                RoleAssignment.branch_id.is_not(None),
            )
            .distinct()
        )
    )


async def admin_branches(session: AsyncSession, regions: frozenset[int]) -> list[int]:
    """The branches of an admin's regions, or all of them for an admin of everything."""
    statement = select(Branch.id)
    if regions:
        statement = statement.where(Branch.region_id.in_(regions))
    return list(await session.scalars(statement))


__all__ = [
    "STATUSES",
    "BestPractice",
    "BranchFigures",
    "Digest",
    "DutyMarkRow",
    "OverdueMandate",
    "WeekPoint",
    "admin_branches",
    "build_digest",
    "curated_branches",
]
