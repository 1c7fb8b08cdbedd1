"""CallbackData factories: the only way buttons carry data. Prefixes are persisted in
messages people still have, so renaming one breaks old buttons."""

from __future__ import annotations

from aiogram.filters.callback_data import CallbackData


class ConsentCb(CallbackData, prefix="cs"):
    accept: bool


class PickCb(CallbackData, prefix="pk"):
    """One step of the region → local branch → primary branch picker.

    purpose: "join" (a member picks their branch) or "inv" (an admin picks for an invite).
    level: "reg", "loc", "br" for a choice; "regp", "locp", "brp" for a page; "back"; "done".
    """

    purpose: str
    level: str
    id: int = 0
    page: int = 1  # from 1; old buttons carry 0-based pages, clamped when shown


class AdminCb(CallbackData, prefix="adm"):
    action: str  # "csv", "invite", "role"
    role: str = ""  # with "role": member, secretary or curator


# --- mandates ----------------------------------------------------------------------------
# `md` and `mdr` are also produced by bot/services/mandates/notices.py for buttons in
# notices sent through the outbox: keep these two factories in step with it.


class MandateCb(CallbackData, prefix="md"):
    """An action on one mandate: open, accept, ask, answer, resolve, reject, forward,
    comment, support, history…"""

    action: str
    id: int


class MandateRateCb(CallbackData, prefix="mdr"):
    id: int
    score: int  # 1–5, or 0 for «Нет»


class MandateListCb(CallbackData, prefix="ml"):
    """A page of a mandate list. view: "my" (author), "inbox" (secretary), "cur" (curator
    and admin, with optional branch and status filters)."""

    view: str
    page: int = 1
    branch: int = 0
    status: str = ""


class SubmitCb(CallbackData, prefix="ms"):
    """A step of the submission flow: action "cat" (value: category code), "skip",
    "behalf" (value: self|voter), "send", "edit" (value: field), "cancel", "similar"
    (value: mandate id to support, or "new")."""

    action: str
    value: str = ""


class ExportCb(CallbackData, prefix="ex"):
    period: str  # "week", "month", "quarter", "year", "all"
