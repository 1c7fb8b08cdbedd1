"""Updates per second through the real dispatcher, next to a bare aiogram echo bot.

The real dispatcher is built exactly as `pervichka run` builds it (routers, middlewares,
FSM state in the database) over a migrated SQLite file; only the Bot API session is the
tests' `RecordingSession`, which answers at once without a network. Updates are built
before the clock starts, so the figures are the dispatcher's own cost: middlewares, one
database transaction per update, handlers, FSM storage, and making the replies.
"""

from __future__ import annotations

import asyncio
import random
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot, Dispatcher, Router
from aiogram.methods import SendMessage
from aiogram.types import CallbackQuery, Chat, Message, MessageEntity, Update, User
from sqlalchemy import func, select

from bench import Result, bench_settings, count_statements, migrated_database, percentiles
from bot.app import build_bot, build_dispatcher
from bot.clock import SystemClock
from bot.services.people import Role, grant_role
from bot.texts import t
from handlers.callbacks import ConsentCb, PickCb
from storage.db import Database
from storage.models import Branch, Consent, LocalBranch, Region
from storage.models import User as UserRow
from tests.harness.session import RecordingSession

MEMBER_IDS_FROM = 1_000_000
NEWCOMER_IDS_FROM = 2_000_000
LOCAL_BRANCHES = 5
BRANCHES_PER_LOCAL = 20
BATCH = 100  # what one getUpdates answer holds at most


@dataclass(frozen=True, slots=True)
class Structure:
    region_id: int
    local_id: int  # the local branch newcomers pick
    branch_id: int  # the primary branch newcomers join


async def seed(database: Database, members: int) -> Structure:
    """A region with local and primary branches, and `members` people already past
    onboarding (consent given, in a branch); the first member of each branch is its
    secretary, so newcomers' joining queues a notice as in production."""
    now = SystemClock().now()
    async with database.transaction() as session:
        region = Region(code="23", name="Краснодарский край", timezone="Europe/Moscow")
        session.add(region)
        await session.flush()
        locals_ = [
            LocalBranch(region_id=region.id, name=f"Местное отделение №{n + 1}")
            for n in range(LOCAL_BRANCHES)
        ]
        session.add_all(locals_)
        await session.flush()
        branches = [
            Branch(
                region_id=region.id,
                local_branch_id=local.id,
                number=f"{n + 1:02d}-{m + 1:02d}",
                name=f"избирательный участок {n * BRANCHES_PER_LOCAL + m + 1}",
            )
            for n, local in enumerate(locals_)
            for m in range(BRANCHES_PER_LOCAL)
        ]
        session.add_all(branches)
        await session.flush()
        ids = [MEMBER_IDS_FROM + n for n in range(members)]
        session.add_all(
            UserRow(
                id=user_id,
                full_name=_name(user_id),
                branch_id=branches[n % len(branches)].id,
                created_at=now,
                joined_branch_at=now,
            )
            for n, user_id in enumerate(ids)
        )
        await session.flush()
        session.add_all(
            Consent(user_id=user_id, version=1, accepted=True, decided_at=now) for user_id in ids
        )
        for branch, user_id in zip(branches, ids, strict=False):
            await grant_role(session, user_id, Role.SECRETARY, now, branch_id=branch.id)
        return Structure(region.id, locals_[0].id, branches[0].id)


def _name(user_id: int) -> str:
    return f"Участник {user_id}"


class _Updates:
    """Builds pydantic updates up front, numbered in the order they are fed."""

    def __init__(self) -> None:
        self.next_id = 1
        self.moment = datetime.now(UTC)

    def _id(self) -> int:
        self.next_id += 1
        return self.next_id

    def message(self, user_id: int, text: str) -> Update:
        user = User(id=user_id, is_bot=False, first_name=_name(user_id), language_code="ru")
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = Message(
            message_id=self._id(),
            date=self.moment,
            chat=Chat(id=user_id, type="private", first_name=user.first_name),
            from_user=user,
            text=text,
            entities=entities,
        )
        return Update(update_id=self._id(), message=message)

    def callback(self, user_id: int, data: str) -> Update:
        user = User(id=user_id, is_bot=False, first_name=_name(user_id), language_code="ru")
        message = Message(
            message_id=self._id(),
            date=self.moment,
            chat=Chat(id=user_id, type="private", first_name=user.first_name),
            text="…",
        )
        query = CallbackQuery(
            id=str(self._id()), from_user=user, chat_instance="ci", data=data, message=message
        )
        return Update(update_id=self._id(), callback_query=query)


