"""The weekly digest as due work, and a digest made now for /digest.

**One series per curator**, kind `digest.weekly`, subject `"weekly"`, recipient the
curator: a recurring kind (Mondays 09:00 in the curator's zone), so the engine plans the
next one in the transaction that marks this one done — a curator always has exactly one
pending (or running) row. `plan_missing_series`, on every tick, starts the series of each
curator who has none yet (a curator appointed after the bot started, or before this
feature existed): one read query that finds nobody in the usual case, and a `plan` that is
idempotent on (kind, subject, recipient, due_at), so two ticks or two processes doing it
at once plan one row. (Two sweeps straddling 09:00 on a Monday could plan today's and next
week's: today's, when done, plans next week's — the same row — so the two converge.)

**Sent once**: the engine's exactly-once — a claim with a lease, then one transaction that
marks the job done and queues its notices (`DueWorkRunner`) — holds for a restart during
the run (the lease runs out, another runner does it, once) and for two ticks racing (one
claim wins). The heavy part, reading the figures and drawing the chart and workbook, is the
kind's `prepare`: a read session and child processes, before that transaction, so neither
the write turn nor the event loop is held while a thousand digests are built.

**A former curator's series ends**: `send_weekly` checks, in the job's transaction, that
the person still curates a branch; if not, nothing is sent, no next digest is planned and
anything else pending of the series is cancelled. The role given back, the tick's
`plan_missing_series` starts the series again (it looks for curators without one).

**The curator's own day and time** (/settings, `bot.services.preferences`): the kind is
registered without the engine's `Recurrence` (whose rule is one string for everyone);
instead `send_weekly`, in the same transaction that marks the job done, plans the next
digest from the curator's own rule (`next_digest_at`) — the same guarantee as the
engine's. Moving the day or time (`move_digest`) cancels the pending one and plans the
first of the new rule. Switched off, the series goes on but `prepare` builds nothing and
nothing is sent, so switching back on needs no planning. A digest that failed for good
plans no next one; `plan_missing_series` starts the series again on the next tick.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from functools import partial

from sqlalchemy import and_, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services import preferences
from bot.services.digest.chart import chart_data
from bot.services.digest.drawing import chart_and_workbook, drawn
from bot.services.digest.figures import (
    ESCALATE_DAYS,
    Digest,
    admin_branches,
    build_digest,
    curated_branches,
)
from bot.services.digest.text import filename_date, period_dates, render_message
from bot.services.digest.workbook import workbook_rows
from bot.services.due_work import DueJob, DueWorkRegistry, Recurrence, cancel, plan
from bot.services.outbox import Button, Notice, Upload, enqueue
from bot.services.people import Person, Role, timezones_of
from bot.texts import t
from storage.db import Database
from storage.models import Branch, DueWork, Region, RoleAssignment

KIND = "digest.weekly"
SUBJECT = "weekly"
RULE = "FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0"
DEFAULT_ZONE = "Europe/Moscow"
# A digest not delivered within this long (the bot down for days) is not worth sending.
EXPIRES_AFTER = timedelta(days=3)


@dataclass(frozen=True, slots=True)
class DigestFiles:
    """A digest ready to send: the message, the chart and the workbook."""

    text: str
    buttons: list[list[Button]]
    chart: bytes = field(repr=False)
    workbook: bytes = field(repr=False)
    chart_name: str
    workbook_name: str
    workbook_caption: str

    def notices(self, chat_id: int, now: datetime) -> list[Notice]:
        expires = now + EXPIRES_AFTER
        return [
            Notice(chat_id, self.text, self.buttons, expires_at=expires),
            Notice(
                chat_id,
                t("digest.chart_caption"),
                upload=Upload(self.chart, self.chart_name, as_photo=True),
                expires_at=expires,
            ),
            Notice(
                chat_id,
                self.workbook_caption,
                upload=Upload(self.workbook, self.workbook_name),
                expires_at=expires,
            ),
        ]


async def curator_zone(session: AsyncSession, user_id: int) -> str:
    """The curator's zone: their home region's (as for everyone), else the region of the
    first branch they curate, else Moscow."""
    first = await session.scalar(
        select(Region.timezone)
        .join(Branch, Branch.region_id == Region.id)
        .join(RoleAssignment, RoleAssignment.branch_id == Branch.id)
        .where(RoleAssignment.user_id == user_id, RoleAssignment.role == Role.CURATOR)
        .order_by(RoleAssignment.branch_id)
        .limit(1)
    )
    zones = await timezones_of(session, [user_id], first or DEFAULT_ZONE)
    return zones[user_id]


async def _zone_of(session: AsyncSession, subject: str, recipient: int | None) -> str:
    return DEFAULT_ZONE if recipient is None else await curator_zone(session, recipient)


RECURRENCE = Recurrence(RULE, _zone_of)  # everyone's default; see `next_digest_at`


async def next_digest_at(session: AsyncSession, user_id: int, after: datetime) -> datetime:
    """The curator's next digest after `after`: their own weekday and time, their zone."""
    settings = await preferences.get(session, user_id)
    zone = await curator_zone(session, user_id)
    return Recurrence(settings.digest_rule, zone).next_after(after, zone)


