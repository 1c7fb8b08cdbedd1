"""The messages practice changes owe people, as outbox `Notice`s, and the callback data
their buttons carry.

Callback data, for the chat flows to parse (`PracticeCb(prefix="pr", action, id)` and
`PracticeFollowupCb(prefix="prf", id, outcome)`):

- `pr:open:<id>`    the practice's card (`queries.practice_card`);
- `pr:pub:<id>`     «Опубликовать» (`moderation.publish`);
- `pr:ret:<id>`     «Вернуть на доработку»: ask the moderator for the comment, then
                    `moderation.return_for_rework`;
- `pr:edit:<id>`    «Исправить и отправить снова» to the author of a returned one
                    (`sharing.resubmit_practice`);
- `pr:like:<id>`, `pr:adopt:<id>`, `pr:contact:<id>`: the card's own buttons (the chat
                    builds the card; `reactions`, `contact`);
- `prf:<adoption id>:<outcome>`  the answer to «Получилось?»: yes, no or trying
                    (`reactions.answer_followup`).

The prefixes live in sent messages: never rename them. Every value typed by a person is
escaped here; the author's name is never put in a notice to others.
"""

from __future__ import annotations

import html

from bot.services.outbox import Button, Notice
from bot.services.practices.records import Origin
from bot.services.practices.rules import category_name
from bot.texts import plural, t
from storage.models import Practice

PRACTICE_CB = "pr"
FOLLOWUP_CB = "prf"
OUTCOMES = ("yes", "no", "trying")


def practice_cb(action: str, practice_id: int) -> str:
    return f"{PRACTICE_CB}:{action}:{practice_id}"


def followup_cb(adoption_id: int, outcome: str) -> str:
    return f"{FOLLOWUP_CB}:{adoption_id}:{outcome}"


def title_of(practice: Practice) -> str:
    return html.escape(practice.title)


def origin_line(origin: Origin) -> str:
    """«ПО № 20-03 — первый Береговой округ, Краснодарский край»."""
    return t(
        "practices.notice.origin",
        number=html.escape(origin.branch_number),
        name=html.escape(origin.branch_name),
        region=html.escape(origin.region_name),
    )


def _open(practice_id: int) -> list[Button]:
    return [Button(t("practices.button.open"), practice_cb("open", practice_id))]


def attachments_line(photos: int, document_name: str | None) -> str:
    if document_name:
        return t("practices.notice.document_line", name=html.escape(document_name))
    if photos:
        return t("practices.notice.photos_line", photos=plural(photos, "practices.plural.photo"))
    return ""


def for_moderation(
    chat_id: int,
    practice: Practice,
    origin: Origin,
    photos: int,
    *,
    again: bool = False,
) -> Notice:
    """The whole practice with «Опубликовать» / «Вернуть на доработку»; `again`: sent
    again after a return (the last comment is shown, so what was asked can be checked)."""
    key = "practices.notice.moderation_again" if again else "practices.notice.moderation"
    comment = ""
    if again and practice.return_comment:
        comment = t("practices.notice.last_comment", comment=html.escape(practice.return_comment))
    text = t(
        key,
        title=title_of(practice),
        category=html.escape(category_name(practice.category)),
        origin=origin_line(origin),
        what_done=html.escape(practice.what_done),
        result=html.escape(practice.result),
        attachments=attachments_line(photos, practice.document_name),
        comment=comment,
    )
    return Notice(
        chat_id,
        text.strip(),
        [
            [
                Button(t("practices.button.publish"), practice_cb("pub", practice.id)),
                Button(t("practices.button.return"), practice_cb("ret", practice.id)),
            ],
            _open(practice.id),
        ],
    )


def received(chat_id: int, practice: Practice, *, again: bool = False) -> Notice:
    """To the author, who just pressed «Отправить»: not held for quiet hours."""
    key = "practices.notice.received_again" if again else "practices.notice.received"
    return Notice(chat_id, t(key, title=title_of(practice)), [_open(practice.id)], quiet=False)


def published(chat_id: int, practice: Practice) -> Notice:
    return Notice(
        chat_id, t("practices.notice.published", title=title_of(practice)), [_open(practice.id)]
    )


def returned(chat_id: int, practice: Practice, comment: str) -> Notice:
    return Notice(
        chat_id,
        t("practices.notice.returned", title=title_of(practice), comment=html.escape(comment)),
        [[Button(t("practices.button.edit"), practice_cb("edit", practice.id))]],
    )


def adopted(chat_id: int, practice: Practice, origin: Origin, count: int) -> Notice:
    """«Вашу практику взяли в работу N отделений» with the one that just did."""
    return Notice(
        chat_id,
        t(
            "practices.notice.adopted",
            title=title_of(practice),
            branches=plural(count, "plural.branch"),
            origin=origin_line(origin),
        ),
        [_open(practice.id)],
    )


def followup(chat_id: int, practice: Practice, adoption_id: int) -> Notice:
    """«Получилось?» four weeks after «Берём в работу», with the three answers."""
    return Notice(
        chat_id,
        t("practices.notice.followup", title=title_of(practice)),
        [
            [
                Button(t(f"practices.outcome_button.{o}"), followup_cb(adoption_id, o))
                for o in OUTCOMES
            ],
            _open(practice.id),
        ],
    )


def relayed(chat_id: int, practice: Practice, origin: Origin | None, text: str) -> Notice:
    """A reader's message to the author, signed by the reader's branch, never their name."""
    sender = origin_line(origin) if origin else t("practices.notice.sender_unknown")
    return Notice(
        chat_id,
        t(
            "practices.notice.relayed",
            title=title_of(practice),
            sender=sender,
            text=html.escape(text),
        ),
        [_open(practice.id)],
    )
