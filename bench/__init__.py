"""Benchmarks: `python -m bench` (see bench/README.md). Shared pieces live here."""

from __future__ import annotations

import asyncio
import statistics
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event

from bot.config import Settings
from storage.db import Database
from storage.migrate import upgrade


@dataclass(frozen=True, slots=True)
class Result:
    """One row of the table."""

    name: str
    items: int
    seconds: float
    notes: str = ""

    @property
    def rate(self) -> float:
        return self.items / self.seconds if self.seconds else float("inf")


def bench_settings(folder: Path, **overrides: object) -> Settings:
    """Settings for a bench run: a fresh SQLite file, no `.env`, no admins.

    The per-user throttle is raised: the benchmark replays ten updates per user within
    seconds, which the production throttle (2/s) would mostly drop unanswered.
    """
    values: dict[str, object] = {
        "bot_token": "42:TEST",
        "bot_username": "pervichka_bench_bot",
        "database_url": f"sqlite+aiosqlite:///{folder}/bench.sqlite3",
        "admin_ids": frozenset(),
        "throttle_rate": 1_000_000.0,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


async def migrated_database(settings: Settings) -> Database:
    """A database at the newest schema, as `pervichka run` leaves it."""
    # Alembic's env.py runs its own event loop, hence the thread.
    await asyncio.to_thread(upgrade, settings.database_url)
    return Database(settings.database_url)


def count_statements(database: Database) -> list[int]:
    """A counter of SQL statements (BEGIN included) the engine runs from now on."""
    counter = [0]

    def _count(*_: object) -> None:
        counter[0] += 1

    # SQLite has a write engine and a read engine; before, `engines` did not exist.
    for engine in getattr(database, "engines", [database.engine]):
        event.listen(engine.sync_engine, "before_cursor_execute", _count)
    return counter


def peak_rss_kib() -> int:
    """This process's peak resident set in KiB (run it in the child to be measured).

    Linux's `ru_maxrss` survives `execve`, so a spawned child would report the parent's
    size at the fork; `VmHWM` belongs to the address space and starts over at the exec.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def percentiles(latencies: list[float], digits: int = 1) -> str:
    """ "p50 … ms, p99 … ms" of latencies in seconds."""
    cuts = statistics.quantiles(latencies, n=100)
    return f"p50 {cuts[49] * 1000:.{digits}f} ms, p99 {cuts[98] * 1000:.{digits}f} ms"


def format_table(results: list[Result]) -> str:
    header = ("benchmark", "items", "seconds", "per second", "notes")
    rows = [
        (r.name, f"{r.items:,}", f"{r.seconds:.2f}", f"{r.rate:,.0f}", r.notes) for r in results
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    lines = []
    for n, row in enumerate([header, *rows]):
        cells = [
            cell.ljust(widths[i]) if i in (0, 4) else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
