"""The main menu (a reply keyboard) and the command list, both shaped by a person's roles."""

from __future__ import annotations

import logging
from weakref import WeakKeyDictionary

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    KeyboardButton,
    ReplyKeyboardMarkup,
)
from cachetools import LRUCache

from bot.services.people import Person, Role
from bot.texts import t

log = logging.getLogger(__name__)

# Menu buttons (keys in menu.toml) and commands per role, in the order they are shown.
MENU_BUTTONS: dict[Role, list[str]] = {
    Role.MEMBER: ["mandate_new", "my_mandates"],
    Role.SECRETARY: ["inbox", "export"],
    Role.CURATOR: ["mandates", "export"],
    Role.ADMIN: ["mandates", "export", "admin"],
}
COMMANDS: dict[Role | None, list[str]] = {
    None: ["start", "help", "cancel", "consent"],
    Role.MEMBER: ["mandate", "my_mandates"],
    Role.SECRETARY: ["inbox", "export"],
    Role.CURATOR: ["mandates", "export"],
    Role.ADMIN: ["mandates", "export", "admin"],
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


def menu_text(person: Person) -> str:
    if not person.roles:
        return t("common.menu_no_roles")
    names = [t(f"common.role.{role}") for role in ROLE_ORDER if role in person.roles]
    line = "common.role_line" if len(names) == 1 else "common.roles_line"
    return t("common.menu", roles=t(line, roles=", ".join(names)))


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
    names = tuple(command.command for command in commands)
    sent = _commands_sent.setdefault(bot, LRUCache(maxsize=100_000))
    if sent.get(person.id) == names:
        return
    try:
        await bot.set_my_commands(commands, scope=BotCommandScopeChat(chat_id=person.id))
    except TelegramAPIError:
        log.warning("could not set commands for %s", person.id, exc_info=True)
        return
    sent[person.id] = names


# Per Bot instance (a process has one; tests build many): person id → command names set.
_commands_sent: WeakKeyDictionary[Bot, LRUCache[int, tuple[str, ...]]] = WeakKeyDictionary()
