"""«Полезно» toggles one like per person; «Берём в работу» counts once per branch and tells
the author how many branches (Russian plurals right); four weeks later the adopter is
asked «Получилось?» through the due-work engine, and answers once per adoption."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from bot.services.due_work import DueWorkRegistry
from bot.services.errors import AccessDenied, NotFound
from bot.services.practices import reactions
from bot.services.practices.errors import PracticeError
from bot.texts import plural
from storage.models import PracticeAdoption
from storage.models.due_work import DueWork
from tests.due_work.helpers import runner
from tests.harness.factories import make_user
from tests.mandates.helpers import act
from tests.practices.helpers import (
    callbacks,
    fresh,
    outbox_to,
    share,
    shared_and_published,
    texts_to,
)


@pytest.fixture
async def practice(database, world, clock):
    return await shared_and_published(database, world.author, world.curator, clock.now())


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (1, "1 отделение"),
        (2, "2 отделения"),
        (4, "4 отделения"),
        (5, "5 отделений"),
        (11, "11 отделений"),
        (12, "12 отделений"),
        (21, "21 отделение"),
        (22, "22 отделения"),
        (111, "111 отделений"),
    ],
)
def test_branches_are_counted_in_russian(n, expected):
    assert plural(n, "plural.branch") == expected


async def test_a_like_toggles_and_the_count_follows(database, world, clock, practice):
    like = reactions.toggle_like
    assert await act(database, like, world.member, practice.id, clock.now()) == reactions.Liked(
        True, 1
    )
    assert (
        await act(database, like, world.foreign_member, practice.id, clock.now())
    ).likes_count == 2
    assert await act(database, like, world.member, practice.id, clock.now()) == reactions.Liked(
        False, 1
    )
    assert (await fresh(database, practice.id)).likes_count == 1
    assert (await act(database, like, world.member, practice.id, clock.now())).liked is True


async def test_only_published_practices_are_liked_and_not_by_their_author(
    database, world, clock, practice
):
    with pytest.raises(PracticeError) as own:
        await act(database, reactions.toggle_like, world.author, practice.id, clock.now())
    assert own.value.code == "own_practice"
    waiting = await share(database, world.author, clock.now())
    with pytest.raises(NotFound):  # to others it does not exist yet
        await act(database, reactions.toggle_like, world.member, waiting.id, clock.now())
    with pytest.raises(PracticeError) as early:  # its moderator sees it, but not to like
        await act(database, reactions.toggle_like, world.curator, waiting.id, clock.now())
    assert early.value.code == "not_published"
    with pytest.raises(NotFound):
        await act(database, reactions.adopt, world.foreign_member, waiting.id, clock.now())
    assert (await fresh(database, waiting.id)).likes_count == 0


async def test_a_branch_adopts_once_and_the_author_hears_how_many(database, world, clock, practice):
    adopted = await act(database, reactions.adopt, world.foreign_member, practice.id, clock.now())
    assert adopted.adoptions_count == 1
    told = (await texts_to(database, world.author))[-1]
    assert "взяли в работу 1 отделение" in told
    assert "ПО № 20-04 — второй Береговой округ, Краснодарский край" in told
    assert "Фёдор" not in told

    clock.advance(days=1)
    with pytest.raises(PracticeError) as again:  # a colleague of the same branch presses too
        await act(database, reactions.adopt, world.foreign_secretary, practice.id, clock.now())
    assert again.value.code == "already_adopted"
    assert again.value.params == {"adopted_by": "Фёдор", "adopted_on": "23.11.2026"}

    second = await act(database, reactions.adopt, world.far_secretary, practice.id, clock.now())
    assert second.adoptions_count == 2
    assert "взяли в работу 2 отделения" in (await texts_to(database, world.author))[-1]
    assert (await fresh(database, practice.id)).adoptions_count == 2


async def test_five_branches_are_five_otdeleniy(database, world, clock, practice):
    from tests.harness.factories import make_branch

    for n in range(5):
        branch = await make_branch(database, f"30-{n}", name=f"округ {n}")
        await make_user(database, 700 + n, branch_id=branch)
        await act(database, reactions.adopt, 700 + n, practice.id, clock.now())
    assert "взяли в работу 5 отделений" in (await texts_to(database, world.author))[-1]


async def test_the_authors_branch_and_people_without_a_branch_do_not_adopt(
    database, world, clock, practice
):
    for who, code in (
        (world.member, "own_branch"),
        (world.secretary, "own_branch"),
        (world.foreign_curator, "adopt_no_branch"),
        (world.author, "own_practice"),
    ):
        with pytest.raises(PracticeError) as caught:
            await act(database, reactions.adopt, who, practice.id, clock.now())
        assert caught.value.code == code
    assert (await fresh(database, practice.id)).adoptions_count == 0


@pytest.fixture
def registry() -> DueWorkRegistry:
    registry = DueWorkRegistry()
    reactions.register_due_work(registry)
    return registry


async def test_four_weeks_later_the_adopter_is_asked_whether_it_worked(
    database, world, clock, practice, registry
):
    adopted = await act(database, reactions.adopt, world.foreign_member, practice.id, clock.now())
    async with database.sessions() as session:
        [job] = await session.scalars(select(DueWork).where(DueWork.kind == "practice.followup"))
    assert (job.subject, job.recipient_id) == (str(adopted.adoption_id), world.foreign_member)
    assert job.due_at == clock.now() + timedelta(days=28) == adopted.followup_at

    work = runner(database, registry, clock, "one")
    clock.advance(days=28, seconds=-1)
    assert await work.run_due() == 0
    assert not [t for t in await texts_to(database, world.foreign_member) if "Получилось" in t]
    clock.advance(seconds=1)
    assert await work.run_due() == 1
    [asked] = [r for r in await outbox_to(database, world.foreign_member)
               if "Получилось" in r.payload["text"]]  # fmt: skip
    aid = adopted.adoption_id
    assert callbacks(asked) == [
        f"prf:{aid}:yes", f"prf:{aid}:no", f"prf:{aid}:trying", f"pr:open:{practice.id}",
    ]  # fmt: skip
    assert "ТОС на базе первички" in asked.payload["text"]


async def test_an_answered_adoption_is_not_asked(database, world, clock, practice, registry):
    adopted = await act(database, reactions.adopt, world.foreign_member, practice.id, clock.now())
    clock.advance(days=28)
    await act(database, reactions.answer_followup, world.foreign_member, adopted.adoption_id,
              "yes", None, clock.now())  # fmt: skip
    assert await runner(database, registry, clock, "one").run_due() == 1
    assert not [t for t in await texts_to(database, world.foreign_member) if "Получилось" in t]


async def _adoption(database, adoption_id) -> PracticeAdoption:
    async with database.sessions() as session:
        found = await session.get(PracticeAdoption, adoption_id)
        assert found is not None
        return found


async def test_the_follow_up_is_answered_by_the_adopter_and_the_latest_answer_counts(
    database, world, clock, practice
):
    adopted = await act(database, reactions.adopt, world.foreign_member, practice.id, clock.now())
    aid = adopted.adoption_id
    answer = reactions.answer_followup
    with pytest.raises(PracticeError) as early:
        await act(database, answer, world.foreign_member, aid, "yes", None, clock.now())
    assert (early.value.code, early.value.params) == ("followup_not_yet", {"on": "21.12.2026"})
    clock.advance(days=28)
    with pytest.raises(AccessDenied):  # a colleague of the branch: not the one asked
        await act(database, answer, world.foreign_secretary, aid, "yes", None, clock.now())
    with pytest.raises(PracticeError) as unknown:
        await act(database, answer, world.foreign_member, aid, "maybe", None, clock.now())
    assert unknown.value.code == "outcome_unknown"

    first = await act(database, answer, world.foreign_member, aid, "trying", None, clock.now())
    assert (first.outcome, first.comment, first.replaced) == ("trying", None, None)
    # The comment typed after the button keeps the outcome.
    await act(database, answer, world.foreign_member, aid, "trying", "Ищем помещение", clock.now())
    same = await act(database, answer, world.foreign_member, aid, "trying", None, clock.now())
    assert same.comment == "Ищем помещение"
    # A month on, «ещё пробуем» becomes «да»: the old comment was about the other outcome.
    clock.advance(days=30)
    final = await act(database, answer, world.foreign_member, aid, "yes", None, clock.now())
    assert (final.outcome, final.comment, final.replaced) == ("yes", None, "trying")
    saved = await _adoption(database, aid)
    assert (saved.outcome, saved.outcome_comment, saved.answered_at) == ("yes", None, clock.now())
    with pytest.raises(PracticeError) as long:
        await act(database, answer, world.foreign_member, aid, "no", "а" * 1001, clock.now())
    assert long.value.code == "comment_too_long"
    with pytest.raises(NotFound):
        await act(database, answer, world.foreign_member, aid + 100, "no", None, clock.now())


async def test_a_double_tap_is_two_turns_and_the_count_stays_true(database, world, clock, practice):
    import asyncio

    results = await asyncio.gather(
        *(
            act(database, reactions.toggle_like, world.member, practice.id, clock.now())
            for _ in "ab"
        )
    )
    assert sorted(r.liked for r in results) == [False, True]
    assert (await fresh(database, practice.id)).likes_count == 0


async def test_two_people_of_one_branch_adopting_at_once_count_once(
    database, world, clock, practice
):
    import asyncio

    results = await asyncio.gather(
        act(database, reactions.adopt, world.foreign_member, practice.id, clock.now()),
        act(database, reactions.adopt, world.foreign_secretary, practice.id, clock.now()),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, PracticeError)]
    assert [r.code for r in refused] == ["already_adopted"]
    assert (await fresh(database, practice.id)).adoptions_count == 1
    assert len([t for t in await texts_to(database, world.author) if "взяли в работу" in t]) == 1
