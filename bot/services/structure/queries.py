"""Reading the party structure: region → local branch → primary branch.

Lists here are short (≈90 regions, tens of branches per local branch), so they are
sorted in Python, where natural and Russian order are easy, and then paged in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import NotFound
from bot.services.paging import Page, paginate
from storage.models import Branch, LocalBranch, Region


@dataclass(frozen=True, slots=True)
class RegionItem:
    id: int
    code: str
    name: str
    timezone: str


@dataclass(frozen=True, slots=True)
class LocalBranchItem:
    id: int
    name: str
    region_id: int
    region_name: str


@dataclass(frozen=True, slots=True)
class BranchInfo:
    id: int
    number: str
    name: str
    local_branch_id: int
    local_branch_name: str
    region_id: int
    region_code: str
    region_name: str
    timezone: str


def name_key(name: str) -> str:
    # Case-blind, and «ё» sorts with «е» as in a Russian dictionary.
    return name.casefold().replace("ё", "е")


def number_key(number: str) -> tuple[tuple[int, int, str], ...]:
    """Natural order of branch numbers: 7 < 20-03 < 20-10 < 100."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", number)
        if part
    )


def _branch_query() -> Select[Branch, str, Region]:
    return (
        select(Branch, LocalBranch.name, Region)
        .join(LocalBranch, Branch.local_branch_id == LocalBranch.id)
        .join(Region, Branch.region_id == Region.id)
    )


def _branch_info(branch: Branch, local_name: str, region: Region) -> BranchInfo:
    return BranchInfo(
        id=branch.id,
        number=branch.number,
        name=branch.name,
        local_branch_id=branch.local_branch_id,
        local_branch_name=local_name,
        region_id=region.id,
        region_code=region.code,
        region_name=region.name,
        timezone=region.timezone,
    )


async def list_regions(
    session: AsyncSession,
    page: int = 1,
    per_page: int = 8,
    only: frozenset[int] | None = None,
) -> Page[RegionItem]:
    """All regions, or those in `only` (a region's admin sees just theirs)."""
    statement = select(Region)
    if only is not None:
        statement = statement.where(Region.id.in_(sorted(only)))
    rows = await session.scalars(statement)
    items = sorted(
        (RegionItem(r.id, r.code, r.name, r.timezone) for r in rows),
        key=lambda r: (name_key(r.name), r.id),
    )
    return paginate(items, page, per_page)


async def get_region(session: AsyncSession, region_id: int) -> RegionItem:
    region = await session.get(Region, region_id)
    if region is None:
        raise NotFound()
    return RegionItem(region.id, region.code, region.name, region.timezone)


async def list_local_branches(
    session: AsyncSession, region_id: int, page: int = 1, per_page: int = 8
) -> Page[LocalBranchItem]:
    rows = await session.execute(
        select(LocalBranch.id, LocalBranch.name, Region.id, Region.name)
        .join(Region, LocalBranch.region_id == Region.id)
        .where(LocalBranch.region_id == region_id)
    )
    items = sorted(
        (LocalBranchItem(*row) for row in rows), key=lambda lb: (name_key(lb.name), lb.id)
    )
    return paginate(items, page, per_page)


async def get_local_branch(session: AsyncSession, local_branch_id: int) -> LocalBranchItem:
    row = (
        await session.execute(
            select(LocalBranch.id, LocalBranch.name, Region.id, Region.name)
            .join(Region, LocalBranch.region_id == Region.id)
            .where(LocalBranch.id == local_branch_id)
        )
    ).first()
    if row is None:
        raise NotFound()
    return LocalBranchItem(*row)


async def list_branches(
    session: AsyncSession, local_branch_id: int, page: int = 1, per_page: int = 8
) -> Page[BranchInfo]:
    rows = await session.execute(_branch_query().where(Branch.local_branch_id == local_branch_id))
    items = sorted((_branch_info(*row) for row in rows), key=lambda b: (number_key(b.number), b.id))
    return paginate(items, page, per_page)


async def get_branch(session: AsyncSession, branch_id: int) -> BranchInfo:
    row = (await session.execute(_branch_query().where(Branch.id == branch_id))).first()
    if row is None:
        raise NotFound("branch_not_found")
    return _branch_info(*row)


async def find_branches_by_number(
    session: AsyncSession, number: str, region_code: str | None = None
) -> list[BranchInfo]:
    """Branches with this number: one per region at most, as numbers repeat across regions."""
    query = _branch_query().where(Branch.number == number.strip())
    if region_code is not None:
        query = query.where(Region.code == region_code.strip())
    rows = await session.execute(query)
    return sorted((_branch_info(*row) for row in rows), key=lambda b: name_key(b.region_name))
