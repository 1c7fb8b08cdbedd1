"""A mandate's lifecycle: its statuses, the changes allowed between them, and what a person
may do with one now.

    new ──accept──▶ accepted ──resolve──▶ resolved ──rate «нет»/1–2──▶ accepted
     │                 │ └──forward──▶ forwarded ──resolve/reject──▶ …
     │                 └──reject──▶ rejected
     ├──reject / forward
     └─ new, accepted, forwarded ──ask──▶ clarification ──answer──▶ the status before

A change not allowed from the current status (a double tap on «Принять», resolving a
rejected one) raises `DomainError("transition_not_allowed", number=…, status=…)` and changes
nothing; a concurrent second change is refused the same way (compare-and-set on the
status, `records.set_status`). The changes themselves are in `decisions`.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.mandates.access import Action, allowed
from bot.services.mandates.records import load_mandate, not_allowed, require_for
from bot.services.people import Person
from storage.models import Mandate


class MandateStatus(StrEnum):
    NEW = "new"
    ACCEPTED = "accepted"
    CLARIFICATION = "clarification"
    RESOLVED = "resolved"
    REJECTED = "rejected"
    FORWARDED = "forwarded"


S = MandateStatus


# Waiting on the branch or the author: the secretary's inbox.
OPEN_STATUSES = frozenset({S.NEW, S.ACCEPTED, S.CLARIFICATION})


# Not finished: open, or with an authority. Candidates for support instead of a duplicate.
UNFINISHED_STATUSES = OPEN_STATUSES | {S.FORWARDED}


CLOSED_STATUSES = frozenset({S.RESOLVED, S.REJECTED})


# The secretary's (or an admin's) decisions: action → (target status, allowed from).
TRANSITIONS: dict[str, tuple[MandateStatus, frozenset[MandateStatus]]] = {
    "accept": (S.ACCEPTED, frozenset({S.NEW})),
    "resolve": (S.RESOLVED, frozenset({S.ACCEPTED, S.FORWARDED})),
    "reject": (S.REJECTED, frozenset({S.NEW, S.ACCEPTED, S.FORWARDED})),
    "forward": (S.FORWARDED, frozenset({S.NEW, S.ACCEPTED})),
    "ask": (S.CLARIFICATION, frozenset({S.NEW, S.ACCEPTED, S.FORWARDED})),
}


# History action names for each decision.
EVENT_NAMES = {
    "accept": "accepted",
    "resolve": "resolved",
    "reject": "rejected",
    "forward": "forwarded",
    "ask": "clarification_asked",
}


def is_overdue(mandate: Mandate, now: datetime) -> bool:
    """No first answer yet and the deadline has passed."""
    return mandate.first_answered_at is None and now >= mandate.due_at


def available_actions(
    person: Person, mandate: Mandate, region_id: int, *, has_secretary: bool = True
) -> frozenset[str]:
    """What the person may do with the mandate now, to show only the buttons that work:
    "accept", "resolve", "reject", "forward", "ask", "answer", "rate", "comment",
    "support". A comment is a remark for the secretary, so a branch without one offers
    none (its curators act on the mandate themselves). The services check again when the
    button is pressed."""

    def may(action: Action) -> bool:
        return allowed(
            person,
            action,
            branch_id=mandate.branch_id,
            region_id=region_id,
            author_id=mandate.author_id,
            has_secretary=has_secretary,
        )

    found: set[str] = set()
    if may(Action.MANAGE):
        found.update(name for name, (_, src) in TRANSITIONS.items() if mandate.status in src)
    if may(Action.ANSWER) and mandate.status == S.CLARIFICATION:
        found.add("answer")
    if may(Action.RATE) and mandate.status == S.RESOLVED and mandate.rated_at is None:
        found.add("rate")
    if may(Action.COMMENT) and has_secretary:
        found.add("comment")
    if may(Action.SUPPORT) and mandate.status in UNFINISHED_STATUSES:
        found.add("support")
    return frozenset(found)


# Which access rule each action of `available_actions` needs.
_ACTION_RULE = {
    **dict.fromkeys(TRANSITIONS, Action.MANAGE),
    "answer": Action.ANSWER,
    "rate": Action.RATE,
    "comment": Action.COMMENT,
    "support": Action.SUPPORT,
}


async def check_action(
    session: AsyncSession, person: Person, mandate_id: int, action: str
) -> Mandate:
    """Refuse now, changing nothing, what doing `action` would refuse: for the chat flows
    that ask for a text (a question, a reason) before they act, so a forged or stale
    button is refused before anyone types. Errors: `mandate_not_found`, AccessDenied,
    `transition_not_allowed`; the action itself checks again when it runs."""
    loaded = await load_mandate(session, mandate_id)
    require_for(person, _ACTION_RULE[action], loaded)
    possible = available_actions(
        person, loaded.mandate, loaded.region_id, has_secretary=loaded.has_secretary
    )
    if action not in possible:
        raise not_allowed(loaded.mandate)
    return loaded.mandate
