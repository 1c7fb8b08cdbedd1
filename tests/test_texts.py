"""Shared text helpers (bot/texts.py)."""

from bot.texts import shorten


def test_a_long_line_is_cut_after_a_whole_word():
    assert shorten("Как вести приём наказов", 40) == "Как вести приём наказов"
    assert shorten("Как вести приём наказов избирателей", 20) == "Как вести приём…"
    assert shorten("Как вести, приём", 12) == "Как вести…"
    assert shorten("Наказыизбирателейвсегда", 10) == "Наказыизб…"
