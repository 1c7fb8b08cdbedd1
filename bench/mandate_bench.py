"""Mandates: whole submission conversations through the real dispatcher, many members at
once, and the time to build /inbox and /export for a branch with 10,000 mandates.

Submissions go through `bot.app.build_dispatcher` over a migrated SQLite file, as in
`dispatcher_bench`; each scripted member reads the keyboards the bot showed and presses
buttons by their labels, so the run follows the flow as a person meets it, and a step
that is not answered as expected counts the conversation as broken. The big branch is
seeded with bulk inserts (not through the chat), then the services and the handlers are
timed on it.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import itertools
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiogram import Bot, Dispatcher
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    SendDocument,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from openpyxl import load_workbook
from sqlalchemy import func, insert, select

from bench import Result, bench_settings, count_statements, migrated_database, percentiles
from bot.app import build_bot, build_dispatcher
from bot.clock import SystemClock
from bot.config import Settings
from bot.services.mandates import queries
from bot.services.mandates.lifecycle import OPEN_STATUSES
from bot.services.paging import Page
from bot.services.people import Person, Role, grant_role, load_person
from bot.services.working_days import add_working_days
from bot.texts import t
from handlers.callbacks import ExportCb, MandateListCb
from handlers.mandates.export import period_dates
from handlers.mandates.lists import PER_PAGE  # what /inbox shows
from storage.db import Database
from storage.models import (
    Branch,
    Consent,
    LocalBranch,
    Mandate,
    MandateCounter,
    MandateEvent,
    MandatePhoto,
    Region,
)
from storage.models import User as UserRow
from tests.harness.session import RecordingSession

TIMEZONE = "Europe/Moscow"
SUBMITTERS_FROM = 3_000_000
WARMUP = SUBMITTERS_FROM - 1
SECRETARIES_FROM = 3_900_000
BIG_SECRETARY = 4_000_000
BIG_AUTHORS_FROM = 4_100_000
SUBMIT_BRANCHES = 10
DUPLICATE_SHARE = 0.05  # conversations that repeat a neighbour's mandate on purpose
LIST_RUNS = 7
EXPORT_RUNS = 3

# Words with distinct stems (as `similarity.find_similar` compares texts): seven drawn at
# random seldom share four stems with another text, so the «похожие наказы» offer comes
# almost only for the planned repeats (3 random texts of 958 brought it in a full run).
_WORDS = """
фонари подъезд крыша лифт асфальт ямы тротуар скамейки детская площадка мусор
контейнеры остановка автобус маршрутка светофор переход шлагбаум парковка газон
деревья кусты ветки канализация трубы отопление батареи горячая холодная вода напор
счётчики электричество проводка щиток подвал чердак крыльцо перила пандус коляски
инвалиды пенсионеры школа поликлиника больница аптека врачи очередь запись педиатр
кружок библиотека спортзал стадион каток горка качели песочница забор ограждение
ворота калитка собаки бездомные кошки крысы тараканы шум соседи ремонт стройка кран
пыль грязь лужи слякоть снег сосульки наледь гололёд уборка дворник управляющая
компания тарифы квитанции долги почта отделение банкомат магазин рынок ларёк вывеска
реклама граффити окна двери домофон замок камеры видеонаблюдение освещение тьма овраг
ручей пруд свалка дым запах выбросы завод котельная трамвай рельсы мост дамба
"""
WORDS = _WORDS.split()


def _text(rng: random.Random) -> str:
    return f"{' '.join(rng.sample(WORDS, 7)).capitalize()}, дом {rng.randint(1, 300)}"


# --- a recording session that a scripted member can read cheaply ------------------------------


class ChatRecorder(RecordingSession):
    """`RecordingSession` that also keeps, per chat, the newest inline keyboard shown and the
    message carrying it, so pressing a button costs a dict lookup instead of a scan of every
    request recorded so far (`BotClient` scans, which is fine for a test, not for 10,000)."""

    def __init__(self) -> None:
        super().__init__()
        self.keyboards: dict[int, tuple[int, InlineKeyboardMarkup]] = {}
        self.last_text: dict[int, str | None] = {}

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, SendMessage | EditMessageText | EditMessageReplyMarkup):
            chat_id = int(method.chat_id or 0)
            markup = method.reply_markup
            if not isinstance(method, EditMessageReplyMarkup):
                self.last_text[chat_id] = method.text
            if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard:
                self.keyboards[chat_id] = (result.message_id, markup)
            elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
                shown = self.keyboards.get(chat_id)
                if shown and shown[0] == method.message_id:  # its buttons are gone
                    del self.keyboards[chat_id]
        return result

    def errors(self) -> int:
        """The error handler's apologies: a handler raised."""
        apology = t("common.error")
        return sum(1 for r in self.sent(SendMessage) if r.text == apology)


