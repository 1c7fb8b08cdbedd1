"""Changing a mandate: the secretary's decisions, the author's answer and rating, the
curator's comment. Plain async functions over an `AsyncSession`; no aiogram.

Every function takes the session first, the acting `Person` and `now` (aware UTC). Access
is checked by `access` on every call: a mandate outside the person's scope raises
`AccessDenied` (`errors.access_denied`) and nothing changes; an unknown id raises
`NotFound("mandate_not_found")`. The allowed changes are `lifecycle.TRANSITIONS`; the
first change away from `new` sets `first_answered_at`. Each change adds a `MandateEvent`
and queues the notices it owes (`notices`) in the same transaction.

Callback data the notices carry: `md:<action>:<id>` and `mdr:<id>:<score>` — see
`bot.services.mandates.notices` for the exact list.
"""

from __future__ import annotations

import html
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import DomainError, InvalidInput
from bot.services.mandates import notices
from bot.services.mandates.access import Action, ActorRole
from bot.services.mandates.draft import AUTHORITY_MAX, validate_note
from bot.services.mandates.lifecycle import CLOSED_STATUSES, EVENT_NAMES, TRANSITIONS, S
from bot.services.mandates.records import (
    load_mandate,
    new_event,
    not_allowed,
    require_for,
    set_status,
    staff_chats,
)
from bot.services.outbox import enqueue
from bot.services.people import Person, secretaries_of
from storage.models import Mandate, MandateEvent


async def _decide(
    session: AsyncSession,
    person: Person,
    mandate_id: int,
    now: datetime,
    action: str,
    *,
    comment: str | None = None,
    forwarded_to: str | None = None,
) -> Mandate:
    loaded = await load_mandate(session, mandate_id)
    mandate = loaded.mandate
    role = require_for(person, Action.MANAGE, loaded)
    target, sources = TRANSITIONS[action]
    if mandate.status not in sources:
        raise not_allowed(mandate)
    before = mandate.status
    values: dict[str, object] = {
        "status": target,
        "updated_at": now,
        "first_answered_at": mandate.first_answered_at or now,
    }
    if target in CLOSED_STATUSES:
        values["closed_at"] = now
    if target == S.RESOLVED:  # a new resolution gets a new rating
        values["rating"] = values["rated_at"] = None
    if target == S.CLARIFICATION:
        values["status_before_clarification"] = before
    if forwarded_to is not None:
        values["forwarded_to"] = forwarded_to
    await set_status(session, mandate, **values)
    session.add(
        new_event(
            mandate,
            person,
            role,
            EVENT_NAMES[action],
            now,
            from_status=before,
            to_status=target,
            comment=comment,
        )
    )
    if mandate.author_id != person.id:
        await enqueue(session, now, notices.status_changed(mandate, comment))
    else:
        await session.flush()
    return mandate


async def accept_mandate(
    session: AsyncSession,
    person: Person,
    mandate_id: int,
    now: datetime,
    comment: str | None = None,
) -> Mandate:
    """new → accepted («в работе»). The comment is optional."""
    note = validate_note(comment) if comment else None
    return await _decide(session, person, mandate_id, now, "accept", comment=note)


async def resolve_mandate(
    session: AsyncSession, person: Person, mandate_id: int, comment: str, now: datetime
) -> Mandate:
    """accepted/forwarded → resolved, with a required comment; the author is asked to rate."""
    note = validate_note(comment)
    return await _decide(session, person, mandate_id, now, "resolve", comment=note)


async def reject_mandate(
    session: AsyncSession, person: Person, mandate_id: int, reason: str, now: datetime
) -> Mandate:
    """new/accepted/forwarded → rejected, with a required reason."""
    note = validate_note(reason)
    return await _decide(session, person, mandate_id, now, "reject", comment=note)


async def forward_mandate(
    session: AsyncSession,
    person: Person,
    mandate_id: int,
    authority: str,
    now: datetime,
    comment: str | None = None,
) -> Mandate:
    """new/accepted → forwarded to a named authority (required), with an optional comment."""
    to = validate_note(authority, max_length=AUTHORITY_MAX)
    note = validate_note(comment) if comment else None
    return await _decide(session, person, mandate_id, now, "forward", comment=note, forwarded_to=to)


