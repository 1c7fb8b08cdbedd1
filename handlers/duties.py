"""Recurring duties in the chat: the admin's /duties (the list with completion, a duty's
card with pause / resume / delete and its .xlsx) and the recipients' «✅ Сделано» and
«⏰ Напомнить завтра» under a reminder. Thin: everything is bot/services/duties/."""

from __future__ import annotations

import html
from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.services.duties import delivery, records, report
from bot.services.duties.errors import DutyError
from bot.services.duties.schedule import describe
from bot.services.errors import AccessDenied, DomainError
from bot.services.people import Person
from bot.texts import plural, t
from handlers import duties_create
from handlers.callbacks import DutyAdminCb, DutyCb, DutyNewCb
from handlers.duties_create import DutyCreate
from handlers.filters import Onboarded, reads_only
from handlers.replies import drop_buttons, error_text, free_input, show_in_place
from storage.models import Duty

MISSING_SHOWN = 20  # names of those not done, in the card; the rest are in the .xlsx
OCCURRENCES_SHOWN = 3


def _may_manage(person: Person) -> bool:
    """Duties are for the admins of everything (a region's admin gets no /duties yet)."""
    return person.is_admin and not person.admin_regions


def _button(text: str, action: str, duty_id: int = 0) -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=DutyAdminCb(action=action, id=duty_id).pack(),
    )


def _whom(duty: Duty) -> str:
    return t(f"duties.role.{duty.role}") + (
        "" if duty.scope == "all" else " · " + t(f"duties.scope.{duty.scope}")
    )


async def _list_screen(session: AsyncSession) -> tuple[str, InlineKeyboardMarkup]:
    duties = await records.list_duties(session)
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
            text=html.escape(duty.text[:60]),
            when=describe(duty.rule),
            whom=_whom(duty),
            state=state,
        )
        if occurrences:
            last = occurrences[0]
            line += "\n" + t("duties.list.last", label=last.label, done=last.done, total=last.total)
        lines.append(line)
        rows.append([_button(t("duties.button.open", id=duty.id), "open", duty.id)])
    new = DutyNewCb(step="new").pack()
    rows.append([InlineKeyboardButton(text=t("duties.new.create"), callback_data=new)])
    return "\n\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def _card_screen(session: AsyncSession, duty: Duty) -> tuple[str, InlineKeyboardMarkup]:
    lines = [
        t("duties.card.title", id=duty.id),
        html.escape(duty.text),
        "",
        t("duties.card.when", when=describe(duty.rule)),
        t("duties.card.whom", whom=_whom(duty)),
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
        _button(t("duties.button.resume"), "resume", duty.id)
        if duty.paused
        else _button(t("duties.button.pause"), "pause", duty.id)
    )
    rows = [
        [toggle, _button(t("duties.button.delete"), "delete", duty.id)],
        [_button(t("duties.button.xlsx"), "xlsx", duty.id)],
        [_button(t("duties.button.back"), "list")],
    ]
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


async def duties_command(message: Message, person: Person, session: AsyncSession) -> None:
    if not _may_manage(person):
        await message.answer(t("errors.access_denied"))
        return
    text, markup = await _list_screen(session)
    await message.answer(text, reply_markup=markup)


async def _refuse(query: CallbackQuery, error: DomainError) -> None:
    await query.answer(error_text(error), show_alert=True)


