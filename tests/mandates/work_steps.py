"""What the staff's flow tests share: the notices queued for a chat, the buttons shown
and pressing them."""

from __future__ import annotations

from aiogram.methods import AnswerCallbackQuery, EditMessageText, SendMessage
from sqlalchemy import select

from bot.services.mandates import decisions
from storage.models import OutboxMessage
from tests.mandates.helpers import World, act, submit

# What a notice says under its first line about the helpers' standard mandate.
ABOUT = "\n<i>ЖКХ: «Во дворе дома 15 по улице Ленина не работает уличное…»</i>"

VOTER_TEXT = "Во дворе <b>дома 15</b> не работает освещение & темно по вечерам"


async def notices_to(database, chat_id: int) -> list[OutboxMessage]:
    async with database.sessions() as session:
        return list(
            await session.scalars(
                select(OutboxMessage)
                .where(OutboxMessage.chat_id == chat_id)
                .order_by(OutboxMessage.id)
            )
        )


def notice_button(notice: OutboxMessage, label: str) -> str:
    """The callback data of the button labelled `label` in a queued notice."""
    for row in notice.payload.get("buttons", []):
        for button in row:
            if label in button["text"]:
                return button["callback_data"]
    raise AssertionError(f"no button {label!r} in {notice.payload}")


def _drawn(client) -> tuple[list, int, str | None]:
    """The inline buttons the bot last sent or edited into this chat, with that message's
    id and text, an edit of a pressed notice included (which `client.buttons()` cannot
    follow: the notice was not sent here)."""
    session = client.session
    for request, result in reversed(list(zip(session.requests, session.results, strict=True))):
        if isinstance(request, SendMessage | EditMessageText) and request.chat_id == client.chat.id:
            markup = request.reply_markup
            buttons = [b for row in markup.inline_keyboard for b in row] if markup else []
            message_id = (
                request.message_id if isinstance(request, EditMessageText) else result.message_id
            )
            return buttons, message_id, request.text
    return [], 1, None


def shown(client) -> list:
    return _drawn(client)[0]


def shown_buttons(client) -> list[str]:
    return [b.text for b in shown(client)]


async def press(client, label: str) -> None:
    """Press a button of the newest card, wherever it was drawn, in the message that shows
    it."""
    buttons, message_id, text = _drawn(client)
    for button in buttons:
        if label in button.text:
            await client.click_data(button.callback_data, message_id=message_id, text=text)
            return
    raise AssertionError(f"no button {label!r} in {shown_buttons(client)}")


def last_alert(client) -> AnswerCallbackQuery:
    return client.session.sent(AnswerCallbackQuery)[-1]


async def accepted(database, clock, w: World, **fields) -> int:
    m = await submit(database, w.author, clock.now(), **fields)
    await act(database, decisions.accept_mandate, w.secretary, m.id, clock.now())
    return m.id
