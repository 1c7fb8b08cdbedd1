"""One mandate's card: its fields, photos and history as the viewer may see them, and the
actions they may take now. Plain dataclasses, safe after the session is closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.mandates.access import Action, ActorRole, acting_as, may_see_branch, require
from bot.services.mandates.lifecycle import MandateStatus, available_actions, is_overdue
from bot.services.mandates.records import load_mandate
from bot.services.people import Person
from storage.models import MandateCardMessage, MandateEvent, MandatePhoto


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    at: datetime
    actor_role: str  # ActorRole value: "author", "secretary", "curator", "admin", "member"
    action: str  # the `mandates.event.<action>` text names it
    from_status: str | None
    to_status: str | None
    comment: str | None  # raw: escape for HTML
    rating: int | None


@dataclass(frozen=True, slots=True)
class Attachment:
    """A photo (with the author's caption, raw) or a voice message, by file_id."""

    file_id: str
    kind: str  # "photo" or "voice"
    caption: str | None


@dataclass(frozen=True, slots=True)
class MandateCard:
    """Everything to show one mandate. Raw user text throughout: escape it for HTML.

    `actions` names what the viewer may do now (see `lifecycle.available_actions`);
    `question` is the pending clarification question, if any. The author's view leaves
    out curators' and admins' internal comments."""

    id: int
    number: str
    status: str
    category: str
    text: str
    address: str | None
    latitude: float | None
    longitude: float | None
    on_behalf: str
    voter_name: str | None
    voter_phone: str | None
    supporters: int
    forwarded_to: str | None
    created_at: datetime
    due_at: datetime
    first_answered_at: datetime | None
    closed_at: datetime | None
    rating: int | None
    overdue: bool
    branch_id: int
    branch_number: str
    branch_name: str
    branch_timezone: str
    photos: list[str]  # the photos' file_ids, in order
    history: list[HistoryEntry]
    viewer: ActorRole
    actions: frozenset[str]
    question: str | None
    has_secretary: bool
    attachments: tuple[Attachment, ...] = ()  # photos and voice messages, in order


async def mandate_card(
    session: AsyncSession, person: Person, mandate_id: int, now: datetime
) -> MandateCard:
    """One mandate with its photos and history, for whoever may read it.
    Errors: `mandate_not_found`, AccessDenied."""
    loaded = await load_mandate(session, mandate_id)
    m, region_id, timezone = loaded.mandate, loaded.region_id, loaded.timezone
    branch_number, branch_name = loaded.branch_number, loaded.branch_name
    require(person, Action.READ, branch_id=m.branch_id, region_id=region_id, author_id=m.author_id)
    viewer = acting_as(person, Action.READ, branch_id=m.branch_id, author_id=m.author_id)
    staff_view = may_see_branch(person, m.branch_id, region_id)

    attachments = tuple(
        Attachment(file_id, kind, caption)
        for file_id, kind, caption in await session.execute(
            select(MandatePhoto.file_id, MandatePhoto.kind, MandatePhoto.caption)
            .where(MandatePhoto.mandate_id == m.id)
            .order_by(MandatePhoto.position)
        )
    )
    photos = [a.file_id for a in attachments if a.kind == "photo"]
    events = (
        await session.scalars(
            select(MandateEvent)
            .where(MandateEvent.mandate_id == m.id)
            .order_by(MandateEvent.created_at, MandateEvent.id)
        )
    ).all()
    history = [
        HistoryEntry(
            e.created_at, e.actor_role, e.action, e.from_status, e.to_status, e.comment, e.rating
        )
        for e in events
        if staff_view or e.action != "comment"
    ]
    question = None
    if m.status == MandateStatus.CLARIFICATION:
        asked = [h for h in history if h.action == "clarification_asked"]
        question = asked[-1].comment if asked else None
    return MandateCard(
        id=m.id,
        number=m.number,
        status=m.status,
        category=m.category,
        text=m.text,
        address=m.address,
        latitude=m.latitude,
        longitude=m.longitude,
        on_behalf=m.on_behalf,
        voter_name=m.voter_name,
        voter_phone=m.voter_phone,
        supporters=m.supporters,
        forwarded_to=m.forwarded_to,
        created_at=m.created_at,
        due_at=m.due_at,
        first_answered_at=m.first_answered_at,
        closed_at=m.closed_at,
        rating=m.rating,
        overdue=is_overdue(m, now),
        branch_id=m.branch_id,
        branch_number=branch_number,
        branch_name=branch_name,
        branch_timezone=timezone,
        photos=photos,
        history=history,
        viewer=viewer,
        actions=available_actions(person, m, region_id, has_secretary=loaded.has_secretary),
        has_secretary=loaded.has_secretary,
        question=question,
        attachments=attachments,
    )


@dataclass(frozen=True, slots=True)
class CardPlace:
    """Where a mandate's card is in a chat, and whether its photos were sent there."""

    message_id: int
    album_sent: bool


async def card_place(session: AsyncSession, mandate_id: int, chat_id: int) -> CardPlace | None:
    row = await session.get(MandateCardMessage, (mandate_id, chat_id))
    return CardPlace(row.message_id, row.album_sent) if row else None


async def remember_card(
    session: AsyncSession,
    mandate_id: int,
    chat_id: int,
    message_id: int,
    now: datetime,
    *,
    album_sent: bool = False,
) -> int | None:
    """The card of the mandate is now message `message_id` of the chat (one card per
    mandate per chat). Returns the message that showed it before, if another: the caller
    takes its buttons away, so only the newest copy acts. `album_sent` only ever turns on."""
    row = await session.get(MandateCardMessage, (mandate_id, chat_id))
    if row is None:
        session.add(
            MandateCardMessage(
                mandate_id=mandate_id,
                chat_id=chat_id,
                message_id=message_id,
                album_sent=album_sent,
                updated_at=now,
            )
        )
        await session.flush()
        return None
    before = row.message_id
    row.message_id, row.updated_at = message_id, now
    row.album_sent = row.album_sent or album_sent
    await session.flush()
    return before if before != message_id else None
