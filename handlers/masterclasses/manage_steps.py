"""The questions of `manage` and `manage_send`: their FSM states, the JSON kept between
them, each question's screen drawn from that JSON and the masterclass as it is now, and the
one message a question lives in.

FSM data `manage` holds only JSON, so a restart in the middle loses nothing: `kind` (edit,
cancel, text, material), the masterclass's `id` and `title`, the `field` being changed,
the `reason`, `text` or `material` typed so far, and `msg`, the id of the question's one
message. A screen is drawn again from it whenever the question is asked again.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError
from bot.services.masterclasses import queries
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.notices import duration_text, when
from bot.services.masterclasses.queries import MasterclassCard
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import OrganiserCb
from handlers.masterclasses.attend import refuse
from handlers.masterclasses.create import deep_link
from handlers.masterclasses.manage_view import (
    back_to_card,
    button,
    card_keyboard,
    card_text,
    confirm_keyboard,
    people,
    say,
    with_back,
)
from handlers.replies import remove_message, show_in_place
from storage.models import Masterclass

MANAGE = "manage"  # the FSM data key
DESCRIPTION_SHOWN = 300  # of the current description, in its question


class MasterclassManage(StatesGroup):
    # Persisted as "MasterclassManage:<name>" in the FSM table: rename only with a migration.
    value = State()  # the new value of `field`
    reason = State()  # why it is cancelled
    confirm_cancel = State()
    text = State()  # the message to everyone holding a seat
    confirm_text = State()
    material = State()  # a link, a document or a video for them
    confirm_material = State()


STEPS = {step.state: step for step in MasterclassManage.__all_states__}
# Refusals after which the question is asked again (the person typed something wrong);
# any other (cancelled, started, no access) ends it with the reason.
FINAL = frozenset({"masterclass_cancelled", "masterclass_started", "masterclass_over"})


def retry(error: DomainError) -> bool:
    return isinstance(error, MasterclassError) and error.code not in FINAL


async def managed(
    session: AsyncSession, person: Person, masterclass_id: int, now: datetime
) -> MasterclassCard:
    """The masterclass with its counts, for a person who may manage it.
    Errors: NotFound, AccessDenied."""
    found = await queries.card(session, person, masterclass_id, now)
    if not found.can_manage:
        raise AccessDenied()
    return found


async def data_of(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(MANAGE) or {})


async def leave(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({MANAGE: None})


def ours(data: dict[str, Any], kind: str, masterclass_id: int | None = None) -> bool:
    """Whether the kept JSON is this question's (and this masterclass's): a button of an
    older question, or forged data, does nothing."""
    if data.get("kind") != kind:
        return False
    return masterclass_id is None or data.get("id") == masterclass_id


# --- the screens ---------------------------------------------------------------------------


def _current(field: str, masterclass: Masterclass, zone: str) -> str:
    if field == "starts":
        return when(masterclass.starts_at, zone)
    if field == "duration":
        return duration_text(masterclass.duration_minutes)
    if field == "deadline":
        return when(masterclass.registration_deadline, zone)
    if field == "capacity":
        return str(masterclass.capacity or t("masterclasses.unlimited"))
    if field == "place":
        return html.escape(masterclass.place or masterclass.online_url or "")
    value: str = getattr(masterclass, field)
    if len(value) > DESCRIPTION_SHOWN:
        value = value[: DESCRIPTION_SHOWN - 1] + "…"
    return html.escape(value)


def _field_question(field: str, masterclass: Masterclass, zone: str) -> tuple[str, Any]:
    text = say(
        f"edit.{field}",
        current=_current(field, masterclass, zone),
        zone=zone,
        start=when(masterclass.starts_at, zone),
        taken=masterclass.seats_taken,
    )
    extra = []
    if field == "capacity":
        extra.append(button(say("edit.unlimited"), "edit.nocap", masterclass.id))
    if field == "deadline":
        extra.append(button(say("edit.as_start"), "edit.asstart", masterclass.id))
    return text, with_back(masterclass.id, *extra)


def material_line(material: dict[str, Any]) -> str:
    kind = material["kind"]
    if kind == "link":
        line = say("materials.what_link", link=html.escape(material["value"]))
    elif kind == "document":
        line = say("materials.what_document", name=html.escape(material.get("name") or ""))
    else:
        line = say("materials.what_video")
    if material.get("caption"):
        line += "\n" + say("materials.caption", caption=html.escape(material["caption"]))
    return line


def screen(
    step: State, data: dict[str, Any], found: MasterclassCard, zone: str
) -> tuple[str, InlineKeyboardMarkup]:
    """The question of `step`, drawn from the kept JSON and the masterclass now."""
    masterclass, summary = found.masterclass, found.summary
    mid, title = masterclass.id, html.escape(masterclass.title)
    seated = people(summary.seats_taken)
    told = people(summary.seats_taken + summary.waiting)
    if step == MasterclassManage.value:
        return _field_question(data["field"], masterclass, zone)
    if step == MasterclassManage.reason:
        return say("cancel.ask", title=title, people=told), back_to_card(mid)
    if step == MasterclassManage.confirm_cancel:
        reason = html.escape(data["reason"])
        text = say("cancel.confirm", title=title, reason=reason, people=told)
        return text, confirm_keyboard(mid, (say("cancel.yes"), "drop.yes"))
    if step == MasterclassManage.text:
        return say("message.ask", title=title, people=seated), back_to_card(mid)
    if step == MasterclassManage.confirm_text:
        text = say("message.confirm", title=title, people=seated, text=html.escape(data["text"]))
        change = (say("message.change"), "write")
        return text, confirm_keyboard(mid, (say("message.send"), "write.send"), change)
    if step == MasterclassManage.material:
        return say("materials.ask", title=title, people=seated), back_to_card(mid)
    if step == MasterclassManage.confirm_material:
        what = material_line(data["material"])
        text = say("materials.confirm", title=title, people=seated, what=what)
        change = (say("materials.change"), "files")
        return text, confirm_keyboard(mid, (say("materials.send"), "files.send"), change)
    raise ValueError(step)


# --- the card, after a step -----------------------------------------------------------------


async def render_card(
    session: AsyncSession, person: Person, bot: Bot, masterclass_id: int, now: datetime
) -> tuple[str, InlineKeyboardMarkup]:
    """Errors: NotFound, AccessDenied."""
    found = await managed(session, person, masterclass_id, now)
    link = await deep_link(bot, masterclass_id)
    return card_text(found, link, now, person.timezone), card_keyboard(found.masterclass, now)


async def show_card(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    head: str | None = None,
) -> None:
    """The card in place of the pressed message; `head` says what was just done."""
    try:
        text, markup = await render_card(session, person, bot, callback_data.id, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer()
    await show_in_place(bot, query, f"{head}\n\n{text}" if head else text, markup)


async def card_below(
    message: Message,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    masterclass_id: int,
    now: datetime,
    head: str,
) -> None:
    """A typed step is done: what happened, and the card again, under the person's answer."""
    text, markup = await render_card(session, person, bot, masterclass_id, now)
    await message.answer(f"{head}\n\n{text}", reply_markup=markup)


