"""Submitting a mandate: taking each answer (category, text, address or location, photos,
on whose behalf, the voter's name and phone), or refusing it with the reason and asking
again."""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State
from aiogram.types import CallbackQuery, Message

from bot.services.errors import InvalidInput
from bot.services.mandates.draft import (
    MandateDraft,
    MandateRules,
    OnBehalf,
    category_name,
    normalize_phone,
    validate_address,
    validate_category,
    validate_location,
    validate_photos,
    validate_text,
    validate_voter_name,
)
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import SubmitCb
from handlers.mandates.form import (
    MandateForm,
    advance,
    ask,
    ask_next,
    ask_same,
    draft_of,
    keep,
    photos_prompt,
    say,
)
from handlers.menus import menu_keyboard
from handlers.replies import drop_buttons, error_text


async def start(
    message: Message, state: FSMContext, person: Person, bot: Bot, mandate_rules: MandateRules
) -> None:
    if person.branch_id is None:
        await message.answer(say("no_branch"))
        return
    await state.set_data({"draft": MandateDraft().to_dict()})  # a fresh draft
    await ask(MandateForm.category, state, bot, mandate_rules, message=message)


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
    await ask(step, state, bot, rules, message=message)


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
    draft, _ = await draft_of(state)
    for name, value in fields.items():
        setattr(draft, name, value)
    await keep(state, draft)
    if query is not None:
        await query.answer()
    await ask_next(step, state, bot, rules, message=message, query=query, ack=ack)


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
    ack = say("ack.category", name=html.escape(category_name(code)))
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
    draft, _ = await draft_of(state)
    text = message.text or ""
    if text == say("button.send_location"):  # a client that cannot share a location
        await message.answer(say("wrong.location_unsupported"))
        return
    if text == say("button.skip_address"):
        draft.address = draft.latitude = draft.longitude = None
        ack = say("ack.no_address")
    else:
        try:
            draft.address = validate_address(text)
        except InvalidInput as error:
            await _ask_again(MandateForm.address, error, message, state, bot, mandate_rules)
            return
        draft.latitude = draft.longitude = None
        ack = say("ack.address", address=html.escape(draft.address))
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
    draft, _ = await draft_of(state)
    draft.latitude, draft.longitude = latitude, longitude
    draft.address = None
    if message.venue is not None:  # a named place: keep its address too
        draft.address = validate_address(f"{message.venue.title}, {message.venue.address}")
    await _address_done(message, state, person, bot, draft, say("ack.location"), mandate_rules)


async def _address_done(
    message: Message,
    state: FSMContext,
    person: Person,
    bot: Bot,
    draft: MandateDraft,
    ack: str,
    mandate_rules: MandateRules,
) -> None:
    await keep(state, draft)
    step = await advance(MandateForm.address, state)  # with the data, before any reply
    # The confirmation brings the main menu back in place of the location keyboard.
    await message.answer(ack, reply_markup=menu_keyboard(person))
    await ask(step, state, bot, mandate_rules, message=message)


async def photo_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    """One photo, or one of an album: an album arrives as separate messages sharing a
    media_group_id, and all of them update one counting message."""
    assert message.photo
    draft, data = await draft_of(state)
    group = message.media_group_id
    shown = data.get("photos_msg") or {}
    same_album = group is not None and shown.get("album") == group
    refused = shown.get("refused", 0) if same_album else 0
    try:
        draft.photos = validate_photos([*draft.photos, message.photo[-1].file_id], mandate_rules)
    except InvalidInput:
        refused += 1  # the limit is said once under the count, with how many were left out
    text, markup = photos_prompt(draft, mandate_rules)
    if refused:
        limit = t("errors.mandate_too_many_photos", max=mandate_rules.max_photos)
        text = f"{text}\n\n{say('photos.refused', limit=limit, count=refused)}"
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
            await drop_buttons(bot, chat_id, shown["id"])
        message_id = (await message.answer(text, reply_markup=markup)).message_id
    await keep(state, draft, photos_msg={"id": message_id, "album": group, "refused": refused})


async def photo_as_file(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    await ask_same(message, state, bot, mandate_rules, say("wrong.photo_as_file"))


async def photos_done(
    query: CallbackQuery, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    draft, _ = await draft_of(state)
    count = len(draft.photos)
    await query.answer()
    ack = say("ack.photos", count=count) if count else say("ack.no_photos")
    await ask_next(MandateForm.photos, state, bot, mandate_rules, query=query, ack=ack)


async def behalf_chosen(
    query: CallbackQuery,
    callback_data: SubmitCb,
    state: FSMContext,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    draft, _ = await draft_of(state)
    if callback_data.value == OnBehalf.VOTER:
        draft.on_behalf = OnBehalf.VOTER
    else:
        draft.on_behalf = OnBehalf.SELF
        draft.voter_name = draft.voter_phone = None
    await keep(state, draft)
    await query.answer()
    await ask_next(MandateForm.behalf, state, bot, mandate_rules, query=query)


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