async def move_digest(
    session: AsyncSession, user_id: int, weekday: int, at: time, now: datetime
) -> datetime:
    """Set the curator's digest day and time (and switch it on); the pending digest is
    cancelled and the first of the new rule planned. Returns when it is due."""
    await preferences.set_digest_time(session, user_id, weekday, at)
    await cancel(session, KIND, SUBJECT, user_id)
    due_at = await next_digest_at(session, user_id, now)
    await plan(session, KIND, SUBJECT, user_id, due_at, now=now)
    return due_at


async def render_files(
    digest: Digest, *, admin: bool = False, escalate_days: int = ESCALATE_DAYS
) -> DigestFiles:
    """The message, and the chart and workbook drawn off the event loop (in child
    processes, `drawing`). Holds no database connection: read the `Digest` first
    (`build_digest`) and leave the session."""
    text, buttons = render_message(digest, escalate_days=escalate_days, admin=admin)
    sheets, rows = workbook_rows(digest)
    chart, book = await drawn(chart_and_workbook, chart_data(digest), sheets, rows)
    date_from, date_to = period_dates(digest)
    day = filename_date(digest.now, digest.timezone)
    return DigestFiles(
        text=text,
        buttons=buttons,
        chart=chart,
        workbook=book,
        chart_name=t("digest.chart_name", date=day),
        workbook_name=t("digest.workbook_name", date=day),
        workbook_caption=t("digest.workbook_caption", date_from=date_from, date_to=date_to),
    )


async def branches_for(session: AsyncSession, person: Person) -> tuple[list[int], bool]:
    """What /digest covers for `person`: an admin's scope (all branches for an admin of
    everything), else the curated branches; and whether it is an admin's."""
    if person.is_admin:
        return await admin_branches(session, person.admin_regions), True
    return sorted(person.curator_of), False


async def prepare_weekly(
    database: Database, job: DueJob, now: datetime, *, escalate_days: int = ESCALATE_DAYS
) -> DigestFiles | None:
    """The `prepare` of `digest.weekly`: the curator's digest, or None without branches."""
    if job.recipient is None:
        return None
    async with database.reading() as session:
        if not await preferences.wants(session, job.recipient, preferences.Kind.DIGEST):
            return None  # switched off: nothing built, nothing sent; the series goes on
        branch_ids = await curated_branches(session, job.recipient)
        if not branch_ids:
            return None
        zone = await curator_zone(session, job.recipient)
        # The week that ended when it was due: run late (the bot was down), the digest
        # still covers Monday to Monday, not a week shifted by the outage.
        as_of = min(now, job.due_at)
        digest = await build_digest(
            session, job.recipient, branch_ids, as_of, zone, escalate_days=escalate_days
        )
    return await render_files(digest, escalate_days=escalate_days)


async def send_weekly(session: AsyncSession, job: DueJob, now: datetime) -> None:
    """In the job's transaction: the prepared digest's three notices, queued once, and the
    next digest planned from the curator's own rule."""
    if job.recipient is None:
        return
    if not await curated_branches(session, job.recipient):
        # No longer a curator: nothing sent and the series ends here (anything else still
        # planned of it too), so it does not wake every week. Made a curator again, they
        # are found by `plan_missing_series` on the next tick.
        await cancel(session, KIND, SUBJECT, job.recipient)
        return
    due_at = await next_digest_at(session, job.recipient, max(job.due_at, now))
    await plan(session, KIND, SUBJECT, job.recipient, due_at, now=now)
    files = job.prepared
    if not isinstance(files, DigestFiles):
        return  # no longer a curator, or switched off: nothing to send this week
    if not await preferences.wants(session, job.recipient, preferences.Kind.DIGEST):
        return  # switched off while it was being built
    await enqueue(session, now, *files.notices(job.recipient, now))


def register_due_work(registry: DueWorkRegistry, *, escalate_days: int = ESCALATE_DAYS) -> None:
    """`escalate_days`: MANDATE_ESCALATE_DAYS, what counts as escalated in the digest."""
    prepare = partial(prepare_weekly, escalate_days=escalate_days)
    registry.register(KIND, send_weekly, prepare=prepare)


async def curators_without_series(session: AsyncSession) -> list[int]:
    active = exists().where(
        and_(
            DueWork.kind == KIND,
            DueWork.subject == SUBJECT,
            DueWork.recipient_id == RoleAssignment.user_id,
            DueWork.status.in_(("pending", "running")),
        )
    )
    return list(
        await session.scalars(
            select(RoleAssignment.user_id)
            .where(
                RoleAssignment.role == Role.CURATOR,
                RoleAssignment.branch_id.is_not(None),
                ~active,
            )
            .distinct()
        )
    )


async def plan_missing_series(database: Database, now: datetime) -> int:
    """Start the weekly series of every curator who has none; returns how many started."""
    async with database.reading() as session:
        missing = await curators_without_series(session)
    if not missing:
        return 0
    started = 0
    async with database.transaction() as session:
        for user_id in await curators_without_series(session):  # again, in the write turn
            due_at = await next_digest_at(session, user_id, now)
            started += await plan(session, KIND, SUBJECT, user_id, due_at, now=now)
    return started
