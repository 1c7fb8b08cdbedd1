"""The practices' search: any Russian word form, relevance, only what is published, and
the bold in Telegram HTML — through the database's own index (FTS5 here, tsvector on
PostgreSQL with `scripts/with-postgres.sh`)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.services.practices.search import index_practice, search_practices, unindex_practice
from storage.db import Database
from storage.models import Practice
from tests.harness.factories import NOW
from tests.mandates.helpers import World


async def add(
    database: Database,
    world: World,
    title: str,
    what_done: str = "Собрали актив отделения.",
    result: str = "Стало лучше.",
    *,
    status: str = "published",
    category: str = "other",
) -> int:
    async with database.transaction() as session:
        practice = Practice(
            author_id=world.author,
            branch_id=world.branch,
            title=title,
            category=category,
            what_done=what_done,
            result=result,
            status=status,
            created_at=NOW,
            submitted_at=NOW,
            published_at=NOW if status == "published" else None,
            updated_at=NOW,
        )
        session.add(practice)
        await session.flush()
        await index_practice(session, practice)
        return practice.id


async def found(database: Database, words: str, **kw: object) -> list[int]:
    async with database.reading() as session:
        page = await search_practices(session, words, **kw)  # type: ignore[arg-type]
    return [hit.practice_id for hit in page.hits]


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("наставник", "Программа наставничества для новых секретарей"),
        ("наставничество", "Каждому новому секретарю дали наставника"),
        ("ТОС", "Создание ТОСа на базе первички"),
        ("тосы", "Председатель ТОС выиграл конкурс"),
        ("грант", "Победа в конкурсе президентских грантов"),
        ("гранты", "Подали заявку на грант"),
    ],
)
async def test_a_word_finds_the_practice_in_another_of_its_forms(database, world, query, text):
    wanted = await add(database, world, text)
    await add(database, world, "Субботник во дворе")
    assert await found(database, query) == [wanted]


async def test_the_words_are_found_in_the_text_and_the_result_too(database, world):
    in_text = await add(database, world, "Опыт округа", what_done="Нашли наставников")
    in_result = await add(database, world, "Опыт района", result="Три наставника работают")
    assert sorted(await found(database, "наставник")) == sorted([in_text, in_result])


async def test_every_word_of_the_query_must_be_found(database, world):
    both = await add(database, world, "ТОС выиграл грант")
    await add(database, world, "ТОС во дворе")
    assert await found(database, "грант ТОСа") == [both]


async def test_a_practice_with_the_word_in_title_and_text_ranks_above_one_with_it_once(
    database, world
):
    once = await add(database, world, "Опыт округа", what_done="Получили грант на площадку")
    twice = await add(
        database,
        world,
        "Гранты для ТОСа",
        what_done="Подали три заявки на гранты",
        result="Два гранта выиграли",
    )
    assert await found(database, "грант") == [twice, once]


@pytest.mark.parametrize("status", ["moderation", "returned"])
async def test_a_practice_not_published_is_not_found(database, world, status):
    await add(database, world, "Наставничество", status=status)
    assert await found(database, "наставник") == []


async def test_a_practice_no_longer_published_is_not_found_even_if_left_in_the_index(
    database, world
):
    practice_id = await add(database, world, "Наставничество")
    async with database.transaction() as session:
        practice = await session.get(Practice, practice_id)
        assert practice is not None
        practice.status = "returned"  # and nobody called unindex_practice
    assert await found(database, "наставник") == []


async def test_unindex_removes_and_index_again_refreshes(database, world):
    practice_id = await add(database, world, "Наставничество")
    async with database.transaction() as session:
        await unindex_practice(session, practice_id)
    assert await found(database, "наставник") == []

    async with database.transaction() as session:
        practice = await session.get(Practice, practice_id)
        assert practice is not None
        practice.title = "Гранты для ТОСа"
        await index_practice(session, practice)
        await index_practice(session, practice)  # twice is once
    assert await found(database, "наставник") == []
    assert await found(database, "грант") == [practice_id]


async def test_a_deleted_practice_leaves_the_index(database, world):
    practice_id = await add(database, world, "Наставничество")
    async with database.transaction() as session:
        practice = await session.get(Practice, practice_id)
        await session.delete(practice)
    async with database.reading() as session:
        left = await session.scalar(select(Practice.id))
        page = await search_practices(session, "наставник")
    assert left is None
    assert page.total == 0


async def test_the_matched_words_are_bold_and_the_users_text_escaped(database, world):
    await add(
        database,
        world,
        "<Гранты> & ТОС",
        what_done="Мы подали 3 заявки на <b>грант</b> & выиграли два гранта.",
        category="grants",
    )
    async with database.reading() as session:
        page = await search_practices(session, "грант")
    (hit,) = page.hits
    assert hit.category == "grants"
    assert hit.title_html == "&lt;<b>Гранты</b>&gt; &amp; ТОС"
    assert hit.snippet_html == (
        "Мы подали 3 заявки на &lt;b&gt;<b>грант</b>&lt;/b&gt; &amp; выиграли два <b>гранта</b>."
    )


async def test_the_snippet_is_about_200_characters_around_the_first_match(database, world):
    before = "Сначала мы долго обсуждали, что делать с пустым двором и старой площадкой. " * 4
    after = " Потом всё получилось, пришли жители, помогли соседи и управляющая компания." * 4
    what_done = before + "Подали заявку на грант." + after
    await add(database, world, "Опыт округа", what_done=what_done)
    async with database.reading() as session:
        (hit,) = (await search_practices(session, "грант")).hits
    assert "на <b>грант</b>." in hit.snippet_html
    text = hit.snippet_html.replace("<b>", "").replace("</b>", "")
    assert text.startswith("…")
    assert text.endswith("…")
    assert 150 <= len(text) <= 210
    core = text.strip("…")  # cut between words: whole words of the original at both ends
    at = what_done.index(core)
    assert what_done[at - 1] == " "
    assert what_done[at + len(core)] == " "


async def test_the_result_gives_the_snippet_when_the_match_is_there(database, world):
    await add(database, world, "Опыт", what_done="Собрали людей", result="Выиграли грант")
    async with database.reading() as session:
        (hit,) = (await search_practices(session, "грант")).hits
    assert hit.snippet_html == "Выиграли <b>грант</b>"


@pytest.mark.parametrize("query", ["", "   ", "и в на для", "!!! ??? ---", "«»"])
async def test_a_query_with_nothing_to_look_for_is_said_to_be_empty(database, world, query):
    await add(database, world, "Наставничество")
    async with database.reading() as session:
        page = await search_practices(session, query)
    assert page.empty_query
    assert page.hits == ()
    assert page.total == 0


@pytest.mark.parametrize(
    "query",
    [
        '"грант',
        "грант*",
        "*",
        "-грант",
        "грант NEAR ТОС",
        "NEAR(грант ТОС)",
        "(грант",
        "грант OR ТОС",
        "грант AND NOT ТОС",
        "title:грант",
        "^грант",
        "грант & | ! :* ТОС",
        "'; DROP TABLE practices; --",
        "грант\x00ТОС",
    ],
)
async def test_query_syntax_typed_by_a_person_is_only_words(database, world, query):
    wanted = await add(database, world, "Грант для ТОСа", what_done="Drop table or near, title")
    ids = await found(database, query)
    assert ids in ([], [wanted])
    assert await found(database, "грант") == [wanted]


async def test_pages_of_results_with_the_whole_count(database, world):
    ids = [await add(database, world, f"Грант номер {n}") for n in range(7)]
    async with database.reading() as session:
        first = await search_practices(session, "грант", limit=5)
        second = await search_practices(session, "грант", offset=5, limit=5)
        past = await search_practices(session, "грант", offset=10, limit=5)
    assert (first.total, second.total, past.total) == (7, 7, 7)
    assert first.has_more
    assert not second.has_more
    assert {h.practice_id for h in first.hits + second.hits} == set(ids)
    assert past.hits == ()


async def test_while_typing_the_last_word_is_found_by_its_beginning(database, world):
    wanted = await add(database, world, "Наставничество для новых секретарей")
    assert await found(database, "настав") == []
    assert await found(database, "настав", typing=True) == [wanted]
    assert await found(database, "секретари настав", typing=True) == [wanted]
    async with database.reading() as session:
        (hit,) = (await search_practices(session, "нов", typing=True)).hits
    assert hit.title_html == "Наставничество для <b>новых</b> секретарей"
