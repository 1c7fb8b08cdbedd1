"""A question asked beside a flow (a practice's author, the search's words, /checkin's
code) does not cost the flow it interrupted: a mandate draft comes back when the question
is answered, cancelled or left for the menu, and says so."""

from __future__ import annotations

from handlers.callbacks import PracticeMenuCb
from tests.mandates.submit_steps import TEXT, fsm_state, to_address
from tests.practices.helpers import published, texts_to

KEPT = "У вас есть неотправленный наказ"


async def _draft_then_contact(world, database, clock, make_client):
    practice = await published(world, database, clock.now(), contact_offer=True)
    user = make_client(world.foreign_member)
    await to_address(user)  # a draft with its category and text, asking for the address
    await user.send(f"/start pr_{practice.id}")
    await user.click("✉️ Связаться с автором")
    return user


async def test_a_draft_comes_back_after_a_message_to_a_practices_author(
    world, database, clock, make_client
):
    user = await _draft_then_contact(world, database, clock, make_client)
    await user.send("Как вы собрали жителей на первое собрание?")
    assert "Сообщение передано автору" in user.last_text
    assert KEPT in user.last_text
    assert any("Как вы собрали" in text for text in await texts_to(database, world.author))

    state, data = await fsm_state(user.dp, user)
    assert state == "MandateForm:address"
    assert data["draft"]["text"] == TEXT
    await user.send("/mandate")
    await user.click("Продолжить")
    await user.send("ул. Мира, 12")  # the address, as the draft asked before
    assert (await fsm_state(user.dp, user))[1]["draft"]["address"] == "ул. Мира, 12"


async def test_cancel_in_the_side_question_cancels_only_it(world, database, clock, make_client):
    user = await _draft_then_contact(world, database, clock, make_client)
    await user.send("/cancel")
    assert user.last_text.startswith("Отменено.")
    assert KEPT in user.last_text
    assert (await fsm_state(user.dp, user))[0] == "MandateForm:address"
    await user.send("/cancel")  # now the draft itself
    assert (await fsm_state(user.dp, user))[0] is None


async def test_the_menu_and_the_searchs_cancel_button_bring_the_draft_back(
    world, database, clock, make_client
):
    user = await _draft_then_contact(world, database, clock, make_client)
    await user.send("/menu")
    assert KEPT in user.last_text
    assert (await fsm_state(user.dp, user))[0] == "MandateForm:address"

    await user.send("/practices")
    await user.click("🔎 Поиск")
    assert (await fsm_state(user.dp, user))[0] == "PracticeFind:words"
    await user.click_data(
        PracticeMenuCb(action="cancel").pack(), message_id=user.messages()[-1]["message_id"]
    )
    assert KEPT in user.last_text
    assert (await fsm_state(user.dp, user))[0] == "MandateForm:address"

    await user.send("/practices")  # searched this time: found, then back to the draft
    await user.click("🔎 Поиск")
    await user.send("собрание")
    assert KEPT in user.last_text
    assert (await fsm_state(user.dp, user))[0] == "MandateForm:address"


async def test_checkin_beside_a_draft_keeps_it(world, database, clock, make_client):
    user = make_client(world.foreign_member)
    await to_address(user)
    await user.send("/checkin")
    assert (await fsm_state(user.dp, user))[0] == "MasterclassAttend:code"
    await user.send("/cancel")
    assert KEPT in user.last_text
    assert (await fsm_state(user.dp, user))[1]["draft"]["text"] == TEXT


async def test_mandate_typed_in_the_side_question_offers_the_draft(
    world, database, clock, make_client
):
    user = await _draft_then_contact(world, database, clock, make_client)
    await user.send("/mandate")
    assert "У вас есть неотправленный наказ." in user.last_text
    await user.click("Продолжить")
    assert (await fsm_state(user.dp, user))[1]["draft"]["text"] == TEXT


async def test_a_practices_draft_comes_back_for_share_practice_typed_in_a_side_question(
    world, make_client
):
    user = make_client(world.foreign_member)
    await user.send("/share_practice")
    await user.send("Наставники для новых секретарей")  # the title: a draft worth keeping
    await user.send("/checkin")
    await user.send("/share_practice")
    assert "У вас есть неотправленная практика «Наставники для новых секретарей»." in (
        user.last_text
    )
