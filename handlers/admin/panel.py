"""The admin menu: loading the structure from a file (Excel or CSV) and making invite links."""

from __future__ import annotations

import html
import io

from aiogram import Bot, F, Router
from aiogram.filters import Command
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from aiogram.utils.deep_linking import create_start_link
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.services.errors import DomainError
from bot.services.onboarding import invites
from bot.services.people import Person, Role
from bot.services.structure import csv_format, files, importing, queries
from bot.texts import plural, t
from handlers import branch_picker
from handlers.callbacks import AdminCb, PickCb
from handlers.filters import IsAdmin

MAX_CSV_BYTES = 5 * 1024 * 1024
SHOWN_ERRORS = 15


class AdminForm(StatesGroup):
    csv = State()
    invite = State()


async def admin_menu(message: Message, state: FSMContext) -> None:
    await state.clear()
    builder = InlineKeyboardBuilder()
    builder.button(text=t("admin.csv_button"), callback_data=AdminCb(action="csv"))
    builder.button(text=t("admin.invite_button"), callback_data=AdminCb(action="invite"))
    builder.adjust(1)
    await message.answer(t("admin.menu"), reply_markup=builder.as_markup())


def _csv_prompt() -> tuple[str, InlineKeyboardMarkup]:
    columns = "\n".join(
        t(
            "admin.csv_column",
            column=column,
            meaning=t(f"structure.columns.{column}"),
            example=html.escape(t(f"structure.template.examples.{column}")),
        )
        for column in csv_format.COLUMNS
    )
    builder = InlineKeyboardBuilder()
    builder.button(text=t("admin.csv_template_button"), callback_data=AdminCb(action="template"))
    return t("admin.csv_ask", columns=columns), builder.as_markup()


async def ask_csv(query: CallbackQuery, message: Message, state: FSMContext) -> None:
    await state.set_state(AdminForm.csv)
    await query.answer()
    text, markup = _csv_prompt()
    await message.edit_text(text, reply_markup=markup)


async def send_template(query: CallbackQuery, message: Message) -> None:
    await query.answer()
    template = BufferedInputFile(files.template(), filename=t("structure.template.file_name"))
    await message.answer_document(template, caption=t("admin.csv_template_caption"))


async def receive_csv(message: Message, session: AsyncSession, state: FSMContext, bot: Bot) -> None:
    document = message.document
    if document is None:  # the router lets only documents in; say what is expected
        await csv_expected(message)
        return
    if document.file_size and document.file_size > MAX_CSV_BYTES:
        limit = MAX_CSV_BYTES // 1024 // 1024
        await message.answer(t("admin.csv_refused", reason=t("admin.csv_too_big", limit=limit)))
        return
    buffer = io.BytesIO()
    await bot.download(document, destination=buffer)
    try:
        report = await importing.import_structure(session, files.read_file(buffer.getvalue()))
    except files.UnreadableFile as error:
        await message.answer(t("admin.csv_refused", reason=html.escape(error.reason)))
        return
    except csv_format.StructureImportError as error:
        lines = [
            t("admin.csv_error_line", line=e.line, reason=html.escape(e.reason))
            for e in error.errors[:SHOWN_ERRORS]
        ]
        if len(error.errors) > SHOWN_ERRORS:
            lines.append(t("admin.csv_more_errors", count=len(error.errors) - SHOWN_ERRORS))
        await message.answer(t("admin.csv_rejected", errors="\n".join(lines)))
        return
    await state.clear()
    rows = plural(report.rows, "plural.row")
    if not report.changed:  # the same file again, as the CLI says it
        await message.answer(
            t("admin.csv_unchanged", rows=rows, unchanged=t("structure.unchanged"))
        )
        return
    await message.answer(t("admin.csv_done", rows=rows, **report.counts()))


async def csv_expected(message: Message) -> None:
    await message.answer(t("admin.csv_expected"))
    text, markup = _csv_prompt()
    await message.answer(text, reply_markup=markup)


