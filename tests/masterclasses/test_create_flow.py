"""Creating a masterclass through the dispatcher, as an organiser meets it: the organiser's
menu, every question with its wrong answers, the summary (change a field, cancel), the
audience an organiser may choose, publishing, the deep link and the announcement."""

from __future__ import annotations

import json

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import select

from bot.app import build_bot, build_dispatcher
from handlers.callbacks import MasterclassListCb, NewMasterclassCb
from storage.models import Masterclass, OutboxMessage
from tests.harness.client import BotClient
from tests.harness.session import RecordingSession

TITLE = "Как работать с наказами избирателей"
DESCRIPTION = "Разберём, как принимать наказы и отвечать в срок.\nДля секретарей и активистов."
HOST = "Михаил Есаян, секретарь ПО 20-03"
LINK = "https://t.me/pervichka_test_bot?start=mc_{id}"


async def fsm(dp, user: BotClient) -> tuple[str | None, dict]:
    context = dp.fsm.get_context(user.bot, user.user.id, user.user.id)
    return await context.get_state(), await context.get_data()


async def saved(database) -> list[Masterclass]:
    async with database.sessions() as session:
        return list(await session.scalars(select(Masterclass).order_by(Masterclass.id)))


async def outbox(database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def said(user: BotClient, text: str) -> bool:
    """Whether the last action's replies (the edited question, not the menu after it) say it."""
    return any(text in reply for reply in user.replies())


def alert(user: BotClient) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


async def to_audience(user: BotClient, place: str = "Краснодар, ул. Красная, 1") -> None:
    await user.send("/new_masterclass")
    for answer in (TITLE, DESCRIPTION, HOST, "25.12 18:30", "1:30", place, "30"):
        await user.send(answer)


async def to_summary(user: BotClient, deadline: str | None = None) -> None:
    await to_audience(user)
    await user.click("ПО 20-03")
    await user.click("Всем участникам")
    if deadline is None:
        await user.click("Как начало")
    else:
        await user.send(deadline)


# --- the whole way ---------------------------------------------------------------------------


async def test_a_curator_creates_publishes_and_announces_a_masterclass(
    database, dp, world, make_client
):
    user = make_client(world.curator)
    await user.send("🎤 Организатору")
    assert "Организатору мастер-классов" in user.last_text
    assert user.buttons() == ["➕ Новый мастер-класс", "📋 Мои мастер-классы"]
    markup = user.messages()[-1]["reply_markup"]
    assert markup.inline_keyboard[1][0].callback_data == MasterclassListCb(view="org").pack()

    await user.click("Новый мастер-класс")
    assert "Шаг 1 из 9" in user.last_text
    assert "Например" in user.last_text
    assert (await fsm(dp, user))[0] == "MasterclassForm:title"

    await user.send(TITLE)
    assert "Шаг 2 из 9" in user.last_text
    assert "Например" in user.last_text
    await user.send(DESCRIPTION)
    assert "Шаг 3 из 9" in user.last_text
    assert "Михаил Есаян" in user.last_text
    await user.send(HOST)
    assert "Шаг 4 из 9" in user.last_text
    assert "25.12 18:30" in user.last_text
    assert "завтра 18:30" in user.last_text
    await user.send("25.12 18:30")
    assert "🗓 Начало: 25.12.2026 18:30" in user.last_text
    assert "Шаг 5 из 9" in user.last_text
    await user.send("1:30")
    assert "1 час 30 минут" in user.last_text
    assert "Шаг 6 из 9" in user.last_text
    await user.send("Краснодар, ул. Красная, 1")
    assert "Шаг 7 из 9" in user.last_text
    assert user.buttons() == ["♾ Без ограничений"]
    await user.send("30")
    assert "Шаг 8 из 9" in user.last_text
    assert user.buttons() == ["ПО 20-03 — первый Береговой округ"]  # the branch they curate

    await user.click("ПО 20-03")
    assert user.buttons() == ["👥 Всем участникам", "🧑‍💼 Только секретарям", "⬅️ Назад"]
    await user.click("Всем участникам")
    assert "Шаг 9 из 9" in user.last_text
    assert "не позже начала (25.12.2026 18:30)" in user.last_text
    await user.click("Как начало")

    summary = user.last_text
    assert "Проверьте мастер-класс" in summary
    for line in (
        f"<b>Название:</b> {TITLE}",
        "Для секретарей и активистов.",
        f"<b>Ведущий:</b> {HOST}",
        "<b>Начало:</b> 25.12.2026 18:30",
        "<b>Продолжительность:</b> 1 час 30 минут",
        "<b>Место:</b> Краснодар, ул. Красная, 1",
        "<b>Мест:</b> 30",
        "<b>Для кого:</b> первичное отделение 20-03 «первый Береговой округ»",
        "<b>Запись до:</b> до начала",
    ):
        assert line in summary
    assert user.buttons() == ["✅ Опубликовать", "✏️ Изменить …", "❌ Отменить"]
    _, data = await fsm(dp, user)
    assert json.loads(json.dumps(data)) == data  # the state is JSON: it survives a restart

    await user.click("Опубликовать")
    [masterclass] = await saved(database)
    assert (masterclass.title, masterclass.description, masterclass.host) == (
        TITLE,
        DESCRIPTION,
        HOST,
    )
    assert masterclass.starts_at.strftime("%d.%m %H:%M") == "25.12 15:30"  # UTC
    assert masterclass.duration_minutes == 90
    assert masterclass.capacity == 30
    assert masterclass.audience_branch_id == world.branch
    assert not masterclass.secretaries_only
    assert masterclass.registration_deadline == masterclass.starts_at
    assert masterclass.organiser_id == world.curator
    link = LINK.format(id=masterclass.id)
    assert "опубликован" in user.last_text
    assert link in user.last_text
    assert user.buttons() == ["📣 Разослать объявление", "🔕 Не рассылать"]
    assert await outbox(database) == []  # nothing is sent before the organiser says so

    await user.click("Разослать объявление")
    assert said(user, "Объявление поставлено в очередь: 3 получателя.")
    assert said(user, link)
    assert user.buttons() == ["📋 Мои мастер-классы"]
    rows = await outbox(database)
    # The branch's members and its secretary; the curator who organises it is not told.
    assert sorted(row.chat_id for row in rows) == [world.author, world.member, world.secretary]
    assert all(TITLE in row.payload["text"] for row in rows)
    assert (await fsm(dp, user))[0] is None
    assert user.answered_callbacks() == 6  # every press was answered


async def test_an_admin_invites_only_the_secretaries_of_everyone(database, dp, world, make_client):
    user = make_client(world.admin)
    await to_audience(user)
    assert user.buttons()[0] == "🌍 Все отделения"
    assert "Краснодарский край" in user.buttons()
    assert "Новосибирская область" in user.buttons()
    await user.click("Все отделения")
    await user.click("Только секретарям")
    assert "Для кого: все секретари" in user.last_text
    await user.click("Как начало")
    await user.click("Опубликовать")
    await user.click("Разослать объявление")
    assert said(user, "3 получателя")
    rows = await outbox(database)
    assert sorted(row.chat_id for row in rows) == [
        world.secretary,
        world.foreign_secretary,
        world.far_secretary,
    ]


async def test_an_admin_walks_region_local_branch_branch(database, dp, world, make_client):
    user = make_client(world.admin)
    await to_audience(user)
    await user.click("Краснодарский край")
    assert "Весь регион" in user.buttons()[0]
    await user.click("Краснодарское местное отделение")
    assert user.buttons()[:3] == [
        "🏢 Всё местное отделение",
        "ПО 20-03 — первый Береговой округ",
        "ПО 20-04 — второй Береговой округ",
    ]
    await user.click("ПО 20-04")
    await user.click("Всем участникам")
    assert "первичное отделение 20-04" in user.last_text
    await user.click("Как начало")
    await user.click("Опубликовать")
    await user.click("Не рассылать")
    [masterclass] = await saved(database)
    assert masterclass.audience_branch_id == world.other_branch
    assert said(user, "Объявление не разослано.")
    assert said(user, LINK.format(id=masterclass.id))
    assert await outbox(database) == []


# --- wrong answers ---------------------------------------------------------------------------


async def refused(
    user: BotClient, answer: str | None, complaint: str, step: str, copies: int = 1
) -> None:
    """The answer is refused in one message: the reason above the same question, whose old
    copy is gone (`copies`: the question asked once before stays, answered, in the chat)."""
    if answer is None:
        await user.send_sticker()
    else:
        await user.send(answer)
    [reply] = user.replies()
    assert reply.startswith("⚠️ "), reply
    assert complaint in reply, reply
    assert step in reply
    assert sum(step in (m["text"] or "") for m in user.messages()) == copies


async def test_each_wrong_answer_is_refused_with_the_question_again(
    database, dp, world, make_client, clock
):
    user = make_client(world.curator)
    await user.send("/new_masterclass")
    await refused(user, "Ок", "Название — от 3 до 200 символов", "Шаг 1 из 9")
    await refused(user, None, "нужен ответ текстом", "Шаг 1 из 9")
    await user.send(TITLE)
    await user.send(DESCRIPTION)
    await refused(user, "М", "Имя ведущего — от 2 до 300", "Шаг 3 из 9")
    await user.send(HOST)

    await refused(user, "в пятницу вечером", "Не получилось прочитать дату", "Шаг 4 из 9")
    await refused(user, "20.11.2026 10:00", "Это время уже прошло", "Шаг 4 из 9")
    await refused(user, "31.02 10:00", "Такого дня нет", "Шаг 4 из 9")
    await refused(user, "25.12 25:00", "Такого времени нет", "Шаг 4 из 9")
    await refused(user, "25.12.2028 18:00", "не дальше чем на год", "Шаг 4 из 9")
    await user.send("25.12 18:30")

    await refused(user, "долго", "продолжительность", "Шаг 5 из 9")
    await refused(user, "3 мин", "от 5 минут до 12 часов", "Шаг 5 из 9")
    await user.send("90 мин")

    await refused(user, "meet.example.org/abc", "с http:// или https://", "Шаг 6 из 9")
    await refused(user, "ftp://files.example.org/x", "Это не похоже на ссылку", "Шаг 6 из 9")
    await refused(user, "ab", "Адрес — от 3 до 500", "Шаг 6 из 9")
    await user.send("https://meet.example.org/abc")
    assert "💻 Онлайн: https://meet.example.org/abc" in user.last_text

    await refused(user, "много", "Напишите число мест", "Шаг 7 из 9")
    await refused(user, "0", "от 1 до 100000", "Шаг 7 из 9")
    await user.click("Без ограничений")
    assert "Мест: без ограничений" in user.last_text

    await refused(user, "всем", "Выберите вариант кнопкой", "Шаг 8 из 9")
    await user.click("ПО 20-03")
    await user.click("Только секретарям")

    await refused(user, "26.12 10:00", "не позже начала", "Шаг 9 из 9")
    await refused(user, "20.11.2026 10:00", "запись должна закрываться в будущем", "Шаг 9 из 9")
    await user.send("24.12 20:00")
    assert "Запись до: 24.12.2026 20:00" in user.last_text

    await refused(user, "опубликовать", "Выберите вариант кнопкой", "Проверьте мастер-класс")
    summary = user.last_text
    assert "<b>Онлайн:</b> https://meet.example.org/abc" in summary
    assert "<b>Мест:</b> без ограничений" in summary
    assert "секретари: первичное отделение 20-03" in summary
    assert "<b>Запись до:</b> 24.12.2026 20:00" in summary
    assert (await fsm(dp, user))[0] == "MasterclassForm:summary"
    await user.click("Опубликовать")
    [masterclass] = await saved(database)
    assert masterclass.online_url == "https://meet.example.org/abc"
    assert masterclass.place is None
    assert masterclass.capacity is None
    assert masterclass.secretaries_only


async def test_a_typed_value_is_escaped(database, dp, world, make_client):
    user = make_client(world.curator)
    await user.send("/new_masterclass")
    await user.send("<b>Жирный</b> & заголовок")
    await user.send(DESCRIPTION)
    await user.send("<i>Ведущий</i>")
    assert "Ведущий: &lt;i&gt;Ведущий&lt;/i&gt;" in user.last_text


# --- the summary -----------------------------------------------------------------------------


async def test_a_field_is_changed_from_the_summary(database, dp, world, make_client):
    user = make_client(world.curator)
    await to_summary(user, deadline="24.12 20:00")
    await user.click("Изменить")
    assert "Что изменить?" in user.last_text
    assert "Начало" in user.buttons()
    assert "⬅️ Назад к итогу" in user.buttons()

    await user.click("Назад к итогу")
    assert user.buttons() == ["✅ Опубликовать", "✏️ Изменить …", "❌ Отменить"]

    await user.click("Изменить")
    await user.click("Начало")
    assert "✏️ Изменяем: Начало." in user.last_text
    assert "Шаг 4 из 9" in user.last_text
    assert user.buttons() == ["⬅️ Назад к итогу"]
    await refused(user, "вчера 10:00", "Не получилось прочитать", "Шаг 4 из 9", copies=2)
    await user.send("24.12 18:00")  # before the deadline typed earlier: it follows the start
    summary = user.last_text
    assert "запись открыта до начала" in summary
    assert "<b>Начало:</b> 24.12.2026 18:00" in summary
    assert "<b>Запись до:</b> до начала" in summary
    assert sum("Проверьте мастер-класс" in (m["text"] or "") for m in user.messages()) == 1

    await user.click("Изменить")
    await user.click("Для кого")
    await user.click("ПО 20-03")
    await user.click("Только секретарям")
    assert "секретари: первичное отделение 20-03" in user.last_text
    assert "Проверьте мастер-класс" in user.last_text  # straight back to the summary

    await user.click("Изменить")
    await user.click("Места")
    await user.send("12")
    assert "<b>Мест:</b> 12" in user.last_text
    await user.click("Опубликовать")
    [masterclass] = await saved(database)
    assert masterclass.capacity == 12
    assert masterclass.secretaries_only
    assert masterclass.starts_at.strftime("%d.%m %H:%M") == "24.12 15:00"
    assert masterclass.registration_deadline == masterclass.starts_at


async def test_cancelling_at_the_summary_creates_nothing(database, dp, world, make_client):
    user = make_client(world.curator)
    await to_summary(user)
    await user.click("Отменить")
    assert "Мастер-класс не создан" in user.replies()[0]
    assert (await fsm(dp, user))[0] is None
    assert await saved(database) == []
    await user.click_data(NewMasterclassCb(action="publish").pack())
    assert "уже опубликован или отменён" in (alert(user) or "")
    assert await saved(database) == []


async def test_slash_cancel_leaves_the_flow(database, dp, world, make_client):
    user = make_client(world.curator)
    await to_audience(user)
    await user.send("/cancel")
    assert (await fsm(dp, user))[0] is None
    assert await saved(database) == []


async def test_the_draft_outlives_a_restart(database, settings, clock, dp, world, make_client):
    user = make_client(world.curator)
    await to_summary(user)
    summary_id = user.messages()[-1]["message_id"]

    second_dp = build_dispatcher(settings, database, clock=clock, start_background=False)
    second = BotClient(second_dp, build_bot(settings, RecordingSession()), world.curator)
    await second.click_data(NewMasterclassCb(action="publish").pack(), message_id=summary_id)
    [masterclass] = await saved(database)
    assert masterclass.title == TITLE
    assert LINK.format(id=masterclass.id) in second.last_text


# --- who may -----------------------------------------------------------------------------------


async def test_a_member_is_refused(database, dp, world, make_client):
    user = make_client(world.author)
    await user.send("/new_masterclass")
    assert user.last_text == "⛔ Нет доступа."
    await user.send("🎤 Организатору")
    assert user.last_text == "⛔ Нет доступа."
    await user.click_data(NewMasterclassCb(action="new").pack())
    assert alert(user) == "⛔ Нет доступа."
    assert (await fsm(dp, user))[0] is None
    assert "🎤 Организатору" not in user.keyboard()


async def test_a_curator_cannot_forge_another_audience(database, dp, world, make_client):
    user = make_client(world.curator)
    await to_audience(user)
    region = (await saved_region(database, world.branch))[0]
    denied, stale = "⛔ Нет доступа.", "Эта кнопка относится к другому шагу"
    forged = {
        f"pick.branch.{world.other_branch}": denied,  # a branch they do not curate
        f"pick.region.{region}": denied,
        "pick.all.0": denied,
        f"reg.{region}.1": denied,
        "pick.branch.2147483648": stale,  # beyond any id
        "pick.nowhere.1": stale,
        "who.all": stale,  # no place was chosen
    }
    for value, expected in forged.items():
        await user.click_data(NewMasterclassCb(action="aud", value=value).pack())
        assert (alert(user) or "").startswith(expected), value
    state, data = await fsm(dp, user)
    assert state == "MasterclassForm:audience"
    assert data["draft"]["audience"] is None
    assert not data.get("place_pick")
    await user.click_data(NewMasterclassCb(action="publish").pack())
    assert "другому шагу" in (alert(user) or "")
    assert await saved(database) == []


async def test_a_region_admin_sees_only_their_region(database, dp, world, make_client):
    user = make_client(world.region_admin)
    await to_audience(user)
    assert user.buttons() == ["Новосибирская область"]
    region = (await saved_region(database, world.branch))[0]
    await user.click_data(NewMasterclassCb(action="aud", value=f"reg.{region}.1").pack())
    assert alert(user) == "⛔ Нет доступа."
    await user.click("Новосибирская область")
    await user.click("Весь регион")
    await user.click("Всем участникам")
    assert "регион «Новосибирская область»" in user.last_text


async def saved_region(database, branch_id: int) -> list[int]:
    from storage.models import Branch

    async with database.sessions() as session:
        return list(await session.scalars(select(Branch.region_id).where(Branch.id == branch_id)))


async def test_a_draft_left_midway_is_kept_named_and_offered_again(dp, world, make_client):
    user = make_client(world.curator)
    await user.send("/new_masterclass")
    await user.send(TITLE)
    await user.send(DESCRIPTION)
    assert "Шаг 3 из 9" in user.last_text

    await user.send("/menu")  # leaving for the menu keeps the draft, and says so
    assert f"неопубликованный мастер-класс «{TITLE}»" in user.last_text
    assert (await fsm(dp, user))[0] == "MasterclassForm:host"

    await user.send("/new_masterclass")  # not replaced without asking
    assert f"неопубликованный мастер-класс «{TITLE}»" in user.last_text
    assert user.buttons() == ["▶️ Продолжить", "🗑 Удалить и начать новый"]
    await user.click("Продолжить")
    assert "Продолжаем мастер-класс" in user.last_text
    assert "Шаг 3 из 9" in user.last_text
    await user.send(HOST)
    assert "Шаг 4 из 9" in user.last_text

    await user.send("/new_masterclass")
    await user.click("Удалить и начать новый")
    assert "Шаг 1 из 9" in user.last_text
    state, data = await fsm(dp, user)
    assert state == "MasterclassForm:title"
    assert not data["draft"]["title"]


async def test_the_announcement_question_works_after_a_new_draft_began(
    database, dp, world, make_client
):
    user = make_client(world.curator)
    await to_summary(user)
    await user.click("Опубликовать")
    await user.send("/new_masterclass")  # the organiser goes on to the next one first
    assert "Шаг 1 из 9" in user.last_text
    await user.click("Разослать объявление")  # on the published one's message above
    assert said(user, "Объявление поставлено в очередь: 3 получателя.")
    assert len(await outbox(database)) == 3
    assert (await fsm(dp, user))[0] == "MasterclassForm:title"  # the new draft goes on
