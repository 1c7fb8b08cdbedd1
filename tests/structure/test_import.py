"""The structure service: the CSV import (all or nothing, idempotent) and the list queries."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.services.errors import NotFound
from bot.services.structure import csv_format, importing, queries
from storage.db import Database
from storage.models import Branch, LocalBranch, Region

EXAMPLE = Path(__file__).parents[2] / "examples" / "structure.csv"
HEADER = "region_code,region_name,timezone,local_branch,branch_number,branch_name"
KRASNODAR = "23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение"
KIROV = "43,Кировская область,Europe/Kirov,Кировское местное отделение"


def csv_text(*rows: str, header: str = HEADER) -> str:
    return "\n".join([header, *rows]) + "\n"


async def load(database: Database, data) -> importing.ImportReport:
    async with database.transaction() as session:
        return await importing.import_structure(session, data)


async def rejected(database: Database, data) -> list[csv_format.ImportProblem]:
    with pytest.raises(csv_format.StructureImportError) as caught:
        await load(database, data)
    return caught.value.errors


async def counts(database: Database) -> tuple[int, int, int]:
    async with database.sessions() as session:
        return (
            await session.scalar(select(func.count()).select_from(Region)),
            await session.scalar(select(func.count()).select_from(LocalBranch)),
            await session.scalar(select(func.count()).select_from(Branch)),
        )


async def branch(database: Database, number: str, region_code: str | None = None):
    async with database.sessions() as session:
        [found] = await queries.find_branches_by_number(session, number, region_code)
    return found


# --- importing -------------------------------------------------------------------------


async def test_the_example_file_loads_regions_local_branches_and_branches(database):
    report = await load(database, EXAMPLE.read_text(encoding="utf-8"))

    assert report.counts() == {
        "regions_added": 3,
        "regions_updated": 0,
        "locals_added": 4,
        "locals_updated": 0,
        "branches_added": 9,
        "branches_updated": 0,
    }
    assert report.rows == 9
    assert await counts(database) == (3, 4, 9)
    first = await branch(database, "20-03")
    assert (first.name, first.local_branch_name) == (
        "первый Береговой округ",
        "Краснодарское местное отделение",
    )
    assert (first.region_code, first.region_name, first.timezone) == (
        "23",
        "Краснодарский край",
        "Europe/Moscow",
    )
    assert (await branch(database, "7")).timezone == "Europe/Kirov"
    assert (await branch(database, "12")).timezone == "Asia/Novosibirsk"
    # A comma inside a quoted name is part of the name.
    assert (await branch(database, "20-11")).name == "хутор Ленина, Лорис"


async def test_the_same_file_twice_changes_nothing_and_says_so(database):
    text = EXAMPLE.read_text(encoding="utf-8")
    await load(database, text)
    before = await branch(database, "20-03")

    again = await load(database, text)

    assert set(again.counts().values()) == {0}
    assert not again.changed
    assert await counts(database) == (3, 4, 9)
    assert await branch(database, "20-03") == before  # same row, same id


async def test_changed_names_time_zones_and_local_branches_are_updated_in_place(database):
    await load(
        database, csv_text(f"{KRASNODAR},20-03,первый Береговой округ", f"{KIROV},7,Ленинский")
    )
    before = await branch(database, "20-03")

    report = await load(
        database,
        csv_text(
            # the branch moved to another local branch and was renamed
            "23,Краснодарский край,Europe/Moscow,Прикубанское местное отделение,20-03,Береговой",
            "43,Кировская область,Europe/Samara,Кировское местное отделение,7,Ленинский",
        ),
    )

    assert report.counts() == {
        "regions_added": 0,
        "regions_updated": 1,
        "locals_added": 1,
        "locals_updated": 0,
        "branches_added": 0,
        "branches_updated": 1,
    }
    moved = await branch(database, "20-03")
    assert moved.id == before.id  # members and mandates keep their branch
    assert (moved.name, moved.local_branch_name) == ("Береговой", "Прикубанское местное отделение")
    assert (await branch(database, "7")).timezone == "Europe/Samara"
    # Nothing is deleted: the old local branch stays, empty.
    assert await counts(database) == (2, 3, 2)


async def test_a_local_branch_written_in_another_case_is_renamed_not_doubled(database):
    await load(database, csv_text("23,Краснодарский край,Europe/Moscow,краснодарское МО,1,a"))
    report = await load(
        database, csv_text("23,Краснодарский край,Europe/Moscow,Краснодарское МО,1,a")
    )
    assert (report.locals_added, report.locals_updated) == (0, 1)
    assert (await branch(database, "1")).local_branch_name == "Краснодарское МО"


async def test_a_bad_row_rejects_the_whole_file_with_its_line_and_reason(database):
    text = csv_text(
        f"{KRASNODAR},20-03,первый Береговой округ",
        f"{KRASNODAR},20-04,второй Береговой округ",
        f"{KRASNODAR},20-05,",
        f"{KIROV},7,Ленинский район",
    )

    errors = await rejected(database, text)

    assert errors == [csv_format.ImportProblem(4, "не заполнено поле branch_name")]
    assert await counts(database) == (0, 0, 0)  # not even the good rows before it


async def test_a_rejected_file_leaves_the_loaded_structure_as_it_was(database):
    await load(database, csv_text(f"{KRASNODAR},20-03,первый Береговой округ"))

    await rejected(
        database,
        csv_text(f"{KRASNODAR},20-03,переименован", f"{KRASNODAR},20-04,новый,лишнее"),
    )

    assert (await branch(database, "20-03")).name == "первый Береговой округ"
    assert await counts(database) == (1, 1, 1)


async def test_every_bad_row_is_reported_at_once(database):
    text = csv_text(
        f"{KRASNODAR},20-03,первый Береговой округ",
        f"{KRASNODAR},20-03,опять он",
        "23,Краснодарский край,Asia/Omsk,Краснодарское местное отделение,20-04,другой пояс",
        "24,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,1,другой код",
        ",,,,,",  # a spreadsheet's empty line: skipped, not an error
        f"{KIROV},7,Ленинский район,лишнее",
    )

    errors = {e.line: e.reason for e in await rejected(database, text)}

    assert set(errors) == {3, 4, 5, 7}
    assert errors[3] == "первичное отделение 20-03 региона 23 уже есть в строке 2"
    assert "регион 23 уже указан в строке 2" in errors[4]
    assert "Asia/Omsk" in errors[4]
    assert "записан с кодом 23, здесь — с кодом 24" in errors[5]
    assert errors[7].startswith("значений больше, чем столбцов")


@pytest.mark.parametrize(
    ("zone", "reason"),
    [
        ("Mars/Olympus", "неизвестный часовой пояс «Mars/Olympus» (пример: Europe/Moscow)"),
        ("europe/moscow", "неизвестный часовой пояс «europe/moscow» (возможно, Europe/Moscow)"),
        ("../etc/passwd", "неизвестный часовой пояс «../etc/passwd» (пример: Europe/Moscow)"),
    ],
)
async def test_a_time_zone_must_be_a_real_iana_name(database, zone, reason):
    errors = await rejected(database, csv_text(f"23,Краснодарский край,{zone},МО,1,a"))
    assert errors == [csv_format.ImportProblem(2, reason)]
    assert await counts(database) == (0, 0, 0)


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("code,name,tz,local,number,name2", "нет столбцов region_code, region_name"),
        (HEADER.replace("branch_name", "branch_nam"), "нет столбцов branch_name"),
        (HEADER + ",comment", "лишние столбцы comment"),
        (HEADER + ",region_code", "повторяются столбцы region_code"),
    ],
)
async def test_a_bad_header_is_line_one(database, header, expected):
    errors = await rejected(database, csv_text(f"{KRASNODAR},1,a", header=header))
    [problem] = errors
    assert problem.line == 1
    assert problem.reason.startswith("неверный заголовок: ")
    assert expected in problem.reason
    assert HEADER in problem.reason  # says what is wanted


async def test_an_empty_file_or_a_header_alone_is_rejected(database):
    assert (await rejected(database, ""))[0].line == 1
    assert (await rejected(database, csv_text()))[0].reason == (
        "в файле нет ни одной строки со структурой"
    )


async def test_excel_csv_with_semicolons_and_a_bom_loads(database):
    text = "\ufeff" + csv_text(
        f"{KRASNODAR};20-03;первый Береговой округ".replace(",", ";"),
        header=HEADER.replace(",", ";"),
    )
    report = await load(database, text.replace("\n", "\r\n"))
    assert report.branches_added == 1
    assert (await branch(database, "20-03")).region_name == "Краснодарский край"


async def test_rows_already_read_load_like_a_file(database):
    row = dict(
        zip(
            csv_format.COLUMNS,
            ["43", " Кировская  область ", "Europe/Kirov", "Кировское МО", "7", "Ленинский"],
            strict=True,
        )
    )
    report = await load(database, [row])
    assert report.branches_added == 1
    assert (await branch(database, "7")).region_name == "Кировская область"  # spaces tidied
    errors = await rejected(database, [row, {**row, "timezone": "Nowhere"}])
    assert [e.line for e in errors] == [3]


async def test_seed_demo_is_idempotent(database):
    async with database.transaction() as session:
        first = await importing.seed_demo(session)
    async with database.transaction() as session:
        second = await importing.seed_demo(session)
    assert first.branches_added >= 10
    assert first.regions_added == 3
    assert not second.changed


# --- reading ---------------------------------------------------------------------------


async def test_regions_are_listed_by_name_page_by_page(database):
    await load(database, EXAMPLE.read_text(encoding="utf-8"))
    async with database.sessions() as session:
        first = await queries.list_regions(session, 1, per_page=2)
        second = await queries.list_regions(session, 2, per_page=2)
        beyond = await queries.list_regions(session, 5, per_page=2)
        before = await queries.list_regions(session, 0, per_page=2)  # an old 0-based button

    assert [r.name for r in first.items] == ["Кировская область", "Краснодарский край"]
    assert (first.page, first.pages, first.total) == (1, 2, 3)
    assert (first.has_prev, first.has_next) == (False, True)
    assert [r.name for r in second.items] == ["Новосибирская область"]
    assert second.items[0].timezone == "Asia/Novosibirsk"
    assert beyond.page == 2
    assert beyond.items == second.items
    assert before.page == 1
    assert before.items == first.items


async def test_branches_are_listed_in_natural_number_order_page_by_page(database):
    async with database.transaction() as session:
        await importing.seed_demo(session)
        await importing.import_structure(
            session, csv_text(*(f"{KIROV},{n},участок {n}" for n in ["10", "2", "7"]))
        )
    async with database.sessions() as session:
        kirov = (await queries.list_regions(session, 1)).items[0]
        [local] = (await queries.list_local_branches(session, kirov.id, 1, 8)).items
        kirov_branches = await queries.list_branches(session, local.id, 1, 8)
        krasnodar = (await queries.list_regions(session, 1)).items[1]
        locals_ = await queries.list_local_branches(session, krasnodar.id, 1, 8)
        city = locals_.items[0]
        pages = [await queries.list_branches(session, city.id, p, 8) for p in (1, 2)]

    assert [b.number for b in kirov_branches.items] == ["2", "7", "8", "10"]
    assert (local.name, local.region_name) == ("Кировское местное отделение", "Кировская область")
    assert [lb.name for lb in locals_.items] == [
        "Краснодарское местное отделение",
        "Сочинское местное отделение",
    ]
    assert [b.number for b in pages[0].items] == [f"20-{n:02d}" for n in range(1, 9)]
    assert [b.number for b in pages[1].items] == ["20-09", "20-10", "20-11"]
    assert (pages[1].page, pages[1].pages, pages[1].total) == (2, 2, 11)


async def test_an_empty_list_is_one_empty_page(database):
    async with database.sessions() as session:
        page = await queries.list_regions(session, 3)
    assert (page.items, page.page, page.pages, page.total) == ([], 1, 1, 0)


async def test_a_branch_is_found_by_id_or_by_number_across_regions(database):
    await load(database, csv_text(f"{KRASNODAR},7,краснодарская семёрка", f"{KIROV},7,Ленинский"))
    async with database.sessions() as session:
        both = await queries.find_branches_by_number(session, "7")
        kirov = await queries.find_branches_by_number(session, " 7 ", region_code="43")
        none = await queries.find_branches_by_number(session, "7", region_code="54")
        info = await queries.get_branch(session, kirov[0].id)
        local = await queries.get_local_branch(session, info.local_branch_id)
        region = await queries.get_region(session, info.region_id)
        with pytest.raises(NotFound) as missing:
            await queries.get_branch(session, 10_000)

    assert [b.region_code for b in both] == ["43", "23"]  # by region name: Кировская first
    assert [b.name for b in kirov] == ["Ленинский"]
    assert none == []
    assert info == kirov[0]
    assert (local.name, region.code) == ("Кировское местное отделение", "43")
    assert missing.value.code == "branch_not_found"
