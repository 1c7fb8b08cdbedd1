"""A best practice from the first question to the catalogue: a member shares one (a few
wrong answers, an album of two photos), the branch's curator returns it with a comment,
the member corrects the result and sends it again, the curator publishes it; then another
member finds it by a word in another form, opens it, likes it and takes it up, and goes
back from the card to the list it came from."""

from walk import demo_invites

AUTHOR, CURATOR, READER = 9401, 9402, 9403
NAMES = {AUTHOR: "Автор", CURATOR: "Куратор", READER: "Читатель"}
LINKS: dict[str, str] = {}


def photo(file_id: str, album: str) -> dict:
    size = {"file_id": file_id, "file_unique_id": file_id, "width": 800, "height": 600}
    return {"photo": [size], "media_group_id": album}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "curator", "member"))
    LINKS.update({"reader": (await demo_invites(env, "20-04", "member"))["member"]})


async def walk(w) -> None:
    await w.say(CURATOR, f"/start {LINKS['curator']}")
    await w.press(CURATOR, "Даю согласие")
    await w.say(AUTHOR, f"/start {LINKS['member']}")
    await w.press(AUTHOR, "Даю согласие")
    await w.say(READER, f"/start {LINKS['reader']}")
    await w.press(READER, "Даю согласие")

    await w.say(AUTHOR, "/share_practice")
    await w.say(AUTHOR, "ТОС")  # too short
    await w.say(AUTHOR, "ТОС на базе первички: как выиграть грант")
    await w.press(AUTHOR, "ТОС на базе первички")
    await w.say(AUTHOR, "Собрали жителей двух улиц, зарегистрировали ТОС, подали заявку на грант.")
    await w.say(AUTHOR, "Выиграли грант")
    await w.send(AUTHOR, "a photo of an album", **photo("ph-1", "alb-1"))
    await w.send(AUTHOR, "the album's second photo", **photo("ph-2", "alb-1"))
    await w.press(AUTHOR, "✅ Готово")
    await w.press(AUTHOR, "🤝 Да, готов(а)")
    await w.press(AUTHOR, "📤 Отправить на модерацию")

    await w.press(CURATOR, "↩️ Вернуть на доработку")
    await w.say(CURATOR, "Добавьте цифры: какой грант, сколько жителей")
    await w.press(AUTHOR, "✏️ Исправить и отправить снова")
    await w.press(AUTHOR, "✏️ Изменить …")
    await w.press(AUTHOR, "Результат")
    await w.say(AUTHOR, "Выиграли президентский грант 500 000 ₽, в ТОС вступили 40 жителей")
    await w.press(AUTHOR, "📤 Отправить на модерацию")
    await w.press(CURATOR, "✅ Опубликовать")

    await w.say(READER, "/practices грантов")
    await w.press(READER, "ТОС на базе первички")
    await w.press(READER, "👍 Полезно")
    await w.press(READER, "🛠 Берём в работу")
    await w.press(READER, "✉️ Связаться с автором")
    await w.say(READER, "Расскажите, как готовили заявку на грант?")
    await w.press(READER, "📷 Фото")
    await w.say(READER, "💡 Практики")
    await w.press(READER, "⭐ Полезные")
    await w.press(READER, "1. ТОС на базе первички")
    await w.press(READER, "⬅️ К списку")  # back to «Полезные», not «Новые»
    await w.say(READER, "/moderation")
