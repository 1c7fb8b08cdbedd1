"""The draft's checks: text limits, phone numbers, voter names, photos, categories, and a
draft through JSON."""

from __future__ import annotations

import json

import pytest

from bot.services.errors import DomainError, InvalidInput
from bot.services.mandates import decisions
from bot.services.mandates.draft import (
    MAX_PHOTOS,
    TEXT_MAX,
    TEXT_MIN,
    MandateDraft,
    categories,
    normalize_phone,
    validate_address,
    validate_note,
    validate_photos,
    validate_text,
    validate_voter_name,
)
from tests.mandates.helpers import TEXT, act, events, get_mandate, outbox, submit

# --- the draft's checks --------------------------------------------------------------------


async def test_text_limits_are_named_in_the_error() -> None:
    assert validate_text("  " + "а" * TEXT_MIN + "  ") == "а" * TEXT_MIN
    with pytest.raises(InvalidInput) as short:
        validate_text("Яма")
    assert short.value.code == "mandate_text_too_short"
    assert short.value.params == {"min": TEXT_MIN, "max": TEXT_MAX, "length": 3}
    with pytest.raises(InvalidInput) as long:
        validate_text("а" * (TEXT_MAX + 1))
    assert (long.value.code, long.value.params["max"]) == ("mandate_text_too_long", TEXT_MAX)


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("8 (918) 123-45-67", "+79181234567"),
        ("+7 918 123 45 67", "+79181234567"),
        ("9181234567", "+79181234567"),
        ("+375 29 123-45-67", "+375291234567"),  # a Belarusian number with its code
    ],
)
async def test_phone_is_normalised_to_e164(raw: str, e164: str) -> None:
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["123", "позвоните мне", "+7 918 123", "8 800 000 00 00 00"])
async def test_a_wrong_phone_is_refused(raw: str) -> None:
    with pytest.raises(InvalidInput) as error:
        normalize_phone(raw)
    assert error.value.code == "phone_invalid"


async def test_voter_name() -> None:
    assert validate_voter_name("  Мария   Ивановна  ") == "Мария Ивановна"
    assert validate_voter_name("Анна-Мария О'Нил") == "Анна-Мария О'Нил"
    for bad in ["", "А", "Иван 2", "!!!", "a" * 201]:
        with pytest.raises(InvalidInput) as error:
            validate_voter_name(bad)
        assert error.value.code == "voter_name_invalid"


async def test_photos_limit_and_categories() -> None:
    assert validate_photos(["a", "b", "a"]) == ["a", "b"]
    with pytest.raises(InvalidInput) as error:
        validate_photos([str(i) for i in range(MAX_PHOTOS + 1)])
    assert error.value.params == {"max": MAX_PHOTOS}
    names = dict(categories())
    assert names["housing"] == "ЖКХ"
    assert names["other"] == "Другое"
    assert len(names) == 10


async def test_draft_survives_json_and_validates_a_voters_mandate() -> None:
    original = MandateDraft(
        category="roads",
        text=TEXT,
        latitude=45.03,
        longitude=38.97,
        photos=["p1", "p2"],
        on_behalf="voter",
        voter_name=" Пётр  Петров ",
        voter_phone="8 918 123-45-67",
    )
    restored = MandateDraft.from_dict(json.loads(json.dumps(original.to_dict())))
    assert restored == original
    clean = restored.validated()
    assert (clean.voter_name, clean.voter_phone) == ("Пётр Петров", "+79181234567")
    with pytest.raises(InvalidInput) as error:
        MandateDraft(category="roads", text=TEXT, on_behalf="voter").validated()
    assert error.value.code == "voter_name_invalid"


@pytest.mark.parametrize(
    ("setup", "refused"),
    [
        (["accept"], "accept"),  # a double tap on «Принять»
        (["reject"], "resolve"),  # resolving a rejected one
        ([], "resolve"),  # resolving one nobody accepted
        (["accept", "resolve"], "reject"),
        (["accept", "resolve"], "ask"),
        (["ask"], "ask"),
        (["accept", "forward"], "forward"),
    ],
)
async def test_a_change_not_allowed_is_refused_and_changes_nothing(
    database, world, clock, setup: list[str], refused: str
) -> None:
    calls = {
        "accept": (decisions.accept_mandate, ()),
        "resolve": (decisions.resolve_mandate, ("Сделано",)),
        "reject": (decisions.reject_mandate, ("Причина",)),
        "ask": (decisions.ask_clarification, ("Какой подъезд?",)),
        "forward": (decisions.forward_mandate, ("Администрация",)),
    }
    mandate = await submit(database, world.author, clock.now())
    for step in setup:
        fn, args = calls[step]
        await act(database, fn, world.secretary, mandate.id, *args, clock.now())
    before = await get_mandate(database, mandate.id)
    history, sent = await events(database, mandate.id), await outbox(database)
    clock.advance(minutes=1)

    fn, args = calls[refused]
    with pytest.raises(DomainError) as error:
        await act(database, fn, world.secretary, mandate.id, *args, clock.now())

    assert error.value.code == "transition_not_allowed"
    assert error.value.params["number"] == "20-03/2026/0001"
    after = await get_mandate(database, mandate.id)
    assert (after.status, after.updated_at) == (before.status, before.updated_at)
    assert len(await events(database, mandate.id)) == len(history)
    assert len(await outbox(database)) == len(sent)


@pytest.mark.parametrize(
    "text",
    [
        "\u200b" * 30,  # zero-width spaces only
        "\ufeff\u2060\u200c\u200d" * 10,  # a BOM, word joiners, zero-width (non-)joiners
        " \u200b \u00a0\u200b " * 10,  # mixed with spaces
    ],
)
def test_an_invisible_text_is_too_short(text):
    with pytest.raises(InvalidInput) as error:
        validate_text(text)
    assert error.value.code == "mandate_text_too_short"
    assert error.value.params["length"] == 0


def test_a_text_without_a_word_is_refused():
    with pytest.raises(InvalidInput) as error:
        validate_text("👨‍👩‍👧‍👦" * 10 + "1234567890")
    assert error.value.code == "mandate_text_no_words"


def test_bidi_controls_are_dropped_and_joiners_inside_kept():
    text = "\u202eНе горит фонарь\u202c у дома 5 👨‍👩‍👧 \u2067ул. Мира\u2069\u200b"
    assert validate_text(text) == "Не горит фонарь у дома 5 👨‍👩‍👧 ул. Мира"
    with pytest.raises(InvalidInput):
        validate_note("\u200b\u202e\u2060")
    with pytest.raises(InvalidInput):
        validate_address("\u200b \u200b")
