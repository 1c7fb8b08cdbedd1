"""The `pervichka` command (also `python -m bot`): run the bot and look after its data.

Every mistake a person can make here (a missing token, a bad setting, a bad CSV row, an
unknown branch number) ends with a plain message and an exit code, never a traceback:
0 done, 1 the command could not do its work, 2 a setting must be fixed first.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TypeVar

from aiogram import Bot, Dispatcher
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import (
    TelegramAPIError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramUnauthorizedError,
)
from aiogram.utils.token import TokenValidationError, validate_token
from pydantic import SecretStr
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import local
from bot.config import Settings, SettingsError, load_settings
from bot.services.errors import DomainError
from bot.services.onboarding.invites import create_invite
from bot.services.people import Role
from bot.services.structure import csv_format, importing, queries
from bot.texts import has, plural, t
from storage.db import Database
from storage.migrate import upgrade
from storage.models import Invite

INVITE_ROLES = [role.value for role in (Role.MEMBER, Role.SECRETARY, Role.CURATOR)]
# Optional database drivers: a PostgreSQL URL without them installed is a setting to fix.
DRIVERS = {"asyncpg", "psycopg", "psycopg2", "aiomysql", "asyncmy"}

T = TypeVar("T")


class CliError(Exception):
    """A message for the person at the terminal, and the exit code that goes with it."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message = message
        self.code = code


def main(argv: Sequence[str] | None = None) -> int:
    parser = _parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exit_:  # --help, or a usage error argparse has already explained
        return exit_.code if isinstance(exit_.code, int) else 2
    if args.command is None:
        parser.print_help()
        return 2
    database_url = "DATABASE_URL"
    try:
        settings = load_settings()
        database_url = settings.database_url
        return args.handler(args, settings)
    except SettingsError as error:
        return _fail(str(error), 2)
    except CliError as error:
        return _fail(error.message, error.code)
    except (ArgumentError, NoSuchModuleError) as error:
        return _fail(t("cli.bad_database_url", error=error), 2)
    except ModuleNotFoundError as error:
        if error.name not in DRIVERS:
            raise
        return _fail(t("cli.database_driver_missing", module=error.name), 2)
    except OperationalError as error:
        where = _where(database_url)
        return _fail(t("cli.database_unavailable", where=where, error=error.orig), 1)
    except KeyboardInterrupt:
        print(t("cli.stopped"), file=sys.stderr)
        return 0


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pervichka", description=t("cli.description"))
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, handler: Callable[..., int], help_key: str) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=t(help_key), description=t(help_key))
        sub.set_defaults(handler=handler)
        return sub

    command("run", _run, "cli.help.run")
    command("migrate", _migrate_command, "cli.help.migrate")
    importer = command("import-structure", _import_command, "cli.help.import_structure")
    importer.add_argument("file", type=Path, metavar="FILE.csv", help=t("cli.help.csv_file"))
    invite = command("invite", _invite_command, "cli.help.invite")
    invite.add_argument("--role", required=True, choices=INVITE_ROLES, help=t("cli.help.role"))
    invite.add_argument(
        "--branch",
        required=True,
        action="append",
        metavar="NUMBER",
        help=t("cli.help.branch"),
    )
    command("seed-demo", _seed_command, "cli.help.seed_demo")
    return parser


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code


def _where(url: str) -> str:
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "DATABASE_URL"


def _migrate(settings: Settings) -> None:
    """Create the SQLite folder if needed and bring the schema up to date (blocking)."""
    if (path := settings.sqlite_path()) is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            where = _where(settings.database_url)
            raise CliError(t("cli.database_unavailable", where=where, error=error)) from None
    upgrade(settings.database_url)


