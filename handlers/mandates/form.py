"""Submitting a mandate, the conversation itself: its states, the questions and the way from
one question to the next. The answers are taken in `answers`, the summary in `submit`.

The draft lives in FSM data as `MandateDraft.to_dict()` and is saved after every answer,
so a restart in the middle loses nothing. Before a mandate is saved the bot offers to
support a similar open one instead of sending a duplicate.

FSM data: `draft` (the answers so far); `editing` (the field being changed from the
summary: its answer leads back there); `photos_msg` (the message counting attached photos,
with the album it belongs to); `similar` (the mandates offered for support).
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
)
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.mandates.draft import (
    MandateDraft,
    MandateRules,
    OnBehalf,
    categories,
    category_name,
)
from bot.texts import plural, t
from handlers.callbacks import SubmitCb
from handlers.replies import drop_buttons, show_in_place

Markup = InlineKeyboardMarkup | ReplyKeyboardMarkup | None


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


def say(key: str, **params: Any) -> str:
    return t(f"mandate_submit.{key}", **params)


async def draft_of(state: FSMContext) -> tuple[MandateDraft, dict[str, Any]]:
    data = await state.get_data()
    return MandateDraft.from_dict(data.get("draft")), data


async def keep(state: FSMContext, draft: MandateDraft, **extra: Any) -> None:
    await state.update_data(draft=draft.to_dict(), **extra)


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
            [KeyboardButton(text=say("button.send_location"), request_location=True)],
            [KeyboardButton(text=say("button.skip_address"))],
        ],
        resize_keyboard=True,
        one_time_keyboard=True,
        input_field_placeholder=say("ask.address_placeholder"),
    )


def photos_prompt(draft: MandateDraft, rules: MandateRules) -> tuple[str, InlineKeyboardMarkup]:
    done = SubmitCb(action="skip", value="photos")
    count = len(draft.photos)
    if not count:
        return say("ask.photos", max=rules.max_photos), _one_button(say("button.skip_photos"), done)
    key = "photos.full" if count >= rules.max_photos else "photos.attached"
    return say(key, count=count, max=rules.max_photos), _one_button(say("button.photos_done"), done)


def _behalf_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=say("button.self"), callback_data=SubmitCb(action="behalf", value="self"))
    builder.button(text=say("button.voter"), callback_data=SubmitCb(action="behalf", value="voter"))
    return builder.as_markup()


def summary_text(draft: MandateDraft) -> str:
    lines = [
        say("summary.title"),
        "",
        say("summary.category", name=html.escape(category_name(draft.category or ""))),
        say("summary.text", text=html.escape(draft.text or "")),
        "",
    ]
    if draft.address:
        lines.append(say("summary.address", address=html.escape(draft.address)))
    elif draft.latitude is not None and draft.longitude is not None:
        lines.append(say("summary.location", latitude=draft.latitude, longitude=draft.longitude))
    else:
        lines.append(say("summary.no_address"))
    count = len(draft.photos)
    lines.append(say("summary.photos", count=count) if count else say("summary.no_photos"))
    if draft.on_behalf == OnBehalf.VOTER:
        lines.append(say("summary.voter", name=html.escape(draft.voter_name or "")))
        phone = draft.voter_phone
        lines.append(say("summary.voter_phone", phone=phone) if phone else say("summary.no_phone"))
    else:
        lines.append(say("summary.self"))
    lines += ["", say("summary.hint")]
    return "\n".join(lines)


def _summary_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=say("button.send"), callback_data=SubmitCb(action="send"))
    builder.button(text=say("button.edit"), callback_data=SubmitCb(action="edit"))
    builder.button(text=say("button.cancel"), callback_data=SubmitCb(action="cancel"))
    builder.adjust(1, 2)
    return builder.as_markup()


def fields_keyboard(draft: MandateDraft) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in EDITABLE:
        if field in VOTER_FIELDS and draft.on_behalf != OnBehalf.VOTER:
            continue
        builder.button(
            text=say(f"field.{field}"), callback_data=SubmitCb(action="edit", value=field)
        )
    builder.adjust(2)
    back = SubmitCb(action="edit", value="back").pack()
    builder.row(InlineKeyboardButton(text=say("button.back"), callback_data=back))
    return builder.as_markup()


def _question(step: str, draft: MandateDraft, rules: MandateRules) -> tuple[str, Markup]:
    if step == MandateForm.category.state:
        return say("ask.category"), _categories_keyboard(rules)
    if step == MandateForm.text.state:
        return say("ask.text", min=rules.text_min, max=rules.text_max), None
    if step == MandateForm.address.state:
        return say("ask.address"), _address_keyboard()
    if step == MandateForm.photos.state:
        return photos_prompt(draft, rules)
    if step == MandateForm.behalf.state:
        return say("ask.behalf"), _behalf_keyboard()
    if step == MandateForm.voter_name.state:
        return say("ask.voter_name"), None
    if step == MandateForm.voter_phone.state:
        skip = SubmitCb(action="skip", value="phone")
        return say("ask.voter_phone"), _one_button(say("button.skip_phone"), skip)
    return summary_text(draft), _summary_keyboard()


async def ask(
    step: State,
    state: FSMContext,
    bot: Bot,
    rules: MandateRules,
    *,
    message: Message | None = None,
    query: CallbackQuery | None = None,
    ack: str | None = None,
) -> None:
    """Move to `step` and ask its question: in place of the pressed button's message when
    the answer was a button, as a new message when it was typed (or when the question
    needs a reply keyboard, which an edited message cannot carry)."""
    if await state.get_state() != step.state:
        await state.set_state(step)
    draft, data = await draft_of(state)
    text, markup = _question(step.state or "", draft, rules)
    if ack:
        text = f"{ack}\n\n{text}"
    if query is not None and not isinstance(markup, ReplyKeyboardMarkup):
        shown = await show_in_place(bot, query, text, markup)
    else:
        if query is not None and isinstance(query.message, Message):
            message = query.message
            await drop_buttons(bot, message.chat.id, message.message_id)
        assert message is not None, "a typed answer, or a press on a reachable message"
        shown = (await message.answer(text, reply_markup=markup)).message_id
    if step == MandateForm.photos:
        # Photos update this prompt's count; an older prompt's button would only confuse.
        old = data.get("photos_msg") or {}
        if old.get("id") and old["id"] != shown:
            await drop_buttons(bot, _chat_id(query, message), old["id"])
        # Bookkeeping after the reply: it commits in the update's second transaction, so
        # a crash right after the reply loses only this id (the count is then sent anew).
        await state.update_data(photos_msg={"id": shown, "album": None, "refused": 0})


def _chat_id(query: CallbackQuery | None, message: Message | None) -> int:
    if query is not None:
        return query.from_user.id
    assert message is not None
    return message.chat.id


async def ask_next(
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
    step = await advance(done, state)
    await ask(step, state, bot, rules, message=message, query=query, ack=ack)


async def advance(done: State, state: FSMContext) -> State:
    """Moves the state to the step after `done` and returns it; written before any reply,
    so the answer's data and the new state commit together (README, «Reliability»)."""
    draft, data = await draft_of(state)
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
    await state.set_state(step)
    return step


async def ask_same(
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
        await message.answer(similar_text(data["similar"]), reply_markup=similar_keyboard(data))
        return
    for step in MandateForm.__states__:
        if step.state == current:
            await ask(step, state, bot, rules, message=message)
            return


def similar_text(offered: list[dict[str, Any]]) -> str:
    items = [
        say(
            "similar.item",
            n=n,
            number=html.escape(item["number"]),
            date=item["date"],
            supporters=plural(item["supporters"], "plural.supporter"),
            preview=html.escape(item["preview"]),
        )
        for n, item in enumerate(offered, 1)
    ]
    return "\n\n".join([say("similar.title"), *items])


def similar_keyboard(data: dict[str, Any]) -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for item in data["similar"]:
        builder.button(
            text=say("button.support", number=item["number"]),
            callback_data=SubmitCb(action="similar", value=str(item["id"])),
        )
    builder.button(
        text=say("button.send_anyway"), callback_data=SubmitCb(action="similar", value="new")
    )
    builder.button(text=say("button.back"), callback_data=SubmitCb(action="edit", value="back"))
    builder.button(text=say("button.cancel"), callback_data=SubmitCb(action="cancel"))
    builder.adjust(1)
    return builder.as_markup()
