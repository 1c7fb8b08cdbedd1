"""/settings: which reminders a person gets, their quiet hours, a curator's digest day and
time. Thin over `bot.services.preferences` (and `digest.weekly.move_digest`).

One message shows the current values with a ✅/⬜ button per kind of reminder the person's
roles get (the morning message: secretaries; escalations: secretaries, curators, admins;
masterclass reminders: everyone; the digest: curators), edited in place when one is
pressed. «🌙 Тихие часы» and «📊 День и время сводки» ask one question each, in that same
message: the quiet hours typed («22:00–08:00» or «нет»), the digest's day by buttons
(Пн…Вс, or «Не присылать») and its time typed («09:00»). A refused answer asks again under
it with «⚠️ …», the old copy removed; an accepted one shows the settings again under it.

FSM data: JSON under `settings` only — `msg`, the question's message, and `day`, the
weekday picked before the time is asked. /cancel leaves (handlers/common.py).
"""

from __future__ import annotations

from datetime import time
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock, local
from bot.config import Settings as Config
from bot.services import preferences
from bot.services.digest import weekly
from bot.services.outbox import QuietHours
from bot.services.people import Person
from bot.services.preferences import Kind, NotUnderstood
from bot.texts import day_at, t
from handlers.callbacks import SettingsCb
from handlers.filters import Onboarded
from handlers.replies import free_input, remove_message, show_in_place

KEY = "settings"  # the FSM data key


class SettingsForm(StatesGroup):
    # Persisted as "SettingsForm:<name>" in the FSM table: rename only with a migration.
    quiet = State()  # the quiet hours, typed
    digest_time = State()  # the digest's time, typed, after its day was picked


def say(key: str, **params: Any) -> str:
    return t(f"settings.{key}", **params)


def kinds_for(person: Person) -> list[Kind]:
    kinds = []
    if person.secretary_of:
        kinds.append(Kind.MORNING)
    if person.secretary_of or person.curator_of or person.is_admin:
        kinds.append(Kind.ESCALATION)
    kinds.append(Kind.MASTERCLASS)
    if person.curator_of:
        kinds.append(Kind.DIGEST)
    return kinds


def _hhmm(moment: time) -> str:
    return moment.strftime("%H:%M")


def _quiet_line(settings: preferences.Settings, default: QuietHours) -> str:
    hours = settings.quiet or default
    if hours.start == hours.end:
        return say("quiet_none")
    key = "quiet_own" if settings.quiet else "quiet_default"
    return say(key, start=_hhmm(hours.start), end=_hhmm(hours.end))


def _digest_when(settings: preferences.Settings) -> str:
    if not settings.digest:
        return say("digest_off")
    day = say(f"weekday_long.{settings.digest_weekday}")
    return say("digest_on", day=day, time=_hhmm(settings.digest_time))


def _button(text: str, data: SettingsCb) -> InlineKeyboardButton:
    return InlineKeyboardButton(text=text, callback_data=data.pack())


def _back() -> list[InlineKeyboardButton]:
    return [_button(say("button.back"), SettingsCb(action="back"))]


def screen(
    person: Person, settings: preferences.Settings, default: QuietHours
) -> tuple[str, InlineKeyboardMarkup]:
    kinds = kinds_for(person)
    lines = [say("title"), "", say("reminders")]
    rows = []
    for kind in kinds:
        mark = say("on") if settings.wants(kind) else say("off")
        label = f"{mark} {say(f'kind.{kind.value}')}"
        lines.append(label)
        rows.append([_button(label, SettingsCb(action="toggle", kind=kind.value))])
    lines += ["", _quiet_line(settings, default)]
    rows.append([_button(say("button.quiet"), SettingsCb(action="quiet"))])
    if Kind.DIGEST in kinds:
        lines.append(_digest_when(settings))
        rows.append([_button(say("button.digest"), SettingsCb(action="day"))])
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


