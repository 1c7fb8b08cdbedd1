"""Submitting a mandate (`/mandate`): the summary — change a field, cancel, send, or support
a similar open mandate instead — and the router of the whole flow (the questions are in
`form`, the answers in `answers`)."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.config import Settings
from bot.services.errors import DomainError, InvalidInput
from bot.services.mandates.draft import MandateDraft, MandateRules, OnBehalf
from bot.services.mandates.queries import NUMBER_PATTERN
from bot.services.mandates.records import who_answers
from bot.services.mandates.similarity import find_similar, support_mandate
from bot.services.mandates.submission import submit_mandate
from bot.services.people import Person
from bot.services.working_days import last_day_to_answer
from bot.texts import plural, shorten, t
from handlers.callbacks import SubmitCb
from handlers.common import show_menu
from handlers.filters import Onboarded
from handlers.mandates import my_list, unfinished  # noqa: F401  (registers the drafts)
from handlers.mandates.answers import (
    address_received,
    behalf_chosen,
    category_chosen,
    has_draft,
    location_received,
    media_at_text,
    phone_skipped,
    photo_as_file,
    photo_received,
    photos_done,
    text_received,
    voice_received,
    voter_name_received,
    voter_phone_received,
)
from handlers.mandates.form import (
    EDITABLE,
    VOTER_FIELDS,
    MandateForm,
    ask,
    ask_same,
    current_step,
    draft_of,
    fields_keyboard,
    keep,
    say,
    similar_keyboard,
    similar_text,
    summary_text,
)
from handlers.mandates.lists import find_number
from handlers.mandates.submit_branch import BRANCH, begin
from handlers.replies import (
    error_text,
    free_input,
    remove_message,
    show_in_place,
    with_note,
)


async def edit_field(
    query: CallbackQuery,
    callback_data: SubmitCb,
    state: FSMContext,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    draft, _ = await draft_of(state)
    field = callback_data.value
    await query.answer()
    if field == "back" or (field in VOTER_FIELDS and draft.on_behalf != OnBehalf.VOTER):
        await state.update_data(editing=None)
        await ask(MandateForm.summary, state, bot, mandate_rules, query=query)
        return
    if field not in EDITABLE:  # «Изменить» itself: which field?
        await state.set_state(MandateForm.summary)
        text = f"{summary_text(draft)}\n\n{say('summary.edit_ask')}"
        await show_in_place(bot, query, text, fields_keyboard(draft))
        return
    if field == "photos":  # new photos replace the old ones
        draft.photos = []
        await keep(state, draft)
    await state.update_data(editing=field)
    ack = say("editing", field=say(f"field.{field}"))
    await ask(EDITABLE[field], state, bot, mandate_rules, query=query, ack=ack)


async def cancel_draft(
    query: CallbackQuery, message: Message, state: FSMContext, person: Person, bot: Bot
) -> None:
    await state.clear()
    await query.answer()
    await show_in_place(bot, query, say("cancelled"))
    await show_menu(message, person, bot)


SIMILAR_PREVIEW = 100


def _preview(text: str) -> str:
    return shorten(text, SIMILAR_PREVIEW)


async def send(
    query: CallbackQuery,
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    mandate_rules: MandateRules,
    settings: Settings,
) -> None:
    draft, data = await draft_of(state)
    try:
        clean = draft.validated(mandate_rules)
    except InvalidInput as error:
        await query.answer(error_text(error), show_alert=True)
        return
    similar = await find_similar(session, person, clean, clock.now(), data.get(BRANCH))
    if not similar:
        await _submit(
            query, message, state, person, session, clock, bot, clean, mandate_rules, settings
        )
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
    await show_in_place(bot, query, similar_text(offered), similar_keyboard({"similar": offered}))


async def similar_chosen(
    query: CallbackQuery,
    message: Message,
    callback_data: SubmitCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    mandate_rules: MandateRules,
    settings: Settings,
) -> None:
    draft, data = await draft_of(state)
    if callback_data.value == "new":
        await _submit(
            query, message, state, person, session, clock, bot, draft, mandate_rules, settings
        )
        return
    offered = {str(item["id"]) for item in data.get("similar", [])}
    if callback_data.value not in offered:  # forged, or from an older offer
        await query.answer(say("stale_step"), show_alert=True)
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
        text = say("similar.supported", number=number, supporters=supporters)
    else:
        text = say("similar.already_supported", number=number)
    await show_in_place(bot, query, text)
    await show_menu(message, person, bot)


async def _submit(
    query: CallbackQuery,
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    draft: MandateDraft,
    mandate_rules: MandateRules,
    settings: Settings,
) -> None:
    try:
        mandate = await submit_mandate(
            session,
            person,
            draft,
            clock.now(),
            mandate_rules,
            admin_ids=settings.admin_ids,
            branch_id=(await state.get_data()).get(BRANCH),
        )
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await state.clear()
    await query.answer()
    day = last_day_to_answer(mandate.due_at, person.timezone).strftime("%d.%m.%Y")
    who = t(f"mandates.answerer.{await who_answers(session, mandate.branch_id)}")
    text = say("sent", number=html.escape(mandate.number), day=day, who=who)
    await show_in_place(bot, query, text)
    await show_menu(message, person, bot)


async def draft_choice(
    query: CallbackQuery,
    message: Message,
    callback_data: SubmitCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    """A draft left midway: from «continue or delete?» of /mandate, "resume" or "new"
    (delete it and start anew); from «Мои наказы», "go" (continue) or "drop". Continuing
    asks the draft's question again, at the bottom, in place of its old copy."""
    step = current_step(await state.get_state())
    if step is None or not await has_draft(state):
        await query.answer(say("stale"), show_alert=True)
        return
    await query.answer()
    value = callback_data.value
    if value == "new":  # the old draft and its question go; a new one begins here
        asked = (await state.get_data()).get("asked") or {}
        for old in (asked.get("id"), message.message_id):
            if old:
                await remove_message(bot, message.chat.id, old)
        await state.clear()
        await begin(message, state, person, session, bot, mandate_rules, ask_first=False)
    elif value == "drop":
        asked = (await state.get_data()).get("asked") or {}
        if asked.get("id"):
            await remove_message(bot, message.chat.id, asked["id"])
        await state.clear()
        text, markup = await my_list.render(session, person, clock, 1, state)
        await show_in_place(bot, query, with_note(text, say("unfinished.dropped")), markup)
    else:  # resume: the choice goes, the question comes again under it
        if step == MandateForm.similar:
            step = MandateForm.summary
        if value == "resume":  # the «continue or delete?» question is answered: it goes
            await remove_message(bot, message.chat.id, message.message_id)
        await ask(step, state, bot, mandate_rules, message=message, ack=say("unfinished.resumed"))


