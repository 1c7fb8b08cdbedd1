"""A branch without a secretary: its curator answers, the region's admin is told once."""

from walk import demo_invites

ADMIN, CURATOR, MEMBER = 9201, 9202, 9203
NAMES = {ADMIN: "Админ", CURATOR: "Куратор", MEMBER: "Участник"}
ENV = {"ADMIN_IDS": str(ADMIN)}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-05", "curator", "member"))


async def walk(w) -> None:
    await w.say(ADMIN, "/start")
    await w.press(ADMIN, "Даю согласие")
    await w.say(CURATOR, f"/start {LINKS['curator']}")
    await w.press(CURATOR, "Даю согласие")
    await w.say(MEMBER, f"/start {LINKS['member']}")
    await w.press(MEMBER, "Даю согласие")
    await w.say(MEMBER, "/mandate")
    await w.press(MEMBER, "Благоустройство")
    await w.say(MEMBER, "Сломана скамейка у подъезда дома 7, жильцам негде присесть")
    await w.say(MEMBER, "⏭ Без адреса")
    await w.press(MEMBER, "Без фото")
    await w.press(MEMBER, "Мой")
    await w.press(MEMBER, "Отправить")
    await w.press(CURATOR, "Принять в работу")
    await w.say(CURATOR, "/mandate")
