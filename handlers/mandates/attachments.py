"""What a mandate card brings along, sent before the card so the card with its buttons is
the newest message: the photos (an album, each with the author's caption), the voice
messages (to play), and for the staff the place as a real map pin.

For the card (handlers/mandates/card.py): `await send_attachments(bot, chat_id, card)`
for whoever opens it, the author included, and `await send_place(bot, chat_id, card)` for
the staff. A file Telegram no longer has never keeps the card from showing."""

from __future__ import annotations

import html
import logging

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import InputMediaPhoto, MediaUnion

from bot.services.mandates.card import Attachment, MandateCard
from bot.services.mandates.place import place_of
from bot.texts import t

log = logging.getLogger(__name__)

ALBUM_MAX = 10  # Telegram's limit for one media group


def _caption(number: str, attachment: Attachment, first: bool) -> str | None:
    parts = []
    if first:
        parts.append(t("mandate_submit.card.photos_caption", number=html.escape(number)))
    if attachment.caption:
        parts.append(html.escape(attachment.caption))
    return "\n".join(parts) or None


async def send_attachments(bot: Bot, chat_id: int, card: MandateCard) -> None:
    photos = [a for a in card.attachments if a.kind == "photo"]
    voices = [a for a in card.attachments if a.kind == "voice"]
    if not card.attachments and card.photos:  # a card built without kinds: photos only
        photos = [Attachment(file_id, "photo", None) for file_id in card.photos]
    try:
        if len(photos) == 1:
            await bot.send_photo(
                chat_id, photos[0].file_id, caption=_caption(card.number, photos[0], True)
            )
        elif photos:
            media: list[MediaUnion] = [
                InputMediaPhoto(media=a.file_id, caption=_caption(card.number, a, i == 0))
                for i, a in enumerate(photos[:ALBUM_MAX])
            ]
            await bot.send_media_group(chat_id, media)
        for n, voice in enumerate(voices, 1):
            caption = t("mandate_submit.card.voice_caption", number=html.escape(card.number), n=n)
            await bot.send_voice(chat_id, voice.file_id, caption=caption)
    except TelegramBadRequest as error:
        log.warning("attachments of mandate %s not sent: %s", card.id, error.message)


async def send_place(bot: Bot, chat_id: int, card: MandateCard) -> None:
    """The shared location as a pin (a venue: the pin with the number and the address)."""
    place = place_of(card.number, card.latitude, card.longitude, card.address)
    if place is None:
        return
    try:
        await bot.send_venue(
            chat_id,
            latitude=place.latitude,
            longitude=place.longitude,
            title=place.title,
            address=place.address,
        )
    except TelegramBadRequest as error:
        log.warning("place of mandate %s not sent: %s", card.id, error.message)
