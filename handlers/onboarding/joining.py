"""/start: greeting, consent, invites and joining a branch."""

from __future__ import annotations

import html

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.config import Settings
from bot.services.consent import record_consent
from bot.services.errors import DomainError
from bot.services.onboarding import invites, joining
from bot.services.people import Person, Role
from bot.services.structure import queries
from bot.texts import t
from handlers import branch_picker
from handlers.callbacks import ConsentCb, PickCb
from handlers.common import reload_person, show_menu
from handlers.menus import menu_text
from handlers.replies import leave_for_menu, with_note


class Onboarding(StatesGroup):
    consent = State()
    picking = State()


async def ask_consent(message: Message, settings: Settings) -> None:
    text = t(
        "onboarding.consent",
        version=settings.consent_version,
        party=html.escape(settings.party_name),
    )
    await message.answer(text, reply_markup=consent_keyboard())


def consent_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    builder.button(text=t("onboarding.consent_accept"), callback_data=ConsentCb(accept=True))
    builder.button(text=t("onboarding.consent_decline"), callback_data=ConsentCb(accept=False))
    return builder.as_markup()


async def start_with_invite(
    message: Message, command: CommandObject, state: FSMContext, **data
) -> None:
    await state.update_data(invite=command.args)
    await proceed(message, state, **data)


async def start(message: Message, state: FSMContext, **data) -> None:
    await proceed(message, state, **data)


async def proceed(
    message: Message,
    state: FSMContext,
    *,
    person: Person,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    bot: Bot,
    **_,
) -> None:
    """The next onboarding step for this person, whatever step they stopped at."""
    if not person.consent_given:
        await state.set_state(Onboarding.consent)
        await message.answer(
            t(
                "onboarding.welcome",
                name=html.escape(person.full_name),
                party=html.escape(settings.party_name),
            )
        )
        await ask_consent(message, settings)
        return
    token = (await state.get_data()).get("invite")
    if token:
        await state.update_data(invite=None)
        try:
            redeemed = await joining.accept_invite(session, person.id, token, clock.now())
        except DomainError as error:
            said = t(f"errors.{error.code}")
        else:
            said = await _invite_result(session, redeemed)
        person = await reload_person(session, person.id, settings)
        if person.roles:  # the conversation ends with the invite, in its commit
            await state.clear()
        await message.answer(said)
    if person.roles:
        note = await leave_for_menu(state)  # a draft or a half-written text is kept, and said
        await show_menu(message, person, bot, with_note(menu_text(person), note))
        return
    await state.set_state(Onboarding.picking)
    text, markup = await branch_picker.regions(session, "join", t("onboarding.join_title"))
    await message.answer(text, reply_markup=markup)


async def _invite_result(session: AsyncSession, redeemed: invites.Redeemed) -> str:
    if not redeemed.changed:
        return t("onboarding.role_already")
    branches = [await queries.get_branch(session, b) for b in redeemed.branch_ids]
    first = branches[0]
    if redeemed.role == Role.MEMBER:
        return t(
            "onboarding.joined",
            number=html.escape(first.number),
            name=html.escape(first.name),
            local=html.escape(first.local_branch_name),
            region=html.escape(first.region_name),
        )
    if redeemed.role == Role.SECRETARY:
        return t(
            "onboarding.secretary_granted",
            number=html.escape(first.number),
            name=html.escape(first.name),
        )
    listed = ", ".join(f"№{html.escape(b.number)}" for b in branches)
    return t("onboarding.curator_granted", branches=listed)


async def consent_decision(
    query: CallbackQuery,
    message: Message,
    callback_data: ConsentCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    now = clock.now()
    await record_consent(
        session, person.id, accepted=callback_data.accept, version=settings.consent_version, now=now
    )
    when = local(now, person.timezone).strftime("%d.%m.%Y %H:%M")
    await query.answer()
    if not callback_data.accept:
        await state.clear()
        await message.edit_text(t("onboarding.consent_declined", when=when))
        return
    await message.edit_text(t("onboarding.consent_accepted", when=when))
    # The next step's state (proceed) commits after this reply, apart from the consent: a
    # crash in between leaves the consent given and the person asked for it once more.
    person = await reload_person(session, person.id, settings)
    await proceed(
        message,
        state,
        person=person,
        session=session,
        settings=settings,
        clock=clock,
        bot=bot,
    )


async def consent_status(message: Message, person: Person, settings: Settings) -> None:
    builder = InlineKeyboardBuilder()
    if person.consent_given:
        builder.button(text=t("onboarding.consent_withdraw"), callback_data=ConsentCb(accept=False))
        text = t("onboarding.consent_status_given", version=settings.consent_version)
    else:
        builder.button(text=t("onboarding.consent_give"), callback_data=ConsentCb(accept=True))
        text = t("onboarding.consent_status_missing")
    await message.answer(text, reply_markup=builder.as_markup())


async def consent_expected(message: Message, settings: Settings) -> None:
    await message.answer(t("onboarding.consent_use_buttons"))
    await ask_consent(message, settings)


async def pick(
    query: CallbackQuery,
    message: Message,
    callback_data: PickCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    settings: Settings,
    clock: Clock,
    bot: Bot,
) -> None:
    title = t("onboarding.join_title")
    if callback_data.level == "br":
        offered = (await state.get_data()).get("local_id")
        try:
            await joining.join_offered_branch(
                session, person.id, offered or 0, callback_data.id, clock.now()
            )
        except DomainError as error:
            await query.answer(t(f"errors.{error.code}"), show_alert=True)
            return
        await query.answer()
        await state.clear()  # with the joining, before the reply
        branch = await queries.get_branch(session, callback_data.id)
        await message.edit_text(
            t(
                "onboarding.joined",
                number=html.escape(branch.number),
                name=html.escape(branch.name),
                local=html.escape(branch.local_branch_name),
                region=html.escape(branch.region_name),
            )
        )
        await show_menu(message, await reload_person(session, person.id, settings), bot)
        return
    screen = await branch_picker.render(session, callback_data, title)
    await query.answer()
    if screen is None:
        return
    if callback_data.level in ("loc", "brp"):
        await state.update_data(local_id=callback_data.id)
    await message.edit_text(screen[0], reply_markup=screen[1])


async def picking_expected(message: Message, session: AsyncSession) -> None:
    await message.answer(t("picker.use_buttons"))
    text, markup = await branch_picker.regions(session, "join", t("onboarding.join_title"))
    await message.answer(text, reply_markup=markup)


def create_router() -> Router:
    router = Router(name="onboarding")
    router.message.filter(F.chat.type == "private")
    router.message.register(start_with_invite, CommandStart(deep_link=True))
    router.message.register(start, CommandStart())
    router.callback_query.register(consent_decision, ConsentCb.filter())
    router.message.register(consent_status, Command("consent"))
    router.message.register(consent_expected, Onboarding.consent)
    router.callback_query.register(pick, PickCb.filter(F.purpose == "join"), Onboarding.picking)
    router.message.register(picking_expected, Onboarding.picking)
    return router
