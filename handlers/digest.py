"""/digest: a curator's (or an admin's, for their scope) weekly digest, built now.

The reply says it is being made; the digest itself is built in the background (a read
session, then the chart and workbook in a child process) and sent as three messages, as
`/export` sends its file: the update is answered at once and nothing here writes."""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.types import BufferedInputFile, Message

from bot.background import Background
from bot.clock import Clock
from bot.config import Settings
from bot.delivery.requests import markup_of
from bot.services.digest.figures import build_digest
from bot.services.digest.weekly import branches_for, render_files
from bot.services.people import Person
from bot.texts import t
from handlers.filters import Onboarded, reads_only
from storage.db import Database

log = logging.getLogger(__name__)


async def digest_command(
    message: Message,
    person: Person,
    database: Database,
    background: Background,
    clock: Clock,
    bot: Bot,
    settings: Settings,
) -> None:
    if not (person.curator_of or person.is_admin):
        await message.answer(t("errors.access_denied"))
        return
    await message.answer(t("digest.preparing"))
    work = _send_digest(bot, database, person, clock, settings.mandate_escalate_days)
    background.spawn(work, name=f"digest-{person.id}")


async def _send_digest(
    bot: Bot, database: Database, person: Person, clock: Clock, days: int
) -> None:
    try:
        now = clock.now()
        async with database.reading() as session:
            branch_ids, admin = await branches_for(session, person)
            if branch_ids:
                digest = await build_digest(
                    session, person.id, branch_ids, now, person.timezone, escalate_days=days
                )
        if not branch_ids:
            await bot.send_message(person.id, t("digest.no_branches"))
            return
        files = await render_files(digest, admin=admin, escalate_days=days)
    except Exception:
        log.exception("digest for %s failed", person.id)
        await bot.send_message(person.id, t("digest.failed"))
        return
    buttons = [[button.as_dict() for button in row] for row in files.buttons]
    await bot.send_message(person.id, files.text, reply_markup=markup_of(buttons))
    await bot.send_photo(
        person.id,
        BufferedInputFile(files.chart, filename=files.chart_name),
        caption=t("digest.chart_caption"),
    )
    await bot.send_document(
        person.id,
        BufferedInputFile(files.workbook, filename=files.workbook_name),
        caption=files.workbook_caption,
    )


def create_router() -> Router:
    router = Router(name="digest")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.message.register(digest_command, Command("digest"), flags=reads_only())
    return router
