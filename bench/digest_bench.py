"""The curators' weekly digests: `curators` of them due at once, over `mandates` mandates,
`registrations` masterclass registrations and `practices` practices, built and queued by
the due-work runner while a member's `/help` goes through the real dispatcher.

A fresh SQLite file at the newest schema is seeded in bulk: `2 × curators` branches (each
curator curates two), a secretary and a member per branch, the mandates spread over the
last 16 weeks (a mix of statuses, answered, closed, rated and overdue ones), the
registrations of the secretaries over 20 masterclasses, the practices published over 8
weeks. Then every curator's `digest.weekly` is planned due now and a `DueWorkRunner` over
the dispatcher's own registry (`bot/app.py`) runs them tick after tick — each digest read
in a read session, its chart and workbook made in the child process, its three notices
queued in the job's transaction — while `/help` is sent every `HELP_EVERY` seconds, each
answered before the next. Reported: the total time, the time per digest (one job of the
runner: prepare and commit; median, p95, and the median of each half), the CPU per
digest of the bot's process and of the drawing children (`/proc`: on a shared machine
the wall times say little), the `/help` latencies, and in a second, smaller
run under tracemalloc (which slows it) the peak of Python allocations in the bot process,
with the peak resident set of the child.

Standalone: `python -m bench.digest_bench --curators 1000 --mandates 100000`; with
`--split N`, where one digest's time goes instead: for the first N curators (after one
more, which pays for imports and fonts) each part run serially in this process (no pool,
no runner) and its CPU time (`time.process_time`) taken — the figures read, the message,
the chart, the workbook — medians; `--save-chart PATH` keeps the first curator's PNG to look at.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import logging
import os
import random
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bench import Result, bench_settings, format_table, migrated_database, peak_rss_kib
from bench.dispatcher_bench import _Updates
from bot.app import DUE_WORK_CONCURRENCY, build_bot, build_dispatcher
from bot.clock import SystemClock
from bot.services.digest import weekly
from bot.services.due_work import DueJob, DueWorkRunner, plan_many
from bot.services.due_work.registry import Kind
from storage.db import Database
from storage.models import (
    Branch,
    Consent,
    DueWork,
    LocalBranch,
    Mandate,
    Masterclass,
    MasterclassRegistration,
    OutboxMessage,
    Practice,
    Region,
    RoleAssignment,
    User,
)
from tests.harness.session import RecordingSession

HELP_EVERY = 0.05
CHUNK = 5000
CURATORS_FROM = 10_000_000
SECRETARIES_FROM = 20_000_000
MEMBERS_FROM = 30_000_000
STATUSES = ("new", "accepted", "clarification", "forwarded", "resolved", "rejected")


async def _bulk(database: Database, model: type, rows: list[dict]) -> None:
    for start in range(0, len(rows), CHUNK):
        async with database.transaction() as session:
            await session.execute(insert(model), rows[start : start + CHUNK])


async def seed(
    database: Database, curators: int, mandates: int, registrations: int, practices: int,
    now: datetime,
) -> None:  # fmt: skip
    rng = random.Random(11)
    branches = 2 * curators
    async with database.transaction() as session:
        region = Region(code="50", name="Московская область", timezone="Europe/Moscow")
        session.add(region)
        await session.flush()
        local = LocalBranch(region_id=region.id, name="Местное отделение")
        session.add(local)
        await session.flush()
        region_id, local_id = region.id, local.id
    await _bulk(database, Branch, [
        {"region_id": region_id, "local_branch_id": local_id, "number": f"{n:05d}",
         "name": f"избирательный участок {n}"}
        for n in range(branches)
    ])  # fmt: skip
    async with database.reading() as session:
        branch_ids = list(await session.scalars(select(Branch.id).order_by(Branch.id)))
    people = (
        [(CURATORS_FROM + n, None) for n in range(curators)]
        + [(SECRETARIES_FROM + n, None) for n in range(branches)]
        + [(MEMBERS_FROM + n, branch_ids[n]) for n in range(branches)]
    )
    await _bulk(database, User, [
        {"id": uid, "full_name": f"Человек {uid}", "branch_id": home, "created_at": now,
         "joined_branch_at": now if home else None, "is_reachable": True}
        for uid, home in people
    ])  # fmt: skip
    await _bulk(database, Consent, [
        {"user_id": uid, "version": 1, "accepted": True, "decided_at": now} for uid, _ in people
    ])  # fmt: skip
    roles = [
        {"user_id": CURATORS_FROM + n // 2, "role": "curator", "branch_id": b, "granted_at": now}
        for n, b in enumerate(branch_ids)
    ] + [
        {"user_id": SECRETARIES_FROM + n, "role": "secretary", "branch_id": b, "granted_at": now}
        for n, b in enumerate(branch_ids)
    ]
    await _bulk(database, RoleAssignment, roles)
    rows = []
    for n in range(mandates):
        index = rng.randrange(branches)
        created = now - timedelta(hours=rng.uniform(1, 16 * 7 * 24))
        status = rng.choice(STATUSES)
        answered = created + timedelta(hours=rng.uniform(1, 96)) if status != "new" else None
        if answered is not None and answered > now:
            answered = None
        closed = answered + timedelta(hours=rng.uniform(1, 72)) if answered and status in (
            "resolved", "rejected") else None  # fmt: skip
        if closed is not None and closed > now:
            closed = None
        rated = closed if closed and status == "resolved" and rng.random() < 0.5 else None
        rows.append({
            "number": f"{index:05d}/{n:06d}", "branch_id": branch_ids[index],
            "author_id": MEMBERS_FROM + index, "category": "housing",
            "text": "Во дворе не работает уличное освещение", "on_behalf": "self",
            "status": status, "supporters": 0, "created_at": created, "updated_at": created,
            "due_at": created + timedelta(days=4), "first_answered_at": answered,
            "closed_at": closed, "rating": rng.randint(1, 5) if rated else None,
            "rated_at": rated,
        })  # fmt: skip
    await _bulk(database, Mandate, rows)
    await _bulk(database, Masterclass, [
        {"title": f"Мастер-класс {n}", "description": "Описание", "host": "Ведущий",
         "starts_at": now - timedelta(days=20 - 2 * n), "duration_minutes": 60,
         "timezone": "Europe/Moscow", "place": "Штаб", "audience_scope": "all",
         "registration_deadline": now - timedelta(days=20 - 2 * n), "organiser_id": people[0][0],
         "created_at": now - timedelta(days=30), "updated_at": now - timedelta(days=30),
         "status": "published", "seats_taken": 0, "queue_last": 0, "secretaries_only": False,
         "ics_sequence": 0}
        for n in range(20)
    ])  # fmt: skip
    async with database.reading() as session:
        mc_ids = list(await session.scalars(select(Masterclass.id)))
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < min(registrations, len(mc_ids) * branches // 2):
        pairs.add((rng.choice(mc_ids), SECRETARIES_FROM + rng.randrange(branches)))
    regs = []
    for mc_id, user_id in pairs:
        created = now - timedelta(days=rng.uniform(0, 30))
        attended = created + timedelta(days=1) if rng.random() < 0.6 else None
        regs.append({
            "masterclass_id": mc_id, "user_id": user_id, "status": "registered",
            "attended": attended is not None, "attended_at": attended, "created_at": created,
            "updated_at": created, "ics_sequence": 0,
        })  # fmt: skip
    await _bulk(database, MasterclassRegistration, regs)
    items = []
    for n in range(practices):
        index = rng.randrange(branches)
        published = now - timedelta(hours=rng.uniform(1, 8 * 7 * 24))
        items.append({
            "author_id": MEMBERS_FROM + index, "branch_id": branch_ids[index],
            "title": f"Практика {n}", "category": "other", "what_done": "Сделали",
            "result": "Получилось", "status": "published", "created_at": published,
            "submitted_at": published, "published_at": published, "updated_at": published,
            "likes_count": rng.randrange(20), "adoptions_count": rng.randrange(5),
            "contact_offer": False,
        })  # fmt: skip
    await _bulk(database, Practice, items)


class TimedRunner(DueWorkRunner):
    """The real runner; each job's time is taken, and its two halves: `prepare` (read the
    figures, draw in the pool) and the transaction (mark done, queue the notices)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        self.times: list[float] = []
        self.preparing: list[float] = []
        self.committing: list[float] = []
        real = self.registry.get

        def timed(kind: str) -> Kind | None:
            found = real(kind)
            if found is None or found.prepare is None:
                return found
            prepare, handler = found.prepare, found.handler

            async def timed_prepare(database: Database, job: DueJob, now: datetime) -> object:
                before = time.perf_counter()
                try:
                    return await prepare(database, job, now)
                finally:
                    self.preparing.append(time.perf_counter() - before)

            async def timed_handler(session: AsyncSession, job: DueJob, now: datetime) -> None:
                before = time.perf_counter()
                try:
                    await handler(session, job, now)
                finally:
                    self.committing.append(time.perf_counter() - before)

            return replace(found, prepare=timed_prepare, handler=timed_handler)

        self.registry = copy.copy(self.registry)
        self.registry.get = timed  # type: ignore[method-assign]

    async def execute(self, job: DueJob) -> str:
        before = time.perf_counter()
        outcome = await super().execute(job)
        self.times.append(time.perf_counter() - before)
        return outcome

    def clear(self) -> None:
        self.times.clear()
        self.preparing.clear()
        self.committing.clear()


