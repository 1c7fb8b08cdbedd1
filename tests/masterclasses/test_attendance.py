"""Check-in with the code said in the room (right, wrong, expired), the organiser's ticks,
feedback only from those present, and the materials to everyone with a seat."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.services.due_work import DueWorkRegistry
from bot.services.errors import AccessDenied
from bot.services.masterclasses import checkin, feedback
from bot.services.masterclasses import registration as reg
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.feedback import Material, MaterialKind
from bot.services.masterclasses.reminders import register_due_work
from tests.due_work.helpers import runner
from tests.mandates.helpers import act, outbox
from tests.masterclasses.helpers import for_branch, fresh, registrations, texts_to


@pytest.fixture
def registry() -> DueWorkRegistry:
    registry = DueWorkRegistry()
    register_due_work(registry)
    return registry


async def _started(database, world, clock, registry, capacity=None):
    masterclass = await for_branch(world, database, clock.now(), capacity=capacity)
    for user in (world.author, world.member):
        await act(database, reg.register, user, masterclass.id, clock.now())
    clock.set(masterclass.starts_at)
    await runner(database, registry, clock, "r").run_due()
    return await fresh(database, masterclass.id)


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10_000:04d}"


async def test_the_organiser_gets_a_code_at_the_start_and_people_check_in_with_it(
    database, world, clock, registry
):
    masterclass = await _started(database, world, clock, registry)
    code = masterclass.checkin_code
    assert code is not None
    assert len(code) == 4
    assert code.isdigit()
    [told] = await texts_to(database, world.curator)
    assert code in told
    assert masterclass.checkin_expires_at == masterclass.starts_at + timedelta(minutes=90 + 180)

    with pytest.raises(MasterclassError) as wrong:
        await act(database, checkin.check_in, world.author, _other(code), clock.now())
    assert wrong.value.code == "checkin_wrong_code"
    for typed in ("48", "abcd", "12345"):
        with pytest.raises(MasterclassError) as bad:
            await act(database, checkin.check_in, world.author, typed, clock.now())
        assert bad.value.code == "checkin_code_format"
    found = await act(database, checkin.check_in, world.author, f" {code} ", clock.now())
    assert found.id == masterclass.id
    await act(database, checkin.check_in, world.author, code, clock.now())  # again: fine
    with pytest.raises(MasterclassError) as outsider:
        await act(database, checkin.check_in, world.foreign_member, code, clock.now())
    assert outsider.value.code == "checkin_not_registered"
    present = {r.user_id: r.attended for r in await registrations(database, masterclass.id)}
    assert present == {world.author: True, world.member: False}


async def test_a_code_expires_a_few_hours_after_the_end(database, world, clock, registry):
    masterclass = await _started(database, world, clock, registry)
    assert masterclass.checkin_expires_at is not None
    clock.set(masterclass.checkin_expires_at + timedelta(seconds=1))
    with pytest.raises(MasterclassError) as expired:
        await act(database, checkin.check_in, world.author, masterclass.checkin_code, clock.now())
    assert expired.value.code == "checkin_expired"
    with pytest.raises(MasterclassError) as wrong:  # a wrong code then: still «expired»
        await act(
            database, checkin.check_in, world.author, _other(masterclass.checkin_code), clock.now()
        )
    assert wrong.value.code == "checkin_expired"
    with pytest.raises(MasterclassError) as organiser:  # and no longer given out
        await act(database, checkin.code_for_organiser, world.curator, masterclass.id, clock.now())
    assert organiser.value.code == "checkin_code_expired"


async def test_a_bot_down_through_the_whole_masterclass_sends_no_dead_code(
    database, world, clock, registry
):
    masterclass = await for_branch(world, database, clock.now())
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    # Woken a week later: the code would mark nobody, the organiser is not handed one.
    clock.set(masterclass.starts_at + timedelta(days=7))
    await runner(database, registry, clock, "r").run_due()
    assert not [text for text in await texts_to(database, world.curator) if "код" in text]
    assert (await fresh(database, masterclass.id)).checkin_code is None


async def test_before_the_start_there_is_no_code_yet(database, world, clock):
    masterclass = await for_branch(world, database, clock.now())
    await act(database, reg.register, world.author, masterclass.id, clock.now())
    with pytest.raises(MasterclassError) as early:
        await act(database, checkin.check_in, world.author, "1234", clock.now())
    assert early.value.code == "checkin_not_open"
    with pytest.raises(MasterclassError):
        await act(database, checkin.code_for_organiser, world.curator, masterclass.id, clock.now())
    clock.set(masterclass.starts_at - timedelta(minutes=30))
    code = await act(
        database, checkin.code_for_organiser, world.curator, masterclass.id, clock.now()
    )
    assert (await fresh(database, masterclass.id)).checkin_code == code
    with pytest.raises(AccessDenied):
        await act(database, checkin.code_for_organiser, world.author, masterclass.id, clock.now())


async def test_feedback_is_asked_of_and_taken_from_those_present_only(
    database, world, clock, registry
):
    masterclass = await _started(database, world, clock, registry)
    await act(database, checkin.check_in, world.author, masterclass.checkin_code, clock.now())
    clock.set(masterclass.starts_at + timedelta(minutes=90))
    await runner(database, registry, clock, "r").run_due()
    asked = [m.chat_id for m in await outbox(database) if "Оцените" in m.payload["text"]]
    assert asked == [world.author]

    with pytest.raises(MasterclassError) as absent:
        await act(database, feedback.rate, world.member, masterclass.id, 5, clock.now())
    assert absent.value.code == "feedback_not_attended"
    with pytest.raises(MasterclassError) as early_comment:
        await act(database, feedback.comment, world.author, masterclass.id, "Отлично", clock.now())
    assert early_comment.value.code == "rate_first"
    for score in (0, 6):
        with pytest.raises(MasterclassError) as bad:
            await act(database, feedback.rate, world.author, masterclass.id, score, clock.now())
        assert bad.value.code == "rating_invalid"
    await act(database, feedback.rate, world.author, masterclass.id, 4, clock.now())
    with pytest.raises(MasterclassError) as twice:
        await act(database, feedback.rate, world.author, masterclass.id, 5, clock.now())
    assert twice.value.code == "already_rated"
    await act(database, feedback.comment, world.author, masterclass.id, "Полезно", clock.now())

    # Ticked present by the organiser after the end: asked at once, and may rate.
    await act(database, checkin.mark_present, world.curator, masterclass.id, world.member, True,
              clock.now())  # fmt: skip
    assert "Оцените" in (await texts_to(database, world.member))[-1]
    await act(database, feedback.rate, world.member, masterclass.id, 1, clock.now())
    result = await act(database, feedback.summary, world.curator, masterclass.id)
    assert (result.ratings, result.average, result.present) == (2, 2.5, 2)
    assert result.comments == [(4, "Полезно")]
    with pytest.raises(AccessDenied):
        await act(database, feedback.summary, world.author, masterclass.id)


async def test_only_the_organiser_ticks_and_only_people_with_a_seat(
    database, world, clock, registry
):
    masterclass = await _started(database, world, clock, registry)
    with pytest.raises(AccessDenied):
        await act(database, checkin.mark_present, world.author, masterclass.id, world.member,
                  True, clock.now())  # fmt: skip
    with pytest.raises(MasterclassError) as stranger:
        await act(database, checkin.mark_present, world.curator, masterclass.id,
                  world.foreign_member, True, clock.now())  # fmt: skip
    assert stranger.value.code == "person_not_registered"


async def test_materials_go_to_everyone_who_held_a_seat(database, world, clock, registry):
    masterclass = await _started(database, world, clock, registry, capacity=2)
    before = len(await outbox(database))
    link = Material(MaterialKind.LINK, "https://example.org/slides", "Слайды <pdf>")
    assert await act(database, feedback.send_materials, world.curator, masterclass.id, link,
                     clock.now()) == 2  # fmt: skip
    video = Material(MaterialKind.VIDEO, "BAACAgIAAxkBAAIB")
    await act(database, feedback.send_materials, world.curator, masterclass.id, video,
              clock.now())  # fmt: skip
    document = Material(MaterialKind.DOCUMENT, "BQACAgIAAxkBAAIC")
    await act(database, feedback.send_materials, world.curator, masterclass.id, document,
              clock.now())  # fmt: skip
    sent = (await outbox(database))[before:]
    assert {m.chat_id for m in sent} == {world.author, world.member}
    assert [m.method for m in sent if m.chat_id == world.author] == [
        "send_message", "send_video", "send_document",
    ]  # fmt: skip
    assert "Слайды &lt;pdf&gt;" in sent[0].payload["text"]
    assert "https://example.org/slides" in sent[0].payload["text"]
    with pytest.raises(MasterclassError) as bad:
        await act(database, feedback.send_materials, world.curator, masterclass.id,
                  Material(MaterialKind.LINK, "example.org"), clock.now())  # fmt: skip
    assert bad.value.code == "link_invalid"
    with pytest.raises(AccessDenied):
        await act(database, feedback.send_materials, world.author, masterclass.id, link,
                  clock.now())  # fmt: skip
