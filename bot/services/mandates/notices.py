"""The messages mandate changes owe people, built as outbox `Notice`s, and the callback data
their buttons carry.

Callback data (aiogram `CallbackData` packs `prefix:field:field`, so these are exactly
what `MandateCb(prefix="md", action: str, id: int)` and `MandateRateCb(prefix="mdr",
id: int, score: int)` produce and parse):

- `md:open:<id>`    show the mandate card (author, secretary, curator, admin);
- `md:accept:<id>`  the secretary accepts it (`accept_mandate`);
- `md:ask:<id>`     the secretary starts writing a question (`ask_clarification`);
- `md:answer:<id>`  the author starts writing an answer (`answer_clarification`);
- `mdr:<id>:<score>` the author's rating of a resolved mandate: 1–5, or 0 for «Нет»
  (`rate_mandate(..., rating=None)`).

Other `md:<action>:<id>` actions the chat flows add (resolve, reject, forward, comment,
support, …) share the prefix; the prefixes live in sent messages, so never rename them.
The factories check every field on the way in (an action of their closed set, an id within
an `Integer` column), so an action used here must be one `MandateCb` knows.
Every text with user input escapes it here; names of people are never included, so
neither side learns the other's Telegram account.
"""

from __future__ import annotations

import html
from dataclasses import replace

# The module, not its names: rating imports records, which imports this module.
from bot.services.mandates import rating as author_rating
from bot.services.mandates.draft import category_name
from bot.services.mandates.place import map_url, place_line
from bot.services.outbox import Button, Notice
from bot.texts import plural, t
from storage.models import Mandate

MANDATE_CB = "md"
RATE_CB = "mdr"
RATE_NO = 0  # the score `mdr:<id>:0` carries for «Нет»


def mandate_cb(action: str, mandate_id: int) -> str:
    return f"{MANDATE_CB}:{action}:{mandate_id}"


def rate_cb(mandate_id: int, score: int) -> str:
    return f"{RATE_CB}:{mandate_id}:{score}"


def status_name(status: str) -> str:
    return t(f"mandates.status.{status}")


def _open_button(mandate_id: int) -> list[list[Button]]:
    return [[Button(t("mandates.button.open"), mandate_cb("open", mandate_id))]]


def _number(mandate: Mandate) -> str:
    return html.escape(mandate.number)


ABOUT_CHARS = 60


def first_words(text: str, limit: int = ABOUT_CHARS) -> str:
    """The start of a text, cut at a word, raw (escape it for HTML)."""
    flat = " ".join(text.split())
    if len(flat) <= limit:
        return flat
    cut = flat[:limit].rsplit(" ", 1)[0] or flat[:limit]
    return cut.rstrip(" ,.;:—-") + "…"


def about(mandate: Mandate) -> str:
    """Which mandate a notice is about, for a person with several: the category and the
    first words, under the number."""
    return t(
        "mandates.notice.about",
        category=html.escape(category_name(mandate.category)),
        words=html.escape(first_words(mandate.text)),
    )


def _headed(text: str, mandate: Mandate) -> str:
    """The notice's first line, what the mandate is about, then the rest."""
    first, _, rest = text.partition("\n")
    return "\n".join(part for part in (first, about(mandate), rest) if part)


def _with_comment(text: str, comment: str | None) -> str:
    if not comment:
        return text
    return f"{text}\n\n{t('mandates.notice.comment_line', comment=html.escape(comment))}"


# --- to the branch's staff ---------------------------------------------------------------


