"""«Мои наказы» through the dispatcher: the member's own mandates, newest first, by pages."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.methods import EditMessageText

from bot.services.mandates.decisions import accept_mandate
from bot.services.mandates.draft import MandateDraft, MandateRules
from bot.services.mandates.submission import submit_mandate
from bot.services.people import Person, Role, load_person
from handlers.callbacks import MandateCb, MandateListCb
from storage.models import User
from tests.harness.factories import make_branch, make_user

RULES = MandateRules(sla_days=3)
MEMBER, NEIGHBOUR, SECRETARY = 710, 711, 910


async def _person(database, settings, user_id: int) -> Person:
    async with database.sessions() as session:
        user = await session.get(User, user_id)
        return await load_person(
            session,
            user,
            admin_ids=settings.admin_ids,
            consent_version=settings.consent_version,
            default_timezone=settings.default_timezone,
        )


async def _submit(database, settings, user_id: int, now: datetime, n: int, category="roads"):
    author = await _person(database, settings, user_id)
    # Words that differ from one to the next, so none is a duplicate of another.
    text = f"Наказ номер {n}: отремонтировать участок дороги у дома {n * 7} на улице {n}-й Линии"
    async with database.transaction() as session:
        mandate = await submit_mandate(
            session, author, MandateDraft(category=category, text=text), now, RULES
        )
        return mandate.id, mandate.number


@pytest.fixture
async def branch(database) -> int:
    branch_id = await make_branch(database, "20-03")
    await make_user(database, MEMBER, branch_id=branch_id)
    await make_user(database, NEIGHBOUR, branch_id=branch_id)
    await make_user(database, SECRETARY, roles={Role.SECRETARY: [branch_id]})
    return branch_id


async def test_no_mandates_yet_says_how_to_submit_one(make_client, branch):
    user = make_client(MEMBER)
    await user.send("/my_mandates")
    assert user.last_text.startswith("📋 У вас пока нет наказов.")
    assert "/mandate" in user.last_text
    assert "📝 Подать наказ" in user.last_text
    assert user.buttons() == []


async def test_twelve_mandates_make_two_pages_turned_in_place(
    database, settings, make_client, branch, clock, recording
):
    submitted = []
    for n in range(1, 13):
        submitted.append(await _submit(database, settings, MEMBER, clock.now(), n))
        clock.advance(hours=1)
    await _submit(database, settings, NEIGHBOUR, clock.now(), 99)  # not theirs

    user = make_client(MEMBER)
    await user.send("📋 Мои наказы")
    first = user.last_text
    assert "Мои наказы</b> — всего 12 наказов" in first
    assert "Страница 1 из 2" in first
    numbers = [f"20-03/2026/{n:04d}" for n in range(12, 2, -1)]  # newest first
    positions = [first.index(f"№ {number}</b>") for number in numbers]
    assert positions == sorted(positions)
    assert "20-03/2026/0002" not in first
    assert "20-03/2026/0013" not in first  # the neighbour's
    assert "1. <b>№ 20-03/2026/0012</b> от 23.11.2026" in first
    assert "Статус: новый · Дороги и транспорт" in first
    assert user.buttons()[:2] == ["📄 20-03/2026/0012", "📄 20-03/2026/0011"]
    assert user.buttons()[-2:] == ["1/2", "▶️"]

    sent_before = len(user.messages())
    await user.click("▶️")
    assert len(user.messages()) == sent_before  # the same message, edited
    assert isinstance(recording.requests[-1], EditMessageText)
    second = user.last_text
    assert "Страница 2 из 2" in second
    assert "11. <b>№ 20-03/2026/0002</b>" in second
    assert "12. <b>№ 20-03/2026/0001</b>" in second
    assert "20-03/2026/0003" not in second
    assert user.buttons() == ["📄 20-03/2026/0002", "📄 20-03/2026/0001", "◀️", "2/2"]

    await user.click("◀️")
    assert "Страница 1 из 2" in user.last_text
    assert user.answered_callbacks() == 2


async def test_each_item_opens_its_card(database, settings, make_client, branch, clock):
    mandate_id, number = await _submit(database, settings, MEMBER, clock.now(), 1)
    user = make_client(MEMBER)
    await user.send("/my_mandates")
    markup = user.messages()[-1]["reply_markup"]
    [[button]] = markup.inline_keyboard
    assert button.text == f"📄 {number}"
    assert MandateCb.unpack(button.callback_data) == MandateCb(action="open", id=mandate_id)


async def test_status_and_local_date(database, settings, make_client, clock):
    far = await make_branch(
        database,
        "7",
        region_code="54",
        region_name="Новосибирская область",
        timezone="Asia/Novosibirsk",
        local_name="Новосибирское местное отделение",
    )
    await make_user(database, MEMBER, branch_id=far)
    await make_user(database, SECRETARY, roles={Role.SECRETARY: [far]})
    # 20:00 UTC on the 23rd is already the 24th in Novosibirsk (UTC+7).
    mandate_id, _ = await _submit(
        database, settings, MEMBER, datetime(2026, 11, 23, 20, 0, tzinfo=UTC), 1
    )
    secretary = await _person(database, settings, SECRETARY)
    async with database.transaction() as session:
        await accept_mandate(session, secretary, mandate_id, clock.now())

    user = make_client(MEMBER)
    await user.send("/my_mandates")
    assert "1. <b>№ 7/2026/0001</b> от 24.11.2026" in user.last_text
    assert "Статус: в работе" in user.last_text
    assert "Страница" not in user.last_text  # one page: no pager
    assert [b for b in user.buttons() if b in ("◀️", "▶️", "1/1")] == []


async def test_an_old_page_number_shows_a_real_page(database, settings, make_client, branch, clock):
    await _submit(database, settings, MEMBER, clock.now(), 1)
    user = make_client(MEMBER)
    await user.click_data(MandateListCb(view="my", page=7).pack())
    assert "<b>№ 20-03/2026/0001</b>" in user.last_text


async def test_a_secretary_without_a_branch_has_no_own_mandates(make_client, branch):
    secretary = make_client(SECRETARY)
    await secretary.send("/my_mandates")
    assert secretary.last_text.startswith("📋 У вас нет поданных наказов.")


async def test_user_text_in_the_list_is_escaped(database, settings, make_client, branch, clock):
    author = await _person(database, settings, MEMBER)
    draft = MandateDraft(category="other", text="Скамейки <b>сломаны</b> & урны переполнены")
    async with database.transaction() as session:
        await submit_mandate(session, author, draft, clock.now(), RULES)
    user = make_client(MEMBER)
    await user.send("/my_mandates")
    assert "Скамейки &lt;b&gt;сломаны&lt;/b&gt; &amp; урны" in user.last_text
