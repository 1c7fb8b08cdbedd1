"""The reminder itself after a press, as the recipient sees it: «✅ Сделано» and «⏰ Напомнить
завтра» edit it in place (its text kept, a line of what was recorded in the person's own
time, the buttons gone; the next reminder brings them again), and a second press, a
forged one or one for a deleted duty gets a clear answer, never a traceback."""

from __future__ import annotations

from datetime import timedelta

from aiogram.methods import AnswerCallbackQuery

from bot.services.duties import records
from tests.duties.helpers import ADMIN, deliver, duties_registry, make_duty, make_runner, run_all
from tests.duties.test_delivery import MSK_18, NSK_18, START

TEXT = "Сдайте отчёт о работе отделения"


async def _reminded(database, clock, bot, **kwargs):
    clock.set(START)
    duty = await make_duty(database, clock.now(), "monthly", "последний день в 18:00", **kwargs)
    clock.set(MSK_18)
    await run_all(make_runner(database, duties_registry(), clock))
    await deliver(bot, database, clock)
    return duty


def _reminder(client) -> dict:
    [message] = [m for m in client.messages() if "📌" in (m["text"] or "")]
    return message


async def test_done_edits_the_reminder_with_the_persons_time(
    database, world, clock, bot, make_client, recording
):
    await _reminded(database, clock, bot)
    secretary = make_client(world.secretary)
    assert secretary.buttons() == ["✅ Сделано", "⏰ Напомнить завтра"]
    clock.set(MSK_18 + timedelta(minutes=15))
    await secretary.click("Сделано")
    reminder = _reminder(secretary)
    assert TEXT in reminder["text"]
    assert reminder["text"].endswith("✅ Отмечено: 30.11 в 18:15")
    assert reminder["reply_markup"] is None
    # Novosibirsk's secretary sees her own time: 18:00 there is 22:15 at Moscow's 18:15.
    far = make_client(world.far_secretary)
    await far.click("Сделано")
    assert _reminder(far)["text"].endswith("✅ Отмечено: 30.11 в 22:15")


async def test_remind_tomorrow_edits_it_and_the_next_reminder_has_the_buttons(
    database, world, clock, bot, make_client, recording
):
    await _reminded(database, clock, bot)
    secretary = make_client(world.secretary)
    await secretary.click("Напомнить завтра")
    reminder = _reminder(secretary)
    assert TEXT in reminder["text"]
    assert reminder["text"].endswith("⏰ Напомню завтра в 18:00")
    assert reminder["reply_markup"] is None
    assert secretary.buttons() == []
    clock.set(MSK_18 + timedelta(days=1))
    await run_all(make_runner(database, duties_registry(), clock))
    await deliver(bot, database, clock)
    assert secretary.buttons() == ["✅ Сделано", "⏰ Напомнить завтра"]


async def test_a_second_press_on_the_old_message_says_how_it_stands(
    database, world, clock, bot, make_client, recording
):
    await _reminded(database, clock, bot)
    secretary = make_client(world.secretary)
    [old] = [m for m in secretary.messages() if "📌" in (m["text"] or "")]
    done, snooze = (b.callback_data for b in old["reply_markup"].inline_keyboard[0])
    await secretary.click("Сделано")
    await secretary.click_data(done, message_id=old["message_id"], text=old["text"])
    assert recording.sent(AnswerCallbackQuery)[-1].text == "Уже отмечено, что сделано."
    await secretary.click_data(snooze, message_id=old["message_id"], text=old["text"])
    answer = recording.sent(AnswerCallbackQuery)[-1]
    assert answer.text == "Вы уже отметили, что сделали."
    assert _reminder(secretary)["text"].endswith("✅ Отмечено: 30.11 в 18:00")
    assert _reminder(secretary)["reply_markup"] is None


async def test_forged_and_deleted_are_refused_in_words(
    database, world, clock, bot, make_client, recording
):
    duty = await _reminded(database, clock, bot)
    await make_client(world.secretary).click_data("dt:done:999")
    assert recording.sent(AnswerCallbackQuery)[-1].text == "⛔ Нет доступа."
    await make_client(world.secretary).click_data("dt:snooze:abc")
    assert recording.sent(AnswerCallbackQuery)[-1].text  # the stale-button answer
    async with database.transaction() as session:
        await records.delete_duty(session, duty.id, clock.now(), ADMIN)
    secretary = make_client(world.secretary)
    await secretary.click("Сделано")
    assert recording.sent(AnswerCallbackQuery)[-1].text == "Этой задачи уже нет."
    assert secretary.buttons() == []
    far = make_client(world.far_secretary)
    clock.set(NSK_18 + timedelta(hours=5))
    await far.click("Напомнить завтра")
    assert recording.sent(AnswerCallbackQuery)[-1].text == "Эта задача приостановлена или удалена."
