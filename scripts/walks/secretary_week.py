"""A secretary's week, lived through with the bot's clock moved on (`CLOCK_START`) and the
quiet hours on: mandates come in on Monday in Krasnodar and Novosibirsk, the morning
message reaches each secretary at 09:00 of her own zone (with tomorrow's masterclass she
registered for), nobody answers, the escalation falls due at local midnight, is held
through the quiet hours and reaches the curator and the secretary the next morning."""

from datetime import UTC, datetime, timedelta

from walk import demo_invites, join, submit_mandate

SECRETARY, CURATOR, MEMBER = 9601, 9602, 9603
NSK_SECRETARY, NSK_MEMBER = 9611, 9613
NAMES = {
    SECRETARY: "Секретарь (Краснодар)",
    CURATOR: "Куратор (Краснодар)",
    MEMBER: "Участница (Краснодар)",
    NSK_SECRETARY: "Секретарь (Новосибирск)",
    NSK_MEMBER: "Участник (Новосибирск)",
}
ENV = {"QUIET_HOURS_START": "21:00", "QUIET_HOURS_END": "09:00", "TICK_SECONDS": "5"}
START = {"CLOCK_START": "2026-12-07T10:00:00+03:00"}  # a Monday, no holiday near
KRASNODAR: dict[str, str] = {}
NOVOSIBIRSK: dict[str, str] = {}


async def prepare(env) -> None:
    KRASNODAR.update(await demo_invites(env, "20-03", "secretary", "curator", "member"))
    NOVOSIBIRSK.update(await demo_invites(env, "12", "secretary", "member"))


def _shifted(moment: str, seconds: float) -> str:
    """A moment stored by SQLite (naive UTC) moved by `seconds`, as CLOCK_START wants it."""
    stored = datetime.fromisoformat(moment).replace(tzinfo=UTC)
    return (stored + timedelta(seconds=seconds)).isoformat()


async def walk(w) -> None:
    await join(w, SECRETARY, KRASNODAR["secretary"])
    await join(w, CURATOR, KRASNODAR["curator"])
    await join(w, MEMBER, KRASNODAR["member"])
    await join(w, NSK_SECRETARY, NOVOSIBIRSK["secretary"])
    await join(w, NSK_MEMBER, NOVOSIBIRSK["member"])

    # Tomorrow's masterclass, which the Krasnodar secretary registers for.
    await w.say(CURATOR, "/new_masterclass")
    await w.say(CURATOR, "Как вести приём наказов")
    await w.say(CURATOR, "Разберём, как принять наказ, ответить и не потерять ни одного.")
    await w.say(CURATOR, "Михаил Есаян")
    await w.say(CURATOR, "09.12 18:30")
    await w.say(CURATOR, "90")
    await w.say(CURATOR, "ул. Красная, 1, зал 2")
    await w.say(CURATOR, "30")
    await w.press(CURATOR, "ПО 20-03 — первый Береговой округ")
    await w.press(CURATOR, "👥 Всем участникам")
    await w.press(CURATOR, "⏰ Как начало")
    await w.press(CURATOR, "✅ Опубликовать")
    await w.press(CURATOR, "📣 Разослать объявление")
    await w.press(SECRETARY, "✍️ Записаться")

    await submit_mandate(
        w, MEMBER, "Во дворе дома 5 по улице Ленина нет освещения, темно.", "ул. Ленина, 5"
    )
    await submit_mandate(
        w, MEMBER, "На остановке Береговая сломана скамейка, ждать негде.", "ул. Береговая"
    )
    await submit_mandate(
        w, NSK_MEMBER, "Нет пандуса у поликлиники на Дуси Ковальчук, 10.", "Дуси Ковальчук, 10"
    )

    print("\n— Tuesday 8 December, 09:00 in Novosibirsk (05:00 in Krasnodar) —")
    await w.restart("2026-12-08T08:59:45+07:00", quiet=20)
    print("\n— Tuesday 8 December, 09:00 in Krasnodar —")
    await w.restart("2026-12-08T08:59:45+03:00", quiet=20)
    await w.press(SECRETARY, "📥 Открыть входящие")

    # Nobody answers. The escalations are due at local midnight of the second working day
    # after each mandate's last day to answer; wake the bot just before the later one.
    due = w.query("SELECT due_at FROM due_work WHERE kind = 'mandate.escalate' ORDER BY due_at")
    print(f"\n(escalations planned at, UTC: {', '.join(row[0] for row in due)})")
    await w.restart(_shifted(due[-1][0], -10), quiet=25)
    print("\n— the next morning, 09:00 in Novosibirsk —")
    await w.restart("2026-12-15T08:59:45+07:00", quiet=20)
    print("\n— 09:00 in Krasnodar —")
    await w.restart("2026-12-15T08:59:45+03:00", quiet=20)
    await w.press(CURATOR, "Открыть")
