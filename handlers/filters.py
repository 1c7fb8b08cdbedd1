from __future__ import annotations

from aiogram.filters import Filter
from aiogram.types import TelegramObject

from bot.services.people import Person


class Onboarded(Filter):
    """The person gave consent and holds a role; others are sent to /start by the fallback."""

    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and person.onboarded


class IsAdmin(Filter):
    async def __call__(self, event: TelegramObject, person: Person | None = None) -> bool:
        return person is not None and person.is_admin and bool(person.consent_given)


def reads_only() -> dict[str, object]:
    """Handler flags: the handler writes nothing (help, a list, a card), so it runs on the
    update's read session and takes no write turn; a write from it fails loudly. A new dict
    each time: aiogram's filters add their own flags to it (Command adds "commands")."""
    return {"reads_only": True}
