"""/export of a big branch: the time to the file and the memory it takes, at two sizes.

A fresh SQLite file is seeded as for `mandate_big_branch` (one branch of `size` mandates
with ≈2.9 history rows each, two neighbours of a fifth as many); then the branch's
secretary exports «За всё время» with `export_mandates_xlsx` in `Database.reading()`, as
the handler does: one untimed run (it also starts the child process that writes the
workbook), then `RUNS` timed, with the CPU seconds each process spent (on a busy machine
the wall time says little; on an idle one it is about the sum of the two CPU figures when
the rows are handed over at once, and about the larger one when they are streamed).
Memory is the bot process's own: the peak of Python
allocations during one more run (tracemalloc, which slows that run down, so it is not
timed), and the child's peak resident set (asked of it, `bench.peak_rss_kib`).

Standalone: `python -m bench.export_bench --sizes 2000,10000 [--save folder]`; `--save`
keeps each workbook, to compare the files of two commits.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import io
import logging
import statistics
import tempfile
import time
import tracemalloc
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import load_workbook

from bench import Result, bench_settings, format_table, migrated_database, peak_rss_kib
from bench.big_branch_seed import seed_big_branch
from bot.services.mandates import export as mandate_export
from bot.services.people import load_person
from handlers.mandates.export import period_dates
from storage.models import User as UserRow

RUNS = 3
# A fixed moment, so that two commits seed and export the very same branch.
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def _child_cpu() -> float:
    """CPU seconds the child has used so far (run in the child)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def bench_export(size: int, save: Path | None = None) -> Result:
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        database = await migrated_database(settings)
        try:
            big = await seed_big_branch(database, settings, size, NOW)
            async with database.sessions() as session:
                person = await load_person(
                    session,
                    await session.get_one(UserRow, big.secretary_id),
                    admin_ids=settings.admin_ids,
                    consent_version=settings.consent_version,
                    default_timezone=settings.default_timezone,
                )
            today = NOW.astimezone(ZoneInfo(person.timezone)).date()
            date_from, date_to = period_dates("all", today)

            async def export() -> bytes:
                async with database.reading() as session:
                    return await mandate_export.export_mandates_xlsx(
                        session, person, date_from, date_to, person.timezone, NOW
                    )

            data = await export()
            times, bot_cpu, child_cpu = [], [], []
            for _ in range(RUNS):
                child_before = await _in_child(_child_cpu)
                before, cpu_before = time.perf_counter(), time.process_time()
                data = await export()
                times.append(time.perf_counter() - before)
                bot_cpu.append(time.process_time() - cpu_before)
                child_cpu.append(await _in_child(_child_cpu) - child_before)
            gc.collect()
            tracemalloc.start()
            await export()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            child = await _in_child(peak_rss_kib)
        finally:
            await database.dispose()
    if save is not None:
        await asyncio.to_thread(_save, save / f"export-{size}.xlsx", data)
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    mandates, history = (sum(1 for _ in sheet.iter_rows()) - 1 for sheet in workbook.worksheets)
    workbook.close()
    median = statistics.median(times)
    notes = (
        f"median {median:.2f} s of {RUNS} (min {min(times):.2f}); CPU: the bot "
        f"{statistics.median(bot_cpu):.2f} s, the child {statistics.median(child_cpu):.2f} s; "
        f"{mandates:,} mandates + "
        f"{history:,} history rows, {len(data) / 1e6:.1f} MB; peak Python memory in the bot "
        f"{peak / 1e6:.1f} MB; the child's peak RSS {child / 1024:.0f} MB"
    )
    return Result(f"export, all time, a branch of {size:,}", mandates, median, notes)


def _save(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _in_child(function: object) -> Any:
    """`function()` in the export's child process (the pool the workbook is written in)."""
    from bot.services.mandates import workbook

    pool = workbook._process_pool()
    return await asyncio.get_running_loop().run_in_executor(pool, function)  # type: ignore[arg-type]


async def run(sizes: list[int], save: Path | None = None) -> list[Result]:
    return [await bench_export(size, save) for size in sizes]


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.export_bench")
    parser.add_argument("--sizes", default="2000,10000")
    parser.add_argument("--save", type=Path)
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    sizes = [int(n) for n in args.sizes.split(",") if n]
    print(format_table(asyncio.run(run(sizes, args.save))), flush=True)


if __name__ == "__main__":
    main()
