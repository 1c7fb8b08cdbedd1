"""The `pervichka` command (also `python -m bot`): run the bot and look after its data.

Every mistake a person can make here (a missing token, a bad setting, a bad CSV row, an
unknown branch number) ends with a plain message and an exit code, never a traceback:
0 done, 1 the command could not do its work, 2 a setting must be fixed first.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from bot.cli.common import CliError, shown_url
from bot.cli.data import INVITE_ROLES, import_command, invite_command, migrate_command, seed_command
from bot.cli.run import run_command
from bot.config import SettingsError, load_settings
from bot.texts import t

# Optional database drivers: a PostgreSQL URL without them installed is a setting to fix.
DRIVERS = {"asyncpg", "psycopg", "psycopg2", "aiomysql", "asyncmy"}


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
        where = shown_url(database_url)
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

    command("run", run_command, "cli.help.run")
    command("migrate", migrate_command, "cli.help.migrate")
    importer = command("import-structure", import_command, "cli.help.import_structure")
    importer.add_argument("file", type=Path, metavar="FILE", help=t("cli.help.csv_file"))
    invite = command("invite", invite_command, "cli.help.invite")
    invite.add_argument("--role", required=True, choices=INVITE_ROLES, help=t("cli.help.role"))
    invite.add_argument(
        "--branch",
        required=True,
        action="append",
        metavar="NUMBER",
        help=t("cli.help.branch"),
    )
    command("seed-demo", seed_command, "cli.help.seed_demo")
    return parser


def _fail(message: str, code: int) -> int:
    print(message, file=sys.stderr)
    return code
