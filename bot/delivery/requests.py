"""The Bot API call an outbox row stands for."""

from __future__ import annotations

from typing import Any

from aiogram.methods import SendDocument, SendMessage, SendPhoto, SendVideo, TelegramMethod
from aiogram.types import BufferedInputFile, InlineKeyboardButton, InlineKeyboardMarkup

from storage.models import OutboxMessage


def request_for(row: OutboxMessage, upload: bytes | None = None) -> TelegramMethod[Any]:
    """The Bot API call a row stands for; HTML parse mode comes from the Bot's defaults.
    A row with `payload["upload"]` (a file name) is sent with `upload`, its file's bytes."""
    payload = row.payload
    markup = markup_of(payload.get("buttons"))
    if row.method == "send_message":
        return SendMessage(chat_id=row.chat_id, text=payload["text"], reply_markup=markup)
    caption = payload.get("text") or None
    file: str | BufferedInputFile | None = None
    if "upload" in payload:
        if upload is None:
            raise ValueError("the row's file is missing")
        file = BufferedInputFile(upload, filename=payload["upload"])
    if row.method == "send_photo":
        return SendPhoto(
            chat_id=row.chat_id,
            photo=file or payload["photo"],
            caption=caption,
            reply_markup=markup,
        )
    if row.method == "send_document":
        return SendDocument(
            chat_id=row.chat_id,
            document=file or payload["document"],
            caption=caption,
            reply_markup=markup,
        )
    if row.method == "send_video":
        return SendVideo(
            chat_id=row.chat_id, video=payload["video"], caption=caption, reply_markup=markup
        )
    raise ValueError(f"unknown method {row.method!r}")


def markup_of(rows: list[list[dict[str, str]]] | None) -> InlineKeyboardMarkup | None:
    if not rows:
        return None
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [InlineKeyboardButton.model_validate(button) for button in row] for row in rows
        ]
    )
