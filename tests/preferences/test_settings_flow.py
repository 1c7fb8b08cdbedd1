"""/settings through the dispatcher: one message with a switch per kind the person's roles
get, each toggled in place; quiet hours and the digest's time typed, refused input asked
again with «⚠️», one copy of the question in the chat; «Не присылать»; /cancel leaves;
a forged switch of a kind not the person's is refused."""

from __future__ import annotations

from datetime import UTC

from aiogram.methods import AnswerCallbackQuery
from sqlalchemy import select

from bot.services import preferences
from bot.services.digest import weekly
from bot.services.preferences import Kind
from handlers.callbacks import SettingsCb
from storage.models import DueWork
from tests.harness.client import BotClient

MORNING = "Утреннее сообщение"
ESCALATION = "Наказы без ответа"
MASTERCLASS = "Мастер-классы"
DIGEST = "Сводка за неделю"


async def settings_of(database, user_id: int) -> preferences.Settings:
    async with database.reading() as session:
        return await preferences.get(session, user_id)


async def state_of(user: BotClient) -> str | None:
    dp = user.dp
    return await dp.fsm.get_context(user.bot, user.user.id, user.user.id).get_state()


def answered(user: BotClient) -> int:
    return len(user.session.sent(AnswerCallbackQuery))


def switches(user: BotClient) -> list[str]:
    return [b for b in user.buttons() if b.startswith(("✅", "⬜"))]


async def test_a_secretary_switches_each_of_her_kinds_in_place(database, world, make_client):
    secretary = make_client(world.secretary)
    await secretary.send("/settings")
    assert "Настройки" in secretary.last_text
    assert "Тихие часы: 21:00–09:00 (как у всех)" in secretary.last_text
    assert switches(secretary) == [f"✅ {MORNING} о наказах", f"✅ {ESCALATION} после срока",
                                   f"✅ {MASTERCLASS}: за день и за час"]  # fmt: skip
    shown = len(secretary.messages())
    for label, kind in ((MORNING, Kind.MORNING), (ESCALATION, Kind.ESCALATION),
                        (MASTERCLASS, Kind.MASTERCLASS)):  # fmt: skip
        before = answered(secretary)
        await secretary.click(label)
        assert answered(secretary) == before + 1
        assert not (await settings_of(database, world.secretary)).wants(kind)
        assert any(b.startswith(f"⬜ {label}") for b in switches(secretary))
        assert len(secretary.messages()) == shown  # edited in place
        await secretary.click(label)
        assert (await settings_of(database, world.secretary)).wants(kind)
        assert any(b.startswith(f"✅ {label}") for b in switches(secretary))


async def test_a_curator_switches_the_digest_and_has_no_morning(database, world, make_client):
    curator = make_client(world.curator)
    await curator.send("/settings")
    labels = switches(curator)
    assert not any(MORNING in b for b in labels)
    assert f"✅ {DIGEST}" in labels
    assert "Сводка за неделю: по понедельникам в 09:00" in curator.last_text
    await curator.click(f"✅ {DIGEST}")
    assert not (await settings_of(database, world.curator)).digest
    assert "Сводка за неделю: не присылать" in curator.last_text
    await curator.click(f"⬜ {DIGEST}")
    assert (await settings_of(database, world.curator)).digest


async def test_a_member_gets_only_masterclass_reminders(world, make_client):
    member = make_client(world.author)
    await member.send("/settings")
    assert switches(member) == [f"✅ {MASTERCLASS}: за день и за час"]
    assert "📊 День и время сводки" not in member.buttons()


async def test_a_forged_switch_of_another_roles_kind_is_refused(database, world, make_client):
    member = make_client(world.author)
    await member.click_data(SettingsCb(action="toggle", kind="digest").pack())
    assert "устарели" in (member.session.sent(AnswerCallbackQuery)[-1].text or "")
    assert (await settings_of(database, world.author)).digest
    await member.click_data(SettingsCb(action="pick", day=4).pack())
    assert await state_of(member) is None


