"""«Связаться с автором» relays a message with the accounts hidden, only when the author
offered it; every refusal the practice services give has its Russian text; the
dispatcher runs the follow-up kind."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import bot.services.practices as package
from bot.services.errors import NotFound
from bot.services.practices.contact import contact_author
from bot.services.practices.errors import PracticeError
from bot.texts import has, t
from tests.mandates.helpers import act
from tests.practices.helpers import share, shared_and_published, texts_to


async def test_a_message_reaches_the_author_signed_by_the_branch_not_the_person(
    database, world, clock
):
    practice = await shared_and_published(
        database, world.author, world.curator, clock.now(), contact_offer=True
    )
    await act(database, contact_author, world.foreign_member, practice.id,
              "Расскажите, как <собирали> жителей?", clock.now())  # fmt: skip
    relayed = (await texts_to(database, world.author))[-1]
    assert "ПО № 20-04 — второй Береговой округ" in relayed
    assert "как &lt;собирали&gt; жителей?" in relayed
    assert "Фёдор" not in relayed
    await act(database, contact_author, world.curator, practice.id, "Отличная работа!",
              clock.now())  # fmt: skip
    assert "участник партии" in (await texts_to(database, world.author))[-1]


async def test_contact_only_when_offered_published_and_not_oneself(database, world, clock):
    quiet = await shared_and_published(database, world.author, world.curator, clock.now())
    with pytest.raises(PracticeError) as caught:
        await act(database, contact_author, world.member, quiet.id, "Здравствуйте!", clock.now())
    assert caught.value.code == "no_contact_offer"
    offered = await shared_and_published(
        database, world.author, world.curator, clock.now(), contact_offer=True
    )
    with pytest.raises(PracticeError) as own:
        await act(database, contact_author, world.author, offered.id, "Здравствуйте!", clock.now())
    assert own.value.code == "own_practice"
    with pytest.raises(PracticeError) as short:
        await act(database, contact_author, world.member, offered.id, "  ку ", clock.now())
    assert short.value.code == "message_too_short"
    waiting = await share(database, world.author, clock.now(), contact_offer=True)
    with pytest.raises(NotFound):
        await act(database, contact_author, world.member, waiting.id, "Здравствуйте!", clock.now())


def test_every_code_raised_has_a_text_and_its_placeholders_are_given():
    raised: set[str] = set()
    for source in Path(package.__file__).parent.glob("*.py"):
        text = source.read_text()
        raised |= set(re.findall(r'PracticeError\(\s*f?"([a-z_{}]+)"', text))
    raised = {code for code in raised if "{" not in code}
    raised |= {f"{field}_too_{end}" for field in ("title", "what_done", "result")
               for end in ("short", "long")}  # fmt: skip
    assert len(raised) > 20
    missing = {code for code in raised if not has(PracticeError(code).text_key)}
    assert missing == set()
    for key in ("practice_not_found", "adoption_not_found"):
        assert has(f"errors.{key}")
    text = t(
        PracticeError("already_decided").text_key, decided_by="Ксения", outcome="опубликовал(а)"
    )
    assert text == "Решение уже принято: Ксения — опубликовал(а)."


def test_the_dispatcher_runs_the_follow_up(dp):
    assert "practice.followup" in dp["due_work"]
