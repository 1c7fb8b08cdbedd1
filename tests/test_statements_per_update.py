"""What an ordinary update costs the database: the person is loaded in one statement."""

from __future__ import annotations

import pytest
from sqlalchemy import event

from bot.services.people import Role
from tests.harness.factories import make_branch, make_user


@pytest.fixture
def settings(settings):
    """What is counted here includes the conversation's row in the database, so the state
    is kept there even in the run with REDIS_URL."""
    return settings.model_copy(update={"redis_url": None})


@pytest.fixture
def statements(database) -> list[str]:
    """Every SQL statement the engine runs from now on, BEGIN included."""
    seen: list[str] = []

    def _count(conn, cursor, statement, parameters, context, executemany) -> None:
        seen.append(statement)

    for engine in database.engines:  # SQLite: the write engine and the read engine
        event.listen(engine.sync_engine, "before_cursor_execute", _count)
    yield seen
    for engine in database.engines:
        event.remove(engine.sync_engine, "before_cursor_execute", _count)


@pytest.mark.parametrize(
    "roles",
    [{}, {Role.SECRETARY: ["own"]}, {Role.CURATOR: ["own", "other"]}],
    ids=["member", "secretary", "curator"],
)
async def test_help_takes_no_write_turn(database, make_client, statements, roles):
    own, other = await make_branch(database, "20-03"), await make_branch(database, "20-04")
    ids = {"own": own, "other": other}
    await make_user(
        database,
        500,
        full_name="Иван",  # as Telegram names them: no rename to write
        branch_id=own,
        roles={role: [ids[b] for b in branches] for role, branches in roles.items()},
    )
    client = make_client(500)

    statements.clear()
    await client.send("/help")

    assert client.last_text  # answered
    # BEGIN, the update's id (so a redelivery is not applied twice), the person with roles,
    # consent and time zone, and the conversation's state.
    # A read-only update takes no write turn: a plain BEGIN on the read engine, the check
    # that it was not applied already, the conversation's state and the person with roles,
    # consent and time zone. Nothing writes, so no id is recorded (a redelivery is simply
    # answered again).
    assert len(statements) <= 4, statements
    assert not [s for s in statements if s.startswith(("BEGIN IMMEDIATE", "INSERT", "UPDATE"))]


async def test_a_renamed_person_is_kept_current_with_one_update_more(
    database, make_client, statements
):
    branch = await make_branch(database)
    await make_user(database, 501, branch_id=branch, full_name="Старое Имя")
    client = make_client(501, first_name="Новое")

    statements.clear()
    await client.send("/help")

    assert sum(s.lstrip().upper().startswith("UPDATE USERS") for s in statements) == 1
    # The read-only part, then the rename in a short write transaction of its own (BEGIN
    # IMMEDIATE and the UPDATE: the person as just read, not read again); /help itself
    # still writes nothing.
    assert len(statements) <= 6, statements


async def test_a_step_of_a_conversation_reads_its_state_once(database, make_client, statements):
    branch = await make_branch(database)
    await make_user(database, 502, full_name="Иван", branch_id=branch)
    client = make_client(502)
    await client.send("/mandate")
    await client.click("ЖКХ")

    statements.clear()
    await client.send("Во дворе дома 12 на улице Мира третий месяц не горят фонари")

    fsm_reads = [s for s in statements if s.lstrip().startswith("SELECT fsm_states")]
    assert len(fsm_reads) == 1, statements  # aiogram asks for state and data: one read
    # The read part (BEGIN, applied already?, the state, the person), then the handler's
    # write transaction: BEGIN IMMEDIATE, the step's new state and data (the row is taken
    # over from the read session, not read again), the update's id; after the reply, a
    # second one records which message shows the question (BEGIN IMMEDIATE, the UPDATE).
    assert len(statements) <= 9, statements
    assert any(s.startswith("INSERT INTO handled_updates") for s in statements), statements


async def test_a_new_conversation_inserts_its_state_once(database, make_client, statements):
    branch = await make_branch(database)
    await make_user(database, 503, full_name="Иван", branch_id=branch)
    client = make_client(503)

    statements.clear()
    await client.send("/mandate")

    writes = [s for s in statements if s.lstrip().startswith(("INSERT INTO fsm", "UPDATE fsm"))]
    # Inserted once with the step's state and data, before the reply; then the id of the
    # message that shows the question, written after the reply (it needs the message).
    assert [w.split()[0] for w in writes] == ["INSERT", "UPDATE"], statements
