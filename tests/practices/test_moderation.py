"""Moderation: the curators of the author's branch and the admins of its region publish
or return with a comment (required, it reaches the author); nobody else can, whatever the
button says; of two moderators at once one decision counts and the other is told who
decided; `/moderation` lists what waits for the moderator, oldest first, a page at a time."""

from __future__ import annotations

import asyncio

import pytest

from bot.services.errors import AccessDenied
from bot.services.practices import moderation
from bot.services.practices.errors import PracticeError
from tests.mandates.helpers import act, person
from tests.practices.helpers import callbacks, fresh, history, outbox_to, share, texts_to


@pytest.fixture
def indexed(monkeypatch) -> list[int]:
    """The practices handed to the search index (the index itself is built elsewhere)."""
    calls: list[int] = []

    async def index(session, practice) -> None:
        calls.append(practice.id)

    monkeypatch.setattr(moderation, "index_practice", index)
    return calls


async def test_a_curator_publishes_the_author_is_told_and_it_is_indexed(
    database, world, clock, indexed
):
    practice = await share(database, world.author, clock.now())
    clock.advance(hours=1)
    await act(database, moderation.publish, world.curator, practice.id, clock.now())

    saved = await fresh(database, practice.id)
    assert (saved.status, saved.moderated_by, saved.published_at) == (
        "published", world.curator, clock.now(),
    )  # fmt: skip
    assert (await history(database, practice.id))[-1] == ("published", "curator", None)
    assert indexed == [practice.id]
    published = (await outbox_to(database, world.author))[-1]
    assert "опубликована в каталоге" in published.payload["text"]
    assert callbacks(published) == [f"pr:open:{practice.id}"]


async def test_returning_needs_a_comment_which_reaches_the_author(database, world, clock, indexed):
    practice = await share(database, world.author, clock.now())
    for empty in ("", "   \n", "\u200b"):
        with pytest.raises(PracticeError) as caught:
            await act(
                database, moderation.return_for_rework, world.admin, practice.id, empty, clock.now()
            )
        assert caught.value.code == "comment_required"
    assert (await fresh(database, practice.id)).status == "moderation"

    comment = "Добавьте, сколько <жителей> пришло"
    await act(
        database, moderation.return_for_rework, world.admin, practice.id, comment, clock.now()
    )
    saved = await fresh(database, practice.id)
    assert (saved.status, saved.return_comment) == ("returned", comment)
    assert (await history(database, practice.id))[-1] == ("returned", "admin", comment)
    returned = (await outbox_to(database, world.author))[-1]
    assert "Добавьте, сколько &lt;жителей&gt; пришло" in returned.payload["text"]
    assert callbacks(returned) == [f"pr:edit:{practice.id}"]
    assert indexed == []


@pytest.mark.parametrize(
    "who", ["foreign_curator", "region_admin", "member", "secretary", "author"]
)
async def test_nobody_else_moderates_whatever_the_button_says(database, world, clock, who):
    practice = await share(database, world.author, clock.now())
    for decide, args in (
        (moderation.publish, ()),
        (moderation.return_for_rework, ("Доработайте",)),
    ):
        with pytest.raises(AccessDenied):
            await act(database, decide, getattr(world, who), practice.id, *args, clock.now())
    assert (await fresh(database, practice.id)).status == "moderation"
    assert await history(database, practice.id) == [("submitted", "author", None)]


async def test_a_region_admin_moderates_their_region_only(database, world, clock, indexed):
    far = await share(database, world.far_secretary, clock.now())
    await act(database, moderation.publish, world.region_admin, far.id, clock.now())
    assert (await fresh(database, far.id)).status == "published"
    assert (await history(database, far.id))[-1] == ("published", "admin", None)


async def test_two_moderators_at_once_one_decision_counts_the_other_is_told_who(
    database, world, clock, indexed
):
    practice = await share(database, world.author, clock.now())
    curator, admin = await person(database, world.curator), await person(database, world.admin)
    first_decided, release = asyncio.Event(), asyncio.Event()

    async def first():
        async with database.transaction() as session:
            result = await moderation.publish(session, curator, practice.id, clock.now())
            first_decided.set()
            await release.wait()  # hold the transaction open while the second one tries
            return result

    async def second():
        await first_decided.wait()
        async with database.transaction() as session:
            return await moderation.return_for_rework(
                session, admin, practice.id, "Доработайте", clock.now()
            )

    one, two = asyncio.create_task(first()), asyncio.create_task(second())
    await first_decided.wait()
    await asyncio.sleep(0.2)  # the second waits on the row (PostgreSQL) or the writer (SQLite)
    assert not two.done()
    release.set()
    results = await asyncio.gather(one, two, return_exceptions=True)

    assert results[0].status == "published"
    refused = results[1]
    assert isinstance(refused, PracticeError)
    assert refused.code == "already_decided"
    assert refused.params["decided_by"] == "Ксения"
    assert refused.params["outcome"] == "опубликовал(а)"
    saved = await fresh(database, practice.id)
    assert (saved.status, saved.return_comment) == ("published", None)
    assert [a for a, _, _ in await history(database, practice.id)] == ["submitted", "published"]
    assert [t for t in await texts_to(database, world.author) if "доработку" in t] == []


async def test_two_moderators_pressing_together_make_exactly_one_decision(
    database, world, clock, indexed
):
    practice = await share(database, world.author, clock.now())
    results = await asyncio.gather(
        act(database, moderation.publish, world.curator, practice.id, clock.now()),
        act(database, moderation.return_for_rework, world.admin, practice.id, "Нет", clock.now()),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, PracticeError)]
    assert [r.code for r in refused] == ["already_decided"]
    decisions = [a for a, _, _ in await history(database, practice.id) if a != "submitted"]
    assert len(decisions) == 1


async def test_a_stale_button_on_a_decided_practice_says_who_decided(
    database, world, clock, indexed
):
    practice = await share(database, world.author, clock.now())
    await act(database, moderation.return_for_rework, world.admin, practice.id, "Нет", clock.now())
    with pytest.raises(PracticeError) as caught:
        await act(database, moderation.publish, world.curator, practice.id, clock.now())
    assert caught.value.params["decided_by"] == "Алексей"
    assert caught.value.params["outcome"] == "вернул(а) на доработку"


async def test_what_waits_for_each_moderator_oldest_first_a_page_at_a_time(
    database, world, clock, indexed
):
    ids = []
    for n in range(3):
        ids.append((await share(database, world.author, clock.now(), title=f"Практика {n}")).id)
        clock.advance(minutes=5)
    far = await share(database, world.far_secretary, clock.now())
    foreign = await share(database, world.foreign_member, clock.now())
    await act(database, moderation.publish, world.curator, ids[1], clock.now())

    async def waiting(who, page=1, per_page=5):
        async with database.sessions() as session:
            return await moderation.waiting_for(
                session, await person(database, who), page, per_page
            )

    mine = await waiting(world.curator)
    assert [w.id for w in mine.items] == [ids[0], ids[2]]
    assert (mine.items[0].branch_number, mine.items[0].again) == ("20-03", False)
    assert [w.id for w in (await waiting(world.foreign_curator)).items] == [foreign.id]
    assert [w.id for w in (await waiting(world.region_admin)).items] == [far.id]
    everything = await waiting(world.admin, page=2, per_page=2)
    assert ([w.id for w in everything.items], everything.pages) == ([far.id, foreign.id], 2)
    assert (await waiting(world.member)).items == []
