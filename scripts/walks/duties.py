"""A recurring duty from the admin's first question to the completion list, lived through
with the bot's clock moved on: a weekly reminder for every secretary, at 10:00 in
Novosibirsk and then in Krasnodar; one marks it done, the other asks to be reminded
tomorrow and marks it then; the admin sees «2 из 2», changes the time and gets the .xlsx."""

from walk import demo_invites, join

ADMIN, SECRETARY, NSK_SECRETARY = 9801, 9802, 9803
NAMES = {
    ADMIN: "Админ",
    SECRETARY: "Секретарь (Краснодар)",
    NSK_SECRETARY: "Секретарь (Новосибирск)",
}
ENV = {
    "ADMIN_IDS": str(ADMIN),
    "QUIET_HOURS_START": "21:00",
    "QUIET_HOURS_END": "09:00",
    "TICK_SECONDS": "5",
}
START = {"CLOCK_START": "2026-12-09T12:00:00+03:00"}  # a Wednesday
KRASNODAR: dict[str, str] = {}
NOVOSIBIRSK: dict[str, str] = {}


async def prepare(env) -> None:
    KRASNODAR.update(await demo_invites(env, "20-03", "secretary"))
    NOVOSIBIRSK.update(await demo_invites(env, "12", "secretary"))


async def walk(w) -> None:
    await w.say(ADMIN, "/start")
    await w.press(ADMIN, "Даю согласие")
    await join(w, SECRETARY, KRASNODAR["secretary"])
    await join(w, NSK_SECRETARY, NOVOSIBIRSK["secretary"])

    await w.say(ADMIN, "/duties")
    await w.press(ADMIN, "Новая задача")
    await w.press(ADMIN, "Секретарям")
    await w.press(ADMIN, "Всем")
    await w.press(ADMIN, "Каждую неделю")
    await w.say(ADMIN, "по пятницам")  # no time: refused
    await w.say(ADMIN, "пятница в 10:00")
    await w.say(ADMIN, "Пришлите в чат отделения фото с дежурства в общественной приёмной.")
    await w.press(ADMIN, "Сохранить")

    print("\n— Friday 11 December, 10:00 in Novosibirsk —")
    await w.restart("2026-12-11T09:59:50+07:00", quiet=30)
    await w.press(NSK_SECRETARY, "Сделано")
    print("\n— 10:00 in Krasnodar —")
    await w.restart("2026-12-11T09:59:50+03:00", quiet=30)
    await w.press(SECRETARY, "Напомнить завтра")
    print("\n— Saturday 12 December, 10:00 in Krasnodar —")
    await w.restart("2026-12-12T09:59:50+03:00", quiet=30)
    await w.press(SECRETARY, "Сделано")

    await w.say(ADMIN, "/duties")
    await w.press(ADMIN, "Открыть № 1")
    await w.press(ADMIN, "Изменить")
    await w.press(ADMIN, "Расписание")
    await w.press(ADMIN, "Каждую неделю")
    await w.say(ADMIN, "пятница в 11:00")
    await w.press(ADMIN, "Скачать .xlsx")
