"""The checks the sharing conversation runs on each answer: clear refusals with what the
text needs, photos or one document (never both, at most five), the categories of the
settings; a draft survives a round trip through FSM data."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.services.practices import draft as d
from bot.services.practices.errors import PracticeError
from bot.services.practices.rules import PracticeRules, categories
from bot.texts import t
from tests.practices.helpers import draft


def refusal(call, *args) -> PracticeError:  # type: ignore[no-untyped-def]
    with pytest.raises(PracticeError) as caught:
        call(*args)
    return caught.value


def test_a_title_of_the_wrong_length_is_refused_with_the_limits_and_its_length():
    short = refusal(d.validate_title, "  ТОС ")
    assert (short.code, short.params) == ("title_too_short", {"min": 5, "max": 200, "length": 3})
    long = refusal(d.validate_title, "а" * 201)
    assert long.code == "title_too_long"
    assert "201" in t(long.text_key, **long.params)
    assert d.validate_title(" ТОС  на\nбазе первички ") == "ТОС на базе первички"


def test_texts_without_a_letter_or_too_short_are_refused():
    assert refusal(d.validate_what_done, "1234567890 1234567890 !!!").code == "text_no_words"
    assert refusal(d.validate_what_done, "Сделали").code == "what_done_too_short"
    assert refusal(d.validate_result, "Ок").code == "result_too_short"
    assert refusal(d.validate_result, "а" * 1001).code == "result_too_long"
    assert d.validate_result("  Пришли 40 жителей\u202e ") == "Пришли 40 жителей"


def test_a_category_must_be_one_the_settings_offer():
    assert d.validate_category("grants") == "grants"
    assert refusal(d.validate_category, "housing").code == "category_unknown"
    rules = PracticeRules(categories=("tos", "gasification"))
    assert refusal(d.validate_category, "grants", rules).code == "category_unknown"
    assert categories(rules) == [("tos", "ТОС на базе первички"), ("gasification", "gasification")]


def test_the_categories_come_from_the_settings_with_their_russian_names():
    default = Settings(_env_file=None).practice_rules()
    assert [code for code, _ in categories(default)] == [
        "tos", "mentoring", "mandates", "youth", "volunteering", "grants", "media", "other",
    ]  # fmt: skip
    assert dict(categories(default))["media"] == "Информационная работа"
    chosen = Settings(_env_file=None, practice_categories="grants, tos,grants").practice_rules()
    assert chosen.categories == ("grants", "tos")


def test_five_photos_at_most_counting_every_album_sent():
    three = d.add_photos(draft(), ["p1", "p2", "p3"])
    five = d.add_photos(three, ["p4", "p5"])
    assert five.photos == ["p1", "p2", "p3", "p4", "p5"]
    error = refusal(d.add_photos, three, ["p4", "p5", "p6"])
    assert (error.code, error.params) == ("too_many_photos", {"max": 5, "given": 6})
    assert three.photos == ["p1", "p2", "p3"]  # nothing added by the refused album
    assert d.add_photos(three, ["p1"]).photos == ["p1", "p2", "p3"]  # the same photo once


def test_photos_or_one_document_never_both():
    with_photo = d.add_photos(draft(), ["p1"])
    assert refusal(d.set_document, with_photo, "doc1", "отчёт.pdf").code == "photo_and_document"
    with_document = d.set_document(draft(), "doc1", "отчёт.pdf")
    assert (with_document.document_file_id, with_document.document_name) == ("doc1", "отчёт.pdf")
    assert refusal(d.add_photos, with_document, ["p1"]).code == "photo_and_document"
    assert refusal(d.set_document, with_document, "doc2", "ещё.pdf").code == "one_document"
    cleared = d.without_attachments(with_document)
    assert d.add_photos(cleared, ["p1"]).photos == ["p1"]
    assert d.set_document(draft(), "doc1", None).document_name == "документ"


def test_the_whole_draft_is_checked_again_before_saving():
    assert refusal(draft(result=None).validated).params == {"field": "результат"}
    assert refusal(draft(photos=["p"], document_file_id="doc").validated).code == (
        "photo_and_document"
    )
    assert refusal(draft(category="forged").validated).code == "category_unknown"
    assert refusal(draft(photos=[f"p{i}" for i in range(6)]).validated).code == "too_many_photos"
    clean = draft(title="  ТОС на базе первички  ", contact_offer=True).validated()
    assert (clean.title, clean.contact_offer, clean.photos) == ("ТОС на базе первички", True, [])


def test_a_draft_survives_a_round_trip_through_fsm_data():
    original = d.add_photos(draft(contact_offer=True), ["p1", "p2"])
    assert d.PracticeDraft.from_dict(original.to_dict()) == original
    assert d.PracticeDraft.from_dict({"title": "x", "unknown": 1}) == d.PracticeDraft(title="x")
    assert d.PracticeDraft.from_dict(None) == d.PracticeDraft()
