"""Walk a flow as people meet it: the real bot (`pervichka run`, its own process) long-polls
the fake Bot API, scripted people write and press buttons, and every message the bot sends
or edits is printed in order, as a phone would show it.

    .venv/bin/python scripts/walk.py scripts/walks/mandate_round_trip.py

A walk file defines `async def walk(w: Walk) -> None` and uses `w.say`, `w.press`,
`w.send`; `w.count` tells how many messages each person was sent (edits not counted).
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
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
    def __init__(self, api: FakeTelegram, names: dict[int, str]) -> None:
        self.api = api
        self.names = names
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

    def count(self) -> None:
        print("\nmessages sent (edits not counted):")
        for chat_id, n in self.sent.most_common():
            print(f"  {self._name(chat_id)}: {n}")


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
            before = len(api.calls)  # a CLI run by `prepare` may have called getMe too
            bot = await asyncio.create_subprocess_exec(
                str(ROOT / ".venv/bin/pervichka"), "run", env=env, cwd=tmp
            )
            try:
                walk = Walk(api, names)
                # Migrations first, then polling starts with getMe.
                await api.wait_for(lambda call: call.method == "getMe", timeout=60, since=before)
                await walk.settle(quiet=1.0)
                await module.walk(walk)
                walk.count()
            finally:
                bot.terminate()
                await bot.wait()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
