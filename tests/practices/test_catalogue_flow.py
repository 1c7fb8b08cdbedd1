"""The catalogue of practices through the dispatcher: the menu button and /practices, the
lists paged in place, by category, the card with everything but the author's account,
its photos or document, «Мои практики» with statuses, the `pr_<id>` deep link, the
moderator's buttons, and forged buttons for what the person may not see."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendDocument, SendMediaGroup

from bot.services.practices import moderation
from handlers.callbacks import PracticeCb, PracticeListCb
from tests.mandates.helpers import act
from tests.practices.helpers import DENIED, RESULT, WHAT_DONE, published, share

HOME_BUTTONS = [
    "🆕 Новые",
    "⭐ Полезные",
    "🗂 По темам",
    "🔎 Поиск",
    "➕ Поделиться практикой",
    "📋 Мои практики",
]


def alert(user) -> str | None:
    return user.session.sent(AnswerCallbackQuery)[-1].text


def data(action: str, practice_id: int) -> str:
    return PracticeCb(action=action, id=practice_id).pack()


# --- the screen and the lists ------------------------------------------------------------


async def test_every_role_has_the_button_and_the_screen(world, make_client):
    for who in (world.author, world.secretary, world.curator, world.admin):
        user = make_client(who)
        await user.send("/menu")
        assert "💡 Практики" in user.keyboard()
        await user.send("💡 Практики")
        assert user.last_text.startswith("💡 <b>Лучшие практики</b>")
        assert user.buttons() == HOME_BUTTONS
    await user.send("/practices")
    assert "/practices наставничество" in user.last_text


async def test_an_empty_catalogue_says_so_and_leads_back(world, make_client):
    user = make_client(world.member)
    await user.send("/practices")
    await user.click("🆕 Новые")
    assert user.last_text.startswith("🆕 В каталоге пока нет практик.")
    assert user.buttons() == ["💡 Все практики"]
    await user.click("💡 Все практики")
    assert user.buttons() == HOME_BUTTONS


async def test_newest_first_paged_in_place(world, database, clock, make_client, recording):
    for n in range(1, 8):
        await published(world, database, clock.now(), title=f"Практика номер {n}")
        clock.advance(minutes=5)
    user = make_client(world.foreign_member)
    await user.send("/practices")
    sent_before = len(user.messages())
    await user.click("🆕 Новые")
    assert len(user.messages()) == sent_before  # the screen, edited
    first = user.last_text
    assert "🆕 <b>Новые практики</b> — 7" in first
    assert "Страница 1 из 2" in first
    positions = [first.index(f"<b>Практика номер {n}</b>") for n in (7, 6, 5, 4, 3)]
    assert positions == sorted(positions)
    assert "Практика номер 2" not in first
    assert "ТОС на базе первички · ПО № 20-03" in first
    assert "👍 0 · 🛠 0" in first
    assert user.buttons()[:5] == [f"{i}. Практика номер {8 - i}" for i in range(1, 6)]
    assert user.buttons()[5:] == ["1/2", "▶️", "💡 Все практики"]

    await user.click("▶️")
    assert isinstance(recording.requests[-1], EditMessageText)
    assert "Страница 2 из 2" in user.last_text
    assert "7. <b>Практика номер 1</b>" in user.last_text
    await user.click_data(PracticeListCb(view="new", page=99).pack())  # clamped
    assert "Страница 2 из 2" in user.last_text


async def test_by_category_and_most_useful(world, database, clock, make_client):
    await published(
        world, database, clock.now(), title="Наставники для новичков", category="mentoring"
    )
    await published(world, database, clock.now(), title="ТОС в посёлке")
    user = make_client(world.foreign_member)
    await user.send("/practices")
    await user.click("🗂 По темам")
    assert "Практики по темам" in user.last_text
    assert "ТОС на базе первички (1)" in user.buttons()
    assert "Наставничество (1)" in user.buttons()
    assert "Молодёжь (0)" in user.buttons()
    await user.click("Наставничество (1)")
    assert "🗂 <b>Наставничество</b> — 1" in user.last_text
    assert "Наставники для новичков" in user.last_text
    assert "ТОС в посёлке" not in user.last_text
    await user.click_data(PracticeListCb(view="cat", category="nonsense").pack())
    assert "В теме «nonsense» практик пока нет" in user.last_text

    await user.click_data(PracticeListCb(view="useful").pack())
    assert "⭐ <b>Самые полезные практики</b> — 2" in user.last_text


# --- the card ----------------------------------------------------------------------------


async def test_the_card_shows_the_practice_and_where_it_comes_from(
    world, database, clock, make_client
):
    practice = await published(
        world, database, clock.now(), title="ТОС <на> базе & первички", contact_offer=True
    )
    user = make_client(world.foreign_member)
    await user.send("/practices")
    await user.click("🆕 Новые")
    await user.click("1. ТОС")
    card = user.last_text
    assert card.startswith("💡 <b>ТОС &lt;на&gt; базе &amp; первички</b>\n🗂 ТОС на базе первички")
    assert "🏢 ПО № 20-03" in card
    assert "Краснодарский край" in card
    assert WHAT_DONE in card
    assert RESULT in card
    assert "👍 Полезно: 0 · 🛠 Взяли в работу: 0" in card
    assert "Анна" not in card  # the author's name
    assert str(world.author) not in card
    assert user.buttons() == [
        "👍 Полезно (0)",
        "🛠 Берём в работу",
        "✉️ Связаться с автором",
        "⬅️ К списку",
    ]
    assert practice.id  # opened through its own button
    await user.click("⬅️ К списку")
    assert "Новые практики" in user.last_text


async def test_the_authors_own_card_has_no_reactions(world, database, clock, make_client):
    practice = await published(world, database, clock.now(), contact_offer=True)
    user = make_client(world.author)
    await user.send(f"/start pr_{practice.id}")
    assert user.buttons() == ["⬅️ К списку"]
    await user.click("⬅️ К списку")
    assert "📋 <b>Мои практики</b> — 1" in user.last_text


async def test_photos_go_as_one_album_and_a_document_as_a_file(
    world, database, clock, make_client, recording
):
    album = await published(world, database, clock.now(), photos=["ph-1", "ph-2", "ph-3"])
    single = await published(world, database, clock.now(), photos=["ph-9"], title="Одно фото")
    paper = await published(
        world,
        database,
        clock.now(),
        title="С документом",
        document_file_id="doc-1",
        document_name="устав ТОС.pdf",
    )
    user = make_client(world.foreign_member)
    await user.send(f"/start pr_{album.id}")
    assert "📎 фото: 3" in user.last_text
    await user.click("📷 Фото (3)")
    [sent] = recording.sent(SendMediaGroup)
    assert [m.media for m in sent.media] == ["ph-1", "ph-2", "ph-3"]
    assert "Фото к практике" in (sent.media[0].caption or "")

    await user.send(f"/start pr_{single.id}")
    await user.click("📷 Фото (1)")
    assert len(recording.sent(SendMediaGroup)) == 1  # a single photo is no album

    await user.send(f"/start pr_{paper.id}")
    assert "📎 документ «устав ТОС.pdf»" in user.last_text
    await user.click("📄 Документ")
    [document] = recording.sent(SendDocument)
    assert document.document == "doc-1"


async def test_my_practices_with_their_statuses(world, database, clock, make_client):
    await published(world, database, clock.now(), title="Опубликованная практика")
    await share(database, world.author, clock.now(), title="Ждёт модерации")
    returned = await share(database, world.author, clock.now(), title="Вернули на доработку")
    comment = "Добавьте цифры: сколько жителей пришло"
    await act(
        database, moderation.return_for_rework, world.curator, returned.id, comment, clock.now()
    )
    user = make_client(world.author)
    await user.send("/my_practices")
    text = user.last_text
    assert "📋 <b>Мои практики</b> — 3" in text
    assert "<b>Опубликованная практика</b>\nТОС на базе первички · ✅ опубликована" in text
    assert "<b>Ждёт модерации</b>\nТОС на базе первички · ⏳ на модерации" in text
    assert "↩️ возвращена на доработку" in text
    await user.click("Вернули на доработку")
    assert f"Просили: {comment}" in user.last_text


async def test_the_deep_link_opens_the_card_and_refuses_the_rest(
    world, database, clock, make_client
):
    practice = await published(world, database, clock.now())
    waiting = await share(database, world.author, clock.now(), title="Ещё на модерации")
    user = make_client(world.far_secretary)
    await user.send(f"/start pr_{practice.id}")
    assert user.last_text.startswith("💡 <b>ТОС на базе первички</b>")
    for link in (f"pr_{waiting.id}", "pr_999999", "pr_99999999999"):
        await user.send(f"/start {link}")
        assert user.last_text == DENIED

    author = make_client(world.author)  # her own, in any state
    await author.send(f"/start pr_{waiting.id}")
    assert "⏳ <i>На модерации" in author.last_text


async def test_a_moderator_sees_the_decision_buttons(world, database, clock, make_client):
    waiting = await share(database, world.author, clock.now())
    curator = make_client(world.curator)
    await curator.send(f"/start pr_{waiting.id}")
    assert curator.buttons() == ["✅ Опубликовать", "↩️ Вернуть на доработку", "⬅️ К списку"]
    foreign = make_client(world.foreign_curator)
    await foreign.send(f"/start pr_{waiting.id}")
    assert foreign.last_text == DENIED


async def test_forged_buttons_say_no_access_and_change_nothing(
    world, database, clock, make_client, recording
):
    waiting = await share(database, world.author, clock.now())
    user = make_client(world.far_secretary)  # another region, and not its moderator
    for action in ("open", "photos", "like", "adopt", "contact"):
        await user.click_data(data(action, waiting.id))
        assert alert(user) == DENIED, action
        await user.click_data(data(action, 424242))
        assert alert(user) == DENIED, action
    assert not [r for r in recording.sent(EditMessageText) if r.chat_id == world.far_secretary]
    async with database.sessions() as session:
        from storage.models import Practice

        fresh = await session.get(Practice, waiting.id)
        assert fresh is not None
        assert (fresh.likes_count, fresh.adoptions_count, fresh.status) == (0, 0, "moderation")


async def test_the_card_fits_one_message_with_many_answers(world, database, clock, make_client):
    long = "Длинный рассказ о том, как это было. " * 40
    practice = await published(
        world, database, clock.now(), what_done=long[:1500], result=("Итог " * 200)[:1000]
    )
    user = make_client(world.foreign_member)
    await user.send(f"/start pr_{practice.id}")  # the fake refuses a text over 4096
    assert user.last_text.startswith("💡")


# --- «⬅️ К списку» -------------------------------------------------------------------------


async def test_back_from_a_card_goes_to_the_list_page_and_topic_it_came_from(
    world, database, clock, make_client
):
    for n in range(1, 8):
        await published(world, database, clock.now(), title=f"Наставники {n}", category="mentoring")
        clock.advance(minutes=5)
    await published(world, database, clock.now(), title="ТОС в посёлке")
    user = make_client(world.foreign_member)
    await user.send("/practices")
    await user.click("🗂 По темам")
    await user.click("Наставничество (7)")
    await user.click("▶️")
    assert "Страница 2 из 2" in user.last_text
    await user.click("6. Наставники 2")
    await user.click("👍 Полезно (0)")  # the card redrawn keeps where it came from
    assert "👍 Полезно: 1" in user.last_text

    await user.click("⬅️ К списку")
    assert "🗂 <b>Наставничество</b> — 7" in user.last_text
    assert "Страница 2 из 2" in user.last_text
    assert "ТОС в посёлке" not in user.last_text

    await user.send("/practices наставники")  # the search's results, page 1
    await user.click("1.")
    await user.click("⬅️ К списку")
    assert "🔎 <b>Найдено по запросу «наставники»</b>" in user.last_text


async def test_back_from_a_card_opened_in_moderation_goes_to_moderation(
    world, database, clock, make_client
):
    practice = await share(database, world.author, clock.now(), title="Наставничество")
    curator = make_client(world.curator)
    await curator.send("/moderation")
    await curator.click("1. Наставничество")
    await curator.click("⬅️ К списку")
    assert "На модерации</b> — 1" in curator.last_text
    # «📄 Открыть практику» of the notice carries no list: the moderator's queue too.
    await curator.click_data(
        data("open", practice.id), message_id=curator.messages()[-1]["message_id"]
    )
    await curator.click("⬅️ К списку")
    assert "На модерации</b> — 1" in curator.last_text


async def test_a_card_opened_with_odd_list_data_is_refused_or_goes_to_the_newest(
    world, database, clock, make_client
):
    practice = await published(world, database, clock.now())
    user = make_client(world.foreign_member)
    for odd in ("nonsense:1:", "new:0:", "new:x:", "cat:999999999:", "new:1"):
        await user.send("/practices")
        screen = user.messages()[-1]["message_id"]
        await user.click_data(f"pro:{practice.id}:{odd}", message_id=screen)
        assert alert(user) == "Эта кнопка устарела. Откройте меню: /menu", odd
    # A card button of the notices and the digest (`pr:open:<id>`): no list to go back to.
    await user.click_data(data("open", practice.id), message_id=screen)
    await user.click("⬅️ К списку")
    assert "🆕 <b>Новые практики</b> — 1" in user.last_text
