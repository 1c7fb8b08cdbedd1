"""The admin menu through the dispatcher: structure upload and invite links."""

from __future__ import annotations

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
    assert "Пришлите CSV-файл" in admin.last_text
    await admin.send("вот файл")  # text where a file is expected
    assert admin.replies() == [admin.replies()[0], admin.last_text]
    assert admin.replies()[0] == "Нужен файл .csv, а не текст или картинка."
    assert "Пришлите CSV-файл" in admin.last_text

    await admin.send_document("csv-1", "structure.csv", GOOD_CSV.encode())
    assert "Первичные отделения: добавлено 2, обновлено 0" in admin.last_text
    assert await _count(database, Branch) == 2


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
