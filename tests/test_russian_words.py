"""The project's one way of matching Russian words: Snowball stems."""

from __future__ import annotations

import pytest

from bot.services.russian_words import stem, words


@pytest.mark.parametrize(
    "forms",
    [
        ("двор", "дворе", "двора", "дворов"),
        ("освещение", "освещения", "освещении"),
        ("фонарь", "фонари", "фонарей"),
        ("грант", "грантов", "гранты"),
        ("подъезд", "подъезде", "подъездов"),
    ],
)
def test_the_forms_of_a_word_share_a_stem(forms):
    assert len({stem(w) for w in forms}) == 1


def test_different_words_keep_different_stems():
    # The old four-letter cut gave «подъ» to both.
    assert stem("подъезд") != stem("подъем")


def test_words_are_lower_case_with_numbers_kept_and_yo_read_as_ye():
    assert words("Ещё 2 ФОНАРЯ у дома №15!") == ["еще", "2", "фонаря", "у", "дома", "15"]
    assert stem("15") == "15"
