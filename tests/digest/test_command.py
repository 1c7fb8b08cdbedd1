"""/digest through the dispatcher: built in the background and sent as three messages;
a curator gets their branches only, an admin their scope, a member no digest."""

from __future__ import annotations

from aiogram.methods import SendDocument, SendMessage, SendPhoto
from aiogram.types import BufferedInputFile

from tests.digest.helpers import NOW

DENIED = "⛔ Нет доступа."


def sent_to(recording, chat_id: int, method) -> list:
    return [r for r in recording.sent(method) if r.chat_id == chat_id]


async def test_a_curator_gets_the_digest_of_their_branches_now(
    dp, make_client, recording, clock, week
):
    clock.set(NOW)
    w = week.world
    curator = make_client(w.curator)
    await curator.send("/digest")
    await dp["background"].drain()
    assert any(m["text"].startswith("⏳ Собираю сводку") for m in curator.messages())
    [text] = [m.text for m in sent_to(recording, w.curator, SendMessage) if "Сводка" in m.text]
    assert "2 отделения под вашим кураторством." in text
    assert "• M4 — 6 рабочих дней · 20-03" in text
    assert "O1" not in text
    [photo] = sent_to(recording, w.curator, SendPhoto)
    assert isinstance(photo.photo, BufferedInputFile)
    [document] = sent_to(recording, w.curator, SendDocument)
    assert document.document.filename == "svodka_2026-11-23.xlsx"


async def test_an_admin_gets_the_digest_of_every_branch(dp, make_client, recording, clock, week):
    clock.set(NOW)
    admin = make_client(week.world.admin)
    await admin.send("/digest")
    await dp["background"].drain()
    [text] = [
        m.text for m in sent_to(recording, week.world.admin, SendMessage) if "Сводка" in m.text
    ]
    assert "3 отделения в вашей зоне." in text
    assert "Просрочено: 3 наказа" in text


async def test_a_member_gets_no_digest(dp, make_client, recording, clock, week):
    member = make_client(week.world.author)
    await member.send("/digest")
    assert member.last_text == DENIED
    await dp["background"].drain()
    assert sent_to(recording, week.world.author, SendPhoto) == []
