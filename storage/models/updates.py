"""Updates already applied (see `storage.handled_updates`)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base


class HandledUpdate(Base):
    """An update already applied, so one redelivered after a crash is not applied again."""

    __tablename__ = "handled_updates"

    bot_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    update_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    handled_at: Mapped[datetime] = mapped_column(index=True)
