"""`/new_masterclass`, the conversation itself: its states, the draft in FSM data, each
question with its example, the audience screens and the way from one question to the
next. The handlers are in `create`.

FSM data holds JSON only, so a restart in the middle loses nothing: `draft` (the answers
so far: texts, the start and the deadline as ISO moments in UTC, minutes, seats, the
audience as scope / target / secretaries_only with the label shown); `editing` (the field
changed from the summary: its answer leads back there); `asked` (the one message of the
current question: its id and step); `place_pick` (the place chosen at the audience step,
waiting for «всем / только секретарям»); after publishing, `published`, `title`, `link`
and `audience` for the question about the announcement.

The audience buttons carry `NewMasterclassCb(action="aud", value=…)`: "root.<page>",
"reg.<region>.<page>", "loc.<local branch>.<page>" move between screens; "pick.<scope>.<id>"
chooses a place (id 0 for everyone); "who.all" / "who.sec" whom in it. Every screen and
every choice is checked against `access.may_organise` on the server.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from aiogram import Bot
from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message
from aiogram.utils.keyboard import InlineKeyboardBuilder
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.services.errors import AccessDenied
from bot.services.masterclasses.audience import Audience, ResolvedAudience, Scope
from bot.services.masterclasses.events import MasterclassDraft
from bot.services.masterclasses.notices import duration_text, when
from bot.services.paging import paginate
from bot.services.people import Person
from bot.services.structure import queries
from bot.texts import t
from handlers.callbacks import NewMasterclassCb
from handlers.paging import add_pager
from handlers.replies import drop_buttons, remove_message, show_in_place
from storage.models import Branch, LocalBranch, Region


class MasterclassForm(StatesGroup):
    # Persisted as "MasterclassForm:<name>" in the FSM table: rename only with a migration.
    title = State()
    description = State()
    host = State()
    starts = State()
    duration = State()
    place = State()
    capacity = State()
    audience = State()
    deadline = State()
    summary = State()
    announce = State()


ORDER = [
    MasterclassForm.title,
    MasterclassForm.description,
    MasterclassForm.host,
    MasterclassForm.starts,
    MasterclassForm.duration,
    MasterclassForm.place,
    MasterclassForm.capacity,
    MasterclassForm.audience,
    MasterclassForm.deadline,
]
# Fields the summary's «Изменить» offers, and the question each one asks again.
EDITABLE: dict[str, State] = {step.state.split(":", 1)[1]: step for step in ORDER if step.state}

EMPTY_DRAFT: dict[str, Any] = {
    "title": None,
    "description": None,
    "host": None,
    "starts_at": None,
    "duration": None,
    "place": None,
    "online_url": None,
    "capacity": None,
    "audience": None,
    "deadline": None,
}
PER_PAGE = 8


def say(key: str, **params: Any) -> str:
    return t(f"mc_create.{key}", **params)


async def draft_of(state: FSMContext) -> tuple[dict[str, Any], dict[str, Any]]:
    data = await state.get_data()
    return {**EMPTY_DRAFT, **(data.get("draft") or {})}, data


def moment(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def to_draft(draft: dict[str, Any]) -> MasterclassDraft | None:
    """The service's draft from the answers; None while one is missing."""
    audience = draft.get("audience")
    starts_at = moment(draft.get("starts_at"))
    needed = ("title", "description", "host", "duration")
    if audience is None or starts_at is None or any(draft.get(k) is None for k in needed):
        return None
    return MasterclassDraft(
        title=draft["title"],
        description=draft["description"],
        host=draft["host"],
        starts_at=starts_at,
        duration_minutes=int(draft["duration"]),
        audience=Audience(
            Scope(audience["scope"]), audience["target"], bool(audience["secretaries_only"])
        ),
        place=draft.get("place"),
        online_url=draft.get("online_url"),
        capacity=draft.get("capacity"),
        registration_deadline=moment(draft.get("deadline")),
    )


# --- the questions ---------------------------------------------------------------------------


def _button(text: str, action: str, value: str = "") -> InlineKeyboardButton:
    return InlineKeyboardButton(
        text=text,
        callback_data=NewMasterclassCb(action=action, value=value).pack(),
    )


