"""Which branch a mandate belongs to, asked before the form when there is a choice: a
curator of several branches, a member who is also staff elsewhere, an admin (whose
branches are picked region → local branch → branch). A member, or a secretary of one
branch, goes straight to the form. The service checks the branch again on sending."""

from __future__ import annotations

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.mandates.access import may_submit_to
from bot.services.mandates.draft import MandateDraft, MandateRules
from bot.services.mandates.submission import submission_branch, submission_choices
from bot.services.people import Person
from bot.texts import t
from handlers import branch_picker
from handlers.callbacks import PickCb, SubmitCb
from handlers.mandates.answers import has_draft
from handlers.mandates.form import MandateForm, ask
from handlers.replies import resume_interrupted
from storage.models import Branch

PURPOSE = "mnd"
BRANCH = "branch"  # FSM data next to the draft: the branch chosen


async def begin(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    mandate_rules: MandateRules,
    *,
    ask_first: bool = True,
) -> None:
    """/mandate: the form at once when the branch is known, else which branch. A draft
    with answers in it is not replaced without asking: continue it, or delete it — also
    when /mandate comes in a side question the draft was interrupted by."""
    await resume_interrupted(state)
    if ask_first and await has_draft(state):
        builder = InlineKeyboardBuilder()
        for value in ("resume", "new"):
            cb = SubmitCb(action="draft", value=value)
            builder.button(text=t(f"mandate_submit.button.draft.{value}"), callback_data=cb)
        builder.adjust(1)
        await message.answer(
            t("mandate_submit.unfinished.ask_draft"), reply_markup=builder.as_markup()
        )
        return
    branch = submission_branch(person)
    if branch is not None:
        await state.set_data({"draft": MandateDraft().to_dict(), BRANCH: branch})
        await ask(MandateForm.category, state, bot, mandate_rules, message=message)
        return
    choices = submission_choices(person)
    if not choices and not person.is_admin:
        await message.answer(t("mandate_work.submit_branch.none"))
        return
    await state.set_state(None)
    text, markup = await _choices_screen(session, person, choices)
    await message.answer(text, reply_markup=markup)


async def _choices_screen(
    session: AsyncSession, person: Person, choices: list[int]
) -> tuple[str, InlineKeyboardMarkup]:
    if not choices:  # an admin with no branch of their own: the picker at once
        return await branch_picker.regions(session, PURPOSE, t("mandate_work.submit_branch.title"))
    rows = (
        await session.execute(
            select(Branch.id, Branch.number, Branch.name).where(Branch.id.in_(choices))
        )
    ).all()
    names = {row.id: (row.number, row.name) for row in rows}
    builder = InlineKeyboardBuilder()
    for branch_id in choices:
        number, name = names[branch_id]
        mark = "mine" if branch_id == person.branch_id else "theirs"
        builder.row(
            InlineKeyboardButton(
                text=t(f"mandate_work.submit_branch.{mark}", number=number, name=name),
                callback_data=PickCb(purpose=PURPOSE, level="br", id=branch_id).pack(),
            )
        )
    if person.is_admin:
        builder.row(
            InlineKeyboardButton(
                text=t("mandate_work.submit_branch.other"),
                callback_data=PickCb(purpose=PURPOSE, level="regp").pack(),
            )
        )
    return t("mandate_work.submit_branch.ask"), builder.as_markup()


async def picked(
    query: CallbackQuery,
    callback_data: PickCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    mandate_rules: MandateRules,
) -> None:
    """A step of the picker, or the branch chosen: checked, then the form's first question
    in place of the choice."""
    screen = await branch_picker.render(
        session, callback_data, t("mandate_work.submit_branch.title")
    )
    if screen is not None:
        await query.answer()
        if isinstance(query.message, Message):
            await query.message.edit_text(screen[0], reply_markup=screen[1])
        return
    region_id = await session.scalar(select(Branch.region_id).where(Branch.id == callback_data.id))
    if (
        callback_data.level != "br"
        or region_id is None
        or not may_submit_to(person, callback_data.id, region_id)
    ):
        await query.answer(t("errors.access_denied"), show_alert=True)
        return
    await state.set_data({"draft": MandateDraft().to_dict(), BRANCH: callback_data.id})
    await ask(MandateForm.category, state, bot, mandate_rules, query=query)
