"""Sharing a practice, and sending a returned one again.

- `submit_practice`: a member or secretary's practice, from their branch
  (`access.home_branch`), goes to moderation: the practice, its photos, the history line
  «submitted», a notice to every moderator (curators of the branch, admins of its region
  and of everything) and «получено» to the author — all in the caller's transaction.
- `resubmit_practice`: its author edits a returned one and sends it again: the same row
  (history kept: «resubmitted»), the photos replaced, the moderators told again with the
  last comment. A compare-and-set on `status = 'returned'`, so a double tap sends it once.

The draft is validated again here (`PracticeError` as in `draft`), whatever the chat let
through.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.outbox import enqueue
from bot.services.people import Person
from bot.services.practices import notices
from bot.services.practices.access import MODERATION, RETURNED, home_branch
from bot.services.practices.draft import PracticeDraft
from bot.services.practices.errors import PracticeError
from bot.services.practices.records import event, load, moderators_of, origin_of, region_of
from bot.services.practices.rules import DEFAULT_RULES, PracticeRules
from bot.texts import t
from storage.models import Practice, PracticePhoto
from storage.statements import rows_changed


def _photos(practice_id: int, file_ids: list[str]) -> list[PracticePhoto]:
    return [
        PracticePhoto(practice_id=practice_id, position=i, file_id=file_id)
        for i, file_id in enumerate(file_ids)
    ]


async def _tell_moderators(
    session: AsyncSession,
    practice: Practice,
    region_id: int,
    photos: int,
    now: datetime,
    admin_ids: frozenset[int],
    *,
    again: bool,
) -> None:
    origin = await origin_of(session, practice.branch_id)
    chats = await moderators_of(session, practice.branch_id, region_id, admin_ids)
    await enqueue(
        session,
        now,
        *(notices.for_moderation(c, practice, origin, photos, again=again) for c in chats),
        notices.received(practice.author_id, practice, again=again),
    )


async def submit_practice(
    session: AsyncSession,
    person: Person,
    draft: PracticeDraft,
    now: datetime,
    rules: PracticeRules = DEFAULT_RULES,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> Practice:
    """Errors: `practice_no_branch` (the person acts for no branch: a curator or admin
    without one), `consent_required`, and the draft's own (`draft.validated`)."""
    branch_id = home_branch(person)
    if branch_id is None:
        raise PracticeError("practice_no_branch")
    if not person.consent_given:
        raise DomainError("consent_required")
    clean = draft.validated(rules)
    region_id = await region_of(session, branch_id)
    practice = Practice(
        author_id=person.id,
        branch_id=branch_id,
        title=clean.title,
        category=clean.category,
        what_done=clean.what_done,
        result=clean.result,
        document_file_id=clean.document_file_id,
        document_name=clean.document_name,
        contact_offer=clean.contact_offer,
        status=MODERATION,
        likes_count=0,
        adoptions_count=0,
        created_at=now,
        submitted_at=now,
        updated_at=now,
    )
    session.add(practice)
    await session.flush()
    session.add_all(_photos(practice.id, clean.photos))
    session.add(event(practice, person.id, "author", "submitted", now))
    await session.flush()
    await _tell_moderators(
        session, practice, region_id, len(clean.photos), now, admin_ids, again=False
    )
    return practice


async def resubmit_practice(
    session: AsyncSession,
    person: Person,
    practice_id: int,
    draft: PracticeDraft,
    now: datetime,
    rules: PracticeRules = DEFAULT_RULES,
    *,
    admin_ids: frozenset[int] = frozenset(),
) -> Practice:
    """The author's returned practice, edited, back to moderation. Its branch stays the
    one it was shared from. Errors: NotFound (not theirs: it does not exist for them),
    `not_returned` (with `status`, its Russian name: waiting or published already),
    AccessDenied (someone else's published one), the draft's own."""
    loaded = await load(session, practice_id)
    practice = loaded.practice
    if practice.author_id != person.id:
        if practice.status == "published":
            raise AccessDenied()  # visible to all, but only its author changes it
        raise NotFound("practice_not_found")
    if practice.status != RETURNED:
        raise PracticeError("not_returned", status=t(f"practices.status.{practice.status}"))
    clean = draft.validated(rules)
    changed = await rows_changed(
        session,
        update(Practice)
        .where(Practice.id == practice.id, Practice.status == RETURNED)
        .values(
            title=clean.title,
            category=clean.category,
            what_done=clean.what_done,
            result=clean.result,
            document_file_id=clean.document_file_id,
            document_name=clean.document_name,
            contact_offer=clean.contact_offer,
            status=MODERATION,
            moderated_by=None,
            moderated_at=None,
            submitted_at=now,
            updated_at=now,
        )
        .execution_options(synchronize_session=False),
    )
    if changed != 1:  # sent again a moment ago (a double tap)
        raise PracticeError("not_returned", status=t("practices.status.moderation"))
    await session.execute(delete(PracticePhoto).where(PracticePhoto.practice_id == practice.id))
    session.add_all(_photos(practice.id, clean.photos))
    await session.refresh(practice)
    session.add(event(practice, person.id, "author", "resubmitted", now))
    await session.flush()
    await _tell_moderators(
        session, practice, loaded.region_id, len(clean.photos), now, admin_ids, again=True
    )
    return practice