def _one(text: str, action: str, value: str = "") -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(inline_keyboard=[[_button(text, action, value)]])


def summary_text(draft: dict[str, Any], zone: str) -> str:
    starts_at = moment(draft["starts_at"])
    deadline = moment(draft["deadline"])
    audience = draft["audience"] or {}
    if draft["online_url"]:
        where = say("summary.online", value=html.escape(draft["online_url"]))
    else:
        where = say("summary.place", value=html.escape(draft["place"] or ""))
    seats = draft["capacity"]
    lines = [
        say("summary.title"),
        "",
        say("summary.name", value=html.escape(draft["title"] or "")),
        say("summary.description", value=html.escape(draft["description"] or "")),
        say("summary.host", value=html.escape(draft["host"] or "")),
        "",
        say("summary.starts", value=when(starts_at, zone) if starts_at else ""),
        say("summary.duration", value=duration_text(int(draft["duration"] or 0))),
        where,
        say("summary.capacity", value=seats if seats else t("masterclasses.unlimited")),
        say("summary.audience", value=html.escape(audience.get("label", ""))),
        say(
            "summary.deadline",
            value=when(deadline, zone) if deadline else say("summary.deadline_start"),
        ),
        "",
        say("summary.hint"),
    ]
    return "\n".join(lines)


def summary_keyboard() -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(say("button.publish"), "publish")],
            [_button(say("button.edit"), "edit"), _button(say("button.cancel"), "cancel")],
        ]
    )


def fields_keyboard() -> InlineKeyboardMarkup:
    builder = InlineKeyboardBuilder()
    for field in EDITABLE:
        builder.button(
            text=say(f"field.{field}"), callback_data=NewMasterclassCb(action="edit", value=field)
        )
    builder.adjust(2)
    builder.row(_button(say("button.back"), "edit", "back"))
    return builder.as_markup()


def announce_text(data: dict[str, Any]) -> str:
    published = say("published", title=html.escape(data["title"]), link=data["link"])
    ask = say("announce_ask", audience=html.escape(data["audience"]))
    return f"{published}\n\n{ask}"


def announce_keyboard(masterclass_id: int) -> InlineKeyboardMarkup:
    """The buttons name the masterclass: they work whatever the person did since."""
    return InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(say("button.announce"), "announce", f"yes.{masterclass_id}")],
            [_button(say("button.no_announce"), "announce", f"no.{masterclass_id}")],
        ]
    )


async def _question(
    step: State, data: dict[str, Any], person: Person, session: AsyncSession
) -> tuple[str, InlineKeyboardMarkup | None]:
    draft = {**EMPTY_DRAFT, **(data.get("draft") or {})}
    zone = person.timezone
    if step == MasterclassForm.starts:
        return say("ask.starts", zone=zone), None
    if step == MasterclassForm.capacity:
        return say("ask.capacity"), _one(say("button.unlimited"), "cap", "none")
    if step == MasterclassForm.audience:
        return await audience_root(session, person)
    if step == MasterclassForm.deadline:
        starts_at = moment(draft["starts_at"])
        start = when(starts_at, zone) if starts_at else ""
        text = say("ask.deadline", zone=zone, start=start)
        return text, _one(say("button.as_start"), "skip", "deadline")
    if step == MasterclassForm.summary:
        return summary_text(draft, zone), summary_keyboard()
    if step == MasterclassForm.announce:
        return announce_text(data), announce_keyboard(data["published"])
    name = (step.state or "").split(":", 1)[1]
    return say(f"ask.{name}"), None


def with_back(markup: InlineKeyboardMarkup | None, editing: bool) -> InlineKeyboardMarkup | None:
    """While a field is changed from the summary, its question leads back there too."""
    if not editing:
        return markup
    rows = list(markup.inline_keyboard) if markup else []
    return InlineKeyboardMarkup(
        inline_keyboard=[*rows, [_button(say("button.back"), "edit", "back")]]
    )


