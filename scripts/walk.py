"""Walk a flow as people meet it: the real bot (`pervichka run`, its own process) long-polls
the fake Bot API, scripted people write and press buttons, and every message the bot sends
or edits is printed in order, as a phone would show it.

    .venv/bin/python scripts/walk.py scripts/walks/mandate_round_trip.py

A walk file defines `async def walk(w: Walk) -> None` and uses `w.say`, `w.press`,
`w.send`; `w.restart` stops the bot and starts it again, its clock moved on if asked;
`w.count` tells how many messages each person was sent (edits not counted). A walk may set
`ENV` (settings of every start) and `START` (of the first: its `CLOCK_START`, say).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.fake_api import Call, FakeTelegram  # noqa: E402

_SHOWN = {
    "sendmessage",
    "editmessagetext",
    "editmessagereplymarkup",
    "senddocument",
    "sendphoto",
    "sendmediagroup",
    "sendlocation",
    "sendvenue",
    "editmessagecaption",
    "deletemessage",
    "answercallbackquery",
    "setmycommands",
}


class Walk:
    def __init__(
        self, api: FakeTelegram, names: dict[int, str], bot: BotProcess, db_file: str
    ) -> None:
        self.api = api
        self.names = names
        self.bot = bot
        self.db_file = db_file
        self.seen = 0
        self.sent: Counter[int] = Counter()

    def _name(self, chat_id: int | None) -> str:
        return self.names.get(chat_id or 0, str(chat_id))

    async def settle(self, quiet: float = 2.0, limit: float = 30.0) -> None:
        """Wait until the bot has said nothing new for `quiet` seconds."""
        started = time.monotonic()
        count = len(self.api.calls)
        last_change = time.monotonic()
        while time.monotonic() - started < limit:
            await asyncio.sleep(0.05)
            if len(self.api.calls) != count:
                count, last_change = len(self.api.calls), time.monotonic()
            elif time.monotonic() - last_change >= quiet:
                break
        self._print_new()

    def _print_new(self) -> None:
        for call in self.api.calls[self.seen :]:
            if call.method.lower() in _SHOWN:
                print(self._describe(call))
        self.seen = len(self.api.calls)

    def _describe(self, call: Call) -> str:
        method = call.method
        who = self._name(call.chat_id)
        if (
            method.lower()
            in {
                "sendmessage",
                "senddocument",
                "sendphoto",
                "sendlocation",
                "sendvenue",
                "sendmediagroup",
            }
            and call.chat_id
        ):
            self.sent[call.chat_id] += 1
        status = "" if call.status == 200 else f" !{call.status}"
        text = call.params.get("text") or call.params.get("caption") or ""
        extra: list[str] = []
        if method.lower() == "answercallbackquery":
            shown = call.params.get("text")
            return f"    · answerCallbackQuery{status}" + (f": {shown}" if shown else "")
        if method.lower() == "setmycommands":
            return f"    · setMyCommands{status}"
        if method.lower() == "senddocument":
            extra.append(f"[file {call.params.get('document')!s:.40}]")
        if method.lower() == "sendlocation":
            extra.append(f"[pin {call.params.get('latitude')}, {call.params.get('longitude')}]")
        labels = call.keyboard_labels()
        if labels:
            kind = "inline" if (call.reply_markup or {}).get("inline_keyboard") else "keyboard"
            extra.append(f"{kind}: " + " | ".join(labels))
        elif (call.reply_markup or {}).get("remove_keyboard"):
            extra.append("keyboard removed")
        body = text.replace("\n", "\n      ")
        return f"  ← {method} → {who}{status}:\n      {body}" + "".join(
            f"\n      [{e}]" for e in extra
        )

    async def say(self, user: int, text: str) -> None:
        print(f"\n→ {self._name(user)}: {text}")
        await self.api.push_message(user, text, first_name=self._name(user))
        await self.settle()

    async def press(self, user: int, label: str) -> None:
        print(f"\n→ {self._name(user)} presses «{label}»")
        await self.api.click(user, label)
        await self.settle()

    async def send(self, user: int, what: str, **content: Any) -> None:
        """A message with other content than text: photo, document, location, voice…"""
        print(f"\n→ {self._name(user)} sends {what}")
        update = self.api.message_update(user, "", first_name=self._name(user))
        message = update["message"]
        message.pop("text")
        message.update(content)
        await self.api.push_update(message=message)
        await self.settle()

    async def restart(self, clock_start: str | None = None, *, quiet: float = 2.0) -> None:
        """Stop the bot and start it again; with `clock_start` (ISO, with its offset) its
        clock starts at that moment. What it says on waking is printed."""
        shown = f", its clock at {clock_start}" if clock_start else ""
        print(f"\n⟳ the bot is stopped and started again{shown}")
        await self.bot.stop()
        await self.bot.start(**({"CLOCK_START": clock_start} if clock_start else {}))
        await self.settle(quiet=quiet, limit=quiet + 90)

    def query(self, sql: str, *params: object) -> list[tuple[Any, ...]]:
        """Read the walk's database as an operator would (sqlite3, its own connection)."""
        with sqlite3.connect(self.db_file) as connection:
            return connection.execute(sql, params).fetchall()

    def count(self) -> None:
        print("\nmessages sent (edits not counted):")
        for chat_id, n in self.sent.most_common():
            print(f"  {self._name(chat_id)}: {n}")


