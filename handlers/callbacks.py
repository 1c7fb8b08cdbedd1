"""CallbackData factories: the only way buttons carry data. Prefixes are persisted in
messages people still have, so renaming one breaks old buttons."""

from __future__ import annotations

from typing import Annotated, Literal

from aiogram.filters.callback_data import CallbackData
from pydantic import Field

# Every field is checked on the way in: a press with data out of range or of the wrong type
# (forged, or from a button of an older version) fails to unpack, so aiogram's filter does
# not match and the press reaches the stale-button answer (handlers/fallback.py) instead of
# the database — a number beyond the column's range would overflow there.
INT32_MAX = 2**31 - 1  # table ids are `Integer` columns: int32 on PostgreSQL
MAX_PAGE = 100_000  # far beyond any list; a bigger page is forged

TableId = Annotated[int, Field(ge=1, le=INT32_MAX)]
OptionalTableId = Annotated[int, Field(ge=0, le=INT32_MAX)]  # 0: none (e.g. all branches)
PageNumber = Annotated[int, Field(ge=1, le=MAX_PAGE)]
OldPageNumber = Annotated[int, Field(ge=0, le=MAX_PAGE)]  # the picker's old buttons count from 0


class ConsentCb(CallbackData, prefix="cs"):
    accept: bool


class WithdrawCb(CallbackData, prefix="csw"):
    """The answer to «Отозвать согласие?»: withdraw (True) or keep it (False)."""

    confirm: bool


class PickCb(CallbackData, prefix="pk"):
    """One step of the region → local branch → primary branch picker.

    purpose: "join" (a member picks their branch), "inv" (an admin picks for an invite),
    "mnd" (a mandate's branch), "dut" (whom a duty is for: a region, local branch or branch).
    level: "reg", "loc", "br" for a choice; "regp", "locp", "brp" for a page; "back"; "done".
    """

    purpose: Literal["join", "inv", "mnd", "dut"]
    level: Literal["reg", "loc", "br", "regp", "locp", "brp", "back", "done"]
    id: OptionalTableId = 0
    page: OldPageNumber = 1  # from 1; old buttons carry 0-based pages, clamped when shown


class AdminCb(CallbackData, prefix="adm"):
    action: Literal["csv", "template", "invite", "role"]
    role: Literal["", "member", "secretary", "curator"] = ""  # with "role"


# --- mandates ----------------------------------------------------------------------------
# `md` and `mdr` are also produced by bot/services/mandates/notices.py for buttons in
# notices sent through the outbox: keep these two factories in step with it.


MandateAction = Literal[
    "open",
    "menu",
    "accept",
    "ask",
    "forward",
    "resolve",
    "reject",
    "comment",
    "answer",
    "rate",
    "fwd_skip",
]


class MandateCb(CallbackData, prefix="md"):
    """An action on one mandate: open, accept, ask, answer, resolve, reject, forward,
    comment, support, history…"""

    action: MandateAction
    id: OptionalTableId  # 0 with "menu" from a list


class MandateRateCb(CallbackData, prefix="mdr"):
    id: TableId
    score: Annotated[int, Field(ge=0, le=5)]  # 1–5, or 0 for «Нет»


# "" (any status) or a `MandateStatus`.
StatusFilter = Literal["", "new", "accepted", "clarification", "forwarded", "resolved", "rejected"]


class MandateListCb(CallbackData, prefix="ml"):
    """A page of a mandate list. view: "my" (author), "inbox" (secretary), "cur" (curator
    and admin, with optional branch and status filters)."""

    view: Literal["my", "inbox", "cur", "inbox_b", "cur_b", "cur_s", "inbox_s"]
    page: PageNumber = 1
    branch: OptionalTableId = 0
    status: StatusFilter = ""


