"""The admin menu through the dispatcher: structure upload and invite links."""

from __future__ import annotations

import io

from aiogram.methods import SendDocument
from openpyxl import Workbook, load_workbook
from sqlalchemy import func, select

from bot.services.people import Role
from storage.models import Branch, Invite
from tests.conftest import ADMIN_ID
from tests.harness.factories import make_branch, make_user

GOOD_CSV = (
    "region_code,region_name,timezone,local_branch,branch_number,branch_name\n"
    "23,Краснодарский край,Europe/Moscow,Краснодарское местное отделение,20-03,"
    "первый Береговой округ\n"
    "43,Кировская область,Europe/Kirov,Кировское местное отделение,7,Ленинский район\n"
)


async def _count(database, model):
    async with database.sessions() as session:
        return await session.scalar(select(func.count()).select_from(model))


async def test_admin_from_settings_loads_the_structure_by_sending_a_file(database, make_client):
    admin = make_client(ADMIN_ID)
    await admin.send("/start")
    await admin.click("Даю согласие")
    assert "🛠 Администрирование" in admin.keyboard()

    await admin.send("🛠 Администрирование")
    await admin.click("Загрузить структуру")
    assert "Пришлите файл Excel (.xlsx) или CSV" in admin.last_text
    await admin.send("вот файл")  # text where a file is expected
    assert admin.replies() == [admin.replies()[0], admin.last_text]
    assert admin.replies()[0] == "Нужен файл Excel (.xlsx) или CSV, а не текст или картинка."
    assert "Пришлите файл Excel (.xlsx) или CSV" in admin.last_text

    await admin.send_document("csv-1", "structure.csv", GOOD_CSV.encode())
    assert "Первичные отделения: добавлено 2, обновлено 0" in admin.last_text
    assert await _count(database, Branch) == 2


async def _upload_prompt(database, make_client):
    await make_user(database, ADMIN_ID)
    admin = make_client(ADMIN_ID)
    await admin.send("/admin")
    await admin.click("Загрузить структуру")
    return admin


def _xlsx(*rows) -> bytes:
    workbook = Workbook()
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def test_an_excel_file_is_read_and_a_repeated_upload_changes_nothing(database, make_client):
    admin = await _upload_prompt(database, make_client)
    header = GOOD_CSV.splitlines()[0].split(",")
    workbook = _xlsx(
        header,  # numbers as Excel keeps them: the region code a number, not text
        [
            23,
            "Краснодарский край",
            "Europe/Moscow",
            "Краснодарское местное отделение",
            "20-03",
            "первый Береговой округ",
        ],
        [
            43,
            "Кировская область",
            "Europe/Kirov",
            "Кировское местное отделение",
            7,
            "Ленинский район",
        ],
    )
    await admin.send_document("xlsx-1", "Структура.xlsx", workbook)
    assert admin.last_text.startswith("✅ Структура загружена (2 строки).")
    assert "Первичные отделения: добавлено 2, обновлено 0" in admin.last_text
    assert await _count(database, Branch) == 2

    await admin.send("/admin")
    await admin.click("Загрузить структуру")
    await admin.send_document("csv-again", "structure.csv", GOOD_CSV.encode())
    assert admin.replies() == [
        "✅ Файл прочитан (2 строки). Ничего не изменилось: всё из файла уже есть в базе."
    ]


async def test_a_date_excel_made_of_a_branch_number_is_told_not_imported(database, make_client):
    from datetime import datetime

    admin = await _upload_prompt(database, make_client)
    header = GOOD_CSV.splitlines()[0].split(",")
    row = ["23", "Краснодарский край", "Europe/Moscow", "Краснодарское", datetime(2026, 3, 20), "x"]
    await admin.send_document("xlsx-2", "s.xlsx", _xlsx(header, row))
    assert "строка 2: в поле branch_number Excel записал дату вместо текста" in admin.last_text
    assert await _count(database, Branch) == 0


