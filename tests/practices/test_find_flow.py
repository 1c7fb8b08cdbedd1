"""Search in the catalogue through the dispatcher: `/practices WORDS` and «🔎 Поиск», words
found in other Russian forms and shown in bold, the results paged in place, nothing found,
no words at all, wrong input re-asked, /cancel, and the question across a restart."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText

from bot.app import build_bot, build_dispatcher
from handlers.callbacks import PracticeListCb
from tests.harness.client import BotClient
from tests.harness.session import RecordingSession
from tests.practices.helpers import published, share

MENTORING = "Наставничество для новых секретарей"


def alert(user) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


async def state_of(user: BotClient) -> str | None:
    return await user.dp.fsm.get_context(user.bot, user.user.id, user.user.id).get_state()


async def _catalogue(world, database, clock) -> None:
    await published(
        world,
        database,
        clock.now(),
        title=MENTORING,
        category="mentoring",
        what_done="Каждому новому секретарю дали наставника из опытных, встречались раз в неделю",
        result="За полгода 12 секретарей провели первые собрания сами",
    )
    await published(world, database, clock.now(), title="ТОС на базе первички")
    await share(database, world.author, clock.now(), title="Наставник на модерации")


async def test_practices_words_finds_other_forms_in_bold(world, database, clock, make_client):
    await _catalogue(world, database, clock)
    user = make_client(world.far_secretary)
    await user.send("/practices наставник")
    text = user.last_text
    assert "🔎 <b>Найдено по запросу «наставник»</b> — 1" in text
    assert "<b>Наставничество</b> для новых секретарей" in text
    assert "<b>наставника</b>" in text  # the snippet, in its own form
    assert "на модерации" not in text
    assert user.buttons()[0] == "1. Наставничество для новых секретарей"
    await user.click("1.")
    assert user.last_text.startswith(f"💡 <b>{MENTORING}</b>")

    await user.send("/practices ТОСа")
    assert "<b>ТОС</b> на базе первички" in user.last_text


async def test_the_search_button_asks_and_refuses_what_is_no_words(
    world, database, clock, make_client, recording
):
    await _catalogue(world, database, clock)
    user = make_client(world.foreign_member)
    await user.send("/practices")
    await user.click("🔎 Поиск")
    assert isinstance(recording.requests[-1], EditMessageText)  # in place of the screen
    assert "Например: <i>наставничество</i>" in user.last_text
    assert await state_of(user) == "PracticeFind:words"

    await user.send_sticker()
    assert user.last_text.startswith("⚠️ Нужны слова текстом")
    await user.send("и в для")
    assert user.last_text.startswith("⚠️ В запросе нет слов для поиска")
    assert len([m for m in user.messages() if "Поиск по практикам" in m["text"]]) == 1

    await user.send("наставничества")
    assert "Найдено по запросу «наставничества»" in user.last_text
    assert await state_of(user) is None


async def test_nothing_found_says_what_to_try(world, database, clock, make_client):
    await _catalogue(world, database, clock)
    user = make_client(world.foreign_member)
    await user.send("/practices субботник")
    assert user.last_text.startswith("🔎 По запросу «субботник» ничего не нашлось.")
    assert "Попробуйте другое слово" in user.last_text
    await user.send("/practices и для")
    assert user.last_text.startswith("В запросе нет слов для поиска")


async def test_results_page_in_place(world, database, clock, make_client, recording):
    for n in range(1, 8):
        await published(world, database, clock.now(), title=f"Грант номер {n} для ТОС")
    user = make_client(world.foreign_member)
    await user.send("/practices гранты")
    assert "— 7" in user.last_text
    assert "Страница 1 из 2" in user.last_text
    sent_before = len(user.messages())
    await user.click("▶️")
    assert len(user.messages()) == sent_before
    assert isinstance(recording.requests[-1], EditMessageText)
    assert "Страница 2 из 2" in user.last_text
    assert "6. " in user.last_text
    assert "7. " in user.last_text
    await user.click_data(PracticeListCb(view="find", page=50).pack())  # the last page
    assert "Страница 2 из 2" in user.last_text

    await user.send("/cancel")  # the words are gone with the conversation
    await user.click_data(PracticeListCb(view="find", page=2).pack())
    assert alert(user) == "Этот поиск устарел: найдите заново — «🔎 Поиск»."


async def test_cancel_leaves_the_question(world, database, clock, make_client):
    user = make_client(world.foreign_member)
    await user.send("/practices")
    await user.click("🔎 Поиск")
    await user.send("/cancel")
    assert await state_of(user) is None
    await user.send("наставничество")
    assert "Найдено" not in user.last_text
    assert "ничего не нашлось" not in user.last_text


async def test_the_question_outlives_a_restart(world, database, clock, settings, make_client):
    await _catalogue(world, database, clock)
    user = make_client(world.foreign_member)
    await user.send("/practices")
    await user.click("🔎 Поиск")

    second_dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    second = BotClient(second_dp, build_bot(settings, RecordingSession()), world.foreign_member)
    await second.send("наставник")
    assert "Найдено по запросу «наставник»" in second.last_text
