"""The digest's message: what needs attention first, then the totals, then (when it fits)
each branch, then the week's best practices with buttons to their cards.

Telegram takes 4,096 characters; the message aims under `LIMIT`. The branches' section is
left out when it would not fit — a curator of many branches then reads the totals and the
exceptions here and each branch in the workbook — and the lists of overdue mandates and
inactive branches are cut to a few with «и ещё N».
"""

from __future__ import annotations

from datetime import datetime
from html import escape

from bot.clock import local
from bot.services.digest.figures import BranchFigures, Digest
from bot.services.outbox import Button
from bot.services.practices.notices import practice_cb
from bot.texts import plural, shorten, t

LIMIT = 3900  # under Telegram's 4,096, with room for a longer branch name
WORST = 5
INACTIVE_NAMES = 10
PRACTICE_BUTTON = 40  # characters of a title on its button


def decimal(value: float, digits: int = 1) -> str:
    return f"{value:.{digits}f}".replace(".", ",")


def working_days_text(hours: float) -> str:
    """«0,8 рабочего дня», «2 рабочих дня»: a fraction takes the genitive singular."""
    days = round(hours / 24, 1)
    if days == int(days):
        return plural(int(days), "plural.working_day")
    return f"{decimal(days)} рабочего дня"


def period_dates(digest: Digest) -> tuple[str, str]:
    start = local(digest.period_start, digest.timezone)
    end = local(digest.now, digest.timezone)
    return f"{start:%d.%m}", f"{end:%d.%m.%Y}"


def _branch_name(figures: BranchFigures) -> str:
    return f"{escape(figures.number)} {escape(figures.name)}"


def _figures_lines(f: BranchFigures) -> list[str]:
    lines = [
        t(
            "digest.figures",
            received=f.received,
            answered=f.answered,
            resolved=f.resolved,
            rejected=f.rejected,
            overdue=f.overdue,
        )
    ]
    median = f.median_hours
    if median is None:
        lines.append(t("digest.median_none"))
    else:
        lines.append(
            t(
                "digest.median",
                hours=plural(round(median), "plural.working_hour"),
                days=working_days_text(median),
            )
        )
    rating = f.rating
    if rating is None:
        lines.append(t("digest.rating_none"))
    else:
        lines.append(t("digest.rating", rating=decimal(rating), count=len(f.ratings)))
    lines.append(
        t(
            "digest.masterclasses",
            registrations=plural(f.registrations, "plural.registration"),
            attended=plural(f.attended, "plural.attendance"),
        )
    )
    if f.duties:  # no duty reminders ran out: nothing about duties, no «0 из 0»
        lines.append(duties_line(f))
    return lines


def duties_line(f: BranchFigures) -> str:
    """«Обязанности секретарей: отмечено в течение 48 часов 5 из 8 напоминаний, позже — 1,
    не отмечено — 2.»; the late and missing parts only when there are any."""
    parts = [
        t(
            "digest.duties",
            on_time=f.duties_on_time,
            reminders=plural(f.duties, "plural.reminder_of"),
        )
    ]
    if f.duties_late:
        parts.append(t("digest.duties_late", count=f.duties_late))
    if f.duties_missing:
        parts.append(t("digest.duties_missing", count=f.duties_missing))
    return ", ".join(parts) + "."


def _attention(digest: Digest, escalate_days: int) -> list[str]:
    lines: list[str] = []
    overdue, escalated, inactive = digest.overdue, digest.escalated, digest.inactive
    unmarked = digest.duties_missing
    if not overdue and not inactive and not unmarked:
        return [t("digest.nothing_needs_attention")]
    lines.append(t("digest.attention"))
    names = {b.branch_id: b.number for b in digest.branches}
    if overdue:
        mandates = plural(len(overdue), "plural.mandate")
        if escalated:
            lines.append(
                t(
                    "digest.overdue_escalated",
                    mandates=mandates,
                    escalated=len(escalated),
                    days=plural(escalate_days, "plural.working_day"),
                )
            )
        else:
            lines.append(t("digest.overdue", mandates=mandates))
        lines.append(t("digest.worst"))
        lines += [
            t(
                "digest.worst_line",
                number=escape(m.number),
                days=plural(m.days, "plural.working_day"),
                branch=escape(names[m.branch_id]),
            )
            for m in overdue[:WORST]
        ]
    if inactive:
        shown = _numbers(inactive)
        lines.append(t("digest.inactive", count=len(inactive), names=shown))
    if unmarked:
        shown = _numbers(unmarked)
        lines.append(
            t(
                "digest.duties_unmarked",
                reminders=plural(digest.total.duties_missing, "plural.reminder"),
                names=shown,
            )
        )
    return lines


def _numbers(branches: list[BranchFigures]) -> str:
    """The first branches' numbers, «и ещё N отделений» for the rest."""
    shown = ", ".join(escape(b.number) for b in branches[:INACTIVE_NAMES])
    if len(branches) <= INACTIVE_NAMES:
        return shown
    more = plural(len(branches) - INACTIVE_NAMES, "plural.branch")
    return t("digest.inactive_more", names=shown, more=more)


def _branches(digest: Digest) -> list[str]:
    lines = [t("digest.branches")]
    for f in digest.branches:
        if not f.notable:
            lines.append(t("digest.branch_quiet", number=escape(f.number), name=escape(f.name)))
            continue
        lines.append("")
        lines.append(t("digest.branch_title", number=escape(f.number), name=escape(f.name)))
        lines += _figures_lines(f)
    return lines


def _practices(digest: Digest) -> list[str]:
    if not digest.practices:
        return [t("digest.practices_none")]
    return [t("digest.practices")] + [
        t(
            "digest.practice_line",
            place=place,
            title=escape(p.title),
            branch=escape(p.branch),
            likes=p.likes,
            adoptions=p.adoptions,
        )
        for place, p in enumerate(digest.practices, 1)
    ]


def render_message(
    digest: Digest, *, escalate_days: int, admin: bool = False
) -> tuple[str, list[list[Button]]]:
    """The message's HTML and its buttons (one per best practice, to its card)."""
    date_from, date_to = period_dates(digest)
    branches = plural(len(digest.branches), "plural.branch")
    head = [
        t("digest.title", date_from=date_from, date_to=date_to),
        t("digest.scope_admin" if admin else "digest.scope", branches=branches),
        *_attention(digest, escalate_days),
        t("digest.totals"),
        *_figures_lines(digest.total),
    ]
    tail = [*_practices(digest), t("digest.files")]
    full = "\n".join([*head, *_branches(digest), *tail])
    if len(full) > LIMIT or len(digest.branches) == 1:
        # One branch: the totals are its figures. Many: each branch goes to the file.
        many = len(digest.branches) > 1
        middle = [t("digest.branches_in_file", count=len(digest.branches))] if many else []
        full = "\n".join([*head, *middle, *tail])
    buttons = [
        [
            Button(
                t("digest.practice_button", title=_short(p.title)),
                callback_data=practice_cb("open", p.id),
            )
        ]
        for p in digest.practices
    ]
    return full, buttons


def _short(title: str) -> str:
    return shorten(title, PRACTICE_BUTTON)


def filename_date(now: datetime, timezone: str) -> str:
    return f"{local(now, timezone):%Y-%m-%d}"