def _cpu_of(pids: list[int]) -> float:
    """CPU seconds (user + system) the processes have used so far (Linux: /proc)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / ticks  # utime, stime
    return total


def _children() -> list[int]:
    from bot.services.digest import drawing

    pool = drawing._the_pool()
    return list(getattr(pool, "_processes", None) or {})


async def _plan(database: Database, curators: range, due: datetime) -> None:
    async with database.transaction() as session:
        await plan_many(
            session, weekly.KIND, [(weekly.SUBJECT, CURATORS_FROM + n, due) for n in curators]
        )


async def bench_digests(
    curators: int, mandates: int, registrations: int, practices: int, traced: int
) -> list[Result]:
    clock = SystemClock()
    now = clock.now()
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        database = await migrated_database(settings)
        recorder = RecordingSession()
        chat_bot = build_bot(settings, session=recorder)
        dp = build_dispatcher(settings, database, clock=clock, start_background=False)
        try:
            seeded = time.perf_counter()
            await seed(database, curators, mandates, registrations, practices, now)
            seeded = time.perf_counter() - seeded
            await dp.emit_startup(bot=chat_bot, dispatcher=dp, **dp.workflow_data)
            # Startup back-fills an escalation for every unanswered seeded mandate, long
            # overdue: 100,000 jobs that are not what is measured here.
            async with database.transaction() as session:
                await session.execute(
                    update(DueWork).where(DueWork.kind != weekly.KIND).values(status="cancelled")
                )
            make = _Updates()
            member = MEMBERS_FROM
            await dp.feed_update(chat_bot, make.message(member, "/help"))  # warm up
            runner = TimedRunner(database, dp["due_work"], clock, worker_id="bench",
                                 concurrency=DUE_WORK_CONCURRENCY)  # fmt: skip
            # Warm up the child process (its imports take a second) on one digest.
            await _plan(database, range(1), now - timedelta(minutes=1))
            await runner.run_due()
            runner.clear()
            await _plan(database, range(1, curators), now - timedelta(minutes=1))
            children = _children()

            latencies: list[float] = []
            done = asyncio.Event()

            async def talk() -> None:
                while not done.is_set():
                    before = time.perf_counter()
                    await dp.feed_update(chat_bot, make.message(member, "/help"))
                    latencies.append(time.perf_counter() - before)
                    await asyncio.sleep(HELP_EVERY)

            talking = asyncio.create_task(talk())
            started = time.perf_counter()
            cpu = time.process_time(), _cpu_of(children)
            built = 0
            while built < curators - 1:
                ran = await runner.run_due()
                if not ran:
                    break
                built += ran
            total = time.perf_counter() - started
            cpu = time.process_time() - cpu[0], _cpu_of(children) - cpu[1]
            load = os.getloadavg()[0]
            done.set()
            await talking
            async with database.reading() as session:
                queued = await session.scalar(
                    select(func.count()).where(OutboxMessage.chat_id >= CURATORS_FROM,
                                               OutboxMessage.chat_id < SECRETARIES_FROM)
                )  # fmt: skip
            times = runner.times[:]
            preparing, committing = runner.preparing[:], runner.committing[:]
            # Memory: a second, smaller run under tracemalloc (another due time, new jobs).
            await _plan(database, range(traced), now - timedelta(seconds=30))
            tracemalloc.start()
            traced_runner = TimedRunner(database, dp["due_work"], clock, worker_id="traced",
                                        concurrency=DUE_WORK_CONCURRENCY)  # fmt: skip
            await traced_runner.run_due()
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
            child = await _child_peak_rss()
        finally:
            await dp.emit_shutdown(bot=chat_bot, dispatcher=dp, **dp.workflow_data)
            await chat_bot.session.close()
            await database.dispose()
    cuts = statistics.quantiles(times, n=100)
    help_cuts = statistics.quantiles(latencies, n=100)
    return [
        Result(
            f"digest: {curators:,} curators over {mandates:,} mandates",
            len(times),
            total,
            f"per digest median {statistics.median(times) * 1000:.0f} ms, "
            f"p95 {cuts[94] * 1000:.0f} ms, max {max(times) * 1000:.0f} ms "
            f"({DUE_WORK_CONCURRENCY} at once; of it prepare "
            f"{statistics.median(preparing) * 1000:.0f} ms, the transaction "
            f"{statistics.median(committing) * 1000:.0f} ms); CPU per digest: the bot "
            f"{cpu[0] / len(times) * 1000:.0f} ms, the {len(children)} children "
            f"{cpu[1] / len(times) * 1000:.0f} ms; load average at the end {load:.1f}; "
            f"{queued:,} notices "
            f"queued; {registrations:,} registrations, {practices:,} practices; seeded in "
            f"{seeded:.0f} s; peak Python memory in the bot over {traced} digests "
            f"{peak / 1e6:.1f} MB, the child's peak RSS {child / 1024:.0f} MB",
        ),
        Result(
            "a member's /help meanwhile",
            len(latencies),
            sum(latencies),
            f"p50 {help_cuts[49] * 1000:.1f} ms, p95 {help_cuts[94] * 1000:.1f} ms, "
            f"p99 {help_cuts[98] * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms",
        ),
    ]


async def _child_peak_rss() -> int:
    from bot.services.digest import drawing

    pool = drawing._the_pool()
    return await asyncio.get_running_loop().run_in_executor(pool, peak_rss_kib)


async def run(
    curators: int, mandates: int, registrations: int, practices: int, traced: int = 100
) -> list[Result]:
    return await bench_digests(curators, mandates, registrations, practices, traced)


async def split(
    curators: int, mandates: int, registrations: int, practices: int, measured: int,
    save: Path | None = None,
) -> str:  # fmt: skip
    """One digest's parts, each timed alone in this process: CPU and wall, medians."""
    from bot.services.digest.chart import chart_data, render_chart
    from bot.services.digest.figures import build_digest, curated_branches
    from bot.services.digest.text import render_message
    from bot.services.digest.workbook import render_workbook, workbook_rows

    now = SystemClock().now()
    parts: dict[str, tuple[list[float], list[float]]] = {
        name: ([], []) for name in ("figures", "message", "chart", "workbook")
    }
    sizes: list[int] = []
    first: bytes | None = None
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        database = await migrated_database(bench_settings(Path(folder)))
        try:
            await seed(database, curators, mandates, registrations, practices, now)
            for n in range(min(curators, measured + 1)):
                user_id = CURATORS_FROM + n
                marks = [(time.perf_counter(), time.process_time())]
                async with database.reading() as session:
                    branch_ids = await curated_branches(session, user_id)
                    zone = await weekly.curator_zone(session, user_id)
                    digest = await build_digest(session, user_id, branch_ids, now, zone)
                marks.append((time.perf_counter(), time.process_time()))
                render_message(digest, escalate_days=2)
                marks.append((time.perf_counter(), time.process_time()))
                png = render_chart(chart_data(digest))
                marks.append((time.perf_counter(), time.process_time()))
                render_workbook(*workbook_rows(digest))
                marks.append((time.perf_counter(), time.process_time()))
                sizes.append(len(png))
                if n == 0:
                    first = png
                    continue  # the first pays for imports and fonts
                for (wall, cpu), a, b in zip(parts.values(), marks, marks[1:], strict=False):
                    wall.append(b[0] - a[0])
                    cpu.append(b[1] - a[1])
        finally:
            await database.dispose()
    lines = [f"{name:9} CPU {statistics.median(cpu) * 1000:6.1f} ms, "
             f"wall {statistics.median(wall) * 1000:6.1f} ms"
             for name, (wall, cpu) in parts.items()]  # fmt: skip
    lines.append(f"PNG median {statistics.median(sizes) / 1024:.0f} KiB")
    return "\n".join(lines), first


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.digest_bench")
    parser.add_argument("--curators", type=int, default=1000)
    parser.add_argument("--mandates", type=int, default=100_000)
    parser.add_argument("--registrations", type=int, default=10_000)
    parser.add_argument("--practices", type=int, default=5000)
    parser.add_argument("--split", type=int, metavar="N", help="N digests' parts, serially")
    parser.add_argument("--save-chart", type=Path, help="with --split: the first PNG")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    if args.split:
        sizes = (args.curators, args.mandates, args.registrations, args.practices)
        report, chart = asyncio.run(split(*sizes, args.split))
        print(report, flush=True)
        if args.save_chart is not None and chart is not None:
            args.save_chart.write_bytes(chart)
        return
    results = asyncio.run(run(args.curators, args.mandates, args.registrations, args.practices))
    print(format_table(results), flush=True)


if __name__ == "__main__":
    main()
