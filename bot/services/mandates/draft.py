"""A mandate being written, and the checks the submission flow runs on each answer.

Every check returns the cleaned value or raises `InvalidInput(code, **params)`; the flow
shows `t(f"errors.{code}", **params)` and asks the same question again. `MandateDraft`
round-trips through plain JSON (`to_dict` / `from_dict`) so it can live in FSM data.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass, field, replace
from enum import StrEnum
from typing import Any

import phonenumbers

from bot.services.errors import InvalidInput
from bot.texts import has, t

# The defaults of what settings decide (MANDATE_* in .env.example); see `MandateRules`.
CATEGORY_CODES: tuple[str, ...] = (
    "housing",
    "improvement",
    "roads",
    "education",
    "health",
    "social",
    "ecology",
    "safety",
    "culture",
    "other",
)
TEXT_MIN = 20
TEXT_MAX = 2000
ADDRESS_MAX = 500
MAX_PHOTOS = 5
MAX_VOICES = 3  # voice messages a mandate may carry, besides its photos
CAPTION_MAX = 1000  # Telegram's own limit for a caption is 1024
VOTER_NAME_MIN = 2
VOTER_NAME_MAX = 200
NOTE_MAX = 1000  # a comment, a question, an answer, a reason
AUTHORITY_MAX = 300

# Letters of any alphabet, spaces, hyphens, apostrophes and dots («Анна-Мария О'Нил Ж.»).
_NAME_RE = re.compile(r"^[^\W\d_]+(?:[ .'’\-]+[^\W\d_]+)*\.?$")


# Bidi embeddings, overrides and isolates reorder what follows them on the reader's screen
# (the other lines of a notice included), so they are dropped from every text people type.
_BIDI_CONTROLS = dict.fromkeys(map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"))


def _invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf"  # Cf: zero-width and the like


def visible(text: str) -> str:
    """`text` without bidi controls and with invisible characters (spaces, zero-width
    spaces and joiners, BOMs) trimmed from both ends: a text of only those is empty. Joiners
    inside stay, as emoji sequences and some scripts need them."""
    text = text.translate(_BIDI_CONTROLS)
    start, end = 0, len(text)
    while start < end and _invisible(text[start]):
        start += 1
    while end > start and _invisible(text[end - 1]):
        end -= 1
    return text[start:end]


@dataclass(frozen=True, slots=True)
class MandateRules:
    """What settings decide about mandates: the categories offered (codes; their names
    are `mandates.category.<code>` texts), the text limits, photos and the deadline."""

    categories: tuple[str, ...] = CATEGORY_CODES
    text_min: int = TEXT_MIN
    text_max: int = TEXT_MAX
    max_photos: int = MAX_PHOTOS
    sla_days: int = 3
    # Working days after the deadline a mandate without a first answer is escalated.
    escalate_days: int = 2


DEFAULT_RULES = MandateRules()


class OnBehalf(StrEnum):
    SELF = "self"
    VOTER = "voter"


def categories(rules: MandateRules = DEFAULT_RULES) -> list[tuple[str, str]]:
    """(code, Russian name) pairs in the order they are offered."""
    return [(code, category_name(code)) for code in rules.categories]


def category_name(code: str) -> str:
    """The Russian name; an unknown code (a category since removed) is shown as is."""
    key = f"mandates.category.{code}"
    return t(key) if has(key) else code


@dataclass(slots=True)
class MandateDraft:
    """What the member has answered so far. Fields are filled step by step."""

    category: str | None = None
    text: str | None = None
    address: str | None = None
    latitude: float | None = None
    longitude: float | None = None
    photos: list[str] = field(default_factory=list)  # Telegram file_ids, in order
    voices: list[str] = field(default_factory=list)  # voice messages' file_ids, in order
    captions: dict[str, str] = field(default_factory=dict)  # a photo's file_id -> its caption
    on_behalf: str = OnBehalf.SELF
    voter_name: str | None = None
    voter_phone: str | None = None  # E.164, only if the voter agreed to give it

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["on_behalf"] = str(self.on_behalf)  # a plain string in JSON, not the enum
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> MandateDraft:
        data = dict(data or {})
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        known["photos"] = list(known.get("photos") or [])
        known["voices"] = list(known.get("voices") or [])
        known["captions"] = dict(known.get("captions") or {})
        return cls(**known)

    def validated(self, rules: MandateRules = DEFAULT_RULES) -> MandateDraft:
        """The draft with every field checked and cleaned; the first problem raises."""
        if self.category is None:
            raise InvalidInput("mandate_category_unknown")
        if self.text is None:
            raise InvalidInput("mandate_text_too_short", min=rules.text_min, max=rules.text_max)
        on_behalf = validate_on_behalf(self.on_behalf)
        latitude, longitude = self.latitude, self.longitude
        if latitude is not None or longitude is not None:
            latitude, longitude = validate_location(latitude, longitude)
        voter_name = voter_phone = None
        if on_behalf == OnBehalf.VOTER:
            if not self.voter_name:
                raise InvalidInput("voter_name_invalid", min=VOTER_NAME_MIN, max=VOTER_NAME_MAX)
            voter_name = validate_voter_name(self.voter_name)
            voter_phone = normalize_phone(self.voter_phone) if self.voter_phone else None
        photos = validate_photos(self.photos, rules)
        captions = {
            file_id: cleaned
            for file_id, caption in self.captions.items()
            if file_id in photos and (cleaned := validate_caption(caption))
        }
        return replace(
            self,
            category=validate_category(self.category, rules),
            text=validate_text(self.text, rules),
            address=validate_address(self.address) if self.address else None,
            latitude=latitude,
            longitude=longitude,
            photos=photos,
            voices=validate_voices(self.voices),
            captions=captions,
            on_behalf=on_behalf,
            voter_name=voter_name,
            voter_phone=voter_phone,
        )


def validate_category(code: str, rules: MandateRules = DEFAULT_RULES) -> str:
    if code not in rules.categories:
        raise InvalidInput("mandate_category_unknown")
    return code


def validate_text(text: str, rules: MandateRules = DEFAULT_RULES) -> str:
    """The mandate's text, trimmed; between the rules' text_min and text_max characters.

    Errors: `mandate_text_too_short` / `mandate_text_too_long`, both with `min`, `max` and
    `length` (the length given); `mandate_text_no_words` for a text without a single letter
    (emoji only, digits only)."""
    cleaned = visible(text)
    limits = {"min": rules.text_min, "max": rules.text_max, "length": len(cleaned)}
    if len(cleaned) < rules.text_min:
        raise InvalidInput("mandate_text_too_short", **limits)
    if len(cleaned) > rules.text_max:
        raise InvalidInput("mandate_text_too_long", **limits)
    if not any(char.isalpha() for char in cleaned):
        raise InvalidInput("mandate_text_no_words")
    return cleaned


def validate_address(text: str) -> str:
    """An address typed as text. Errors: `mandate_address_empty`, `mandate_address_too_long`
    (with `max`)."""
    cleaned = " ".join(visible(text).split())
    if not cleaned:
        raise InvalidInput("mandate_address_empty")
    if len(cleaned) > ADDRESS_MAX:
        raise InvalidInput("mandate_address_too_long", max=ADDRESS_MAX)
    return cleaned


def validate_location(latitude: float | None, longitude: float | None) -> tuple[float, float]:
    """A shared Telegram location. Error: `mandate_location_invalid`."""
    if latitude is None or longitude is None:
        raise InvalidInput("mandate_location_invalid")
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise InvalidInput("mandate_location_invalid")
    return float(latitude), float(longitude)


def validate_photos(file_ids: list[str], rules: MandateRules = DEFAULT_RULES) -> list[str]:
    """Photos so far (an album is added as a whole, then checked). Error:
    `mandate_too_many_photos` with `max`. Repeated file_ids are kept once."""
    unique = list(dict.fromkeys(f for f in file_ids if f))
    if len(unique) > rules.max_photos:
        raise InvalidInput("mandate_too_many_photos", max=rules.max_photos)
    return unique


def validate_voices(file_ids: list[str]) -> list[str]:
    """Voice messages so far. Error: `mandate_too_many_voices` with `max`."""
    unique = list(dict.fromkeys(f for f in file_ids if f))
    if len(unique) > MAX_VOICES:
        raise InvalidInput("mandate_too_many_voices", max=MAX_VOICES)
    return unique


def validate_caption(text: str | None) -> str:
    """A photo's caption kept as its note: trimmed, cut to CAPTION_MAX; "" when blank."""
    cleaned = visible(text or "")
    return cleaned[:CAPTION_MAX]


