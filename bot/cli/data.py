"""The commands that look after the data: migrate, import-structure, seed-demo, invite."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.cli.common import (
    CliError,
    check_token_format,
    in_transaction,
    migrate_schema,
    shown_url,
    token_of,
)
from bot.clock import local
from bot.config import Settings
from bot.services.errors import DomainError
from bot.services.onboarding.invites import create_invite
from bot.services.people import Role
from bot.services.structure import csv_format, files, importing, queries
from bot.texts import has, plural, t
from storage.models import Invite

INVITE_ROLES = [role.value for role in (Role.MEMBER, Role.SECRETARY, Role.CURATOR)]


def migrate_command(_args: argparse.Namespace, settings: Settings) -> int:
    migrate_schema(settings)
    print(t("cli.migrated", where=shown_url(settings.database_url)))
    return 0


def _read_table(path: Path) -> files.Table:
    """The file read as the bot reads an upload: Excel or CSV, refused in the same words."""
    try:
        data = path.read_bytes()
    except OSError as error:
        raise CliError(t("cli.file_unreadable", path=path, error=error.strerror or error)) from None
    try:
        return files.read_file(data)
    except files.UnreadableFile as error:
        raise CliError(t("cli.file_refused", path=path, reason=error.reason)) from None


def _print_report(report: importing.ImportReport) -> None:
    print(t("cli.counts", **report.counts()))
    if not report.changed:
        print(t("structure.unchanged"))


def import_command(args: argparse.Namespace, settings: Settings) -> int:
    table = _read_table(args.file)
    migrate_schema(settings)
    try:
        report = asyncio.run(
            in_transaction(settings, lambda session: importing.import_structure(session, table))
        )
    except csv_format.StructureImportError as error:
        lines = [t("cli.import_rejected", count=len(error.errors))]
        lines += [t("cli.error_line", line=e.line, reason=e.reason) for e in error.errors]
        raise CliError("\n".join(lines)) from None
    print(t("cli.import_done", path=args.file, rows=plural(report.rows, "plural.row")))
    _print_report(report)
    return 0


def seed_command(_args: argparse.Namespace, settings: Settings) -> int:
    migrate_schema(settings)
    report = asyncio.run(in_transaction(settings, importing.seed_demo))
    print(t("cli.seed_done", rows=plural(report.rows, "plural.row")))
    _print_report(report)
    print(t("cli.seed_hint"))
    return 0


def invite_command(args: argparse.Namespace, settings: Settings) -> int:
    migrate_schema(settings)
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

    invite, branches = await in_transaction(settings, work)
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
    token = token_of(settings)
    if token is None:
        raise CliError(t("cli.no_username"), 2)
    check_token_format(token)
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
