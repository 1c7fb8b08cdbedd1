"""Who may do what with a masterclass — the one place that decides it, for every read and
action, whatever a button's data says.

- **organise** (create for an audience): an admin of everything for any audience; an
  admin of regions for an audience inside one of their regions; a curator for one of the
  branches they curate;
- **manage** (edit, cancel, the list of people and its file, ticking people present,
  materials, a message to all, the feedback): an admin for every masterclass whose
  audience lies in their scope, whoever created it; anyone else only their own, and only
  while they may still organise for its audience (a curator who lost the branch loses it);
- **see** (the card): the audience, and whoever may manage it;
- **register**: the audience only;
- **own registration** (cancel it, decline, check in, rate): whoever holds one, wherever
  they have moved since — what they booked stays theirs to cancel.

`require` raises AccessDenied; `managed_condition` is the manage rule as SQL on
`Masterclass`, for the organiser's list, so the list never shows what `require` refuses.
"""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import ColumnElement, and_, false, or_, true

from bot.services.errors import AccessDenied
from bot.services.masterclasses.audience import Places, ResolvedAudience, Scope, contains
from bot.services.people import Person
from storage.models import Masterclass


class Action(StrEnum):
    SEE = "see"
    REGISTER = "register"
    MANAGE = "manage"


def _admin_over(person: Person, audience: ResolvedAudience) -> bool:
    if not person.is_admin:
        return False
    if not person.admin_regions:
        return True
    return audience.scope != Scope.ALL and audience.region_id in person.admin_regions


def may_organise(person: Person, audience: ResolvedAudience) -> bool:
    """Whether the person may create a masterclass for this audience."""
    if _admin_over(person, audience):
        return True
    return audience.scope == Scope.BRANCH and audience.branch_id in person.curator_of


def is_organiser(person: Person) -> bool:
    """Whether the person may organise for some audience (the menu's «new masterclass»)."""
    return person.is_admin or bool(person.curator_of)


def may_manage(person: Person, audience: ResolvedAudience, organiser_id: int) -> bool:
    if _admin_over(person, audience):
        return True
    return organiser_id == person.id and may_organise(person, audience)


def allowed(person: Person, action: Action, masterclass: Masterclass, places: Places) -> bool:
    """Whether `person` (whose `places` are `audience.places_of(person)`) may do `action`."""
    audience = ResolvedAudience.of(masterclass)
    if action == Action.MANAGE:
        return may_manage(person, audience, masterclass.organiser_id)
    if action == Action.REGISTER:
        return contains(audience, places)
    if action == Action.SEE:
        return contains(audience, places) or may_manage(person, audience, masterclass.organiser_id)
    raise ValueError(action)


def require(person: Person, action: Action, masterclass: Masterclass, places: Places) -> None:
    if not allowed(person, action, masterclass, places):
        raise AccessDenied()


def require_manage(person: Person, masterclass: Masterclass) -> None:
    """MANAGE needs no places: it depends on roles and the masterclass alone."""
    if not may_manage(person, ResolvedAudience.of(masterclass), masterclass.organiser_id):
        raise AccessDenied()


def managed_condition(person: Person) -> ColumnElement[bool]:
    """SQL: the masterclasses the person may manage (the same rule as `may_manage`)."""
    if person.is_admin and not person.admin_regions:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if person.is_admin:
        conditions.append(
            and_(
                Masterclass.audience_scope != Scope.ALL,
                Masterclass.audience_region_id.in_(sorted(person.admin_regions)),
            )
        )
    if person.curator_of:
        conditions.append(
            and_(
                Masterclass.organiser_id == person.id,
                Masterclass.audience_scope == Scope.BRANCH,
                Masterclass.audience_branch_id.in_(sorted(person.curator_of)),
            )
        )
    return or_(*conditions) if conditions else false()
