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


# Handler flag: the handler writes nothing (help, a menu, a list, a card), so it runs on the
# update's read session and takes no write turn; a write from it fails loudly.
READS_ONLY = {"reads_only": True}
