"""Inline mode: `@bot WORDS` in any chat offers published practices as cards with a deep
link back to the bot; an empty query the newest; nothing private in them."""

from __future__ import annotations

from aiogram.methods import AnswerInlineQuery
from aiogram.types import InlineQueryResultArticle

from tests.practices.helpers import published, share


def answer(recording) -> AnswerInlineQuery:
    return recording.sent(AnswerInlineQuery)[-1]


def articles(recording) -> list[InlineQueryResultArticle]:
    results = answer(recording).results
    assert all(isinstance(r, InlineQueryResultArticle) for r in results)
    return results  # type: ignore[return-value]


async def test_matching_published_practices_with_a_link_back(
    world, database, clock, make_client, recording
):
    tos = await published(world, database, clock.now(), title="ТОС <на> базе первички")
    await published(
        world,
        database,
        clock.now(),
        title="Наставники",
        category="mentoring",
        what_done="Опытные секретари помогают новым провести первое собрание",
        result="Пришли 40 жителей на собрание",
    )
    await share(database, world.author, clock.now(), title="ТОС на модерации")
    user = make_client(world.far_secretary)
    await user.inline("ТОСа")
    sent = answer(recording)
    assert sent.is_personal is False
    assert sent.cache_time is not None
    assert sent.cache_time <= 60
    [card] = articles(recording)
    assert card.title == "ТОС <на> базе первички"
    assert card.description is not None
    assert card.description.startswith("ТОС на базе первички · ")
    content = card.input_message_content
    text = content.message_text  # type: ignore[union-attr]
    assert text.startswith("💡 <b>ТОС &lt;на&gt; базе первички</b>\n🗂 ТОС на базе первички")
    assert "Создали <b>ТОС</b> на базе" in text  # the snippet, the word in bold
    [[button]] = card.reply_markup.inline_keyboard  # type: ignore[union-attr]
    assert button.url == f"https://t.me/pervichka_test_bot?start=pr_{tos.id}"
    everything = repr(card)
    for private in ("Анна", "Автор", str(world.author), "Ксения"):
        assert private not in everything


async def test_the_last_word_is_found_as_it_is_typed(
    world, database, clock, make_client, recording
):
    await published(
        world, database, clock.now(), title="Наставничество для новичков", category="mentoring"
    )
    user = make_client(world.foreign_member)
    await user.inline("настав")
    assert [a.title for a in articles(recording)] == ["Наставничество для новичков"]


async def test_an_empty_query_offers_the_newest_and_pages(
    world, database, clock, make_client, recording
):
    for n in range(1, 13):
        await published(world, database, clock.now(), title=f"Практика номер {n}")
        clock.advance(minutes=1)
    user = make_client(world.foreign_member)
    await user.inline("")
    first = articles(recording)
    assert [a.title for a in first[:2]] == ["Практика номер 12", "Практика номер 11"]
    assert len(first) == 10
    assert answer(recording).next_offset == "10"
    await user.inline("", offset="10")
    assert [a.title for a in articles(recording)] == ["Практика номер 2", "Практика номер 1"]
    assert answer(recording).next_offset == ""
    await user.inline("", offset="50")
    assert articles(recording) == []


async def test_nothing_found_and_no_words_answer_empty(
    world, database, clock, make_client, recording
):
    await published(world, database, clock.now())
    user = make_client(world.foreign_member)
    for query in ("субботник", "и в для"):
        await user.inline(query)
        assert articles(recording) == []
