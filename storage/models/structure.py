"""The party's structure: regions, local branches, primary branches."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from storage.models.base import Base


class Region(Base):
    """A subject of the Russian Federation, with the time zone its people live in."""

    __tablename__ = "regions"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    timezone: Mapped[str] = mapped_column(String(64))


class LocalBranch(Base):
    """«Местное отделение»."""

    __tablename__ = "local_branches"
    __table_args__ = (UniqueConstraint("region_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))

    region: Mapped[Region] = relationship(lazy="joined")


class Branch(Base):
    """«Первичное отделение»: a number such as 20-03 and a territory."""

    __tablename__ = "branches"
    __table_args__ = (UniqueConstraint("region_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    region_id: Mapped[int] = mapped_column(ForeignKey("regions.id", ondelete="CASCADE"))
    local_branch_id: Mapped[int] = mapped_column(
        ForeignKey("local_branches.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(300))

    local_branch: Mapped[LocalBranch] = relationship(lazy="joined")
