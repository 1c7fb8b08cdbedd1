"""A new duty, and a change of one, one question per message, the one message edited as
the admin answers: whom (secretaries or curators), where (everyone, or a region, a local
branch or a primary branch picked with the shared picker, handlers/branch_picker.py), the
schedule's kind (buttons), its day and time (typed), the text, the summary to save.

A change of a duty (`start_edit`, from its card's «✏️ Изменить») asks the same questions
with the same readers, only those of the field changed — the text; the kind and the day
and time; or whom — and then saves it through `records.edit_duty` and shows the card.

FSM data `duty` holds only JSON: `msg` (the question's message), `all` (whether «Всем» is
offered: not to a region's admin), `role`, `scope`, `target` (the unit's id), `kind`,
`rule`, `text`; a change also `edit` (the duty) and `field`. A refused answer asks again
with «⚠️ …». What may be chosen is checked by the service (bot/services/duties/access.py),
whatever the buttons said.
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
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.duties import access, records, schedule
from bot.services.errors import AccessDenied, DomainError
from bot.services.people import Person
from bot.texts import t
from handlers import branch_picker
from handlers.callbacks import DutyNewCb, PickCb
from handlers.duties_screens import card_screen, whom
from handlers.replies import error_text, show_in_place
from storage.models import Duty

KEY = "duty"
PURPOSE = "dut"  # the picker's purpose (PickCb)
# The picker's level whose press is the choice, per scope; the levels before it navigate.
FINAL = {"region": "reg", "local_branch": "loc", "branch": "br"}
# The questions a change of each field asks, in order.
FIELD_STEPS = {
    "text": ("text",),
    "schedule": ("kind", "schedule"),
    "whom": ("role", "scope", "branch"),
}


class DutyCreate(StatesGroup):
    # Persisted as "DutyCreate:<name>" in the FSM table: rename only with a migration.
    role = State()
    scope = State()
    branch = State()  # the region, local branch or branch, picked
    kind = State()
    schedule = State()  # the day and time, typed
    text = State()
    confirm = State()


def _choice(text: str, step: str, value: str = "") -> InlineKeyboardButton:
    data = DutyNewCb(step=step, value=value)
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _cancel_row() -> list[InlineKeyboardButton]:
    return [_choice(t("duties.new.cancel"), "cancel")]


def _header(data: dict[str, Any]) -> str:
    if data.get("edit"):
        return t("duties.edit.title", id=data["edit"])
    return t("duties.new.title")


def _target(data: dict[str, Any]) -> records.Target:
    return records.Target(data["role"], data["scope"], data.get("target"))


async def _question(
    session: AsyncSession, person: Person, step: str, data: dict[str, Any]
) -> tuple[str, InlineKeyboardMarkup]:
    rows: list[list[InlineKeyboardButton]] = []
    if step == "role":
        rows = [
            [
                _choice(t("duties.new.to_secretaries"), "role", "secretary"),
                _choice(t("duties.new.to_curators"), "role", "curator"),
            ]
        ]
    elif step == "scope":
        everyone = [_choice(t("duties.new.everyone"), "scope", "all")] if data.get("all") else []
        rows = [
            [*everyone, _choice(t("duties.new.region"), "scope", "region")],
            [_choice(t("duties.new.local_branch"), "scope", "local_branch")],
            [_choice(t("duties.new.branch"), "scope", "branch")],
        ]
    elif step == "branch":
        only, last = person.admin_regions or None, FINAL[data["scope"]]
        text, markup = await branch_picker.regions(
            session, PURPOSE, _header(data), only=only, last=last
        )
        return text, InlineKeyboardMarkup(inline_keyboard=[*markup.inline_keyboard, _cancel_row()])
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
        text = t(
            "duties.new.summary",
            whom=await whom(session, _target(data)),
            when=schedule.describe(data["rule"]),
            text=html.escape(data["text"]),
        )
        rows = [[_choice(t("duties.new.save"), "save"), _choice(t("duties.new.cancel"), "cancel")]]
        return text, InlineKeyboardMarkup(inline_keyboard=rows)
    return t(f"duties.new.ask_{step}"), InlineKeyboardMarkup(inline_keyboard=[*rows, _cancel_row()])


async def _show(
    bot: Bot, chat_id: int, data: dict[str, Any], text: str, markup: InlineKeyboardMarkup | None
) -> None:
    """In the flow's one message (edited; sent anew if it cannot be)."""
    if data.get("msg"):
        with suppress(TelegramBadRequest):
            await bot.edit_message_text(
                text, chat_id=chat_id, message_id=data["msg"], reply_markup=markup
            )
            return
    data["msg"] = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id


async def _ask(
    bot: Bot,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    step: str,
    data: dict[str, Any],
    warning: str = "",
) -> None:
    """Show the question of `step` and wait for its answer."""
    text, markup = await _question(session, person, step, data)
    if step != "branch":  # the picker's screen carries the header as its title
        text = f"{_header(data)}\n\n{text}"
    if warning:
        text = f"⚠️ {warning}\n\n{text}"
    await _show(bot, person.id, data, text, markup)
    await state.set_state(getattr(DutyCreate, step))
    await state.update_data({KEY: data})


