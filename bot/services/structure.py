"""The party structure: region → local branch → primary branch.

Loaded from CSV (`import_structure`, all-or-nothing and idempotent) and read by the
pickers and features through small paginated queries.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import InvalidInput, NotFound
from bot.services.paging import Page, paginate
from bot.texts import t
from storage.models import Branch, LocalBranch, Region

COLUMNS = ("region_code", "region_name", "timezone", "local_branch", "branch_number", "branch_name")
# Column widths of storage/models.py: checked here so PostgreSQL never truncates or fails.
MAX_LENGTH = {
    "region_code": 16,
    "region_name": 200,
    "timezone": 64,
    "local_branch": 200,
    "branch_number": 32,
    "branch_name": 300,
}


# --- reading the structure -------------------------------------------------------------

# Lists here are short (≈90 regions, tens of branches per local branch), so they are
# sorted in Python, where natural and Russian order are easy, and then paged in memory.


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


def _name_key(name: str) -> str:
    # Case-blind, and «ё» sorts with «е» as in a Russian dictionary.
    return name.casefold().replace("ё", "е")


def number_key(number: str) -> tuple[tuple[int, int, str], ...]:
    """Natural order of branch numbers: 7 < 20-03 < 20-10 < 100."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part.casefold())
        for part in re.split(r"(\d+)", number)
        if part
    )


def _branch_query() -> Select[tuple[Branch, str, Region]]:
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