async def ask(
    step: State,
    state: FSMContext,
    bot: Bot,
    person: Person,
    session: AsyncSession,
    *,
    message: Message | None = None,
    query: CallbackQuery | None = None,
    ack: str | None = None,
    complaint: str | None = None,
) -> None:
    """Move to `step` and ask its question — one message per question: in place of the
    pressed message when answered with a button, else under the person's answer (the
    refused question's old copy, or the summary it was drawn on, is then deleted).
    `complaint` says why the last answer was refused, above the question."""
    if await state.get_state() != step.state:
        await state.set_state(step)
    data = await state.get_data()
    text, markup = await _question(step, data, person, session)
    editing = bool(data.get("editing")) and step not in (
        MasterclassForm.summary,
        MasterclassForm.announce,
    )
    if complaint:
        text = f"⚠️ {complaint}\n\n{text}"
    elif ack:
        text = f"{ack}\n\n{text}"
    await show_question(
        step, text, with_back(markup, editing), state, bot, message=message, query=query
    )


async def show_question(
    step: State,
    text: str,
    markup: InlineKeyboardMarkup | None,
    state: FSMContext,
    bot: Bot,
    *,
    message: Message | None = None,
    query: CallbackQuery | None = None,
) -> None:
    """Show `text` as the one message of the question at `step` (see `ask`) and remember it
    in FSM data as `asked`."""
    data = await state.get_data()
    asked = data.get("asked") or {}
    summary_like = bool(data.get("editing")) or step in (
        MasterclassForm.summary,
        MasterclassForm.announce,
    )
    if query is not None:
        shown = await show_in_place(bot, query, text, markup)
        chat_id = query.from_user.id
    else:
        assert message is not None, "a typed answer or a pressed button"
        chat_id = message.chat.id
        shown = (await bot.send_message(chat_id, text, reply_markup=markup)).message_id
    old = asked.get("id")
    if old and old != shown:
        if asked.get("step") == step.state or asked.get("summary"):
            await remove_message(bot, chat_id, old)  # its newer copy is below
        else:
            await drop_buttons(bot, chat_id, old)  # answered: stays as the conversation
    await state.update_data(asked={"id": shown, "step": step.state, "summary": summary_like})


async def advance(done: State, state: FSMContext) -> State:
    """Moves the state to the step after `done` (the summary after a field changed from
    it) and returns it, before any reply, so the answer and the new state commit together."""
    data = await state.get_data()
    if data.get("editing") or done == ORDER[-1]:
        step = MasterclassForm.summary
        await state.update_data(editing=None, place_pick=None)
    else:
        step = ORDER[ORDER.index(done) + 1]
    await state.set_state(step)
    return step


def current_step(state_name: str | None) -> State | None:
    for step in MasterclassForm.__states__:
        if step.state == state_name:
            return step
    return None


# --- the audience ----------------------------------------------------------------------------


def full_admin(person: Person) -> bool:
    return person.is_admin and not person.admin_regions


def may_open_region(person: Person, region_id: int) -> bool:
    return full_admin(person) or (person.is_admin and region_id in person.admin_regions)


async def audience_root(
    session: AsyncSession, person: Person, page: int = 1
) -> tuple[str, InlineKeyboardMarkup]:
    """The first audience screen: everyone (an admin of everything), the regions one
    administers, the branches one curates."""
    items: list[tuple[str, str]] = []
    if full_admin(person):
        regions = await queries.list_regions(session, 1, 100_000)
        items += [(region.name, f"reg.{region.id}.1") for region in regions.items]
    else:
        if person.is_admin:
            rows = await session.execute(
                select(Region.id, Region.name)
                .where(Region.id.in_(sorted(person.admin_regions)))
                .order_by(Region.name)
            )
            items += [(name, f"reg.{region_id}.1") for region_id, name in rows]
        if person.curator_of:
            rows = await session.execute(
                select(Branch.id, Branch.number, Branch.name).where(
                    Branch.id.in_(sorted(person.curator_of))
                )
            )
            branches = sorted(rows, key=lambda row: queries.number_key(row.number))
            items += [
                (say("button.branch", number=b.number, name=b.name), f"pick.branch.{b.id}")
                for b in branches
            ]
    shown = paginate(items, page, PER_PAGE)
    builder = InlineKeyboardBuilder()
    if full_admin(person):
        builder.row(_button(say("button.all"), "aud", "pick.all.0"))
    for label, value in shown.items:
        builder.row(_button(label, "aud", value))
    add_pager(builder, shown, lambda n: NewMasterclassCb(action="aud", value=f"root.{n}"))
    empty = not items and not full_admin(person)
    return say("ask.audience_none" if empty else "ask.audience"), builder.as_markup()