async def ask_role(query: CallbackQuery, message: Message, state: FSMContext) -> None:
    await state.clear()
    builder = InlineKeyboardBuilder()
    for role in (Role.MEMBER, Role.SECRETARY, Role.CURATOR):
        builder.button(
            text=t(f"admin.role_{role}"), callback_data=AdminCb(action="role", role=role)
        )
    builder.adjust(1)
    await query.answer()
    await message.edit_text(t("admin.invite_role_ask"), reply_markup=builder.as_markup())


async def choose_role(
    query: CallbackQuery,
    message: Message,
    callback_data: AdminCb,
    state: FSMContext,
    session: AsyncSession,
) -> None:
    role = callback_data.role
    if role not in (Role.MEMBER, Role.SECRETARY, Role.CURATOR):
        await query.answer(t("errors.invite_role"), show_alert=True)
        return
    await state.set_state(AdminForm.invite)
    await state.update_data(role=role, selected=[])
    text, markup = await branch_picker.regions(session, "inv", _title(role))
    await query.answer()
    await message.edit_text(text, reply_markup=markup)


def _title(role: str) -> str:
    return t("admin.invite_title", role=t(f"common.role.{role}"))


async def pick_for_invite(
    query: CallbackQuery,
    message: Message,
    callback_data: PickCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    data = await state.get_data()
    role = Role(data["role"])
    selected = set(data.get("selected", [])) if role == Role.CURATOR else None
    if callback_data.level == "br" and selected is not None:
        selected ^= {callback_data.id}  # a curator invite may cover several branches
        await state.update_data(selected=sorted(selected))
        callback_data = PickCb(
            purpose="inv", level="brp", id=data["local_id"], page=data.get("page", 1)
        )
    elif callback_data.level in ("br", "done"):
        branch_ids = [callback_data.id] if callback_data.level == "br" else sorted(selected or ())
        if not branch_ids:
            await query.answer(t("admin.pick_at_least_one"), show_alert=True)
            return
        await _make_invite(query, message, state, person, session, clock, bot, role, branch_ids)
        return
    screen = await branch_picker.render(session, callback_data, _title(role), selected)
    await query.answer()
    if screen is None:
        return
    if callback_data.level in ("loc", "brp"):
        await state.update_data(local_id=callback_data.id, page=callback_data.page)
    await message.edit_text(screen[0], reply_markup=screen[1])


async def _make_invite(
    query: CallbackQuery,
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
    role: Role,
    branch_ids: list[int],
) -> None:
    try:
        invite = await invites.create_invite_as(session, person, role, branch_ids, clock.now())
    except DomainError as error:
        await query.answer(t(f"errors.{error.code}"), show_alert=True)
        return
    branches = [await queries.get_branch(session, b) for b in branch_ids]
    await state.clear()  # with the invite: the link may ask Telegram for the bot's name
    link = await create_start_link(bot, invite.token)
    validity = (
        t("admin.invite_validity_reusable")  # a reusable link never expires
        if invite.expires_at is None
        else t(
            "admin.invite_validity_once",
            until=local(invite.expires_at, person.timezone).strftime("%d.%m.%Y %H:%M"),
        )
    )
    await query.answer()
    await message.edit_text(
        t(
            "admin.invite_ready",
            role=t(f"common.role.{role}"),
            branches=", ".join(f"№{html.escape(b.number)}" for b in branches),
            link=html.escape(link),
            validity=validity,
        )
    )


def create_router() -> Router:
    router = Router(name="admin")
    router.message.filter(F.chat.type == "private", IsAdmin())
    router.callback_query.filter(IsAdmin())
    router.message.register(admin_menu, Command("admin"))
    router.message.register(admin_menu, F.text == t("menu.admin"))
    router.callback_query.register(ask_csv, AdminCb.filter(F.action == "csv"))
    router.callback_query.register(
        send_template, AdminCb.filter(F.action == "template"), AdminForm.csv
    )
    router.message.register(receive_csv, AdminForm.csv, F.document)
    router.message.register(csv_expected, AdminForm.csv)
    router.callback_query.register(ask_role, AdminCb.filter(F.action == "invite"))
    router.callback_query.register(choose_role, AdminCb.filter(F.action == "role"))
    router.callback_query.register(
        pick_for_invite, PickCb.filter(F.purpose == "inv"), AdminForm.invite
    )
    return router
