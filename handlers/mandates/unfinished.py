"""The mandate work a person can leave half-done, named for the line the menu and the lists
show under themselves (`handlers.replies.unfinished_work`): a draft being written, and a
text the staff (or the author) started for a mandate — a question, a reason, a comment.

Leaving for the menu or a list keeps both: the draft's questions and the text's prompt
stay where they were, and the next message answers them."""

from __future__ import annotations

import html
from typing import Any

from bot.texts import t
from handlers.replies import unfinished_work


def _draft(state: str, data: dict[str, Any]) -> str | None:
    if state.endswith(":category") and not (data.get("draft") or {}).get("category"):
        return None  # nothing answered yet: nothing to lose
    return t("mandate_submit.unfinished.draft")


def _work(state: str, data: dict[str, Any]) -> str | None:
    work = data.get("work") or {}
    if not work.get("number"):
        return None
    step = state.split(":", 1)[1]
    return t(
        "mandate_submit.unfinished.work",
        what=t(f"mandate_submit.unfinished.what.{step}"),
        number=html.escape(work["number"]),
    )


unfinished_work("MandateForm", _draft)
unfinished_work("MandateWork", _work)
