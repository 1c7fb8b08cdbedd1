"""A mandate from start to rating: a secretary and a member join by invite links, the
member submits a mandate (with two mistakes), the secretary accepts it and asks a question,
the member answers by typing, the secretary marks it done, the member rates it."""

from walk import demo_invites

SECRETARY, MEMBER = 9101, 9102
NAMES = {SECRETARY: "Секретарь", MEMBER: "Участница"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "secretary", "member"))


async def walk(w) -> None:
    await w.say(SECRETARY, f"/start {LINKS['secretary']}")
    await w.press(SECRETARY, "Даю согласие")
    await w.say(MEMBER, f"/start {LINKS['member']}")
    await w.press(MEMBER, "Даю согласие")

    await w.say(MEMBER, "/mandate")
    await w.press(MEMBER, "ЖКХ")
    await w.say(MEMBER, "коротко")  # too short: refused
    await w.say(MEMBER, "Во дворе дома 15 по улице Ленина третий месяц не горит фонарь")
    await w.say(MEMBER, "ул. Ленина, 15")
    await w.say(MEMBER, "ещё фото?")  # text at the photo step: refused
    await w.press(MEMBER, "Без фото")
    await w.press(MEMBER, "Мой")
    await w.press(MEMBER, "Отправить")

    await w.press(SECRETARY, "Принять в работу")
    await w.press(SECRETARY, "Уточнить")
    await w.say(SECRETARY, "Какой подъезд?")
    await w.say(MEMBER, "Второй подъезд, у детской площадки")
    await w.press(SECRETARY, "Открыть")
    await w.press(SECRETARY, "Отметить выполненным")
    await w.say(SECRETARY, "Фонарь заменили 3 декабря")
    await w.press(MEMBER, "5")
    await w.say(SECRETARY, "/inbox")
