"""Submitting a mandate: one question at a time, then a summary to send, change or cancel.

The draft lives in FSM data as `MandateDraft.to_dict()` and is saved after every answer,
so a restart in the middle loses nothing. Before a mandate is saved the bot offers to
support a similar open one instead of sending a duplicate.

FSM data: `draft` (the answers so far); `editing` (the field being changed from the
summary: its answer leads back there); `photos_msg` (the message counting attached photos,
with the album it belongs to); `similar` (the mandates offered for support).
"""

from __future__ import annotations

import html
from collections.abc import Callable
from contextlib import suppress
from typing import Any

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    MaybeInaccessibleMessage,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.services.errors import DomainError, InvalidInput
from bot.services.mandates.draft import (
    MandateDraft,
    MandateRules,
    OnBehalf,
    categories,
    category_name,
    normalize_phone,
    validate_address,
    validate_category,
    validate_location,
    validate_photos,
    validate_text,
    validate_voter_name,
)
from bot.services.mandates.similarity import find_similar, support_mandate
from bot.services.mandates.submission import submit_mandate
from bot.services.people import Person
from bot.services.working_days import last_day_to_answer
from bot.texts import plural, t
from handlers.callbacks import SubmitCb
from handlers.common import show_menu
from handlers.filters import Onboarded
from handlers.menus import MENU_BUTTONS, menu_keyboard

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None
SIMILAR_PREVIEW = 100


class MandateForm(StatesGroup):
    # Persisted as "MandateForm:<name>" in the FSM table: rename only with a migration.
    category = State()
    text = State()
    address = State()
    photos = State()
    behalf = State()
    voter_name = State()
    voter_phone = State()
    summary = State()
    similar = State()


# Fields the summary's «Изменить» offers, and the question each one asks again.
EDITABLE: dict[str, State] = {
    "category": MandateForm.category,
    "text": MandateForm.text,
    "address": MandateForm.address,
    "photos": MandateForm.photos,
    "behalf": MandateForm.behalf,
    "voter_name": MandateForm.voter_name,
    "voter_phone": MandateForm.voter_phone,
}
VOTER_FIELDS = ("voter_name", "voter_phone")


# --- small helpers ---------------------------------------------------------------------------


def _s(key: str, **params: Any) -> str:
    return t(f"mandate_submit.{key}", **params)


def error_text(error: DomainError) -> str:
    return t(f"errors.{error.code}", **error.params)


async def show_in_place(
    bot: Bot, query: CallbackQuery, text: str, markup: InlineKeyboardMarkup | None = None
) -> int:
    """Edit the message the button was on; if Telegram cannot (deleted, too old), send anew.
    Returns the id of the message that now shows `text`."""
    message = query.message
    if isinstance(message, Message):
        try:
            await message.edit_text(text, reply_markup=markup)
            return message.message_id
        except TelegramBadRequest as error:
            if "not modified" in error.message:  # the same page pressed again
                return message.message_id
    sent = await bot.send_message(query.from_user.id, text, reply_markup=markup)
    return sent.message_id


async def _drop_buttons(bot: Bot, chat_id: int, message_id: int) -> None:
    """Take the buttons off a message whose step is over, so they cannot be pressed."""
    with suppress(TelegramBadRequest):  # already gone or never had any: nothing to take off
        await bot.edit_message_reply_markup(chat_id=chat_id, message_id=message_id)


def _menu_labels() -> frozenset[str]:
    return frozenset(
        {t(f"menu.{key}") for keys in MENU_BUTTONS.values() for key in keys} | {t("menu.help")}
    )


def free_input() -> Callable[[Message], bool]:
    """Messages that may be an answer: not a command, not a main-menu button (those go to
    their own handlers, so the menu keeps working in the middle of the flow)."""
    labels = _menu_labels()

    def check(message: Message) -> bool:
        text = message.text or ""
        return not text.startswith("/") and text not in labels

    return check


