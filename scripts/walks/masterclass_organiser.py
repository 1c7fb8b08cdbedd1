"""The organiser's side after publishing: a curator creates a masterclass with two seats,
two members register and a third waits; the curator opens «Мои мастер-классы», changes the
time (a wrong date first) and the seats (fewer than taken first, then no limit: the one
waiting moves in), writes to everyone registered, sends the slides, and cancels it with a
reason — reading every message each person gets."""

from walk import demo_invites

CURATOR, MEMBER, OTHER, THIRD = 9301, 9302, 9303, 9304
NAMES = {CURATOR: "Куратор", MEMBER: "Участница", OTHER: "Участник", THIRD: "Третий"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))


async def walk(w) -> None:
    await w.say(CURATOR, f"/start {LINKS['curator']}")
    await w.press(CURATOR, "Даю согласие")
    for who in (MEMBER, OTHER, THIRD):
        await w.say(who, f"/start {LINKS['member']}")
        await w.press(who, "Даю согласие")

    await w.say(CURATOR, "/new_masterclass")
    for answer in (
        "Как вести приём наказов",
        "Разберём, как принять наказ, ответить и не потерять ни одного.",
        "Михаил Есаян, секретарь ПО 20-03",
        "25.12 18:30",
        "90",
        "ул. Красная, 1, зал 2",
        "2",
    ):
        await w.say(CURATOR, answer)
    await w.press(CURATOR, "ПО 20-03 — первый Береговой округ")
    await w.press(CURATOR, "👥 Всем участникам")
    await w.press(CURATOR, "⏰ Как начало")
    await w.press(CURATOR, "✅ Опубликовать")
    await w.press(CURATOR, "📣 Разослать объявление")
    for who in (MEMBER, OTHER, THIRD):
        await w.press(who, "✍️ Записаться")

    await w.say(CURATOR, "/my_organised")
    await w.press(CURATOR, "1. Как вести приём наказов")
    await w.press(CURATOR, "✏️ Изменить")
    await w.press(CURATOR, "Дата и время")
    await w.say(CURATOR, "32.12 18:30")
    await w.say(CURATOR, "26.12 18:00")
    await w.press(CURATOR, "✏️ Изменить")
    await w.press(CURATOR, "Число мест")
    await w.say(CURATOR, "1")
    await w.press(CURATOR, "♾ Без ограничений")
    await w.press(CURATOR, "✉️ Написать записавшимся")
    await w.say(CURATOR, "Возьмите паспорт: на входе проверяют списки.")
    await w.press(CURATOR, "📤 Отправить")
    await w.press(CURATOR, "📎 Материалы")
    await w.say(CURATOR, "https://disk.example.org/slides Слайды заранее")
    await w.press(CURATOR, "📤 Отправить")
    await w.press(CURATOR, "❌ Отменить")
    await w.say(CURATOR, "Ведущий заболел, перенесём на январь")
    await w.press(CURATOR, "❌ Да, отменить")
