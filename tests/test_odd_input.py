"""Odd messages from people in several states (tests/harness/odd.py): huge, invisible,
right-to-left and emoji-only texts, commands with arguments they do not take, media
where a text is asked, contacts, locations and forwards. Each gets a clear Russian answer,
never the error handler; nothing is written that should not be, and a mandate being
written keeps its draft unless the input is a valid answer or a command that leaves."""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

import pytest
from aiogram.types import (
    Contact,
    Document,
    Location,
    MessageOriginUser,
    Sticker,
    User,
    Video,
    Voice,
)

from bot.texts import t
from tests.harness.odd import BIG, STATES, errors_in, fsm, said, send, snapshot

STICKER = Sticker(
    file_id="st", file_unique_id="st", type="regular", width=1, height=1,
    is_animated=False, is_video=False,
)  # fmt: skip
FORWARDED = MessageOriginUser(
    date=datetime(2026, 11, 1, tzinfo=UTC), sender_user=User(id=777, is_bot=False, first_name="Ф")
)
RTL_TEXT = "\u202eабвгд\u202c" * 6  # letters wrapped in a right-to-left override
ARABIC = "مرحبا، هذا نص عربي طويل بما فيه الكفاية عن مشكلة في الحي"

ODD_MESSAGES: dict[str, dict[str, Any]] = {
    "4096 characters": {"text": "а" * 4096},
    "4096 characters of words": {"text": ("слово " * 683)[:4096]},
    "zero-width only": {"text": "\u200b\u200c\u200d\u2060\ufeff" * 10},
    "right-to-left override": {"text": RTL_TEXT},
    "arabic": {"text": ARABIC},
    "emoji only": {"text": "😀🎉👍"},
    "a long run of emoji": {"text": "👨‍👩‍👧‍👦" * 40},
    "start with garbage": {"text": "/start " + "x!@#$%^&*()" * 18 + "яя"},
    "start with a 200-character token": {"text": "/start " + "A" * 200},
    "help with an argument": {"text": "/help me please"},
    "menu with an argument": {"text": "/menu 12345"},
    "cancel with an argument": {"text": "/cancel " + BIG},
    "mandate with an argument": {"text": "/mandate " + BIG},
    "consent with an argument": {"text": "/consent yes"},
    "an unknown command": {"text": "/frobnicate now"},
    "a command for another bot": {"text": "/help@some_other_bot"},
    "sticker": {"sticker": STICKER},
    "voice": {"voice": Voice(file_id="v", file_unique_id="v", duration=3)},
    "video": {"video": Video(file_id="vd", file_unique_id="vd", width=1, height=1, duration=1)},
    "document": {"document": Document(file_id="d", file_unique_id="d", file_name="a.pdf")},
    "contact": {"contact": Contact(phone_number="+79181234567", first_name="Пётр")},
    "location": {"location": Location(latitude=45.03, longitude=38.97)},
    "forwarded text": {"text": "Привет", "forward_origin": FORWARDED},
    "forwarded sticker": {"sticker": STICKER, "forward_origin": FORWARDED},
}
# Commands that leave a flow by design (/start, /menu, /cancel, /mandate starts anew).
LEAVES_FLOW = {
    "start with garbage",
    "start with a 200-character token",
    "menu with an argument",
    "cancel with an argument",
    "mandate with an argument",
    "consent with an argument",
}
# Valid answers to «the text of the mandate»: the draft takes them, cleaned.
MANDATE_TEXTS = {"right-to-left override": "абвгд" * 6, "arabic": ARABIC}


@pytest.mark.parametrize("who", STATES)
@pytest.mark.parametrize("kind", ODD_MESSAGES)
async def test_an_odd_message_is_answered_and_changes_nothing(
    odd_client, dp, database, caplog, who, kind
):
    client = odd_client
    tables, (state, data) = await snapshot(database), await fsm(dp, client)
    since = len(client.session.requests)
    caplog.set_level(logging.INFO)

    await send(client, **ODD_MESSAGES[kind])

    assert not errors_in(caplog)
    answers = said(client, since)
    assert t("common.error") not in answers
    assert answers, "no answer at all"
    assert await snapshot(database) == tables
    if kind in LEAVES_FLOW:
        return
    after, after_data = await fsm(dp, client)
    if who == "submitting" and kind in MANDATE_TEXTS:
        assert after_data["draft"]["text"] == MANDATE_TEXTS[kind]
        return
    if who == "submitting" and kind == "voice":  # kept for step 4, the text still asked
        assert after == state
        assert after_data["draft"]["voices"] == ["v"]
        return

    # A question asked again is a new message under the odd one: only its id (`asked`) moves.
    def kept(d: dict) -> dict:
        return {k: v for k, v in d.items() if k != "asked"}

    assert (after, kept(after_data)) == (state, kept(data))


@pytest.mark.parametrize("payload", ["A" * 200, "x!@#$%^&*()" * 18 + "яя", BIG, "-" * 64])
async def test_a_garbage_start_payload_is_an_unknown_invite(
    make_client, database, caplog, world, payload
):
    """The payload waits for consent, then is looked up as an invite: not found, said so."""
    newcomer = make_client(9100, "Новичок")
    caplog.set_level(logging.INFO)
    await newcomer.send(f"/start {payload}")
    await newcomer.click(t("onboarding.consent_accept"))
    assert not errors_in(caplog)
    assert t("errors.invite_unknown") in newcomer.replies()