async def test_quiet_hours_typed_refused_then_taken(database, world, make_client):
    secretary = make_client(world.secretary)
    await secretary.send("/settings")
    await secretary.click("Тихие часы")
    assert "22:00–08:00" in secretary.last_text  # the example
    assert await state_of(secretary) == "SettingsForm:quiet"
    await secretary.send("ночью")
    assert secretary.last_text.startswith("⚠️ Не понял время")
    questions = [m for m in secretary.messages() if "Напишите, с какого" in (m["text"] or "")]
    assert len(questions) == 1  # the old copy removed
    await secretary.send("25:00–08:00")
    assert secretary.last_text.startswith("⚠️")
    await secretary.send("22:30–07:00")
    assert secretary.last_text.startswith("✅ Тихие часы: 22:30–07:00.")
    assert "Тихие часы: 22:30–07:00. В это время" in secretary.last_text
    assert await state_of(secretary) is None
    quiet = (await settings_of(database, world.secretary)).quiet
    assert quiet is not None
    assert (quiet.start.hour, quiet.start.minute, quiet.end.hour) == (22, 30, 7)

    await secretary.click("Тихие часы")
    await secretary.send("нет")
    assert "Тихих часов нет" in secretary.last_text
    quiet = (await settings_of(database, world.secretary)).quiet
    assert quiet is not None
    assert quiet.start == quiet.end  # none at all


async def test_a_sticker_where_a_time_is_asked_asks_again(world, make_client):
    secretary = make_client(world.secretary)
    await secretary.send("/settings")
    await secretary.click("Тихие часы")
    await secretary.send(sticker={"file_id": "s", "file_unique_id": "s", "type": "regular",
                                  "width": 1, "height": 1, "is_animated": False,
                                  "is_video": False})  # fmt: skip
    assert secretary.last_text.startswith("⚠️ Нужен текст.")
    assert await state_of(secretary) == "SettingsForm:quiet"


async def test_cancel_leaves_the_question(database, world, make_client):
    secretary = make_client(world.secretary)
    await secretary.send("/settings")
    await secretary.click("Тихие часы")
    await secretary.send("/cancel")
    assert await state_of(secretary) is None
    await secretary.send("22:00–08:00")
    assert (await settings_of(database, world.secretary)).quiet is None


async def test_the_digest_moved_to_friday_evening_then_off(database, world, make_client, clock):
    curator = make_client(world.curator)
    await curator.send("/settings")
    await curator.click("День и время сводки")
    assert "В какой день" in curator.last_text
    assert curator.buttons()[:7] == ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]
    await curator.click("Пт")
    assert "по пятницам. В какое время" in curator.last_text
    assert await state_of(curator) == "SettingsForm:digest_time"
    await curator.send("в шесть")
    assert curator.last_text.startswith("⚠️ Не понял время")
    await curator.send("18:00")
    assert curator.last_text.startswith("✅ Сводка будет приходить по пятницам в 18:00")
    assert "Сводка за неделю: по пятницам в 18:00" in curator.last_text
    assert await state_of(curator) is None
    async with database.reading() as session:
        pending = list(
            await session.scalars(
                select(DueWork.due_at).where(
                    DueWork.kind == weekly.KIND,
                    DueWork.recipient_id == world.curator,
                    DueWork.status == "pending",
                )
            )
        )
    [due] = pending
    assert due.astimezone(UTC).weekday() == 4
    assert due.astimezone(UTC).hour == 15  # 18:00 in Moscow
    assert due > clock.now()

    await curator.click("День и время сводки")
    await curator.click("Не присылать")
    assert curator.last_text.startswith("✅ Сводку больше не присылаем")
    assert not (await settings_of(database, world.curator)).digest
    assert "Сводка за неделю: не присылать" in curator.last_text
