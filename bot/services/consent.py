"""Consent to personal-data processing: versioned, every decision kept with its time."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Consent


async def record_consent(
    session: AsyncSession, user_id: int, *, accepted: bool, version: int, now: datetime
) -> None:
    session.add(Consent(user_id=user_id, version=version, accepted=accepted, decided_at=now))
    await session.flush()
