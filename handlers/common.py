"""Commands that work from anywhere: /cancel, /menu, /help. Included first, so /cancel
leaves any flow whatever state it is in."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import Settings
from bot.services.people import Person, Role, get_user, load_person
from bot.texts import t
from handlers.filters import reads_only
from handlers.menus import (
    keyboard_changed,
    menu_keyboard,
    menu_text,
    person_keyboard,
    set_commands_for,
)
from handlers.replies import leave_for_menu, resume_interrupted, with_note


async def reload_person(session: AsyncSession, person_id: int, settings: Settings) -> Person:
    """The person again, after an action changed their roles or consent."""
    return await load_person(
        session,
        await get_user(session, person_id),
        admin_ids=settings.admin_ids,
        consent_version=settings.consent_version,
        default_timezone=settings.default_timezone,
    )


async def show_menu(message: Message, person: Person, bot: Bot, text: str | None = None) -> None:
    """Back at the menu after a flow finished (the flow has said how it ended). The menu
    itself is posted only when the person's keyboard must change, e.g. a new role or a
    withdrawn consent; `text`, an answer the person waits for, is always sent, carrying the
    keyboard only when it changed."""
    await set_commands_for(bot, person)
    keyboard = person_keyboard(person)
    changed = keyboard_changed(bot, person.id, keyboard)
    if text is None and not changed:
        return
    await message.answer(text or menu_text(person), reply_markup=keyboard if changed else None)


async def open_menu(message: Message, person: Person, bot: Bot, note: str | None = None) -> None:
    """The menu the person asked for (/menu, /start): always posted, with its keyboard;
    `note` says what was left unfinished (a draft, a half-written text)."""
    await set_commands_for(bot, person)
    await message.answer(with_note(menu_text(person), note), reply_markup=menu_keyboard(person))


def onboarding_hint(person: Person | None) -> str:
    """What someone not onboarded yet must do first: only the step they miss, so a member
    who withdrew consent is not told to join the branch she is in."""
    if person is not None and person.roles and not person.consent_given:
        return t("common.need_consent")
    if person is not None and person.consent_given and not person.roles:
        return t("common.need_branch")
    return t("common.need_onboarding")


async def cancel(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    was_in_flow = await state.get_state() is not None
    # In a side question only the question is cancelled: the flow it interrupted comes back.
    note = await resume_interrupted(state)
    if note is None:
        await state.clear()
    if not person.onboarded:
        await message.answer(t("common.cancelled") if was_in_flow else onboarding_hint(person))
        return
    said = t("common.cancelled") if was_in_flow else t("common.nothing_to_cancel")
    await show_menu(message, person, bot, with_note(said, note))


async def menu(message: Message, state: FSMContext, person: Person, bot: Bot) -> None:
    if not person.onboarded:
        await message.answer(onboarding_hint(person))
        return
    note = await leave_for_menu(state)  # a draft or a half-written text is kept, and said
    await open_menu(message, person, bot, note)


async def help_(message: Message, person: Person) -> None:
    parts = [t("common.help.header"), t("common.help.all")]
    roles = person.roles if person.consent_given else frozenset()
    parts += [
        t(f"common.help.{role}")
        for role in (Role.MEMBER, Role.SECRETARY, Role.CURATOR, Role.ADMIN)
        if role in roles
    ]
    if not roles:
        parts.append(t("common.help.no_consent" if person.roles else "common.help.none"))
    await message.answer("\n".join(parts))


def create_router() -> Router:
    router = Router(name="common")
    router.message.filter(F.chat.type == "private")
    router.message.register(cancel, Command("cancel"))
    router.message.register(menu, Command("menu"))
    router.message.register(help_, Command("help"), flags=reads_only())
    router.message.register(help_, F.text == t("menu.help"), flags=reads_only())
    return router