async def ask_clarification(
    session: AsyncSession, person: Person, mandate_id: int, question: str, now: datetime
) -> Mandate:
    """new/accepted/forwarded → clarification: the author gets the question with an
    «Ответить» button (`md:answer:<id>`)."""
    note = validate_note(question)
    return await _decide(session, person, mandate_id, now, "ask", comment=note)


async def answer_clarification(
    session: AsyncSession, person: Person, mandate_id: int, text: str, now: datetime
) -> Mandate:
    """The author answers the question: clarification → the status before it. The answer
    goes to the branch's secretaries and to whoever asked."""
    answer = validate_note(text)
    loaded = await load_mandate(session, mandate_id)
    mandate = loaded.mandate
    role = require_for(person, Action.ANSWER, loaded)
    if mandate.status != S.CLARIFICATION:
        raise not_allowed(mandate)
    back_to = mandate.status_before_clarification or S.ACCEPTED
    await set_status(
        session, mandate, status=back_to, status_before_clarification=None, updated_at=now
    )
    asker = await session.scalar(
        select(MandateEvent.actor_id)
        .where(MandateEvent.mandate_id == mandate.id, MandateEvent.action == "clarification_asked")
        .order_by(MandateEvent.created_at.desc(), MandateEvent.id.desc())
        .limit(1)
    )
    session.add(
        new_event(
            mandate,
            person,
            role,
            "clarification_answered",
            now,
            from_status=S.CLARIFICATION,
            to_status=back_to,
            comment=answer,
        )
    )
    chats = await staff_chats(session, mandate.branch_id, asker)
    await enqueue(
        session,
        now,
        *(notices.clarification_answered(c, mandate, answer) for c in chats if c != person.id),
    )
    return mandate


async def comment_mandate(
    session: AsyncSession, person: Person, mandate_id: int, text: str, now: datetime
) -> Mandate:
    """A curator's (or admin's) remark: kept in the history, sent to the branch's
    secretaries, not shown to the author. Allowed in any status."""
    comment = validate_note(text)
    loaded = await load_mandate(session, mandate_id)
    mandate = loaded.mandate
    role = require_for(person, Action.COMMENT, loaded)
    session.add(new_event(mandate, person, role, "comment", now, comment=comment))
    chats = await secretaries_of(session, mandate.branch_id)
    by_curator = role == ActorRole.CURATOR
    await enqueue(
        session,
        now,
        *(
            notices.commented(c, mandate, comment, by_curator=by_curator)
            for c in chats
            if c != person.id
        ),
    )
    return mandate


async def rate_mandate(
    session: AsyncSession, person: Person, mandate_id: int, rating: int | None, now: datetime
) -> Mandate:
    """The author's answer to «Удалось решить вопрос?»: 1–5, or None for «Нет».

    «Нет» or 1–2 reopen the mandate (resolved → accepted); the secretaries are told either
    way. Errors: `rating_invalid`, `already_rated` (a second tap), `transition_not_allowed`
    (not resolved)."""
    if rating is not None and not 1 <= rating <= 5:
        raise InvalidInput("rating_invalid")
    loaded = await load_mandate(session, mandate_id)
    mandate = loaded.mandate
    role = require_for(person, Action.RATE, loaded)
    if mandate.rated_at is not None:
        raise DomainError("already_rated", number=html.escape(mandate.number))
    if mandate.status != S.RESOLVED:
        raise not_allowed(mandate)
    reopen = rating is None or rating <= 2
    values: dict[str, object] = {"rating": rating, "rated_at": now, "updated_at": now}
    if reopen:
        values.update(status=S.ACCEPTED, closed_at=None)
    await set_status(session, mandate, **values)
    session.add(
        new_event(
            mandate,
            person,
            role,
            "reopened" if reopen else "rated",
            now,
            from_status=S.RESOLVED if reopen else None,
            to_status=S.ACCEPTED if reopen else None,
            rating=rating,
        )
    )
    chats = await staff_chats(session, mandate.branch_id)
    await enqueue(
        session,
        now,
        *(notices.rated(c, mandate, rating, reopen) for c in chats if c != person.id),
    )
    return mandate
