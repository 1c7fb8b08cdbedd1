"""The curator's digest on request: a member submits a mandate, the branch's curator asks
for `/digest` and gets the message, the chart and the workbook."""

from walk import demo_invites

CURATOR, MEMBER = 9501, 9502
NAMES = {CURATOR: "Куратор", MEMBER: "Участница"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))


async def walk(w) -> None:
    await w.say(CURATOR, f"/start {LINKS['curator']}")
    await w.press(CURATOR, "Даю согласие")
    await w.say(MEMBER, f"/start {LINKS['member']}")
    await w.press(MEMBER, "Даю согласие")
    await w.say(MEMBER, "/mandate")
    await w.press(MEMBER, "Благоустройство")
    await w.say(MEMBER, "Во дворе дома 5 по улице Ленина нет освещения, дети ходят в темноте.")
    await w.say(MEMBER, "ул. Ленина, 5")
    await w.press(MEMBER, "Без фото")
    await w.press(MEMBER, "Мой")
    await w.press(MEMBER, "Отправить")
    await w.say(CURATOR, "/digest")
    await w.settle(quiet=40.0, limit=120.0)  # built in the background: the files follow
