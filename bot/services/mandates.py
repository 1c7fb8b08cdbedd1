"""Mandates («наказы избирателей»): submission, the secretary's decisions, the author's
answers and rating. Plain async functions over an `AsyncSession`; no aiogram.

Every function takes the session first, the acting `Person` where access matters and `now`
(aware UTC) where time matters. Access is checked by `mandate_access` on every call: a
mandate outside the person's scope raises `AccessDenied` (`errors.access_denied`) and
nothing changes; an unknown id raises `NotFound("mandate_not_found")`.

Lifecycle (`MandateStatus`):

    new ──accept──▶ accepted ──resolve──▶ resolved ──rate «нет»/1–2──▶ accepted
     │                 │ └──forward──▶ forwarded ──resolve/reject──▶ …
     │                 └──reject──▶ rejected
     ├──reject / forward
     └─ new, accepted, forwarded ──ask──▶ clarification ──answer──▶ the status before

A change not allowed from the current status (a double tap on «Принять», resolving a
rejected one) raises `DomainError("transition_not_allowed", number=…, status=…)` and changes
nothing; a concurrent second change is refused the same way (compare-and-set on the
status). The first change away from `new` sets `first_answered_at`. Each change adds a
`MandateEvent` and queues the author's notice in the same transaction.

Callback data the notices carry: `md:<action>:<id>` and `mdr:<id>:<score>` — see
`bot.services.mandate_notices` for the exact list.

Submission helpers (`MandateDraft`, `MandateRules`, `validate_text`, …) live in
`bot.services.mandate_draft`; lists and the card in
`bot.services.mandate_queries`; the `.xlsx` in `bot.services.mandate_export`.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any, NamedTuple

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local
from bot.services import mandate_notices as notices
from bot.services.errors import DomainError, InvalidInput, NotFound
from bot.services.mandate_access import Action, ActorRole, allowed, require
from bot.services.mandate_draft import (
    AUTHORITY_MAX,
    MandateDraft,
    MandateRules,
    validate_note,
)
from bot.services.outbox import enqueue
from bot.services.people import Person, curators_of, secretaries_of
from bot.services.working_days import add_working_days, last_day_to_answer
from storage.models import (
    Branch,
    Mandate,
    MandateCounter,
    MandateEvent,
    MandatePhoto,
    MandateSupporter,
    Region,
)


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
_EVENT = {
    "accept": "accepted",
    "resolve": "resolved",
    "reject": "rejected",
    "forward": "forwarded",
    "ask": "clarification_asked",
}

SIMILAR_DAYS = 30
SIMILAR_LIMIT = 3
SIMILAR_THRESHOLD = 0.3
_SIMILAR_CANDIDATES = 300  # newest candidates scored; a branch rarely has more in 30 days


def is_overdue(mandate: Mandate, now: datetime) -> bool:
    """No first answer yet and the deadline has passed."""
    return mandate.first_answered_at is None and now >= mandate.due_at


class LoadedMandate(NamedTuple):
    """A mandate with what access checks and display need of its branch."""

    mandate: Mandate
    region_id: int
    timezone: str
    branch_number: str
    branch_name: str


async def load_mandate(session: AsyncSession, mandate_id: int) -> LoadedMandate:
    """Errors: `NotFound("mandate_not_found")`. Access is the caller's to check."""
    row = (
        await session.execute(
            select(Mandate, Branch.region_id, Region.timezone, Branch.number, Branch.name)
            .join(Branch, Branch.id == Mandate.branch_id)
            .join(Region, Region.id == Branch.region_id)
            .where(Mandate.id == mandate_id)
        )
    ).one_or_none()
    if row is None:
        raise NotFound("mandate_not_found")
    return LoadedMandate(*row)


def _require(person: Person, action: Action, loaded: LoadedMandate) -> ActorRole:
    m = loaded.mandate
    return require(
        person, action, branch_id=m.branch_id, region_id=loaded.region_id, author_id=m.author_id
    )


def _not_allowed(mandate: Mandate) -> DomainError:
    return DomainError(
        "transition_not_allowed",
        number=html.escape(mandate.number),
        status=notices.status_name(mandate.status),
    )


