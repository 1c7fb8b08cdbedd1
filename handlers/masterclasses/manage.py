"""The organiser's masterclasses: `/my_organised` (and «📋 Мои мастер-классы» in the
organiser's menu) lists them with registered / capacity / waiting, upcoming or past, paged
in place; a card per masterclass with its deep link and what can be done with it now:
«✏️ Изменить» a field (with the readers of `/new_masterclass`; everyone registered or
waiting is then told what changed, with the new `.ics`) and «❌ Отменить» with a reason
and a confirmation are here; the message to all and the materials are `manage_send`'s,
the people, the code and the feedback `attend`'s.

Thin handlers over `bot.services.masterclasses`: the services check access and the rules
whatever a button's data says; a masterclass the person may not manage gets «Нет доступа»,
whether it exists or not. The questions are `manage_steps`'s.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import DomainError
from bot.services.masterclasses import events, queries, records
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.events import KEEP, MasterclassEdit
from bot.services.masterclasses.queries import MasterclassCard
from bot.services.people import Person
from handlers.callbacks import MasterclassListCb, OrganiserCb
from handlers.filters import Onboarded, reads_only
from handlers.masterclasses import create, manage_send
from handlers.masterclasses.attend import refuse
from handlers.masterclasses.create_form import moment
from handlers.masterclasses.manage_steps import (
    MasterclassManage,
    ask,
    ask_again,
    card_below,
    data_of,
    finish,
    leave,
    managed,
    ours,
    retry,
    show_card,
    stale,
)
from handlers.masterclasses.manage_view import (
    FIELDS,
    fields_keyboard,
    list_screen,
    people,
    say,
)
from handlers.replies import error_text, free_input, show_in_place

PER_PAGE = 5

# The readers of `/new_masterclass`, by field: the same words are understood in both.
READERS = {
    "title": create.read_title,
    "description": create.read_description,
    "host": create.read_host,
    "starts": create.read_starts,
    "duration": create.read_duration,
    "place": create.read_place,
    "capacity": create.read_capacity,
    "deadline": create.read_deadline,
}


# --- the list --------------------------------------------------------------------------------


async def _list(
    session: AsyncSession, person: Person, now: datetime, past: bool, page: int
) -> tuple[str, InlineKeyboardMarkup]:
    found = await queries.organised_by(session, person, now, page, PER_PAGE, past=past)
    return list_screen(found, past, person.timezone)


async def my_organised(
    message: Message, person: Person, session: AsyncSession, clock: Clock
) -> None:
    text, markup = await _list(session, person, clock.now(), False, 1)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: MasterclassListCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A page of the list, or the switch between upcoming and past (clamped: a forged page
    number shows a real page)."""
    past = callback_data.view == "past"
    text, markup = await _list(session, person, clock.now(), past, callback_data.page)
    await query.answer()
    await show_in_place(bot, query, text, markup)


# --- the card --------------------------------------------------------------------------------