def _days_keyboard() -> InlineKeyboardMarkup:
    days = [_button(say(f"weekday.{d}"), SettingsCb(action="pick", day=d)) for d in range(7)]
    return InlineKeyboardMarkup(
        inline_keyboard=[
            days[:4],
            days[4:],
            [_button(say("button.digest_off"), SettingsCb(action="off"))],
            _back(),
        ]
    )


async def _screen(
    session: AsyncSession, person: Person, config: Config
) -> tuple[str, InlineKeyboardMarkup]:
    settings = await preferences.get(session, person.id)
    return screen(person, settings, config.quiet_hours())


async def _data(state: FSMContext) -> dict[str, Any]:
    return dict((await state.get_data()).get(KEY) or {})


async def _leave(state: FSMContext) -> None:
    if await state.get_state() in {s.state for s in SettingsForm.__all_states__}:
        await state.set_state(None)
    await state.update_data({KEY: None})


async def _ask(
    step: State,
    text: str,
    data: dict[str, Any],
    person: Person,
    state: FSMContext,
    bot: Bot,
    *,
    query: CallbackQuery | None = None,
    complaint: str | None = None,
) -> None:
    """The question in place of the pressed message, or under a refused answer (the old
    copy removed), so the chat holds one."""
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    if query is not None:
        shown = await show_in_place(bot, query, text)
    else:
        shown = (await bot.send_message(person.id, text)).message_id
    old = data.get("msg")
    await state.set_state(step)
    await state.update_data({KEY: {**data, "msg": shown}})
    if query is None and old and old != shown:
        await remove_message(bot, person.id, old)


async def _done(
    message: Message,
    head: str,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    config: Config,
) -> None:
    """An answer taken: the question goes, the settings come again under the answer."""
    data = await _data(state)
    await _leave(state)
    if data.get("msg"):
        await remove_message(bot, person.id, data["msg"])
    text, markup = await _screen(session, person, config)
    await message.answer(f"{head}\n\n{text}", reply_markup=markup)


# --- the screen ------------------------------------------------------------------------------


async def settings_command(
    message: Message, person: Person, session: AsyncSession, state: FSMContext, settings: Config
) -> None:
    await _leave(state)
    text, markup = await _screen(session, person, settings)
    await message.answer(text, reply_markup=markup)


async def back(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Config,
) -> None:
    await _leave(state)
    text, markup = await _screen(session, person, settings)
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def toggle(
    query: CallbackQuery,
    callback_data: SettingsCb,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    settings: Config,
) -> None:
    if not callback_data.kind or Kind(callback_data.kind) not in kinds_for(person):
        await query.answer(say("stale"), show_alert=True)
        return
    kind = Kind(callback_data.kind)
    now = await preferences.toggle(session, person.id, kind)
    text, markup = screen(person, now, settings.quiet_hours())
    mark = say("on") if now.wants(kind) else say("off")
    await query.answer(f"{mark} {say(f'kind.{kind.value}')}")
    await show_in_place(bot, query, text, markup)


# --- quiet hours -------------------------------------------------------------------------------


def _quiet_question(current: str) -> str:
    return say("quiet.ask", current=current)


async def _current_quiet(session: AsyncSession, person: Person, config: Config) -> str:
    settings = await preferences.get(session, person.id)
    hours = settings.quiet or config.quiet_hours()
    if hours.start == hours.end:
        return "нет"
    return f"{_hhmm(hours.start)}–{_hhmm(hours.end)}"


async def ask_quiet(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Config,
) -> None:
    current = await _current_quiet(session, person, settings)
    await query.answer()
    await _ask(SettingsForm.quiet, _quiet_question(current), {}, person, state, bot, query=query)


async def quiet_typed(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Config,
) -> None:
    try:
        hours = preferences.parse_quiet_hours(message.text or "")
    except NotUnderstood:
        current = await _current_quiet(session, person, settings)
        data = await _data(state)
        await _ask(
            SettingsForm.quiet,
            _quiet_question(current),
            data,
            person,
            state,
            bot,
            complaint=say("quiet.wrong"),
        )
        return
    await preferences.set_quiet_hours(session, person.id, hours)
    if hours is None:
        head = say("quiet.saved_none")
    else:
        head = say("quiet.saved", start=_hhmm(hours[0]), end=_hhmm(hours[1]))
    await _done(message, head, person, session, state, bot, settings)


