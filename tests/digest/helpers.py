"""A prepared week for the digest tests, on the mandate tests' `world`.

Now is Monday 23.11.2026 09:00 in Moscow (06:00 UTC); the week is 16.11 06:00 – 23.11
06:00 UTC. The curator (400) curates 20-03 (Moscow) and 7 (Novosibirsk); the foreign
curator (401) curates 20-04. What each figure must be is written beside the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from bot.services.people import Role, grant_role
from storage.db import Database
from storage.models import (
    Duty,
    DutyMark,
    DutyOccurrence,
    Mandate,
    Masterclass,
    MasterclassRegistration,
    Practice,
    User,
)
from tests.mandates.helpers import TEXT, World

NOW = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # Monday 09:00 MSK


def utc(month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


@dataclass(frozen=True)
class Week:
    world: World
    practices: list[int]  # P1, P2, P3: the week's best, in order


def mandate(
    number: str,
    branch: int,
    author: int,
    status: str,
    created: datetime,
    due: datetime,
    answered: datetime | None = None,
    closed: datetime | None = None,
    rating: int | None = None,
    rated: datetime | None = None,
) -> Mandate:
    return Mandate(
        number=number,
        branch_id=branch,
        author_id=author,
        category="housing",
        text=TEXT,
        on_behalf="self",
        status=status,
        supporters=0,
        created_at=created,
        updated_at=created,
        due_at=due,
        first_answered_at=answered,
        closed_at=closed,
        rating=rating,
        rated_at=rated,
    )


def masterclass(title: str, starts: datetime, organiser: int) -> Masterclass:
    return Masterclass(
        title=title,
        description="Описание",
        host="Ведущий",
        starts_at=starts,
        duration_minutes=60,
        timezone="Europe/Moscow",
        place="Штаб",
        audience_scope="all",
        registration_deadline=starts,
        organiser_id=organiser,
        created_at=utc(11, 1),
        updated_at=utc(11, 1),
    )


def registration(
    mc: Masterclass, user: int, status: str, created: datetime, attended: datetime | None = None
) -> MasterclassRegistration:
    return MasterclassRegistration(
        masterclass_id=mc.id,
        user_id=user,
        status=status,
        attended=attended is not None,
        attended_at=attended,
        created_at=created,
        updated_at=created,
    )


def practice(
    title: str, branch: int, author: int, published: datetime | None, likes: int, adoptions: int
) -> Practice:
    created = (published or utc(11, 18)) - timedelta(days=1)
    return Practice(
        author_id=author,
        branch_id=branch,
        title=title,
        category="other",
        what_done="Сделали",
        result="Получилось",
        status="published" if published else "moderation",
        created_at=created,
        submitted_at=created,
        published_at=published,
        updated_at=created,
        likes_count=likes,
        adoptions_count=adoptions,
    )


async def prepare_week(database: Database, w: World) -> Week:
    async with database.transaction() as session:
        await grant_role(session, w.curator, Role.CURATOR, NOW, branch_id=w.far_branch)
        b, far, other = w.branch, w.far_branch, w.other_branch
        session.add_all(
            [
                # 20-03: received 4 (M1 M2 M3 M5), answered 3 (3 h, 14 h, 24 h: median 14),
                # resolved 2 (M2, M6), rejected 1 (M3), overdue 2 (M4 escalated, M5),
                # ratings 4 and 5.
                mandate("M1", b, w.author, "accepted", utc(11, 16, 7), utc(11, 19, 21),
                        answered=utc(11, 16, 10)),
                # Friday 18:00 MSK to Monday 08:00 MSK: 6 + 8 working hours.
                mandate("M2", b, w.author, "resolved", utc(11, 20, 15), utc(11, 25, 21),
                        answered=utc(11, 23, 5), closed=utc(11, 23, 5, 30), rating=4,
                        rated=utc(11, 23, 5, 45)),
                mandate("M3", b, w.author, "rejected", utc(11, 17, 9), utc(11, 20, 21),
                        answered=utc(11, 18, 9), closed=utc(11, 18, 9)),
                # Due 14.11 00:00 MSK (a Saturday): 16–20 and 23.11 are 6 working days.
                mandate("M4", b, w.author, "new", utc(11, 10, 9), utc(11, 13, 21)),
                # Due 21.11 00:00 MSK: Monday 23.11 is its first working day overdue.
                mandate("M5", b, w.author, "new", utc(11, 17, 10), utc(11, 20, 21)),
                mandate("M6", b, w.author, "resolved", utc(11, 2, 10), utc(11, 5, 21),
                        answered=utc(11, 3, 10), closed=utc(11, 16, 8), rating=5,
                        rated=utc(11, 17, 8)),
                mandate("M7", b, w.author, "resolved", utc(10, 1, 10), utc(10, 6, 21),
                        answered=utc(10, 2, 10), closed=utc(10, 5, 12)),
                # 7: one received, not yet due; nothing answered, attended or shared for
                # 30 days: inactive.
                mandate("F1", far, w.author, "new", utc(11, 19, 3), utc(11, 26, 17)),
                # 20-04, the foreign curator's: overdue, never in the curator's digest.
                mandate("O1", other, w.foreign_member, "new", utc(11, 10, 9), utc(11, 13, 21)),
            ]
        )  # fmt: skip
        mc1 = masterclass("Как вести собрание", utc(11, 19, 12), w.admin)
        mc2 = masterclass("Работа с наказами", utc(11, 26, 12), w.admin)
        session.add_all([mc1, mc2])
        await session.flush()
        session.add_all(
            [
                # The secretary of 20-03: one registration (attended), one cancelled.
                registration(mc1, w.secretary, "registered", utc(11, 18), utc(11, 19, 12)),
                registration(mc2, w.secretary, "cancelled", utc(11, 18)),
                # A member is no secretary: not counted.
                registration(mc2, w.author, "registered", utc(11, 18)),
            ]
        )
        practices = [
            practice("Субботник во дворе", other, w.foreign_member, utc(11, 18), 5, 1),  # 6
            practice("Чат дома", b, w.author, utc(11, 19), 2, 3),  # 5
            practice("Лавочки у подъезда", b, w.author, utc(11, 20), 1, 0),  # 1
            practice("Без отклика", b, w.author, utc(11, 21), 0, 0),  # 0: fourth
            practice("Прошлогодняя", other, w.foreign_member, utc(10, 1), 10, 10),  # earlier
            practice("На модерации", b, w.author, None, 0, 0),
        ]
        session.add_all(practices)
        await session.flush()
        return Week(w, [p.id for p in practices[:3]])


@pytest.fixture
async def week(database: Database, world: World) -> Week:
    return await prepare_week(database, world)


# The secretaries' duties. The week's terms: reminders first sent from 14.11 06:00 to
# 21.11 06:00 UTC (their 48 hours ran out in the week). 303 is the secretary of both
# 20-03 and 7.
TWO_BRANCH_SECRETARY = 303


def duty(text: str, *, role: str = "secretary", branch: int | None = None,
         deleted: datetime | None = None) -> Duty:  # fmt: skip
    return Duty(
        role=role,
        scope="branch" if branch else "all",
        branch_id=branch,
        kind="weekly",
        rule="FREQ=WEEKLY;BYDAY=MO;BYHOUR=9;BYMINUTE=0",
        text=text,
        paused=False,
        created_by=1,
        created_at=utc(11, 1),
        updated_at=utc(11, 1),
        deleted_at=deleted,
    )


def marks(occurrence: DutyOccurrence, *rows: tuple[int, datetime, datetime | None]) -> list:
    return [
        DutyMark(occurrence_id=occurrence.id, user_id=user, sent_at=sent, done_at=done, snoozed=0)
        for user, sent, done in rows
    ]


async def prepare_duties(database: Database, w: World) -> None:
    """20-03: 4 reminders, 3 on time, 1 missing; 7: 3, 1 late, 2 missing; the total: 6
    (303's reminder of the duty for all is one), 3 on time, 1 late, 2 missing."""
    s303 = TWO_BRANCH_SECRETARY
    async with database.transaction() as session:
        session.add(User(id=s303, full_name="Светлана", created_at=utc(11, 1)))
        await session.flush()
        await grant_role(session, s303, Role.SECRETARY, NOW, branch_id=w.branch)
        await grant_role(session, s303, Role.SECRETARY, NOW, branch_id=w.far_branch)
        report = duty("Сдайте отчёт")
        meeting = duty("Проведите собрание", branch=w.branch)  # 20-03 only
        curators = duty("Проверьте отделения", role="curator")
        deleted = duty("Удалённая", deleted=utc(11, 20))
        session.add_all([report, meeting, curators, deleted])
        await session.flush()
        occ = {
            name: DutyOccurrence(duty_id=d.id, wall=wall, created_at=utc(11, 1))
            for name, d, wall in [
                ("report_12", report, "2026-11-12T09:00"),
                ("report_14", report, "2026-11-14T09:00"),
                ("report_16", report, "2026-11-16T09:00"),
                ("report_21", report, "2026-11-21T09:00"),
                ("meeting_18", meeting, "2026-11-18T09:00"),
                ("curators_16", curators, "2026-11-16T09:00"),
                ("deleted_16", deleted, "2026-11-16T09:00"),
            ]
        }
        session.add_all(occ.values())
        await session.flush()
        session.add_all(
            [
                # Term ended 14.11 06:00, before the week: not counted.
                *marks(occ["report_12"], (w.secretary, utc(11, 12, 6), None)),
                # Term ends 16.11 06:00, the week's first moment: counted; marked after
                # now is not marked yet (7: missing).
                *marks(occ["report_14"], (w.far_secretary, utc(11, 14, 6), utc(11, 23, 7))),
                *marks(
                    occ["report_16"],
                    (w.secretary, utc(11, 16, 6), utc(11, 17, 5)),  # 20-03: on time
                    (w.far_secretary, utc(11, 16, 6), utc(11, 18, 7)),  # 7: late, 49 h
                    (s303, utc(11, 16, 6), None),  # 20-03 and 7: missing; once in total
                ),
                # Term ends 23.11 06:00, now: not yet over, not counted.
                *marks(occ["report_21"], (w.secretary, utc(11, 21, 6), None)),
                *marks(
                    occ["meeting_18"],
                    # Snoozed once, then done a minute before the term: on time.
                    (w.secretary, utc(11, 18, 6), utc(11, 20, 5, 59)),
                    # Done at the term's very end: on time; 20-03 only (the duty's scope).
                    (s303, utc(11, 18, 6), utc(11, 20, 6)),
                ),
                # A curators' duty and a deleted one are not counted.
                *marks(occ["curators_16"], (w.secretary, utc(11, 16, 6), None)),
                *marks(occ["deleted_16"], (w.secretary, utc(11, 16, 6), None)),
            ]
        )


@pytest.fixture
async def duty_week(database: Database, world: World) -> Week:
    week = await prepare_week(database, world)
    await prepare_duties(database, world)
    return week
