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
    page: int = 0


class AdminCb(CallbackData, prefix="adm"):
    action: str  # "csv", "invite", "role"
    role: str = ""  # with "role": member, secretary or curator
