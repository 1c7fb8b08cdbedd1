"""Submitting a mandate, the conversation itself: its states, the questions and the way from
one question to the next. The answers are taken in `answers`, the summary in `submit`.

The draft lives in FSM data as `MandateDraft.to_dict()` and is saved after every answer,
so a restart in the middle loses nothing. Before a mandate is saved the bot offers to
support a similar open one instead of sending a duplicate.

FSM data: `draft` (the answers so far); `editing` (the field being changed from the
summary: its answer leads back there); `asked` (the one message of the current question:
its id and step, whether it is the summary or drawn on it, and for the photos the album
it counts); `similar` (the mandates offered for support).
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
from handlers.replies import drop_buttons, remove_message, show_in_place

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


def attached_line(draft: MandateDraft) -> str | None:
    """What is attached so far, in one line: «Приложено: фото — 2, голосовых — 1.»"""
    parts = []
    if draft.photos:
        parts.append(say("attached.photos", count=len(draft.photos)))
    if draft.voices:
        parts.append(say("attached.voices", count=len(draft.voices)))
    return say("attached.line", items=", ".join(parts)) if parts else None


def photos_prompt(draft: MandateDraft, rules: MandateRules) -> tuple[str, InlineKeyboardMarkup]:
    done = SubmitCb(action="skip", value="photos")
    if not draft.photos and not draft.voices:
        return say("ask.photos", max=rules.max_photos), _one_button(say("button.skip_photos"), done)
    count = len(draft.photos)
    key = "photos.full" if count >= rules.max_photos else "photos.attached"
    text = say(key, count=count, max=rules.max_photos)
    if draft.voices:
        text = f"{text}\n{say('photos.voices', count=len(draft.voices))}"
    return text, _one_button(say("button.photos_done"), done)


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
    if not count:
        lines.append(say("summary.no_photos"))
    elif draft.captions:
        lines.append(say("summary.photos_captioned", count=count, captions=len(draft.captions)))
    else:
        lines.append(say("summary.photos", count=count))
    if draft.voices:
        lines.append(say("summary.voices", count=len(draft.voices)))
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
    complaint: str | None = None,
) -> None:
    """Move to `step` and ask its question — one message per question.

    Answered with a button, the question takes the place of the pressed message. Answered
    by typing (or when the question needs a reply keyboard, which an edit cannot carry) it
    is sent under the person's message, where their eyes are; the old copy of the same
    question (refused, asked again) or of the summary it was drawn on is then deleted, so
    the chat holds one copy. `complaint` says why the last answer was refused, above the
    question, in the same message."""
    if await state.get_state() != step.state:
        await state.set_state(step)
    draft, _ = await draft_of(state)
    text, markup = _question(step.state or "", draft, rules)
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    elif ack:
        text = f"{ack}\n\n{text}"
    await show_question(step, text, markup, state, bot, message=message, query=query)


async def show_question(
    step: State,
    text: str,
    markup: Markup,
    state: FSMContext,
    bot: Bot,
    *,
    message: Message | None = None,
    query: CallbackQuery | None = None,
    album: str | None = None,
    refused: int = 0,
) -> None:
    """Show `text` as the one message of the question at `step` (see `ask`), and remember
    it in FSM data as `asked`."""
    data = await state.get_data()
    asked = data.get("asked") or {}
    summary_like = bool(data.get("editing")) or step in (MandateForm.summary, MandateForm.similar)
    if query is not None and not isinstance(markup, ReplyKeyboardMarkup):
        shown = await show_in_place(bot, query, text, markup)
        chat_id = query.from_user.id
    else:
        if query is not None and isinstance(query.message, Message):
            message = query.message
        assert message is not None, "a typed answer, or a press on a reachable message"
        chat_id = message.chat.id
        shown = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
    old = asked.get("id")
    if old and old != shown:
        if asked.get("step") == step.state or asked.get("summary"):
            await remove_message(bot, chat_id, old)  # its newer copy is below
        else:
            await drop_buttons(bot, chat_id, old)  # answered: stays as the conversation
    # Bookkeeping after the reply: it commits in the update's second transaction, so a
    # crash right after the reply loses only this id (the old copy then stays in the chat).
    await state.update_data(
        asked={
            "id": shown,
            "step": step.state,
            "summary": summary_like,
            "album": album,
            "refused": refused,
        }
    )


def current_step(state_name: str | None) -> State | None:
    for step in MandateForm.__states__:
        if step.state == state_name:
            return step
    return None


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
    await state.set_state(step)
    return step


async def ask_same(
    message: Message, state: FSMContext, bot: Bot, rules: MandateRules, hint: str
) -> None:
    """A wrong answer: one message saying what is expected, with the same question again,
    in place of the question's old copy. An album sent where it does not belong is
    answered once, not once per photo."""
    group = message.media_group_id
    if group is not None:
        data = await state.get_data()
        if data.get("wrong_album") == group:
            return
        await state.update_data(wrong_album=group)
    step = current_step(await state.get_state())
    if step is None:
        return
    if step == MandateForm.similar:
        data = await state.get_data()
        text = f"⚠️ {hint}\n\n{similar_text(data['similar'])}"
        await show_question(step, text, similar_keyboard(data), state, bot, message=message)
        return
    await ask(step, state, bot, rules, message=message, complaint=hint)


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
