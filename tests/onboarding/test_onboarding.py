"""Onboarding through the dispatcher, as a person meets it: /start, consent, joining."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SetMyCommands
from aiogram.types import BotCommandScopeChat
from sqlalchemy import select

from bot.services.onboarding.invites import create_invite
from bot.services.people import Role
from handlers.callbacks import PickCb
from storage.models import Consent, OutboxMessage, User
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
    assert user.buttons() == ["✅ Согласен", "❌ Не согласен"]

    await user.click("Согласен")
    assert "Согласие сохранено" in user.messages()[-2]["text"]
    assert "Выберите регион" in user.last_text
    async with database.sessions() as session:
        consent = await session.scalar(select(Consent).where(Consent.user_id == 500))
    assert (consent.accepted, consent.version, consent.decided_at) == (True, 1, clock.now())


async def test_declined_consent_is_respected_and_can_be_changed(database, make_client):
    await make_branch(database)
    user = make_client(501)
    await user.send("/start")
    await user.click("Не согласен")
    assert "Вы не дали согласие" in user.last_text
    await user.send("/mandate")  # nothing else works without consent
    assert user.replies() == [
        "Сначала нужно дать согласие на обработку данных и вступить в первичное отделение: "
        "нажмите /start."
    ]

    await user.send("/consent")
    await user.click("Дать согласие")
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
    await user.click("Согласен")
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
    assert user.keyboard() == ["📝 Подать наказ", "📋 Мои наказы", "ℹ️ Помощь"]
    notices = await _outbox(database)
    assert [(n.chat_id, n.payload["text"]) for n in notices] == [
        (900, "👤 В вашу первичку №20-03 вступил новый участник: Мария.")
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
    await user.click("Согласен")
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
    await user.click("Согласен")
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
        await user.click("Согласен")
        assert (await _user(database, user_id)).branch_id == branch_id
        assert "Главное меню" in user.last_text
    assert len(await _outbox(database)) == 2


async def test_secretary_invite_works_once(database, make_client, clock):
    branch_id = await make_branch(database)
    token = await _invite(database, clock, Role.SECRETARY, branch_id)
    first, second = make_client(507), make_client(508)
    await first.send(f"/start {token}")
    await first.click("Согласен")
    assert any("Теперь вы секретарь" in m["text"] for m in first.messages())
    assert "секретарь" in first.last_text  # the menu names the role

    await second.send(f"/start {token}")
    await second.click("Согласен")
    assert any("уже использована" in m["text"] for m in second.messages())
    assert "Выберите регион" in second.last_text  # they can still join as a member


async def test_curator_invite_covers_several_branches(database, make_client, clock):
    a = await make_branch(database, "20-03")
    b = await make_branch(database, "20-04")
    token = await _invite(database, clock, Role.CURATOR, a, b)
    user = make_client(509)
    await user.send(f"/start {token}")
    await user.click("Согласен")
    assert any("куратор отделений: №20-03, №20-04" in m["text"] for m in user.messages())


async def test_expired_invite_is_refused(database, make_client, clock):
    branch_id = await make_branch(database)
    token = await _invite(database, clock, Role.SECRETARY, branch_id)
    clock.advance(days=8)
    user = make_client(510)
    await user.send(f"/start {token}")
    await user.click("Согласен")
    assert any("Срок действия ссылки-приглашения истёк" in m["text"] for m in user.messages())


async def test_unknown_invite_token(database, make_client):
    await make_branch(database)
    user = make_client(511)
    await user.send("/start nonsense-token")
    await user.click("Согласен")
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
    await user.click("Согласен")
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
    assert "Вы согласны" in user.replies()[1]
    await user.click("Согласен")
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
    await user.click("Согласен")
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
    await user.click("Согласен")
    assert user.last_text.startswith("⚠️ Что-то пошло не так")
    assert "Traceback" not in user.last_text
    assert "RuntimeError" not in user.last_text
