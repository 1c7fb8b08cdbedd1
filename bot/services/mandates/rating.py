"""The author's rating of a resolved mandate, as the author meets it: the question's
buttons (stars, 5 the best, and «не решён»), and the optional words on what went wrong
after a low rating, which reach the secretary. The rating itself is
`decisions.rate_mandate`."""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import DomainError
from bot.services.mandates import records
from bot.services.mandates.access import Action
from bot.services.mandates.draft import validate_note
from bot.services.outbox import Button, Notice, enqueue
from bot.services.people import Person
from bot.texts import t
from storage.models import Mandate, MandateEvent

RATE_CB = "mdr"  # as `notices.rate_cb`: `mdr:<id>:<score>`, 0 for «не решён»
LOW = 2  # a rating this low or lower reopens the mandate and asks what went wrong


def stars(score: int) -> str:
    return "⭐" * score


def rating_buttons(mandate_id: int) -> list[list[Button]]:
    """One button a row, best first, each with its stars and its word — a big target and
    no doubt which end is good — then «не решён»."""
    rows = [
        [Button(t(f"mandates.rating.button_{s}", stars=stars(s)), f"{RATE_CB}:{mandate_id}:{s}")]
        for s in range(5, 0, -1)
    ]
    rows.append([Button(t("mandates.rating.button_no"), f"{RATE_CB}:{mandate_id}:0")])
    return rows


def is_low(score: int | None) -> bool:
    """«не решён» (None) or 1–2: the mandate went back to work; the author is asked why."""
    return score is None or score <= LOW


async def explain_rating(
    session: AsyncSession, person: Person, mandate_id: int, text: str, now: datetime
) -> Mandate:
    """The author's words on what went wrong, after a low rating: kept as the comment of
    the rating's history line and sent to the branch's secretaries.

    Errors: `mandate_note_empty` / `mandate_note_too_long` (the text), AccessDenied,
    `rating_not_found` (no rating of theirs waits for words), `rating_explained` (already
    given)."""
    comment = validate_note(text)
    loaded = await records.load_mandate(session, mandate_id)
    mandate = loaded.mandate
    records.require_for(person, Action.RATE, loaded)
    event = await session.scalar(
        select(MandateEvent)
        .where(
            MandateEvent.mandate_id == mandate.id,
            MandateEvent.actor_id == person.id,
            MandateEvent.action.in_(("rated", "reopened")),
        )
        .order_by(MandateEvent.created_at.desc(), MandateEvent.id.desc())
        .limit(1)
    )
    number = html.escape(mandate.number)
    if event is None:
        raise DomainError("rating_not_found", number=number)
    if event.comment:
        raise DomainError("rating_explained", number=number)
    event.comment = comment
    text_for_staff = t(
        "mandates.notice.rating_explained",
        number=number,
        rating=t("mandates.rating.no") if event.rating is None else f"{event.rating} из 5",
        comment=html.escape(comment),
    )
    open_button = [[Button(t("mandates.button.open"), f"md:open:{mandate.id}")]]
    chats = await records.staff_chats(session, mandate.branch_id)
    await enqueue(
        session,
        now,
        *(Notice(c, text_for_staff, buttons=open_button) for c in chats if c != person.id),
    )
    return mandate