async def _in_transaction(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    database = Database(settings.database_url)
    try:
        async with database.transaction() as session:
            return await work(session)
    finally:
        await database.dispose()


# --- run -------------------------------------------------------------------------------


def _token(settings: Settings) -> str | None:
    token = settings.bot_token.get_secret_value().strip() if settings.bot_token else ""
    return token or None  # `BOT_TOKEN=` copied from .env.example is as good as unset


def _check_token_format(token: str) -> None:
    try:
        validate_token(token)
    except TokenValidationError:
        raise CliError(t("cli.bad_token"), 2) from None


def _run(_args: argparse.Namespace, settings: Settings) -> int:
    token = _token(settings)
    if token is None:
        raise CliError(t("cli.no_token"), 2)
    _check_token_format(token)
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    _migrate(settings)
    asyncio.run(_poll(settings))
    print(t("cli.stopped"), file=sys.stderr)
    return 0


async def _poll(settings: Settings) -> None:
    # Imported here: the handlers are needed only to run the bot, not to manage its data.
    from bot.app import build_bot, build_dispatcher

    database = Database(settings.database_url)
    bot = build_bot(settings.model_copy(update={"bot_token": SecretStr(_token(settings) or "")}))
    try:
        async with _telegram_errors(settings):
            me = await bot.me()  # a wrong token is told here, before anything starts
        logging.getLogger(__name__).info(t("cli.starting", username=me.username))
        dispatcher = build_dispatcher(settings, database)
        if settings.webhook_url:
            await _serve_webhook(dispatcher, bot, settings)
            return
        # handle_as_tasks=False (the default setting): Telegram is told an update was
        # received only after its handler finished, so a crash does not lose it.
        await dispatcher.start_polling(bot, handle_as_tasks=settings.polling_handle_as_tasks)
    finally:
        await bot.session.close()
        await database.dispose()


async def _serve_webhook(dispatcher: Dispatcher, bot: Bot, settings: Settings) -> None:
    from aiohttp import web

    from bot.webhook import build_webhook_app

    runner = web.AppRunner(build_webhook_app(dispatcher, bot, settings))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
        await asyncio.Event().wait()  # until Ctrl+C cancels the run
    finally:
        await runner.cleanup()


@asynccontextmanager
async def _telegram_errors(settings: Settings) -> AsyncIterator[None]:
    """Telegram's refusal of the token and network failures, told as CliError."""
    try:
        yield
    # Telegram answers an unknown token with 401, some Bot API servers with 404.
    except (TelegramUnauthorizedError, TelegramNotFound):
        raise CliError(t("cli.token_rejected"), 2) from None
    except TelegramNetworkError as error:
        api = settings.telegram_api_base or "api.telegram.org"
        raise CliError(t("cli.telegram_unreachable", api=api, error=error), 1) from None
    except TelegramAPIError as error:
        raise CliError(t("cli.telegram_failed", error=error), 1) from None


# --- migrate, import-structure, seed-demo ----------------------------------------------


def _migrate_command(_args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    print(t("cli.migrated", where=_where(settings.database_url)))
    return 0


def _read_csv(path: Path) -> str:
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CliError(t("cli.file_unreadable", path=path, error=error.strerror or error)) from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(t("cli.file_not_utf8", path=path)) from None


def _print_report(report: importing.ImportReport) -> None:
    print(t("cli.counts", **report.counts()))
    if not report.changed:
        print(t("cli.unchanged"))


def _import_command(args: argparse.Namespace, settings: Settings) -> int:
    text = _read_csv(args.file)
    _migrate(settings)
    try:
        report = asyncio.run(
            _in_transaction(settings, lambda session: importing.import_structure(session, text))
        )
    except csv_format.StructureImportError as error:
        lines = [t("cli.import_rejected", count=len(error.errors))]
        lines += [t("cli.error_line", line=e.line, reason=e.reason) for e in error.errors]
        raise CliError("\n".join(lines)) from None
    print(t("cli.import_done", path=args.file, rows=plural(report.rows, "plural.row")))
    _print_report(report)
    return 0


def _seed_command(_args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    report = asyncio.run(_in_transaction(settings, importing.seed_demo))
    print(t("cli.seed_done", rows=plural(report.rows, "plural.row")))
    _print_report(report)
    print(t("cli.seed_hint"))
    return 0


# --- invite ----------------------------------------------------------------------------


def _invite_command(args: argparse.Namespace, settings: Settings) -> int:
    _migrate(settings)
    asyncio.run(_invite(settings, Role(args.role), args.branch))
    return 0


async def _invite(settings: Settings, role: Role, wanted: list[str]) -> None:
    username = await _bot_username(settings)  # before anything is written
    now = datetime.now(UTC)

    async def work(session: AsyncSession) -> tuple[Invite, list[queries.BranchInfo]]:
        branches = await _resolve_branches(session, wanted)
        try:
            invite = await create_invite(session, role, [b.id for b in branches], now)
        except DomainError as error:
            key = f"cli.{error.code}" if has(f"cli.{error.code}") else f"errors.{error.code}"
            raise CliError(t(key, **error.params)) from None
        return invite, branches

    invite, branches = await _in_transaction(settings, work)
    described = ", ".join(
        t("cli.invite_branch", number=b.number, name=b.name, region=b.region_name) for b in branches
    )
    print(t("cli.invite_ready", role=t(f"common.role.{role}"), branches=described))
    print(f"https://t.me/{username}?start={invite.token}")
    if invite.expires_at is None:
        print(t("cli.invite_reusable"))
    else:
        zone = branches[0].timezone
        until = local(invite.expires_at, zone).strftime("%d.%m.%Y %H:%M")
        print(t("cli.invite_once", until=until, timezone=zone))


async def _resolve_branches(session: AsyncSession, wanted: list[str]) -> list[queries.BranchInfo]:
    """Each `NUMBER` or `REGION:NUMBER` to exactly one branch; every problem is told."""
    found: dict[int, queries.BranchInfo] = {}
    problems = []
    for value in wanted:
        region, _, number = value.strip().rpartition(":")
        matches = await queries.find_branches_by_number(session, number, region or None)
        if len(matches) == 1:
            found.setdefault(matches[0].id, matches[0])
        elif not matches and region:
            problems.append(t("cli.branch_unknown_in_region", region=region, number=number))
        elif not matches:
            problems.append(t("cli.branch_unknown", number=number))
        else:
            regions = ", ".join(
                t("cli.ambiguous_region", code=m.region_code, name=m.region_name) for m in matches
            )
            example = f"{matches[0].region_code}:{number}"
            problems.append(
                t("cli.branch_ambiguous", number=number, regions=regions, example=example)
            )
    if problems:
        raise CliError("\n".join(problems))
    return list(found.values())


async def _bot_username(settings: Settings) -> str:
    """BOT_USERNAME when set; otherwise Telegram's getMe with the token."""
    if settings.bot_username and (username := settings.bot_username.strip().lstrip("@")):
        return username
    token = _token(settings)
    if token is None:
        raise CliError(t("cli.no_username"), 2)
    _check_token_format(token)
    session = AiohttpSession()
    if settings.telegram_api_base:
        session.api = TelegramAPIServer.from_base(settings.telegram_api_base.rstrip("/"))
    try:
        me = await Bot(token, session=session).get_me()
    except TelegramAPIError as error:  # network failures included
        raise CliError(t("cli.username_failed", error=error)) from None
    finally:
        await session.close()
    if not me.username:
        raise CliError(t("cli.no_username"), 2)
    return me.username
