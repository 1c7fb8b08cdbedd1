"""Recurring duties in the chat: the admin's /duties (the list with completion, a duty's
card with edit / pause / resume / delete and its .xlsx) and the recipients' «✅ Сделано»
and «⏰ Напомнить завтра» under a reminder. Thin: who may manage which duty and all the
rest is bot/services/duties/; the screens are handlers/duties_screens.py."""

from __future__ import annotations

from datetime import datetime

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardMarkup,
    Message,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.services.duties import access, delivery, records, report
from bot.services.duties.errors import DutyError
from bot.services.errors import AccessDenied, DomainError
from bot.services.people import Person
from bot.texts import day_at, t
from handlers import duties_create
from handlers.callbacks import DutyAdminCb, DutyCb, DutyNewCb, PickCb
from handlers.duties_create import DutyCreate
from handlers.duties_screens import button, card_screen, edit_screen, list_screen
from handlers.filters import Onboarded, reads_only
from handlers.replies import drop_buttons, error_text, free_input, show_in_place

EDITS = {"edit_text": "text", "edit_when": "schedule", "edit_whom": "whom"}


async def duties_command(message: Message, person: Person, session: AsyncSession) -> None:
    if not access.may_manage_any(person):
        await message.answer(t("errors.access_denied"))
        return
    text, markup = await list_screen(session, person)
    await message.answer(text, reply_markup=markup)


async def _refuse(query: CallbackQuery, error: DomainError) -> None:
    await query.answer(error_text(error), show_alert=True)


async def admin_press(
    query: CallbackQuery,
    callback_data: DutyAdminCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    """Every action asks the service for the duty as `person` may manage it, so a forged
    id of another region's duty is refused there."""
    if not access.may_manage_any(person):
        await _refuse(query, AccessDenied())
        return
    action, duty_id, now = callback_data.action, callback_data.id, clock.now()
    try:
        if action == "list":
            text, markup = await list_screen(session, person)
            await query.answer()
            await show_in_place(bot, query, text, markup)
            return
        if action == "pause":
            await records.pause_duty(session, duty_id, now, person)
        elif action == "resume":
            await records.resume_duty(session, duty_id, now, person)
        elif action == "delete":
            duty = await records.get_duty(session, duty_id, person)
            await query.answer()
            confirm = InlineKeyboardMarkup(
                inline_keyboard=[
                    [
                        button(t("duties.button.delete_yes"), "delete_yes", duty.id),
                        button(t("duties.button.delete_no"), "open", duty.id),
                    ]
                ]
            )
            await show_in_place(bot, query, t("duties.card.delete_ask", id=duty.id), confirm)
            return
        elif action == "delete_yes":
            await records.delete_duty(session, duty_id, now, person)
            text, markup = await list_screen(session, person)
            await query.answer(t("duties.card.deleted"))
            await show_in_place(bot, query, text, markup)
            return
        elif action == "xlsx":
            duty = await records.get_duty(session, duty_id, person)
            content = report.workbook(await report.completion(session, duty), person.timezone)
            await query.answer()
            await bot.send_document(
                person.id,
                BufferedInputFile(content, filename=f"zadacha_{duty.id}.xlsx"),
                caption=t("duties.card.xlsx_caption", id=duty.id),
            )
            return
        elif action == "edit":
            duty = await records.get_duty(session, duty_id, person)
            await query.answer()
            await show_in_place(bot, query, *edit_screen(duty))
            return
        elif action in EDITS:
            duty = await records.get_duty(session, duty_id, person)
            await query.answer()
            await duties_create.start_edit(bot, query, person, session, state, duty, EDITS[action])
            return
        duty = await records.get_duty(session, duty_id, person)
    except DomainError as error:
        await _refuse(query, error)
        return
    text, markup = await card_screen(session, duty)
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def _answered_in_place(
    bot: Bot, query: CallbackQuery, session: AsyncSession, occurrence_id: int, line: str
) -> None:
    """The reminder edited in place: its text kept, `line` under it, the buttons gone."""
    text = await delivery.reminder_text(session, occurrence_id, query.from_user.id)
    await show_in_place(bot, query, f"{text}\n\n{line}")


def _at(when: datetime, person: Person) -> str:
    return day_at(local(when, person.timezone))


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
    router.callback_query.register(
        duties_create.picked, PickCb.filter(F.purpose == duties_create.PURPOSE), DutyCreate.branch
    )
    answer = free_input()
    for step in (DutyCreate.branch, DutyCreate.schedule, DutyCreate.text):
        router.message.register(duties_create.typed, step, F.text, answer)
        router.message.register(duties_create.not_text, step, ~F.text)
    return router
