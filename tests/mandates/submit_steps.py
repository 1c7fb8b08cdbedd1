"""Steps of the submission flow that its tests share: walking a member to a step, and
what was saved or queued."""

from __future__ import annotations

from sqlalchemy import select

from storage.models import Mandate, OutboxMessage
from tests.harness.client import BotClient

MEMBER, OTHER_MEMBER, SECRETARY = 700, 701, 900


TEXT = "Во дворе дома 12 на улице Мира третий месяц не горят фонари, вечером темно"


OTHER_TEXT = "В школе номер 5 протекает крыша над спортзалом, занятия отменяют"


async def saved_mandates(database) -> list[Mandate]:
    async with database.sessions() as session:
        return list(await session.scalars(select(Mandate).order_by(Mandate.id)))


async def queued(database) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


async def fsm_state(dp, user: BotClient) -> tuple[str | None, dict]:
    context = dp.fsm.get_context(user.bot, user.user.id, user.user.id)
    return await context.get_state(), await context.get_data()


async def to_text(user: BotClient) -> None:
    await user.send("/mandate")
    await user.click("ЖКХ")


async def to_address(user: BotClient, text: str = TEXT) -> None:
    await to_text(user)
    await user.send(text)


async def to_photos(user: BotClient, text: str = TEXT) -> None:
    await to_address(user, text)
    await user.send("ул. Мира, 12")


async def to_behalf(user: BotClient, text: str = TEXT) -> None:
    await to_photos(user, text)
    await user.click("Без фото")


async def to_summary(user: BotClient, text: str = TEXT) -> None:
    await to_behalf(user, text)
    await user.click("Мой")


async def submit(user: BotClient, text: str = TEXT) -> None:
    await to_summary(user, text)
    await user.click("Отправить")
