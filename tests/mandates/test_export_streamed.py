"""`/export` streamed: rows read in chunks and written into the workbook chunk by chunk, in
the child process; the file is the same whatever the chunks, and the same as the one
written from all rows at once. A child that dies half-way costs the export nothing."""

from __future__ import annotations

import io
import os
import zipfile
from datetime import date

from bot.services.mandates import decisions, workbook
from bot.services.mandates import export as mandate_export
from bot.services.mandates.export import export_mandates_xlsx
from tests.mandates.helpers import act, submit


async def _export(database, user_id, clock) -> bytes:
    return await act(
        database,
        export_mandates_xlsx,
        user_id,
        date(2026, 11, 1),
        date(2026, 11, 30),
        "Europe/Moscow",
        clock.now(),
    )


async def _branch(database, world, clock, count: int = 7) -> None:
    """`count` mandates, every other one accepted and resolved: history of 1–3 rows each."""
    for n in range(count):
        mandate = await submit(database, world.author, clock.now(), address=f"ул. Мира, {n}")
        clock.advance(minutes=5)
        if n % 2:
            await act(database, decisions.accept_mandate, world.secretary, mandate.id, clock.now())
            await act(
                database,
                decisions.resolve_mandate,
                world.secretary,
                mandate.id,
                f"Сделано {n}",
                clock.now(),
            )
    clock.advance(days=1)


def _parts(data: bytes) -> dict[str, bytes]:
    """The file's parts, but for the moment it was written (docProps/core.xml)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {
            name: archive.read(name) for name in archive.namelist() if name != "docProps/core.xml"
        }


async def test_the_file_is_the_same_whatever_the_chunks(database, world, clock, monkeypatch):
    await _branch(database, world, clock)
    whole = await _export(database, world.secretary, clock)
    monkeypatch.setattr(mandate_export, "_CHUNK", 2)
    chunked = await _export(database, world.secretary, clock)
    monkeypatch.setattr(mandate_export, "_CHUNK", 1)
    by_row = await _export(database, world.secretary, clock)

    assert _parts(chunked) == _parts(whole)
    assert _parts(by_row) == _parts(whole)


async def test_the_file_is_the_one_written_from_all_rows_at_once(
    database, world, clock, monkeypatch
):
    await _branch(database, world, clock)
    appended: dict[int, list[list]] = {0: [], 1: []}
    real = workbook.StreamedWorkbook.append

    async def spy(self, sheet, rows):
        appended[sheet].append(rows)
        await real(self, sheet, rows)

    monkeypatch.setattr(workbook.StreamedWorkbook, "append", spy)
    monkeypatch.setattr(mandate_export, "_CHUNK", 3)
    streamed = await _export(database, world.secretary, clock)

    # Read and handed over in chunks of 3, never all rows at once…
    assert [len(chunk) for chunk in appended[0]] == [3, 3, 1]
    assert max(len(chunk) for chunk in appended[1]) == 3
    assert len(appended[1]) >= 4
    # …and the file is what the rows written at once give.
    sheets = (
        ("Наказы", mandate_export._headers(mandate_export.MANDATE_COLUMNS),
         mandate_export._widths(mandate_export.MANDATE_COLUMNS)),
        ("История", mandate_export._headers(mandate_export.HISTORY_COLUMNS),
         mandate_export._widths(mandate_export.HISTORY_COLUMNS)),
    )  # fmt: skip
    at_once = workbook.build_workbook(
        sheets,
        [row for chunk in appended[0] for row in chunk],
        [row for chunk in appended[1] for row in chunk],
        freeze_header=True,  # the export's header stays in sight
    )
    assert _parts(streamed) == _parts(at_once)


def _append_or_die(key: str, sheet: int, rows: list[list]) -> None:
    # Module-level so the child process can import it: the child dies at its first chunk
    # of history; in the parent (the export written again in threads) it appends.
    if os.environ.get("PERVICHKA_TEST_PARENT") != str(os.getpid()) and sheet == 1:
        os._exit(1)
    _REAL_APPEND(key, sheet, rows)


_REAL_APPEND = workbook.append_rows


async def test_a_child_that_dies_half_way_costs_the_export_nothing(
    database, world, clock, monkeypatch
):
    await _branch(database, world, clock)
    expected = _parts(await _export(database, world.secretary, clock))
    child = workbook._process_pool()
    monkeypatch.setenv("PERVICHKA_TEST_PARENT", str(os.getpid()))
    # The child was started before this variable was set; a new one (after the death)
    # would inherit it but is not used until the next export.
    monkeypatch.setattr(workbook, "append_rows", _append_or_die)
    data = await _export(database, world.secretary, clock)
    assert _parts(data) == expected
    assert workbook._pool is not child  # it died, and was let go
    # The next export has a child again, and the workbooks left in the parent are gone.
    monkeypatch.setattr(workbook, "append_rows", _REAL_APPEND)
    assert _parts(await _export(database, world.secretary, clock)) == expected
    assert await workbook.off_process(os.getpid) != os.getpid()
    assert workbook._open_books == {}
