"""A moderator's decisions through the dispatcher: publishing from the notice (which
then says what was decided), returning with a required comment that
reaches the author, the second moderator told who decided, /moderation oldest first and
paged, and forged buttons from people who may not decide."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageReplyMarkup

from handlers.callbacks import PracticeCb, PracticeListCb
from tests.harness.client import BotClient
from tests.practices.helpers import fresh, share, texts_to

DENIED = "⛔ Нет доступа."


def alert(user: BotClient) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


def pressed(action: str, practice_id: int) -> str:
    return PracticeCb(action=action, id=practice_id).pack()


async def test_publish_from_the_notice(database, world, clock, make_client):
    practice = await share(database, world.author, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(pressed("pub", practice.id))
    assert (await fresh(database, practice.id)).status == "published"
    assert curator.last_text.startswith(
        "✅ <b>Опубликовано</b> — «ТОС на базе первички» в каталоге."
    )
    assert any("опубликована" in text for text in await texts_to(database, world.author))

    admin = make_client(world.admin)
    await admin.click_data(pressed("ret", practice.id))
    assert alert(admin) == "Решение уже принято: Иван — опубликовал(а)."  # the curator, by name


async def test_return_needs_a_comment_that_reaches_the_author(
    database, world, clock, make_client, dp
):
    practice = await share(database, world.author, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(pressed("ret", practice.id), message_id=41)
    assert "Что доработать в «ТОС на базе первички»?" in curator.last_text
    assert "Например" in curator.last_text
    await curator.send_sticker()
    assert curator.last_text.startswith("⚠️ Здесь нужен ответ текстом")
    await curator.send("   ")
    assert curator.last_text.startswith("⚠️ Напишите, что доработать")
    assert len(curator.messages()) == 1
    await curator.send("Добавьте цифры: сколько жителей пришло")
    assert "Возвращено автору" in curator.last_text
    dropped = curator.session.sent(EditMessageReplyMarkup)
    assert [e.message_id for e in dropped] == [41]  # the notice's buttons are gone
    returned = await fresh(database, practice.id)
    assert returned.status == "returned"
    assert returned.return_comment == "Добавьте цифры: сколько жителей пришло"
    assert any("Добавьте цифры" in text for text in await texts_to(database, world.author))
    context = dp.fsm.get_context(curator.bot, world.curator, world.curator)
    assert await context.get_state() is None


async def test_not_returning_after_all(database, world, clock, make_client, dp):
    practice = await share(database, world.author, clock.now())
    curator = make_client(world.curator)
    await curator.click_data(pressed("ret", practice.id))
    await curator.click("Не возвращать")
    assert alert(curator) == "Практика осталась на модерации."
    assert curator.messages() == []
    assert (await fresh(database, practice.id)).status == "moderation"


async def test_only_moderators_of_the_branch_decide(database, world, clock, make_client, dp):
    practice = await share(database, world.author, clock.now())
    for intruder in (world.foreign_curator, world.secretary, world.author, world.region_admin):
        user = make_client(intruder)
        for action in ("pub", "ret"):
            await user.click_data(pressed(action, practice.id))
            assert alert(user) == DENIED, (intruder, action)
    await make_client(world.foreign_curator).click_data(pressed("pub", 999_999))
    assert (await fresh(database, practice.id)).status == "moderation"


async def test_moderation_lists_what_waits_oldest_first(database, world, clock, make_client):
    first = await share(database, world.author, clock.now(), title="Наставничество для новых")
    clock.advance(hours=1)
    for n in range(5):
        await share(database, world.member, clock.now(), title=f"Практика номер {n + 2}")
    curator = make_client(world.curator)
    await curator.send("/moderation")
    text = curator.last_text
    assert "На модерации</b> — 6" in text
    assert "Страница 1 из 2" in text
    assert text.index("Наставничество для новых") < text.index("Практика номер 2")
    assert curator.buttons()[0] == "1. Наставничество для новых"
    await curator.click("▶️")
    assert "Практика номер 6" in curator.last_text
    assert len(curator.messages()) == 1
    assert first.id

    foreign = make_client(world.foreign_curator)
    await foreign.send("/moderation")
    assert foreign.last_text == "🗂 На модерации ничего нет."
    member = make_client(world.member)
    await member.send("/moderation")
    assert member.last_text == DENIED
    await member.click_data(PracticeListCb(view="mod").pack())
    assert alert(member) == DENIED