def new_mandate(
    chat_id: int,
    mandate: Mandate,
    photo_count: int,
    last_day: str,
    *,
    standing_in: bool = False,
    no_secretary: tuple[str, str, int] | None = None,
    voices: int = 0,
) -> Notice:
    """A new mandate for a secretary: what it is about and the deadline, with buttons to
    open, accept or ask, and one to the map when the author shared a location.
    `last_day` is the last day to answer, already formatted.

    `standing_in`: to a curator of a branch without a secretary, who answers it;
    `no_secretary`: (branch number, name, how many curators) to an admin, told the branch
    has no secretary."""
    lines = []
    if no_secretary is not None:
        branch, name, curators = no_secretary
        key = "no_secretary_curators" if curators else "no_secretary_alone"
        lines += [
            t(
                f"mandates.notice.{key}",
                branch=html.escape(branch),
                name=html.escape(name),
                curators=plural(curators, "plural.curator"),
            ),
            "",
        ]
    elif standing_in:
        lines += [t("mandates.notice.standing_in"), ""]
    lines += [
        t(
            "mandates.notice.new_mandate",
            number=_number(mandate),
            category=html.escape(category_name(mandate.category)),
            behalf=t(f"mandates.on_behalf.{mandate.on_behalf}"),
            text=html.escape(mandate.text),
        ),
        "",
    ]
    if mandate.address:
        lines.append(t("mandates.notice.address_line", address=html.escape(mandate.address)))
    if mandate.latitude is not None and mandate.longitude is not None:
        lines.append(place_line(mandate.latitude, mandate.longitude))
    if photo_count:
        lines.append(t("mandates.notice.photos_line", count=photo_count))
    if voices:
        lines.append(t("mandates.notice.voices_line", count=voices))
    lines.append(t("mandates.notice.due_line", day=last_day))
    buttons = [
        [Button(t("mandates.button.open"), mandate_cb("open", mandate.id))],
        [
            Button(t("mandate_work.button.accept"), mandate_cb("accept", mandate.id)),
            Button(t("mandate_work.button.ask"), mandate_cb("ask", mandate.id)),
        ],
    ]
    if mandate.latitude is not None and mandate.longitude is not None:
        url = map_url(mandate.latitude, mandate.longitude)
        buttons.append([Button(t("mandates.place.button"), url=url)])
    return Notice(chat_id, "\n".join(lines), buttons=buttons)


def clarification_answered(chat_id: int, mandate: Mandate, answer: str) -> Notice:
    text = t(
        "mandates.notice.answered",
        number=_number(mandate),
        answer=html.escape(answer),
        status=status_name(mandate.status),
    )
    text = _headed(text, mandate)
    return Notice(chat_id, text, buttons=_open_button(mandate.id))


def commented(chat_id: int, mandate: Mandate, comment: str, *, by_curator: bool) -> Notice:
    key = "commented_curator" if by_curator else "commented_admin"
    text = t(f"mandates.notice.{key}", number=_number(mandate), comment=html.escape(comment))
    text = _headed(text, mandate)
    return Notice(chat_id, text, buttons=_open_button(mandate.id))


def rated(chat_id: int, mandate: Mandate, rating: int | None, reopened: bool) -> Notice:
    if not reopened:
        text = t("mandates.notice.rated", number=_number(mandate), rating=rating)
    elif rating is None:
        text = t("mandates.notice.reopened_no", number=_number(mandate))
    else:
        text = t("mandates.notice.reopened_rating", number=_number(mandate), rating=rating)
    text = _headed(text, mandate)
    return Notice(chat_id, text, buttons=_open_button(mandate.id))


# --- to the author -----------------------------------------------------------------------


def status_changed(mandate: Mandate, comment: str | None) -> Notice:
    """The author told of a secretary's decision, in plain Russian, with the comment.

    `resolved` also asks «Удалось решить вопрос?» with 1–5 and «Нет» buttons;
    `clarification` carries the question and an «Ответить» button. Every one says under
    its first line what the mandate is about (`about`), for an author with several."""
    notice = _status_changed(mandate, comment)
    return replace(notice, text=_headed(notice.text, mandate))


def _status_changed(mandate: Mandate, comment: str | None) -> Notice:
    number = _number(mandate)
    status = mandate.status
    if status == "accepted":
        text = _with_comment(t("mandates.notice.accepted", number=number), comment)
        return Notice(mandate.author_id, text, buttons=_open_button(mandate.id))
    if status == "resolved":
        text = _with_comment(t("mandates.notice.resolved", number=number), comment)
        text = f"{text}\n\n{t('mandates.notice.rate_question')}"
        return Notice(mandate.author_id, text, buttons=author_rating.rating_buttons(mandate.id))
    if status == "rejected":
        text = t("mandates.notice.rejected", number=number, comment=html.escape(comment or ""))
        return Notice(mandate.author_id, text, buttons=_open_button(mandate.id))
    if status == "forwarded":
        text = t(
            "mandates.notice.forwarded",
            number=number,
            authority=html.escape(mandate.forwarded_to or ""),
        )
        text = _with_comment(text, comment)
        return Notice(mandate.author_id, text, buttons=_open_button(mandate.id))
    if status == "clarification":
        question = html.escape(comment or "")
        text = t("mandates.notice.clarification", number=number, question=question)
        buttons = [[Button(t("mandates.button.answer"), mandate_cb("answer", mandate.id))]]
        return Notice(mandate.author_id, text, buttons=buttons)
    raise ValueError(f"no notice for the status {status!r}")


def supported(mandate: Mandate) -> Notice:
    text = t(
        "mandates.notice.supported",
        number=_number(mandate),
        supporters=plural(mandate.supporters, "plural.supporter"),
    )
    text = _headed(text, mandate)
    return Notice(mandate.author_id, text, buttons=_open_button(mandate.id))
