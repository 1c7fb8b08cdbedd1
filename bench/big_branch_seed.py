"""The big branch of the /inbox and /export benchmark, seeded with bulk inserts (not
through the chat): two years of mandates with their history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bench.mandate_members import (
    TIMEZONE,
    add_people,
    random_text,
)
from bot.config import Settings
from bot.services.mandates.lifecycle import OPEN_STATUSES
from bot.services.people import Role, grant_role
from bot.services.working_days import add_working_days
from storage.db import Database
from storage.models import (
    Branch,
    LocalBranch,
    Mandate,
    MandateCounter,
    MandateEvent,
    MandatePhoto,
    Region,
)

BIG_SECRETARY = 4_000_000
BIG_AUTHORS_FROM = 4_100_000


@dataclass(frozen=True, slots=True)
class BigBranch:
    branch_id: int
    secretary_id: int
    mandates: int
    open: int
    overdue: int


# Status shares by age: old mandates are mostly finished, fresh ones mostly waiting.
_OLD_STATUSES = {"resolved": 60, "rejected": 12, "forwarded": 8, "accepted": 15, "new": 4}
_FRESH_STATUSES = {"new": 30, "accepted": 35, "clarification": 5, "forwarded": 10}
_FRESH_STATUSES |= {"resolved": 15, "rejected": 5}
FRESH_DAYS = 90
SPAN_DAYS = 730  # mandates submitted over the last two years


def _status(rng: random.Random, age: timedelta) -> str:
    shares = _FRESH_STATUSES if age.days < FRESH_DAYS else _OLD_STATUSES
    return rng.choices(list(shares), weights=list(shares.values()))[0]


class _BranchRows:
    """Mandate, photo and history rows of one branch, as plain dicts for bulk inserts."""

    def __init__(self, first_id: int) -> None:
        self.next_id = first_id
        self.mandates: list[dict[str, Any]] = []
        self.photos: list[dict[str, Any]] = []
        self.events: list[dict[str, Any]] = []
        self.counters: dict[int, int] = {}

    def add(
        self,
        rng: random.Random,
        branch: tuple[int, str],
        created: datetime,
        now: datetime,
        authors: list[int],
        secretary: int,
        categories: tuple[str, ...],
    ) -> None:
        branch_id, branch_number = branch
        mandate_id, self.next_id = self.next_id, self.next_id + 1
        year = created.astimezone(ZoneInfo(TIMEZONE)).year
        self.counters[year] = sequence = self.counters.get(year, 0) + 1
        status = _status(rng, now - created)
        author = rng.choice(authors)
        due = add_working_days(created, 3, TIMEZONE)
        answered = closed = None
        if status != "new":
            answered = min(created + timedelta(hours=rng.uniform(2, 150)), now)
        if status in ("resolved", "rejected"):
            closed = min(answered + timedelta(days=rng.uniform(0, 40)), now)  # type: ignore[operator]
        voter = rng.random() < 0.3
        rated = rng.randint(3, 5) if status == "resolved" and rng.random() < 0.6 else None
        self.mandates.append(
            {
                "id": mandate_id,
                "number": f"{branch_number}/{year}/{sequence:04d}",
                "branch_id": branch_id,
                "author_id": author,
                "category": rng.choice(categories),
                "text": random_text(rng) + ". " + random_text(rng),
                "address": f"ул. Мира, {rng.randint(1, 300)}" if rng.random() < 0.6 else None,
                "latitude": None,
                "longitude": None,
                "on_behalf": "voter" if voter else "self",
                "voter_name": "Анна Петровна Смирнова" if voter else None,
                "voter_phone": "+79181234567" if voter and rng.random() < 0.5 else None,
                "status": status,
                "status_before_clarification": "accepted" if status == "clarification" else None,
                "forwarded_to": "Администрация района" if status == "forwarded" else None,
                "supporters": rng.choice((0, 0, 0, 1, 2)),
                "created_at": created,
                "updated_at": closed or answered or created,
                "due_at": due,
                "first_answered_at": answered,
                "closed_at": closed,
                "rating": rated,
                "rated_at": closed if rated else None,
            }
        )
        if rng.random() < 0.1:
            self.photos += [
                {"mandate_id": mandate_id, "position": n, "file_id": f"photo-{mandate_id}-{n}"}
                for n in range(rng.randint(1, 3))
            ]
        self._history(mandate_id, author, secretary, status, created, answered, closed)
        if rated:
            self.events.append(
                {"mandate_id": mandate_id, "actor_id": author, "actor_role": "author"}
                | {"action": "rated", "from_status": None, "to_status": None, "comment": None}
                | {"rating": rated, "created_at": closed}
            )

    def _history(
        self,
        mandate_id: int,
        author: int,
        secretary: int,
        status: str,
        created: datetime,
        answered: datetime | None,
        closed: datetime | None,
    ) -> None:
        base = {"mandate_id": mandate_id, "comment": None, "rating": None}
        self.events.append(
            base
            | {"actor_id": author, "actor_role": "author", "action": "submitted"}
            | {"from_status": None, "to_status": "new", "created_at": created}
        )
        if answered is None:
            return
        for n, (action, before, after, comment) in enumerate(_HISTORY[status]):
            at = closed if action == "resolved" and closed else answered + timedelta(hours=n)
            self.events.append(
                base
                | {"actor_id": secretary, "actor_role": "secretary", "action": action}
                | {"from_status": before, "to_status": after, "created_at": at}
                | {"comment": comment}
            )


# The secretary's steps that lead to each status: (action, from, to, comment).
_ACCEPT = ("accepted", "new", "accepted", None)
_HISTORY: dict[str, list[tuple[str, str, str, str | None]]] = {
    "accepted": [_ACCEPT],
    "rejected": [("rejected", "new", "rejected", "Вопрос не относится к ведению отделения")],
    "clarification": [
        _ACCEPT,
        ("clarification_asked", "accepted", "clarification", "Уточните номер подъезда"),
    ],
    "forwarded": [_ACCEPT, ("forwarded", "accepted", "forwarded", "Администрация района")],
    "resolved": [_ACCEPT, ("resolved", "accepted", "resolved", "Работы выполнены")],
}


async def seed_big_branch(
    database: Database, settings: Settings, count: int, now: datetime
) -> BigBranch:
    """One branch with `count` mandates submitted over two years, realistic statuses (old
    ones mostly finished, some still waiting and overdue), history and some photos; two
    neighbouring branches with a fifth as many each, for the scope filter to leave out."""
    rng = random.Random(7)
    categories = tuple(settings.mandate_categories)
    async with database.transaction() as session:
        region = Region(code="23", name="Краснодарский край", timezone=TIMEZONE)
        session.add(region)
        await session.flush()
        local = LocalBranch(region_id=region.id, name="Краснодарское местное отделение")
        session.add(local)
        await session.flush()
        branches = [
            Branch(region_id=region.id, local_branch_id=local.id, number=f"20-0{n}", name=name)
            for n, name in ((3, "первый Береговой округ"), (4, "второй"), (5, "третий"))
        ]
        session.add_all(branches)
        await session.flush()
        authors = {BIG_AUTHORS_FROM + n: branches[n % 3].id for n in range(300)}
        await add_people(session, {BIG_SECRETARY: branches[0].id, **authors}, now)
        await grant_role(session, BIG_SECRETARY, Role.SECRETARY, now, branch_id=branches[0].id)
        rows = _BranchRows(first_id=1)
        for branch, size in zip(branches, (count, count // 5, count // 5), strict=True):
            mine = [a for a, b in authors.items() if b == branch.id]
            ages = sorted((rng.uniform(0, SPAN_DAYS) for _ in range(size)), reverse=True)
            rows.counters = {}
            for days in ages:
                created = now - timedelta(days=days)
                where = (branch.id, branch.number)
                rows.add(rng, where, created, now, mine, BIG_SECRETARY, categories)
            session.add_all(
                MandateCounter(branch_id=branch.id, year=year, last=last)
                for year, last in rows.counters.items()
            )
        # Core inserts on the tables: one executemany each (the ORM's bulk path would
        # split rows whose None columns differ into many single-row statements).
        for model, data in ((Mandate, rows.mandates), (MandatePhoto, rows.photos)):
            await session.execute(model.__table__.insert(), data)
        await session.execute(MandateEvent.__table__.insert(), rows.events)
    big = [m for m in rows.mandates if m["branch_id"] == branches[0].id]
    waiting = [m for m in big if m["status"] in OPEN_STATUSES]
    overdue = sum(1 for m in waiting if m["first_answered_at"] is None and m["due_at"] <= now)
    return BigBranch(branches[0].id, BIG_SECRETARY, len(big), len(waiting), overdue)
