"""Practices' search: a catalogue of published practices written from a vocabulary of
the secretaries' own subjects (ТОС, наставничество, гранты, субботники, молодёжь…), the
time to build the index, and the latency of one-to-three-word queries through
`search_practices` — next to a plain `LIKE '%word%'` scan over the same rows.

The queries use other forms of the words than the texts do («грантов» for «грант»), as
people type them; the LIKE scan cannot find those, it is there for its cost only.
On SQLite by default; with `--postgres-url` (wiped!) the same on PostgreSQL too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import random
import statistics
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import insert, select, text

from bench import Result, bench_settings, format_table, migrated_database
from bot.services.practices.search import index_row, search_practices
from storage.db import Database
from storage.models import Branch, LocalBranch, Practice, Region, User

AUTHOR = 1
NOW = datetime(2026, 11, 21, 9, 0, tzinfo=UTC)
CATEGORIES = ("tos", "mentoring", "mandates", "youth", "volunteers", "grants", "media", "other")

# Subjects in several of their forms: texts take one form, queries often another.
SUBJECTS = [
    ("ТОС", "ТОСа", "ТОСу", "ТОСом", "ТОСы"),
    ("наставник", "наставника", "наставники", "наставничество", "наставничества"),
    ("грант", "гранта", "гранты", "грантов", "грантом"),
    ("субботник", "субботника", "субботники", "субботников"),
    ("молодёжь", "молодёжи", "молодёжью"),
    ("волонтёр", "волонтёры", "волонтёров", "волонтёрами"),
    ("наказ", "наказы", "наказов", "наказами"),
    ("двор", "двора", "дворе", "дворов", "дворы"),
    ("площадка", "площадки", "площадку", "площадок"),
    ("жители", "жителей", "жителям", "жителями"),
    ("конкурс", "конкурса", "конкурсе", "конкурсов"),
    ("школа", "школы", "школе", "школьники", "школьников"),
    ("ветераны", "ветеранов", "ветеранам"),
    ("освещение", "освещения", "фонари", "фонарей"),
    ("дорога", "дороги", "дорогу", "дорог"),
    ("секретарь", "секретаря", "секретари", "секретарей"),
    ("отделение", "отделения", "отделений", "первичка", "первички"),
    ("встреча", "встречи", "встречу", "встреч"),
    ("парк", "парка", "парке", "сквер", "сквера"),
    ("депутат", "депутата", "депутаты", "депутатов"),
    ("библиотека", "библиотеки", "библиотеке"),
    ("спортплощадка", "спортплощадки", "спортплощадку"),
    ("турнир", "турнира", "турниры", "турниров"),
    ("пенсионеры", "пенсионеров", "пенсионерам"),
    ("субсидия", "субсидии", "субсидий"),
    ("администрация", "администрации", "администрацией"),
    ("управляющая компания", "управляющей компании", "управляющую компанию"),
    ("остановка", "остановки", "остановок"),
    ("тротуар", "тротуара", "тротуары", "тротуаров"),
    ("мусор", "мусора", "контейнеры", "контейнеров"),
    ("газета", "газеты", "газету", "листовки", "листовок"),
    ("чат", "чата", "чаты", "канал", "канала"),
    ("акция", "акции", "акций", "акцию"),
    ("фестиваль", "фестиваля", "фестивали"),
    ("праздник", "праздника", "праздники", "праздников"),
    ("клуб", "клуба", "клубы", "кружок", "кружка"),
    ("реформа", "реформы", "объединение", "объединения"),
    ("собрание", "собрания", "собраний"),
    ("приём", "приёма", "приёмы", "приёмов"),
    ("многодетные", "многодетных", "семьи", "семей"),
    ("дети", "детей", "детям", "детьми"),
    ("студенты", "студентов", "студентами", "колледж", "колледжа"),
    ("памятник", "памятника", "мемориал", "мемориала"),
    ("деревья", "деревьев", "аллея", "аллеи", "аллею"),
    ("водопровод", "водопровода", "вода", "воды"),
    ("больница", "больницы", "поликлиника", "поликлиники"),
    ("транспорт", "транспорта", "автобус", "автобуса", "маршрут", "маршрута"),
    ("выборы", "выборов", "наблюдатели", "наблюдателей"),
    ("ремонт", "ремонта", "ремонту"),
    ("обращение", "обращения", "обращений", "жалоба", "жалобы"),
]
VERBS = [
    "Провели", "Организовали", "Создали", "Запустили", "Собрали", "Подготовили",
    "Выиграли", "Поддержали", "Отремонтировали", "Обсудили", "Пригласили", "Открыли",
]  # fmt: skip
LINKS = ["для", "вместе с", "на базе", "по просьбе", "при поддержке", "в рамках", "силами"]
ADJECTIVES = [
    "новый", "муниципальный", "президентский", "детский", "местный", "городской",
    "районный", "общественный", "молодёжный", "старый", "первый", "большой",
]  # fmt: skip
RESULTS = [
    "пришли {n} жителей", "выиграли грант {n} 000 ₽", "записались {n} волонтёров",
    "отремонтировали {n} дворов", "в отделение вступили {n} человек",
    "провели {n} встреч", "собрали {n} наказов", "посадили {n} деревьев",
]  # fmt: skip


def _form(rng: random.Random) -> str:
    return rng.choice(rng.choice(SUBJECTS))


def _sentence(rng: random.Random) -> str:
    words = [rng.choice(VERBS), rng.choice(ADJECTIVES), _form(rng), rng.choice(LINKS), _form(rng)]
    if rng.random() < 0.5:
        words += ["и", _form(rng)]
    return " ".join(words) + "."


def practice_rows(count: int, branch_id: int, seed: int = 10) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows = []
    for n in range(count):
        title = f"{rng.choice(VERBS)} {_form(rng)} {rng.choice(LINKS)} {_form(rng)}"
        what_done = " ".join(_sentence(rng) for _ in range(rng.randint(2, 5)))
        result = ", ".join(rng.choice(RESULTS).format(n=rng.randint(2, 500)) for _ in range(2))
        rows.append(
            {"author_id": AUTHOR, "branch_id": branch_id, "title": title[:200],
             "category": CATEGORIES[n % len(CATEGORIES)], "what_done": what_done,
             "result": result.capitalize() + ".", "status": "published",
             "contact_offer": False, "likes_count": 0, "adoptions_count": 0,
             "created_at": NOW, "submitted_at": NOW, "published_at": NOW, "updated_at": NOW}
        )  # fmt: skip
    return rows


def queries(count: int, seed: int = 11) -> list[str]:
    rng = random.Random(seed)
    return [" ".join(_form(rng) for _ in range(rng.randint(1, 3))) for _ in range(count)]


def _cuts(latencies: list[float]) -> str:
    p95 = statistics.quantiles(latencies, n=100)[94]
    return f"median {statistics.median(latencies) * 1000:.2f} ms, p95 {p95 * 1000:.2f} ms"


@contextlib.asynccontextmanager
async def _database(postgres_url: str | None) -> AsyncIterator[Database]:
    with tempfile.TemporaryDirectory(prefix="pervichka-bench-") as folder:
        overrides: dict[str, object] = {}
        if postgres_url:
            overrides["database_url"] = postgres_url
            wipe = Database(postgres_url)
            async with wipe.engine.begin() as conn:
                await conn.execute(text("DROP SCHEMA public CASCADE"))
                await conn.execute(text("CREATE SCHEMA public"))
            await wipe.dispose()
        database = await migrated_database(bench_settings(Path(folder), **overrides))
        try:
            yield database
        finally:
            await database.dispose()


async def _seed(database: Database, count: int) -> None:
    async with database.transaction() as session:
        region = Region(code="23", name="Краснодарский край", timezone="Europe/Moscow")
        session.add(region)
        await session.flush()
        local = LocalBranch(region_id=region.id, name="Краснодарское местное отделение")
        session.add(local)
        await session.flush()
        branch = Branch(region_id=region.id, local_branch_id=local.id, number="20-03", name="о")
        session.add(branch)
        await session.flush()
        session.add(User(id=AUTHOR, full_name="Автор", branch_id=branch.id, created_at=NOW))
        await session.flush()
        rows = practice_rows(count, branch.id)
        for start in range(0, len(rows), 2000):
            await session.execute(insert(Practice), rows[start : start + 2000])


async def _build_index(database: Database) -> float:
    """Every published practice through the index's own insert, in one transaction."""
    started = time.perf_counter()
    async with database.transaction() as session:
        rows = (
            await session.execute(select(Practice.id, Practice.title, Practice.what_done,
                                         Practice.result))
        ).all()  # fmt: skip
        await session.run_sync(lambda sync: [index_row(sync.connection(), *row) for row in rows])
    return time.perf_counter() - started


