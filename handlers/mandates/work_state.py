"""A text being written for a mandate (a question, a reason, a comment, an answer): the
states that wait for it, what the FSM data keeps meanwhile, and leaving it."""

from __future__ import annotations

from aiogram.fsm.context import FSMContext
from aiogram.fsm.state import State, StatesGroup

from bot.services.mandates.draft import AUTHORITY_MAX, NOTE_MAX

REMEMBERED_LIST = "mandate_list"  # FSM data: the list «К списку» returns to


WORK = "work"  # FSM data: the mandate a text is being written for


class MandateWork(StatesGroup):
    """A text being written for a mandate. State names are persisted: rename with care."""

    question = State()  # the secretary's question to the author
    authority = State()  # forwarding: to which authority
    forward_note = State()  # forwarding: an optional comment for the author
    resolution = State()  # resolving: what was done
    reason = State()  # rejecting: why
    comment = State()  # the curator's (or admin's) remark
    answer = State()  # the author's answer to a question


# The actions that need a text first: the state that waits for it and its limit.
TEXT_ACTIONS: dict[str, tuple[State, int]] = {
    "ask": (MandateWork.question, NOTE_MAX),
    "forward": (MandateWork.authority, AUTHORITY_MAX),
    "resolve": (MandateWork.resolution, NOTE_MAX),
    "reject": (MandateWork.reason, NOTE_MAX),
    "comment": (MandateWork.comment, NOTE_MAX),
    "answer": (MandateWork.answer, NOTE_MAX),
}


ACTION_OF_STATE = {state.state: action for action, (state, _) in TEXT_ACTIONS.items()}
ACTION_OF_STATE[MandateWork.forward_note.state] = "forward_note"


async def leave_work(state: FSMContext) -> None:
    """Drop a text being written here (a list or the menu was asked for instead), keeping
    the remembered list."""
    current = await state.get_state()
    if current in ACTION_OF_STATE:
        await state.set_state(None)
        await state.update_data({WORK: None})
