"""Sharing: the practice waits in moderation with its photos and history; the curators of
the author's branch and the admins of its region are told, nobody else; the author gets
«получено». A returned practice goes back by its author only, keeping its history."""

from __future__ import annotations

import pytest

from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.people import Role
from bot.services.practices import moderation
from bot.services.practices.errors import PracticeError
from bot.services.practices.sharing import resubmit_practice
from tests.harness.factories import make_user
from tests.mandates.helpers import act
from tests.practices.helpers import (
    ADMINS,
    callbacks,
    draft,
    fresh,
    history,
    outbox_to,
    photos_of,
    share,
    texts_to,
)


async def test_a_shared_practice_waits_for_the_branchs_curators_and_the_admins(
    database, world, clock
):
    practice = await share(database, world.author, clock.now(), photos=["p1", "p2"])

    saved = await fresh(database, practice.id)
    assert (saved.status, saved.branch_id, saved.likes_count) == ("moderation", world.branch, 0)
    assert await photos_of(database, practice.id) == ["p1", "p2"]
    assert await history(database, practice.id) == [("submitted", "author", None)]
    for moderator in (world.curator, world.admin):
        [notice] = await outbox_to(database, moderator)
        assert "ТОС на базе первички" in notice.payload["text"]
        assert "ПО № 20-03 — первый Береговой округ, Краснодарский край" in notice.payload["text"]
        assert "2 фото" in notice.payload["text"]
        assert "Анна" not in notice.payload["text"]
        pid = practice.id
        assert callbacks(notice) == [f"pr:pub:{pid}", f"pr:ret:{pid}", f"pr:open:{pid}"]
    for outsider in (world.foreign_curator, world.region_admin, world.secretary, world.member):
        assert await outbox_to(database, outsider) == []
    [received] = await outbox_to(database, world.author)
    assert "получена и отправлена на модерацию" in received.payload["text"]
    assert received.respect_quiet_hours is False  # the answer to the author's own press


async def test_a_far_branchs_practice_goes_to_its_regions_admin_too(database, world, clock):
    await share(database, world.far_secretary, clock.now())  # a secretary acts for her branch
    assert len(await texts_to(database, world.region_admin)) == 1
    assert len(await texts_to(database, world.admin)) == 1
    assert await texts_to(database, world.curator) == []


async def test_user_text_is_escaped_in_every_notice(database, world, clock):
    await share(database, world.author, clock.now(), title="ТОС <b>и</b> & гранты")
    [notice] = await texts_to(database, world.curator)
    assert "ТОС &lt;b&gt;и&lt;/b&gt; &amp; гранты" in notice


async def test_sharing_needs_a_branch_and_consent(database, world, clock):
    with pytest.raises(PracticeError) as caught:
        await share(database, world.curator, clock.now())
    assert caught.value.code == "practice_no_branch"
    await make_user(database, 150, branch_id=world.branch, consent=False)
    with pytest.raises(DomainError) as refused:
        await share(database, 150, clock.now())
    assert refused.value.code == "consent_required"


async def _returned(database, world, clock, **fields):
    practice = await share(database, world.author, clock.now(), photos=["p1"], **fields)
    await act(
        database, moderation.return_for_rework, world.curator, practice.id, "Добавьте цифры",
        clock.now(),
    )  # fmt: skip
    return practice


async def test_a_returned_practice_is_sent_again_by_its_author_keeping_its_history(
    database, world, clock
):
    practice = await _returned(database, world, clock)
    clock.advance(hours=2)
    edited = draft(result="Выиграли грант 500 000 ₽, на собрание пришли 40 жителей")
    edited.document_file_id, edited.document_name = "doc1", "смета.xlsx"
    again = await act(database, resubmit_practice, world.author, practice.id, edited, clock.now(),
                      admin_ids=ADMINS)  # fmt: skip

    saved = await fresh(database, again.id)
    assert (saved.status, saved.moderated_by, saved.submitted_at) == (
        "moderation", None, clock.now(),
    )  # fmt: skip
    assert saved.document_name == "смета.xlsx"
    assert await photos_of(database, practice.id) == []  # replaced by the document
    assert await history(database, practice.id) == [
        ("submitted", "author", None),
        ("returned", "curator", "Добавьте цифры"),
        ("resubmitted", "author", None),
    ]
    last = (await texts_to(database, world.curator))[-1]
    assert "доработали и прислали снова" in last
    assert "Добавьте цифры" in last
    assert "снова на модерации" in (await texts_to(database, world.author))[-1]


async def test_only_the_author_sends_it_again_and_only_when_returned(database, world, clock):
    practice = await _returned(database, world, clock)
    with pytest.raises(NotFound):
        await act(database, resubmit_practice, world.member, practice.id, draft(), clock.now())
    await act(database, resubmit_practice, world.author, practice.id, draft(), clock.now())
    with pytest.raises(PracticeError) as twice:  # a double tap: it waits already
        await act(database, resubmit_practice, world.author, practice.id, draft(), clock.now())
    assert twice.value.code == "not_returned"
    assert twice.value.params == {"status": "на модерации"}
    await act(database, moderation.publish, world.admin, practice.id, clock.now())
    with pytest.raises(AccessDenied):
        await act(database, resubmit_practice, world.member, practice.id, draft(), clock.now())


async def test_a_new_curator_of_the_branch_gets_what_is_shared_after(database, world, clock):
    await make_user(database, 410, roles={Role.CURATOR: [world.branch]})
    await share(database, world.member, clock.now())
    assert len(await texts_to(database, 410)) == 1