class SubmitCb(CallbackData, prefix="ms"):
    """A step of the submission flow: action "cat" (value: category code), "skip",
    "behalf" (value: self|voter), "send", "edit" (value: field), "cancel", "similar"
    (value: mandate id to support, or "new"), "draft" (a draft left midway: value "resume",
    "new" — delete it and start again — or "drop")."""

    action: Literal["cat", "skip", "behalf", "send", "edit", "cancel", "similar", "draft"]
    # An open set (category codes come from settings): each handler checks it against
    # what it offered; "similar" turns it into an id only when it is one it offered.
    value: str = ""


class AuthorCb(CallbackData, prefix="ma"):
    """The author's side after sending: "to" sends the answer just typed to the question of
    mandate `id` (several were open); "keep" drops that typed answer; "no_words" leaves a
    low rating without words on what went wrong."""

    action: Literal["to", "keep", "no_words"]
    id: OptionalTableId = 0


class ExportCb(CallbackData, prefix="ex"):
    # "week", "month", "quarter", "year", "all": checked by the handler, which tells
    # an unknown period apart from a stale button.
    period: str


# --- masterclasses -----------------------------------------------------------------------
# `mc` and `mcr` are also produced by bot/services/masterclasses/notices.py for buttons in
# notices sent through the outbox: keep these two factories in step with it.


class MasterclassCb(CallbackData, prefix="mc"):
    """A person's action on one masterclass: "open" its card, "reg" register (or join the
    waiting list), "unreg" cancel the registration, "ics" the current calendar file,
    "come" / "decline" the day-before answer, "checkin" ask for the room's code."""

    action: Literal["open", "reg", "unreg", "ics", "come", "decline", "checkin"]
    id: TableId


class MasterclassRateCb(CallbackData, prefix="mcr"):
    id: TableId
    score: Annotated[int, Field(ge=1, le=5)]


class MasterclassListCb(CallbackData, prefix="mcl"):
    """A page of a masterclass list: "up" upcoming for me, "my" my registrations,
    "org" the organiser's own upcoming, "past" theirs that are over."""

    view: Literal["up", "my", "org", "past"]
    page: PageNumber = 1


class OrganiserCb(CallbackData, prefix="mco"):
    """The organiser's action on one of their masterclasses, with a page for the people
    list: "card"; "edit" (which field), "edit.<field>" its question, "edit.nocap" /
    "edit.asstart" its buttons; "drop" (cancel: the reason), "drop.yes"; "write" (a
    message to all), "write.send"; "files" (materials), "files.send" — `manage`; "people",
    "code", "feedback" — `attend`."""

    action: str  # an open set: each handler checks it
    id: TableId
    page: PageNumber = 1


class NewMasterclassCb(CallbackData, prefix="mcn"):
    """A step of `/new_masterclass`: "new" (the organiser menu's button: start it), "aud"
    (value: an audience screen or choice, see handlers/masterclasses/create_form.py),
    "cap" (value "none": no seat limit), "skip" (value "deadline": as the start),
    "publish", "announce" (value: yes|no), "edit" (value: field, "" to pick one, "back"),
    "cancel"."""

    action: Literal["new", "aud", "skip", "publish", "announce", "edit", "cancel", "cap"]
    value: str = ""


class AttendCb(CallbackData, prefix="mca"):
    """Attendance (handlers/masterclasses/attend.py): "tick" / "untick" a seated person on
    the organiser's list (id: their registration, page: the list's page to redraw),
    "xlsx" the list as a file (id: the masterclass), "skip" the comment after a rating
    (id: the masterclass)."""

    action: Literal["tick", "untick", "xlsx", "skip"]
    id: TableId
    page: PageNumber = 1


# --- best practices ----------------------------------------------------------------------
# `pr` and `prf` are also produced by bot/services/practices/notices.py for buttons in
# notices sent through the outbox: keep these two factories in step with it.


class PracticeCb(CallbackData, prefix="pr"):
    """One practice: "open" its card, "pub" / "ret" a moderator's decision, "edit" its
    author's «Исправить и отправить снова», "like", "adopt", "contact", "photos" (send
    its photos or document)."""

    action: str  # an open set: each handler of handlers/practices/ checks it
    id: TableId