async def stale(query: CallbackQuery) -> None:
    await query.answer(say("stale"), show_alert=True)


# --- one message per question ---------------------------------------------------------------


async def ask(
    step: State,
    data: dict[str, Any],
    found: MasterclassCard,
    person: Person,
    state: FSMContext,
    bot: Bot,
    *,
    query: CallbackQuery | None = None,
    complaint: str | None = None,
) -> None:
    """Ask in place of the pressed message (a button), or under the person's typed answer
    with the question's old copy removed, so the chat holds one."""
    text, markup = screen(step, data, found, person.timezone)
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    if query is not None:
        shown = await show_in_place(bot, query, text, markup)
    else:
        shown = (await bot.send_message(person.id, text, reply_markup=markup)).message_id
    old = data.get("msg")
    await state.set_state(step)
    await state.update_data({MANAGE: {**data, "msg": shown}})
    if query is None and old and old != shown:
        await remove_message(bot, person.id, old)


async def ask_again(
    complaint: str,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    now: datetime,
) -> None:
    """The current question again under a refused answer, saying why; a question whose
    masterclass can no longer be managed ends instead, with the reason."""
    step = STEPS.get(await state.get_state())
    data = await data_of(state)
    if step is None or not data.get("id"):
        await leave(state)
        return
    try:
        found = await managed(session, person, data["id"], now)
    except DomainError as error:
        await finish(state, bot, person.id, data)
        await bot.send_message(person.id, t(error.text_key, **error.params))
        return
    await ask(step, data, found, person, state, bot, complaint=complaint)


async def finish(state: FSMContext, bot: Bot, chat_id: int, data: dict[str, Any]) -> None:
    """The question is over: its state goes, and its last copy with it."""
    await leave(state)
    if data.get("msg"):
        await remove_message(bot, chat_id, data["msg"])
