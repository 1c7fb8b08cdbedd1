"""Loading the structure from a file (read by `files`): all-or-nothing and idempotent
(`import_structure`), and a small demo structure to try the bot with (`seed_demo`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.structure.csv_format import (
    COLUMNS,
    ImportProblem,
    StructureImportError,
    StructureRow,
    check_header,
    parse_rows,
    read_text,
)
from bot.services.structure.files import Table
from bot.services.structure.queries import name_key
from bot.texts import t
from storage.models import Branch, LocalBranch, Region


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


async def import_structure(
    session: AsyncSession, rows: Table | str | Iterable[Mapping[str, str]]
) -> ImportReport:
    """Load the structure from a file read by `files.read_file`, CSV text, or rows already
    read, keyed by the header.

    The whole file is checked first: with any bad row nothing is written and
    `StructureImportError` lists every problem with its line. Otherwise regions, local
    branches and branches are added or updated in place; nothing is deleted, so a partial
    file never removes branches people belong to. Running the same file twice changes
    nothing and the report says 0 added, 0 updated.
    """
    if isinstance(rows, str):
        rows = Table(*read_text(rows))
    elif not isinstance(rows, Table):
        numbered = list(enumerate(rows, start=2))
        rows = Table(list(numbered[0][1].keys()) if numbered else list(COLUMNS), numbered)
    problems = check_header(rows.fieldnames)
    if problems:
        raise StructureImportError(problems)
    parsed, problems = parse_rows(rows.rows)
    if problems or rows.problems:
        raise StructureImportError(_by_line([*rows.problems, *problems]))
    if not parsed:
        raise StructureImportError([ImportProblem(2, t("structure.no_rows"))])

    report = ImportReport(rows=len(parsed))
    regions = await _upsert_regions(session, parsed, report)
    locals_ = await _upsert_local_branches(session, parsed, regions, report)
    await _upsert_branches(session, parsed, regions, locals_, report)
    return report


def _by_line(problems: list[ImportProblem]) -> list[ImportProblem]:
    """One entry per line, in the file's order, its reasons joined."""
    reasons: dict[int, list[str]] = {}
    for problem in problems:
        reasons.setdefault(problem.line, []).append(problem.reason)
    return [ImportProblem(line, "; ".join(reasons[line])) for line in sorted(reasons)]


async def _upsert_regions(
    session: AsyncSession, rows: list[StructureRow], report: ImportReport
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
    session: AsyncSession,
    rows: list[StructureRow],
    regions: dict[str, Region],
    report: ImportReport,
) -> dict[tuple[int, str], LocalBranch]:
    """Local branches are known by name within a region; a change of letter case only
    («краснодарское …» → «Краснодарское …») updates the name instead of adding one."""
    region_ids = {r.id for r in regions.values()}
    existing = list(
        await session.scalars(select(LocalBranch).where(LocalBranch.region_id.in_(region_ids)))
    )
    exact = {(lb.region_id, lb.name): lb for lb in existing}
    folded = {(lb.region_id, name_key(lb.name)): lb for lb in existing}
    result: dict[tuple[int, str], LocalBranch] = {}
    for row in rows:
        region_id = regions[row.region_code].id
        key = (region_id, row.local_branch)
        if key in result:
            continue
        local = exact.get(key)
        if local is None:
            local = folded.get((region_id, name_key(row.local_branch)))
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
    rows: list[StructureRow],
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
