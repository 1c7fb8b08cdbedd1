"""The `pervichka` command, called in-process: what it prints, what it leaves in the database,
and that a person's mistake ends with one clear line and an exit code, never a traceback."""

from __future__ import annotations

import asyncio
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from bot.cli import main
from bot.config import Settings
from storage.migrate import alembic_config
from tests.fake_api import FakeTelegram

EXAMPLE = Path(__file__).parent.parent / "examples" / "structure.csv"
HEADER = "region_code,region_name,timezone,local_branch,branch_number,branch_name"
LINK = re.compile(r"https://t\.me/(\w+)\?start=([\w-]+)")


@pytest.fixture
def db_file(tmp_path, monkeypatch) -> Path:
    """A clean environment in tmp_path: no real .env, no settings from the machine, and the
    default DATABASE_URL (a file under data/, a folder that does not exist yet)."""
    monkeypatch.chdir(tmp_path)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    return tmp_path / "data" / "pervichka.sqlite3"


def query(path: Path, sql: str, *params) -> list[tuple]:
    with sqlite3.connect(path) as connection:
        return connection.execute(sql, params).fetchall()


async def call_main(*argv: str) -> int:
    # `main` is what the console runs: synchronous, with asyncio.run inside; so a thread.
    # (The tests are async: a sync test before an async one makes pytest-asyncio 1.5 on
    # Python 3.11 leak an event loop, which filterwarnings=error turns into a failed run.)
    return await asyncio.to_thread(main, list(argv))