def build_updates(
    total: int, members: int, newcomers: int, structure: Structure, seed: int = 1
) -> list[Update]:
    """`newcomers` people going /start → consent → region → local → branch, and members
    pressing /start, «ℹ️ Помощь» and /help for the rest, interleaved at random while each
    person's own updates stay in order."""
    make = _Updates()
    rng = random.Random(seed)
    scripts: list[list[Update]] = []
    join = [
        ConsentCb(accept=True).pack(),
        PickCb(purpose="join", level="reg", id=structure.region_id).pack(),
        PickCb(purpose="join", level="loc", id=structure.local_id).pack(),
        PickCb(purpose="join", level="br", id=structure.branch_id).pack(),
    ]
    for n in range(newcomers):
        user_id = NEWCOMER_IDS_FROM + n
        scripts.append(
            [make.message(user_id, "/start")] + [make.callback(user_id, d) for d in join]
        )
    left = max(total - sum(len(s) for s in scripts), 0)
    presses = ["/start", t("menu.help"), "/help"]
    member_scripts: list[list[Update]] = [[] for _ in range(members)]
    for n in range(left):
        member_scripts[n % members].append(
            make.message(MEMBER_IDS_FROM + n % members, presses[rng.randrange(len(presses))])
        )
    scripts += [s for s in member_scripts if s]
    # Interleave: draw a random person with updates left, take their next one.
    order = [i for i, script in enumerate(scripts) for _ in script]
    rng.shuffle(order)
    positions = [0] * len(scripts)
    updates = []
    for i in order:
        updates.append(scripts[i][positions[i]])
        positions[i] += 1
    # Renumber in feeding order, as Telegram numbers updates.
    return [u.model_copy(update={"update_id": n + 1}) for n, u in enumerate(updates)]


async def _feed(
    dp: Dispatcher, bot: Bot, updates: list[Update], concurrent: bool
) -> tuple[float, list[float]]:
    latencies: list[float] = []
    started = time.perf_counter()
    if concurrent:
        # What `handle_as_tasks=True` does with each getUpdates batch.
        for i in range(0, len(updates), BATCH):
            await asyncio.gather(*(dp.feed_update(bot, u) for u in updates[i : i + BATCH]))
    else:
        for update in updates:
            before = time.perf_counter()
            await dp.feed_update(bot, update)
            latencies.append(time.perf_counter() - before)
    return time.perf_counter() - started, latencies


async def bench_pervichka(
    total: int, members: int, newcomers: int, *, concurrent: bool = False
) -> Result:
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        database = await migrated_database(settings)
        try:
            structure = await seed(database, members)
            updates = build_updates(total, members, newcomers, structure)
            recording = RecordingSession()
            bot = build_bot(settings, session=recording)
            dp = build_dispatcher(settings, database, start_background=False)
            await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
            statements = count_statements(database)
            try:
                seconds, latencies = await _feed(dp, bot, updates, concurrent)
            finally:
                await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
            joined = await _joined(database, newcomers)
        finally:
            await database.dispose()
    failures = sum(
        1 for r in recording.sent(SendMessage) if r.text == t("common.error")
    )  # the error handler's apology: a handler raised
    notes = [
        f"{members:,} members, {joined}/{newcomers} newcomers joined, {failures} errors",
        f"{statements[0] / len(updates):.1f} SQL statements per update",
    ]
    if latencies:
        notes.append(percentiles(latencies))
    mode = f"{BATCH} at a time (handle_as_tasks)" if concurrent else "one at a time"
    return Result(f"dispatcher: pervichka, {mode}", len(updates), seconds, "; ".join(notes))


async def _joined(database: Database, newcomers: int) -> int:
    async with database.sessions() as session:
        return (
            await session.scalar(
                select(func.count()).where(
                    UserRow.id >= NEWCOMER_IDS_FROM,
                    UserRow.id < NEWCOMER_IDS_FROM + newcomers,
                    UserRow.branch_id.is_not(None),
                )
            )
            or 0
        )


async def bench_bare_echo(total: int, members: int, newcomers: int) -> Result:
    """The floor: aiogram alone, one handler that echoes the text, the same updates."""
    structure = Structure(1, 1, 1)
    updates = build_updates(total, members, newcomers, structure)
    router = Router()

    @router.message()
    async def echo(message: Message) -> None:
        await message.answer(message.text or "")

    dp = Dispatcher()
    dp.include_router(router)
    bot = Bot("42:TEST", session=RecordingSession())
    seconds, latencies = await _feed(dp, bot, updates, concurrent=False)
    notes = f"callbacks unhandled; {percentiles(latencies, digits=2)}"
    return Result("dispatcher: bare aiogram, echo", len(updates), seconds, notes)


async def run(total: int, members: int, newcomers: int) -> list[Result]:
    return [
        await bench_pervichka(total, members, newcomers),
        await bench_pervichka(total, members, newcomers, concurrent=True),
        await bench_bare_echo(total, members, newcomers),
    ]
