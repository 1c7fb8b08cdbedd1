"""A new duty, one question per message, the one message edited as the admin answers:
whom (secretaries or curators), where (everyone or one branch, typed by number), the
schedule's kind (buttons), its day and time (typed), the text, the summary to save.

FSM data `duty` holds only JSON: `msg` (the question's message), `role`, `scope`,
`target` (a branch id), `kind`, `rule`, `text`. A refused answer asks again with «⚠️ …».
"""

from __future__ import annotations

import html
from contextlib import suppress
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.duties import records, schedule
from bot.services.duties.errors import DutyError
from bot.services.errors import AccessDenied, DomainError
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import DutyNewCb
from handlers.replies import error_text, show_in_place
from storage.models import Branch

KEY = "duty"


class DutyCreate(StatesGroup):
    # Persisted as "DutyCreate:<name>" in the FSM table: rename only with a migration.
    role = State()
    scope = State()
    branch = State()  # the branch's number, typed
    kind = State()
    schedule = State()  # the day and time, typed
    text = State()
    confirm = State()


def may_manage(person: Person) -> bool:
    return person.is_admin and not person.admin_regions


def _choice(text: str, step: str, value: str = "") -> InlineKeyboardButton:
    data = DutyNewCb(step=step, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _cancel_row() -> list[InlineKeyboardButton]:
    return [_choice(t("duties.new.cancel"), "cancel")]


def _question(step: str, data: dict[str, Any]) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    if step == "role":
        rows = [
            [
                _choice(t("duties.new.to_secretaries"), "role", "secretary"),
                _choice(t("duties.new.to_curators"), "role", "curator"),
            ]
        ]
    elif step == "scope":
        rows = [
            [
                _choice(t("duties.new.everyone"), "scope", "all"),
                _choice(t("duties.new.one_branch"), "scope", "branch"),
            ]
        ]
    elif step == "kind":
        rows = [
            [_choice(t("duties.new.monthly"), "kind", "monthly")],
            [_choice(t("duties.new.weekly"), "kind", "weekly")],
            [_choice(t("duties.new.once"), "kind", "once")],
        ]
    elif step == "schedule":
        return t(f"duties.new.ask_{data['kind']}"), InlineKeyboardMarkup(
            inline_keyboard=[_cancel_row()]
        )
    elif step == "confirm":
        whom = t(f"duties.role.{data['role']}")
        if data["scope"] == "branch":
            whom += " " + t("duties.new.of_branch", number=html.escape(data["branch_number"]))
        text = t(
            "duties.new.summary",
            whom=whom,
            when=schedule.describe(data["rule"]),
            text=html.escape(data["text"]),
        )
        rows = [[_choice(t("duties.new.save"), "save"), _choice(t("duties.new.cancel"), "cancel")]]
        return text, InlineKeyboardMarkup(inline_keyboard=rows)
    return t(f"duties.new.ask_{step}"), InlineKeyboardMarkup(inline_keyboard=[*rows, _cancel_row()])


async def _ask(
    bot: Bot, chat_id: int, state: FSMContext, step: str, data: dict[str, Any], warning: str = ""
) -> None:
    """Show the question in its one message (edited; sent anew if it cannot be)."""
    text, markup = _question(step, data)
    if warning:
        text = f"⚠️ {warning}\n\n{text}"
    edited = False
    if data.get("msg"):
        with suppress(TelegramBadRequest):
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=data["msg"], reply_markup=markup
            )
            edited = True
    if not edited:
        data["msg"] = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
    await state.set_state(getattr(DutyCreate, step))
    await state.update_data({KEY: data})


async def _data(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def pressed(
    query: CallbackQuery,
    callback_data: DutyNewCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    if not may_manage(person):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    step, value = callback_data.step, callback_data.value
    current = await state.get_state()
    data = await _data(state)
    if step == "new":
        await query.answer()
        pressed_on = query.message.message_id if isinstance(query.message, Message) else None
        await _ask(bot, person.id, state, "role", {"msg": pressed_on})
        return
    if step == "cancel":
        await state.clear()
        await query.answer(t("duties.new.cancelled"))
        await show_in_place(bot, query, t("duties.new.cancelled"))
        return
    expected = {"role": "role", "scope": "scope", "kind": "kind", "save": "confirm"}[step]
    if current != f"DutyCreate:{expected}" or (step != "save" and not value):
        await query.answer(t("duties.new.stale"), show_alert=True)
        return
    if step == "save":
        target = records.Target(data["role"], data["scope"], data.get("target"))
        try:
            duty = await records.create_duty(
                session, clock.now(), person.id, target, data["rule"], data["text"]
            )
        except DomainError as error:
            await query.answer(error_text(error), show_alert=True)
            return
        await state.clear()
        await query.answer(t("duties.new.saved"))
        await show_in_place(
            bot, query, t("duties.new.done", id=duty.id, when=schedule.describe(duty.rule))
        )
        return
    await query.answer()
    data[step] = value
    following = {
        "role": "scope",
        "scope": "branch" if value == "branch" else "kind",
        "kind": "schedule",
    }
    if step == "scope" and value == "all":
        data["target"] = None
    await _ask(bot, person.id, state, following[step], data)


async def typed(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    current = (await state.get_state() or "").split(":", 1)[-1]
    data = await _data(state)
    answer = (message.text or "").strip()
    try:
        if current == "branch":
            branch_id = await session.scalar(select(Branch.id).where(Branch.number == answer))
            if branch_id is None:
                raise DutyError("bad_scope")
            data["target"], data["branch_number"] = branch_id, answer
            step = "kind"
        elif current == "schedule":
            kind = schedule.Kind(data["kind"])
            data["rule"] = schedule.parse(kind, answer, clock.now(), person.timezone)
            step = "text"
        else:
            data["text"] = records.clean_text(answer)
            step = "confirm"
    except DomainError as error:
        await _ask(bot, person.id, state, current, data, warning=error_text(error))
        return
    await _ask(bot, person.id, state, step, data)


async def not_text(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    current = (await state.get_state() or "").split(":", 1)[-1]
    await _ask(
        bot, person.id, state, current, await _data(state), warning=t("duties.new.text_please")
    )
