"""The screens of /duties, shared by the list and card handlers (handlers/duties.py) and the
create and edit flow (handlers/duties_create.py): the list, a duty's card, what to change,
and whom a duty is for in words («секретарям · Первичное отделение № 12, Энск»)."""

from __future__ import annotations

import html

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.duties import records, report
from bot.services.duties.schedule import describe
from bot.services.errors import NotFound
from bot.services.people import Person
from bot.services.structure import queries
from bot.texts import plural, shorten, t
from handlers.callbacks import DutyAdminCb, DutyNewCb
from storage.models import Duty

MISSING_SHOWN = 20  # names of those not done, in the card; the rest are in the .xlsx
OCCURRENCES_SHOWN = 3


def button(text: str, action: str, duty_id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=DutyAdminCb(action=action, id=duty_id).pack(),
    )


async def unit_words(session: AsyncSession, scope: str, unit_id: int | None) -> str:
    """The region, local branch or branch by name; empty for everyone."""
    try:
        if scope == "region" and unit_id:
            region = await queries.get_region(session, unit_id)
            return t("duties.unit.region", name=html.escape(region.name))
        if scope == "local_branch" and unit_id:
            local = await queries.get_local_branch(session, unit_id)
            return t(
                "duties.unit.local_branch",
                name=html.escape(local.name),
                region=html.escape(local.region_name),
            )
        if scope == "branch" and unit_id:
            branch = await queries.get_branch(session, unit_id)
            return t(
                "duties.unit.branch",
                number=html.escape(branch.number),
                name=html.escape(branch.name),
            )
    except NotFound:
        return t("duties.unit.gone")
    return ""


async def whom(session: AsyncSession, target: records.Target) -> str:
    """«секретарям», «секретарям · Первичное отделение № 12, Энск»."""
    unit = await unit_words(session, target.scope, target.target_id)
    return t(f"duties.role.{target.role}") + (f" · {unit}" if unit else "")


async def list_screen(session: AsyncSession, person: Person) -> tuple[str, InlineKeyboardMarkup]:
    duties = await records.list_duties(session, person)
    lines = [t("duties.list.title")]
    rows = []
    if not duties:
        lines.append(t("duties.list.empty"))
    for duty in duties:
        occurrences = await report.completion(session, duty)
        state = t("duties.list.paused") if duty.paused else ""
        line = t(
            "duties.list.line",
            id=duty.id,
            text=html.escape(shorten(duty.text, 60)),
            when=describe(duty.rule),
            whom=await whom(session, records.target_of(duty)),
            state=state,
        )
        if occurrences:
            last = occurrences[0]
            line += "\n" + t("duties.list.last", label=last.label, done=last.done, total=last.total)
        lines.append(line)
        rows.append([button(t("duties.button.open", id=duty.id), "open", duty.id)])
    new = DutyNewCb(step="new").pack()
    rows.append([InlineKeyboardButton(text=t("duties.new.create"), callback_data=new)])
    return "\n\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def card_screen(session: AsyncSession, duty: Duty) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t("duties.card.title", id=duty.id),
        html.escape(duty.text),
        "",
        t("duties.card.when", when=describe(duty.rule)),
        t("duties.card.whom", whom=await whom(session, records.target_of(duty))),
    ]
    if duty.paused:
        lines.append(t("duties.card.paused"))
    occurrences = await report.completion(session, duty)
    for occurrence in occurrences[:OCCURRENCES_SHOWN]:
        lines += [
            "",
            t(
                "duties.card.occurrence",
                label=occurrence.label,
                done=occurrence.done,
                total=occurrence.total,
            ),
        ]
        missing = occurrence.missing
        if missing:
            names = ", ".join(html.escape(p.name) for p in missing[:MISSING_SHOWN])
            if len(missing) > MISSING_SHOWN:
                names += t("duties.card.more", more=len(missing) - MISSING_SHOWN)
            lines.append(
                t(
                    "duties.card.missing",
                    count=plural(len(missing), "plural.supporter"),
                    names=names,
                )
            )
    if not occurrences:
        lines += ["", t("duties.card.none_yet")]
    toggle = (
        button(t("duties.button.resume"), "resume", duty.id)
        if duty.paused
        else button(t("duties.button.pause"), "pause", duty.id)
    )
    rows = [
        [button(t("duties.button.edit"), "edit", duty.id)],
        [toggle, button(t("duties.button.delete"), "delete", duty.id)],
        [button(t("duties.button.xlsx"), "xlsx", duty.id)],
        [button(t("duties.button.back"), "list")],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def edit_screen(duty: Duty) -> tuple[str, InlineKeyboardMarkup]:
    """What to change: the text, the schedule or the recipients."""
    rows = [
        [button(t("duties.edit.text"), "edit_text", duty.id)],
        [button(t("duties.edit.when"), "edit_when", duty.id)],
        [button(t("duties.edit.whom"), "edit_whom", duty.id)],
        [button(t("duties.edit.back"), "open", duty.id)],
    ]
    return t("duties.edit.ask", id=duty.id), InlineKeyboardMarkup(inline_keyboard=rows)