async def admin_press(
    query: CallbackQuery,
    callback_data: DutyAdminCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    if not _may_manage(person):
        await _refuse(query, AccessDenied())
        return
    action, duty_id, now = callback_data.action, callback_data.id, clock.now()
    try:
        if action == "list":
            text, markup = await _list_screen(session)
            await query.answer()
            await show_in_place(bot, query, text, markup)
            return
        if action == "pause":
            await records.pause_duty(session, duty_id, now)
        elif action == "resume":
            await records.resume_duty(session, duty_id, now)
        elif action == "delete":
            duty = await records.get_duty(session, duty_id)
            await query.answer()
            confirm = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        _button(t("duties.button.delete_yes"), "delete_yes", duty.id),
                        _button(t("duties.button.delete_no"), "open", duty.id),
                    ]
                ]
            )
            await show_in_place(bot, query, t("duties.card.delete_ask", id=duty.id), confirm)
            return
        elif action == "delete_yes":
            await records.delete_duty(session, duty_id, now)
            text, markup = await _list_screen(session)
            await query.answer(t("duties.card.deleted"))
            await show_in_place(bot, query, text, markup)
            return
        elif action == "xlsx":
            duty = await records.get_duty(session, duty_id)
            content = report.workbook(await report.completion(session, duty), person.timezone)
            await query.answer()
            await bot.send_document(
                person.id,
                BufferedInputFile(content, filename=f"zadacha_{duty.id}.xlsx"),
                caption=t("duties.card.xlsx_caption", id=duty.id),
            )
            return
        duty = await records.get_duty(session, duty_id)
    except DutyError as error:
        await _refuse(query, error)
        return
    text, markup = await _card_screen(session, duty)
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def _answered_in_place(
    bot: Bot, query: CallbackQuery, session: AsyncSession, occurrence_id: int, line: str
) -> None:
    """The reminder edited in place: its text kept, `line` under it, the buttons gone."""
    text = await delivery.reminder_text(session, occurrence_id, query.from_user.id)
    await show_in_place(bot, query, f"{text}\n\n{line}")


def _at(when: datetime, person: Person) -> str:
    return local(when, person.timezone).strftime("%d.%m в %H:%M")


async def recipient_press(
    query: CallbackQuery,
    callback_data: DutyCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«✅ Сделано» / «⏰ Напомнить завтра» under the person's own reminder: answered, and
    the reminder edited to say what was recorded, without its buttons (a reminder sent
    later brings them again). A press on an old copy says how it stands."""
    now, occurrence = clock.now(), callback_data.id
    try:
        if callback_data.action == "done":
            fresh = await delivery.mark_done(session, occurrence, person.id, now)
            await query.answer(t("duties.answer.done" if fresh else "duties.answer.done_before"))
            line = _done_line(await delivery.done_at(session, occurrence, person.id), person)
        else:
            try:
                when = await delivery.snooze(session, occurrence, person.id, now)
            except DutyError as error:
                if error.code != "already_done":
                    raise
                await _refuse(query, error)
                line = _done_line(await delivery.done_at(session, occurrence, person.id), person)
            else:
                await query.answer(t("duties.answer.snoozed", when=_at(when, person)))
                at = local(when, person.timezone).strftime("%H:%M")
                line = t("duties.notice.snoozed", when=at)
        await _answered_in_place(bot, query, session, occurrence, line)
    except DutyError as error:
        await _refuse(query, AccessDenied() if error.code == "not_yours" else error)
        if error.code == "not_found" and isinstance(query.message, Message):
            await drop_buttons(bot, person.id, query.message.message_id)


def _done_line(when: datetime | None, person: Person) -> str:
    return t("duties.notice.done", when=_at(when, person)) if when else ""


def create_router() -> Router:
    router = Router(name="duties")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    router.message.register(duties_command, Command("duties"), flags=reads_only())
    router.callback_query.register(admin_press, DutyAdminCb.filter())
    router.callback_query.register(recipient_press, DutyCb.filter())
    for name, turn in (
        ("role", DutyCreate.role),
        ("scope", DutyCreate.scope),
        ("kind", DutyCreate.kind),
        ("save", DutyCreate.confirm),
    ):
        router.callback_query.register(
            duties_create.pressed, DutyNewCb.filter(F.step == name), turn
        )
    # "new", "cancel", and a step pressed out of its turn (refused as stale inside).
    router.callback_query.register(duties_create.pressed, DutyNewCb.filter())
    answer = free_input()
    for step in (DutyCreate.branch, DutyCreate.schedule, DutyCreate.text):
        router.message.register(duties_create.typed, step, F.text, answer)
        router.message.register(duties_create.not_text, step, ~F.text)
    return router
