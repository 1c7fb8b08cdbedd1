"""Included last: whatever no other router took gets a clear answer, never silence."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.services.people import Person
from bot.texts import t
from handlers.common import onboarding_hint
from handlers.menus import menu_keyboard


async def stale_button(query: CallbackQuery) -> None:
    # An old message, a flow that was cancelled, or forged data: stop the spinner and say so.
    await query.answer(t("common.stale_button"), show_alert=True)


async def unknown_input(message: Message, person: Person | None = None) -> None:
    if message.chat.type != "private":
        return
    if person is None or not person.onboarded:
        await message.answer(onboarding_hint(person))
        return
    await message.answer(t("common.unknown_input"), reply_markup=menu_keyboard(person))


def create_router() -> Router:
    router = Router(name="fallback")
    router.callback_query.register(stale_button)
    router.message.register(unknown_input)
    return router
