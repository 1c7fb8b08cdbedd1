"""Consent to personal-data processing: versioned, every decision kept with its time."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent


@dataclass(frozen=True, slots=True)
class ConsentHistory:
    """The latest decision, and whether a «no» took back an earlier «yes»."""

    accepted: bool | None  # None: never decided
    decided_at: datetime | None
    withdrawn: bool


async def record_consent(
    session: AsyncSession, user_id: int, *, accepted: bool, version: int, now: datetime
) -> None:
    session.add(Consent(user_id=user_id, version=version, accepted=accepted, decided_at=now))
    await session.flush()


async def consent_history(session: AsyncSession, user_id: int) -> ConsentHistory:
    decisions = list(
        await session.execute(
            select(Consent.accepted, Consent.decided_at)
            .where(Consent.user_id == user_id)
            .order_by(Consent.decided_at.desc(), Consent.id.desc())
        )
    )
    if not decisions:
        return ConsentHistory(accepted=None, decided_at=None, withdrawn=False)
    (accepted, decided_at), earlier = decisions[0], decisions[1:]
    withdrawn = not accepted and any(yes for yes, _ in earlier)
    return ConsentHistory(accepted=accepted, decided_at=decided_at, withdrawn=withdrawn)
