"""Scripted members for the mandate benchmarks: they read what the bot showed and press
buttons by their labels, as a person would."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import random
import time
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot, Dispatcher
from aiogram.methods import (
    EditMessageReplyMarkup,
    EditMessageText,
    SendMessage,
    TelegramMethod,
)
from aiogram.types import (
    CallbackQuery,
    Chat,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from sqlalchemy import insert

from bot.texts import t
from storage.models import Consent
from storage.models import User as UserRow
from tests.harness.session import RecordingSession

TIMEZONE = "Europe/Moscow"


# Words with distinct stems (as `similarity.find_similar` compares texts): seven drawn at
# random seldom share four stems with another text, so the «похожие наказы» offer comes
# almost only for the planned repeats (3 random texts of 958 brought it in a full run).
_WORDS = """
фонари подъезд крыша лифт асфальт ямы тротуар скамейки детская площадка мусор
контейнеры остановка автобус маршрутка светофор переход шлагбаум парковка газон
деревья кусты ветки канализация трубы отопление батареи горячая холодная вода напор
счётчики электричество проводка щиток подвал чердак крыльцо перила пандус коляски
инвалиды пенсионеры школа поликлиника больница аптека врачи очередь запись педиатр
кружок библиотека спортзал стадион каток горка качели песочница забор ограждение
ворота калитка собаки бездомные кошки крысы тараканы шум соседи ремонт стройка кран
пыль грязь лужи слякоть снег сосульки наледь гололёд уборка дворник управляющая
компания тарифы квитанции долги почта отделение банкомат магазин рынок ларёк вывеска
реклама граффити окна двери домофон замок камеры видеонаблюдение освещение тьма овраг
ручей пруд свалка дым запах выбросы завод котельная трамвай рельсы мост дамба
"""
WORDS = _WORDS.split()


def random_text(rng: random.Random) -> str:
    return f"{' '.join(rng.sample(WORDS, 7)).capitalize()}, дом {rng.randint(1, 300)}"


# --- a recording session that a scripted member can read cheaply ------------------------------


class ChatRecorder(RecordingSession):
    """`RecordingSession` that also keeps, per chat, the newest inline keyboard shown and the
    message carrying it, so pressing a button costs a dict lookup instead of a scan of every
    request recorded so far (`BotClient` scans, which is fine for a test, not for 10,000)."""

    def __init__(self) -> None:
        super().__init__()
        self.keyboards: dict[int, tuple[int, InlineKeyboardMarkup]] = {}
        self.last_text: dict[int, str | None] = {}

    async def make_request(
        self, bot: Bot, method: TelegramMethod[Any], timeout: int | None = None
    ) -> Any:
        result = await super().make_request(bot, method, timeout)
        if isinstance(method, SendMessage | EditMessageText | EditMessageReplyMarkup):
            chat_id = int(method.chat_id or 0)
            markup = method.reply_markup
            if not isinstance(method, EditMessageReplyMarkup):
                self.last_text[chat_id] = method.text
            if isinstance(markup, InlineKeyboardMarkup) and markup.inline_keyboard:
                self.keyboards[chat_id] = (result.message_id, markup)
            elif isinstance(method, EditMessageText | EditMessageReplyMarkup):
                shown = self.keyboards.get(chat_id)
                if shown and shown[0] == method.message_id:  # its buttons are gone
                    del self.keyboards[chat_id]
        return result

    def errors(self) -> int:
        """The error handler's apologies: a handler raised."""
        apology = t("common.error")
        return sum(1 for r in self.sent(SendMessage) if r.text == apology)


_ids = itertools.count(1)


class StepFailed(RuntimeError):
    """The bot did not answer a step as the flow expects (an apology, a missing button)."""


class Member:
    """One scripted Telegram user: sends text, presses buttons by label, times each update.

    With `turn` (a lock shared by all members) updates are handled one at a time, as long
    polling does with handle_as_tasks=False; without it, all at once."""

    def __init__(
        self,
        dp: Dispatcher,
        bot: Bot,
        recorder: ChatRecorder,
        user_id: int,
        turn: asyncio.Lock | None = None,
    ) -> None:
        self.dp, self.bot, self.recorder, self.turn = dp, bot, recorder, turn
        self.user = User(id=user_id, is_bot=False, first_name="Участник", language_code="ru")
        self.chat = Chat(id=user_id, type="private", first_name="Участник")
        self.latencies: list[float] = []

    async def _feed(self, update: Update) -> None:
        async with self.turn or contextlib.nullcontext():
            before = time.perf_counter()
            await self.dp.feed_update(self.bot, update)
            self.latencies.append(time.perf_counter() - before)
        if self.recorder.last_text.get(self.user.id) == t("common.error"):
            raise StepFailed(f"user {self.user.id}: the bot apologised for an error")

    async def send(self, text: str) -> None:
        entities = None
        if text.startswith("/"):
            entities = [MessageEntity(type="bot_command", offset=0, length=len(text.split()[0]))]
        message = Message(
            message_id=next(_ids),
            date=datetime.now(UTC),
            chat=self.chat,
            from_user=self.user,
            text=text,
            entities=entities,
        )
        await self._feed(Update(update_id=next(_ids), message=message))

    def buttons(self) -> list[str]:
        shown = self.recorder.keyboards.get(self.user.id)
        if shown is None:
            return []
        return [b.text for row in shown[1].inline_keyboard for b in row]

    async def click(self, label: str) -> None:
        """Press the button whose text contains `label` on the newest inline keyboard."""
        message_id, markup = self.recorder.keyboards.get(self.user.id, (0, None))
        for row in markup.inline_keyboard if markup else []:
            for button in row:
                if label in button.text:
                    await self.click_data(button.callback_data or "", message_id)
                    return
        raise StepFailed(f"user {self.user.id}: no button {label!r} among {self.buttons()}")

    async def click_data(self, data: str, message_id: int = 1) -> None:
        message = Message(message_id=message_id, date=datetime.now(UTC), chat=self.chat, text="…")
        query = CallbackQuery(
            id=str(next(_ids)), from_user=self.user, chat_instance="ci", data=data, message=message
        )
        await self._feed(Update(update_id=next(_ids), callback_query=query))


async def add_people(session: Any, people: dict[int, int], now: datetime) -> None:
    """Members past onboarding: in their branch, consent given."""
    await session.execute(
        insert(UserRow),
        [
            {
                "id": user_id,
                "full_name": f"Участник {user_id}",
                "branch_id": branch_id,
                "created_at": now,
                "joined_branch_at": now,
            }
            for user_id, branch_id in people.items()
        ],
    )
    await session.execute(
        insert(Consent),
        [
            {"user_id": user_id, "version": 1, "accepted": True, "decided_at": now}
            for user_id in people
        ],
    )
