"""The main menu (a reply keyboard) and the command list, both shaped by a person's roles.

Both are sent only when they change: the command list on the person's next menu after
their roles changed, the keyboard when it differs from the last one this bot sent them
(`KeyboardMemory` sees every reply keyboard and command list that goes out, a flow's own
included)."""

from __future__ import annotations

import logging
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramAPIError
from aiogram.methods import SetMyCommands, TelegramMethod
from aiogram.methods.base import Response, TelegramType
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from cachetools import LRUCache

from bot.services.people import Person, Role
from bot.texts import t

log = logging.getLogger(__name__)

# Menu buttons (keys in menu.toml) and commands per role, in the order they are shown.
MENU_BUTTONS: dict[Role, list[str]] = {
    Role.MEMBER: ["mandate_new", "my_mandates", "masterclasses", "practices"],
    Role.SECRETARY: ["inbox", "export", "masterclasses", "practices"],
    Role.CURATOR: ["mandates", "export", "masterclasses", "practices", "mc_organise"],
    Role.ADMIN: ["mandates", "export", "masterclasses", "practices", "mc_organise", "admin"],
}
# Masterclasses and best practices are for every role alike.
_VISITOR = [
    "masterclasses",
    "my_masterclasses",
    "checkin",
    "practices",
    "my_practices",
    "share_practice",
]
_ORGANISER = ["new_masterclass", "my_organised", "moderation"]
COMMANDS: dict[Role | None, list[str]] = {
    None: ["start", "help", "cancel", "consent"],
    Role.MEMBER: ["mandate", "my_mandates", *_VISITOR, "settings"],
    Role.SECRETARY: ["inbox", "export", *_VISITOR, "settings"],
    Role.CURATOR: ["mandates", "export", "digest", *_VISITOR, *_ORGANISER, "settings"],
    Role.ADMIN: [
        "mandates",
        "export",
        "digest",
        "duties",
        *_VISITOR,
        *_ORGANISER,
        "admin",
        "settings",
    ],
}
ROLE_ORDER = (Role.MEMBER, Role.SECRETARY, Role.CURATOR, Role.ADMIN)


def menu_keyboard(person: Person) -> ReplyKeyboardMarkup:
    labels: list[str] = []
    for role in ROLE_ORDER:
        if role in person.roles:
            labels += [
                t(f"menu.{key}") for key in MENU_BUTTONS[role] if t(f"menu.{key}") not in labels
            ]
    labels.append(t("menu.help"))
    rows = [labels[i : i + 2] for i in range(0, len(labels), 2)]
    return ReplyKeyboardMarkup(
        keyboard=[[KeyboardButton(text=label) for label in row] for row in rows],
        resize_keyboard=True,
        is_persistent=True,
    )


def person_keyboard(person: Person) -> ReplyKeyboardMarkup | ReplyKeyboardRemove:
    """The keyboard this person should have: the menu once onboarded, none before (or after
    consent was withdrawn, when its buttons would not work)."""
    return menu_keyboard(person) if person.onboarded else ReplyKeyboardRemove()


def menu_text(person: Person) -> str:
    if not person.consent_given:
        return t("common.menu_no_consent")
    if not person.roles:
        return t("common.menu_no_roles")
    roles = [t(f"common.role.{role}") for role in ROLE_ORDER if role in person.roles]
    line = t("common.role_line" if len(roles) == 1 else "common.roles_line", roles=", ".join(roles))
    return t("common.menu", roles=line)


Keyboard = tuple[tuple[str, ...], ...]  # a reply keyboard's labels by row; () for none


def _labels(markup: ReplyKeyboardMarkup | ReplyKeyboardRemove) -> Keyboard:
    if isinstance(markup, ReplyKeyboardRemove):
        return ()
    return tuple(tuple(button.text for button in row) for row in markup.keyboard)


def _memory(bot: Bot) -> KeyboardMemory | None:
    for middleware in bot.session.middleware:
        if isinstance(middleware, KeyboardMemory):
            return middleware
    return None


def keyboard_changed(
    bot: Bot, chat_id: int, markup: ReplyKeyboardMarkup | ReplyKeyboardRemove
) -> bool:
    """Whether `markup` differs from the keyboard this bot last sent to the chat (unknown
    after a restart, or without `KeyboardMemory`: then it is sent once more)."""
    memory = _memory(bot)
    return memory is None or memory.sent.get(chat_id) != _labels(markup)


class KeyboardMemory(BaseRequestMiddleware):
    """Remembers the last reply keyboard each chat got through this Bot API session,
    whoever sent it: the menu, a flow's own (the location button) or its removal; and the
    last command list set for each chat. It lives on the session, one per bot (Bot objects
    with one token compare equal, so they cannot key a table)."""

    def __init__(self) -> None:
        self.sent: LRUCache[int, Keyboard] = LRUCache(maxsize=100_000)
        self.commands: LRUCache[int | str, tuple[str, ...]] = LRUCache(maxsize=100_000)

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        response = await make_request(bot, method)
        markup: Any = getattr(method, "reply_markup", None)
        chat_id = getattr(method, "chat_id", None)
        if isinstance(markup, ReplyKeyboardMarkup | ReplyKeyboardRemove) and isinstance(
            chat_id, int
        ):
            self.sent[chat_id] = _labels(markup)
        if isinstance(method, SetMyCommands) and isinstance(method.scope, BotCommandScopeChat):
            self.commands[method.scope.chat_id] = tuple(c.command for c in method.commands)
        return response


def commands_for(person: Person | None) -> list[BotCommand]:
    names = list(COMMANDS[None])
    for role in ROLE_ORDER:
        if person is not None and role in person.roles:
            names += [n for n in COMMANDS[role] if n not in names]
    return [BotCommand(command=n, description=t(f"common.commands.{n}")) for n in names]


async def set_default_commands(bot: Bot) -> None:
    try:
        await bot.set_my_commands(commands_for(None), scope=BotCommandScopeAllPrivateChats())
    except TelegramAPIError:  # the bot still works without a command list
        log.warning("could not set the default command list", exc_info=True)


async def set_commands_for(bot: Bot, person: Person) -> None:
    """This person's own command list, so the «/» menu shows what their roles allow; sent
    only when it differs from the one this bot last set for them, i.e. when their roles
    changed (after a restart, once more on their next menu)."""
    commands = commands_for(person)
    memory = _memory(bot)
    if memory is not None and memory.commands.get(person.id) == tuple(
        command.command for command in commands
    ):
        return
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=person.id))
    except TelegramAPIError:
        log.warning("could not set commands for %s", person.id, exc_info=True)
