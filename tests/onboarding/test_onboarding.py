"""Onboarding through the dispatcher, as a person meets it: /start, consent, joining."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from aiogram.types import BotCommandScopeChat, ReplyKeyboardRemove
from sqlalchemy import select

from bot.services.onboarding.invites import create_invite
from bot.services.people import Role
from handlers.callbacks import PickCb
from storage.models import Consent, Invite, OutboxMessage, User
from tests.conftest import ADMIN_ID
from tests.harness.factories import make_branch, make_user


async def _user(database, user_id):
    async with database.sessions() as session:
        return await session.get(User, user_id)


async def _outbox(database):
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def _invite(database, clock, role, *branch_ids):
    async with database.transaction() as session:
        return (await create_invite(session, role, list(branch_ids), clock.now())).token


async def test_consent_is_asked_first_and_stored_with_version_and_time(
    database, make_client, clock
):
    await make_branch(database)
    user = make_client(500)
    await user.send("/start")
    assert "Согласие на обработку персональных данных" in user.last_text
    assert user.buttons() == ["✅ Даю согласие", "Не даю"]

    await user.click("Даю согласие")
    assert "Согласие сохранено" in user.messages()[-2]["text"]
    assert "Выберите регион" in user.last_text
    async with database.sessions() as session:
        consent = await session.scalar(select(Consent).where(Consent.user_id == 500))
    assert (consent.accepted, consent.version, consent.decided_at) == (True, 1, clock.now())


async def test_declined_consent_is_respected_and_can_be_changed(database, make_client):
    await make_branch(database)
    user = make_client(501)
    await user.send("/start")
    await user.click("Не даю")
    assert "Вы не дали согласие" in user.last_text
    await user.send("/mandate")  # nothing else works without consent
    assert user.replies() == [
        "Сначала нужно дать согласие на обработку данных и вступить в первичное отделение: "
        "нажмите /start."
    ]

    await user.send("/consent")
    assert user.last_text.startswith("Вы не дали согласие на обработку персональных данных")
    assert "Даёте согласие на обработку персональных данных?" in user.last_text
    await user.click("Даю согласие")
    assert "Выберите регион" in user.last_text
    async with database.sessions() as session:
        decisions = list(
            await session.scalars(
                select(Consent.accepted).where(Consent.user_id == 501).order_by(Consent.id)
            )
        )
    assert decisions == [False, True]


async def test_join_by_picking_from_lists_tells_the_secretary(database, make_client, recording):
    branch_id = await make_branch(database, "20-03")
    await make_branch(database, "20-04", name="второй Береговой округ")
    await make_user(database, 900, roles={Role.SECRETARY: [branch_id]})
    user = make_client(502, "Мария")
    await user.send("/start")
    await user.click("Даю согласие")
    await user.click("Краснодарский край")
    assert "Шаг 2 из 3" in user.last_text
    await user.click("Краснодарское местное отделение")
    assert user.buttons()[:2] == [
        "№20-03 — первый Береговой округ",
        "№20-04 — второй Береговой округ",
    ]
    await user.click("№20-03")

    assert (await _user(database, 502)).branch_id == branch_id
    texts = [m["text"] for m in user.messages()]
    assert any("Вы вступили в первичное отделение <b>№20-03</b>" in text for text in texts)
    assert user.keyboard() == [
        "📝 Подать наказ",
        "📋 Мои наказы",
        "🎓 Мастер-классы",
        "💡 Практики",
        "ℹ️ Помощь",
    ]
    notices = await _outbox(database)
    assert [(n.chat_id, n.payload["text"]) for n in notices] == [
        (900, "👤 Новый участник первичного отделения №20-03: Мария.")
    ]
    scoped = [
        r
        for r in recording.sent(SetMyCommands)
        if isinstance(r.scope, BotCommandScopeChat) and r.scope.chat_id == 502
    ]
    assert scoped, "the member got a command list of their own"


async def test_picker_edits_one_message_in_place_and_goes_back(database, make_client):
    await make_branch(database)
    user = make_client(503)
    await user.send("/start")
    await user.click("Даю согласие")
    before = len(user.messages())
    await user.click("Краснодарский край")
    await user.click("Назад")
    assert len(user.messages()) == before
    assert "Шаг 1 из 3" in user.last_text


async def test_long_lists_are_paginated(database, make_client):
    for n in range(12):
        await make_branch(database, "1", region_code=f"{n:02d}", region_name=f"Регион {n:02d}")
    user = make_client(504)
    await user.send("/start")
    await user.click("Даю согласие")
    first_page = user.buttons()
    assert "Регион 00" in first_page
    assert "Регион 11" not in first_page
    assert "1/2" in first_page
    await user.click("▶️")
    assert "Регион 11" in user.buttons()


async def test_join_by_member_invite(database, make_client, clock):
    branch_id = await make_branch(database)
    await make_user(database, 900, roles={Role.SECRETARY: [branch_id]})
    token = await _invite(database, clock, Role.MEMBER, branch_id)
    for user_id in (505, 506):  # a member link is reusable
        user = make_client(user_id)
        await user.send(f"/start {token}")
        await user.click("Даю согласие")
        assert (await _user(database, user_id)).branch_id == branch_id
        assert "Главное меню" in user.last_text
    assert len(await _outbox(database)) == 2


async def test_secretary_invite_works_once(database, make_client, clock):
    branch_id = await make_branch(database)
    token = await _invite(database, clock, Role.SECRETARY, branch_id)
    first, second = make_client(507), make_client(508)
    await first.send(f"/start {token}")
    await first.click("Даю согласие")
    assert any("Теперь вы секретарь" in m["text"] for m in first.messages())
    assert "секретарь" in first.last_text  # the menu names the role

    await second.send(f"/start {token}")
    await second.click("Даю согласие")
    assert "уже использована" in second.last_text
    assert (await _user(database, 508)).branch_id is None


async def test_curator_invite_covers_several_branches(database, make_client, clock):
    a = await make_branch(database, "20-03")
    b = await make_branch(database, "20-04")
    token = await _invite(database, clock, Role.CURATOR, a, b)
    user = make_client(509)
    await user.send(f"/start {token}")
    await user.click("Даю согласие")
    assert any("куратор первичных отделений: №20-03, №20-04" in m["text"] for m in user.messages())


async def test_expired_invite_is_refused(database, make_client, clock):
    branch_id = await make_branch(database)
    token = await _invite(database, clock, Role.SECRETARY, branch_id)
    clock.advance(days=8)
    user = make_client(510)
    await user.send(f"/start {token}")
    await user.click("Даю согласие")
    assert any("Срок действия ссылки-приглашения истёк" in m["text"] for m in user.messages())


async def test_unknown_invite_token(database, make_client):
    await make_branch(database)
    user = make_client(511)
    await user.send("/start nonsense-token")
    await user.click("Даю согласие")
    assert any("не найдена" in m["text"] for m in user.messages())


async def test_start_again_shows_the_menu_without_onboarding(database, make_client):
    branch_id = await make_branch(database)
    await make_user(database, 512, branch_id=branch_id)
    user = make_client(512)
    await user.send("/start")
    assert "Главное меню" in user.last_text
    assert not any("Согласие" in text for text in user.replies())


async def test_cancel_leaves_the_flow(database, make_client, dp):
    await make_branch(database)
    user = make_client(513)
    await user.send("/start")
    await user.click("Даю согласие")
    await user.send("/cancel")
    assert "Отменено" in user.last_text
    state = dp.fsm.get_context(user.bot, 513, 513)
    assert await state.get_state() is None


async def test_wrong_input_gets_a_clear_message_and_the_question_again(database, make_client):
    await make_branch(database)
    user = make_client(514)
    await user.send("/start")
    await user.send_sticker()
    assert user.replies()[0].startswith("Ответьте кнопкой")
    assert "Даёте согласие" in user.replies()[1]
    await user.click("Даю согласие")
    await user.send_photo()
    assert user.replies()[0] == "Выберите вариант кнопкой в списке ниже."
    assert "Выберите регион" in user.replies()[1]


async def test_unknown_callback_is_answered(database, make_client, recording):
    await make_branch(database)
    user = make_client(515)
    await user.click_data("zz:something-old")
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert answer.text == "Эта кнопка устарела. Откройте меню: /menu"


async def test_forged_callback_cannot_join_a_branch_not_offered(database, make_client):
    await make_branch(database, "20-03")
    foreign = await make_branch(
        database,
        "7",
        region_code="43",
        region_name="Кировская область",
        local_name="Кировское местное отделение",
    )
    user = make_client(516)
    await user.send("/start")
    await user.click("Даю согласие")
    await user.click("Краснодарский край")
    await user.click("Краснодарское местное отделение")
    await user.click_data(PickCb(purpose="join", level="br", id=foreign).pack())
    assert (await _user(database, 516)).branch_id is None
    assert user.session.sent(AnswerCallbackQuery)[-1].text.startswith("⛔ Нет доступа")


async def test_a_failure_is_told_in_russian_without_traceback(database, make_client, monkeypatch):
    from bot.services.structure import queries

    async def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(queries, "list_regions", broken)
    user = make_client(517)
    await user.send("/start")
    await user.click("Даю согласие")
    assert user.last_text.startswith("⚠️ Что-то пошло не так")
    assert "Traceback" not in user.last_text
    assert "RuntimeError" not in user.last_text


async def _admin_invite(database, make_client, role=Role.SECRETARY):
    """An admin, Ольга, makes a one-time link in the chat."""
    await make_branch(database, "20-03")
    await make_user(database, ADMIN_ID)
    admin = make_client(ADMIN_ID, "Ольга")
    await admin.send("/admin")
    await admin.click("Создать приглашение")
    await admin.click("Секретаря" if role == Role.SECRETARY else "Куратора")
    await admin.click("Краснодарский край")
    await admin.click("Краснодарское местное отделение")
    await admin.click("№20-03")
    if role == Role.CURATOR:
        await admin.click("Готово")
    async with database.sessions() as session:
        return admin, (await session.scalar(select(Invite.token)))


async def test_a_used_link_says_whom_to_ask_and_the_admin_hears_of_use_and_reuse(
    database, make_client
):
    _, token = await _admin_invite(database, make_client)
    first, second = make_client(530, "Мария"), make_client(531, "Пётр")
    await first.send(f"/start {token}")
    await first.click("Даю согласие")
    await second.send(f"/start {token}")
    await second.click("Даю согласие")

    # Said what happened and whom to ask; not dropped into the member picker.
    assert second.last_text == (
        "⚠️ Эта ссылка-приглашение уже использована: по одноразовой ссылке входят один раз. "
        "Ссылку создал администратор Ольга: попросите у него новую. "
        "Мы сообщили ему о вашей попытке."
    )
    assert not any("Выберите регион" in m["text"] for m in second.messages())
    assert (await _user(database, 531)).branch_id is None
    assert [(n.chat_id, n.payload["text"]) for n in await _outbox(database)] == [
        (ADMIN_ID, "🔗 Приглашение использовано: Мария — теперь секретарь (№20-03)."),
        (
            ADMIN_ID,
            "⚠️ Пётр открывает уже использованную ссылку-приглашение (секретарь, №20-03). "
            "Если этому человеку нужна роль, создайте новую ссылку: /admin",
        ),
    ]

    await first.send(f"/start {token}")  # the one who used it opens it again
    assert "Эта роль у вас уже есть." in first.replies()
    assert len(await _outbox(database)) == 2  # nobody is told about that


async def test_a_used_link_of_the_command_line_says_to_ask_who_sent_it(
    database, make_client, clock
):
    branch_id = await make_branch(database)
    token = await _invite(database, clock, Role.CURATOR, branch_id)
    await make_client(532).send(f"/start {token}")
    await make_client(532).click("Даю согласие")
    late = make_client(533)
    await late.send(f"/start {token}")
    await late.click("Даю согласие")
    assert late.last_text.endswith("Попросите новую у того, кто её прислал.")
    assert await _outbox(database) == []  # no admin made it: nobody to tell


async def test_withdrawal_asks_says_what_changes_and_takes_the_menu_away(
    database, make_client, recording
):
    branch_id = await make_branch(database)
    await make_user(database, 534, branch_id=branch_id)
    member = make_client(534)
    await member.send("/menu")
    assert member.keyboard() == [
        "📝 Подать наказ",
        "📋 Мои наказы",
        "🎓 Мастер-классы",
        "💡 Практики",
        "ℹ️ Помощь",
    ]

    await member.send("/consent")
    assert member.last_text.startswith(
        "Ваше согласие на обработку персональных данных действует с 20.11.2026 12:00"
    )
    await member.click("Отозвать согласие")
    question = member.last_text
    assert question.startswith("Отозвать согласие на обработку персональных данных?")
    assert "вы останетесь в первичном отделении №20-03" in question
    assert member.buttons() == ["Да, отозвать", "Нет, оставить"]
    async with database.sessions() as session:  # nothing is recorded before the answer
        assert len(list(await session.scalars(select(Consent)))) == 1

    messages = len(member.messages())
    await member.click("Да, отозвать")
    texts = [m["text"] for m in member.messages()]
    assert texts[messages - 1].startswith("Вы отозвали согласие на обработку персональных данных")
    assert texts[messages:] == ["Кнопки меню скрыты: без согласия они не работают."]
    assert member.keyboard() == []  # the menu's buttons are gone
    assert isinstance(recording.requests[-1].reply_markup, ReplyKeyboardRemove)

    for command in ("/menu", "/mandate"):  # not told to join the branch she is in
        await member.send(command)
        assert member.replies() == [
            "Сначала нужно дать согласие на обработку персональных данных: нажмите /start."
        ]
    await member.send("/help")
    assert "предложит выбрать первичное отделение" not in member.last_text
    await member.send("/consent")
    assert member.last_text.startswith("Вы отозвали согласие")
    await member.click("Даю согласие")
    assert member.keyboard() == [
        "📝 Подать наказ",
        "📋 Мои наказы",
        "🎓 Мастер-классы",
        "💡 Практики",
        "ℹ️ Помощь",
    ]


async def test_keeping_consent_changes_nothing(database, make_client):
    branch_id = await make_branch(database)
    await make_user(database, 535, branch_id=branch_id)
    member = make_client(535)
    await member.send("/consent")
    await member.click("Отозвать согласие")
    await member.click("Нет, оставить")
    assert member.last_text.startswith("Ваше согласие на обработку персональных данных действует")
    assert member.buttons() == []
    async with database.sessions() as session:
        assert [c.accepted for c in await session.scalars(select(Consent))] == [True]


async def test_one_role_is_named_in_the_singular(database, make_client):
    branch_id = await make_branch(database)
    await make_user(database, 536, roles={Role.SECRETARY: [branch_id]})
    await make_user(database, 537, branch_id=branch_id, roles={Role.SECRETARY: [branch_id]})
    alone, both = make_client(536), make_client(537)
    await alone.send("/menu")
    assert "Ваша роль: секретарь." in alone.last_text
    await both.send("/menu")
    assert "Ваши роли: участник первичного отделения, секретарь." in both.last_text


async def test_texts_promise_only_what_works(database, make_client, clock):
    a = await make_branch(database, "20-03")
    secretary_link = await _invite(database, clock, Role.SECRETARY, a)
    curator_link = await _invite(database, clock, Role.CURATOR, a)
    secretary, curator = make_client(538), make_client(539)
    await secretary.send(f"/start {secretary_link}")
    welcome = secretary.replies()[0]
    assert "подают наказы избирателей" in welcome
    assert "мастер-класс" not in welcome
    assert "практик" not in welcome
    await secretary.click("Даю согласие")
    granted = next(m["text"] for m in secretary.messages() if "Теперь вы секретарь" in m["text"])
    assert "напоминания" not in granted
    assert "«📥 Входящие наказы»" in granted
    await curator.send(f"/start {curator_link}")
    await curator.click("Даю согласие")
    granted = next(m["text"] for m in curator.messages() if "Теперь вы куратор" in m["text"])
    assert "сводк" not in granted
    assert "«📊 Наказы отделений»" in granted
