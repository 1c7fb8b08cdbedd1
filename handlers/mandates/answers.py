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
    validate_caption,
    validate_category,
    validate_location,
    validate_photos,
    validate_text,
    validate_voices,
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
    attached_line,
    draft_of,
    keep,
    photos_prompt,
    say,
    show_question,
)
from handlers.menus import menu_keyboard
from handlers.replies import error_text


async def has_draft(state: FSMContext) -> bool:
    """A draft with something answered in it."""
    current = await state.get_state() or ""
    if not current.startswith(f"{MandateForm.__full_group_name__}:"):
        return False
    draft, _ = await draft_of(state)
    return draft.category is not None


async def _ask_again(
    step: State,
    error: InvalidInput,
    message: Message,
    state: FSMContext,
    bot: Bot,
    rules: MandateRules,
) -> None:
    """A refused answer: why, and the same question, in one message."""
    await ask(step, state, bot, rules, message=message, complaint=error_text(error))


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
        await ask_same(message, state, bot, mandate_rules, say("wrong.location_unsupported"))
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


def _add_photo(draft: MandateDraft, message: Message, rules: MandateRules) -> bool:
    """The message's photo (the largest size) added to the draft, its caption kept as the
    photo's note; False when the limit leaves no room for it."""
    assert message.photo
    file_id = message.photo[-1].file_id
    try:
        draft.photos = validate_photos([*draft.photos, file_id], rules)
    except InvalidInput:
        return False
    if caption := validate_caption(message.caption):
        draft.captions[file_id] = caption
    return True


async def _show_count(
    message: Message,
    state: FSMContext,
    bot: Bot,
    draft: MandateDraft,
    rules: MandateRules,
    refused: int,
    note: str | None = None,
) -> None:
    """The photos question, counting what is attached: one message for the whole step. An
    album arrives as separate messages sharing a media_group_id; all of them update the
    message the album's first photo brought, the others replace it under the newest."""
    text, markup = photos_prompt(draft, rules)
    if refused:
        limit = t("errors.mandate_too_many_photos", max=rules.max_photos)
        text = f"{text}\n\n{say('photos.refused', limit=limit, count=refused)}"
    if note:
        text = f"{note}\n\n{text}"
    group = message.media_group_id
    asked = (await state.get_data()).get("asked") or {}
    same_album = group is not None and asked.get("album") == group
    if same_album and asked.get("step") == MandateForm.photos.state:
        try:
            await bot.edit_message_text(
                text=text, chat_id=message.chat.id, message_id=asked["id"], reply_markup=markup
            )
            await state.update_data(asked={**asked, "refused": refused})
            return
        except TelegramBadRequest as error:
            if "not modified" in error.message:
                await state.update_data(asked={**asked, "refused": refused})
                return
    await show_question(
        MandateForm.photos, text, markup, state, bot, message=message, album=group, refused=refused
    )


async def photo_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    """One photo, or one of an album, with its caption as the photo's note."""
    draft, data = await draft_of(state)
    asked = data.get("asked") or {}
    group = message.media_group_id
    same_album = group is not None and asked.get("album") == group
    refused = asked.get("refused", 0) if same_album else 0
    if not _add_photo(draft, message, mandate_rules):
        refused += 1  # the limit is said once under the count, with how many were left out
    await keep(state, draft)
    await _show_count(message, state, bot, draft, mandate_rules, refused)


async def voice_received(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    """A voice message at the photos step: attached, for the secretary to play."""
    assert message.voice is not None
    draft, _ = await draft_of(state)
    try:
        draft.voices = validate_voices([*draft.voices, message.voice.file_id])
    except InvalidInput as error:
        await ask_same(message, state, bot, mandate_rules, error_text(error))
        return
    await keep(state, draft)
    await _show_count(message, state, bot, draft, mandate_rules, 0)


async def media_at_text(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    """A photo or a voice message where the text is asked: kept for step 4, and a photo's
    caption is taken as the text when it is one."""
    draft, data = await draft_of(state)
    kept = False
    if message.photo:
        kept = _add_photo(draft, message, mandate_rules)
    elif message.voice is not None:
        try:
            draft.voices = validate_voices([*draft.voices, message.voice.file_id])
            kept = True
        except InvalidInput:
            kept = False
    await keep(state, draft)
    caption = message.caption or ""
    if caption.strip():
        try:
            text = validate_text(caption, mandate_rules)
        except InvalidInput as error:
            await _ask_again(MandateForm.text, error, message, state, bot, mandate_rules)
            return
        ack = say("ack.text_from_caption")
        await _answered(
            MandateForm.text, state, bot, mandate_rules, message=message, ack=ack, text=text
        )
        return
    group = message.media_group_id
    if group is not None and data.get("kept_album") == group:
        return  # the rest of an album already answered: nothing new to say
    await state.update_data(kept_album=group)
    key = "wrong.voice_kept" if message.voice is not None else "wrong.photo_kept"
    hint = say(key) if kept else say("wrong.text")
    await ask(MandateForm.text, state, bot, mandate_rules, message=message, complaint=hint)


async def photo_as_file(
    message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    await ask_same(message, state, bot, mandate_rules, say("wrong.photo_as_file"))


async def photos_done(
    query: CallbackQuery, state: FSMContext, bot: Bot, mandate_rules: MandateRules
) -> None:
    draft, _ = await draft_of(state)
    await query.answer()
    ack = attached_line(draft) or say("ack.no_photos")
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
