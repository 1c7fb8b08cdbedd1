"""What Telegram refuses with 400, checked by both fakes (the recording session and the fake
Bot API server), so a test meets the same refusal the bot would meet in production.

- text longer than 4,096 characters, a caption longer than 1,024 (counted after the HTML
  markup is parsed, as Telegram counts them);
- HTML that Telegram's parser rejects: an unsupported tag, a tag left open or closed out of
  order, a bare `<` or `&` that does not start a tag or an entity (user text not escaped).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# Tags of Telegram's HTML parse mode (https://core.telegram.org/bots/api#html-style).
_TAGS = frozenset(
    {
        "b",
        "strong",
        "i",
        "em",
        "u",
        "ins",
        "s",
        "strike",
        "del",
        "span",
        "tg-spoiler",
        "a",
        "tg-emoji",
        "code",
        "pre",
        "blockquote",
    }
)
_ENTITY = re.compile(r"&(lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);")


class BadRequest(Exception):
    """The description Telegram would answer with, "Bad Request: …"."""


def check_text(text: str | None, *, caption: bool = False, html: bool = True) -> None:
    if text is None:
        return
    visible = _parse_html(text) if html else text
    limit = CAPTION_LIMIT if caption else TEXT_LIMIT
    if len(visible) > limit:
        what = "message caption is too long" if caption else "message is too long"
        raise BadRequest(f"Bad Request: {what}")
    if not caption and not visible.strip():
        raise BadRequest("Bad Request: message text is empty")


def _parse_html(text: str) -> str:
    for match in re.finditer(r"&", text):
        if not _ENTITY.match(text, match.start()):
            raise _cannot_parse(f"Unsupported entity at byte offset {match.start()}")
    # html.parser keeps a "<" that starts no tag as text; Telegram refuses it.
    if bare := re.search(r"<(?![/a-zA-Z])", text):
        raise _cannot_parse(f"Unexpected < at byte offset {bare.start()}")
    parser = _TelegramHtml()
    parser.feed(text)
    parser.close()
    if parser.open_tags:
        raise _cannot_parse(
            f'Can\'t find end tag corresponding to start tag "{parser.open_tags[-1]}"'
        )
    return "".join(parser.visible)


def _cannot_parse(reason: str) -> BadRequest:
    return BadRequest(f"Bad Request: can't parse entities: {reason}")


class _TelegramHtml(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.open_tags: list[str] = []
        self.visible: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in _TAGS:
            raise _cannot_parse(f'Unsupported start tag "{tag}"')
        self.open_tags.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.open_tags or self.open_tags[-1] != tag:
            raise _cannot_parse(f'Unmatched end tag "{tag}"')
        self.open_tags.pop()

    def handle_data(self, data: str) -> None:
        self.visible.append(data)

    def unknown_decl(self, data: str) -> None:
        raise _cannot_parse("Unsupported declaration")

    def handle_comment(self, data: str) -> None:
        raise _cannot_parse('Unsupported start tag "!--"')
