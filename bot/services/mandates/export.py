"""`/export`: the mandates a secretary, curator or admin may see, as an `.xlsx` workbook.

Two sheets: «Наказы» (one row per mandate, every field) and «История» (one row per change).
Times are written in the reader's time zone as plain spreadsheet dates. This module reads
the rows in chunks and turns them into plain values; `workbook` writes the file in a child
process, chunk by chunk while the next is read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, InvalidInput
from bot.services.mandates.access import is_staff, staff_scope
from bot.services.mandates.draft import category_name
from bot.services.mandates.notices import status_name
from bot.services.mandates.workbook import ChildUnavailable, StreamedWorkbook
from bot.services.people import Person
from bot.services.working_days import last_day_to_answer
from bot.texts import t
from storage.models import Branch, Mandate, MandateEvent, MandatePhoto, Region, User

MANDATE_COLUMNS = (
    ("number", 16),
    ("created", 18),
    ("branch", 30),
    ("category", 22),
    ("status", 22),
    ("text", 60),
    ("address", 30),
    ("latitude", 11),
    ("longitude", 11),
    ("on_behalf", 20),
    ("voter_name", 24),
    ("voter_phone", 16),
    ("photos", 11),
    ("supporters", 11),
    ("due", 14),
    ("overdue", 11),
    ("first_answer", 18),
    ("forwarded_to", 30),
    ("closed", 18),
    ("rating", 11),
)


HISTORY_COLUMNS = (
    ("number", 16),
    ("at", 18),
    ("who", 16),
    ("who_name", 24),
    ("action", 40),
    ("from_status", 22),
    ("to_status", 22),
    ("comment", 60),
    ("rating", 11),
)


def _period(date_from: date, date_to: date, timezone: str) -> tuple[datetime, datetime]:
    """[start of date_from, start of the day after date_to) in the zone, as UTC bounds."""
    if date_to < date_from:
        raise InvalidInput("export_period_invalid")
    zone = ZoneInfo(timezone)
    start = datetime.combine(date_from, time(0), tzinfo=zone)
    end = datetime.combine(date_to + timedelta(days=1), time(0), tzinfo=zone)
    return start, end


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    # Spreadsheets have no time zones: the reader's wall-clock time, without seconds.
    if moment is None:
        return None
    return moment.astimezone(zone).replace(tzinfo=None, second=0, microsecond=0)


async def export_mandates_xlsx(
    session: AsyncSession,
    person: Person,
    date_from: date,
    date_to: date,
    timezone: str,
    now: datetime,
) -> bytes:
    """The workbook of mandates submitted from `date_from` to `date_to` inclusive (days in
    `timezone`, normally `person.timezone`) in the person's staff scope. `now` marks the
    overdue ones: the file is a snapshot.

    Errors: AccessDenied for a member without a staff role, `export_period_invalid` when
    the period ends before it starts."""
    if not is_staff(person):
        raise AccessDenied()
    start, end = _period(date_from, date_to, timezone)
    zone = ZoneInfo(timezone)
    in_scope = and_(staff_scope(person), Mandate.created_at >= start, Mandate.created_at < end)
    # Writing the file is CPU work of seconds for a big branch, and XlsxWriter is pure Python:
    # in a thread it would hold the GIL and stall every other update, so it runs in a
    # child process. Everything it needs, texts included, goes to it as plain data.
    sheets = (
        (t("mandates.xlsx.sheet_mandates"), _headers(MANDATE_COLUMNS), _widths(MANDATE_COLUMNS)),
        (t("mandates.xlsx.sheet_history"), _headers(HISTORY_COLUMNS), _widths(HISTORY_COLUMNS)),
    )
    try:
        return await _stream(session, sheets, in_scope, zone, now, in_child=True)
    except ChildUnavailable:
        # The child died or could not start: this export is written here, in threads
        # (the snapshot reads the same rows again), and the next one gets a new child.
        return await _stream(session, sheets, in_scope, zone, now, in_child=False)


async def _stream(
    session: AsyncSession,
    sheets: tuple[tuple[str, list[str], list[int]], ...],
    in_scope: ColumnElement[bool],
    zone: ZoneInfo,
    now: datetime,
    *,
    in_child: bool,
) -> bytes:
    """Rows read in chunks (a server-side cursor on PostgreSQL, SQLite's cursor stepped on),
    each chunk built into plain values and handed to the workbook while the next is read:
    the bot holds a few chunks at a time however big the branch."""
    yes, no = t("mandates.xlsx.yes"), t("mandates.xlsx.no")
    text, category, status = _memo(t), _memo(category_name), _memo(status_name)

    def mandate_row(m: Any) -> list[Any]:
        return [
            m.number,
            _local(m.created_at, zone),
            f"{m.branch_number} {m.branch_name}",
            category(m.category),
            status(m.status),
            m.text,
            m.address,
            m.latitude,
            m.longitude,
            text(f"mandates.on_behalf.{m.on_behalf}"),
            m.voter_name,
            m.voter_phone,
            m.photos or 0,
            m.supporters,
            last_day_to_answer(m.due_at, m.branch_zone),
            yes if m.first_answered_at is None and now >= m.due_at else no,
            _local(m.first_answered_at, zone),
            m.forwarded_to,
            _local(m.closed_at, zone),
            m.rating,
        ]

    def history_row(e: Any) -> list[Any]:
        return [
            e.number,
            _local(e.created_at, zone),
            text(f"mandates.actor.{e.actor_role}"),
            # Staff names only: the author's and supporters' accounts stay private.
            e.full_name if e.actor_role in ("secretary", "curator", "admin") else None,
            text(f"mandates.event.{e.action}"),
            status(e.from_status) if e.from_status else None,
            status(e.to_status) if e.to_status else None,
            e.comment,
            e.rating,
        ]

    photo_counts = (
        select(MandatePhoto.mandate_id, func.count().label("photos"))
        .group_by(MandatePhoto.mandate_id)
        .subquery()
    )
    # Plain rows, not ORM objects: 10,000 of them load several times faster.
    mandates = (
        select(
            Mandate.__table__,
            Branch.number.label("branch_number"),
            Branch.name.label("branch_name"),
            Region.timezone.label("branch_zone"),
            photo_counts.c.photos,
        )
        .join(Branch, Branch.id == Mandate.branch_id)
        .join(Region, Region.id == Branch.region_id)
        .outerjoin(photo_counts, photo_counts.c.mandate_id == Mandate.id)
        .where(in_scope)
        .order_by(Mandate.created_at, Mandate.id)
    )
    events = (
        select(MandateEvent.__table__, Mandate.number, User.full_name)
        .join(Mandate, Mandate.id == MandateEvent.mandate_id)
        .outerjoin(User, User.id == MandateEvent.actor_id)
        .where(in_scope)
        .order_by(Mandate.created_at, Mandate.id, MandateEvent.created_at, MandateEvent.id)
    )
    book = StreamedWorkbook(sheets, in_child=in_child)
    try:
        await book.open()
        for sheet, query, build in ((0, mandates, mandate_row), (1, events, history_row)):
            result = await session.stream(query.execution_options(yield_per=_CHUNK))
            async for chunk in result.partitions():
                await book.append(sheet, [build(row) for row in chunk])
        return await book.close()
    except BaseException:
        await book.drop()
        raise


# Rows read, built and handed to the workbook at a time: ≈10–20 ms of work on the event
# loop between two chances for other updates to run.
_CHUNK = 500


def _memo(function: Callable[[str], str]) -> Callable[[str], str]:
    # A handful of distinct keys over thousands of rows: look each text up once per export.
    seen: dict[str, str] = {}

    def lookup(key: str) -> str:
        if key not in seen:
            seen[key] = function(key)
        return seen[key]

    return lookup


def _headers(columns: tuple[tuple[str, int], ...]) -> list[str]:
    return [t(f"mandates.xlsx.{key}") for key, _ in columns]


def _widths(columns: tuple[tuple[str, int], ...]) -> list[int]:
    return [width for _, width in columns]