async def test_files_that_are_not_a_readable_table_get_the_excel_hint(database, make_client):
    admin = await _upload_prompt(database, make_client)
    await admin.send_document("cp1251", "excel.csv", GOOD_CSV.encode("cp1251"))
    [said] = admin.replies()
    assert said.startswith("❌ Файл не загружен, ничего не изменено. Файл не в кодировке UTF-8")
    assert "«Книга Excel (.xlsx)» или «CSV UTF-8 (разделитель — запятая)»" in said
    assert "столбц" not in said  # no header error listing garbage columns

    await admin.send_document("xls", "old.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(64))
    assert "старого формата Excel (.xls)" in admin.last_text
    await admin.send_document("pdf", "scan.pdf", b"%PDF-1.4\n\x00\x01binary")
    assert "Это не таблица" in admin.last_text
    await admin.send_document("zip", "photos.xlsx", b"PK\x03\x04 not really a workbook")
    assert "Это не таблица" in admin.last_text
    assert await _count(database, Branch) == 0


async def test_the_prompt_explains_the_columns_and_offers_a_template(
    database, make_client, recording
):
    admin = await _upload_prompt(database, make_client)
    prompt = admin.last_text
    assert "<code>region_code</code> — код субъекта РФ, например: 23" in prompt
    assert "<code>timezone</code> — часовой пояс региона, например: Europe/Moscow" in prompt
    await admin.click("Скачать образец")
    [sent] = recording.sent(SendDocument)
    assert sent.document.filename == "structure-template.xlsx"
    workbook = load_workbook(io.BytesIO(sent.document.data))
    first, notes = workbook.worksheets
    assert [c.value for c in first[1]] == GOOD_CSV.splitlines()[0].split(",")
    assert first.max_row == 1 or all(c.value is None for c in first[2])  # nothing to delete
    assert [c.value for c in notes[6]] == ["branch_number", "номер первичного отделения", "20-03"]

    # The template, filled in and sent back, loads.
    first.append(["23", "Краснодарский край", "Europe/Moscow", "Краснодарское", "20-03", "центр"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    await admin.send_document("filled", "structure-template.xlsx", buffer.getvalue())
    assert admin.last_text.startswith("✅ Структура загружена (1 строка).")


async def test_a_file_with_a_bad_row_is_rejected_whole(database, make_client):
    await make_user(database, ADMIN_ID)
    admin = make_client(ADMIN_ID)
    await admin.send("/admin")
    await admin.click("Загрузить структуру")
    bad = GOOD_CSV + "54,Новосибирская область,Asia/Nowhere,Новосибирское,1,центр\n"
    await admin.send_document("csv-2", "structure.csv", bad.encode())
    assert "Файл не загружен" in admin.last_text
    assert "строка 4" in admin.last_text
    assert await _count(database, Branch) == 0


async def test_admin_makes_a_secretary_invite_in_the_chat(database, make_client):
    await make_branch(database, "20-03")
    await make_user(database, ADMIN_ID)
    admin = make_client(ADMIN_ID)
    await admin.send("/admin")
    await admin.click("Создать приглашение")
    await admin.click("Секретаря")
    await admin.click("Краснодарский край")
    await admin.click("Краснодарское местное отделение")
    await admin.click("№20-03")
    assert "https://t.me/pervichka_test_bot?start=" in admin.last_text
    assert "одноразовая" in admin.last_text
    async with database.sessions() as session:
        invite = await session.scalar(select(Invite))
    assert (invite.role, invite.reusable, invite.created_by) == ("secretary", False, ADMIN_ID)
    assert invite.token in admin.last_text


async def test_curator_invite_takes_several_branches(database, make_client):
    a = await make_branch(database, "20-03")
    b = await make_branch(database, "20-04")
    await make_user(database, ADMIN_ID)
    admin = make_client(ADMIN_ID)
    await admin.send("/admin")
    await admin.click("Создать приглашение")
    await admin.click("Куратора")
    await admin.click("Краснодарский край")
    await admin.click("Краснодарское местное отделение")
    await admin.click("Готово")
    assert admin.session.sent()[-1].text == "Отметьте хотя бы одно отделение."
    await admin.click("№20-03")
    await admin.click("№20-04")
    assert admin.buttons()[:2] == [
        "✅ №20-03 — первый Береговой округ",
        "✅ №20-04 — первый Береговой округ",
    ]
    await admin.click("Готово (2)")
    assert "№20-03, №20-04" in admin.last_text
    async with database.sessions() as session:
        invite = await session.scalar(select(Invite))
    assert sorted(ib.branch_id for ib in invite.branches) == [a, b]


async def test_the_admin_menu_is_not_for_others(database, make_client):
    branch_id = await make_branch(database)
    await make_user(database, 700, branch_id=branch_id, roles={Role.SECRETARY: [branch_id]})
    secretary = make_client(700)
    await secretary.send("/admin")
    assert "Администрирование" not in secretary.last_text
    await secretary.click_data("adm:invite")
    assert secretary.session.sent()[-1].text == "Эта кнопка устарела. Откройте меню: /menu"
    assert await _count(database, Invite) == 0
