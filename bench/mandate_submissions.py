"""Whole submission conversations through the real dispatcher, many members at once.

Submissions go through `bot.app.build_dispatcher` over a migrated SQLite file, as in
`dispatcher_bench`; a step that is not answered as expected counts the conversation as
broken."""

from __future__ import annotations

import asyncio
import contextlib
import random
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import func, select

from bench import Result, bench_settings, count_statements, migrated_database, percentiles
from bench.mandate_members import (
    TIMEZONE,
    ChatRecorder,
    Member,
    StepFailed,
    add_people,
    random_text,
)
from bot.app import build_bot, build_dispatcher
from bot.clock import SystemClock
from bot.services.people import Role, grant_role
from bot.texts import t
from storage.db import Database
from storage.models import (
    Branch,
    LocalBranch,
    Mandate,
    Region,
)

SUBMITTERS_FROM = 3_000_000
WARMUP = SUBMITTERS_FROM - 1
SECRETARIES_FROM = 3_900_000
SUBMIT_BRANCHES = 10
DUPLICATE_SHARE = 0.05  # conversations that repeat a neighbour's mandate on purpose


# --- 1. whole submissions, many members at once ------------------------------------------------


async def seed_submitters(database: Database, users: int) -> dict[int, int]:
    """A region with SUBMIT_BRANCHES branches, each with a secretary (so every mandate
    queues the secretary's notice, as in production), and `users` members spread over
    them, plus WARMUP, who submits once before the clock starts. Returns member id →
    branch id, WARMUP first."""
    now = SystemClock().now()
    async with database.transaction() as session:
        region = Region(code="23", name="Краснодарский край", timezone=TIMEZONE)
        session.add(region)
        await session.flush()
        local = LocalBranch(region_id=region.id, name="Краснодарское местное отделение")
        session.add(local)
        await session.flush()
        branches = [
            Branch(
                region_id=region.id,
                local_branch_id=local.id,
                number=f"20-{n + 1:02d}",
                name=f"избирательный участок {n + 1}",
            )
            for n in range(SUBMIT_BRANCHES)
        ]
        session.add_all(branches)
        await session.flush()
        homes = {WARMUP: branches[0].id}
        homes |= {SUBMITTERS_FROM + n: branches[n % len(branches)].id for n in range(users)}
        secretaries = {SECRETARIES_FROM + n: b.id for n, b in enumerate(branches)}
        people = {**homes, **secretaries}
        await add_people(session, people, now)
        for user_id, branch_id in secretaries.items():
            await grant_role(session, user_id, Role.SECRETARY, now, branch_id=branch_id)
    return homes


@dataclass
class _Conversations:
    """What the members have sent so far, and what came of it."""

    homes: dict[int, int]
    rng: random.Random
    sent: dict[int, list[tuple[int, str, str]]] = field(default_factory=dict)  # by branch
    planned_repeats: int = 0
    offers: int = 0
    offers_on_repeats: int = 0
    broken: int = 0  # conversations a step of which failed

    def repeat_for(self, user_id: int) -> tuple[str, str] | None:
        """Now and then the (category, text) of a neighbour's mandate already sent."""
        if self.rng.random() >= DUPLICATE_SHARE:
            return None
        others = [s for s in self.sent.get(self.homes[user_id], []) if s[0] != user_id]
        if not others:
            return None
        self.planned_repeats += 1
        _, category, text = self.rng.choice(others)
        return category, text


async def _converse(member: Member, rounds: int, log: _Conversations) -> None:
    """`rounds` whole submissions, one after another: /mandate → category → text → no
    address → no photos → «Мой» → «Отправить» (→ «Всё равно отправить новый»)."""
    for _ in range(rounds):
        try:
            await _submit(member, log)
        except StepFailed:
            log.broken += 1
            with contextlib.suppress(StepFailed):
                await member.send("/cancel")  # and on to the next one


async def _submit(member: Member, log: _Conversations) -> None:
    user_id = member.user.id
    repeat = log.repeat_for(user_id)
    await member.send("/mandate")
    if not member.buttons():
        raise StepFailed(f"user {user_id}: no categories offered")
    category = repeat[0] if repeat else log.rng.choice(member.buttons())
    text = repeat[1] if repeat else random_text(log.rng)
    await member.click(category)
    await member.send(text)
    await member.send(t("mandate_submit.button.skip_address"))
    await member.click(t("mandate_submit.button.skip_photos"))
    await member.click(t("mandate_submit.button.self"))
    await member.click(t("mandate_submit.button.send"))
    send_anyway = t("mandate_submit.button.send_anyway")
    if send_anyway in member.buttons():
        log.offers += 1
        log.offers_on_repeats += repeat is not None
        await member.click(send_anyway)
    log.sent.setdefault(log.homes[user_id], []).append((user_id, category, text))


async def _check_numbers(database: Database) -> tuple[int, bool]:
    """How many mandates the timed members saved, and whether every branch's numbers
    (the warm-up's included) run 1..n once."""
    async with database.sessions() as session:
        rows = (await session.execute(select(Mandate.branch_id, Mandate.number))).all()
        warmup = await session.scalar(
            select(func.count()).select_from(Mandate).where(Mandate.author_id == WARMUP)
        )
    by_branch: dict[int, list[int]] = {}
    for branch_id, number in rows:
        by_branch.setdefault(branch_id, []).append(int(number.rsplit("/", 1)[1]))
    gapless = all(sorted(s) == list(range(1, len(s) + 1)) for s in by_branch.values())
    unique = len({number for _, number in rows}) == len(rows)
    return len(rows) - (warmup or 0), unique and gapless


async def bench_submissions(users: int, per_user: int, *, at_once: bool) -> Result:
    """`users` members each submitting `per_user` mandates, all conversations interleaved:
    either fed one update at a time or all members' updates at once."""
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        database = await migrated_database(settings)
        try:
            homes = await seed_submitters(database, users)
            recorder = ChatRecorder()
            bot = build_bot(settings, session=recorder)
            dp = build_dispatcher(settings, database, start_background=False)
            await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
            turn = None if at_once else asyncio.Lock()
            members = [Member(dp, bot, recorder, user_id, turn) for user_id in homes]
            log = _Conversations(homes, random.Random(3))
            # One whole submission first, untimed: the first use of each code path (the
            # holiday calendar, aiogram's filters, SQLAlchemy's statement cache) is slow.
            await _converse(members.pop(0), 1, log)
            statements = count_statements(database)
            try:
                started = time.perf_counter()
                # Conversations interleave; each member's own steps stay in order.
                await asyncio.gather(*(_converse(m, per_user, log) for m in members))
                seconds = time.perf_counter() - started
            finally:
                await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
            saved, numbers_ok = await _check_numbers(database)
        finally:
            await database.dispose()
    conversations = users * per_user
    latencies = [x for m in members for x in m.latencies]
    numbers = "numbers unique, 1..n per branch" if numbers_ok else "NUMBERS DUPLICATED OR GAPPY"
    notes = [
        f"{len(latencies):,} updates, {len(latencies) / seconds:.0f}/s",
        f"{saved:,}/{conversations:,} saved, {numbers}",
        f"{log.offers} similar offers, {log.offers_on_repeats}/{log.planned_repeats} repeats",
        f"{log.broken} broken, {recorder.errors()} errors",
        f"{statements[0] / len(latencies):.1f} SQL statements per update",
        f"{percentiles(latencies)} per update",
    ]
    mode = "all at once" if at_once else "one update at a time"
    name = f"mandates: submissions, {users} members × {per_user}, {mode}"
    return Result(name, conversations, seconds, "; ".join(notes))
