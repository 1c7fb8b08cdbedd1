"""Builds the Bot and the Dispatcher and hands the dispatcher its dependencies."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from aiogram import Bot, Dispatcher, Router
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.base import BaseSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.dispatcher.event.handler import FilterObject
from aiogram.enums import ParseMode
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot.background import Background
from bot.clock import Clock
from bot.config import Settings
from bot.delivery import OutboxSender
from bot.middlewares import (
    AppliedOnceMiddleware,
    DatabaseMiddleware,
    PersonMiddleware,
    SettleBeforeRequest,
    ThrottleMiddleware,
    WritingMiddleware,
)
from bot.scheduler import ApschedulerScheduler, Scheduler, Tick
from bot.services.digest import weekly as digest_weekly
from bot.services.due_work import DueWorkRegistry, DueWorkRunner
from bot.services.duties import delivery as duty_delivery
from bot.services.masterclasses import reminders as masterclass_reminders
from bot.services.practices import reactions as practice_reactions
from bot.services.reminders import kinds as reminder_kinds
from bot.telegram_session import BotApiSession
from handlers import build_routers
from handlers.menus import KeyboardMemory, set_default_commands
from storage import handled_updates
from storage.db import Database
from storage.fsm import DatabaseStorage
from storage.fsm_after_commit import WrittenAfterCommit

log = logging.getLogger(__name__)


def build_bot(settings: Settings, session: BaseSession | None = None) -> Bot:
    if settings.bot_token is None:
        raise ValueError("BOT_TOKEN is not set")
    if session is None:
        session = BotApiSession()
        if settings.telegram_api_base:
            session.api = TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
    # Every request first commits what the update being handled wrote so far: no
    # database lock is held while Telegram answers (bot/middlewares.py).
    if not any(isinstance(m, SettleBeforeRequest) for m in session.middleware):
        session.middleware(SettleBeforeRequest())
    if not any(isinstance(m, KeyboardMemory) for m in session.middleware):
        session.middleware(KeyboardMemory())  # a menu is re-sent only when its keyboard changes
    return Bot(
        token=settings.bot_token.get_secret_value(),
        session=session,
        default=DefaultBotProperties(parse_mode=ParseMode.HTML),
    )


DUE_WORK_CONCURRENCY = 4


def run_sync_filters_inline(root: Router) -> int:
    """Make every plain (non-async) filter below `root` run on the event loop's thread.

    aiogram runs a filter that is no coroutine — `F.text == …`, a `State`, a function —
    through `asyncio.to_thread`: a hop to a worker thread and back for each one checked,
    and routing an update checks dozens (a third of the bot's CPU per update went into
    those hops and their wake-ups). Ours are all a comparison or two, so they are called
    directly; what they answer is the same. Returns how many were changed."""
    changed = 0
    for router in root.chain_tail:
        for observer in router.observers.values():
            filters = list(observer._handler.filters or [])  # the observer's own filters
            for handler in observer.handlers:
                filters += handler.filters or []
            for event_filter in filters:
                if not event_filter.awaitable:
                    _inline(event_filter)
                    changed += 1
    return changed


def _inline(event_filter: FilterObject) -> None:
    check = event_filter.callback

    async def call_inline(*args: object, **kwargs: object) -> object:
        return check(*args, **kwargs)

    event_filter.callback, event_filter.awaitable = call_inline, True


def build_fsm_storage(
    settings: Settings, database: Database
) -> tuple[BaseStorage, BaseEventIsolation]:
    """FSM state in our database by default; in Redis when several bot processes share it."""
    if settings.redis_url:
        from aiogram.fsm.storage.redis import RedisEventIsolation, RedisStorage

        redis = RedisStorage.from_url(settings.redis_url)
        return WrittenAfterCommit(redis, database), RedisEventIsolation(redis.redis)
    return DatabaseStorage(database), SimpleEventIsolation()


def build_dispatcher(
    settings: Settings,
    database: Database,
    *,
    clock: Clock | None = None,
    scheduler: Scheduler | None = None,
    due_work: DueWorkRegistry | None = None,
    start_background: bool = True,
) -> Dispatcher:
    """The dispatcher with routers, middlewares and workflow data.

    `start_background=False` leaves the outbox sender and the scheduler idle, for tests
    that drive them by hand.
    """
    clock = clock or settings.clock()
    storage, isolation = build_fsm_storage(settings, database)
    dp = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        disable_fsm=True,  # registered below, inside the update's transaction
        settings=settings,
        database=database,
        clock=clock,
        mandate_rules=settings.mandate_rules(),
    )
    dp.update.outer_middleware(ThrottleMiddleware(settings.throttle_rate))
    if settings.redis_url:
        # The person's lock around the transaction: their state, written to Redis after
        # the commit (storage/fsm_after_commit.py), is in place before their next update.
        dp.update.outer_middleware(dp.fsm)
        dp.update.outer_middleware(DatabaseMiddleware(database))
    else:
        # FSM after the transaction opens, so reading and writing the state join it: one
        # transaction per update instead of one more for the state, and a step's state
        # and data commit together.
        dp.update.outer_middleware(DatabaseMiddleware(database))
        dp.update.outer_middleware(dp.fsm)
    # Inside the person's turn: skip an update already applied, commit before the turn ends.
    dp.update.outer_middleware(AppliedOnceMiddleware(database))
    dp.update.outer_middleware(PersonMiddleware(database))
    routers = build_routers()
    for router in routers:  # the root: its inner middlewares wrap every handler below it
        for name, observer in router.observers.items():
            if name not in ("update", "error"):
                observer.middleware(WritingMiddleware(database))
    dp.include_routers(*routers)
    run_sync_filters_inline(dp)

    tick = Tick(clock)
    dp["tick"] = tick
    background = Background()
    dp["background"] = background

    async def outbox_tick(now: datetime) -> None:
        # The safety net for a lost wake-up; the sender exists once the bot is known.
        if sender := dp.workflow_data.get("outbox"):
            await sender.on_tick(now)

    tick.register("outbox", outbox_tick)

    async def forget_handled_updates(now: datetime) -> None:
        async with database.transaction() as session:
            await handled_updates.forget_before(
                session, now - timedelta(days=handled_updates.KEEP_FOR_DAYS)
            )

    tick.register("handled_updates", forget_handled_updates)

    # Due work of every feature: each registers its kinds in this registry (see the
    # README, «Due work»); the runner claims and runs what is due on every tick.
    due_work = due_work or DueWorkRegistry()
    # A feature with due work adds its `register_due_work(due_work)` call here.
    masterclass_reminders.register_due_work(due_work)
    practice_reactions.register_due_work(due_work)
    reminder_kinds.register_due_work(
        due_work,
        default_timezone=settings.default_timezone,
        admin_ids=settings.admin_ids,
        escalate_days=settings.mandate_escalate_days,
    )
    digest_weekly.register_due_work(due_work, escalate_days=settings.mandate_escalate_days)
    duty_delivery.register_due_work(due_work, default_timezone=settings.default_timezone)
    dp["due_work"] = due_work

    async def plan_digests(now: datetime) -> None:
        # A curator appointed since the last tick gets the weekly digest's series.
        await digest_weekly.plan_missing_series(database, now)

    tick.register("digest_series", plan_digests)

    def wake_outbox() -> None:
        if sender := dp.workflow_data.get("outbox"):
            sender.wake()

    database.listen("outbox", wake_outbox)  # after a commit that queued notices
    # A few jobs at once: the weekly digests' charts are drawn in child processes while
    # the next ones are read (bot/services/digest/weekly.py).
    runner = DueWorkRunner(database, due_work, clock, concurrency=DUE_WORK_CONCURRENCY)
    dp["due_work_runner"] = runner
    tick.register("due_work", runner.on_tick)

    async def on_startup(bot: Bot) -> None:
        sender = OutboxSender(
            bot,
            database,
            clock,
            global_rate=settings.outbox_rate,
            give_up_after=timedelta(hours=settings.outbox_give_up_hours),
            quiet_hours=settings.quiet_hours(),
            default_timezone=settings.default_timezone,
            keep_for=timedelta(days=settings.outbox_keep_days),
        )
        dp["outbox"] = sender
        await set_default_commands(bot)
        # The morning series of every zone secretaries live in (idempotent; each sweep
        # also starts the series of a zone that appeared since), and the escalations of
        # mandates that have none (idempotent; each sweep back-fills too).
        async with database.transaction() as session:
            await reminder_kinds.start_series(
                session,
                clock.now(),
                settings.default_timezone,
                escalate_days=settings.mandate_escalate_days,
            )
        if start_background:
            if settings.outbox_sender:
                sender.start()
            nonlocal scheduler
            scheduler = scheduler or ApschedulerScheduler()
            scheduler.every(settings.tick_seconds, "tick", tick.run)
            scheduler.start()
            dp["scheduler"] = scheduler

    async def on_shutdown() -> None:
        await background.drain()
        if running := dp.workflow_data.get("scheduler"):
            await running.shutdown()
        if sender := dp.workflow_data.get("outbox"):
            await sender.stop()

    dp.startup.register(on_startup)
    dp.shutdown.register(on_shutdown)
    return dp
