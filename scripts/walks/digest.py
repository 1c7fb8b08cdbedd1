"""The curator's digest on request: a member submits a mandate, the branch's curator asks
for `/digest` and gets the message, the chart and the workbook."""

from walk import demo_invites, join, submit_mandate

CURATOR, MEMBER = 9501, 9502
NAMES = {CURATOR: "Куратор", MEMBER: "Участница"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))


async def walk(w) -> None:
    await join(w, CURATOR, LINKS["curator"])
    await join(w, MEMBER, LINKS["member"])
    text = "Во дворе дома 5 по улице Ленина нет освещения, дети ходят в темноте."
    await submit_mandate(w, MEMBER, text, "ул. Ленина, 5")
    await w.say(CURATOR, "/digest")
    await w.settle(quiet=40.0, limit=120.0)  # built in the background: the files follow
