"""«Duties done on time» in the digest: the secretaries' duty reminders whose 48 hours ran
out in the week, figure by figure against the prepared duties (helpers.py,
`prepare_duties`), in the message (nothing for a branch without them) and in the workbook."""

from __future__ import annotations

import io

from openpyxl import load_workbook

from bot.services.digest.figures import LATE, MISSING, ON_TIME
from bot.services.digest.text import render_message
from bot.services.digest.weekly import render_files
from bot.services.people import Role, grant_role
from tests.digest.helpers import NOW, TWO_BRANCH_SECRETARY, utc
from tests.digest.test_figures import digest_of
from tests.harness.factories import make_branch


def counts(figures) -> tuple[int, int, int, int]:
    return (figures.duties, figures.duties_on_time, figures.duties_late, figures.duties_missing)


async def test_each_branch_and_the_total_figure_by_figure(database, duty_week):
    w = duty_week.world
    digest = await digest_of(database, w.curator)
    # 20-03: the secretary's report (on time) and meeting (snoozed, on time), 303's report
    # (missing) and meeting (at the term's very end: on time).
    assert counts(digest.branch(w.branch)) == (4, 3, 0, 1)
    # 7: the far secretary's report of 14.11 (marked only after now: missing) and of 16.11
    # (49 hours: late), 303's report (missing); 303's meeting is for 20-03 only.
    assert counts(digest.branch(w.far_branch)) == (3, 0, 1, 2)
    # The total: 303's report of 16.11 is one reminder, not two.
    assert counts(digest.total) == (6, 3, 1, 2)
    assert [b.number for b in digest.duties_missing] == ["20-03", "7"]
    rows = [(m.branch_id, m.user_id, m.duty, m.sent_at, m.verdict) for m in digest.duty_marks]
    assert rows == [
        # By branch, then name (Светлана, Сергей), then when reminded.
        (w.branch, TWO_BRANCH_SECRETARY, "Сдайте отчёт", utc(11, 16, 6), MISSING),
        (w.branch, TWO_BRANCH_SECRETARY, "Проведите собрание", utc(11, 18, 6), ON_TIME),
        (w.branch, w.secretary, "Сдайте отчёт", utc(11, 16, 6), ON_TIME),
        (w.branch, w.secretary, "Проведите собрание", utc(11, 18, 6), ON_TIME),
        (w.far_branch, TWO_BRANCH_SECRETARY, "Сдайте отчёт", utc(11, 16, 6), MISSING),
        (w.far_branch, w.far_secretary, "Сдайте отчёт", utc(11, 14, 6), MISSING),
        (w.far_branch, w.far_secretary, "Сдайте отчёт", utc(11, 16, 6), LATE),
    ]
    # Marked after now is not marked (yet): the digest is the week as it was at `now`.
    assert digest.duty_marks[5].done_at is None


async def test_a_branch_without_duty_reminders_has_none(database, duty_week):
    foreign = await digest_of(database, duty_week.world.foreign_curator)
    assert counts(foreign.total) == (0, 0, 0, 0)
    assert foreign.duty_marks == []
    text, _ = render_message(foreign, escalate_days=2)
    assert "Обязанност" not in text


async def test_the_message_says_how_many_were_marked_in_48_hours(database, duty_week):
    w = duty_week.world
    async with database.transaction() as session:  # and a branch with nothing at all
        quiet = await make_branch(database, "20-09", name="тихий округ")
        await grant_role(session, w.curator, Role.CURATOR, NOW, branch_id=quiet)
    digest = await digest_of(database, w.curator)
    text, _ = render_message(digest, escalate_days=2)
    lines = text.splitlines()
    assert "📌 Обязанности не отмечены за 48 часов: 2 напоминания · 20-03, 7" in lines
    total = "Обязанности секретарей: отмечено в течение 48 часов 3 из 6 напоминаний"
    assert f"{total}, позже — 1, не отмечено — 2." in lines
    assert (
        "Обязанности секретарей: отмечено в течение 48 часов 3 из 4 напоминаний, "
        "не отмечено — 1." in lines
    )
    assert (
        "Обязанности секретарей: отмечено в течение 48 часов 0 из 3 напоминаний, "
        "позже — 1, не отмечено — 2." in lines
    )
    assert "<b>20-09</b> тихий округ: за неделю ничего" in lines
    assert "0 из 0" not in text
    assert text.index("📌") < text.index("Итого за неделю") < text.index(total)


async def test_one_reminder_reads_in_the_genitive_singular(database, duty_week):
    w = duty_week.world
    digest = await digest_of(database, w.curator)
    far = digest.branch(w.far_branch)
    far.duties, far.duties_on_time, far.duties_late, far.duties_missing = 21, 21, 0, 0
    from bot.services.digest.text import duties_line

    assert duties_line(far) == (
        "Обязанности секретарей: отмечено в течение 48 часов 21 из 21 напоминания."
    )


async def test_the_workbook_has_the_duty_columns_and_a_sheet_of_reminders(database, duty_week):
    w = duty_week.world
    digest = await digest_of(database, w.curator)
    book = load_workbook(io.BytesIO((await render_files(digest)).workbook))
    assert book.sheetnames == ["Отделения", "Просроченные", "Практики", "По неделям",
                               "Обязанности"]  # fmt: skip
    rows = list(book["Отделения"].iter_rows(values_only=True))
    assert rows[0][14:] == ("Напоминаний об обязанностях", "Отмечено в течение 48 ч",
                            "Отмечено позже", "Не отмечено")  # fmt: skip
    by_number = {row[0]: row for row in rows[1:]}
    assert by_number["20-03"][14:] == (4, 3, 0, 1)
    assert by_number["7"][14:] == (3, 0, 1, 2)
    assert by_number[None][14:] == (6, 3, 1, 2)
    reminders = list(book["Обязанности"].iter_rows(values_only=True))
    assert reminders[0] == ("Отделение", "Секретарь", "Обязанность", "Напомнено",
                            "Срок отметки", "Отмечено", "Итог")  # fmt: skip
    assert len(reminders) == 8
    assert reminders[3] == ("20-03 первый Береговой округ", "Сергей", "Сдайте отчёт",
                            "16.11.2026 09:00", "18.11.2026 09:00", "17.11.2026 08:00",
                            "в срок")  # fmt: skip
    assert reminders[-1][1:] == ("Софья", "Сдайте отчёт", "16.11.2026 09:00",
                                 "18.11.2026 09:00", "18.11.2026 10:00", "позже")  # fmt: skip
    assert reminders[1][1:2] + reminders[1][5:] == ("Светлана", None, "не отмечено")
    assert book["Обязанности"].freeze_panes == "A2"


async def test_without_duties_the_duty_cells_stay_empty(database, week):
    digest = await digest_of(database, week.world.curator)
    book = load_workbook(io.BytesIO((await render_files(digest)).workbook))
    rows = list(book["Отделения"].iter_rows(values_only=True))
    assert all(row[14:] == (None, None, None, None) for row in rows[1:])
    assert book["Обязанности"].max_row == 1
