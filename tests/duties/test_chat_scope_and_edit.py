"""The admin's /duties through the dispatcher, as the admin meets it: whom a new duty is for
at each level of the shared picker (said back by name), a duty's card «✏️ Изменить» for
each field with the create flow's own questions (a changed time re-plans the series:
nobody gets the old one), a wrong schedule asked again in Russian, /cancel in the middle,
and a region's admin who sees, creates and touches only duties inside their region."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from aiogram.methods import AnswerCallbackQuery

from bot.services.duties import records
from tests.duties.helpers import ADMIN, duties_registry, make_duty, make_runner, reminded, run_all
from tests.duties.helpers import reminders_to as reminders
from tests.duties.test_delivery import START

DENIED = "⛔ Нет доступа."
# 30.11.2026 is a Monday. Kamchatka is UTC+12, Novosibirsk UTC+7, Moscow UTC+3.
FAN_OUT_9 = datetime(2026, 11, 29, 21, 0, tzinfo=UTC)  # Monday 09:00 in Kamchatka
NSK_9 = datetime(2026, 11, 30, 2, 0, tzinfo=UTC)
NSK_10 = datetime(2026, 11, 30, 3, 0, tzinfo=UTC)
MSK_9 = datetime(2026, 11, 30, 6, 0, tzinfo=UTC)
MSK_10 = datetime(2026, 11, 30, 7, 0, tzinfo=UTC)


def _answers(recording) -> list[str | None]:
    return [a.text for a in recording.sent(AnswerCallbackQuery)]


async def _run(database, clock, moment: datetime) -> None:
    clock.set(moment)
    await run_all(make_runner(database, duties_registry(), clock))


async def _create(admin, *picks: str, text: str = "Сдайте протокол") -> str:
    """Through the questions up to the summary; `picks` are the scope and the picker's
    presses. Returns the summary."""
    await admin.send("/duties")
    await admin.click("Новая задача")
    await admin.click("Секретарям")
    for label in picks:
        await admin.click(label)
    await admin.click("Каждую неделю")
    await admin.send("понедельник в 09:00")
    await admin.send(text)
    return admin.last_text


@pytest.mark.parametrize(
    ("picks", "last_step", "whom", "reached"),
    [
        (
            ("Всем",),
            None,
            "Кому: секретарям\n",
            {"secretary", "foreign_secretary", "far_secretary"},
        ),
        (
            ("Регион", "Новосибирская область"),
            "\n\nВыберите регион:",
            "Кому: секретарям · Новосибирская область\n",
            {"far_secretary"},
        ),
        (
            ("Местное отделение", "Краснодарский край", "Краснодарское местное отделение"),
            "<b>Шаг 2 из 2.</b> Выберите местное отделение:",
            "Кому: секретарям · Краснодарское местное отделение, Краснодарский край\n",
            {"secretary", "foreign_secretary"},
        ),
        (
            ("Первичное отделение", "Краснодарский край", "Краснодарское", "№20-04"),
            "<b>Шаг 3 из 3.</b> Выберите первичное отделение:",
            "Кому: секретарям · Первичное отделение № 20-04, второй Береговой округ\n",
            {"foreign_secretary"},
        ),
    ],
    ids=["all", "region", "local_branch", "branch"],
)
async def test_whom_at_each_level_of_the_picker(
    database, world, clock, make_client, recording, picks, last_step, whom, reached
):
    clock.set(START)
    admin = make_client(world.admin)
    summary = await _create(admin, *picks)
    assert whom in summary
    if last_step:  # the picker's last screen says it is the last step
        assert any(text.endswith(last_step) for text in recording.texts_to(world.admin))
    await admin.click("Сохранить")
    await admin.send("/duties")
    assert whom.removeprefix("Кому: ").strip() in admin.last_text  # the list says it too
    await _run(database, clock, MSK_9)
    people = ("secretary", "foreign_secretary", "far_secretary")
    got = await reminded(database, *(getattr(world, p) for p in people))
    assert {p for p in people if got[getattr(world, p)]} == reached


async def _open_edit(admin, field: str) -> None:
    await admin.send("/duties")
    await admin.click("Открыть № 1")
    await admin.click("Изменить")
    assert "Что изменить?" in admin.last_text
    await admin.click(field)


async def test_editing_the_text(database, world, clock, make_client):
    clock.set(START)
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    admin = make_client(world.admin)
    await _open_edit(admin, "Текст")
    assert "Напишите текст напоминания" in admin.last_text
    await admin.send("   ")
    assert admin.last_text.startswith("⚠️ Напишите текст напоминания.")
    await admin.send("Сдайте новый отчёт")
    card = admin.last_text
    assert card.startswith("✅ Изменения сохранены.")
    assert "Сдайте новый отчёт" in card
    await _run(database, clock, MSK_9)
    [reminder] = await reminders(database, world.secretary)
    assert "Сдайте новый отчёт" in reminder.payload["text"]


async def test_editing_the_schedule_replans_nobody_gets_the_old_time(
    database, world, clock, make_client
):
    clock.set(START)
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    await _run(database, clock, FAN_OUT_9)  # fanned out: each one's 09:00 is planned
    clock.set(datetime(2026, 11, 29, 21, 30, tzinfo=UTC))
    admin = make_client(world.admin)
    await _open_edit(admin, "Расписание")
    assert "Как часто?" in admin.last_text
    await admin.click("Каждую неделю")
    await admin.send("понедельник 25:00")
    assert admin.last_text.startswith("⚠️ Такого времени нет.")
    assert "В какой день недели и во сколько?" in admin.last_text
    await admin.send("каждый четверг")
    assert admin.last_text.startswith("⚠️ Не понял. Напишите день недели и время")
    await admin.send("понедельник в 10:00")
    assert "Когда: каждый понедельник в 10:00" in admin.last_text
    people = (world.secretary, world.far_secretary)
    await _run(database, clock, NSK_9)  # the old 09:00 in Novosibirsk
    assert await reminded(database, *people) == dict.fromkeys(people, 0)
    await _run(database, clock, NSK_10)
    assert await reminded(database, *people) == {world.secretary: 0, world.far_secretary: 1}
    await _run(database, clock, MSK_9)  # the old 09:00 in Moscow
    assert await reminded(database, *people) == {world.secretary: 0, world.far_secretary: 1}
    await _run(database, clock, MSK_10)
    assert await reminded(database, *people) == dict.fromkeys(people, 1)


async def test_editing_whom(database, world, clock, make_client):
    clock.set(START)
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    admin = make_client(world.admin)
    await _open_edit(admin, "Кому")
    await admin.click("Кураторам")
    await admin.click("Первичное отделение")
    await admin.click("Краснодарский край")
    await admin.click("Краснодарское")
    await admin.click("№20-03")
    assert "Кому: кураторам · Первичное отделение № 20-03, первый Береговой округ" in (
        admin.last_text
    )
    await _run(database, clock, MSK_9)
    assert await reminded(database, world.curator, world.foreign_curator, world.secretary) == {
        world.curator: 1,
        world.foreign_curator: 0,
        world.secretary: 0,
    }


async def test_cancel_in_the_middle_of_editing_changes_nothing(database, world, clock, make_client):
    clock.set(START)
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00")
    admin = make_client(world.admin)
    await _open_edit(admin, "Текст")
    await admin.send("/cancel")
    assert "Отменено" in admin.last_text
    await admin.send("Этого текста не будет")
    async with database.sessions() as session:
        [duty] = await records.list_duties(session, ADMIN)
    assert duty.text == "Сдайте отчёт о работе отделения"
    await _open_edit(admin, "Расписание")
    await admin.click("Отмена")  # the question's own button: back to the card
    assert admin.last_text.startswith("📌 <b>Задача № 1</b>")
    assert "Изменить" in admin.buttons()[0]


async def test_a_region_admin_manages_only_their_regions_duties(
    database, world, clock, make_client, recording
):
    clock.set(START)
    far = records.Target("secretary", "branch", world.far_branch)
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00", text="Всем")  # № 1
    await make_duty(database, clock.now(), "weekly", "понедельник в 09:00", "Их", far)  # № 2
    regional = make_client(world.region_admin)
    await regional.send("/duties")
    assert "№ 2" in regional.last_text
    assert "№ 1" not in regional.last_text

    for forged in ("dta:open:1", "dta:pause:1", "dta:delete_yes:1", "dta:edit_text:1"):
        await regional.click_data(forged)
        assert _answers(recording)[-1] == DENIED
    async with database.sessions() as session:
        [first] = [d for d in await records.list_duties(session, ADMIN) if d.id == 1]
    assert not first.paused
    assert first.deleted_at is None

    await regional.send("/duties")
    await regional.click("Новая задача")
    await regional.click("Секретарям")
    assert "Всем" not in regional.buttons()
    await regional.click_data("dtn:scope:all")  # forged: «Всем» was not offered
    assert _answers(recording)[-1] == DENIED
    await regional.click("Регион")
    assert [b for b in regional.buttons() if "область" in b or "край" in b] == [
        "Новосибирская область"
    ]
    krasnodar = world.branch  # a branch of Krasnodar's region: not hers
    await regional.click_data(f"pk:dut:reg:{krasnodar}:1")
    assert _answers(recording)[-1] == DENIED
    await regional.click("Новосибирская область")
    await regional.click("Каждую неделю")
    await regional.send("вторник в 09:00")
    await regional.send("Проверьте списки")
    assert "Кому: секретарям · Новосибирская область" in regional.last_text
    await regional.click("Сохранить")
    assert "Задача № 3 сохранена" in regional.last_text
    await regional.click_data("dta:open:3")
    assert "Задача № 3" in regional.last_text
