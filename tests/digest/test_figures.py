"""The digest's figures and message against the prepared week (helpers.py), figure by
figure; access: a curator's digest holds their branches only."""

from __future__ import annotations

import pytest

from bot.services.digest.figures import build_digest, curated_branches
from bot.services.digest.text import render_message
from bot.services.people import Role, grant_role
from tests.digest.helpers import NOW


async def digest_of(database, user_id: int):
    async with database.reading() as session:
        branches = await curated_branches(session, user_id)
        return await build_digest(session, user_id, branches, NOW, "Europe/Moscow")


async def test_each_branch_and_the_total_figure_by_figure(database, week):
    w = week.world
    digest = await digest_of(database, w.curator)
    mine = digest.branch(w.branch)
    assert (mine.received, mine.answered, mine.resolved, mine.rejected) == (4, 3, 2, 1)
    assert (mine.overdue, mine.escalated) == (2, 1)
    assert sorted(mine.answer_hours) == pytest.approx([3, 14, 24])
    assert mine.median_hours == pytest.approx(14)
    assert mine.rating == pytest.approx(4.5)
    assert (mine.registrations, mine.attended) == (1, 1)
    assert mine.by_status == {"accepted": 1, "resolved": 1, "rejected": 1, "new": 1}
    assert not mine.inactive

    far = digest.branch(w.far_branch)
    assert (far.received, far.answered, far.overdue, far.registrations) == (1, 0, 0, 0)
    assert far.median_hours is None
    assert far.rating is None
    assert far.inactive
    assert [b.number for b in digest.inactive] == ["7"]

    total = digest.total
    assert (total.received, total.answered, total.resolved, total.rejected) == (5, 3, 2, 1)
    assert (total.overdue, total.escalated, total.registrations, total.attended) == (2, 1, 1, 1)
    assert total.median_hours == pytest.approx(14)

    assert [(m.number, m.days, m.escalated) for m in digest.overdue] == [
        ("M4", 6, True),
        ("M5", 1, False),
    ]
    assert [p.title for p in digest.practices] == [
        "Субботник во дворе",
        "Чат дома",
        "Лавочки у подъезда",
    ]
    trend = [(p.received, p.answered, p.resolved) for p in digest.trend]
    assert trend == [
        (1, 1, 0),  # 28.09: M7 created and answered
        (0, 0, 1),  # 05.10: M7 resolved
        (0, 0, 0),
        (0, 0, 0),
        (0, 0, 0),
        (1, 1, 0),  # 02.11: M6
        (1, 0, 0),  # 09.11: M4
        (5, 3, 2),  # this week
    ]


async def test_the_message_says_attention_first_then_the_figures(database, week):
    digest = await digest_of(database, week.world.curator)
    text, buttons = render_message(digest, escalate_days=2)
    assert text.startswith("📊 <b>Сводка за неделю</b> · 16.11–23.11.2026\n2 отделения")
    lines = text.splitlines()
    assert "🔴 Просрочено: 2 наказа; 1 из них — дольше чем на 2 рабочих дня (эскалация)." in lines
    assert "• M4 — 6 рабочих дней · 20-03" in lines
    assert "• M5 — 1 рабочий день · 20-03" in lines
    assert "😴 Без активности 30 дней (1): 7" in lines
    assert (
        "Поступило: 5 · первый ответ: 3 · выполнено: 2 · отклонено: 1 · просрочено сейчас: 2"
        in lines
    )
    assert "Медиана до первого ответа: 14 рабочих часов (0,6 рабочего дня)." in lines
    assert "Средняя оценка авторов: 4,5 из 5 (оценок: 2)." in lines
    assert "Мастер-классы секретарей: 1 запись, 1 посещение." in lines
    assert "1. Субботник во дворе (второй Береговой округ) — ❤️ 5 · 🤝 1" in lines
    assert "не реализован" not in text
    assert "Обязанност" not in text  # no duty reminders: nothing about duties
    assert (
        text.index("Требует внимания") < text.index("Итого за неделю") < text.index("По отделениям")
    )
    assert [[b.callback_data for b in row] for row in buttons] == [
        [f"pr:open:{pid}"] for pid in week.practices
    ]


async def test_a_curator_sees_only_their_branches(database, week):
    w = week.world
    foreign = await digest_of(database, w.foreign_curator)
    assert [b.branch_id for b in foreign.branches] == [w.other_branch]
    assert [m.number for m in foreign.overdue] == ["O1"]
    text, _ = render_message(foreign, escalate_days=2)
    assert "O1" in text
    assert "M4" not in text
    assert "20-03" not in text

    mine = await digest_of(database, w.curator)
    text, _ = render_message(mine, escalate_days=2)
    assert "O1" not in text
    assert "20-04" not in text


async def test_a_secretary_of_two_branches_counts_in_each_and_once_in_the_total(database, week):
    w = week.world
    async with database.transaction() as session:
        await grant_role(session, w.secretary, Role.SECRETARY, NOW, branch_id=w.far_branch)
    digest = await digest_of(database, w.curator)
    for figures in (digest.branch(w.branch), digest.branch(w.far_branch), digest.total):
        assert (figures.registrations, figures.attended) == (1, 1)