async def back_from_question(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«⬅️ К карточке» under a question: the question is given up."""
    await leave(state)
    await show_card(query, callback_data, person, session, clock, bot)


# --- changing a field ------------------------------------------------------------------------


async def _upcoming(
    query: CallbackQuery, person: Person, session: AsyncSession, masterclass_id: int, clock: Clock
) -> MasterclassCard | None:
    """The masterclass, if it may still be changed or cancelled; else None, after saying
    why not."""
    try:
        found = await managed(session, person, masterclass_id, clock.now())
        records.require_upcoming(found.masterclass, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return None
    return found


async def pick_field(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«✏️ Изменить»: which field (a question begun before is given up)."""
    found = await _upcoming(query, person, session, callback_data.id, clock)
    if found is None:
        return
    if await state.get_state() in MasterclassManage.__all_states_names__:
        await leave(state)
    await query.answer()
    text = say("edit.pick", title=html.escape(found.masterclass.title))
    await show_in_place(bot, query, text, fields_keyboard(found.masterclass.id))


async def ask_field(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A field chosen: its question, with the value it has now."""
    field = callback_data.action.removeprefix("edit.")
    if field not in FIELDS:
        await stale(query)
        return
    found = await _upcoming(query, person, session, callback_data.id, clock)
    if found is None:
        return
    await query.answer()
    masterclass = found.masterclass
    data = {"kind": "edit", "id": masterclass.id, "title": masterclass.title, "field": field}
    await ask(MasterclassManage.value, data, found, person, state, bot, query=query)


def _edit_of(field: str, changes: dict[str, Any]) -> MasterclassEdit:
    """The service's edit from what a reader of `/new_masterclass` kept."""
    if field == "starts":
        return MasterclassEdit(starts_at=moment(changes["starts_at"]) or KEEP)
    if field == "duration":
        return MasterclassEdit(duration_minutes=int(changes["duration"]))
    if field == "deadline":
        return MasterclassEdit(registration_deadline=moment(changes["deadline"]) or KEEP)
    if field == "place" and changes.get("online_url"):
        return MasterclassEdit(online_url=changes["online_url"])
    return MasterclassEdit(**{field: changes[field]})


async def _apply(
    edit: MasterclassEdit,
    data: dict[str, Any],
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> str | None:
    """Change the field; returns what to say above the card, or None when the question was
    asked again (the value is refused: a start in the past, fewer seats than taken). One
    field per edit, so a refusal leaves nothing half-changed in the session."""
    now = clock.now()
    try:
        changes = await events.edit_masterclass(session, person, data["id"], edit, now)
    except DomainError as error:
        if retry(error):
            await ask_again(error_text(error), person, session, state, bot, now)
            return None
        await finish(state, bot, person.id, data)
        return error_text(error)
    await finish(state, bot, person.id, data)
    if not changes:
        return say("edit.unchanged")
    summary = (await queries.card(session, person, data["id"], now)).summary
    told = summary.seats_taken + summary.waiting
    fields = ", ".join(dict.fromkeys(say(f"edit.field.{change.field}") for change in changes))
    if not told:
        return say("edit.saved_nobody", fields=fields)
    return say("edit.saved", fields=fields, people=people(told))


async def value_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    if not ours(data, "edit") or data.get("field") not in READERS:
        await leave(state)
        raise SkipHandler()
    try:
        found = await managed(session, person, data["id"], clock.now())
        starts_at = found.masterclass.starts_at
        draft = {"starts_at": starts_at.isoformat(), "deadline": None}
        changes, _ = READERS[data["field"]](message.text or "", person, clock.now(), draft)
    except MasterclassError as error:
        await ask_again(error_text(error), person, session, state, bot, clock.now())
        return
    except DomainError as error:
        await finish(state, bot, person.id, data)
        await message.answer(error_text(error))
        return
    head = await _apply(_edit_of(data["field"], changes), data, person, session, state, clock, bot)
    if head is not None:
        await card_below(message, person, session, bot, data["id"], clock.now(), head)


async def value_by_button(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«♾ Без ограничений» under the capacity question, «⏰ Как начало» under the deadline's."""
    data = await data_of(state)
    wanted = "capacity" if callback_data.action == "edit.nocap" else "deadline"
    if not ours(data, "edit", callback_data.id) or data.get("field") != wanted:
        await stale(query)
        return
    try:
        found = await managed(session, person, callback_data.id, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    if wanted == "capacity":
        edit = MasterclassEdit(capacity=None)
    else:
        edit = MasterclassEdit(registration_deadline=found.masterclass.starts_at)
    head = await _apply(edit, {**data, "msg": None}, person, session, state, clock, bot)
    if head is None:
        await query.answer()
        return
    await show_card(query, callback_data, person, session, clock, bot, head)


# --- cancelling ------------------------------------------------------------------------------


async def ask_reason(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«❌ Отменить»: why (everyone registered and waiting will read it)."""
    found = await _upcoming(query, person, session, callback_data.id, clock)
    if found is None:
        return
    await query.answer()
    data = {"kind": "cancel", "id": found.masterclass.id, "title": found.masterclass.title}
    await ask(MasterclassManage.reason, data, found, person, state, bot, query=query)


async def reason_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    if not ours(data, "cancel"):
        await leave(state)
        raise SkipHandler()
    try:
        reason = create.length(message.text or "", events.REASON, "reason_length")
        found = await managed(session, person, data["id"], clock.now())
        records.require_upcoming(found.masterclass, clock.now())
    except DomainError as error:
        if retry(error):
            await ask_again(error_text(error), person, session, state, bot, clock.now())
            return
        await finish(state, bot, person.id, data)
        await message.answer(error_text(error))
        return
    step = MasterclassManage.confirm_cancel
    await ask(step, {**data, "reason": reason}, found, person, state, bot)


async def cancel_confirmed(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    if not ours(data, "cancel", callback_data.id) or not data.get("reason"):
        await stale(query)
        return
    try:
        told = await events.cancel_masterclass(
            session, person, data["id"], data["reason"], clock.now()
        )
    except DomainError as error:
        await refuse(query, error)
        return
    await leave(state)
    head = say("cancel.done", title=html.escape(data.get("title") or ""), people=people(told))
    await show_card(query, callback_data, person, session, clock, bot, head)


# --- wrong input -----------------------------------------------------------------------------


async def not_text(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    """A sticker, photo or voice where a typed answer is asked: the question again."""
    await ask_again(say("not_text"), person, session, state, bot, clock.now())


async def buttons_only(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
) -> None:
    """Text where a confirmation's button is awaited: the confirmation again."""
    await ask_again(say("buttons"), person, session, state, bot, clock.now())


def create_router() -> Router:
    router = Router(name="masterclasses_manage")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    cb = OrganiserCb.filter
    steps = MasterclassManage

    router.message.register(my_organised, Command("my_organised"), flags=reads_only())
    router.callback_query.register(
        turn_page, MasterclassListCb.filter(F.view.in_({"org", "past"})), flags=reads_only()
    )
    # «К карточке» under a question gives the question up; anywhere else it only reads.
    router.callback_query.register(
        back_from_question, cb(F.action == "card"), StateFilter(*steps.__all_states__)
    )
    router.callback_query.register(show_card, cb(F.action == "card"), flags=reads_only())

    router.callback_query.register(pick_field, cb(F.action == "edit"))
    router.callback_query.register(
        value_by_button, cb(F.action.in_({"edit.nocap", "edit.asstart"}))
    )
    router.callback_query.register(ask_field, cb(F.action.startswith("edit.")))
    router.message.register(value_typed, steps.value, F.text, answer)

    router.callback_query.register(ask_reason, cb(F.action == "drop"))
    router.callback_query.register(cancel_confirmed, cb(F.action == "drop.yes"))
    router.message.register(reason_typed, steps.reason, F.text, answer)

    manage_send.register(router, answer)

    router.message.register(not_text, StateFilter(steps.value, steps.reason, steps.text), answer)
    confirmations = StateFilter(steps.confirm_cancel, steps.confirm_text, steps.confirm_material)
    router.message.register(buttons_only, confirmations, answer)
    return router