async def audience_region(
    session: AsyncSession, person: Person, region_id: int, page: int = 1
) -> tuple[str, InlineKeyboardMarkup]:
    if not may_open_region(person, region_id):
        raise AccessDenied()
    region = await queries.get_region(session, region_id)
    locals_ = await queries.list_local_branches(session, region_id, page, PER_PAGE)
    builder = InlineKeyboardBuilder()
    builder.row(_button(say("button.whole_region"), "aud", f"pick.region.{region_id}"))
    for item in locals_.items:
        builder.row(_button(item.name, "aud", f"loc.{item.id}.1"))
    add_pager(
        builder, locals_, lambda n: NewMasterclassCb(action="aud", value=f"reg.{region_id}.{n}")
    )
    builder.row(_button(t("common.back"), "aud", "root.1"))
    return say("ask.audience_region", name=html.escape(region.name)), builder.as_markup()


async def audience_local(
    session: AsyncSession, person: Person, local_id: int, page: int = 1
) -> tuple[str, InlineKeyboardMarkup]:
    local = await queries.get_local_branch(session, local_id)
    if not may_open_region(person, local.region_id):
        raise AccessDenied()
    branches = await queries.list_branches(session, local_id, page, PER_PAGE)
    builder = InlineKeyboardBuilder()
    builder.row(_button(say("button.whole_local"), "aud", f"pick.local_branch.{local_id}"))
    for item in branches.items:
        label = say("button.branch", number=item.number, name=item.name)
        builder.row(_button(label, "aud", f"pick.branch.{item.id}"))
    add_pager(
        builder, branches, lambda n: NewMasterclassCb(action="aud", value=f"loc.{local_id}.{n}")
    )
    builder.row(_button(t("common.back"), "aud", f"reg.{local.region_id}.1"))
    text = say(
        "ask.audience_local", name=html.escape(local.name), region=html.escape(local.region_name)
    )
    return text, builder.as_markup()


def audience_who(label: str) -> tuple[str, InlineKeyboardMarkup]:
    markup = InlineKeyboardMarkup(
        inline_keyboard=[
            [_button(say("button.who_all"), "aud", "who.all")],
            [_button(say("button.who_secretaries"), "aud", "who.sec")],
            [_button(t("common.back"), "aud", "root.1")],
        ]
    )
    return say("ask.audience_who", where=html.escape(label)), markup


async def place_label(session: AsyncSession, audience: ResolvedAudience) -> str:
    """The place of an audience in words, as the masterclass texts name it."""
    if audience.scope == Scope.REGION:
        name = await session.scalar(select(Region.name).where(Region.id == audience.region_id))
        return t("masterclasses.audience.region", name=name)
    if audience.scope == Scope.LOCAL_BRANCH:
        name = await session.scalar(
            select(LocalBranch.name).where(LocalBranch.id == audience.local_branch_id)
        )
        return t("masterclasses.audience.local_branch", name=name)
    if audience.scope == Scope.BRANCH:
        row = (
            await session.execute(
                select(Branch.number, Branch.name).where(Branch.id == audience.branch_id)
            )
        ).one()
        return t("masterclasses.audience.branch", name=f"{row.number} «{row.name}»")
    return t("masterclasses.audience.all")


def audience_label(place: str, scope: Scope, secretaries_only: bool) -> str:
    if not secretaries_only:
        return place
    if scope == Scope.ALL:
        return t("masterclasses.audience.secretaries_all")
    return t("masterclasses.audience.secretaries_of", where=place)