async def join(w: Walk, user: int, link: str) -> None:
    """Someone opens an invite link and gives consent."""
    await w.say(user, f"/start {link}")
    await w.press(user, "Даю согласие")


async def submit_mandate(w: Walk, user: int, text: str, address: str) -> None:
    """A member's mandate the shortest way: «Благоустройство», an address, no photo, «Мой»."""
    await w.say(user, "/mandate")
    await w.press(user, "Благоустройство")
    await w.say(user, text)
    await w.say(user, address)
    await w.press(user, "Без фото")
    await w.press(user, "Мой")
    await w.press(user, "Отправить")


async def demo_invites(env: dict[str, str], branch: str, *roles: str) -> dict[str, str]:
    """For a walk's `prepare`: the demo structure, and an invite token per role for the
    branch, made with the CLI as an admin would."""
    tokens: dict[str, str] = {}
    invites = [("invite", "--role", role, "--branch", branch) for role in roles]
    for args in [("migrate",), ("seed-demo",), *invites]:
        process = await asyncio.create_subprocess_exec(
            str(ROOT / ".venv/bin/pervichka"), *args, env=env, stdout=asyncio.subprocess.PIPE
        )
        out, _ = await process.communicate()
        if args[0] == "invite":
            tokens[args[2]] = out.decode().split("start=")[1].split()[0]
    return tokens


class BotProcess:
    """The real bot as its own process (`pervichka run`), stopped and started again as a
    walk asks: a restart, or a jump of its clock (`CLOCK_START`) to a moment worth living
    through — a morning message, an escalation, a Monday digest."""

    def __init__(self, api: FakeTelegram, env: dict[str, str], cwd: str) -> None:
        self.api, self.env, self.cwd = api, env, cwd
        self.process: asyncio.subprocess.Process | None = None

    async def start(self, **env: str) -> None:
        before = len(self.api.calls)  # a CLI run by `prepare` may have called getMe too
        self.process = await asyncio.create_subprocess_exec(
            str(ROOT / ".venv/bin/pervichka"), "run", env={**self.env, **env}, cwd=self.cwd
        )
        # Migrations first, then polling starts with getMe.
        await self.api.wait_for(lambda call: call.method == "getMe", timeout=60, since=before)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            await self.process.wait()


async def main(walk_file: str) -> None:
    spec = importlib.util.spec_from_file_location("walk_file", walk_file)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    names: dict[int, str] = getattr(module, "NAMES", {})
    env_extra: dict[str, str] = getattr(module, "ENV", {})
    with tempfile.TemporaryDirectory() as tmp:
        async with FakeTelegram(token="42:TEST") as api:
            env = {
                **os.environ,
                "BOT_TOKEN": "42:TEST",
                "TELEGRAM_API_BASE": api.base_url,
                "DATABASE_URL": f"sqlite+aiosqlite:///{tmp}/walk.sqlite3",
                "QUIET_HOURS_START": "00:00",
                "QUIET_HOURS_END": "00:00",
                **env_extra,
            }
            if hasattr(module, "prepare"):
                await module.prepare(env)
            bot = BotProcess(api, env, tmp)
            walk = Walk(api, names, bot, f"{tmp}/walk.sqlite3")
            try:
                await bot.start(**getattr(module, "START", {}))
                await walk.settle(quiet=1.0)
                await module.walk(walk)
                walk.count()
            finally:
                await bot.stop()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
