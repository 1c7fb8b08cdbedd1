"""A practice being written, and the checks the sharing conversation runs on each answer.

Every check returns the cleaned value (or a new draft) or raises
`PracticeError(code, **params)`; the chat shows `t(error.text_key, **error.params)` and
asks the same question again. `PracticeDraft` round-trips through plain JSON
(`to_dict` / `from_dict`), so it lives in FSM data and survives a restart.

Attachments are photos (up to `rules.max_photos`, an album added at once) or one
document, never both: a card is sent either as an album or as a file.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from bot.services.mandates.draft import visible
from bot.services.practices.errors import PracticeError
from bot.services.practices.rules import (
    DEFAULT_RULES,
    RESULT_MAX,
    RESULT_MIN,
    TITLE_MAX,
    TITLE_MIN,
    WHAT_DONE_MAX,
    WHAT_DONE_MIN,
    PracticeRules,
)
from bot.texts import t

DOCUMENT_NAME_MAX = 256  # the column's length; Telegram's own names are shorter


@dataclass(slots=True)
class PracticeDraft:
    """What the author has answered so far; fields are filled step by step."""

    title: str | None = None
    category: str | None = None
    what_done: str | None = None
    result: str | None = None
    photos: list[str] = field(default_factory=list)  # Telegram file_ids, in order
    document_file_id: str | None = None
    document_name: str | None = None
    contact_offer: bool = False

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> PracticeDraft:
        data = dict(data or {})
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["photos"] = list(known.get("photos") or [])
        known["contact_offer"] = bool(known.get("contact_offer"))
        return cls(**known)

    def validated(self, rules: PracticeRules = DEFAULT_RULES) -> ValidPractice:
        """Every field checked and cleaned, as saving needs it: the server checks again
        whatever the conversation let through. The first problem raises; a missing
        answer is `draft_incomplete` with `field` (its Russian name)."""
        title = _required(self.title, "title")
        category = _required(self.category, "category")
        what_done = _required(self.what_done, "what_done")
        result = _required(self.result, "result")
        if self.photos and self.document_file_id:
            raise PracticeError("photo_and_document")
        return ValidPractice(
            title=validate_title(title),
            category=validate_category(category, rules),
            what_done=validate_what_done(what_done),
            result=validate_result(result),
            photos=validate_photos(self.photos, rules),
            document_file_id=self.document_file_id or None,
            document_name=(
                validate_document_name(self.document_name) if self.document_file_id else None
            ),
            contact_offer=bool(self.contact_offer),
        )


@dataclass(frozen=True, slots=True)
class ValidPractice:
    """A complete draft, checked: what `sharing` saves."""

    title: str
    category: str
    what_done: str
    result: str
    photos: list[str]
    document_file_id: str | None
    document_name: str | None
    contact_offer: bool


def _required(value: str | None, name: str) -> str:
    if value is None:
        raise PracticeError("draft_incomplete", field=t(f"practices.field.{name}"))
    return value


def _text(text: str, code: str, low: int, high: int) -> str:
    """Trimmed and within [low, high]; `<code>_too_short` / `<code>_too_long` with `min`,
    `max` and `length`; `text_no_words` when there is not a letter in it."""
    cleaned = visible(text)
    limits = {"min": low, "max": high, "length": len(cleaned)}
    if len(cleaned) < low:
        raise PracticeError(f"{code}_too_short", **limits)
    if len(cleaned) > high:
        raise PracticeError(f"{code}_too_long", **limits)
    if not any(char.isalpha() for char in cleaned):
        raise PracticeError("text_no_words")
    return cleaned


def validate_title(text: str) -> str:
    """One line: inner runs of spaces and line breaks become one space."""
    return _text(" ".join(visible(text).split()), "title", TITLE_MIN, TITLE_MAX)


def validate_what_done(text: str) -> str:
    return _text(text, "what_done", WHAT_DONE_MIN, WHAT_DONE_MAX)


def validate_result(text: str) -> str:
    return _text(text, "result", RESULT_MIN, RESULT_MAX)


def validate_category(code: str, rules: PracticeRules = DEFAULT_RULES) -> str:
    """A code offered by the settings (a forged or removed one is refused)."""
    if code not in rules.categories:
        raise PracticeError("category_unknown")
    return code


def validate_photos(file_ids: list[str], rules: PracticeRules = DEFAULT_RULES) -> list[str]:
    """Repeated file_ids are kept once. Error: `too_many_photos` with `max`, `given`."""
    unique = list(dict.fromkeys(f for f in file_ids if f))
    if len(unique) > rules.max_photos:
        raise PracticeError("too_many_photos", max=rules.max_photos, given=len(unique))
    return unique


def validate_document_name(name: str | None) -> str:
    """A document sent without a name is called «документ» on the card."""
    cleaned = visible(name or "") or "документ"
    if len(cleaned) > DOCUMENT_NAME_MAX:
        raise PracticeError("document_name_too_long", max=DOCUMENT_NAME_MAX)
    return cleaned


def add_photos(
    draft: PracticeDraft, file_ids: list[str], rules: PracticeRules = DEFAULT_RULES
) -> PracticeDraft:
    """The draft with one more answer of photos (a single photo or a whole album).
    Errors: `photo_and_document` when a document is attached already; `too_many_photos`
    (with `max`, `given`: the count it would make) — nothing is added then."""
    if draft.document_file_id:
        raise PracticeError("photo_and_document")
    return replace(draft, photos=validate_photos([*draft.photos, *file_ids], rules))


def set_document(draft: PracticeDraft, file_id: str, name: str | None) -> PracticeDraft:
    """The draft with its one document. Errors: `photo_and_document` when photos are
    attached already; `one_document` when a document is (remove it first)."""
    if draft.photos:
        raise PracticeError("photo_and_document")
    if draft.document_file_id:
        raise PracticeError("one_document")
    return replace(draft, document_file_id=file_id, document_name=validate_document_name(name))


def without_attachments(draft: PracticeDraft) -> PracticeDraft:
    """«Заменить вложения» on the summary: photos and document gone, to be sent anew."""
    return replace(draft, photos=[], document_file_id=None, document_name=None)
