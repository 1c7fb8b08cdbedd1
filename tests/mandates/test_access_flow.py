"""The access matrix through the dispatcher: each role presses forged `md:<action>:<id>`
buttons on a mandate of branch 20-03 and on one of branch 20-04. Where the rules allow
it the action happens; everywhere else the answer is «Нет доступа» and nothing changes —
no status, no history, no notice, no question asked."""

from __future__ import annotations

import pytest
from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import func, select

from bot.services.mandates import decisions
from storage.models import OutboxMessage
from tests.mandates.helpers import World, act, events, get_mandate, submit

ROLES = (
    "author",  # wrote the 20-03 mandate
    "member",  # another member of 20-03
    "secretary",  # of 20-03
    "foreign_secretary",  # of 20-04
    "curator",  # of 20-03
    "foreign_curator",  # of 20-04
    "admin",  # of everything
    "region_admin",  # of another region only
)
# Who may do what, per branch of the mandate: the rules of bot/services/mandates/access.py.
ALLOWED = {
    "20-03": {
        "open": {"author", "secretary", "curator", "admin"},
        "accept": {"secretary", "admin"},
        "resolve": {"secretary", "admin"},
        "comment": {"curator", "admin"},
    },
    "20-04": {
        "open": {"foreign_secretary", "foreign_curator", "admin"},
        "accept": {"foreign_secretary", "admin"},
        "resolve": {"foreign_secretary", "admin"},
        "comment": {"foreign_curator", "admin"},
    },
}
CASES = [
    pytest.param(
        role, action, branch, role in ALLOWED[branch][action], id=f"{role}-{action}-{branch}"
    )
    for role in ROLES
    for action in ("open", "accept", "resolve", "comment")
    for branch in ("20-03", "20-04")
]


async def _snapshot(database, mandate_id: int) -> tuple:
    mandate = await get_mandate(database, mandate_id)
    async with database.sessions() as session:
        queued = await session.scalar(select(func.count()).select_from(OutboxMessage))
    history = [e.action for e in await events(database, mandate_id)]
    return mandate.status, mandate.updated_at, history, queued


async def _mandate(database, clock, w: World, branch: str, action: str) -> int:
    if branch == "20-03":
        m = await submit(database, w.author, clock.now())
        secretary = w.secretary
    else:
        m = await submit(
            database, w.foreign_member, clock.now(), text="Яма на дороге у школы номер 4"
        )
        secretary = w.foreign_secretary
    if action == "resolve":  # resolving needs a mandate in work
        await act(database, decisions.accept_mandate, secretary, m.id, clock.now())
    return m.id


@pytest.mark.parametrize(("role", "action", "branch", "allowed"), CASES)
async def test_access_matrix(world, database, make_client, clock, role, action, branch, allowed):
    mandate_id = await _mandate(database, clock, world, branch, action)
    before = await _snapshot(database, mandate_id)
    client = make_client(getattr(world, role))

    await client.click_data(f"md:{action}:{mandate_id}")

    answers = client.session.sent(AnswerCallbackQuery)
    assert len(answers) == 1  # every press is answered
    if not allowed:
        assert (answers[0].text, answers[0].show_alert) == ("⛔ Нет доступа.", True)
        assert client.replies() == []
        await client.send("Текст, который не должен никуда попасть")
        assert await _snapshot(database, mandate_id) == before
        return

    mandate = await get_mandate(database, mandate_id)
    if action == "open":
        assert f"Наказ № {mandate.number}" in client.last_text
        assert await _snapshot(database, mandate_id) == before
    elif action == "accept":
        assert mandate.status == "accepted"
        assert "Статус: <b>в работе</b>" in client.last_text
    else:  # resolve and comment ask for a text first
        assert mandate.number in client.last_text
        await client.send("Всё сделано, проверили на месте")
        history = [e.action for e in await events(database, mandate_id)]
        if action == "resolve":
            assert (await get_mandate(database, mandate_id)).status == "resolved"
            assert history[-1] == "resolved"
        else:
            assert history[-1] == "comment"
            assert (await get_mandate(database, mandate_id)).status == mandate.status


async def test_an_unknown_mandate_is_not_found(world, make_client):
    secretary = make_client(world.secretary)
    for action in ("open", "accept", "reject"):
        await secretary.click_data(f"md:{action}:999999")
        answer = secretary.session.sent(AnswerCallbackQuery)[-1]
        assert answer.text == "Наказ не найден: возможно, он удалён."
    assert not secretary.session.sent(SendMessage)
    assert not secretary.session.sent(EditMessageText)


async def test_only_the_author_answers_and_rates(world, database, make_client, clock):
    w = world
    m = await submit(database, w.author, clock.now())
    await act(
        database, decisions.ask_clarification, w.secretary, m.id, "Какой подъезд?", clock.now()
    )
    for intruder in (w.secretary, w.admin, w.member):
        client = make_client(intruder)
        await client.click_data(f"md:answer:{m.id}")
        assert client.session.sent(AnswerCallbackQuery)[-1].text == "⛔ Нет доступа."
    await act(database, decisions.answer_clarification, w.author, m.id, "Второй", clock.now())
    await act(database, decisions.accept_mandate, w.secretary, m.id, clock.now())
    await act(database, decisions.resolve_mandate, w.secretary, m.id, "Сделано", clock.now())
    admin = make_client(w.admin)
    await admin.click_data(f"mdr:{m.id}:1")
    assert admin.session.sent(AnswerCallbackQuery)[-1].text == "⛔ Нет доступа."
    mandate = await get_mandate(database, m.id)
    assert (mandate.status, mandate.rating) == ("resolved", None)
