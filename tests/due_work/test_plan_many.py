"""`plan_many`: `plan` for many rows at once, with the same idempotence."""

from __future__ import annotations

from datetime import timedelta

from bot.services.due_work import cancel, plan_many
from tests.due_work.helpers import REMIND, due_rows


async def test_many_are_planned_once_cancelled_ones_again_done_ones_never(database, clock):
    at = clock.now() + timedelta(hours=1)
    jobs = [(7, recipient, at) for recipient in range(100, 1300)]  # more than one statement
    async with database.transaction() as session:
        assert await plan_many(session, REMIND, [*jobs, jobs[0]], now=clock.now()) == 1200
        assert await plan_many(session, REMIND, jobs[:10], now=clock.now()) == 0
        await cancel(session, REMIND, 7, 100)
        assert await plan_many(session, REMIND, jobs[:10], now=clock.now()) == 1
        assert await plan_many(session, REMIND, [], now=clock.now()) == 0
    rows = await due_rows(database)
    assert len(rows) == 1200
    assert {row.status for row in rows} == {"pending"}
    assert {row.due_at for row in rows} == {at}
