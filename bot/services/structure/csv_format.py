"""The structure CSV: its columns, and checking a file row by row before anything is
written (every bad line is reported with its number and reason)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from bot.services.errors import InvalidInput
from bot.services.structure.queries import name_key
from bot.texts import t

COLUMNS = ("region_code", "region_name", "timezone", "local_branch", "branch_number", "branch_name")
# The column widths of storage/models/structure.py: checked here so PostgreSQL never
# truncates or fails.
MAX_LENGTH = {
    "region_code": 16,
    "region_name": 200,
    "timezone": 64,
    "local_branch": 200,
    "branch_number": 32,
    "branch_name": 300,
}


@dataclass(frozen=True, slots=True)
class ImportProblem:
    line: int  # the line of the file, the header being line 1
    reason: str  # in Russian, for the person who fixes the file


class StructureImportError(InvalidInput):
    """The file was rejected whole; `errors` names every bad line."""

    def __init__(self, errors: list[ImportProblem]) -> None:
        super().__init__(errors=errors)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class StructureRow:
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


def read_text(text: str) -> tuple[list[str], list[tuple[int, RawRow]]]:
    text = text.removeprefix("\ufeff")
    first_line = text.split("\n", 1)[0]
    # Excel with Russian settings saves CSV with semicolons; take what the header uses.
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=delimiter)
    rows: list[tuple[int, RawRow]] = [(reader.line_num, row) for row in reader]
    return list(reader.fieldnames or []), rows


def check_header(fieldnames: Sequence[Any]) -> list[ImportProblem]:
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


def parse_rows(
    rows: Iterable[tuple[int, RawRow]],
) -> tuple[list[StructureRow], list[ImportProblem]]:
    """Every row is checked before anything is written, so all problems are told at once."""
    good: list[StructureRow] = []
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
            named = codes_by_name.setdefault(name_key(name), (line, code))
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
            first = spellings.setdefault((code, name_key(local)), (line, local))
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
            good.append(StructureRow(line=line, **row))
    return good, problems
