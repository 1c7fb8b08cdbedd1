"""The secretaries' questions waiting for an author's answer, so that an answer can be
typed straight into the chat: which mandates of theirs are in `clarification`, and which
one a reply to a question's message is about. The answer itself is
`decisions.answer_clarification`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.mandates.lifecycle import S
from bot.services.people import Person
from storage.models import Mandate, MandateEvent

# A mandate's number as the bot writes it: `<branch>/<year>/<sequence>` («20-03/2026/0015»).
NUMBER_RE = re.compile(r"№\s*([^\s/]+/\d{4}/\d{4,})")


@dataclass(frozen=True, slots=True)
class OpenQuestion:
    mandate_id: int
    number: str
    question: str  # raw: escape for HTML


async def open_questions(session: AsyncSession, person: Person) -> list[OpenQuestion]:
    """The person's own mandates waiting for their answer, the oldest question first."""
    rows = (
        await session.execute(
            select(Mandate.id, Mandate.number).where(
                Mandate.author_id == person.id, Mandate.status == S.CLARIFICATION
            )
        )
    ).all()
    found = []
    for mandate_id, number in rows:
        asked = (
            await session.execute(
                select(MandateEvent.comment, MandateEvent.created_at)
                .where(
                    MandateEvent.mandate_id == mandate_id,
                    MandateEvent.action == "clarification_asked",
                )
                .order_by(MandateEvent.created_at.desc(), MandateEvent.id.desc())
                .limit(1)
            )
        ).first()
        question, asked_at = (asked[0] or "", asked[1]) if asked else ("", None)
        found.append((asked_at is None, asked_at, OpenQuestion(mandate_id, number, question)))
    found.sort(key=lambda item: (item[0], item[1] or 0))
    return [question for *_, question in found]


def numbers_in(text: str | None) -> list[str]:
    """Mandate numbers named in a message the bot wrote."""
    return NUMBER_RE.findall(text or "")
