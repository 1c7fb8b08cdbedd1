"""A masterclass from the organiser's first question to a member's seat: a curator creates
one for their branches (with a few wrong answers), publishes and announces it; a member
opens it from the announcement, registers and gets the .ics; a second member takes the
last seat's place in the queue, and moves in when the first cancels."""

from walk import demo_invites

CURATOR, MEMBER, OTHER = 9201, 9202, 9203
NAMES = {CURATOR: "Куратор", MEMBER: "Участница", OTHER: "Участник"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))


async def walk(w) -> None:
    await w.say(CURATOR, f"/start {LINKS['curator']}")
    await w.press(CURATOR, "Даю согласие")
    for who in (MEMBER, OTHER):
        await w.say(who, f"/start {LINKS['member']}")
        await w.press(who, "Даю согласие")

    await w.say(CURATOR, "/new_masterclass")
    await w.say(CURATOR, "Мк")  # too short
    await w.say(CURATOR, "Как вести приём наказов")
    await w.say(CURATOR, "Разберём, как принять наказ, ответить и не потерять ни одного.")
    await w.say(CURATOR, "Михаил Есаян, секретарь ПО 20-03")
    await w.say(CURATOR, "01.12 18:30")  # yesterday
    await w.say(CURATOR, "25.12 18:30")
    await w.say(CURATOR, "полтора часа")
    await w.say(CURATOR, "90")
    await w.say(CURATOR, "ул. Красная, 1, зал 2")
    await w.say(CURATOR, "1")
    await w.press(CURATOR, "ПО 20-03 — первый Береговой округ")
    await w.press(CURATOR, "👥 Всем участникам")
    await w.press(CURATOR, "⏰ Как начало")
    await w.press(CURATOR, "✅ Опубликовать")
    await w.press(CURATOR, "📣 Разослать объявление")

    await w.press(MEMBER, "✍️ Записаться")
    await w.press(OTHER, "✍️ Записаться")
    await w.say(MEMBER, "/my_masterclasses")
    await w.press(MEMBER, "Как вести приём наказов")
    await w.press(MEMBER, "❌ Отменить запись")
    await w.say(OTHER, "/masterclasses")
    await w.say(CURATOR, "/cancel")
