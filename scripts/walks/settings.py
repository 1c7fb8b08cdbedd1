"""A secretary's /settings: a switch turned off and on, quiet hours refused then set."""

from walk import demo_invites

SECRETARY = 9601
NAMES = {SECRETARY: "Секретарь"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "secretary"))


async def walk(w) -> None:
    await w.say(SECRETARY, f"/start {LINKS['secretary']}")
    await w.press(SECRETARY, "Даю согласие")
    await w.say(SECRETARY, "/settings")
    await w.press(SECRETARY, "Утренн")
    await w.press(SECRETARY, "Тихие часы")
    await w.say(SECRETARY, "ночью")
    await w.say(SECRETARY, "22:00–08:00")
