"""A masterclass on its day, in real time: one starting in two minutes and lasting five.
The member registers from the announcement; at the start the organiser gets the code;
the member checks in (a wrong code first); at the end the member rates it and comments."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from walk import demo_invites

CURATOR, MEMBER = 9301, 9302
NAMES = {CURATOR: "Куратор", MEMBER: "Участница"}
LINKS: dict[str, str] = {}
ENV = {"TICK_SECONDS": "5"}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))


async def wait_for(w, chat_id: int, words: str, limit: float = 600) -> None:
    """Until the bot sends `chat_id` a message containing `words`."""
    start = len(w.api.calls)
    await w.api.wait_for(
        lambda call: call.chat_id == chat_id and words in (call.params.get("text") or ""),
        timeout=limit,
        since=start,
    )
    await w.settle()


async def walk(w) -> None:
    await w.say(CURATOR, f"/start {LINKS['curator']}")
    await w.press(CURATOR, "Даю согласие")
    await w.say(MEMBER, f"/start {LINKS['member']}")
    await w.press(MEMBER, "Даю согласие")

    start = datetime.now(ZoneInfo("Europe/Moscow")) + timedelta(minutes=2, seconds=30)
    await w.say(CURATOR, "/new_masterclass")
    for answer in (
        "Приём наказов: практикум",
        "Короткий практикум: как принять наказ и ответить на него в срок.",
        "Михаил Есаян, секретарь ПО 20-03",
        start.strftime("сегодня %H:%M"),
        "5 мин",
        "https://meet.example.org/praktikum",
    ):
        await w.say(CURATOR, answer)
    await w.press(CURATOR, "♾ Без ограничений")
    await w.press(CURATOR, "ПО 20-03 — первый Береговой округ")
    await w.press(CURATOR, "👥 Всем участникам")
    await w.press(CURATOR, "⏰ Как начало")
    await w.press(CURATOR, "✅ Опубликовать")
    await w.press(CURATOR, "📣 Разослать объявление")
    await w.press(MEMBER, "✍️ Записаться")

    await wait_for(w, CURATOR, "код для отметки")
    code = next(
        call.params["text"].split("<b>")[1].split("</b>")[0]
        for call in reversed(w.api.calls)
        if call.chat_id == CURATOR and "код для отметки" in (call.params.get("text") or "")
    )
    await w.say(MEMBER, "/checkin")
    await w.say(MEMBER, "0000" if code != "0000" else "1111")
    await w.say(MEMBER, code)
    await wait_for(w, MEMBER, "Оцените")
    await w.press(MEMBER, "5")
    await w.say(MEMBER, "Очень полезно, спасибо!")
