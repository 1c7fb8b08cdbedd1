"""«Связаться с автором»: a reader's message relayed to the author through the bot.

Only when the author offered it (`contact_offer`), only for published practices, never
to oneself. Neither side learns the other's account: the author sees the message signed
with the reader's branch and region (or «участник партии» when the reader acts for no
branch); the reader sees nothing of the author. One way for now: a reply would need the
pair of accounts kept somewhere the chat cannot read it back, which is not built yet.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import NotFound
from bot.services.mandates.draft import visible
from bot.services.outbox import enqueue
from bot.services.people import Person
from bot.services.practices import notices
from bot.services.practices.access import PUBLISHED, home_branch
from bot.services.practices.errors import PracticeError
from bot.services.practices.records import load, origin_of
from bot.services.practices.rules import COMMENT_MAX

MESSAGE_MIN = 5


def validate_message(text: str | None) -> str:
    """Errors: `message_too_short` (with `min`), `message_too_long` (with `max`)."""
    cleaned = visible(text or "")
    if len(cleaned) < MESSAGE_MIN:
        raise PracticeError("message_too_short", min=MESSAGE_MIN)
    if len(cleaned) > COMMENT_MAX:
        raise PracticeError("message_too_long", max=COMMENT_MAX)
    return cleaned


async def contact_author(
    session: AsyncSession, person: Person, practice_id: int, text: str, now: datetime
) -> None:
    """Errors: NotFound (not in the catalogue), `no_contact_offer`, `own_practice`, the
    message's own (`validate_message`)."""
    practice = (await load(session, practice_id)).practice
    if practice.status != PUBLISHED:
        raise NotFound("practice_not_found")
    if not practice.contact_offer:
        raise PracticeError("no_contact_offer")
    if practice.author_id == person.id:
        raise PracticeError("own_practice")
    cleaned = validate_message(text)
    branch_id = home_branch(person)
    origin = await origin_of(session, branch_id) if branch_id is not None else None
    await enqueue(session, now, notices.relayed(practice.author_id, practice, origin, cleaned))
