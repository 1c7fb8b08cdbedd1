"""Fixtures of the mandate flow tests."""

from __future__ import annotations

import pytest

from bot.services.people import Role
from tests.harness.factories import make_branch, make_user
from tests.mandates.submit_steps import MEMBER, OTHER_MEMBER, SECRETARY


@pytest.fixture
async def branch(database) -> int:
    branch_id = await make_branch(database, "20-03")
    await make_user(database, MEMBER, branch_id=branch_id, full_name="Мария Членова")
    await make_user(database, OTHER_MEMBER, branch_id=branch_id, full_name="Пётр Соседов")
    await make_user(database, SECRETARY, roles={Role.SECRETARY: [branch_id]})
    return branch_id