class PracticeFollowupCb(CallbackData, prefix="prf"):
    """The answer to «Получилось?» four weeks after adopting (id: the adoption)."""

    id: TableId
    outcome: Literal["yes", "no", "trying"]


class PracticeListCb(CallbackData, prefix="prl"):
    """A page of a practice list: "new" newest, "useful" most useful, "cat" one category
    (`category`: its code), "cats" the categories, "find" the last search (its words are
    in FSM data), "mine" my own, "mod" waiting for moderation."""

    view: Literal["new", "useful", "cat", "cats", "find", "mine", "mod"]
    category: str = ""
    page: PageNumber = 1


class PracticeOpenCb(CallbackData, prefix="pro"):
    """A practice's card opened from a page of a list (a `PracticeListCb` view), so that
    its «⬅️ К списку» goes back to that page. A new prefix: the `pr:` buttons already in
    chats (and the services' notices, which write them by hand) keep their two fields."""

    id: TableId
    view: Literal["new", "useful", "cat", "find", "mine", "mod"]
    page: PageNumber = 1
    category: str = ""

    def back(self) -> PracticeListCb:
        return PracticeListCb(view=self.view, category=self.category, page=self.page)


class ShareCb(CallbackData, prefix="psh"):
    """A step of sharing a practice (handlers/practices/share.py): "new", "cat" (value: a
    category code), "skip" / "done" the attachments, "drop" them, "contact" (value:
    yes|no), "send", "edit" (value: a field, "" to pick one, "back"), "cancel"."""

    action: Literal["new", "cat", "skip", "done", "drop", "contact", "send", "edit", "cancel"]
    value: str = ""


# --- best practices: the catalogue's own screens -----------------------------------------


class PracticeMenuCb(CallbackData, prefix="prm"):
    """The catalogue's buttons that are not one practice nor a list's page
    (handlers/practices/): "home" the `/practices` screen, "find" ask for a search's
    words, "cancel" drop the question asked (the words, a message to an author),
    "skip" the comment after «Получилось?» (id: the adoption)."""

    action: Literal["home", "find", "cancel", "skip"]
    id: OptionalTableId = 0


class DutyCb(CallbackData, prefix="dt"):
    """A recipient's answer to a duty's reminder (bot/services/duties/delivery.py packs the
    same strings): "done" «✅ Сделано», "snooze" «⏰ Напомнить завтра»; id: the occurrence."""

    action: Literal["done", "snooze"]
    id: TableId


class DutyAdminCb(CallbackData, prefix="dta"):
    """The admin's /duties: "list" the duties, "open" one's card, "pause", "resume",
    "delete" (asks first), "delete_yes", "xlsx" its completion, "edit" (what to change:)
    "edit_text", "edit_when", "edit_whom"; id: the duty (0: none)."""

    action: Literal[
        "list",
        "open",
        "pause",
        "resume",
        "delete",
        "delete_yes",
        "xlsx",
        "edit",
        "edit_text",
        "edit_when",
        "edit_whom",
    ]
    id: OptionalTableId = 0


class DutyNewCb(CallbackData, prefix="dtn"):
    """A new duty, or a change of one, step by step (handlers/duties_create.py): "new"
    start, "role", "scope" (all, region, local_branch, branch; the unit is then picked with
    PickCb purpose "dut"), "kind" the answer chosen (value), "save" or "cancel"."""

    step: Literal["new", "role", "scope", "kind", "save", "cancel"]
    value: Literal[
        "",
        "secretary",
        "curator",
        "all",
        "region",
        "local_branch",
        "branch",
        "monthly",
        "weekly",
        "once",
    ] = ""


class SettingsCb(CallbackData, prefix="st"):
    """/settings: `toggle` a `kind` of reminder; ask the `quiet` hours; the digest's `day`
    buttons, a `pick` of `day` (0 Monday … 6 Sunday), `off`; `back` to the settings."""

    action: Literal["toggle", "quiet", "day", "pick", "off", "back"]
    kind: Literal["", "morning", "escalation", "masterclass", "digest"] = ""
    day: int = 0
