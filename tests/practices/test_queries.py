"""The catalogue: published practices only, newest, by category, most useful (likes plus
adoptions, then the share of «да»), a page at a time; a card shows the practice, its
branch and region but never its author, and one not published exists only for its
author and moderators; «Мои практики» in every status."""

from __future__ import annotations

import dataclasses

import pytest

from bot.services.errors import NotFound
from bot.services.practices import moderation, queries, reactions
from tests.harness.factories import make_branch, make_user
from tests.mandates.helpers import act, person
from tests.practices.helpers import share, shared_and_published


async def _read(database, fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    async with database.sessions() as session:
        return await fn(session, *args, **kwargs)


async def _card(database, viewer, practice_id):  # type: ignore[no-untyped-def]
    return await _read(database, queries.practice_card, await person(database, viewer), practice_id)


async def test_the_catalogue_holds_published_practices_newest_first_by_category(
    database, world, clock
):
    tos = await shared_and_published(database, world.author, world.curator, clock.now())
    clock.advance(hours=1)
    grants = await shared_and_published(
        database, world.foreign_member, world.admin, clock.now(), title="Гранты для первички",
        category="grants",
    )  # fmt: skip
    clock.advance(hours=1)
    await share(database, world.member, clock.now(), title="Ещё на модерации")

    newest = await _read(database, queries.newest)
    assert [p.id for p in newest.items] == [grants.id, tos.id]
    assert (newest.items[0].branch_number, newest.items[0].region_name) == (
        "20-04", "Краснодарский край",
    )  # fmt: skip
    assert [p.id for p in (await _read(database, queries.by_category, "grants")).items] == [
        grants.id
    ]
    assert (await _read(database, queries.by_category, "youth")).items == []


async def test_lists_are_paginated_in_place(database, world, clock):
    ids = []
    for n in range(7):
        ids.append(
            (await shared_and_published(
                database, world.author, world.curator, clock.now(), title=f"Практика № {n}"
            )).id
        )  # fmt: skip
        clock.advance(minutes=1)
    second = await _read(database, queries.newest, 2, 3)
    assert ([p.id for p in second.items], second.page, second.pages, second.total) == (
        [ids[3], ids[2], ids[1]], 2, 3, 7,
    )  # fmt: skip
    assert (await _read(database, queries.newest, 99, 3)).page == 3  # an old button: clamped
    useful = await _read(database, queries.most_useful, 3, 3)
    assert [p.id for p in useful.items] == [ids[0]]


async def test_most_useful_is_likes_plus_adoptions_then_the_share_of_yes(database, world, clock):
    far_member = 610
    await make_user(database, far_member, branch_id=world.far_branch)
    one_like = await shared_and_published(database, world.author, world.curator, clock.now(),
                                          title="Один лайк")  # fmt: skip
    tried_no = await shared_and_published(database, world.author, world.curator, clock.now(),
                                          title="Не получилось у них")  # fmt: skip
    tried_yes = await shared_and_published(database, world.author, world.curator, clock.now(),
                                           title="Получилось у них")  # fmt: skip
    popular = await shared_and_published(database, world.author, world.curator, clock.now(),
                                         title="Популярная практика")  # fmt: skip
    nothing = await shared_and_published(database, world.author, world.curator, clock.now(),
                                         title="Без отметок")  # fmt: skip
    await act(database, reactions.toggle_like, world.member, one_like.id, clock.now())
    for p in (popular, tried_no, tried_yes):
        await act(database, reactions.toggle_like, world.foreign_member, p.id, clock.now())
    await act(database, reactions.toggle_like, world.member, popular.id, clock.now())
    adoptions = {}
    for p in (popular, tried_no, tried_yes):
        adoptions[p.id] = await act(database, reactions.adopt, far_member, p.id, clock.now())
    clock.advance(days=28)
    for p, outcome in ((tried_no, "no"), (tried_yes, "yes")):
        await act(database, reactions.answer_followup, far_member, adoptions[p.id].adoption_id,
                  outcome, None, clock.now())  # fmt: skip

    order = [p.id for p in (await _read(database, queries.most_useful, 1, 10)).items]
    # popular: 2 likes + 1 adoption; tried_yes and tried_no: 1 + 1, «да» first; one_like: 1.
    assert order == [popular.id, tried_yes.id, tried_no.id, one_like.id, nothing.id]


async def test_a_card_shows_the_practice_and_where_it_comes_from_never_who(database, world, clock):
    practice = await shared_and_published(
        database, world.author, world.curator, clock.now(), photos=["p1", "p2"],
        contact_offer=True,
    )  # fmt: skip
    await act(database, reactions.toggle_like, world.foreign_member, practice.id, clock.now())
    adopted = await act(database, reactions.adopt, world.foreign_member, practice.id, clock.now())
    clock.advance(days=28)
    await act(database, reactions.answer_followup, world.foreign_member, adopted.adoption_id,
              "yes", "Провели собрание", clock.now())  # fmt: skip

    card = await _card(database, world.foreign_secretary, practice.id)
    assert (card.title, card.category, card.photos, card.document_file_id) == (
        "ТОС на базе первички", "tos", ["p1", "p2"], None,
    )  # fmt: skip
    assert (card.branch_number, card.branch_name, card.region_name) == (
        "20-03", "первый Береговой округ", "Краснодарский край",
    )  # fmt: skip
    assert (card.likes, card.adoptions, card.contact_offer) == (1, 1, True)
    assert [(f.outcome, f.comment, f.branch_number) for f in card.followups] == [
        ("yes", "Провели собрание", "20-04")
    ]
    # Not their own like, but their branch took it into work.
    assert (card.viewer_liked, card.viewer_branch_adopted, card.can_react) == (False, True, True)
    values = [str(v) for v in dataclasses.asdict(card).values()]
    assert not any("Анна" in v or str(world.author) == v for v in values)
    mine = await _card(database, world.foreign_member, practice.id)
    assert (mine.viewer_liked, mine.viewer_branch_adopted) == (True, True)
    own = await _card(database, world.author, practice.id)
    assert (own.is_author, own.can_react) == (True, False)


async def test_a_practice_not_published_exists_only_for_its_author_and_moderators(
    database, world, clock
):
    practice = await share(database, world.author, clock.now(), document_file_id="doc",
                           document_name="смета.xlsx")  # fmt: skip
    assert (await _card(database, world.author, practice.id)).status == "moderation"
    for moderator in (world.curator, world.admin):
        card = await _card(database, moderator, practice.id)
        assert (card.can_moderate, card.document_name) == (True, "смета.xlsx")
    for outsider in (world.member, world.foreign_curator, world.region_admin):
        with pytest.raises(NotFound):
            await _card(database, outsider, practice.id)
    with pytest.raises(NotFound):
        await _card(database, world.author, practice.id + 100)
    await act(database, moderation.return_for_rework, world.curator, practice.id, "Цифры?",
              clock.now())  # fmt: skip
    assert (await _card(database, world.author, practice.id)).return_comment == "Цифры?"
    with pytest.raises(NotFound):
        await _card(database, world.member, practice.id)


async def test_my_practices_in_every_status_latest_first(database, world, clock):
    published = await shared_and_published(database, world.author, world.curator, clock.now())
    clock.advance(hours=1)
    waiting = await share(database, world.author, clock.now(), title="Вторая практика")
    await share(database, world.member, clock.now(), title="Чужая практика")
    mine = await _read(database, queries.my_practices, await person(database, world.author))
    assert [(p.id, p.status) for p in mine.items] == [
        (waiting.id, "moderation"), (published.id, "published"),
    ]  # fmt: skip


async def test_a_region_name_comes_from_the_branch(database, world, clock):
    branch = await make_branch(database, "54-01", region_code="54", name="Центральный округ")
    await make_user(database, 620, branch_id=branch)
    practice = await shared_and_published(database, 620, world.region_admin, clock.now())
    card = await _card(database, world.member, practice.id)
    assert (card.branch_number, card.region_name) == ("54-01", "Новосибирская область")