def _wrong(key: str) -> Callable[..., Any]:
    async def handler(
        message: Message, state: FSMContext, bot: Bot, mandate_rules: MandateRules
    ) -> None:
        await ask_same(message, state, bot, mandate_rules, say(f"wrong.{key}"))

    handler.__name__ = f"wrong_{key}"
    return handler


async def stale_button(query: CallbackQuery, state: FSMContext) -> None:
    """A submission button from a step that is over, a finished draft, or forged data:
    answered, and nothing changes."""
    in_flow = (await state.get_state() or "").startswith(f"{MandateForm.__full_group_name__}:")
    await query.answer(say("stale_step") if in_flow else say("stale"), show_alert=True)


def create_router() -> Router:
    router = Router(name="mandate_submit")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    cb = SubmitCb.filter
    form = MandateForm

    # «/mandate 20-03/2026/0015» finds that mandate; /mandate alone starts a new one.
    router.message.register(find_number, Command("mandate", magic=F.args.regexp(NUMBER_PATTERN)))
    router.message.register(begin, Command("mandate"))
    router.message.register(begin, F.text == t("menu.mandate_new"))

    router.callback_query.register(category_chosen, cb(F.action == "cat"), form.category)
    router.message.register(_wrong("buttons"), form.category, answer)

    router.message.register(text_received, form.text, F.text, answer)
    router.message.register(media_at_text, form.text, F.photo | F.voice)
    router.message.register(_wrong("text"), form.text, answer)

    router.message.register(location_received, form.address, F.location)
    router.message.register(address_received, form.address, F.text, answer)
    router.message.register(_wrong("address"), form.address, answer)

    router.message.register(photo_received, form.photos, F.photo)
    router.message.register(voice_received, form.photos, F.voice)
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

    router.callback_query.register(draft_choice, cb(F.action == "draft"))
    router.callback_query.register(stale_button, cb())
    return router
