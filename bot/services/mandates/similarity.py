"""Similar mandates and support: before a new mandate is saved, open ones of the same branch
and category with a close text are offered, and a member may support one instead of
sending a duplicate."""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import DomainError
from bot.services.mandates import notices
from bot.services.mandates.access import Action
from bot.services.mandates.draft import MandateDraft
from bot.services.mandates.lifecycle import UNFINISHED_STATUSES
from bot.services.mandates.records import load_mandate, new_event, require_for
from bot.services.outbox import enqueue
from bot.services.people import Person
from bot.services.russian_words import stem, words
from storage.models import Mandate, MandateSupporter
from storage.statements import dialect_insert, rows_changed

SIMILAR_DAYS = 30


SIMILAR_LIMIT = 3


SIMILAR_THRESHOLD = 0.3


_SIMILAR_CANDIDATES = 300  # newest candidates scored; a branch rarely has more in 30 days


@dataclass(frozen=True, slots=True)
class SimilarMandate:
    id: int
    number: str
    text: str  # raw: escape before showing with HTML
    status: str
    supporters: int
    created_at: datetime
    score: float  # 0..1, token-set Jaccard similarity


# Words that say nothing about the problem itself (politeness, fillers, «улица», «дом»).
_STOP_WORDS = (
    "для что это как нет уже очень прошу пожалуйста нужно необходимо надо чтобы если когда "
    "только который наш ваш все есть было быть будет можно может также улица дом город район"
)
_STOP_STEMS = frozenset(stem(word) for word in _STOP_WORDS.split())


def _tokens(*texts: str | None) -> frozenset[str]:
    found = words(" ".join(t for t in texts if t))
    stems = (stem(w) for w in found if w.isdigit() or len(w) >= 3)
    return frozenset(s for s in stems if s and s not in _STOP_STEMS)


def _similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard on stem sets. Chosen over difflib: it ignores word order (people say the same
    thing in any order), costs one set operation per candidate instead of difflib's
    quadratic character matching, and reads as «share of the words in common»."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


async def find_similar(
    session: AsyncSession,
    person: Person,
    draft: MandateDraft,
    now: datetime,
    branch_id: int | None = None,
) -> list[SimilarMandate]:
    """Up to 3 unfinished mandates of the person's branch and the draft's category from the
    last 30 days whose text (and address) is close to the draft's, best first. The person's
    own mandates are left out: they can't support themselves. A draft for another branch
    (`branch_id`, staff submitting there) gets none: only its members may support."""
    if person.branch_id is None or not draft.category or not draft.text:
        return []
    if branch_id is not None and branch_id != person.branch_id:
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
    role = require_for(person, Action.SUPPORT, loaded)
    if mandate.status not in UNFINISHED_STATUSES:
        raise DomainError("mandate_not_open", number=html.escape(mandate.number))
    added = (
        await rows_changed(
            session,
            dialect_insert(session, MandateSupporter.__table__)
            .values(mandate_id=mandate.id, user_id=person.id, supported_at=now)
            .on_conflict_do_nothing(),
        )
        == 1
    )
    if added:
        await session.execute(
            update(Mandate)
            .where(Mandate.id == mandate.id)
            .values(supporters=Mandate.supporters + 1, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        await session.refresh(mandate)
        session.add(new_event(mandate, person, role, "supported", now))
        await enqueue(session, now, notices.supported(mandate))
    return SupportOutcome(mandate.id, mandate.number, mandate.supporters, added)
