"""Sharing a practice, the conversation itself: its states, the draft in FSM data, each
question with its buttons, the summary, and the one message a question lives in. The
handlers are in `share`.

FSM data `practice` holds JSON only, so a restart in the middle loses nothing: `draft`
(`PracticeDraft.to_dict()`), `editing` (the field changed from the summary: its answer
leads back there), `resubmit` and `comment` (a returned practice being corrected, and
what the moderator asked), `msg` (the id of the current question's one message) and
`album` (the media group whose photos are arriving into that message).
"""

from __future__ import annotations

import html
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.services.practices.draft import PracticeDraft
from bot.services.practices.rules import PracticeRules, categories, category_name
from bot.texts import plural, t
from handlers.callbacks import ShareCb
from handlers.replies import remove_message, show_in_place

KEY = "practice"  # the FSM data key


class PracticeForm(StatesGroup):
    # Persisted as "PracticeForm:<name>" in the FSM table: rename only with a migration.
    title = State()
    category = State()
    what_done = State()
    result = State()
    attachments = State()
    contact = State()
    summary = State()


ORDER = [
    PracticeForm.title,
    PracticeForm.category,
    PracticeForm.what_done,
    PracticeForm.result,
    PracticeForm.attachments,
    PracticeForm.contact,
]
FIELDS: dict[str, State] = {(step.state or "").split(":", 1)[1]: step for step in ORDER}
STEPS = {step.state: step for step in PracticeForm.__all_states__}


def say(key: str, **params: Any) -> str:
    return t(f"pr_share.{key}", **params)


async def data_of(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


def draft_of(data: dict[str, Any]) -> PracticeDraft:
    return PracticeDraft.from_dict(data.get("draft"))


async def keep(state: FSMContext, data: dict[str, Any], **changes: Any) -> dict[str, Any]:
    data = {**data, **changes}
    await state.update_data({KEY: data})
    return data


async def leave(state: FSMContext) -> None:
    await state.set_state(None)
    await state.update_data({KEY: None})


def following(step: State, data: dict[str, Any]) -> State:
    """The question after `step`: the summary when a field was being changed from it."""
    if data.get("editing") or step == ORDER[-1]:
        return PracticeForm.summary
    return ORDER[ORDER.index(step) + 1]


# --- the screens ---------------------------------------------------------------------------


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    data = ShareCb(action=action, value=value).pack()
    return InlineKeyboardButton(text=text, callback_data=data)


def attachments_line(draft: PracticeDraft) -> str:
    if draft.document_file_id:
        return say("summary.document", name=html.escape(draft.document_name or ""))
    if draft.photos:
        return plural(len(draft.photos), "practices.plural.photo")
    return say("summary.no_attachments")


def summary_text(data: dict[str, Any]) -> str:
    draft = draft_of(data)
    text = say(
        "summary.text",
        title=html.escape(draft.title or ""),
        category=html.escape(category_name(draft.category or "other")),
        what_done=html.escape(draft.what_done or ""),
        result=html.escape(draft.result or ""),
        attachments=attachments_line(draft),
        contact=say("summary.contact_yes" if draft.contact_offer else "summary.contact_no"),
    )
    if data.get("comment"):
        text = say("summary.returned", comment=html.escape(data["comment"])) + text
    return text


def summary_keyboard() -> InlineKeyboardMarkup:
    rows = [
        [_button(say("button.send"), "send")],
        [_button(say("button.edit"), "edit")],
        [_button(say("button.cancel"), "cancel")],
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def fields_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in FIELDS:
        builder.add(_button(say(f"field_button.{field}"), "edit", field))
    builder.adjust(2)
    builder.row(_button(say("button.back"), "edit", "back"))
    return builder.as_markup()


def _attachments(draft: PracticeDraft) -> tuple[str, list[list[InlineKeyboardButton]]]:
    if draft.document_file_id:
        text = say("ask.attachments_document", name=html.escape(draft.document_name or ""))
    elif draft.photos:
        text = say("ask.attachments_kept", what=attachments_line(draft))
    else:
        return say("ask.attachments"), [[_button(say("button.skip"), "skip")]]
    return text, [[_button(say("button.done"), "done")], [_button(say("button.drop"), "drop")]]


def question(
    step: State, data: dict[str, Any], rules: PracticeRules
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The text and buttons of `step`, drawn from the kept answers."""
    if step == PracticeForm.summary:
        return summary_text(data), summary_keyboard()
    name = (step.state or "").split(":", 1)[1]
    rows: list[list[InlineKeyboardButton]] = []
    text = say(f"ask.{name}")
    if step == PracticeForm.category:
        builder = InlineKeyboardBuilder()
        for code, title in categories(rules):
            builder.add(_button(title, "cat", code))
        builder.adjust(2)
        rows = [list(row) for row in builder.as_markup().inline_keyboard]
    elif step == PracticeForm.attachments:
        text, rows = _attachments(draft_of(data))
    elif step == PracticeForm.contact:
        rows = [[_button(say("button.contact_yes"), "contact", "yes")]]
        rows.append([_button(say("button.contact_no"), "contact", "no")])
    if data.get("editing"):
        rows.append([_button(say("button.back"), "edit", "back")])
    return text, InlineKeyboardMarkup(inline_keyboard=rows) if rows else None


async def _edited(
    bot: Bot, chat_id: int, message_id: int, text: str, markup: InlineKeyboardMarkup | None
) -> bool:
    try:
        await bot.edit_message_text(
            text, chat_id=chat_id, message_id=message_id, reply_markup=markup
        )
    except TelegramBadRequest as error:
        return "not modified" in error.message
    return True


async def ask(
    step: State,
    data: dict[str, Any],
    state: FSMContext,
    bot: Bot,
    chat_id: int,
    rules: PracticeRules,
    *,
    query: CallbackQuery | None = None,
    ack: str | None = None,
    complaint: str | None = None,
    in_place: bool = False,
) -> None:
    """Move to `step` and ask it — one message per question: in place of the pressed
    message (a button), of the question itself (`in_place`: the next photo of an album),
    or under the person's answer with the question's old copy removed."""
    text, markup = question(step, data, rules)
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    elif ack:
        text = f"{ack}\n\n{text}"
    old = data.get("msg")
    if query is not None:
        shown = await show_in_place(bot, query, text, markup)
    elif in_place and old and await _edited(bot, chat_id, old, text, markup):
        shown = old
    else:
        shown = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
    await state.set_state(step)
    await keep(state, data, msg=shown)
    if shown != old and old and query is None:
        await remove_message(bot, chat_id, old)
