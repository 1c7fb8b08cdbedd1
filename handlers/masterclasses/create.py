"""Creating a masterclass: the organiser's menu («🎤 Организатору»), `/new_masterclass`
one question at a time (the questions are in `create_form`), the summary — change a field,
cancel, publish — and after publishing the deep link and the announcement.

Only organisers (an admin, a curator) start it; the audience and the publishing are
checked again on the server (`access.may_organise` in the screens, `create_masterclass`
and `announce` themselves), whatever a button's data says.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from datetime import datetime
from typing import Any

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.services.errors import AccessDenied, DomainError
from bot.services.masterclasses import events, parsing, records
from bot.services.masterclasses.access import is_organiser, may_organise, require_manage
from bot.services.masterclasses.audience import Audience, Scope, resolve
from bot.services.masterclasses.errors import MasterclassError
from bot.services.masterclasses.notices import duration_text, when
from bot.services.people import Person
from bot.texts import plural, t
from handlers.callbacks import INT32_MAX, MasterclassListCb, NewMasterclassCb
from handlers.common import show_menu
from handlers.filters import Onboarded, reads_only
from handlers.masterclasses.create_form import (
    EDITABLE,
    EMPTY_DRAFT,
    MasterclassForm,
    advance,
    ask,
    audience_label,
    audience_local,
    audience_region,
    audience_root,
    audience_who,
    current_step,
    draft_of,
    fields_keyboard,
    moment,
    place_label,
    say,
    show_question,
    summary_text,
    to_draft,
    with_back,
)
from handlers.replies import (
    drop_buttons,
    error_text,
    free_input,
    remove_message,
    resume_interrupted,
    show_in_place,
    unfinished_work,
)

# --- the organiser's menu --------------------------------------------------------------------


def _list_button() -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=say("menu.list"), callback_data=MasterclassListCb(view="org").pack()
    )


async def organiser_menu(message: Message, person: Person) -> None:
    if not is_organiser(person):
        await message.answer(t("errors.access_denied"))
        return
    new = InlineKeyboardButton(
        text=say("menu.new"), callback_data=NewMasterclassCb(action="new").pack()
    )
    markup = InlineKeyboardMarkup(inline_keyboard=[[new], [_list_button()]])
    await message.answer(say("menu.text"), reply_markup=markup)


# --- starting ----------------------------------------------------------------------------------


async def _start(
    message: Message, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
) -> None:
    """A new draft; the question of one begun before loses its buttons."""
    old = None
    step = current_step(await state.get_state())
    if step is not None and step != MasterclassForm.announce:  # that question stays usable
        old = ((await state.get_data()).get("asked") or {}).get("id")
    await state.set_state(MasterclassForm.title)
    await state.set_data({"draft": dict(EMPTY_DRAFT)})
    await ask(MasterclassForm.title, state, bot, person, session, message=message)
    if old:
        await drop_buttons(bot, message.chat.id, old)


async def _begin(
    message: Message, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
) -> None:
    """A draft with answers in it is not replaced without asking: continue, or start anew."""
    await resume_interrupted(state)
    title = _draft_title(await state.get_state(), await state.get_data())
    if title is None:
        await _start(message, state, person, session, bot)
        return
    rows = [
        [
            InlineKeyboardButton(
                text=say(f"button.{value}"),
                callback_data=NewMasterclassCb(action="new", value=value).pack(),
            )
        ]
        for value in ("resume", "fresh")
    ]
    await message.answer(
        say("unfinished.ask", title=html.escape(title)),
        reply_markup=InlineKeyboardMarkup(inline_keyboard=rows),
    )


def _draft_title(state_name: str | None, data: dict[str, Any]) -> str | None:
    """The title of a draft being written (not yet published), or None."""
    step = current_step(state_name)
    if step is None or step == MasterclassForm.announce:
        return None
    return (data.get("draft") or {}).get("title") or None


def _unfinished_line(state_name: str, data: dict[str, Any]) -> str | None:
    title = _draft_title(state_name, data)
    return say("unfinished.draft", title=html.escape(title)) if title else None


unfinished_work("MasterclassForm", _unfinished_line)


async def begin(
    message: Message, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
) -> None:
    if not is_organiser(person):
        await message.answer(t("errors.access_denied"))
        return
    await _begin(message, state, person, session, bot)


async def begin_from_menu(
    query: CallbackQuery,
    message: Message,
    callback_data: NewMasterclassCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """The menu's «Новый мастер-класс» (value ""), or the answer to «continue or start
    anew?» ("resume": the draft's question again, at the bottom; "fresh")."""
    if not is_organiser(person):
        await query.answer(t("errors.access_denied"), show_alert=True)
        return
    value = callback_data.value
    step = current_step(await state.get_state())
    if (
        value in ("resume", "fresh")
        and _draft_title(await state.get_state(), await state.get_data()) is None
    ):
        await query.answer(say("stale"), show_alert=True)
        return
    await query.answer()
    if value == "resume":
        assert step is not None
        await remove_message(bot, message.chat.id, message.message_id)
        await ask(step, state, bot, person, session, message=message, ack=say("unfinished.resumed"))
    elif value == "fresh":
        await remove_message(bot, message.chat.id, message.message_id)
        await _start(message, state, person, session, bot)
    else:
        await _begin(message, state, person, session, bot)


# --- typed answers -----------------------------------------------------------------------------

Reader = Callable[[str, Person, datetime, dict[str, Any]], tuple[dict[str, Any], str]]


def length(value: str, limits: tuple[int, int], code: str) -> str:
    """As the service trims it: one space between words, unless it has lines."""
    clean = " ".join(value.split()) if "\n" not in value else value.strip()
    if not limits[0] <= len(clean) <= limits[1]:
        raise MasterclassError(code, min=limits[0], max=limits[1])
    return clean


def read_title(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    return {"title": length(text, events.TITLE, "title_length")}, say("ack.title")


def read_description(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    clean = length(text, events.DESCRIPTION, "description_length")
    return {"description": clean}, say("ack.description")


def read_host(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    host = length(text, events.HOST, "host_length")
    return {"host": host}, say("ack.host", host=html.escape(host))


def read_starts(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    starts_at = parsing.parse_start(text, person.timezone, now)
    changes: dict[str, Any] = {"starts_at": starts_at.isoformat()}
    ack = say("ack.starts", when=when(starts_at, person.timezone))
    deadline = moment(draft.get("deadline"))
    if deadline is not None and deadline > starts_at:
        changes["deadline"] = None
        ack = f"{ack}\n{say('deadline_reset')}"
    return changes, ack


def read_duration(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    minutes = parsing.parse_duration(text)
    return {"duration": minutes}, say("ack.duration", duration=duration_text(minutes))


def _looks_like_link(value: str) -> bool:
    lower = value.lower()
    if "://" in lower or lower.startswith(("http:", "https:", "www.")):
        return True
    return not any(c.isspace() for c in value) and "/" in value and "." in value


def read_place(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    value = text.strip()
    if _looks_like_link(value):
        url = parsing.parse_link(value)
        return {"online_url": url, "place": None}, say("ack.online", url=html.escape(url))
    place = length(value, events.PLACE, "place_length")
    return {"place": place, "online_url": None}, say("ack.place", place=html.escape(place))


def _seats(capacity: int | None) -> str:
    return str(capacity) if capacity is not None else t("masterclasses.unlimited")


def read_capacity(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    capacity = parsing.parse_capacity(text)
    return {"capacity": capacity}, say("ack.capacity", seats=_seats(capacity))


def read_deadline(text: str, person: Person, now: datetime, draft: dict[str, Any]) -> Any:
    starts_at = moment(draft.get("starts_at"))
    if starts_at is None:  # not asked before the start: a forged or odd state
        raise MasterclassError("start_unreadable")
    deadline = parsing.parse_deadline(text, person.timezone, now, starts_at)
    return {"deadline": deadline.isoformat()}, say(
        "ack.deadline", when=when(deadline, person.timezone)
    )


READERS: dict[str, Reader] = {
    MasterclassForm.title.state or "": read_title,
    MasterclassForm.description.state or "": read_description,
    MasterclassForm.host.state or "": read_host,
    MasterclassForm.starts.state or "": read_starts,
    MasterclassForm.duration.state or "": read_duration,
    MasterclassForm.place.state or "": read_place,
    MasterclassForm.capacity.state or "": read_capacity,
    MasterclassForm.deadline.state or "": read_deadline,
}


async def answer_typed(
    message: Message,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
    clock: Clock,
) -> None:
    """A typed answer to the current question: kept and the next question asked, or
    refused with the reason and the same question again."""
    step = current_step(await state.get_state())
    if step is None or step.state not in READERS:
        return
    draft, _ = await draft_of(state)
    try:
        changes, ack = READERS[step.state or ""](message.text or "", person, clock.now(), draft)
    except MasterclassError as error:
        await ask(step, state, bot, person, session, message=message, complaint=error_text(error))
        return
    draft.update(changes)
    await state.update_data(draft=draft)
    following = await advance(step, state)
    await ask(following, state, bot, person, session, message=message, ack=ack)


def _wrong(key: str) -> Callable[..., Any]:
    async def handler(
        message: Message, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
    ) -> None:
        step = current_step(await state.get_state())
        if step is None:
            return
        await ask(step, state, bot, person, session, message=message, complaint=say(f"wrong.{key}"))

    handler.__name__ = f"wrong_{key}"
    return handler


# --- buttons of the questions ------------------------------------------------------------------


async def _kept_by_button(
    step: Any,
    changes: dict[str, Any],
    ack: str,
    query: CallbackQuery,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    draft, _ = await draft_of(state)
    draft.update(changes)
    await state.update_data(draft=draft)
    following = await advance(step, state)
    await query.answer()
    await ask(following, state, bot, person, session, query=query, ack=ack)


async def capacity_unlimited(
    query: CallbackQuery, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
) -> None:
    ack = say("ack.capacity", seats=_seats(None))
    await _kept_by_button(
        MasterclassForm.capacity, {"capacity": None}, ack, query, state, person, session, bot
    )


async def deadline_as_start(
    query: CallbackQuery, state: FSMContext, person: Person, session: AsyncSession, bot: Bot
) -> None:
    await _kept_by_button(
        MasterclassForm.deadline,
        {"deadline": None},
        say("ack.as_start"),
        query,
        state,
        person,
        session,
        bot,
    )


def _id(text: str) -> int:
    number = int(text)
    if not 0 <= number <= INT32_MAX:
        raise ValueError(text)
    return number


async def audience_chosen(
    query: CallbackQuery,
    callback_data: NewMasterclassCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """A screen of the audience step, a place chosen in it, or whom in that place."""
    parts = callback_data.value.split(".")
    _, data = await draft_of(state)
    try:
        kind = parts[0]
        if kind == "root":
            text, markup = await audience_root(session, person, max(_id(parts[1]), 1))
        elif kind == "reg":
            text, markup = await audience_region(
                session, person, _id(parts[1]), max(_id(parts[2]), 1)
            )
        elif kind == "loc":
            text, markup = await audience_local(
                session, person, _id(parts[1]), max(_id(parts[2]), 1)
            )
        elif kind == "pick":
            scope, target = Scope(parts[1]), _id(parts[2]) or None
            resolved = await resolve(session, Audience(scope, target))
            if not may_organise(person, resolved):
                raise AccessDenied()
            label = await place_label(session, resolved)
            await state.update_data(
                place_pick={"scope": scope.value, "target": target, "label": label}
            )
            text, markup = audience_who(say("all_places") if scope == Scope.ALL else label)
        elif kind == "who" and parts[1] in ("all", "sec") and data.get("place_pick"):
            await _audience_kept(query, parts[1] == "sec", state, person, session, bot)
            return
        else:
            raise ValueError(callback_data.value)
    except (ValueError, IndexError):
        await query.answer(say("stale_step"), show_alert=True)
        return
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    await query.answer()
    shown = with_back(markup, bool(data.get("editing")))
    await show_question(MasterclassForm.audience, text, shown, state, bot, query=query)


async def _audience_kept(
    query: CallbackQuery,
    secretaries_only: bool,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    pick = (await state.get_data())["place_pick"]
    scope = Scope(pick["scope"])
    resolved = await resolve(session, Audience(scope, pick["target"], secretaries_only))
    if not may_organise(person, resolved):  # their roles changed since the place was shown
        await query.answer(t("errors.access_denied"), show_alert=True)
        return
    label = audience_label(pick["label"], scope, secretaries_only)
    audience = {
        "scope": scope.value,
        "target": pick["target"],
        "secretaries_only": secretaries_only,
        "label": label,
    }
    ack = say("ack.audience", audience=html.escape(label))
    await state.update_data(place_pick=None)
    await _kept_by_button(
        MasterclassForm.audience, {"audience": audience}, ack, query, state, person, session, bot
    )


# --- the summary -------------------------------------------------------------------------------


async def edit_field(
    query: CallbackQuery,
    callback_data: NewMasterclassCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    bot: Bot,
) -> None:
    """«Изменить …»: which field (value ""), that field's question again (its answer leads
    back to the summary), or back to the summary."""
    draft, data = await draft_of(state)
    in_summary = await state.get_state() == MasterclassForm.summary.state
    if not in_summary and not data.get("editing"):
        await query.answer(say("stale_step"), show_alert=True)
        return
    field = callback_data.value
    await query.answer()
    if field == "back" or (field and field not in EDITABLE):
        await state.update_data(editing=None, place_pick=None)
        await ask(MasterclassForm.summary, state, bot, person, session, query=query)
        return
    if not field:
        await state.set_state(MasterclassForm.summary)
        text = f"{summary_text(draft, person.timezone)}\n\n{say('summary.edit_ask')}"
        await show_question(
            MasterclassForm.summary, text, fields_keyboard(), state, bot, query=query
        )
        return
    await state.update_data(editing=field)
    ack = say("editing", field=say(f"field.{field}"))
    await ask(EDITABLE[field], state, bot, person, session, query=query, ack=ack)


async def cancel_draft(
    query: CallbackQuery, message: Message, state: FSMContext, person: Person, bot: Bot
) -> None:
    await state.clear()
    await query.answer()
    await show_in_place(bot, query, say("cancelled"))
    await show_menu(message, person, bot)


async def publish(
    query: CallbackQuery,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    draft, data = await draft_of(state)
    made = to_draft(draft)
    if made is None:
        await query.answer(say("stale_step"), show_alert=True)
        return
    try:
        masterclass = await events.create_masterclass(session, person, made, clock.now())
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    masterclass_id, title = masterclass.id, masterclass.title
    await state.set_state(MasterclassForm.announce)
    await state.set_data(
        {
            "published": masterclass_id,
            "title": title,
            "audience": draft["audience"]["label"],
            "asked": data.get("asked"),
        }
    )
    await query.answer()
    await state.update_data(link=await deep_link(bot, masterclass_id))
    await ask(MasterclassForm.announce, state, bot, person, session, query=query)


async def announce_chosen(
    query: CallbackQuery,
    message: Message,
    callback_data: NewMasterclassCb,
    state: FSMContext,
    person: Person,
    session: AsyncSession,
    clock: Clock,
    bot: Bot,
) -> None:
    """«Разослать» or «Не рассылать» under the published masterclass. The button names it,
    so it works after the person went elsewhere (a new draft, the menu) in between."""
    choice, _, number = callback_data.value.partition(".")
    if choice not in ("yes", "no") or not number.isdigit() or int(number) > INT32_MAX:
        await query.answer(say("stale"), show_alert=True)
        return
    try:
        masterclass = await records.loaded(session, int(number))
        require_manage(person, masterclass)
        title = masterclass.title
        count = None
        if choice == "yes":
            count = await events.announce(session, person, masterclass.id, clock.now())
    except DomainError as error:
        await query.answer(error_text(error), show_alert=True)
        return
    if count is None:
        outcome = say("not_announced")
    elif count:
        outcome = say("announced", count=plural(count, "mc_create.plural.recipient"))
    else:
        outcome = say("announced_nobody")
    if await state.get_state() == MasterclassForm.announce.state:
        await state.clear()
    await query.answer()
    published = say("published", title=html.escape(title), link=await deep_link(bot, int(number)))
    markup = InlineKeyboardMarkup(inline_keyboard=[[_list_button()]])
    await show_in_place(bot, query, f"{published}\n\n{outcome}", markup)
    await show_menu(message, person, bot)


async def deep_link(bot: Bot, masterclass_id: int) -> str:
    """`https://t.me/<bot>?start=mc_<id>`: opens the masterclass's card."""
    me = await bot.me()
    return f"https://t.me/{me.username}?start=mc_{masterclass_id}"


async def stale_button(query: CallbackQuery, state: FSMContext) -> None:
    """A button of a step that is over, a finished draft, or forged data: answered, and
    nothing changes."""
    in_flow = current_step(await state.get_state()) is not None
    await query.answer(say("stale_step") if in_flow else say("stale"), show_alert=True)


def create_router() -> Router:
    router = Router(name="masterclasses_create")
    router.message.filter(F.chat.type == "private", Onboarded())
    router.callback_query.filter(Onboarded())
    answer = free_input()
    cb = NewMasterclassCb.filter
    form = MasterclassForm

    router.message.register(organiser_menu, F.text == t("menu.mc_organise"), flags=reads_only())
    router.message.register(begin, Command("new_masterclass"))
    router.callback_query.register(begin_from_menu, cb(F.action == "new"))

    typed = StateFilter(*(step for step in form.__states__ if step.state in READERS))
    router.message.register(answer_typed, typed, F.text, answer)
    router.message.register(_wrong("text"), typed, answer)
    buttons_only = StateFilter(form.audience, form.summary, form.announce)
    router.message.register(_wrong("buttons"), buttons_only, answer)

    router.callback_query.register(
        capacity_unlimited, cb((F.action == "cap") & (F.value == "none")), form.capacity
    )
    router.callback_query.register(
        deadline_as_start, cb((F.action == "skip") & (F.value == "deadline")), form.deadline
    )
    router.callback_query.register(audience_chosen, cb(F.action == "aud"), form.audience)
    router.callback_query.register(publish, cb(F.action == "publish"), form.summary)
    router.callback_query.register(
        edit_field, cb(F.action == "edit"), StateFilter(form.summary, *EDITABLE.values())
    )
    router.callback_query.register(cancel_draft, cb(F.action == "cancel"), form.summary)
    router.callback_query.register(announce_chosen, cb(F.action == "announce"))
    router.callback_query.register(stale_button, cb())
    return router