def _following(step: str, data: dict[str, Any]) -> str | None:
    """The step after `step`; None when a change has all it asked for."""
    after = {
        "role": "scope",
        "scope": "kind" if data.get("scope") == "all" else "branch",
        "branch": "kind",
        "kind": "schedule",
        "schedule": "text",
        "text": "confirm",
    }[step]
    field = data.get("field")
    if field and after not in FIELD_STEPS[field]:
        return None
    return after


async def _advance(
    bot: Bot,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    step: str,
    data: dict[str, Any],
) -> None:
    """`step` is answered: ask the next question, or save the change."""
    following = _following(step, data)
    if following is not None:
        await _ask(bot, person, session, state, following, data)
        return
    changed: dict[str, Any] = {
        "text": {"text": data.get("text")},
        "schedule": {"rule": data.get("rule")},
        "whom": {"target": _target(data) if data.get("role") else None},
    }[data["field"]]
    try:
        duty = await records.edit_duty(session, data["edit"], clock.now(), by=person, **changed)
    except DomainError as error:
        if isinstance(error, AccessDenied) or error.code == "not_found":
            await state.clear()
            await _show(bot, person.id, data, error_text(error), None)
            return
        await _ask(bot, person, session, state, step, data, warning=error_text(error))
        return
    await state.clear()
    text, markup = await card_screen(session, duty)
    await _show(bot, person.id, data, f"{t('duties.edit.saved')}\n\n{text}", markup)


async def _data(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def start_edit(
    bot: Bot,
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    duty: Duty,
    field: str,
) -> None:
    """Ask the first question of changing `field` of `duty` (which `person` may manage) on
    the card's message."""
    pressed_on = query.message.message_id if isinstance(query.message, Message) else None
    data = {
        "msg": pressed_on,
        "edit": duty.id,
        "field": field,
        "all": access.may_reach(person, "all", None),
    }
    await _ask(bot, person, session, state, FIELD_STEPS[field][0], data)


async def pressed(
    query: CallbackQuery,
    callback_data: DutyNewCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    if not access.may_manage_any(person):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    step, value = callback_data.step, callback_data.value
    current = await state.get_state()
    data = await _data(state)
    if step == "new":
        await query.answer()
        pressed_on = query.message.message_id if isinstance(query.message, Message) else None
        new = {"msg": pressed_on, "all": access.may_reach(person, "all", None)}
        await _ask(bot, person, session, state, "role", new)
        return
    if step == "cancel":
        await state.clear()
        await query.answer(t("duties.new.cancelled"))
        if data.get("edit"):  # a change given up: back to the duty's card as it is
            with suppress(DomainError):
                duty = await records.get_duty(session, data["edit"], person)
                await show_in_place(bot, query, *await card_screen(session, duty))
                return
        await show_in_place(bot, query, t("duties.new.cancelled"))
        return
    expected = {"role": "role", "scope": "scope", "kind": "kind", "save": "confirm"}[step]
    if current != f"DutyCreate:{expected}" or (step != "save" and not value):
        await query.answer(t("duties.new.stale"), show_alert=True)
        return
    if step == "save":
        try:
            duty = await records.create_duty(
                session, clock.now(), person, _target(data), data["rule"], data["text"]
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
    if step == "scope" and value == "all" and not access.may_reach(person, "all", None):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    await query.answer()
    data[step] = value
    if step == "scope":
        data["target"] = None
    await _advance(bot, person, session, state, clock, step, data)


async def picked(
    query: CallbackQuery,
    callback_data: PickCb,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    """A press in the picker: the scope's own level is the choice; the levels before it
    open the next list. Each id is checked by the service: a region's admin cannot open,
    nor pick, another region's units."""
    if not access.may_manage_any(person):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    data = await _data(state)
    scope, level, unit = data.get("scope", ""), callback_data.level, callback_data.id
    opens = {"reg": "region", "locp": "region", "loc": "local_branch", "brp": "local_branch"}
    try:
        if scope in FINAL and level == FINAL[scope]:
            await records.require_reach(session, person, scope, unit)
            await query.answer()
            data["target"] = unit
            await _advance(bot, person, session, state, clock, "branch", data)
            return
        if level in opens:
            await records.require_reach(session, person, opens[level], unit)
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    only = person.admin_regions or None
    screen = await branch_picker.render(
        session, callback_data, _header(data), only=only, last=FINAL.get(scope, "br")
    )
    if screen is None:
        await query.answer(t("duties.new.stale"), show_alert=True)
        return
    await query.answer()
    text, markup = screen
    markup = InlineKeyboardMarkup(inline_keyboard=[*markup.inline_keyboard, _cancel_row()])
    await show_in_place(bot, query, text, markup)


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
    if current == "branch":
        await _ask(bot, person, session, state, current, data, warning=t("picker.use_buttons"))
        return
    try:
        if current == "schedule":
            kind = schedule.Kind(data["kind"])
            data["rule"] = schedule.parse(kind, answer, clock.now(), person.timezone)
        else:
            data["text"] = records.clean_text(answer)
    except DomainError as error:
        await _ask(bot, person, session, state, current, data, warning=error_text(error))
        return
    await _advance(bot, person, session, state, clock, current, data)


async def not_text(
    message: Message, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
) -> None:
    current = (await state.get_state() or "").split(":", 1)[-1]
    warning = t("picker.use_buttons" if current == "branch" else "duties.new.text_please")
    await _ask(bot, person, session, state, current, await _data(state), warning=warning)
