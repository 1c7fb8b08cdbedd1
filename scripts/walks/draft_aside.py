"""A draft interrupted by side questions: a member half-way through a mandate searches the
practices, then starts /checkin and cancels it; the draft comes back each time, and is
sent at the end from where it stopped."""

from walk import demo_invites, join

MEMBER = 9601
NAMES = {MEMBER: "Участница"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "member"))


async def walk(w) -> None:
    await join(w, MEMBER, LINKS["member"])
    await w.say(MEMBER, "/mandate")
    await w.press(MEMBER, "Благоустройство")
    await w.say(MEMBER, "На детской площадке у дома 7 сломаны качели, дети могут пораниться.")
    await w.say(MEMBER, "/practices")
    await w.press(MEMBER, "🔎 Поиск")
    await w.say(MEMBER, "площадка")  # nothing published: found none, the draft comes back
    await w.say(MEMBER, "/checkin")
    await w.say(MEMBER, "/cancel")  # only the code's question: the draft stays
    await w.say(MEMBER, "/mandate")
    await w.press(MEMBER, "Продолжить")
    await w.say(MEMBER, "ул. Садовая, 7")
    await w.press(MEMBER, "Без фото")
    await w.press(MEMBER, "Мой")
    await w.press(MEMBER, "Отправить")