async def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = await call_main(*argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in out + err
    return code, out, err


def write_csv(tmp_path: Path, *rows: str) -> Path:
    path = tmp_path / "structure.csv"
    path.write_text("\n".join([HEADER, *rows]) + "\n", encoding="utf-8")
    return path


# --- migrate, import-structure, seed-demo ----------------------------------------------


async def test_migrate_creates_the_sqlite_folder_and_the_tables_through_alembic(db_file, capsys):
    code, out, _ = await run(capsys, "migrate")

    assert code == 0
    assert "Схема базы данных обновлена" in out
    tables = {name for (name,) in query(db_file, "select name from sqlite_master")}
    assert {"regions", "local_branches", "branches", "users", "invites", "outbox"} <= tables
    head = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
    assert query(db_file, "select version_num from alembic_version") == [(head,)]
    assert (await run(capsys, "migrate"))[0] == 0  # a second time is harmless


async def test_import_structure_prints_what_it_added_and_then_that_nothing_changed(db_file, capsys):
    code, out, _ = await run(capsys, "import-structure", str(EXAMPLE))

    assert code == 0
    assert "(9 строк)" in out
    assert "Регионы: добавлено 3, обновлено 0." in out
    assert "Местные отделения: добавлено 4, обновлено 0." in out
    assert "Первичные отделения: добавлено 9, обновлено 0." in out
    assert query(db_file, "select name from branches where number = '20-03'") == [
        ("первый Береговой округ",)
    ]

    code, out, _ = await run(capsys, "import-structure", str(EXAMPLE))
    assert code == 0
    assert "Первичные отделения: добавлено 0, обновлено 0." in out
    assert "Ничего не изменилось" in out
    assert query(db_file, "select count(*) from branches") == [(9,)]


async def test_import_structure_reads_an_excel_file_as_the_bot_does(db_file, tmp_path, capsys):
    import csv

    from openpyxl import Workbook

    workbook = Workbook()
    for row in csv.reader(EXAMPLE.read_text(encoding="utf-8").splitlines()):
        workbook.active.append(row)
    path = tmp_path / "structure.xlsx"
    workbook.save(path)

    code, out, _ = await run(capsys, "import-structure", str(path))
    assert code == 0
    assert "Первичные отделения: добавлено 9, обновлено 0." in out
    assert query(db_file, "select count(*) from branches") == [(9,)]


async def test_a_bad_file_prints_each_line_and_reason_and_imports_nothing(
    db_file, tmp_path, capsys
):
    path = write_csv(
        tmp_path,
        "23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-03,первый",
        "23,Краснодарский край,Mars/Olympus,Краснодарское местное отделение,20-04,второй",
        "43,Кировская область,Europe/Kirov,,7,Ленинский район",
    )

    code, out, err = await run(capsys, "import-structure", str(path))

    assert code == 1
    assert out == ""
    assert "ничего не изменено" in err
    assert "строка 3: неизвестный часовой пояс «Mars/Olympus»" in err
    assert "строка 4: не заполнено поле local_branch" in err
    assert "строка 2" not in err
    assert query(db_file, "select count(*) from regions") == [(0,)]


async def test_a_missing_or_non_utf8_file_is_one_line(db_file, tmp_path, capsys):
    code, _, err = await run(capsys, "import-structure", "nowhere.csv")
    assert code == 1
    assert err.startswith("Не удалось прочитать файл nowhere.csv")

    cp1251 = tmp_path / "excel.csv"
    cp1251.write_bytes((HEADER + "\n23,Краснодарский край\n").encode("cp1251"))
    code, _, err = await run(capsys, "import-structure", str(cp1251))
    assert code == 1
    assert "не в кодировке UTF-8" in err
    assert "«CSV UTF-8 (разделитель — запятая)»" in err  # the hint the bot gives too
    assert len(err.strip().splitlines()) == 1


async def test_seed_demo_loads_a_structure_once(db_file, capsys):
    code, out, _ = await run(capsys, "seed-demo")
    assert code == 0
    assert "Демонстрационная структура загружена" in out
    assert query(db_file, "select count(*) from regions") == [(3,)]

    code, out, _ = await run(capsys, "seed-demo")
    assert code == 0
    assert "Ничего не изменилось" in out


# --- invite ----------------------------------------------------------------------------


def invite_rows(path: Path) -> list[tuple]:
    return query(
        path,
        "select i.token, i.role, i.reusable, i.expires_at is not null, b.number, r.code "
        "from invites i join invite_branches ib on ib.token = i.token "
        "join branches b on b.id = ib.branch_id join regions r on r.id = b.region_id "
        "order by b.number",
    )


async def test_invite_prints_a_deep_link_that_is_in_the_database(db_file, capsys, monkeypatch):
    monkeypatch.setenv("BOT_USERNAME", "@pervichka_bot")
    assert (await run(capsys, "import-structure", str(EXAMPLE)))[0] == 0

    code, out, _ = await run(capsys, "invite", "--role", "secretary", "--branch", "20-03")

    assert code == 0
    [(username, token)] = LINK.findall(out)
    assert username == "pervichka_bot"
    assert invite_rows(db_file) == [(token, "secretary", 0, 1, "20-03", "23")]
    assert "секретарь" in out
    assert "одноразовая" in out
    assert "(Europe/Moscow)" in out


async def test_a_curator_invite_covers_several_branches(db_file, capsys, monkeypatch):
    monkeypatch.setenv("BOT_USERNAME", "pervichka_bot")
    await run(capsys, "seed-demo")

    code, out, _ = await run(
        capsys, "invite", "--role", "curator", "--branch", "20-03", "--branch", "20-04"
    )

    assert code == 0
    [(_, token)] = LINK.findall(out)
    assert [row[0] for row in invite_rows(db_file)] == [token, token]
    assert [row[4] for row in invite_rows(db_file)] == ["20-03", "20-04"]


async def test_an_ambiguous_number_lists_the_regions_and_region_colon_number_picks_one(
    db_file, tmp_path, capsys, monkeypatch
):
    monkeypatch.setenv("BOT_USERNAME", "pervichka_bot")
    path = write_csv(
        tmp_path,
        "23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,7,семёрка",
        "43,Кировская область,Europe/Kirov,Кировское местное отделение,7,Ленинский район",
    )
    await run(capsys, "import-structure", str(path))

    code, out, err = await run(capsys, "invite", "--role", "member", "--branch", "7")
    assert code == 1
    assert out == ""
    assert "43 (Кировская область)" in err
    assert "23 (Краснодарский край)" in err
    assert "--branch 43:7" in err
    assert invite_rows(db_file) == []

    code, out, _ = await run(capsys, "invite", "--role", "member", "--branch", "43:7")
    assert code == 0
    assert "многоразовая" in out
    [(_, token)] = LINK.findall(out)
    assert invite_rows(db_file) == [(token, "member", 1, 0, "7", "43")]


async def test_unknown_branches_and_a_secretary_of_two_are_refused(db_file, capsys, monkeypatch):
    monkeypatch.setenv("BOT_USERNAME", "pervichka_bot")
    await run(capsys, "seed-demo")

    code, _, err = await run(
        capsys, "invite", "--role", "member", "--branch", "99", "--branch", "54:7"
    )
    assert code == 1
    assert "«99» не найдено" in err
    assert "В регионе с кодом 54 нет первичного отделения «7»" in err

    code, _, err = await run(
        capsys, "invite", "--role", "secretary", "--branch", "20-03", "--branch", "20-04"
    )
    assert code == 1
    assert "ровно один --branch" in err
    assert invite_rows(db_file) == []


async def test_invite_without_a_username_or_token_says_what_to_set(db_file, capsys):
    await run(capsys, "seed-demo")
    code, out, err = await run(capsys, "invite", "--role", "member", "--branch", "20-03")
    assert code == 2
    assert out == ""
    assert "BOT_USERNAME" in err
    assert invite_rows(db_file) == []


async def test_invite_asks_telegram_for_the_username_when_it_is_not_set(
    db_file, capsys, monkeypatch
):
    async with FakeTelegram(token="42:TEST") as api:
        monkeypatch.setenv("BOT_TOKEN", "42:TEST")
        monkeypatch.setenv("TELEGRAM_API_BASE", api.base_url)
        assert await asyncio.to_thread(main, ["seed-demo"]) == 0
        code = await asyncio.to_thread(main, ["invite", "--role", "member", "--branch", "12"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert [c.method for c in api.calls] == ["getMe"]
    [(username, token)] = LINK.findall(out)
    assert username == "pervichka_test_bot"
    assert invite_rows(db_file) == [(token, "member", 1, 0, "12", "54")]


# --- run and settings ------------------------------------------------------------------


async def test_run_without_a_token_explains_how_to_get_one(db_file, capsys):
    code, out, err = await run(capsys, "run")

    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert "@BotFather" in line
    assert ".env" in line
    assert "BOT_TOKEN" in line
    assert not db_file.exists()  # stopped before touching anything


async def test_run_with_the_empty_token_line_of_env_example_is_the_same(db_file, tmp_path, capsys):
    (tmp_path / ".env").write_text("BOT_TOKEN=\nBOT_USERNAME=\n", encoding="utf-8")
    code, _, err = await run(capsys, "run")
    assert code == 2
    assert "@BotFather" in err


async def test_run_with_a_malformed_token_says_so(db_file, capsys, monkeypatch):
    monkeypatch.setenv("BOT_TOKEN", "not-a-token")
    code, _, err = await run(capsys, "run")
    assert code == 2
    assert "не похож на токен" in err


async def test_run_with_a_token_telegram_rejects_stops_with_one_line(db_file, capsys, monkeypatch):
    async with FakeTelegram(token="42:TEST") as api:
        monkeypatch.setenv("BOT_TOKEN", "42:WRONG")
        monkeypatch.setenv("TELEGRAM_API_BASE", api.base_url)
        code = await asyncio.to_thread(main, ["run"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "Telegram не принял BOT_TOKEN" in err
    assert "Traceback" not in out + err
    assert db_file.exists()  # migrations ran first


@pytest.mark.parametrize(
    ("name", "value"),
    [("DEFAULT_TIMEZONE", "Mars/Olympus"), ("ADMIN_IDS", "me"), ("LOG_LEVEL", "LOUD")],
)
async def test_a_bad_setting_is_one_line_and_exit_code_2(db_file, capsys, monkeypatch, name, value):
    monkeypatch.setenv(name, value)
    code, out, err = await run(capsys, "migrate")
    assert code == 2
    assert out == ""
    [line] = err.strip().splitlines()
    assert name in line
    assert not db_file.exists()


async def test_a_database_url_that_cannot_be_used_is_one_line(db_file, capsys, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "nonsense")
    code, _, err = await run(capsys, "migrate")
    assert code == 2
    assert err.startswith("Неверная настройка DATABASE_URL")


async def test_usage_errors_and_help_do_not_raise(db_file, capsys):
    assert await call_main("--help") == 0
    assert "import-structure" in capsys.readouterr().out
    assert await call_main() == 2
    assert await call_main("invite", "--role", "boss", "--branch", "1") == 2
    assert "invalid choice: 'boss'" in capsys.readouterr().err


async def test_python_dash_m_bot_is_the_same_command(db_file):
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "bot", "migrate"],
        capture_output=True,
        text=True,
        check=False,
        cwd=db_file.parent.parent,
        env={"PYTHONPATH": str(Path(__file__).parent.parent), "PATH": ""},
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Схема базы данных обновлена" in result.stdout
    assert db_file.exists()