async def _draft(state: FSMContext) -> tuple[MandateDraft, dict[str, Any]]:
    data = await state.get_data()
    return MandateDraft.from_dict(data.get("draft")), data


async def _keep(state: FSMContext, draft: MandateDraft, **extra: Any) -> None:
    await state.update_data(draft=draft.to_dict(), **extra)


# --- the questions ----------------------------------------------------------------------------


def _one_button(label: str, cb: SubmitCb) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=label, callback_data=cb)
    return builder.as_markup()


def _categories_keyboard(rules: MandateRules) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for code, name in categories(rules):
        builder.button(text=name, callback_data=SubmitCb(action="cat", value=code))
    builder.adjust(2)
    return builder.as_markup()


def _address_keyboard() -> ReplyKeyboardMarkup:
    return ReplyKeyboardMarkup(
        keyboard=[
            [KeyboardButton(text=_s("button.send_location"), request_location=True)],
            [KeyboardButton(text=_s("button.skip_address"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=_s("ask.address_placeholder"),
    )


def _photos_prompt(draft: MandateDraft, rules: MandateRules) -> tuple[str, InlineKeyboardMarkup]:
    done = SubmitCb(action="skip", value="photos")
    count = len(draft.photos)
    if not count:
        return _s("ask.photos", max=rules.max_photos), _one_button(_s("button.skip_photos"), done)
    key = "photos.full" if count >= rules.max_photos else "photos.attached"
    return _s(key, count=count, max=rules.max_photos), _one_button(_s("button.photos_done"), done)


def _behalf_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_s("button.self"), callback_data=SubmitCb(action="behalf", value="self"))
    builder.button(text=_s("button.voter"), callback_data=SubmitCb(action="behalf", value="voter"))
    return builder.as_markup()


def summary_text(draft: MandateDraft) -> str:
    lines = [
        _s("summary.title"),
        "",
        _s("summary.category", name=html.escape(category_name(draft.category or ""))),
        _s("summary.text", text=html.escape(draft.text or "")),
        "",
    ]
    if draft.address:
        lines.append(_s("summary.address", address=html.escape(draft.address)))
    elif draft.latitude is not None and draft.longitude is not None:
        lines.append(_s("summary.location", latitude=draft.latitude, longitude=draft.longitude))
    else:
        lines.append(_s("summary.no_address"))
    count = len(draft.photos)
    lines.append(_s("summary.photos", count=count) if count else _s("summary.no_photos"))
    if draft.on_behalf == OnBehalf.VOTER:
        lines.append(_s("summary.voter", name=html.escape(draft.voter_name or "")))
        phone = draft.voter_phone
        lines.append(_s("summary.voter_phone", phone=phone) if phone else _s("summary.no_phone"))
    else:
        lines.append(_s("summary.self"))
    lines += ["", _s("summary.hint")]
    return "\n".join(lines)


def _summary_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=_s("button.send"), callback_data=SubmitCb(action="send"))
    builder.button(text=_s("button.edit"), callback_data=SubmitCb(action="edit"))
    builder.button(text=_s("button.cancel"), callback_data=SubmitCb(action="cancel"))
    builder.adjust(1, 2)
    return builder.as_markup()


def _fields_keyboard(draft: MandateDraft) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in EDITABLE:
        if field in VOTER_FIELDS and draft.on_behalf != OnBehalf.VOTER:
            continue
        builder.button(
            text=_s(f"field.{field}"), callback_data=SubmitCb(action="edit", value=field)
        )
    builder.adjust(2)
    back = SubmitCb(action="edit", value="back").pack()
    builder.row(InlineKeyboardButton(text=_s("button.back"), callback_data=back))
    return builder.as_markup()


def _question(step: str, draft: MandateDraft, rules: MandateRules) -> tuple[str, Markup]:
    if step == MandateForm.category.state:
        return _s("ask.category"), _categories_keyboard(rules)
    if step == MandateForm.text.state:
        return _s("ask.text", min=rules.text_min, max=rules.text_max), None
    if step == MandateForm.address.state:
        return _s("ask.address"), _address_keyboard()
    if step == MandateForm.photos.state:
        return _photos_prompt(draft, rules)
    if step == MandateForm.behalf.state:
        return _s("ask.behalf"), _behalf_keyboard()
    if step == MandateForm.voter_name.state:
        return _s("ask.voter_name"), None
    if step == MandateForm.voter_phone.state:
        skip = SubmitCb(action="skip", value="phone")
        return _s("ask.voter_phone"), _one_button(_s("button.skip_phone"), skip)
    return summary_text(draft), _summary_keyboard()


async def _ask(
    step: State,
    state: FSMContext,
    bot: Bot,
    rules: MandateRules,
    *,
    message: MaybeInaccessibleMessage | None = None,
    query: CallbackQuery | None = None,
    ack: str | None = None,
) -> None:
    """Move to `step` and ask its question: in place of the pressed button's message when
    the answer was a button, as a new message when it was typed (or when the question
    needs a reply keyboard, which an edited message cannot carry)."""
    await state.set_state(step)
    draft, data = await _draft(state)
    text, markup = _question(step.state or "", draft, rules)
    if ack:
        text = f"{ack}\n\n{text}"
    if query is not None and not isinstance(markup, ReplyKeyboardMarkup):
        shown = await show_in_place(bot, query, text, markup)
    else:
        if query is not None:
            message = query.message
            if isinstance(message, Message):
                await _drop_buttons(bot, message.chat.id, message.message_id)
        assert message is not None
        shown = (await message.answer(text, reply_markup=markup)).message_id
    if step == MandateForm.photos:
        # Photos update this prompt's count; an older prompt's button would only confuse.
        old = data.get("photos_msg") or {}
        if old.get("id") and old["id"] != shown:
            await _drop_buttons(bot, _chat_id(query, message), old["id"])
        await state.update_data(photos_msg={"id": shown, "album": None, "refused": 0})


def _chat_id(query: CallbackQuery | None, message: MaybeInaccessibleMessage | None) -> int:
    if query is not None:
        return query.from_user.id
    assert message is not None
    return message.chat.id


async def _next(
    done: State,
    state: FSMContext,
    bot: Bot,
    rules: MandateRules,
    *,
    message: Message | None = None,
    query: CallbackQuery | None = None,
    ack: str | None = None,
) -> None:
    """The step after `done`: the next question, or the summary when a field changed from
    the summary is answered (choosing «Избирателя» still asks the name and phone)."""
    draft, data = await _draft(state)
    editing = data.get("editing")
    voter = draft.on_behalf == OnBehalf.VOTER
    if done == MandateForm.behalf and voter:
        step = MandateForm.voter_name
    elif done == MandateForm.voter_name and editing != "voter_name":
        step = MandateForm.voter_phone
    elif editing or done in (MandateForm.behalf, MandateForm.voter_phone):
        step = MandateForm.summary
    else:
        order = [MandateForm.category, MandateForm.text, MandateForm.address, MandateForm.photos]
        step = order[order.index(done) + 1] if done in order[:-1] else MandateForm.behalf
    if step == MandateForm.summary:
        await state.update_data(editing=None)
    if step == MandateForm.photos:
        await state.update_data(photos_msg=None)
    await _ask(step, state, bot, rules, message=message, query=query, ack=ack)


async def _again(
    message: Message, state: FSMContext, bot: Bot, rules: MandateRules, hint: str
) -> None:
    """A wrong answer: say what is expected and ask the same question again. An album sent
    where it does not belong is answered once, not once per photo."""
    group = message.media_group_id
    if group is not None:
        data = await state.get_data()
        if data.get("wrong_album") == group:
            return
        await state.update_data(wrong_album=group)
    await message.answer(hint)
    current = await state.get_state()
    if current == MandateForm.similar.state:
        data = await state.get_data()
        await message.answer(_similar_text(data["similar"]), reply_markup=_similar_keyboard(data))
        return
    for step in MandateForm.__states__:
        if step.state == current:
            await _ask(step, state, bot, rules, message=message)
            return


# --- start ------------------------------------------------------------------------------------


async def start(
    message: Message, state: FSMContext, person: Person, bot: Bot, mandate_rules: MandateRules
) -> None:
    if person.branch_id is None:
        await message.answer(_s("no_branch"))
        return
    await state.set_data({"draft": MandateDraft().to_dict()})  # a fresh draft
    await _ask(MandateForm.category, state, bot, mandate_rules, message=message)


# --- answers ----------------------------------------------------------------------------------


async def _ask_again(
    step: State,
    error: InvalidInput,
    message: Message,
    state: FSMContext,
    bot: Bot,
    rules: MandateRules,
) -> None:
    """A refused answer: why, and the same question."""
    await message.answer(error_text(error))
    await _ask(step, state, bot, rules, message=message)


async def _answered(
    step: State,
    state: FSMContext,
    bot: Bot,
    rules: MandateRules,
    *,
    message: Message | None = None,
    query: CallbackQuery | None = None,
    ack: str | None = None,
    **fields: Any,
) -> None:
    """Keep an accepted answer in the draft and go on to the next question."""
    draft, _ = await _draft(state)
    for name, value in fields.items():
        setattr(draft, name, value)
    await _keep(state, draft)
    if query is not None:
        await query.answer()
    await _next(step, state, bot, rules, message=message, query=query, ack=ack)


async def category_chosen(
    query: CallbackQuery,
    callback_data: SubmitCb,
    state: FSMContext,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    try:
        code = validate_category(callback_data.value, mandate_rules)
    except InvalidInput as error:
        await query.answer(error_text(error), show_alert=True)
        return
    ack = _s("ack.category", name=html.escape(category_name(code)))
    await _answered(
        MandateForm.category, state, bot, mandate_rules, query=query, ack=ack, category=code
    )


async def text_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    try:
        text = validate_text(message.text or "", mandate_rules)
    except InvalidInput as error:
        await _ask_again(MandateForm.text, error, message, state, bot, mandate_rules)
        return
    await _answered(MandateForm.text, state, bot, mandate_rules, message=message, text=text)


async def address_received(
    message: Message, state: FSMContext, person: Person, bot: Bot, mandate_rules: MandateRules
) -> None:
    draft, _ = await _draft(state)
    text = message.text or ""
    if text == _s("button.send_location"):  # a client that cannot share a location
        await message.answer(_s("wrong.location_unsupported"))
        return
    if text == _s("button.skip_address"):
        draft.address = draft.latitude = draft.longitude = None
        ack = _s("ack.no_address")
    else:
        try:
            draft.address = validate_address(text)
        except InvalidInput as error:
            await _ask_again(MandateForm.address, error, message, state, bot, mandate_rules)
            return
        draft.latitude = draft.longitude = None
        ack = _s("ack.address", address=html.escape(draft.address))
    await _address_done(message, state, person, bot, draft, ack, mandate_rules)


async def location_received(
    message: Message, state: FSMContext, person: Person, bot: Bot, mandate_rules: MandateRules
) -> None:
    location = message.location
    assert location is not None
    try:
        latitude, longitude = validate_location(location.latitude, location.longitude)
    except InvalidInput as error:
        await _ask_again(MandateForm.address, error, message, state, bot, mandate_rules)
        return
    draft, _ = await _draft(state)
    draft.latitude, draft.longitude = latitude, longitude
    draft.address = None
    if message.venue is not None:  # a named place: keep its address too
        draft.address = validate_address(f"{message.venue.title}, {message.venue.address}")
    await _address_done(message, state, person, bot, draft, _s("ack.location"), mandate_rules)


async def _address_done(
    message: Message,
    state: FSMContext,
    person: Person,
    bot: Bot,
    draft: MandateDraft,
    ack: str,
    mandate_rules: MandateRules,
) -> None:
    await _keep(state, draft)
    # The confirmation brings the main menu back in place of the location keyboard.
    await message.answer(ack, reply_markup=menu_keyboard(person))
    await _next(MandateForm.address, state, bot, mandate_rules, message=message)


async def photo_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    """One photo, or one of an album: an album arrives as separate messages sharing a
    media_group_id, and all of them update one counting message."""
    assert message.photo
    draft, data = await _draft(state)
    group = message.media_group_id
    shown = data.get("photos_msg") or {}
    same_album = group is not None and shown.get("album") == group
    refused = shown.get("refused", 0) if same_album else 0
    try:
        draft.photos = validate_photos([*draft.photos, message.photo[-1].file_id], mandate_rules)
    except InvalidInput:
        refused += 1  # the limit is said once under the count, with how many were left out
    text, markup = _photos_prompt(draft, mandate_rules)
    if refused:
        limit = t("errors.mandate_too_many_photos", max=mandate_rules.max_photos)
        text = f"{text}\n\n{_s('photos.refused', limit=limit, count=refused)}"
    chat_id = message.chat.id
    if same_album:
        message_id = shown["id"]
        try:
            await bot.edit_message_text(
                text=text, chat_id=chat_id, message_id=message_id, reply_markup=markup
            )
        except TelegramBadRequest as error:
            if "not modified" not in error.message:
                message_id = (await message.answer(text, reply_markup=markup)).message_id
    else:
        if shown.get("id"):
            await _drop_buttons(bot, chat_id, shown["id"])
        message_id = (await message.answer(text, reply_markup=markup)).message_id
    await _keep(state, draft, photos_msg={"id": message_id, "album": group, "refused": refused})


async def photo_as_file(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    await _again(message, state, bot, mandate_rules, _s("wrong.photo_as_file"))


async def photos_done(
    query: CallbackQuery, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    draft, _ = await _draft(state)
    count = len(draft.photos)
    await query.answer()
    ack = _s("ack.photos", count=count) if count else _s("ack.no_photos")
    await _next(MandateForm.photos, state, bot, mandate_rules, query=query, ack=ack)


async def behalf_chosen(
    query: CallbackQuery,
    callback_data: SubmitCb,
    state: FSMContext,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    draft, _ = await _draft(state)
    if callback_data.value == OnBehalf.VOTER:
        draft.on_behalf = OnBehalf.VOTER
    else:
        draft.on_behalf = OnBehalf.SELF
        draft.voter_name = draft.voter_phone = None
    await _keep(state, draft)
    await query.answer()
    await _next(MandateForm.behalf, state, bot, mandate_rules, query=query)


async def voter_name_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    try:
        name = validate_voter_name(message.text or "")
    except InvalidInput as error:
        await _ask_again(MandateForm.voter_name, error, message, state, bot, mandate_rules)
        return
    await _answered(
        MandateForm.voter_name, state, bot, mandate_rules, message=message, voter_name=name
    )


def _phone_from_contact(raw: str) -> str:
    # Telegram gives a contact's number in international form, often without the «+».
    try:
        return normalize_phone(raw)
    except InvalidInput:
        if raw.isdigit():
            return normalize_phone(f"+{raw}")
        raise


async def voter_phone_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    try:
        if message.contact is not None:
            phone = _phone_from_contact(message.contact.phone_number)
        else:
            phone = normalize_phone(message.text or "")
    except InvalidInput as error:
        await _ask_again(MandateForm.voter_phone, error, message, state, bot, mandate_rules)
        return
    await _answered(
        MandateForm.voter_phone, state, bot, mandate_rules, message=message, voter_phone=phone
    )


async def phone_skipped(
    query: CallbackQuery, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    await _answered(
        MandateForm.voter_phone, state, bot, mandate_rules, query=query, voter_phone=None
    )


# --- the summary: change a field ------------------------------------------------------------


async def edit_field(
    query: CallbackQuery,
    callback_data: SubmitCb,
    state: FSMContext,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    draft, _ = await _draft(state)
    field = callback_data.value
    await query.answer()
    if field == "back" or (field in VOTER_FIELDS and draft.on_behalf != OnBehalf.VOTER):
        await state.update_data(editing=None)
        await _ask(MandateForm.summary, state, bot, mandate_rules, query=query)
        return
    if field not in EDITABLE:  # «Изменить» itself: which field?
        await state.set_state(MandateForm.summary)
        text = f"{summary_text(draft)}\n\n{_s('summary.edit_ask')}"
        await show_in_place(bot, query, text, _fields_keyboard(draft))
        return
    if field == "photos":  # new photos replace the old ones
        draft.photos = []
        await _keep(state, draft, photos_msg=None)
    await state.update_data(editing=field)
    ack = _s("editing", field=_s(f"field.{field}"))
    await _ask(EDITABLE[field], state, bot, mandate_rules, query=query, ack=ack)


async def cancel_draft(query: CallbackQuery, state: FSMContext, person: Person, bot: Bot) -> None:
    await state.clear()
    await query.answer()
    await show_in_place(bot, query, _s("cancelled"))
    assert query.message is not None
    await show_menu(query.message, person, bot)  # type: ignore[arg-type]


# --- sending, or supporting a similar one -----------------------------------------------------


def _similar_text(offered: list[dict[str, Any]]) -> str:
    items = [
        _s(
            "similar.item",
            n=n,
            number=html.escape(item["number"]),
            date=item["date"],
            supporters=plural(item["supporters"], "plural.supporter"),
            preview=html.escape(item["preview"]),
        )
        for n, item in enumerate(offered, 1)
    ]
    return "\n\n".join([_s("similar.title"), *items])


def _similar_keyboard(data: dict[str, Any]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in data["similar"]:
        builder.button(
            text=_s("button.support", number=item["number"]),
            callback_data=SubmitCb(action="similar", value=str(item["id"])),
        )
    builder.button(
        text=_s("button.send_anyway"), callback_data=SubmitCb(action="similar", value="new")
    )
    builder.button(text=_s("button.back"), callback_data=SubmitCb(action="edit", value="back"))
    builder.button(text=_s("button.cancel"), callback_data=SubmitCb(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()


def _preview(text: str) -> str:
    return text if len(text) <= SIMILAR_PREVIEW else text[: SIMILAR_PREVIEW - 1].rstrip() + "…"


async def send(
    query: CallbackQuery,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    draft, _ = await _draft(state)
    try:
        clean = draft.validated(mandate_rules)
    except InvalidInput as error:
        await query.answer(error_text(error), show_alert=True)
        return
    similar = await find_similar(session, person, clean, clock.now())
    if not similar:
        await _submit(query, state, person, session, clock, bot, clean, mandate_rules)
        return
    offered = [
        {
            "id": s.id,
            "number": s.number,
            "date": local(s.created_at, person.timezone).strftime("%d.%m.%Y"),
            "supporters": s.supporters,
            "preview": _preview(s.text),
        }
        for s in similar
    ]
    await state.set_state(MandateForm.similar)
    await state.update_data(similar=offered)
    await query.answer()
    await show_in_place(bot, query, _similar_text(offered), _similar_keyboard({"similar": offered}))


async def similar_chosen(
    query: CallbackQuery,
    callback_data: SubmitCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    draft, data = await _draft(state)
    if callback_data.value == "new":
        await _submit(query, state, person, session, clock, bot, draft, mandate_rules)
        return
    offered = {str(item["id"]) for item in data.get("similar", [])}
    if callback_data.value not in offered:  # forged, or from an older offer
        await query.answer(_s("stale_step"), show_alert=True)
        return
    try:
        outcome = await support_mandate(session, person, int(callback_data.value), clock.now())
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await state.clear()
    await query.answer()
    number = html.escape(outcome.number)
    if outcome.added:
        supporters = plural(outcome.supporters, "plural.supporter")
        text = _s("similar.supported", number=number, supporters=supporters)
    else:
        text = _s("similar.already_supported", number=number)
    await show_in_place(bot, query, text)
    assert query.message is not None
    await show_menu(query.message, person, bot)  # type: ignore[arg-type]


async def _submit(
    query: CallbackQuery,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    draft: MandateDraft,
    mandate_rules: MandateRules,
) -> None:
    try:
        mandate = await submit_mandate(session, person, draft, clock.now(), mandate_rules)
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await state.clear()
    await query.answer()
    day = last_day_to_answer(mandate.due_at, person.timezone).strftime("%d.%m.%Y")
    await show_in_place(bot, query, _s("sent", number=html.escape(mandate.number), day=day))
    assert query.message is not None
    await show_menu(query.message, person, bot)  # type: ignore[arg-type]


# --- wrong input and old buttons ----------------------------------------------------------------


def _wrong(key: str) -> Callable[..., Any]:
    async def handler(
        message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
    ) -> None:
        await _again(message, state, bot, mandate_rules, _s(f"wrong.{key}"))

    handler.__name__ = f"wrong_{key}"
    return handler


async def stale_button(query: CallbackQuery, state: FSMContext) -> None:
    """A submission button from a step that is over, a finished draft, or forged data:
    answered, and nothing changes."""
    in_flow = (await state.get_state() or "").startswith(f"{MandateForm.__full_group_name__}:")
    await query.answer(_s("stale_step") if in_flow else _s("stale"), show_alert=True)


def create_router() -> Router:
    router = Router(name="mandate_submit")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    cb = SubmitCb.filter
    form = MandateForm

    router.message.register(start, Command("mandate"))
    router.message.register(start, F.text == t("menu.mandate_new"))

    router.callback_query.register(category_chosen, cb(F.action == "cat"), form.category)
    router.message.register(_wrong("buttons"), form.category, answer)

    router.message.register(text_received, form.text, F.text, answer)
    router.message.register(_wrong("text"), form.text, answer)

    router.message.register(location_received, form.address, F.location)
    router.message.register(address_received, form.address, F.text, answer)
    router.message.register(_wrong("address"), form.address, answer)

    router.message.register(photo_received, form.photos, F.photo)
    router.message.register(photo_as_file, form.photos, F.document.mime_type.startswith("image/"))
    router.callback_query.register(
        photos_done, cb((F.action == "skip") & (F.value == "photos")), form.photos
    )
    router.message.register(_wrong("photos"), form.photos, answer)

    router.callback_query.register(behalf_chosen, cb(F.action == "behalf"), form.behalf)
    router.message.register(_wrong("buttons"), form.behalf, answer)

    router.message.register(voter_name_received, form.voter_name, F.text, answer)
    router.message.register(_wrong("voter_name"), form.voter_name, answer)

    router.message.register(voter_phone_received, form.voter_phone, F.contact)
    router.message.register(voter_phone_received, form.voter_phone, F.text, answer)
    router.callback_query.register(
        phone_skipped, cb((F.action == "skip") & (F.value == "phone")), form.voter_phone
    )
    router.message.register(_wrong("voter_phone"), form.voter_phone, answer)

    router.callback_query.register(send, cb(F.action == "send"), form.summary)
    router.callback_query.register(
        edit_field, cb(F.action == "edit"), StateFilter(form.summary, form.similar)
    )
    router.callback_query.register(
        cancel_draft, cb(F.action == "cancel"), StateFilter(form.summary, form.similar)
    )
    router.callback_query.register(similar_chosen, cb(F.action == "similar"), form.similar)
    router.message.register(_wrong("buttons"), StateFilter(form.summary, form.similar), answer)

    router.callback_query.register(stale_button, cb())
    return router