_ids = itertools.count(1)


class StepFailed(RuntimeError):
    """The bot did not answer a step as the flow expects (an apology, a missing button)."""


class Member:
    """One scripted Telegram user: sends text, presses buttons by label, times each update.

    With `turn` (a lock shared by all members) updates are handled one at a time, as long
    polling does with handle_as_tasks=False; without it, all at once."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        recorder: ChatRecorder,
        user_id: int,
        turn: asyncio.Lock | None = None,
    ) -> None:
        self.dp, self.bot, self.recorder, self.turn = dp, bot, recorder, turn
        self.user = User(id=user_id, is_bot=False, first_name="Участник", language_code="ru")
        self.chat = Chat(id=user_id, type="private", first_name="Участник")
        self.latencies: list[float] = []

    async def _feed(self, update: Update) -> None:
        async with self.turn or contextlib.nullcontext():
            before = time.perf_counter()
            await self.dp.feed_update(self.bot, update)
            self.latencies.append(time.perf_counter() - before)
        if self.recorder.last_text.get(self.user.id) == t("common.error"):
            raise StepFailed(f"user {self.user.id}: the bot apologised for an error")

    async def send(self, text: str) -> None:
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = Message(
            message_id=next(_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
            entities=entities,
        )
        await self._feed(Update(update_id=next(_ids), message=message))

    def buttons(self) -> list[str]:
        shown = self.recorder.keyboards.get(self.user.id)
        if shown is None:
            return []
        return [b.text for row in shown[1].inline_keyboard for b in row]

    async def click(self, label: str) -> None:
        """Press the button whose text contains `label` on the newest inline keyboard."""
        message_id, markup = self.recorder.keyboards.get(self.user.id, (0, None))
        for row in markup.inline_keyboard if markup else []:
            for button in row:
                if label in button.text:
                    await self.click_data(button.callback_data or "", message_id)
                    return
        raise StepFailed(f"user {self.user.id}: no button {label!r} among {self.buttons()}")

    async def click_data(self, data: str, message_id: int = 1) -> None:
        message = Message(message_id=message_id, date=datetime.now(UTC), chat=self.chat, text="…")
        query = CallbackQuery(
            id=str(next(_ids)), from_user=self.user, chat_instance="ci", data=data, message=message
        )
        await self._feed(Update(update_id=next(_ids), callback_query=query))


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
        await _add_people(session, people, now)
        for user_id, branch_id in secretaries.items():
            await grant_role(session, user_id, Role.SECRETARY, now, branch_id=branch_id)
    return homes


async def _add_people(session: Any, people: dict[int, int], now: datetime) -> None:
    """Members past onboarding: in their branch, consent given."""
    await session.execute(
        insert(UserRow),
        [
            {
                "id": user_id,
                "full_name": f"Участник {user_id}",
                "branch_id": branch_id,
                "created_at": now,
                "joined_branch_at": now,
            }
            for user_id, branch_id in people.items()
        ],
    )
    await session.execute(
        insert(Consent),
        [
            {"user_id": user_id, "version": 1, "accepted": True, "decided_at": now}
            for user_id in people
        ],
    )


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
    text = repeat[1] if repeat else _text(log.rng)
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


# --- 2. /inbox and /export on a big branch ----------------------------------------------------


@dataclass(frozen=True, slots=True)
class BigBranch:
    branch_id: int
    secretary_id: int
    mandates: int
    open: int
    overdue: int


# Status shares by age: old mandates are mostly finished, fresh ones mostly waiting.
_OLD_STATUSES = {"resolved": 60, "rejected": 12, "forwarded": 8, "accepted": 15, "new": 4}
_FRESH_STATUSES = {"new": 30, "accepted": 35, "clarification": 5, "forwarded": 10}
_FRESH_STATUSES |= {"resolved": 15, "rejected": 5}
FRESH_DAYS = 90
SPAN_DAYS = 730  # mandates submitted over the last two years


def _status(rng: random.Random, age: timedelta) -> str:
    shares = _FRESH_STATUSES if age.days < FRESH_DAYS else _OLD_STATUSES
    return rng.choices(list(shares), weights=list(shares.values()))[0]


class _BranchRows:
    """Mandate, photo and history rows of one branch, as plain dicts for bulk inserts."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.mandates: list[dict[str, Any]] = []
        self.photos: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.counters: dict[int, int] = {}

    def add(
        self,
        rng: random.Random,
        branch: tuple[int, str],
        created: datetime,
        now: datetime,
        authors: list[int],
        secretary: int,
        categories: tuple[str, ...],
    ) -> None:
        branch_id, branch_number = branch
        mandate_id, self.next_id = self.next_id, self.next_id + 1
        year = created.astimezone(ZoneInfo(TIMEZONE)).year
        self.counters[year] = sequence = self.counters.get(year, 0) + 1
        status = _status(rng, now - created)
        author = rng.choice(authors)
        due = add_working_days(created, 3, TIMEZONE)
        answered = closed = None
        if status != "new":
            answered = min(created + timedelta(hours=rng.uniform(2, 150)), now)
        if status in ("resolved", "rejected"):
            closed = min(answered + timedelta(days=rng.uniform(0, 40)), now)  # type: ignore[operator]
        voter = rng.random() < 0.3
        rated = rng.randint(3, 5) if status == "resolved" and rng.random() < 0.6 else None
        self.mandates.append(
            {
                "id": mandate_id,
                "number": f"{branch_number}/{year}/{sequence:04d}",
                "branch_id": branch_id,
                "author_id": author,
                "category": rng.choice(categories),
                "text": _text(rng) + ". " + _text(rng),
                "address": f"ул. Мира, {rng.randint(1, 300)}" if rng.random() < 0.6 else None,
                "latitude": None,
                "longitude": None,
                "on_behalf": "voter" if voter else "self",
                "voter_name": "Анна Петровна Смирнова" if voter else None,
                "voter_phone": "+79181234567" if voter and rng.random() < 0.5 else None,
                "status": status,
                "status_before_clarification": "accepted" if status == "clarification" else None,
                "forwarded_to": "Администрация района" if status == "forwarded" else None,
                "supporters": rng.choice((0, 0, 0, 1, 2)),
                "created_at": created,
                "updated_at": closed or answered or created,
                "due_at": due,
                "first_answered_at": answered,
                "closed_at": closed,
                "rating": rated,
                "rated_at": closed if rated else None,
            }
        )
        if rng.random() < 0.1:
            self.photos += [
                {"mandate_id": mandate_id, "position": n, "file_id": f"photo-{mandate_id}-{n}"}
                for n in range(rng.randint(1, 3))
            ]
        self._history(mandate_id, author, secretary, status, created, answered, closed)
        if rated:
            self.events.append(
                {"mandate_id": mandate_id, "actor_id": author, "actor_role": "author"}
                | {"action": "rated", "from_status": None, "to_status": None, "comment": None}
                | {"rating": rated, "created_at": closed}
            )

    def _history(
        self,
        mandate_id: int,
        author: int,
        secretary: int,
        status: str,
        created: datetime,
        answered: datetime | None,
        closed: datetime | None,
    ) -> None:
        base = {"mandate_id": mandate_id, "comment": None, "rating": None}
        self.events.append(
            base
            | {"actor_id": author, "actor_role": "author", "action": "submitted"}
            | {"from_status": None, "to_status": "new", "created_at": created}
        )
        if answered is None:
            return
        for n, (action, before, after, comment) in enumerate(_HISTORY[status]):
            at = closed if action == "resolved" and closed else answered + timedelta(hours=n)
            self.events.append(
                base
                | {"actor_id": secretary, "actor_role": "secretary", "action": action}
                | {"from_status": before, "to_status": after, "created_at": at}
                | {"comment": comment}
            )


