"""/export: a secretary, curator or admin picks a period and gets the `.xlsx` of the
mandates they may see, as a document in reply. Which mandates go in is the service's
business (`mandate_export.export_mandates_xlsx`); here: the period and the file."""

from __future__ import annotations

import calendar
import logging
from datetime import date, datetime, timedelta

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder

from bot.background import Background
from bot.clock import Clock, local
from bot.services.errors import DomainError
from bot.services.mandates.access import is_staff
from bot.services.mandates.export import export_mandates_xlsx
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import ExportCb
from handlers.filters import Onboarded
from handlers.mandates.card import show
from handlers.mandates.work_state import leave_work
from handlers.replies import error_text
from storage.db import Database

log = logging.getLogger(__name__)
PERIODS = ("week", "month", "quarter", "year", "all")
_MONTHS = {"month": 1, "quarter": 3, "year": 12}
# «За всё время» starts before the bot could have had any mandate.
EPOCH = date(2000, 1, 1)


def _months_before(day: date, months: int) -> date:
    years, month0 = divmod(day.month - 1 - months, 12)
    year, month = day.year + years, month0 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def period_dates(period: str, today: date) -> tuple[date, date]:
    """The days a period covers, ending today: the last 7 days, the last month (23.10–
    22.11 → 24.10–23.11), 3 months, a year, or everything."""
    if period == "week":
        return today - timedelta(days=6), today
    if period == "all":
        return EPOCH, today
    return _months_before(today, _MONTHS[period]) + timedelta(days=1), today


def periods_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for period in PERIODS:
        builder.button(
            text=t(f"mandate_work.export.{period}"), callback_data=ExportCb(period=period)
        )
    builder.adjust(2, 2, 1)
    return builder.as_markup()


async def export_command(message: Message, state: FSMContext, person: Person) -> None:
    await leave_work(state)
    if not is_staff(person):  # a member without a staff role: nothing to export
        await message.answer(t("errors.access_denied"))
        return
    await message.answer(t("mandate_work.export.choose"), reply_markup=periods_keyboard())


async def export_period(
    query: CallbackQuery,
    callback_data: ExportCb,
    person: Person,
    database: Database,
    background: Background,
    clock: Clock,
    bot: Bot,
) -> None:
    period = callback_data.period
    if period not in PERIODS:
        await query.answer(t("mandate_work.export.period_unknown"), show_alert=True)
        return
    if not is_staff(person):
        await query.answer(t("errors.access_denied"), show_alert=True)
        return
    now = clock.now()
    today = local(now, person.timezone).date()
    date_from, date_to = period_dates(period, today)
    await query.answer()
    await show(
        query,
        bot,
        t("mandate_work.export.preparing", period=t(f"mandate_work.export.{period}")),
        InlineKeyboardMarkup(inline_keyboard=[]),
    )
    # A large file takes seconds to write: built in the background from a read-only
    # snapshot, so the bot goes on answering everyone else meanwhile.
    export = _send_export(bot, database, person, period, date_from, date_to, now)
    background.spawn(export, name=f"export-{person.id}")


async def _send_export(
    bot: Bot,
    database: Database,
    person: Person,
    period: str,
    date_from: date,
    date_to: date,
    now: datetime,
) -> None:
    try:
        async with database.reading() as session:
            data = await export_mandates_xlsx(
                session, person, date_from, date_to, person.timezone, now
            )
    except DomainError as error:
        await bot.send_message(person.id, error_text(error))
        return
    except Exception:
        log.exception("export for %s failed", person.id)
        await bot.send_message(person.id, t("common.error"))
        return
    caption = (
        t("mandate_work.export.caption_all", date_to=f"{date_to:%d.%m.%Y}")
        if period == "all"
        else t(
            "mandate_work.export.caption",
            date_from=f"{date_from:%d.%m.%Y}",
            date_to=f"{date_to:%d.%m.%Y}",
        )
    )
    filename = f"nakazy_{local(now, person.timezone):%Y-%m-%d}.xlsx"
    await bot.send_document(person.id, BufferedInputFile(data, filename=filename), caption=caption)


def create_router() -> Router:
    router = Router(name="mandate_export")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    router.message.register(export_command, Command("export"))
    router.message.register(export_command, F.text == t("menu.export"))
    router.callback_query.register(export_period, ExportCb.filter())
    return router
