"""/export through the real bot: a member submits two mandates (one whose text looks like
a formula and like XlsxWriter's rich-text marker), the secretary asks for «За всё время»
and the workbook the bot uploaded is opened and printed, row by row, as a reader sees it."""

import io

from openpyxl import load_workbook
from walk import demo_invites, join, submit_mandate

SECRETARY, MEMBER = 9701, 9702
NAMES = {SECRETARY: "Секретарь", MEMBER: "Участник"}
LINKS: dict[str, str] = {}


async def prepare(env) -> None:
    LINKS.update(await demo_invites(env, "20-03", "secretary", "member"))


async def walk(w) -> None:
    await join(w, SECRETARY, LINKS["secretary"])
    await join(w, MEMBER, LINKS["member"])
    await submit_mandate(
        w, MEMBER, "=СУММ(A1:A9) — так подписан столб у дома 15, фонарь не горит", "ул. Ленина, 15"
    )
    await submit_mandate(w, MEMBER, "<r>&</r> на двери подъезда, нужно закрасить", "ул. Мира, 3")
    await w.press(SECRETARY, "Принять в работу")

    await w.say(SECRETARY, "/export")
    await w.press(SECRETARY, "За всё время")
    await w.settle(quiet=8)  # the first export starts the child process that writes it

    sent = [c for c in w.api.calls if c.method.lower() == "senddocument" and c.status == 200]
    upload = sent[-1].files or {}
    data = next(iter(upload.values()))
    book = load_workbook(io.BytesIO(data))
    for sheet in book.worksheets:
        print(f"\n[{sheet.title}] frozen at {sheet.freeze_panes}")
        for row in sheet.iter_rows(values_only=True):
            print("   ", " | ".join("" if v is None else str(v) for v in row))