# --- the digest ------------------------------------------------------------------------------


async def ask_day(
    query: CallbackQuery, person: Person, session: AsyncSession, state: FSMContext, bot: Bot
) -> None:
    if not person.curator_of:
        await query.answer(say("stale"), show_alert=True)
        return
    await _leave(state)
    current = _digest_when(await preferences.get(session, person.id))
    await query.answer()
    await show_in_place(bot, query, say("digest.ask_day", current=current), _days_keyboard())


def _time_question(day: int) -> str:
    return say("digest.ask_time", day=say(f"weekday_long.{day}"))


async def day_picked(
    query: CallbackQuery,
    callback_data: SettingsCb,
    person: Person,
    state: FSMContext,
    bot: Bot,
) -> None:
    if not person.curator_of or not 0 <= callback_data.day <= 6:
        await query.answer(say("stale"), show_alert=True)
        return
    await query.answer()
    data = {"day": callback_data.day}
    step = SettingsForm.digest_time
    await _ask(step, _time_question(callback_data.day), data, person, state, bot, query=query)


async def time_typed(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    clock: Clock,
    bot: Bot,
    settings: Config,
) -> None:
    data = await _data(state)
    day = data.get("day")
    if not isinstance(day, int) or not person.curator_of:
        await _leave(state)
        await message.answer(say("stale"))
        return
    try:
        at = preferences.parse_time(message.text or "")
    except NotUnderstood:
        step = SettingsForm.digest_time
        complaint = say("digest.wrong_time")
        await _ask(step, _time_question(day), data, person, state, bot, complaint=complaint)
        return
    due = await weekly.move_digest(session, person.id, day, at, clock.now())
    zone = await weekly.curator_zone(session, person.id)
    head = say(
        "digest.saved",
        day=say(f"weekday_long.{day}"),
        time=_hhmm(at),
        next=day_at(local(due, zone)),
    )
    await _done(message, head, person, session, state, bot, settings)


async def digest_off(
    query: CallbackQuery,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Config,
) -> None:
    if not person.curator_of:
        await query.answer(say("stale"), show_alert=True)
        return
    await _leave(state)
    now = await preferences.set_switch(session, person.id, Kind.DIGEST, False)
    text, markup = screen(person, now, settings.quiet_hours())
    await query.answer()
    await show_in_place(bot, query, f"{say('digest.saved_off')}\n\n{text}", markup)


async def not_text(
    message: Message,
    person: Person,
    session: AsyncSession,
    state: FSMContext,
    bot: Bot,
    settings: Config,
) -> None:
    """A sticker, photo or voice where a time is asked: the question again."""
    data = await _data(state)
    if await state.get_state() == SettingsForm.quiet.state:
        text = _quiet_question(await _current_quiet(session, person, settings))
        await _ask(SettingsForm.quiet, text, data, person, state, bot, complaint=say("not_text"))
        return
    day = data.get("day")
    if not isinstance(day, int):
        await _leave(state)
        return
    step = SettingsForm.digest_time
    await _ask(step, _time_question(day), data, person, state, bot, complaint=say("not_text"))


def create_router() -> Router:
    router = Router(name="settings")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    cb = SettingsCb.filter

    router.message.register(settings_command, Command("settings"))
    router.callback_query.register(back, cb(F.action == "back"))
    router.callback_query.register(toggle, cb(F.action == "toggle"))
    router.callback_query.register(ask_quiet, cb(F.action == "quiet"))
    router.callback_query.register(ask_day, cb(F.action == "day"))
    router.callback_query.register(day_picked, cb(F.action == "pick"))
    router.callback_query.register(digest_off, cb(F.action == "off"))
    router.message.register(quiet_typed, SettingsForm.quiet, F.text, answer)
    router.message.register(time_typed, SettingsForm.digest_time, F.text, answer)
    router.message.register(
        not_text, StateFilter(SettingsForm.quiet, SettingsForm.digest_time), answer
    )
    return router
