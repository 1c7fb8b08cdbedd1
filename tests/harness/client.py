"""A scripted Telegram user: sends messages and presses buttons through the dispatcher."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import (
    AnswerCallbackQuery,
    DeleteMessage,
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    Contact,
    Document,
    InlineKeyboardMarkup,
    InlineQuery,
    Location,
    Message,
    PhotoSize,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Sticker,
    Update,
    User,
)

from tests.harness.session import RecordingSession

_update_ids = itertools.count(1)
_message_ids = itertools.count(1)


class BotClient:
    def __init__(
        self, dp: Dispatcher, bot: Bot, user_id: int, first_name: str = "Иван", **feed_kwargs: Any
    ) -> None:
        self.dp, self.bot = dp, bot
        self.user = User(id=user_id, is_bot=False, first_name=first_name, language_code="ru")
        self.chat = Chat(id=user_id, type="private", first_name=first_name)
        self.feed_kwargs = feed_kwargs
        self._seen = 0
        self.last_update: Update | None = None

    @property
    def session(self) -> RecordingSession:
        return self.bot.session  # type: ignore[return-value]

    # --- acting -------------------------------------------------------------------------

    async def feed(self, update: Update) -> Any:
        self.last_update = update  # to deliver it again, as Telegram does until confirmed
        self._seen = len(self.session.requests)
        result = await self.dp.feed_update(self.bot, update, **self.feed_kwargs)
        if background := self.dp.workflow_data.get("background"):
            await background.drain()  # what the person would see a moment later
        return result

    async def send(self, text: str | None = None, **content: Any) -> Any:
        message = Message(
            message_id=next(_message_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
            **content,
        )
        return await self.feed(Update(update_id=next(_update_ids), message=message))

    async def send_sticker(self) -> Any:
        return await self.send(
            sticker=Sticker(
                file_id="sticker",
                file_unique_id="s",
                type="regular",
                width=1,
                height=1,
                is_animated=False,
                is_video=False,
            )
        )

    async def send_photo(self, file_id: str = "photo-1", media_group_id: str | None = None) -> Any:
        photo = [PhotoSize(file_id=file_id, file_unique_id=file_id, width=10, height=10)]
        return await self.send(photo=photo, media_group_id=media_group_id)

    async def send_document(self, file_id: str, file_name: str, content: bytes) -> Any:
        self.session.files[file_id] = content
        document = Document(file_id=file_id, file_unique_id=file_id, file_name=file_name)
        return await self.send(document=document)

    async def send_location(self, latitude: float, longitude: float) -> Any:
        return await self.send(location=Location(latitude=latitude, longitude=longitude))

    async def send_contact(self, phone: str, first_name: str = "Пётр") -> Any:
        return await self.send(contact=Contact(phone_number=phone, first_name=first_name))

    async def click(self, label: str) -> Any:
        """Press the inline button whose text contains `label` in the newest message with one."""
        for message in reversed(self.messages()):
            markup = message.get("reply_markup")
            if not isinstance(markup, InlineKeyboardMarkup):
                continue
            for row in markup.inline_keyboard:
                for button in row:
                    if label in button.text:
                        return await self.click_data(
                            button.callback_data or "",
                            message_id=message["message_id"],
                            text=message.get("text"),
                            reply_markup=markup,
                        )
            break
        raise AssertionError(f"no button {label!r} in the last keyboard: {self.buttons()}")

    async def click_data(
        self,
        data: str,
        message_id: int = 1,
        text: str | None = "…",
        reply_markup: InlineKeyboardMarkup | None = None,
    ) -> Any:
        """Press a button carrying `data`, which may be forged; `click` passes the message's
        keyboard too, as Telegram does."""
        message = Message(
            message_id=message_id,
            date=datetime.now(UTC),
            chat=self.chat,
            text=text,
            reply_markup=reply_markup,
        )
        query = CallbackQuery(
            id=str(next(_update_ids)),
            from_user=self.user,
            chat_instance="ci",
            data=data,
            message=message,
        )
        return await self.feed(Update(update_id=next(_update_ids), callback_query=query))

    async def click_gone(self, data: str, *, inline: bool = False) -> Any:
        """Press a button whose message the bot can no longer reach, parsed from the JSON
        Telegram sends: `date` 0 makes it an InaccessibleMessage; a button of an inline-mode
        message comes with no message at all, only its inline_message_id."""
        query: dict[str, Any] = {
            "id": str(next(_update_ids)),
            "from": self.user.model_dump(exclude_none=True),
            "chat_instance": "ci",
            "data": data,
        }
        if inline:
            query["inline_message_id"] = "inline-1"
        else:
            query["message"] = {
                "chat": self.chat.model_dump(exclude_none=True),
                "message_id": 1,
                "date": 0,
            }
        update = Update.model_validate(
            {"update_id": next(_update_ids), "callback_query": query}, context={"bot": self.bot}
        )
        return await self.feed(update)

    async def inline(self, query: str, offset: str = "") -> Any:
        """Type `@bot query` in some chat (inline mode): the bot answers with results."""
        inline_query = InlineQuery(
            id=str(next(_update_ids)), from_user=self.user, query=query, offset=offset
        )
        return await self.feed(Update(update_id=next(_update_ids), inline_query=inline_query))

    # --- what the user saw --------------------------------------------------------------

    def messages(self) -> list[dict[str, Any]]:
        """Messages in this chat as the user now sees them, edits and deletions applied, oldest
        first."""
        by_id: dict[int, dict[str, Any]] = {}
        session = self.session
        for request, result in zip(session.requests, session.results, strict=True):
            if getattr(request, "chat_id", None) != self.chat.id:
                continue
            if isinstance(request, SendMessage):
                by_id[result.message_id] = {
                    "message_id": result.message_id,
                    "text": request.text,
                    "reply_markup": request.reply_markup,
                }
            elif isinstance(request, EditMessageText) and request.message_id in by_id:
                by_id[request.message_id].update(
                    text=request.text, reply_markup=request.reply_markup
                )
            elif isinstance(request, EditMessageReplyMarkup) and request.message_id in by_id:
                by_id[request.message_id]["reply_markup"] = request.reply_markup
            elif isinstance(request, DeleteMessage):
                by_id.pop(request.message_id, None)
        return list(by_id.values())

    def replies(self) -> list[str]:
        """Texts the bot sent or edited in this chat in answer to the last action."""
        return [
            r.text
            for r in self.session.requests[self._seen :]
            if isinstance(r, SendMessage | EditMessageText) and r.chat_id == self.chat.id
        ]

    @property
    def last_text(self) -> str:
        texts = self.session.texts_to(self.chat.id)
        assert texts, "the bot has not written to this chat"
        return texts[-1]

    def buttons(self) -> list[str]:
        """Labels of the inline buttons in the newest message that has any."""
        for message in reversed(self.messages()):
            markup = message.get("reply_markup")
            if isinstance(markup, InlineKeyboardMarkup):
                return [b.text for row in markup.inline_keyboard for b in row]
        return []

    def keyboard(self) -> list[str]:
        """Labels of the newest reply keyboard (the menu); none once it was removed."""
        for request in reversed(self.session.requests):
            markup = getattr(request, "reply_markup", None)
            if getattr(request, "chat_id", None) != self.chat.id:
                continue
            if isinstance(markup, ReplyKeyboardRemove):
                return []
            if isinstance(markup, ReplyKeyboardMarkup):
                return [b.text for row in markup.keyboard for b in row]
        return []

    def answered_callbacks(self) -> int:
        return len(self.session.sent(AnswerCallbackQuery))
