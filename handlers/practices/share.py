"""Sharing a practice: `/share_practice` (and «➕ Поделиться практикой» in the catalogue)
asks one question at a time (`share_form`), shows a summary to send, change a field or
cancel, and sends it to moderation (`sharing.submit_practice`: the curators of the
author's branch and the admins get it through the outbox, the author a confirmation).
A practice returned for rework comes back here from its notice («✏️ Исправить и отправить
снова»): its summary with the moderator's comment, then `sharing.resubmit_practice`.

Who may share, and every answer, is checked again by the services when it is sent.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config import Settings
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.people import Person
from bot.services.practices import draft as drafts
from bot.services.practices import queries, sharing
from bot.services.practices.access import RETURNED, home_branch
from bot.services.practices.draft import PracticeDraft
from bot.services.practices.errors import PracticeError
from bot.services.practices.rules import category_name
from bot.texts import t
from handlers.callbacks import PracticeCb, ShareCb
from handlers.common import show_menu
from handlers.filters import Onboarded
from handlers.practices.share_form import (
    FIELDS,
    STEPS,
    PracticeForm,
    ask,
    data_of,
    draft_of,
    fields_keyboard,
    following,
    keep,
    leave,
    say,
    summary_text,
)
from handlers.replies import (
    drop_buttons,
    error_text,
    free_input,
    remove_message,
    resume_interrupted,
    show_in_place,
    unfinished_work,
)

# --- starting ------------------------------------------------------------------------------


def _title(state_name: str | None, data: dict[str, Any]) -> str | None:
    """The title of a draft being written, or None (nothing worth keeping)."""
    if state_name not in STEPS:
        return None
    return (data.get("draft") or {}).get("title") or None


def _unfinished_line(state_name: str, data: dict[str, Any]) -> str | None:
    title = _title(state_name, data.get("practice") or {})
    return say("unfinished.draft", title=html.escape(title)) if title else None


unfinished_work("PracticeForm", _unfinished_line)


async def _start(state: FSMContext, bot: Bot, chat_id: int, settings: Settings) -> None:
    old = (await data_of(state)).get("msg")
    await state.set_state(PracticeForm.title)
    await state.update_data({"practice": {"draft": PracticeDraft().to_dict()}})
    await ask(PracticeForm.title, {}, state, bot, chat_id, settings.practice_rules())
    if old:
        await drop_buttons(bot, chat_id, old)


async def _begin(
    person: Person, state: FSMContext, bot: Bot, settings: Settings, chat_id: int
) -> None:
    if home_branch(person) is None:
        await bot.send_message(chat_id, error_text(PracticeError("practice_no_branch")))
        return
    await resume_interrupted(state)
    title = _title(await state.get_state(), await data_of(state))
    if title is None:
        await _start(state, bot, chat_id, settings)
        return
    rows = [
        [
            InlineKeyboardButton(
                text=say(f"unfinished.{value}"),
                callback_data=ShareCb(action="new", value=value).pack(),
            )
        ]
        for value in ("resume", "fresh")
    ]
    await bot.send_message(
        chat_id,
        say("unfinished.ask", title=html.escape(title)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


async def begin(
    message: Message, person: Person, state: FSMContext, bot: Bot, settings: Settings
) -> None:
    await _begin(person, state, bot, settings, message.chat.id)


async def begin_from_button(
    query: CallbackQuery,
    message: Message,
    callback_data: ShareCb,
    person: Person,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    """«➕ Поделиться практикой» (value ""), or the answer to «continue or start anew?»."""
    value = callback_data.value
    if value in ("resume", "fresh"):
        step = STEPS.get(await state.get_state())
        if step is None or _title(await state.get_state(), await data_of(state)) is None:
            await query.answer(say("stale"), show_alert=True)
            return
        await query.answer()
        await remove_message(bot, message.chat.id, message.message_id)
        if value == "fresh":
            await _start(state, bot, message.chat.id, settings)
            return
        data = await data_of(state)
        rules = settings.practice_rules()
        await ask(step, data, state, bot, message.chat.id, rules, ack=say("unfinished.resumed"))
        return
    await query.answer()
    await _begin(person, state, bot, settings, message.chat.id)


# --- typed answers -------------------------------------------------------------------------

TEXT_READERS: dict[str, tuple[Callable[[str], str], str]] = {
    "title": (drafts.validate_title, "ack.title"),
    "what_done": (drafts.validate_what_done, "ack.what_done"),
    "result": (drafts.validate_result, "ack.result"),
}


async def _next(
    step: State,
    data: dict[str, Any],
    draft: PracticeDraft,
    ack: str,
    state: FSMContext,
    bot: Bot,
    chat_id: int,
    settings: Settings,
    query: CallbackQuery | None = None,
) -> None:
    """The answer to `step` kept: the next question (or the summary), with `ack` above."""
    data = {**data, "draft": draft.to_dict(), "album": None}
    after = following(step, data)
    if after == PracticeForm.summary:
        data["editing"] = None
    rules = settings.practice_rules()
    await ask(after, data, state, bot, chat_id, rules, query=query, ack=ack)


async def text_typed(message: Message, state: FSMContext, bot: Bot, settings: Settings) -> None:
    step = STEPS[await state.get_state()]
    name = (step.state or "").split(":", 1)[1]
    data = await data_of(state)
    read, ack = TEXT_READERS[name]
    try:
        value = read(message.text or "")
    except DomainError as error:
        rules = settings.practice_rules()
        await ask(step, data, state, bot, message.chat.id, rules, complaint=error_text(error))
        return
    draft = draft_of(data)
    setattr(draft, name, value)
    await _next(step, data, draft, say(ack), state, bot, message.chat.id, settings)


async def attachment_sent(
    message: Message, state: FSMContext, bot: Bot, settings: Settings
) -> None:
    """A photo (an album's photos arrive one by one into the same question message) or a
    document; anything else is asked again."""
    data = await data_of(state)
    draft, rules = draft_of(data), settings.practice_rules()
    album = message.media_group_id
    in_place = album is not None and album == data.get("album")
    try:
        if message.photo:
            draft = drafts.add_photos(draft, [message.photo[-1].file_id], rules)
        elif message.document:
            draft = drafts.set_document(draft, message.document.file_id, message.document.file_name)
        else:
            raise PracticeError("attachment_wrong")
    except PracticeError as error:
        complaint = (
            say("attachments_wrong") if error.code == "attachment_wrong" else error_text(error)
        )
        await ask(
            PracticeForm.attachments, data, state, bot, message.chat.id, rules, complaint=complaint
        )
        return
    data = await keep(state, data, draft=draft.to_dict(), album=album)
    await ask(PracticeForm.attachments, data, state, bot, message.chat.id, rules, in_place=in_place)


def _wrong(key: str) -> Callable[..., Any]:
    async def handler(message: Message, state: FSMContext, bot: Bot, settings: Settings) -> None:
        step = STEPS.get(await state.get_state())
        if step is None:
            return
        data = await data_of(state)
        rules = settings.practice_rules()
        await ask(step, data, state, bot, message.chat.id, rules, complaint=say(key))

    handler.__name__ = f"wrong_{key}"
    return handler


# --- buttons of the questions --------------------------------------------------------------


async def category_chosen(
    query: CallbackQuery,
    message: Message,
    callback_data: ShareCb,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    data = await data_of(state)
    try:
        code = drafts.validate_category(callback_data.value, settings.practice_rules())
    except PracticeError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer()
    draft = draft_of(data)
    draft.category = code
    ack = say("ack.category", category=html.escape(category_name(code)))
    await _next(
        PracticeForm.category, data, draft, ack, state, bot, message.chat.id, settings, query
    )


async def attachments_button(
    query: CallbackQuery,
    message: Message,
    callback_data: ShareCb,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    """«Без вложений», «✅ Готово», «🗑 Убрать вложения»."""
    data = await data_of(state)
    draft = draft_of(data)
    action = callback_data.action
    if action == "drop":
        draft = drafts.without_attachments(draft)
        data = await keep(state, data, draft=draft.to_dict(), album=None)
        await query.answer()
        rules = settings.practice_rules()
        await ask(
            PracticeForm.attachments,
            data,
            state,
            bot,
            message.chat.id,
            rules,
            query=query,
            ack=say("ack.dropped"),
        )
        return
    if action == "done" and not (draft.photos or draft.document_file_id):
        action = "skip"
    if action == "skip":
        draft = drafts.without_attachments(draft)
        ack = say("ack.none")
    elif draft.document_file_id:
        ack = say("ack.document", name=html.escape(draft.document_name or ""))
    else:
        ack = say("ack.photos", count=len(draft.photos))
    await query.answer()
    await _next(
        PracticeForm.attachments, data, draft, ack, state, bot, message.chat.id, settings, query
    )


async def contact_chosen(
    query: CallbackQuery,
    message: Message,
    callback_data: ShareCb,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    data = await data_of(state)
    draft = draft_of(data)
    draft.contact_offer = callback_data.value == "yes"
    ack = say("ack.contact_yes" if draft.contact_offer else "ack.contact_no")
    await query.answer()
    await _next(
        PracticeForm.contact, data, draft, ack, state, bot, message.chat.id, settings, query
    )


# --- the summary ---------------------------------------------------------------------------


async def edit_field(
    query: CallbackQuery,
    message: Message,
    callback_data: ShareCb,
    state: FSMContext,
    bot: Bot,
    settings: Settings,
) -> None:
    """«✏️ Изменить …»: which field (value ""), its question again (its answer leads back to
    the summary), or back to the summary ("back")."""
    data = await data_of(state)
    field = callback_data.value
    rules = settings.practice_rules()
    await query.answer()
    if field == "back" or (field and field not in FIELDS):
        data = await keep(state, data, editing=None)
        await ask(PracticeForm.summary, data, state, bot, message.chat.id, rules, query=query)
        return
    if not field:
        await state.set_state(PracticeForm.summary)
        text = f"{summary_text(data)}\n\n{say('summary.edit_ask')}"
        await show_in_place(bot, query, text, fields_keyboard())
        return
    data = await keep(state, data, editing=field)
    ack = say("editing", field=say(f"field.{field}"))
    await ask(FIELDS[field], data, state, bot, message.chat.id, rules, query=query, ack=ack)


async def cancel_draft(
    query: CallbackQuery, message: Message, state: FSMContext, person: Person, bot: Bot
) -> None:
    await leave(state)
    await query.answer()
    await show_in_place(bot, query, say("cancelled"))
    await show_menu(message, person, bot)


async def send(
    query: CallbackQuery,
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    settings: Settings,
) -> None:
    """«📤 Отправить на модерацию» (or again, for a returned one): the service checks the
    whole draft once more; a refusal names the field to change."""
    data = await data_of(state)
    draft, rules = draft_of(data), settings.practice_rules()
    try:
        if data.get("resubmit"):
            await sharing.resubmit_practice(
                session,
                person,
                data["resubmit"],
                draft,
                clock.now(),
                rules,
                admin_ids=settings.admin_ids,
            )
        else:
            await sharing.submit_practice(
                session, person, draft, clock.now(), rules, admin_ids=settings.admin_ids
            )
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await leave(state)
    await query.answer()
    await show_in_place(bot, query, say("summary.sent", title=html.escape(draft.title or "")))
    await show_menu(message, person, bot)


# --- a returned practice -------------------------------------------------------------------


async def correct_returned(
    query: CallbackQuery,
    message: Message,
    callback_data: PracticeCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Settings,
) -> None:
    """«✏️ Исправить и отправить снова» on the notice of a return: the practice as it was
    sent, with the moderator's comment, as a summary to change and send again."""
    try:
        card = await queries.practice_card(session, person, callback_data.id)
        if not card.is_author:
            raise AccessDenied()
        if card.status != RETURNED:
            status = t(f"practices.status.{card.status}")
            raise PracticeError("not_returned", status=status)
    except (AccessDenied, NotFound):
        await query.answer(error_text(AccessDenied()), show_alert=True)
        return
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    draft = PracticeDraft(
        title=card.title,
        category=card.category,
        what_done=card.what_done,
        result=card.result,
        photos=list(card.photos),
        document_file_id=card.document_file_id,
        document_name=card.document_name,
        contact_offer=card.contact_offer,
    )
    data = {"draft": draft.to_dict(), "resubmit": card.id, "comment": card.return_comment}
    await query.answer()
    rules = settings.practice_rules()
    await ask(PracticeForm.summary, data, state, bot, message.chat.id, rules)


async def stale_button(query: CallbackQuery) -> None:
    await query.answer(say("stale"), show_alert=True)


def create_router() -> Router:
    router = Router(name="practices_share")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    cb = ShareCb.filter
    form = PracticeForm

    router.message.register(begin, Command("share_practice"))
    router.callback_query.register(begin_from_button, cb(F.action == "new"))
    router.callback_query.register(correct_returned, PracticeCb.filter(F.action == "edit"))

    typed = StateFilter(form.title, form.what_done, form.result)
    router.message.register(text_typed, typed, F.text, answer)
    router.message.register(_wrong("not_text"), typed, answer)
    router.message.register(attachment_sent, form.attachments, answer)
    buttons_only = StateFilter(form.category, form.contact, form.summary)
    router.message.register(_wrong("buttons"), buttons_only, answer)

    router.callback_query.register(category_chosen, cb(F.action == "cat"), form.category)
    router.callback_query.register(
        attachments_button, cb(F.action.in_({"skip", "done", "drop"})), form.attachments
    )
    router.callback_query.register(contact_chosen, cb(F.action == "contact"), form.contact)
    router.callback_query.register(
        edit_field, cb(F.action == "edit"), StateFilter(form.summary, *FIELDS.values())
    )
    router.callback_query.register(cancel_draft, cb(F.action == "cancel"), form.summary)
    router.callback_query.register(send, cb(F.action == "send"), form.summary)
    router.callback_query.register(stale_button, cb())
    return router
