"""No database lock is held while Telegram answers, and nothing of the single transaction
is lost for it: a step's state, its data and its notices commit before the step's first
reply leaves; a crash after that commit keeps them and the redelivery is skipped; a crash
after a reply loses only what was written after it (a shown message's id)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from aiogram import Bot
from aiogram.methods import EditMessageText, SendMessage, TelegramMethod
from sqlalchemy import func, insert, select
from sqlalchemy.exc import DBAPIError

from bot.app import build_bot, build_dispatcher
from bot.services.people import Role
from bot.texts import t
from storage.db import Database, WriteOnReadSession
from storage.models import FsmRecord, HandledUpdate, Mandate, OutboxMessage, User
from tests.harness.client import BotClient
from tests.harness.factories import make_branch, make_user
from tests.harness.session import RecordingSession
from tests.test_updates_applied_once import restartable  # noqa: F401  (a fixture)

FIRST, SECOND, SECRETARY = 720, 721, 920
TEXT = "Во дворе дома 12 на улице Мира третий месяц не горят фонари, вечером темно"
GUARD = 20  # seconds: only a deadlock would reach it; nothing is timed


class GatedSession(RecordingSession):
    """Holds every request to `chat` until `gate` opens, as a slow Bot API would; `held`
    is set once one is waiting. The order of answered requests is kept in `answered`."""

    def __init__(self, chat: int) -> None:
        super().__init__()
        self.chat = chat
        self.gate = asyncio.Event()
        self.held = asyncio.Event()
        self.answered: list[tuple[int, str]] = []

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        chat = int(getattr(method, "chat_id", 0) or 0)
        if chat == self.chat:
            self.held.set()
            await self.gate.wait()
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, SendMessage):
            self.answered.append((chat, method.text))
        return result


@pytest.fixture
async def gated(settings, database, clock):
    gated = GatedSession(FIRST)
    bot = build_bot(settings, session=gated)
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    await dp.emit_startup(bot=bot, dispatcher=dp, **dp.workflow_data)
    branch = await make_branch(database)
    for user_id in (FIRST, SECOND):
        await make_user(database, user_id, branch_id=branch, full_name="Иван")
    yield gated, BotClient(dp, bot, FIRST), BotClient(dp, bot, SECOND)
    gated.gate.set()
    await dp.emit_shutdown(bot=bot, dispatcher=dp, **dp.workflow_data)


async def test_a_slow_call_holds_up_neither_another_person_nor_their_writes(gated):
    session, first, second = gated
    async with asyncio.timeout(GUARD):
        waiting = asyncio.create_task(first.send("/mandate"))  # writes its state, then asks
        await session.held.wait()  # the first person's reply is on its way, not answered

        await second.send("/mandate")  # a write of its own: it needs the write turn

        assert not waiting.done()
        assert [chat for chat, _ in session.answered] == [SECOND]
        session.gate.set()
        await waiting
    assert [chat for chat, _ in session.answered] == [SECOND, FIRST]


async def test_one_persons_updates_stay_in_order_when_handled_at_once(gated):
    session, first, _ = gated
    async with asyncio.timeout(GUARD):
        mandate = asyncio.create_task(first.send("/mandate"))
        await session.held.wait()
        helped = asyncio.create_task(first.send("/help"))  # as handle_as_tasks would
        await asyncio.sleep(0)  # a chance to overtake, which it must not take
        for _ in range(20):
            await asyncio.sleep(0)
        assert not helped.done()
        assert session.answered == []
        session.gate.set()
        await asyncio.gather(mandate, helped)
    texts = [text for _, text in session.answered]
    assert t("common.help.header") not in texts[0]  # the categories question first
    assert t("common.help.header") in texts[1]


async def test_a_read_only_update_takes_no_write_turn(database, make_client):
    branch = await make_branch(database)
    await make_user(database, FIRST, branch_id=branch, full_name="Иван")
    client = make_client(FIRST)
    async with asyncio.timeout(GUARD), database.transaction() as holding:
        # Another writer holds the write turn (on SQLite: the one write connection, with
        # its BEGIN IMMEDIATE) for as long as /help takes: /help does not wait for it.
        await holding.execute(select(1))
        await client.send("/help")
        assert t("common.help.header") in client.last_text


async def test_a_write_on_the_read_session_fails_loudly(database):
    async with database.update_work(None) as work:
        with pytest.raises(DBAPIError):  # SQLite's query_only, PostgreSQL's read only
            await work.read.execute(
                insert(HandledUpdate).values(bot_id=1, update_id=1, handled_at=func.now())
            )
    with pytest.raises(WriteOnReadSession):
        async with database.update_work(None) as work:
            work.read.add(FsmRecord(key="k", state="s", data={}))


class Died(BaseException):
    """The process is killed: nothing of the update runs any further."""


class DyingSession(RecordingSession):
    """Dies at the `nth` request of `method`: before it leaves, or right after its answer."""

    def __init__(self, method: type[TelegramMethod[Any]], *, after: bool) -> None:
        super().__init__()
        self.method, self.after, self.armed = method, after, False

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        if self.armed and isinstance(method, self.method) and not self.after:
            raise Died
        result = await super().make_request(bot, method, timeout)
        if self.armed and isinstance(method, self.method):
            raise Died
        return result


def _dying(settings, database: Database, clock, method, *, after: bool) -> BotClient:
    dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    return BotClient(dp, build_bot(settings, DyingSession(method, after=after)), FIRST)


async def _counts(database: Database) -> tuple[int, int]:
    async with database.reading() as session:
        mandates = await session.scalar(select(func.count()).select_from(Mandate))
        notices = await session.scalar(select(func.count()).select_from(OutboxMessage))
    return mandates or 0, notices or 0


async def _state(client: BotClient) -> tuple[str | None, dict]:
    context = client.dp.fsm.get_context(client.bot, client.user.id, client.user.id)
    return await context.get_state(), await context.get_data()


async def test_killed_after_the_commit_before_the_reply_the_step_is_kept_and_not_redone(
    settings, database, clock
):
    branch = await make_branch(database)
    await make_user(database, FIRST, branch_id=branch)
    await make_user(database, SECRETARY, roles={Role.SECRETARY: [branch]})
    before = _dying(settings, database, clock, EditMessageText, after=False)
    await before.send("/mandate")
    await before.click("ЖКХ")
    await before.send(TEXT)
    await before.send("ул. Мира, 12")
    await before.click("Без фото")
    await before.click("Мой")
    before.session.armed = True  # type: ignore[attr-defined]
    with pytest.raises(Died):  # the mandate is saved; the process dies before «sent»
        await before.click("Отправить")
    pressed = before.last_update
    assert pressed is not None
    assert await _counts(database) == (1, 1)  # the mandate and the secretary's notice
    assert (await _state(before))[0] is None  # the form is left, in the same commit

    after = BotClient(before.dp, build_bot(settings, RecordingSession()), FIRST)
    await after.feed(pressed)  # Telegram hands it out again

    assert [r.__api_method__ for r in after.session.requests] == ["answerCallbackQuery"]
    assert await _counts(database) == (1, 1)


async def test_killed_after_a_reply_only_the_bookkeeping_after_it_is_lost(
    settings, database, clock
):
    branch = await make_branch(database)
    await make_user(database, FIRST, branch_id=branch)
    before = _dying(settings, database, clock, SendMessage, after=True)
    await before.send("/mandate")
    await before.click("ЖКХ")
    await before.send(TEXT)
    before.session.armed = True  # type: ignore[attr-defined]
    with pytest.raises(Died):  # the photo question left; then the process died
        await before.send(t("mandate_submit.button.skip_address"))
    typed = before.last_update
    assert typed is not None

    state, data = await _state(before)
    assert state == "MandateForm:photos"  # the step, committed before its reply
    assert data["draft"]["address"] is None
    assert data["draft"]["text"]
    # The photo question's message id is bookkeeping written after its reply: lost, so
    # what is remembered is still the address question's message.
    assert data["asked"]["step"] == "MandateForm:address"

    after = BotClient(before.dp, build_bot(settings, RecordingSession()), FIRST)
    await after.feed(typed)
    assert after.session.requests == []  # applied once: not asked again, not re-applied
    async with database.reading() as session:
        assert await session.get(User, FIRST) is not None


async def test_a_connection_returned_in_a_transaction_does_not_keep_the_write_turn(database):
    """The pool does not ROLLBACK on every return (a thread hop per session on SQLite);
    one that comes back in a transaction anyway is rolled back at its next checkout."""
    if not database.sqlite:
        pytest.skip("the write pool of one connection is SQLite's")

    def leave_open(sync_conn) -> None:  # behind SQLAlchemy's back
        cursor = sync_conn.connection.dbapi_connection.cursor()
        cursor.execute("BEGIN IMMEDIATE")
        cursor.close()

    async with database.engine.connect() as conn:
        await conn.run_sync(leave_open)
    async with asyncio.timeout(GUARD), database.transaction() as session:
        await session.execute(
            insert(HandledUpdate).values(bot_id=1, update_id=2, handled_at=func.now())
        )
    async with database.reading() as session:
        assert await session.scalar(select(func.count()).select_from(HandledUpdate)) == 1
