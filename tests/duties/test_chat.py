"""Duties through the dispatcher: the recipients' «✅ Сделано» / «⏰ Напомнить завтра»
(a forged press says «Нет доступа»), and the admin's /duties: the list with completion,
a duty's card with who has not marked it, pause, the .xlsx, delete."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, SendDocument

from tests.duties.helpers import (
    duties_registry,
    make_duty,
    make_runner,
    occurrence_of,
    reminders_to,
    run_all,
)
from tests.duties.test_delivery import MSK_18, START

DENIED = "⛔ Нет доступа."


def _answers(recording) -> list[str | None]:
    return [a.text for a in recording.sent(AnswerCallbackQuery)]


async def _sent(database, world, clock) -> int:
    clock.set(START)
    await make_duty(database, clock.now(), "monthly", "последний день в 18:00")
    clock.set(MSK_18)
    await run_all(make_runner(database, duties_registry(), clock))
    [message] = await reminders_to(database, world.secretary)
    return occurrence_of(message)


async def test_done_and_remind_tomorrow_under_the_reminder(
    database, world, clock, make_client, recording
):
    occurrence = await _sent(database, world, clock)
    secretary = make_client(world.secretary)
    await secretary.click_data(f"dt:snooze:{occurrence}")
    assert _answers(recording)[-1] == "⏰ Напомню завтра, 01.12 в 18:00."
    await secretary.click_data(f"dt:done:{occurrence}")
    assert _answers(recording)[-1] == "✅ Отмечено: сделано. Спасибо!"
    await secretary.click_data(f"dt:done:{occurrence}")
    assert _answers(recording)[-1] == "Уже отмечено, что сделано."
    await make_client(world.curator).click_data(f"dt:done:{occurrence}")  # not hers
    assert _answers(recording)[-1] == DENIED


async def test_the_admin_sees_completion_pauses_exports_and_deletes(
    database, world, clock, make_client, recording
):
    occurrence = await _sent(database, world, clock)
    await make_client(world.secretary).click_data(f"dt:done:{occurrence}")
    admin = make_client(world.admin)
    await admin.send("/duties")
    assert "Последний раз (ноябрь 2026): сделали 1 из 3" in admin.last_text
    assert "каждый месяц, в последний день, в 18:00, секретарям" in admin.last_text
    await admin.click("Открыть № 1")
    card = admin.last_text
    assert "<b>ноябрь 2026</b>: сделали 1 из 3" in card
    assert "Не отметились — 2 человека: Семён, Софья" in card
    await admin.click("Пауза")
    assert "⏸ На паузе" in admin.last_text
    assert "Возобновить" in admin.buttons()[1]
    await admin.click("Скачать .xlsx")
    [document] = recording.sent(SendDocument)
    assert document.document.filename == "zadacha_1.xlsx"
    await admin.click("Удалить")
    assert "Удалить задачу № 1?" in admin.last_text
    await admin.click("Да, удалить")
    assert "Задач пока нет." in admin.last_text


async def test_duties_are_for_admins_only(database, world, clock, make_client, recording):
    await _sent(database, world, clock)
    secretary = make_client(world.secretary)
    await secretary.send("/duties")
    assert secretary.last_text == DENIED
    await secretary.click_data("dta:pause:1")
    assert _answers(recording)[-1] == DENIED


async def test_the_admin_creates_a_duty_step_by_step(database, world, clock, make_client):
    clock.set(START)
    admin = make_client(world.admin)
    await admin.send("/duties")
    await admin.click("Новая задача")
    assert "Кому напоминать?" in admin.last_text
    await admin.click("Секретарям")
    await admin.click("Первичное отделение")
    await admin.send("7")  # the picker wants a button
    assert admin.last_text.startswith("⚠️ Выберите вариант кнопкой")
    await admin.click("Новосибирская область")
    await admin.click("Новосибирское местное отделение")
    await admin.click("№7")
    await admin.click("Каждый месяц")
    await admin.send("31-го в 10:00")
    assert admin.last_text.startswith("⚠️ Не во всех месяцах есть 29-е")
    await admin.send("последний день в 18:00")
    assert "Напишите текст напоминания" in admin.last_text
    await admin.send("Сдайте протокол собрания")
    summary = admin.last_text
    assert "Кому: секретарям · Первичное отделение № 7, Заельцовский округ" in summary
    assert "Когда: каждый месяц, в последний день, в 18:00" in summary
    await admin.click("Сохранить")
    assert "Задача № 1 сохранена" in admin.last_text

    await run_all(make_runner(database, duties_registry(), clock))
    clock.set(MSK_18)
    await run_all(make_runner(database, duties_registry(), clock))
    assert len(await reminders_to(database, world.far_secretary)) == 1  # Novosibirsk, 7
    assert await reminders_to(database, world.secretary) == []


async def test_a_forged_or_stale_step_is_refused(database, world, clock, make_client, recording):
    admin = make_client(world.admin)
    await admin.click_data("dtn:save:")
    assert _answers(recording)[-1] == "Этот шаг уже пройден. Начните заново: /duties."
    await make_client(world.secretary).click_data("dtn:new:")
    assert _answers(recording)[-1] == DENIED


async def test_a_long_text_is_cut_at_a_word_in_the_list(database, world, clock, make_client):
    clock.set(START)
    long = "Пришлите в чат отделения фото с дежурства в общественной приёмной за эту неделю"
    await make_duty(database, clock.now(), "weekly", "пятница в 10:00", text=long)
    admin = make_client(world.admin)
    await admin.send("/duties")
    assert "Пришлите в чат отделения фото с дежурства в общественной…" in admin.last_text
    await admin.click("Открыть № 1")
    assert long in admin.last_text  # the card has it whole