def validate_on_behalf(value: str) -> OnBehalf:
    try:
        return OnBehalf(value)
    except ValueError:
        raise InvalidInput("mandate_on_behalf_invalid") from None


def validate_voter_name(raw: str) -> str:
    """The voter's name: letters with spaces, hyphens, apostrophes or dots, no digits.
    Error: `voter_name_invalid` with `min` and `max`."""
    cleaned = " ".join(visible(raw).split())
    if not (VOTER_NAME_MIN <= len(cleaned) <= VOTER_NAME_MAX) or not _NAME_RE.match(cleaned):
        raise InvalidInput("voter_name_invalid", min=VOTER_NAME_MIN, max=VOTER_NAME_MAX)
    return cleaned


def normalize_phone(raw: str) -> str:
    """A Russian (or international, with +) phone number in E.164, e.g. "+79181234567".
    Accepts "8 (918) 123-45-67", "+7 918 123 45 67", "9181234567". Error: `phone_invalid`."""
    try:
        number = phonenumbers.parse(raw, "RU")
    except phonenumbers.NumberParseException:
        raise InvalidInput("phone_invalid") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidInput("phone_invalid")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def validate_note(text: str, *, max_length: int = NOTE_MAX) -> str:
    """A comment, question, answer, reason or authority: not blank, not too long.
    Errors: `mandate_note_empty`, `mandate_note_too_long` with `max`."""
    cleaned = visible(text)
    if not cleaned:
        raise InvalidInput("mandate_note_empty")
    if len(cleaned) > max_length:
        raise InvalidInput("mandate_note_too_long", max=max_length)
    return cleaned
