"""Who may do what with a mandate — the one place that decides it, for reads and actions.

- author: reads their own mandates, answers a clarification, rates the result;
- secretary: reads the mandates of the branch they run and does every secretary action
  (accept, ask, forward, resolve, reject);
- curator: reads the mandates of the branches they curate and comments on them; while a
  branch has no secretary, its curators stand in and do every secretary action there;
- admin: reads everything in their regions (an admin without regions: everywhere) and does
  every staff action (the secretary's and the curator's). Answering and rating stay the
  author's own: nobody answers for them;
- support: a member of the mandate's branch other than its author.

`require` raises AccessDenied; `staff_scope` is the same rule as an SQL condition on
`Mandate`, used by every staff list and the export, so a list never shows what `require`
refuses (the author's own list is `Mandate.author_id == person.id`).
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, false, or_, select, true

from bot.services.errors import AccessDenied
from bot.services.people import Person
from storage.models import Branch, Mandate


class Action(StrEnum):
    READ = "read"
    MANAGE = "manage"  # the secretary's status changes
    COMMENT = "comment"  # a curator's remark for the secretary
    ANSWER = "answer"  # the author answers a clarification
    RATE = "rate"  # the author rates a resolved mandate
    SUPPORT = "support"  # another member of the branch supports it


class ActorRole(StrEnum):
    """The capacity in which someone acted, as kept in the history."""

    AUTHOR = "author"
    SECRETARY = "secretary"
    CURATOR = "curator"
    ADMIN = "admin"
    MEMBER = "member"


def _admin_of(person: Person, region_id: int) -> bool:
    return person.is_admin and (not person.admin_regions or region_id in person.admin_regions)


def stands_in(person: Person, branch_id: int, *, has_secretary: bool) -> bool:
    """A curator of a branch without a secretary does the secretary's work there, so its
    mandates are never left with nobody allowed to answer them."""
    return not has_secretary and branch_id in person.curator_of


def allowed(
    person: Person,
    action: Action,
    *,
    branch_id: int,
    region_id: int,
    author_id: int,
    has_secretary: bool = True,
) -> bool:
    """Whether `person` may do `action` on a mandate of this branch, region and author.
    `has_secretary`: whether the branch has one now (a curator stands in when not)."""
    is_author = person.id == author_id
    admin = _admin_of(person, region_id)
    if action == Action.READ:
        return (
            is_author or branch_id in person.secretary_of or branch_id in person.curator_of or admin
        )
    if action == Action.MANAGE:
        return (
            branch_id in person.secretary_of
            or admin
            or stands_in(person, branch_id, has_secretary=has_secretary)
        )
    if action == Action.COMMENT:
        return branch_id in person.curator_of or admin
    if action in (Action.ANSWER, Action.RATE):
        return is_author
    if action == Action.SUPPORT:
        return person.branch_id == branch_id and not is_author
    raise ValueError(action)


def require(
    person: Person,
    action: Action,
    *,
    branch_id: int,
    region_id: int,
    author_id: int,
    has_secretary: bool = True,
) -> ActorRole:
    """Refuse with AccessDenied, or return the capacity the person acts in."""
    if not allowed(
        person,
        action,
        branch_id=branch_id,
        region_id=region_id,
        author_id=author_id,
        has_secretary=has_secretary,
    ):
        raise AccessDenied()
    return acting_as(
        person, action, branch_id=branch_id, author_id=author_id, has_secretary=has_secretary
    )


def acting_as(
    person: Person, action: Action, *, branch_id: int, author_id: int, has_secretary: bool = True
) -> ActorRole:
    if action in (Action.ANSWER, Action.RATE):
        return ActorRole.AUTHOR
    if action == Action.SUPPORT:
        return ActorRole.MEMBER
    if action == Action.COMMENT:
        return ActorRole.CURATOR if branch_id in person.curator_of else ActorRole.ADMIN
    if action == Action.MANAGE:
        if branch_id in person.secretary_of:
            return ActorRole.SECRETARY
        # A curator standing in for a missing secretary acts, and is shown, as a curator.
        if stands_in(person, branch_id, has_secretary=has_secretary):
            return ActorRole.CURATOR
        return ActorRole.ADMIN
    # Reading: the most specific capacity, so a card shows the author their own view.
    if person.id == author_id:
        return ActorRole.AUTHOR
    if branch_id in person.secretary_of:
        return ActorRole.SECRETARY
    if branch_id in person.curator_of:
        return ActorRole.CURATOR
    return ActorRole.ADMIN


def may_submit_to(person: Person, branch_id: int, region_id: int) -> bool:
    """Whether the person may submit a mandate to the branch: their own as its member, or
    one they work with as secretary, curator or admin."""
    return branch_id == person.branch_id or may_see_branch(person, branch_id, region_id)


def is_staff(person: Person) -> bool:
    """Secretaries, curators and admins see mandates beyond their own."""
    return bool(person.secretary_of or person.curator_of or person.is_admin)


def may_see_branch(person: Person, branch_id: int, region_id: int) -> bool:
    """Whether the branch is in the person's staff scope (for a branch filter)."""
    return (
        branch_id in person.secretary_of
        or branch_id in person.curator_of
        or _admin_of(person, region_id)
    )


def staff_scope(person: Person) -> ColumnElement[bool]:
    """SQL: mandates of the branches the person works with as secretary, curator or admin."""
    if person.is_admin and not person.admin_regions:
        return true()
    conditions: list[ColumnElement[bool]] = []
    branches = person.secretary_of | person.curator_of
    if branches:
        conditions.append(Mandate.branch_id.in_(sorted(branches)))
    if person.is_admin:
        conditions.append(
            Mandate.branch_id.in_(
                select(Branch.id).where(Branch.region_id.in_(sorted(person.admin_regions)))
            )
        )
    return or_(*conditions) if conditions else false()
