"""What the organiser sends to everyone holding a seat, from the masterclass's card:
«✉️ Написать записавшимся» (a text) and «📎 Материалы» (a link, a document or a video by
its file_id, with a caption). Each is shown back for a confirmation — it goes to many
people at once — and queued through the outbox by `events.message_registered` /
`feedback.send_materials`, which check access and the masterclass again.
"""

from __future__ import annotations

from typing import Any

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import DomainError
from bot.services.masterclasses import events, feedback
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.feedback import Material, MaterialKind
from bot.services.masterclasses.parsing import parse_link
from bot.services.masterclasses.queries import MasterclassCard
from bot.services.people import Person
from handlers.callbacks import OrganiserCb
from handlers.masterclasses.attend import refuse
from handlers.masterclasses.create import length
from handlers.masterclasses.manage_steps import (
    MasterclassManage,
    ask,
    ask_again,
    data_of,
    leave,
    managed,
    ours,
    show_card,
    stale,
)
from handlers.masterclasses.manage_view import people, say
from handlers.replies import error_text


async def _seated(
    query: CallbackQuery, person: Person, session: AsyncSession, masterclass_id: int, clock: Clock
) -> MasterclassCard | None:
    """The masterclass, if it is not cancelled and someone holds a seat; else None, after
    saying why not."""
    try:
        found = await managed(session, person, masterclass_id, clock.now())
        if found.masterclass.status == "cancelled":
            raise MasterclassError("masterclass_cancelled")
    except DomainError as error:
        await refuse(query, error)
        return None
    if not found.summary.seats_taken:
        await query.answer(say("message.nobody"), show_alert=True)
        return None
    return found


# --- a message -------------------------------------------------------------------------------


async def ask_text(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«✉️ Написать записавшимся» (and «Написать иначе» under its confirmation)."""
    found = await _seated(query, person, session, callback_data.id, clock)
    if found is None:
        return
    await query.answer()
    data = {"kind": "text", "id": found.masterclass.id, "title": found.masterclass.title}
    await ask(MasterclassManage.text, data, found, person, state, bot, query=query)


async def text_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    if not ours(data, "text"):
        await leave(state)
        raise SkipHandler()
    try:
        typed = length(message.text or "", events.MESSAGE, "message_length")
        found = await managed(session, person, data["id"], clock.now())
    except DomainError as error:
        await ask_again(error_text(error), person, session, state, bot, clock.now())
        return
    await ask(MasterclassManage.confirm_text, {**data, "text": typed}, found, person, state, bot)


async def text_confirmed(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    if not ours(data, "text", callback_data.id) or not data.get("text"):
        await stale(query)
        return
    try:
        sent = await events.message_registered(
            session, person, data["id"], data["text"], clock.now()
        )
    except DomainError as error:
        await refuse(query, error)
        return
    await leave(state)
    head = say("message.done", people=people(sent))
    await show_card(query, callback_data, person, session, clock, bot, head)


# --- materials -------------------------------------------------------------------------------


def _material_of(message: Message) -> dict[str, Any]:
    """A document or a video by its file_id, or a link with the words after it as the
    caption. Errors: `material_unknown`, `link_invalid`, `comment_too_long`."""
    if message.document is not None:
        kind, value, name = (
            MaterialKind.DOCUMENT,
            message.document.file_id,
            message.document.file_name,
        )
        caption = message.caption
    elif message.video is not None:
        kind, value, name, caption = (
            MaterialKind.VIDEO,
            message.video.file_id,
            None,
            message.caption,
        )
    elif message.text:
        link, _, rest = message.text.strip().partition(" ")
        kind, value, name, caption = MaterialKind.LINK, parse_link(link), None, rest.strip()
    else:
        raise MasterclassError("material_unknown")
    if len(caption or "") > feedback.CAPTION_MAX:
        raise MasterclassError("comment_too_long", max=feedback.CAPTION_MAX)
    return {"kind": kind.value, "value": value, "name": name, "caption": caption or None}


async def ask_material(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«📎 Материалы» (and «Прислать другое» under its confirmation)."""
    found = await _seated(query, person, session, callback_data.id, clock)
    if found is None:
        return
    await query.answer()
    data = {"kind": "material", "id": found.masterclass.id, "title": found.masterclass.title}
    await ask(MasterclassManage.material, data, found, person, state, bot, query=query)


async def material_sent(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    if not ours(data, "material"):
        await leave(state)
        raise SkipHandler()
    try:
        material = _material_of(message)
        found = await managed(session, person, data["id"], clock.now())
    except DomainError as error:
        unknown = isinstance(error, MasterclassError) and error.code == "material_unknown"
        complaint = say("materials.wrong") if unknown else error_text(error)
        await ask_again(complaint, person, session, state, bot, clock.now())
        return
    step = MasterclassManage.confirm_material
    await ask(step, {**data, "material": material}, found, person, state, bot)


async def material_confirmed(
    query: CallbackQuery,
    callback_data: OrganiserCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await data_of(state)
    kept = data.get("material")
    if not ours(data, "material", callback_data.id) or not kept:
        await stale(query)
        return
    material = Material(MaterialKind(kept["kind"]), kept["value"], kept.get("caption"))
    try:
        sent = await feedback.send_materials(session, person, data["id"], material, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    await leave(state)
    head = say("materials.done", people=people(sent))
    await show_card(query, callback_data, person, session, clock, bot, head)


def register(router: Router, answer: Any) -> None:
    """On `manage`'s router, whose filters and «К карточке» these questions share."""
    cb = OrganiserCb.filter
    router.callback_query.register(ask_text, cb(F.action == "write"))
    router.callback_query.register(text_confirmed, cb(F.action == "write.send"))
    router.message.register(text_typed, MasterclassManage.text, F.text, answer)
    router.callback_query.register(ask_material, cb(F.action == "files"))
    router.callback_query.register(material_confirmed, cb(F.action == "files.send"))
    router.message.register(material_sent, MasterclassManage.material, answer)
