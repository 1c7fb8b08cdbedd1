"""A member's masterclasses: the upcoming ones open to them, one card, registering (a seat
or the waiting list), cancelling, the `.ics`, «Приду» / «Не смогу», «Мои мастер-классы»
and the `/start mc_<id>` deep link.

Thin handlers over `bot.services.masterclasses`: the services check access and the rules,
these show the outcome. Lists and cards only read (`reads_only`) and never touch the FSM
state, so a flow in progress is still there after a look. Lists page and cards redraw by
editing the pressed message in place (a notice's «📄 Открыть» turns that notice into the
card). A masterclass the person may not see — a forged button, an id that is not there —
gets «Нет доступа» and changes nothing; any other refusal is shown as the service words it,
and the card is redrawn to show where things stand.

The buttons are `mc:<action>:<id>` (`MasterclassCb`), the same ones the outbox notices
carry (`notices.py`); `mc:checkin:<id>` and the ratings belong to `attend`.
"""

from __future__ import annotations

import html
import re

from aiogram import Bot, F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError, NotFound
from bot.services.masterclasses import notices, queries, registration
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.ics import IcsFile
from bot.services.masterclasses.records import REGISTERED
from bot.services.people import Person
from bot.texts import t
from handlers.callbacks import INT32_MAX, MasterclassCb, MasterclassListCb
from handlers.filters import Onboarded, reads_only
from handlers.masterclasses.catalogue_view import View, card_keyboard, card_text, list_screen
from handlers.replies import drop_buttons, error_text, show_in_place
from storage.models import Masterclass

PER_PAGE = 5
DEEP_LINK = re.compile(r"^mc_(\d{1,12})$")


def _s(key: str, **params: object) -> str:
    return t(f"mc_catalogue.{key}", **params)


def denied_text() -> str:
    return error_text(AccessDenied())


async def refuse(query: CallbackQuery, error: DomainError) -> None:
    """A refusal in the button's pop-up; one for what the person may not see says only
    «Нет доступа», whether it does not exist or is not theirs."""
    text = denied_text() if isinstance(error, AccessDenied | NotFound) else error_text(error)
    await query.answer(text, show_alert=True)


def _title(masterclass_title: str) -> str:
    return html.escape(masterclass_title)


async def send_ics(bot: Bot, chat_id: int, ics: IcsFile, caption: str) -> None:
    await bot.send_document(
        chat_id, BufferedInputFile(ics.content, filename=ics.filename), caption=caption
    )


# --- lists -------------------------------------------------------------------------------


async def render_list(
    session: AsyncSession, person: Person, clock: Clock, view: View, page_number: int
) -> tuple[str, InlineKeyboardMarkup | None]:
    read = queries.upcoming_for if view == "up" else queries.my_masterclasses
    page = await read(session, person, clock.now(), page=page_number, per_page=PER_PAGE)
    return list_screen(page, view, person.timezone)


async def show_upcoming(
    message: Message, person: Person, session: AsyncSession, clock: Clock
) -> None:
    text, markup = await render_list(session, person, clock, "up", 1)
    await message.answer(text, reply_markup=markup)


async def show_mine(message: Message, person: Person, session: AsyncSession, clock: Clock) -> None:
    text, markup = await render_list(session, person, clock, "my", 1)
    await message.answer(text, reply_markup=markup)