async def list_regions(session: AsyncSession, page: int = 1, per_page: int = 8) -> Page[RegionItem]:
    rows = await session.scalars(select(Region))
    items = sorted(
        (RegionItem(r.id, r.code, r.name, r.timezone) for r in rows),
        key=lambda r: (_name_key(r.name), r.id),
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
        (LocalBranchItem(*row) for row in rows), key=lambda lb: (_name_key(lb.name), lb.id)
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
    return sorted((_branch_info(*row) for row in rows), key=lambda b: _name_key(b.region_name))


# --- importing it from CSV -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int  # the line of the file, the header being line 1
    reason: str  # in Russian, for the person who fixes the file


class StructureImportError(InvalidInput):
    """The file was rejected whole; `errors` names every bad line."""

    def __init__(self, errors: list[ImportProblem]) -> None:
        super().__init__(errors=errors)
        self.errors = errors


@dataclass(slots=True)
class ImportReport:
    regions_added: int = 0
    regions_updated: int = 0
    locals_added: int = 0
    locals_updated: int = 0
    branches_added: int = 0
    branches_updated: int = 0
    rows: int = field(default=0, compare=False)

    def counts(self) -> dict[str, int]:
        counts = asdict(self)
        del counts["rows"]
        return counts

    @property
    def changed(self) -> bool:
        return any(self.counts().values())


@dataclass(frozen=True, slots=True)
class _Row:
    line: int
    region_code: str
    region_name: str
    timezone: str
    local_branch: str
    branch_number: str
    branch_name: str


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {zone.casefold(): zone for zone in available_timezones()}


def _timezone_problem(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        hint = _zones_by_folded_name().get(value.casefold())
        suggestion = t("structure.zone_maybe", zone=hint) if hint else t("structure.zone_example")
        return t("structure.zone_unknown", value=value, hint=suggestion)
    return None


def _tidy(value: object) -> str:
    return " ".join(str(value).split()) if value is not None else ""


RawRow = Mapping[Any, Any]


def _read_text(text: str) -> tuple[list[str], list[tuple[int, RawRow]]]:
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    # Excel with Russian settings saves CSV with semicolons; take what the header uses.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, RawRow]] = [(reader.line_num, row) for row in reader]
    return list(reader.fieldnames or []), rows


def _check_header(fieldnames: Sequence[Any]) -> list[ImportProblem]:
    # Columns without a name (a trailing comma in the header) are allowed if left empty.
    names = [n for n in (_tidy(name).lower() for name in fieldnames) if n]
    if not names:
        return [ImportProblem(1, t("structure.file_empty", columns=",".join(COLUMNS)))]
    missing = [c for c in COLUMNS if c not in names]
    unknown = [n for n in names if n not in COLUMNS]
    repeated = sorted({n for n in names if names.count(n) > 1})
    details = []
    if missing:
        details.append(t("structure.columns_missing", columns=", ".join(missing)))
    if unknown:
        details.append(t("structure.columns_unknown", columns=", ".join(unknown)))
    if repeated:
        details.append(t("structure.columns_repeated", columns=", ".join(repeated)))
    if not details:
        return []
    text = t("structure.bad_header", details="; ".join(details), columns=",".join(COLUMNS))
    return [ImportProblem(1, text)]


def _row_values(raw: RawRow) -> tuple[dict[str, str], bool]:
    """The six values, tidied, and whether anything stands outside the named columns."""
    values: dict[str, str] = {}
    stray = False
    for key, value in raw.items():
        name = _tidy(key).lower() if isinstance(key, str) else ""
        # csv puts values beyond the header under the key None, as a list.
        text = _tidy(" ".join(map(str, value)) if isinstance(value, list) else value)
        if name in COLUMNS:
            values[name] = text
        elif text:
            stray = True
    return {column: values.get(column, "") for column in COLUMNS}, stray


def _parse(rows: Iterable[tuple[int, RawRow]]) -> tuple[list[_Row], list[ImportProblem]]:
    """Every row is checked before anything is written, so all problems are told at once."""
    good: list[_Row] = []
    problems: list[ImportProblem] = []
    regions: dict[str, tuple[int, str, str]] = {}  # code → (line, name, time zone)
    codes_by_name: dict[str, tuple[int, str]] = {}  # folded region name → (line, code)
    spellings: dict[tuple[str, str], tuple[int, str]] = {}  # (code, folded local) → (line, name)
    branches: dict[tuple[str, str], int] = {}  # (region code, number) → line

    for line, raw in rows:
        row, stray = _row_values(raw)
        if not any(row.values()) and not stray:
            continue  # an empty line, e.g. «,,,,,» left by a spreadsheet
        reasons = []
        if stray:
            reasons.append(t("structure.stray_values"))
        reasons.extend(
            t("structure.field_empty", column=column) for column in COLUMNS if not row[column]
        )
        reasons.extend(
            t("structure.field_too_long", column=column, limit=limit)
            for column, limit in MAX_LENGTH.items()
            if len(row[column]) > limit
        )
        zone_problem = _timezone_problem(row["timezone"]) if row["timezone"] else None
        if zone_problem:
            reasons.append(zone_problem)
        code, name, zone = row["region_code"], row["region_name"], row["timezone"]
        if code and name and zone and not zone_problem:  # a bad zone is told once, above
            seen = regions.setdefault(code, (line, name, zone))
            if seen[1:] != (name, zone):
                reasons.append(
                    t(
                        "structure.region_renamed",
                        code=code,
                        line=seen[0],
                        first_name=seen[1],
                        first_zone=seen[2],
                        name=name,
                        zone=zone,
                    )
                )
            named = codes_by_name.setdefault(_name_key(name), (line, code))
            if named[1] != code:
                reasons.append(
                    t(
                        "structure.region_recoded",
                        name=name,
                        line=named[0],
                        first_code=named[1],
                        code=code,
                    )
                )
        if code and row["local_branch"]:
            local = row["local_branch"]
            first = spellings.setdefault((code, _name_key(local)), (line, local))
            if first[1] != local:
                reasons.append(
                    t("structure.local_respelled", line=first[0], first=first[1], local=local)
                )
        if code and row["branch_number"]:
            first_line = branches.setdefault((code, row["branch_number"]), line)
            if first_line != line:
                reasons.append(
                    t(
                        "structure.branch_repeated",
                        number=row["branch_number"],
                        code=code,
                        line=first_line,
                    )
                )
        if reasons:
            problems.append(ImportProblem(line, "; ".join(reasons)))
        else:
            good.append(_Row(line=line, **row))
    return good, problems


async def import_structure(
    session: AsyncSession, rows: str | Iterable[Mapping[str, str]]
) -> ImportReport:
    """Load the structure from CSV text (or rows already read, keyed by the header).

    The whole file is checked first: with any bad row nothing is written and
    `StructureImportError` lists every problem with its line. Otherwise regions, local
    branches and branches are added or updated in place; nothing is deleted, so a partial
    file never removes branches people belong to. Running the same file twice changes
    nothing and the report says 0 added, 0 updated.
    """
    if isinstance(rows, str):
        fieldnames, numbered = _read_text(rows)
    else:
        numbered = list(enumerate(rows, start=2))
        fieldnames = list(numbered[0][1].keys()) if numbered else list(COLUMNS)
    problems = _check_header(fieldnames)
    if problems:
        raise StructureImportError(problems)
    parsed, problems = _parse(numbered)
    if problems:
        raise StructureImportError(problems)
    if not parsed:
        raise StructureImportError([ImportProblem(2, t("structure.no_rows"))])

    report = ImportReport(rows=len(parsed))
    regions = await _upsert_regions(session, parsed, report)
    locals_ = await _upsert_local_branches(session, parsed, regions, report)
    await _upsert_branches(session, parsed, regions, locals_, report)
    return report


async def _upsert_regions(
    session: AsyncSession, rows: list[_Row], report: ImportReport
) -> dict[str, Region]:
    wanted = {row.region_code: row for row in rows}
    existing = {
        r.code: r for r in await session.scalars(select(Region).where(Region.code.in_(wanted)))
    }
    for code, row in wanted.items():
        region = existing.get(code)
        if region is None:
            region = Region(code=code, name=row.region_name, timezone=row.timezone)
            session.add(region)
            existing[code] = region
            report.regions_added += 1
        elif (region.name, region.timezone) != (row.region_name, row.timezone):
            region.name, region.timezone = row.region_name, row.timezone
            report.regions_updated += 1
    await session.flush()
    return existing


async def _upsert_local_branches(
    session: AsyncSession, rows: list[_Row], regions: dict[str, Region], report: ImportReport
) -> dict[tuple[int, str], LocalBranch]:
    """Local branches are known by name within a region; a change of letter case only
    («краснодарское …» → «Краснодарское …») updates the name instead of adding one."""
    region_ids = {r.id for r in regions.values()}
    existing = list(
        await session.scalars(select(LocalBranch).where(LocalBranch.region_id.in_(region_ids)))
    )
    exact = {(lb.region_id, lb.name): lb for lb in existing}
    folded = {(lb.region_id, _name_key(lb.name)): lb for lb in existing}
    result: dict[tuple[int, str], LocalBranch] = {}
    for row in rows:
        region_id = regions[row.region_code].id
        key = (region_id, row.local_branch)
        if key in result:
            continue
        local = exact.get(key)
        if local is None:
            local = folded.get((region_id, _name_key(row.local_branch)))
            if local is not None and local.name != row.local_branch:
                local.name = row.local_branch
                report.locals_updated += 1
        if local is None:
            local = LocalBranch(region_id=region_id, name=row.local_branch)
            session.add(local)
            report.locals_added += 1
        result[key] = local
    await session.flush()
    return result


async def _upsert_branches(
    session: AsyncSession,
    rows: list[_Row],
    regions: dict[str, Region],
    locals_: dict[tuple[int, str], LocalBranch],
    report: ImportReport,
) -> None:
    region_ids = {r.id for r in regions.values()}
    existing = {
        (b.region_id, b.number): b
        for b in await session.scalars(select(Branch).where(Branch.region_id.in_(region_ids)))
    }
    for row in rows:
        region_id = regions[row.region_code].id
        local_id = locals_[(region_id, row.local_branch)].id
        branch = existing.get((region_id, row.branch_number))
        if branch is None:
            session.add(
                Branch(
                    region_id=region_id,
                    local_branch_id=local_id,
                    number=row.branch_number,
                    name=row.branch_name,
                )
            )
            report.branches_added += 1
        elif (branch.name, branch.local_branch_id) != (row.branch_name, local_id):
            branch.name, branch.local_branch_id = row.branch_name, local_id
            report.branches_updated += 1
    await session.flush()


# --- a structure to try the bot with ---------------------------------------------------

# The rows of examples/structure.csv and a few more, so seeding after importing the
# example renames nothing; eleven branches in one local branch make its list page.
DEMO_CSV = """\
region_code,region_name,timezone,local_branch,branch_number,branch_name
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-01,Центральный округ
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-02,Гидростроителей
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-03,первый Береговой округ
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-04,второй Береговой округ
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-05,Фестивальный микрорайон
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-06,Юбилейный микрорайон
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-07,Пашковский
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-08,Славянский микрорайон
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-09,Музыкальный микрорайон
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-10,Комсомольский микрорайон
23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-11,"хутор Ленина, Лорис"
23,Краснодарский край,Europe/Moscow,Сочинское местное отделение,31-01,Центральный район Сочи
23,Краснодарский край,Europe/Moscow,Сочинское местное отделение,31-02,Адлерский район
43,Кировская область,Europe/Kirov,Кировское местное отделение,7,Ленинский район
43,Кировская область,Europe/Kirov,Кировское местное отделение,8,Октябрьский район
54,Новосибирская область,Asia/Novosibirsk,Новосибирское местное отделение,12,Заельцовский район
54,Новосибирская область,Asia/Novosibirsk,Новосибирское местное отделение,13,Калининский район
"""


async def seed_demo(session: AsyncSession) -> ImportReport:
    """A small structure to try the bot at once. Running it again changes nothing."""
    return await import_structure(session, DEMO_CSV)
