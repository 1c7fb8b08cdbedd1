"""`/export`: the mandates a secretary, curator or admin may see, as an `.xlsx` workbook.

Two sheets: «Наказы» (one row per mandate, every field) and «История» (one row per change).
Times are written in the reader's time zone as plain spreadsheet dates. Written with
openpyxl's write-only mode, which streams rows instead of holding cell objects, so
10,000 mandates stay cheap in memory.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, InvalidInput
from bot.services.mandate_access import is_staff, staff_scope
from bot.services.mandate_draft import category_name
from bot.services.mandate_notices import status_name
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


def _value(sheet: WriteOnlyWorksheet, value: Any) -> Any:
    """A value as openpyxl should store it. Plain values go as they are (cheap: openpyxl
    reuses one cell for them); only text that would turn into a formula gets its own cell."""
    if not isinstance(value, str):
        return value
    if ILLEGAL_CHARACTERS_RE.search(value):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    if value.startswith("="):
        cell = WriteOnlyCell(sheet, value)
        cell.data_type = "s"  # user text, never a formula («=HYPERLINK(…)» stays text)
        return cell
    return value


def _sheet(
    workbook: Workbook, title: str, columns: tuple[tuple[str, int], ...], rows: Iterable[list[Any]]
) -> None:
    sheet = workbook.create_sheet(title)
    for index, (_, width) in enumerate(columns):
        letter = chr(ord("A") + index)
        sheet.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = []
    for key, _ in columns:
        cell = WriteOnlyCell(sheet, t(f"mandates.xlsx.{key}"))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in rows:
        sheet.append([_value(sheet, value) for value in row])


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
    yes, no = t("mandates.xlsx.yes"), t("mandates.xlsx.no")

    photo_counts = (
        select(MandatePhoto.mandate_id, func.count().label("photos"))
        .group_by(MandatePhoto.mandate_id)
        .subquery()
    )
    # Plain rows, not ORM objects: 10,000 of them load several times faster.
    mandates = (
        await session.execute(
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
    ).all()
    mandate_rows = [
        [
            m.number,
            _local(m.created_at, zone),
            f"{m.branch_number} {m.branch_name}",
            category_name(m.category),
            status_name(m.status),
            m.text,
            m.address,
            m.latitude,
            m.longitude,
            t(f"mandates.on_behalf.{m.on_behalf}"),
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
        for m in mandates
    ]

    events = (
        await session.execute(
            select(MandateEvent.__table__, Mandate.number, User.full_name)
            .join(Mandate, Mandate.id == MandateEvent.mandate_id)
            .outerjoin(User, User.id == MandateEvent.actor_id)
            .where(in_scope)
            .order_by(Mandate.created_at, Mandate.id, MandateEvent.created_at, MandateEvent.id)
        )
    ).all()
    history_rows = [
        [
            e.number,
            _local(e.created_at, zone),
            t(f"mandates.actor.{e.actor_role}"),
            # Staff names only: the author's and supporters' accounts stay private.
            e.full_name if e.actor_role in ("secretary", "curator", "admin") else None,
            t(f"mandates.event.{e.action}"),
            status_name(e.from_status) if e.from_status else None,
            status_name(e.to_status) if e.to_status else None,
            e.comment,
            e.rating,
        ]
        for e in events
    ]
    # Writing the file is CPU work of seconds for a big branch: off the event loop, so the
    # bot keeps answering everyone else meanwhile.
    return await asyncio.to_thread(_workbook, mandate_rows, history_rows)


def _workbook(mandate_rows: list[list[Any]], history_rows: list[list[Any]]) -> bytes:
    workbook = Workbook(write_only=True)
    _sheet(workbook, t("mandates.xlsx.sheet_mandates"), MANDATE_COLUMNS, mandate_rows)
    _sheet(workbook, t("mandates.xlsx.sheet_history"), HISTORY_COLUMNS, history_rows)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