_LIKE = (
    "SELECT id, title, category FROM practices WHERE status = 'published' AND {words} "
    "ORDER BY published_at DESC, id DESC LIMIT 5"
)
_LIKE_WORD = "(title LIKE :w{n} OR what_done LIKE :w{n} OR result LIKE :w{n})"


async def _like(database: Database, query: str) -> int:
    words = query.split()
    sql = _LIKE.format(words=" AND ".join(_LIKE_WORD.format(n=n) for n in range(len(words))))
    params = {f"w{n}": f"%{w}%" for n, w in enumerate(words)}
    count_sql = sql.replace("id, title, category", "count(*)", 1).split(" ORDER BY")[0]
    async with database.reading() as session:
        rows = (await session.execute(text(sql), params)).all()
        await session.scalar(text(count_sql), params)
    return len(rows)


async def bench_one(count: int, query_count: int, postgres_url: str | None) -> list[Result]:
    where = "PostgreSQL" if postgres_url else "SQLite"
    async with _database(postgres_url) as database:
        await _seed(database, count)
        build = await _build_index(database)
        asked = queries(query_count)
        for query in asked[:20]:  # warm the caches and the stemmer's memo, as a running bot
            async with database.reading() as session:
                await search_practices(session, query)
        latencies, found = [], 0
        for query in asked:
            started = time.perf_counter()
            async with database.reading() as session:
                page = await search_practices(session, query)
            latencies.append(time.perf_counter() - started)
            found += page.total
        like_latencies, like_found = [], 0
        for query in asked:
            started = time.perf_counter()
            like_found += await _like(database, query) > 0
            like_latencies.append(time.perf_counter() - started)
    hits = len(asked)
    return [
        Result(f"practices: index {count:,} ({where})", count, build),
        Result(
            f"practices: search, 1–3 words ({where})", hits, sum(latencies),
            f"{_cuts(latencies)}; {found / hits:,.0f} matches per query on average",
        ),
        Result(
            f"practices: LIKE '%word%' scan, same queries ({where})", hits, sum(like_latencies),
            f"{_cuts(like_latencies)}; one word form only, found something for {like_found}",
        ),
    ]  # fmt: skip


async def run(count: int, query_count: int, postgres_url: str | None = None) -> list[Result]:
    results = await bench_one(count, query_count, None)
    if postgres_url:
        results += await bench_one(count, query_count, postgres_url)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.practice_search_bench")
    parser.add_argument("--practices", type=int, default=10_000)
    parser.add_argument("--queries", type=int, default=1_000)
    parser.add_argument("--postgres-url", help="also on this PostgreSQL database (wiped!)")
    args = parser.parse_args()
    logging.basicConfig(level=logging.CRITICAL)
    results = asyncio.run(run(args.practices, args.queries, args.postgres_url))
    print(format_table(results), flush=True)


if __name__ == "__main__":
    main()