# The secretary's steps that lead to each status: (action, from, to, comment).
_ACCEPT = ("accepted", "new", "accepted", None)
_HISTORY: dict[str, list[tuple[str, str, str, str | None]]] = {
    "accepted": [_ACCEPT],
    "rejected": [("rejected", "new", "rejected", "Вопрос не относится к ведению отделения")],
    "clarification": [
        _ACCEPT,
        ("clarification_asked", "accepted", "clarification", "Уточните номер подъезда"),
    ],
    "forwarded": [_ACCEPT, ("forwarded", "accepted", "forwarded", "Администрация района")],
    "resolved": [_ACCEPT, ("resolved", "accepted", "resolved", "Работы выполнены")],
}


async def seed_big_branch(
    database: Database, settings: Settings, count: int, now: datetime
) -> BigBranch:
    """One branch with `count` mandates submitted over two years, realistic statuses (old
    ones mostly finished, some still waiting and overdue), history and some photos; two
    neighbouring branches with a fifth as many each, for the scope filter to leave out."""
    rng = random.Random(7)
    categories = tuple(settings.mandate_categories)
    async with database.transaction() as session:
        region = Region(code="23", name="Краснодарский край", timezone=TIMEZONE)
        session.add(region)
        await session.flush()
        local = LocalBranch(region_id=region.id, name="Краснодарское местное отделение")
        session.add(local)
        await session.flush()
        branches = [
            Branch(region_id=region.id, local_branch_id=local.id, number=f"20-0{n}", name=name)
            for n, name in ((3, "первый Береговой округ"), (4, "второй"), (5, "третий"))
        ]
        session.add_all(branches)
        await session.flush()
        authors = {BIG_AUTHORS_FROM + n: branches[n % 3].id for n in range(300)}
        await _add_people(session, {BIG_SECRETARY: branches[0].id, **authors}, now)
        await grant_role(session, BIG_SECRETARY, Role.SECRETARY, now, branch_id=branches[0].id)
        rows = _BranchRows(first_id=1)
        for branch, size in zip(branches, (count, count // 5, count // 5), strict=True):
            mine = [a for a, b in authors.items() if b == branch.id]
            ages = sorted((rng.uniform(0, SPAN_DAYS) for _ in range(size)), reverse=True)
            rows.counters = {}
            for days in ages:
                created = now - timedelta(days=days)
                where = (branch.id, branch.number)
                rows.add(rng, where, created, now, mine, BIG_SECRETARY, categories)
            session.add_all(
                MandateCounter(branch_id=branch.id, year=year, last=last)
                for year, last in rows.counters.items()
            )
        # Core inserts on the tables: one executemany each (the ORM's bulk path would
        # split rows whose None columns differ into many single-row statements).
        for model, data in ((Mandate, rows.mandates), (MandatePhoto, rows.photos)):
            await session.execute(model.__table__.insert(), data)
        await session.execute(MandateEvent.__table__.insert(), rows.events)
    big = [m for m in rows.mandates if m["branch_id"] == branches[0].id]
    waiting = [m for m in big if m["status"] in OPEN_STATUSES]
    overdue = sum(1 for m in waiting if m["first_answered_at"] is None and m["due_at"] <= now)
    return BigBranch(branches[0].id, BIG_SECRETARY, len(big), len(waiting), overdue)


async def _timed(runs: int, call: Callable[[], Awaitable[Any]]) -> tuple[list[float], Any]:
    """Run `call` once to warm up, then `runs` times; the times in seconds, the last result."""
    result = await call()
    times = []
    for _ in range(runs):
        before = time.perf_counter()
        result = await call()
        times.append(time.perf_counter() - before)
    return times, result


def _timing(times: list[float]) -> str:
    median = statistics.median(times) * 1000
    return f"median {median:,.1f} ms of {len(times)} (min {min(times) * 1000:,.1f})"


async def bench_big_branch(count: int) -> list[Result]:
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        settings = bench_settings(Path(folder))
        database = await migrated_database(settings)
        try:
            now = SystemClock().now()
            before = time.perf_counter()
            big = await seed_big_branch(database, settings, count, now)
            seeding = time.perf_counter() - before
            async with database.sessions() as session:
                person = await load_person(
                    session,
                    await session.get_one(UserRow, big.secretary_id),
                    admin_ids=settings.admin_ids,
                    consent_version=settings.consent_version,
                    default_timezone=settings.default_timezone,
                )
            results, exported = await _bench_services(database, person, big, now, seeding)
            results += await _bench_handlers(settings, database, big, exported)
        finally:
            await database.dispose()
    return results


async def _bench_services(
    database: Database, person: Person, big: BigBranch, now: datetime, seeding: float
) -> tuple[list[Result], dict[str, int]]:
    """The services alone, each in a transaction as a handler runs them. Also returns how
    many mandates each export period holds."""
    exported: dict[str, int] = {}

    async def inbox(page: int) -> Page[Any]:
        async with database.transaction() as session:
            return await queries.inbox(session, person, now, page=page, per_page=PER_PAGE)

    times, first = await _timed(LIST_RUNS, lambda: inbox(1))
    pages = first.pages
    where = (
        f"{big.mandates:,} in the branch, {big.open:,} open, {big.overdue:,} overdue "
        f"(seeded in {seeding:.1f} s)"
    )
    results = [
        Result(
            f"mandates: inbox service, page 1 of {pages:,}",
            1,
            statistics.median(times),
            f"{_timing(times)}; {where}",
        )
    ]
    times, last = await _timed(LIST_RUNS, lambda: inbox(pages))
    results.append(
        Result(
            f"mandates: inbox service, page {pages:,} (the last)",
            1,
            statistics.median(times),
            f"{_timing(times)}; page {last.page} with {len(last.items)} mandates",
        )
    )
    today = now.astimezone(ZoneInfo(person.timezone)).date()
    for period in ("year", "all"):
        date_from, date_to = period_dates(period, today)

        async def export(date_from: date = date_from, date_to: date = date_to) -> bytes:
            async with database.reading() as session:  # as the handler reads for it
                return await export.export_mandates_xlsx(
                    session, person, date_from, date_to, person.timezone, now
                )

        times, data = await _timed(EXPORT_RUNS, export)
        mandates, history = _rows_in(data)
        exported[period] = mandates
        results.append(
            Result(
                f"mandates: export service, {'a year' if period == 'year' else 'all time'}",
                mandates,
                statistics.median(times),
                f"{_timing(times)}; {mandates:,} mandates + {history:,} history rows, "
                f"{len(data) / 1e6:.1f} MB",
            )
        )
    return results, exported


def _rows_in(data: bytes) -> tuple[int, int]:
    """Mandates and history rows in the workbook (headers left out): it really opens."""
    workbook = load_workbook(io.BytesIO(data), read_only=True)
    counts = [sum(1 for _ in sheet.iter_rows()) - 1 for sheet in workbook.worksheets]
    workbook.close()
    return counts[0], counts[1]


async def _bench_handlers(
    settings: Settings, database: Database, big: BigBranch, exported: dict[str, int]
) -> list[Result]:
    """The same through the dispatcher, from middlewares to the reply; an export until its
    file is sent (the handler answers at once and builds the file in the background). The
    rows count a list page as one item and an export as the mandates in its file."""
    recorder = ChatRecorder()
    bot = build_bot(settings, session=recorder)
    dp = build_dispatcher(settings, database, start_background=False)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    secretary = Member(dp, bot, recorder, big.secretary_id)
    pages = -(-big.open // PER_PAGE)
    last_page = MandateListCb(view="inbox", page=pages).pack()
    results = []
    try:
        for label, step in [
            ("/inbox (page 1)", lambda: secretary.send("/inbox")),
            (f"inbox page {pages:,} button", lambda: secretary.click_data(last_page)),
        ]:
            times, _ = await _timed(LIST_RUNS, step)
            name = f"mandates: {label} through the dispatcher"
            notes = f"{_timing(times)}; {_shown(recorder, big)}"
            results.append(Result(name, 1, statistics.median(times), notes))
        for period, label in (("year", "«За год»"), ("all", "«За всё время»")):
            documents = len(recorder.sent(SendDocument))
            answered: list[float] = []
            press = functools.partial(_export, dp, secretary, period, answered)
            times, _ = await _timed(EXPORT_RUNS, press)
            sent = len(recorder.sent(SendDocument)) - documents
            files = "an .xlsx sent each time" if sent == EXPORT_RUNS + 1 else f"{sent} files sent"
            notes = (
                f"{_timing(times)} to the file sent; the button answered in "
                f"{statistics.median(answered) * 1000:,.1f} ms; {files}"
            )
            name = f"mandates: /export {label} through the dispatcher"
            results.append(Result(name, exported[period], statistics.median(times), notes))
        if recorder.errors():
            raise RuntimeError(f"{recorder.errors()} handler errors while timing the handlers")
        bystander = Member(dp, bot, recorder, BIG_AUTHORS_FROM)
        results.append(await _meanwhile(dp, secretary, bystander))
    finally:
        await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)
    return results


async def _export(dp: Dispatcher, secretary: Member, period: str, answered: list[float]) -> None:
    """Press a period button of /export and wait until the file has been sent."""
    before = time.perf_counter()
    await secretary.click_data(ExportCb(period=period).pack())
    answered.append(time.perf_counter() - before)
    if background := dp.workflow_data.get("background"):
        await background.drain()


async def _meanwhile(dp: Dispatcher, secretary: Member, bystander: Member) -> Result:
    """How long another member's /help takes while an all-time export is being built: one
    every 0.2 s until the file is sent, each handled at once with the export."""
    started = time.perf_counter()
    export = asyncio.create_task(_export(dp, secretary, "all", []))
    took: list[float] = []
    failed = 0
    while not export.done():
        await asyncio.sleep(0.2)
        before = time.perf_counter()
        try:
            await bystander.send("/help")
        except StepFailed:
            failed += 1
        took.append(time.perf_counter() - before)
    await export
    total = time.perf_counter() - started
    notes = (
        f"{len(took)} sent, {failed} failed: median {statistics.median(took) * 1000:,.0f} ms, "
        f"max {max(took) * 1000:,.0f} ms; the export took {total * 1000:,.0f} ms"
    )
    name = "mandates: a member's /help during that export"
    return Result(name, len(took), sum(took), notes)


def _shown(recorder: ChatRecorder, big: BigBranch) -> str:
    """What the last list showed: its buttons (one per mandate, then paging)."""
    shown = recorder.keyboards.get(big.secretary_id)
    buttons = sum(len(row) for row in shown[1].inline_keyboard) if shown else 0
    return f"{buttons} buttons on the page"


async def run(users: int, per_user: int, branch_mandates: int) -> list[Result]:
    results: list[Result] = []
    if users and per_user:
        results.append(await bench_submissions(users, per_user, at_once=False))
        results.append(await bench_submissions(users, per_user, at_once=True))
    if branch_mandates:
        results += await bench_big_branch(branch_mandates)
    return results
