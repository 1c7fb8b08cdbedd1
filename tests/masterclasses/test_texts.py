"""Every refusal the masterclass services can give has its Russian text, and a video
material becomes a sendVideo."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import bot.services.masterclasses as package
from bot.delivery.requests import request_for
from bot.services.masterclasses.errors import MasterclassError
from bot.services.outbox import Notice
from bot.texts import has, t


def test_every_code_raised_has_a_text_and_its_placeholders_are_given():
    raised: set[str] = set()
    for source in Path(package.__file__).parent.glob("*.py"):
        raised |= set(re.findall(r'MasterclassError\(\s*"([a-z_]+)"', source.read_text()))
    assert len(raised) > 30
    missing = {code for code in raised if not has(MasterclassError(code).text_key)}
    assert missing == set()
    assert "1000" in t(MasterclassError("link_too_long").text_key, max=1000)


def test_a_video_notice_is_sent_as_a_video():
    row = Notice(7, "Запись мастер-класса", video="BAACAgIAAxkBAAIB").to_row(
        datetime(2026, 11, 23, tzinfo=UTC)
    )
    request = request_for(row)
    assert type(request).__name__ == "SendVideo"
    assert (request.video, request.caption) == ("BAACAgIAAxkBAAIB", "Запись мастер-класса")


def test_the_dispatcher_runs_every_masterclass_kind(dp):
    from bot.services.masterclasses import schedule

    kinds = (*schedule.PERSONAL_KINDS, *schedule.EVENT_KINDS)
    assert all(kind in dp["due_work"] for kind in kinds)