async def turn_page(
    query: CallbackQuery,
    callback_data: MasterclassListCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    # The page is clamped by the service: an old or forged number shows a real page.
    view: View = "my" if callback_data.view == "my" else "up"
    text, markup = await render_list(session, person, clock, view, callback_data.page)
    await query.answer()
    await show_in_place(bot, query, text, markup)


# --- the card ----------------------------------------------------------------------------


async def render_card(
    session: AsyncSession, person: Person, masterclass_id: int, clock: Clock
) -> tuple[str, InlineKeyboardMarkup]:
    """Errors: NotFound, AccessDenied (neither in the audience nor its organiser)."""
    now = clock.now()
    card = await queries.card(session, person, masterclass_id, now)
    return card_text(card, person.timezone, now), card_keyboard(card, now)


async def refuse_and_redraw(
    query: CallbackQuery,
    error: DomainError,
    masterclass_id: int,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A refusal, and the card redrawn to show where things stand now; for a masterclass
    the person may not see (a forged button) only «Нет доступа»."""
    try:
        text, markup = await render_card(session, person, masterclass_id, clock)
    except DomainError as hidden:
        await refuse(query, hidden)
        return
    await refuse(query, error)
    await show_in_place(bot, query, text, markup)


async def open_card(
    query: CallbackQuery,
    callback_data: MasterclassCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    try:
        text, markup = await render_card(session, person, callback_data.id, clock)
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer()
    await show_in_place(bot, query, text, markup)


async def open_from_link(
    message: Message, command: CommandObject, person: Person, session: AsyncSession, clock: Clock
) -> None:
    """`/start mc_<id>` from an announcement pasted in a channel: the card, as a new message."""
    found = DEEP_LINK.match(command.args or "")
    masterclass_id = int(found.group(1)) if found else 0
    if not 1 <= masterclass_id <= INT32_MAX:
        await message.answer(denied_text())
        return
    try:
        text, markup = await render_card(session, person, masterclass_id, clock)
    except DomainError as error:
        denied = isinstance(error, AccessDenied | NotFound)
        await message.answer(denied_text() if denied else error_text(error))
        return
    await message.answer(text, reply_markup=markup)


# --- registering and leaving -------------------------------------------------------------


async def register(
    query: CallbackQuery,
    callback_data: MasterclassCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """A seat while there is one (with the `.ics` and a confirmation), else a place in the
    queue, said in a pop-up and on the card."""
    masterclass_id = callback_data.id
    try:
        result = await registration.register(session, person, masterclass_id, clock.now())
    except (AccessDenied, NotFound) as error:
        await refuse(query, error)
        return
    except DomainError as error:
        await refuse_and_redraw(query, error, masterclass_id, person, session, clock, bot)
        return
    text, markup = await render_card(session, person, masterclass_id, clock)
    if not result.seated:
        await query.answer(_s("done.waiting", place=result.place), show_alert=True)
        await show_in_place(bot, query, text, markup)
        return
    assert result.ics is not None
    masterclass = result.masterclass
    caption = _s(
        "done.registered_file",
        title=_title(masterclass.title),
        when=notices.when(masterclass.starts_at, person.timezone),
    )
    await query.answer(_s("done.registered"))
    await show_in_place(bot, query, text, markup)
    await send_ics(bot, person.id, result.ics, caption)


async def unregister(
    query: CallbackQuery,
    callback_data: MasterclassCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«Отменить запись»: a seat freed (the first in line moves in and is told by the
    service's notice) with the cancelling `.ics`, or a place in the queue given up."""
    masterclass_id = callback_data.id
    try:
        # Only the person's own registration can be cancelled: a forged id is refused as
        # «not registered», then as «Нет доступа» when they may not even see it.
        left = await registration.cancel_registration(session, person, masterclass_id, clock.now())
    except DomainError as error:
        await refuse_and_redraw(query, error, masterclass_id, person, session, clock, bot)
        return
    text, markup = await render_card(session, person, masterclass_id, clock)
    await query.answer(_s("done.cancelled") if left.ics else _s("done.left_queue"))
    await show_in_place(bot, query, text, markup)
    if left.ics is not None:
        caption = _s("done.cancelled_file", title=_title(left.masterclass.title))
        await send_ics(bot, person.id, left.ics, caption)


async def calendar(
    query: CallbackQuery,
    callback_data: MasterclassCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """`mc:ics:<id>`: the current `.ics` — the event while I hold a seat, its
    cancellation when the event or my seat is cancelled."""
    try:
        ics = await registration.my_ics(session, person, callback_data.id, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    # The masterclass is in the session already (`my_ics` loaded it).
    masterclass = await session.get(Masterclass, callback_data.id)
    mine = await queries.my_registration(session, person, callback_data.id)
    assert masterclass is not None
    seated = mine is not None and mine.status == REGISTERED and masterclass.status == "published"
    key = "done.calendar_file" if seated else "done.calendar_removed"
    await query.answer()
    await send_ics(bot, person.id, ics, _s(key, title=_title(masterclass.title)))


# --- the day-before reminder -------------------------------------------------------------


async def come(
    query: CallbackQuery,
    callback_data: MasterclassCb,
    person: Person,
    session: AsyncSession,
) -> None:
    """«Приду»: a thank-you; nothing changes (the buttons stay, to say «Не смогу» later)."""
    mine = await queries.my_registration(session, person, callback_data.id)
    if mine is None or mine.status != REGISTERED:
        await refuse(query, MasterclassError("not_registered"))
        return
    await query.answer(_s("done.come"))


async def decline(
    query: CallbackQuery,
    callback_data: MasterclassCb,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«Не смогу»: the seat is freed and the waiting list promoted by the service; the
    reminder loses its buttons, the person gets the cancelling `.ics`."""
    try:
        left = await registration.decline(session, person, callback_data.id, clock.now())
    except DomainError as error:
        await refuse(query, error)
        return
    await query.answer(_s("done.declined"))
    if isinstance(query.message, Message):
        await drop_buttons(bot, person.id, query.message.message_id)
    title = _title(left.masterclass.title)
    if left.ics is not None:
        await send_ics(bot, person.id, left.ics, _s("done.declined_file", title=title))


def create_router() -> Router:
    router = Router(name="masterclasses_catalogue")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    # Only an onboarded person's `mc_<id>`: anyone else's /start goes on to onboarding.
    router.message.register(
        open_from_link,
        CommandStart(deep_link=True, magic=F.args.regexp(DEEP_LINK.pattern)),
        flags=reads_only(),
    )
    for show, command, label in (
        (show_upcoming, "masterclasses", "menu.masterclasses"),
        (show_mine, "my_masterclasses", None),
    ):
        router.message.register(show, Command(command), flags=reads_only())
        if label:
            router.message.register(show, F.text == t(label), flags=reads_only())
    router.callback_query.register(
        turn_page, MasterclassListCb.filter(F.view.in_({"up", "my"})), flags=reads_only()
    )
    router.callback_query.register(
        open_card, MasterclassCb.filter(F.action == "open"), flags=reads_only()
    )
    router.callback_query.register(
        calendar, MasterclassCb.filter(F.action == "ics"), flags=reads_only()
    )
    router.callback_query.register(
        come, MasterclassCb.filter(F.action == "come"), flags=reads_only()
    )
    router.callback_query.register(register, MasterclassCb.filter(F.action == "reg"))
    router.callback_query.register(unregister, MasterclassCb.filter(F.action == "unreg"))
    router.callback_query.register(decline, MasterclassCb.filter(F.action == "decline"))
    return router
