"""FSM state names are persisted data: the FSM table keeps "ClassName:attr" (aiogram's
name for a state), so moving a StatesGroup to another module is fine, renaming one is not.

A conversation begun before the code moved (its row written here as the old code left it)
is finished after the move, and the names the routers use are exactly today's. With
`REDIS_URL` the names are persisted in Redis instead, under aiogram's own keys: the state
is written there through the storage, the row format does not apply.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from aiogram import Router
from aiogram.filters import StateFilter
from aiogram.fsm.state import State
from aiogram.fsm.storage.base import StorageKey
from sqlalchemy import select

from handlers import build_routers
from storage.fsm import DatabaseStorage, record_key
from storage.models import FsmRecord, Mandate
from tests.mandates.helpers import TEXT, get_mandate, submit

BOT_ID = 42  # the bot of the test token

# Every state name in the FSM table today. Renaming one strands the people who are in it.
STATE_NAMES = frozenset(
    {
        "AdminForm:csv",
        "AdminForm:invite",
        "DutyCreate:branch",
        "DutyCreate:confirm",
        "DutyCreate:kind",
        "DutyCreate:role",
        "DutyCreate:schedule",
        "DutyCreate:scope",
        "DutyCreate:text",
        "MasterclassAttend:code",
        "MasterclassAttend:comment",
        "MasterclassForm:announce",
        "MasterclassForm:audience",
        "MasterclassForm:capacity",
        "MasterclassForm:deadline",
        "MasterclassForm:description",
        "MasterclassForm:duration",
        "MasterclassForm:host",
        "MasterclassForm:place",
        "MasterclassForm:starts",
        "MasterclassForm:summary",
        "MasterclassForm:title",
        "MasterclassManage:confirm_cancel",
        "MasterclassManage:confirm_material",
        "MasterclassManage:confirm_text",
        "MasterclassManage:material",
        "MasterclassManage:reason",
        "MasterclassManage:text",
        "MasterclassManage:value",
        "PracticeForm:attachments",
        "PracticeForm:category",
        "PracticeForm:contact",
        "PracticeForm:result",
        "PracticeForm:summary",
        "PracticeForm:title",
        "PracticeForm:what_done",
        "SettingsForm:digest_time",
        "SettingsForm:quiet",
        "PracticeReturn:comment",
        "MandateForm:address",
        "MandateForm:behalf",
        "MandateForm:category",
        "MandateForm:photos",
        "MandateForm:similar",
        "MandateForm:summary",
        "MandateForm:text",
        "MandateForm:voter_name",
        "PracticeFind:words",
        "PracticeReact:comment",
        "PracticeReact:contact",
        "MandateForm:voter_phone",
        "MandateRating:words",
        "MandateWork:answer",
        "MandateWork:authority",
        "MandateWork:comment",
        "MandateWork:forward_note",
        "MandateWork:question",
        "MandateWork:reason",
        "MandateWork:resolution",
        "Onboarding:consent",
        "Onboarding:picking",
    }
)


def _states_filtered_on(router: Router) -> set[str]:
    found: set[str] = set()
    for observer in router.observers.values():
        for handler in observer.handlers:
            for check in handler.filters or ():
                callback = check.callback
                if isinstance(callback, State):
                    found.add(callback.state or "")
                elif isinstance(callback, StateFilter):
                    for state in callback.states:
                        if isinstance(state, State):
                            found.add(state.state or "")
                        elif isinstance(state, str) and state != "*":
                            found.add(state)
    for child in router.sub_routers:
        found |= _states_filtered_on(child)
    return found


async def test_the_routers_use_exactly_todays_state_names() -> None:
    used = set().union(*(_states_filtered_on(router) for router in build_routers()))
    assert used == STATE_NAMES


async def _begun_before_the_move(dp, user_id: int, state: str, data: dict[str, Any]):
    """The FSM row a conversation left in the table, written as the old code stored it
    (in Redis: the plain state name and data, as aiogram stores them)."""
    key = StorageKey(bot_id=BOT_ID, chat_id=user_id, user_id=user_id)
    if not isinstance(dp.storage, DatabaseStorage):
        await dp.storage.set_state(key, state)
        await dp.storage.set_data(key, data)
        return
    async with dp["database"].transaction() as session:
        session.add(
            FsmRecord(key=record_key(key), state=state, data=data, updated_at=datetime.now(UTC))
        )


async def _stored_state(dp, user_id: int) -> str | None:
    key = StorageKey(bot_id=BOT_ID, chat_id=user_id, user_id=user_id)
    if not isinstance(dp.storage, DatabaseStorage):
        return await dp.storage.get_state(key)
    async with dp["database"].transaction() as session:
        return await session.scalar(select(FsmRecord.state).where(FsmRecord.key == record_key(key)))


def _old_draft(**fields: Any) -> dict[str, Any]:
    draft = {
        "category": "improvement",
        "text": TEXT,
        "address": "ул. Ленина, 15",
        "latitude": None,
        "longitude": None,
        "photos": [],
        "on_behalf": "self",
        "voter_name": None,
        "voter_phone": None,
    }
    return {**draft, **fields}


async def test_a_draft_at_the_summary_is_sent_after_the_move(database, dp, world, make_client):
    await _begun_before_the_move(
        dp,
        world.author,
        "MandateForm:summary",
        {"draft": _old_draft(), "editing": None, "photos_msg": None},
    )
    await make_client(world.author).click_data("ms:send:")
    async with database.transaction() as session:
        saved = (await session.scalars(select(Mandate))).all()
    assert [(m.author_id, m.category, m.text) for m in saved] == [
        (world.author, "improvement", TEXT)
    ]
    assert await _stored_state(dp, world.author) is None


async def test_a_draft_waiting_for_its_text_goes_on_after_the_move(dp, world, make_client):
    draft = _old_draft(text=None, address=None)
    await _begun_before_the_move(dp, world.author, "MandateForm:text", {"draft": draft})
    await make_client(world.author).send(TEXT)
    assert await _stored_state(dp, world.author) == "MandateForm:address"


async def test_a_reason_being_written_is_finished_after_the_move(
    database, dp, world, make_client, clock
):
    mandate = await submit(database, world.author, clock.now())
    await _begun_before_the_move(
        dp,
        world.secretary,
        "MandateWork:reason",
        {"work": {"id": mandate.id, "number": mandate.number}},
    )
    await make_client(world.secretary).send("Вопрос не в компетенции отделения")
    saved = await get_mandate(database, mandate.id)
    assert saved.status == "rejected"
    assert await _stored_state(dp, world.secretary) is None
