"""A branch without a secretary: its curator answers, the region's admin is told once."""

import asyncio
import re

ADMIN, CURATOR, MEMBER = 9201, 9202, 9203
NAMES = {ADMIN: "Админ", CURATOR: "Куратор", MEMBER: "Участник"}
ENV = {"ADMIN_IDS": str(ADMIN)}
LINKS: dict[str, str] = {}


async def _cli(env, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        ".venv/bin/pervichka", *args, env=env, stdout=asyncio.subprocess.PIPE
    )
    out, _ = await process.communicate()
    return out.decode()


async def prepare(env) -> None:
    await _cli(env, "migrate")
    await _cli(env, "seed-demo")
    for role in ("curator", "member"):
        out = await _cli(env, "invite", "--role", role, "--branch", "20-05")
        LINKS[role] = re.search(r"start=(\S+)", out).group(1)


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
