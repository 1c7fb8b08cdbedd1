"""The smallest walk: an admin named in ADMIN_IDS starts the bot."""

ADMIN = 9001
NAMES = {ADMIN: "Админ"}
ENV = {"ADMIN_IDS": str(ADMIN)}


async def walk(w):
    await w.say(ADMIN, "/start")
    await w.press(ADMIN, "Даю согласие")
    await w.say(ADMIN, "/help")