async def _set_status(session: AsyncSession, mandate: Mandate, **values: object) -> None:
    """Compare-and-set: change the row only if its status is still the one we read, so a
    double tap or two secretaries at once make exactly one change."""
    result = await session.execute(
        update(Mandate)
        .where(Mandate.id == mandate.id, Mandate.status == mandate.status)
        .values(**values)
        .execution_options(synchronize_session="evaluate")
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        await session.refresh(mandate)
        raise _not_allowed(mandate)


def _event(
    mandate: Mandate,
    person: Person | None,
    role: ActorRole,
    action: str,
    now: datetime,
    *,
    from_status: str | None = None,
    to_status: str | None = None,
    comment: str | None = None,
    rating: int | None = None,
) -> MandateEvent:
    return MandateEvent(
        mandate_id=mandate.id,
        actor_id=person.id if person else None,
        actor_role=role,
        action=action,
        from_status=from_status,
        to_status=to_status,
        comment=comment,
        rating=rating,
        created_at=now,
    )


async def _staff_chats(session: AsyncSession, branch_id: int, *also: int | None) -> list[int]:
    """Who hears about a branch's mandates: its secretaries, or its curators when it has no
    secretary yet (so nothing waits unseen), plus anyone named in `also`."""
    chats = await secretaries_of(session, branch_id) or await curators_of(session, branch_id)
    return list(dict.fromkeys([*chats, *(c for c in also if c is not None)]))


# --- submission ----------------------------------------------------------------------------


def _upsert_insert(session: AsyncSession) -> Callable[..., Any]:
    """The dialect's INSERT, which has ON CONFLICT (SQLite 3.24+ and PostgreSQL alike)."""
    if session.bind.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


async def _next_sequence(session: AsyncSession, branch_id: int, year: int) -> int:
    """The next number in the branch's year, atomically: one upsert that either creates the
    counter at 1 or increments it, returning the new value. The row stays locked until the
    transaction ends (SQLite: BEGIN IMMEDIATE; PostgreSQL: the row lock), so two
    submissions never get the same number, and a rolled-back one leaves no gap."""
    table = MandateCounter.__table__
    statement = _upsert_insert(session)(table).values(branch_id=branch_id, year=year, last=1)
    statement = statement.on_conflict_do_update(
        index_elements=[table.c.branch_id, table.c.year],
        set_={"last": table.c.last + 1},
    ).returning(table.c.last)
    return int((await session.execute(statement)).scalar_one())


async def submit_mandate(
    session: AsyncSession, person: Person, draft: MandateDraft, now: datetime, rules: MandateRules
) -> Mandate:
    """Save a member's mandate in their branch and tell the branch's secretaries.

    The draft is validated again (`InvalidInput` as in `mandate_draft`). The number is
    `<branch number>/<year>/<4-digit sequence>` (year in the branch's time zone); `due_at` is
    `rules.sla_days` working days later (`working_days.add_working_days`). Errors:
    `mandate_no_branch` when the person is in no branch, `consent_required` without consent.
    """
    if person.branch_id is None:
        raise DomainError("mandate_no_branch")
    if not person.consent_given:
        raise DomainError("consent_required")
    clean = draft.validated(rules)
    branch_number, timezone = (
        await session.execute(
            select(Branch.number, Region.timezone)
            .join(Region, Region.id == Branch.region_id)
            .where(Branch.id == person.branch_id)
        )
    ).one()
    year = local(now, timezone).year
    sequence = await _next_sequence(session, person.branch_id, year)
    mandate = Mandate(
        number=f"{branch_number}/{year}/{sequence:04d}",
        branch_id=person.branch_id,
        author_id=person.id,
        category=clean.category,
        text=clean.text,
        address=clean.address,
        latitude=clean.latitude,
        longitude=clean.longitude,
        on_behalf=clean.on_behalf,
        voter_name=clean.voter_name,
        voter_phone=clean.voter_phone,
        status=S.NEW,
        supporters=0,
        created_at=now,
        updated_at=now,
        due_at=add_working_days(now, rules.sla_days, timezone),
    )
    session.add(mandate)
    await session.flush()
    session.add_all(
        MandatePhoto(mandate_id=mandate.id, position=i, file_id=file_id)
        for i, file_id in enumerate(clean.photos)
    )
    session.add(_event(mandate, person, ActorRole.AUTHOR, "submitted", now, to_status=S.NEW))
    last_day = last_day_to_answer(mandate.due_at, timezone).strftime("%d.%m.%Y")
    chats = await _staff_chats(session, mandate.branch_id)
    await enqueue(
        session,
        now,
        *(notices.new_mandate(c, mandate, len(clean.photos), last_day) for c in chats),
    )
    return mandate


# --- similar mandates and support --------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SimilarMandate:
    id: int
    number: str
    text: str  # raw: escape before showing with HTML
    status: str
    supporters: int
    created_at: datetime
    score: float  # 0..1, token-set Jaccard similarity


_WORD_RE = re.compile(r"[0-9]+|[a-zа-я]+")
# Words that say nothing about the problem itself (politeness, fillers, «улица», «дом»).
_STOP_WORDS = (
    "для что это как нет уже очень прошу пожалуйста нужно необходимо надо чтобы если когда "
    "только который наш ваш все есть было быть будет можно может также улица дом город район"
)


def _stem(word: str) -> str:
    # A cheap Russian "stemmer": drop the vowel ending, keep the first four letters. Crude,
    # but inflections of one word («двор», «дворе», «двора»; «освещение», «освещения»)
    # meet, which is what matching short complaints needs.
    if word.isdigit():
        return word
    return word.rstrip("аеёиоуыэюяйь")[:4]


_STOP_STEMS = frozenset(_stem(word) for word in _STOP_WORDS.split())


def _tokens(*texts: str | None) -> frozenset[str]:
    words = _WORD_RE.findall(" ".join(t for t in texts if t).lower().replace("ё", "е"))
    stems = (_stem(w) for w in words if w.isdigit() or len(w) >= 3)
    return frozenset(s for s in stems if s and s not in _STOP_STEMS)


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard on stem sets. Chosen over difflib: it ignores word order (people say the same
    thing in any order), costs one set operation per candidate instead of difflib's
    quadratic character matching, and reads as «share of the words in common»."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


async def find_similar(
    session: AsyncSession, person: Person, draft: MandateDraft, now: datetime
) -> list[SimilarMandate]:
    """Up to 3 unfinished mandates of the person's branch and the draft's category from the
    last 30 days whose text (and address) is close to the draft's, best first. The person's
    own mandates are left out: they can't support themselves."""
    if person.branch_id is None or not draft.category or not draft.text:
        return []
    mine = _tokens(draft.text, draft.address)
    rows = (
        await session.execute(
            select(
                Mandate.id,
                Mandate.number,
                Mandate.text,
                Mandate.address,
                Mandate.status,
                Mandate.supporters,
                Mandate.created_at,
            )
            .where(
                Mandate.branch_id == person.branch_id,
                Mandate.category == draft.category,
                Mandate.status.in_(sorted(UNFINISHED_STATUSES)),
                Mandate.created_at >= now - timedelta(days=SIMILAR_DAYS),
                Mandate.author_id != person.id,
            )
            .order_by(Mandate.created_at.desc())
            .limit(_SIMILAR_CANDIDATES)
        )
    ).all()
    scored = []
    for row in rows:
        score = _similarity(mine, _tokens(row.text, row.address))
        if score >= SIMILAR_THRESHOLD:
            scored.append(
                SimilarMandate(
                    row.id, row.number, row.text, row.status, row.supporters, row.created_at, score
                )
            )
    scored.sort(key=lambda s: (-s.score, -s.created_at.timestamp()))
    return scored[:SIMILAR_LIMIT]


@dataclass(frozen=True, slots=True)
class SupportOutcome:
    mandate_id: int
    number: str
    supporters: int
    added: bool  # False when the person had already supported it (a double tap)


async def support_mandate(
    session: AsyncSession, person: Person, mandate_id: int, now: datetime
) -> SupportOutcome:
    """Count the person once among the mandate's supporters and tell its author.

    Errors: `mandate_support_own` (the author), `AccessDenied` (another branch),
    `mandate_not_open` (resolved or rejected meanwhile)."""
    loaded = await load_mandate(session, mandate_id)
    mandate = loaded.mandate
    if mandate.author_id == person.id:
        raise DomainError("mandate_support_own")
    role = _require(person, Action.SUPPORT, loaded)
    if mandate.status not in UNFINISHED_STATUSES:
        raise DomainError("mandate_not_open", number=html.escape(mandate.number))
    added = (
        await session.execute(
            _upsert_insert(session)(MandateSupporter.__table__)
            .values(mandate_id=mandate.id, user_id=person.id, supported_at=now)
            .on_conflict_do_nothing()
        )
    ).rowcount == 1  # type: ignore[attr-defined]
    if added:
        await session.execute(
            update(Mandate)
            .where(Mandate.id == mandate.id)
            .values(supporters=Mandate.supporters + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.refresh(mandate)
        session.add(_event(mandate, person, role, "supported", now))
        await enqueue(session, now, notices.supported(mandate))
    return SupportOutcome(mandate.id, mandate.number, mandate.supporters, added)


# --- the secretary's decisions -----------------------------------------------------------


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
    role = _require(person, Action.MANAGE, loaded)
    target, sources = TRANSITIONS[action]
    if mandate.status not in sources:
        raise _not_allowed(mandate)
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
    await _set_status(session, mandate, **values)
    session.add(
        _event(
            mandate,
            person,
            role,
            _EVENT[action],
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


# --- the author's side and the curator's comment -------------------------------------------


async def answer_clarification(
    session: AsyncSession, person: Person, mandate_id: int, text: str, now: datetime
) -> Mandate:
    """The author answers the question: clarification → the status before it. The answer
    goes to the branch's secretaries and to whoever asked."""
    answer = validate_note(text)
    loaded = await load_mandate(session, mandate_id)
    mandate = loaded.mandate
    role = _require(person, Action.ANSWER, loaded)
    if mandate.status != S.CLARIFICATION:
        raise _not_allowed(mandate)
    back_to = mandate.status_before_clarification or S.ACCEPTED
    await _set_status(
        session, mandate, status=back_to, status_before_clarification=None, updated_at=now
    )
    asker = await session.scalar(
        select(MandateEvent.actor_id)
        .where(MandateEvent.mandate_id == mandate.id, MandateEvent.action == "clarification_asked")
        .order_by(MandateEvent.created_at.desc(), MandateEvent.id.desc())
        .limit(1)
    )
    session.add(
        _event(
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
    chats = await _staff_chats(session, mandate.branch_id, asker)
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
    role = _require(person, Action.COMMENT, loaded)
    session.add(_event(mandate, person, role, "comment", now, comment=comment))
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
    role = _require(person, Action.RATE, loaded)
    if mandate.rated_at is not None:
        raise DomainError("already_rated", number=html.escape(mandate.number))
    if mandate.status != S.RESOLVED:
        raise _not_allowed(mandate)
    reopen = rating is None or rating <= 2
    values: dict[str, object] = {"rating": rating, "rated_at": now, "updated_at": now}
    if reopen:
        values.update(status=S.ACCEPTED, closed_at=None)
    await _set_status(session, mandate, **values)
    session.add(
        _event(
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
    chats = await _staff_chats(session, mandate.branch_id)
    await enqueue(
        session,
        now,
        *(notices.rated(c, mandate, rating, reopen) for c in chats if c != person.id),
    )
    return mandate


def available_actions(person: Person, mandate: Mandate, region_id: int) -> frozenset[str]:
    """What the person may do with the mandate now, to show only the buttons that work:
    "accept", "resolve", "reject", "forward", "ask", "answer", "rate", "comment",
    "support". The services check again when the button is pressed."""

    def may(action: Action) -> bool:
        return allowed(
            person,
            action,
            branch_id=mandate.branch_id,
            region_id=region_id,
            author_id=mandate.author_id,
        )

    found: set[str] = set()
    if may(Action.MANAGE):
        found.update(name for name, (_, src) in TRANSITIONS.items() if mandate.status in src)
    if may(Action.ANSWER) and mandate.status == S.CLARIFICATION:
        found.add("answer")
    if may(Action.RATE) and mandate.status == S.RESOLVED and mandate.rated_at is None:
        found.add("rate")
    if may(Action.COMMENT):
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
    _require(person, _ACTION_RULE[action], loaded)
    if action not in available_actions(person, loaded.mandate, loaded.region_id):
        raise _not_allowed(loaded.mandate)
    return loaded.mandate
