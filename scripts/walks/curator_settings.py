"""A curator moves the weekly digest to Friday evening in /settings and lives through it
with the bot's clock moved on: the digest comes on Friday at 18:30, and nothing on the
Monday morning it used to come."""

from walk import demo_invites, join, submit_mandate

CURATOR, MEMBER = 9701, 9702
NAMES = {CURATOR: "Куратор", MEMBER: "Участница"}
ENV = {"QUIET_HOURS_START": "21:00", "QUIET_HOURS_END": "09:00", "TICK_SECONDS": "5"}
START = {"CLOCK_START": "2026-12-09T12:00:00+03:00"}  # a Wednesday
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))


async def walk(w) -> None:
    await join(w, CURATOR, LINKS["curator"])
    await join(w, MEMBER, LINKS["member"])
    text = "Во дворе дома 5 по улице Ленина нет освещения, дети ходят в темноте."
    await submit_mandate(w, MEMBER, text, "ул. Ленина, 5")

    await w.say(CURATOR, "/settings")
    await w.press(CURATOR, "День и время сводки")
    await w.press(CURATOR, "Пт")
    await w.say(CURATOR, "в полседьмого")  # not a time: asked again
    await w.say(CURATOR, "18:30")

    planned = w.query("SELECT due_at, status FROM due_work WHERE kind = 'digest.weekly'")
    print(f"\n(digests planned, UTC: {planned})")
    print("\n— Friday 11 December, 18:30 in Krasnodar —")
    await w.restart("2026-12-11T18:29:45+03:00", quiet=60)
    print("\n— Monday 14 December, 09:00: the old day, nothing is due —")
    await w.restart("2026-12-14T08:59:45+03:00", quiet=20)
    await w.say(CURATOR, "/settings")
