"""After the event: ratings and comments from those present, and the materials.

- At the end (`schedule.FEEDBACK`) everyone marked present is asked for a 1–5 rating;
  only they may rate (`rate`), once, then add a comment (`comment`).
- The organiser sees the average and the comments (`summary`), without names.
- `send_materials`: a link, a document or a video (Telegram file_ids) to everyone who held
  a seat, present or not.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.due_work import DueJob
from bot.services.masterclasses import notices
from bot.services.masterclasses.access import require_manage
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.parsing import parse_link
from bot.services.masterclasses.records import REGISTERED, loaded, registration_of
from bot.services.outbox import Notice, enqueue, enqueue_broadcast
from bot.services.people import Person
from bot.texts import t
from storage.models import Masterclass, MasterclassRegistration

COMMENT_MAX = 1000
# A media caption holds 1,024 characters; the heading takes the rest.
CAPTION_MAX = 800


async def ask_at_end(session: AsyncSession, job: DueJob, now: datetime) -> None:
    """The `masterclass.feedback` kind: the rating request to those present, not rated."""
    masterclass = await session.get(Masterclass, int(job.subject))
    if masterclass is None or masterclass.status != "published":
        return
    present = await session.scalars(
        select(MasterclassRegistration.user_id)
        .where(
            MasterclassRegistration.masterclass_id == masterclass.id,
            MasterclassRegistration.attended.is_(True),
            MasterclassRegistration.rating.is_(None),
        )
        .order_by(MasterclassRegistration.id)
    )
    await enqueue(session, now, *(notices.feedback_request(p, masterclass) for p in present))


async def _present(
    session: AsyncSession, person: Person, masterclass_id: int
) -> MasterclassRegistration:
    registration = await registration_of(session, masterclass_id, person.id)
    if registration is None or not registration.attended:
        raise MasterclassError("feedback_not_attended")
    return registration


async def rate(
    session: AsyncSession, person: Person, masterclass_id: int, rating: int, now: datetime
) -> None:
    """Errors: `feedback_not_attended`, `rating_invalid`, `already_rated`."""
    registration = await _present(session, person, masterclass_id)
    if not isinstance(rating, int) or not 1 <= rating <= 5:
        raise MasterclassError("rating_invalid")
    if registration.rating is not None:
        raise MasterclassError("already_rated")
    registration.rating = rating
    registration.rated_at = registration.updated_at = now
    await session.flush()


async def comment(
    session: AsyncSession, person: Person, masterclass_id: int, text: str, now: datetime
) -> None:
    """The optional comment after the rating (a second one replaces the first).
    Errors: `feedback_not_attended`, `rate_first`, `comment_too_long`."""
    registration = await _present(session, person, masterclass_id)
    if registration.rating is None:
        raise MasterclassError("rate_first")
    clean = text.strip()
    if len(clean) > COMMENT_MAX:
        raise MasterclassError("comment_too_long", max=COMMENT_MAX)
    registration.comment = clean or None
    registration.updated_at = now
    await session.flush()


@dataclass(frozen=True, slots=True)
class FeedbackSummary:
    ratings: int
    average: float | None  # None with no ratings yet
    present: int
    comments: list[tuple[int, str]]  # (rating, comment), oldest first; raw text: escape it


async def summary(session: AsyncSession, person: Person, masterclass_id: int) -> FeedbackSummary:
    """For the organiser. Errors: NotFound, AccessDenied."""
    masterclass = await loaded(session, masterclass_id)
    require_manage(person, masterclass)
    of_this = MasterclassRegistration.masterclass_id == masterclass.id
    count, average, present = (
        await session.execute(
            select(
                func.count(MasterclassRegistration.rating),
                func.avg(MasterclassRegistration.rating),
                func.count().filter(MasterclassRegistration.attended.is_(True)),
            ).where(of_this)
        )
    ).one()
    comments = await session.execute(
        select(MasterclassRegistration.rating, MasterclassRegistration.comment)
        .where(of_this, MasterclassRegistration.comment.is_not(None))
        .order_by(MasterclassRegistration.rated_at, MasterclassRegistration.id)
    )
    return FeedbackSummary(
        ratings=int(count),
        average=round(float(average), 2) if average is not None else None,
        present=int(present),
        comments=[(int(r or 0), str(c)) for r, c in comments.all()],
    )


class MaterialKind(StrEnum):
    LINK = "link"
    DOCUMENT = "document"
    VIDEO = "video"


@dataclass(frozen=True, slots=True)
class Material:
    """A link (checked like the online link), or a document or video by Telegram file_id."""

    kind: MaterialKind
    value: str
    caption: str | None = None


async def send_materials(
    session: AsyncSession, person: Person, masterclass_id: int, material: Material, now: datetime
) -> int:
    """Queues the material to everyone who held a seat; returns how many.
    Errors: NotFound, AccessDenied, `masterclass_cancelled`, `material_unknown`,
    `link_invalid`, `comment_too_long`."""
    masterclass = await loaded(session, masterclass_id)
    require_manage(person, masterclass)
    if masterclass.status == "cancelled":
        raise MasterclassError("masterclass_cancelled")
    try:
        kind = MaterialKind(material.kind)
    except ValueError as error:
        raise MasterclassError("material_unknown") from error
    caption = (material.caption or "").strip()
    if len(caption) > CAPTION_MAX:
        raise MasterclassError("comment_too_long", max=CAPTION_MAX)
    heading = t("masterclasses.notice.materials", title=html.escape(masterclass.title))
    text = f"{heading}\n\n{html.escape(caption)}" if caption else heading
    if kind == MaterialKind.LINK:
        link = parse_link(material.value)
        text = f"{text}\n\n{html.escape(link)}"
    elif not material.value.strip():
        raise MasterclassError("material_unknown")
    people = list(
        await session.scalars(
            select(MasterclassRegistration.user_id)
            .where(
                MasterclassRegistration.masterclass_id == masterclass.id,
                MasterclassRegistration.status == REGISTERED,
            )
            .order_by(MasterclassRegistration.id)
        )
    )
    file_id = material.value.strip()
    return await enqueue_broadcast(
        session,
        now,
        person.id,
        t("masterclasses.broadcast.materials", title=html.escape(masterclass.title)),
        [
            Notice(
                p,
                text,
                document=file_id if kind == MaterialKind.DOCUMENT else None,
                video=file_id if kind == MaterialKind.VIDEO else None,
            )
            for p in people
        ],
    )
