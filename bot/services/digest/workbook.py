"""The digest's `.xlsx`: a sheet per topic (branches with a total row, the overdue
mandates, the week's best practices, the 8 weeks, the secretaries' duty reminders whose
48 hours ran out in the week: who, which duty, when reminded and marked), Russian column
names, the header frozen, each column as wide as its longest value. Rows are plain values,
built here from the `Digest`; writing them is `bot.services.mandates.workbook.build_workbook`
(the project's one workbook style), run off the event loop by the caller."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import local
from bot.services.digest.figures import BranchFigures, Digest
from bot.texts import t

Sheets = tuple[tuple[str, list[str], list[int]], ...]
MAX_WIDTH = 60


def _h(key: str) -> str:
    return t(f"digest.sheet.{key}")


def _branch_row(f: BranchFigures, number: str, name: str) -> list[Any]:
    median = f.median_hours
    rating = f.rating
    return [
        number,
        name,
        f.received,
        f.answered,
        f.resolved,
        f.rejected,
        f.overdue,
        f.escalated,
        round(median, 1) if median is not None else None,
        round(rating, 2) if rating is not None else None,
        len(f.ratings),
        f.registrations,
        f.attended,
        _h("yes") if f.inactive else _h("no") if number else None,
        # No duty reminders for it: the cells stay empty, as the message says nothing.
        *((f.duties, f.duties_on_time, f.duties_late, f.duties_missing) if f.duties else
          (None, None, None, None)),
    ]  # fmt: skip


def workbook_rows(digest: Digest) -> tuple[Sheets, list[list[list[Any]]]]:
    """The sheets (title, headers, widths) and their rows, plain values only."""
    names = {b.branch_id: f"{b.number} {b.name}" for b in digest.branches}
    branch_headers = [
        _h(k)
        for k in (
            "number", "branch", "received", "answered", "resolved", "rejected",
            "overdue_now", "escalated", "median_hours", "rating", "ratings",
            "registrations", "attended", "inactive",
            "duties", "duties_on_time", "duties_late", "duties_missing",
        )
    ]  # fmt: skip
    branch_rows = [_branch_row(b, b.number, b.name) for b in digest.branches]
    branch_rows.append(_branch_row(digest.total, "", _h("total")))
    overdue_headers = [_h("mandate"), _h("branch"), _h("days_overdue"), _h("escalated")]
    overdue_rows: list[list[Any]] = [
        [m.number, names[m.branch_id], m.days, _h("yes") if m.escalated else _h("no")]
        for m in digest.overdue
    ]
    practice_headers = [_h("title"), _h("branch"), _h("likes"), _h("adoptions")]
    practice_rows: list[list[Any]] = [
        [p.title, p.branch, p.likes, p.adoptions] for p in digest.practices
    ]
    trend_headers = [_h("week"), _h("received"), _h("answered"), _h("resolved")]
    trend_rows: list[list[Any]] = [
        [f"{local(w.start, digest.timezone):%d.%m.%Y}", w.received, w.answered, w.resolved]
        for w in digest.trend
    ]

    def moment(value: datetime | None) -> str | None:
        return f"{local(value, digest.timezone):%d.%m.%Y %H:%M}" if value else None

    duty_headers = [
        _h(k) for k in ("branch", "secretary", "duty", "reminded", "term", "done", "verdict")
    ]
    duty_rows: list[list[Any]] = [
        [
            names[m.branch_id],
            m.name,
            m.duty,
            moment(m.sent_at),
            moment(m.deadline),
            moment(m.done_at),
            _h(m.verdict),
        ]
        for m in digest.duty_marks
    ]
    tables = (
        (_h("branches"), branch_headers, branch_rows),
        (_h("overdue"), overdue_headers, overdue_rows),
        (_h("practices"), practice_headers, practice_rows),
        (_h("trend"), trend_headers, trend_rows),
        (_h("duty_marks"), duty_headers, duty_rows),
    )
    sheets = tuple((title, headers, _widths(headers, rows)) for title, headers, rows in tables)
    return sheets, [rows for _, _, rows in tables]


def _widths(headers: list[str], rows: list[list[Any]]) -> list[int]:
    widths = [len(h) + 2 for h in headers]
    for row in rows:
        for index, value in enumerate(row):
            if value is not None:
                widths[index] = max(widths[index], len(str(value)) + 2)
    return [min(width, MAX_WIDTH) for width in widths]


def render_workbook(sheets: Sheets, rows: list[list[list[Any]]]) -> bytes:
    from bot.services.mandates.workbook import build_workbook

    return build_workbook(sheets, *rows, freeze_header=True)
