"""Forged and stale buttons, pressed by people in several states (tests/harness/odd.py):
data of every callback factory with a number too big for the database, negative, not a
number, or a word outside its closed set. Each gets the stale-button answer (or «Нет
доступа»), never the error handler, and changes nothing."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from bot.services.mandates import notices
from bot.services.masterclasses import notices as mc_notices
from bot.services.practices import notices as pr_notices
from bot.texts import t
from handlers.callbacks import (
    MandateCb,
    MandateRateCb,
    MasterclassCb,
    MasterclassRateCb,
    PracticeCb,
    PracticeFollowupCb,
)
from storage.models import Mandate
from tests.harness.odd import BIG, INT32_OVER, STATES, errors_in, fsm, said, snapshot
from tests.mandates.work_steps import press

# A forged press is told the button is stale, or «Нет доступа»; a submission's button
# outside the submission or at another step, that the draft is gone or the step is another;
# an export's period it does not know, that there is no such period.
ANSWERS = {
    t("common.stale_button"),
    t("errors.access_denied"),
    t("mandate_submit.stale"),
    t("mandate_submit.stale_step"),
    t("mandate_work.export.period_unknown"),
}

FORGED_DATA = [
    # md: every action with an id too big, negative, not a number; an unknown action
    *(f"md:{action}:{BIG}" for action in ("open", "accept", "ask", "forward", "resolve")),
    *(f"md:{action}:{BIG}" for action in ("reject", "comment", "answer", "rate", "menu")),
    f"md:fwd_skip:{BIG}",
    f"md:open:{INT32_OVER}",
    "md:open:-1",
    "md:open:abc",
    "md:open:1.5",
    "md:open:",
    "md:frobnicate:1",
    "md:open:1:2",
    # mdr: id and score
    f"mdr:{BIG}:1",
    f"mdr:1:{BIG}",
    "mdr:1:7",
    "mdr:1:-1",
    "mdr:x:y",
    # ml: page, branch, status and view
    f"ml:my:{BIG}:0:",
    f"ml:inbox:{BIG}:0:",
    f"ml:cur:1:{BIG}:",
    f"ml:cur_b:1:{INT32_OVER}:",
    "ml:cur:1:0:bogus",
    "ml:nope:1:0:",
    "ml:inbox:-5:0:",
    # pk: the branch picker, for joining and for invites
    f"pk:join:reg:{BIG}:1",
    f"pk:join:loc:{BIG}:1",
    f"pk:join:br:{BIG}:1",
    f"pk:join:regp:0:{BIG}",
    f"pk:inv:br:{BIG}:1",
    "pk:join:nowhere:1:1",
    "pk:evil:reg:1:1",
    # the submission, the export, consent, the admin panel
    f"ms:similar:{BIG}",
    f"ms:cat:{BIG}",
    "ms:explode:",
    f"ex:{BIG}",
    "ex:decade",
    f"cs:{BIG}",
    f"adm:role:{BIG}",
    "adm:nuke:",
    # no factory at all
    "",
    "nothing-known",
]


@pytest.mark.parametrize("who", STATES)
@pytest.mark.parametrize("data", FORGED_DATA)
async def test_a_forged_button_is_stale_and_changes_nothing(
    odd_client, dp, database, caplog, who, data
):
    client = odd_client
    tables, state = await snapshot(database), await fsm(dp, client)
    since = len(client.session.requests)
    caplog.set_level(logging.INFO)

    await client.click_data(data)

    assert not errors_in(caplog)
    answers = said(client, since)
    assert t("common.error") not in answers
    assert answers
    assert set(answers) <= ANSWERS, answers
    assert await snapshot(database) == tables
    assert await fsm(dp, client) == state


@pytest.mark.parametrize("who", ["secretary"])
async def test_the_same_buttons_in_range_still_work(odd_client, database, who):
    """The bounds let every real id through: the secretary accepts from the card."""
    await press(odd_client, t("mandate_work.button.accept"))
    async with database.sessions() as session:
        assert await session.scalar(select(Mandate.status)) == "accepted"
    assert t("common.error") not in odd_client.replies()


def test_the_notices_buttons_pass_the_bounds():
    """Notices in the outbox build `md`/`mdr` data by hand: each must unpack."""
    for action in ("open", "accept", "ask", "answer"):
        assert MandateCb.unpack(notices.mandate_cb(action, 2**31 - 1)).id == 2**31 - 1
    for score in range(6):
        assert MandateRateCb.unpack(notices.rate_cb(1, score)).score == score


def test_the_practices_and_masterclasses_notices_buttons_unpack():
    """So do the `pr`, `prf`, `mc` and `mcr` buttons of their notices: a field added to
    one of these classes would leave every notice already sent with a dead button."""
    for action in ("open", "pub", "ret", "edit"):
        assert PracticeCb.unpack(pr_notices.practice_cb(action, 2**31 - 1)).action == action
    for outcome in ("yes", "no", "trying"):
        assert PracticeFollowupCb.unpack(pr_notices.followup_cb(7, outcome)).outcome == outcome
    for action in ("open", "reg", "come", "decline", "checkin"):
        assert MasterclassCb.unpack(mc_notices.masterclass_cb(action, 9)).action == action
    for score in range(1, 6):
        assert MasterclassRateCb.unpack(mc_notices.rate_cb(9, score)).score == score
