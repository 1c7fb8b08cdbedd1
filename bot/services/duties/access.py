"""Who may manage which duty — the one place that decides it, for the list, the card, every
action and every new or changed duty, whatever a button's data says.

- an admin of everything: every duty, for any recipients;
- an admin of regions (`Person.admin_regions`): the duties whose recipients lie inside one
  of their regions (a region, a local branch or a branch there), and only such may they
  create or change a duty into; a duty for everyone is not theirs;
- anyone else: none.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, false, true

from bot.services.errors import AccessDenied
from bot.services.people import Person
from storage.models import Duty


def may_manage_any(person: Person) -> bool:
    """Whether the person has /duties at all."""
    return person.is_admin


def may_reach(person: Person, scope: str, region_id: int | None) -> bool:
    """Whether the person may manage a duty for recipients in `scope` of `region_id` (the
    region the recipients are in; None for everyone)."""
    if not person.is_admin:
        return False
    if not person.admin_regions:
        return True
    return scope != "all" and region_id in person.admin_regions


def may_manage(person: Person, duty: Duty) -> bool:
    return may_reach(person, duty.scope, duty.region_id)


def require_manage(person: Person, duty: Duty) -> None:
    if not may_manage(person, duty):
        raise AccessDenied()


def managed_condition(person: Person) -> ColumnElement[bool]:
    """SQL on `Duty`: the duties the person may manage (the same rule as `may_manage`)."""
    if not person.is_admin:
        return false()
    if not person.admin_regions:
        return true()
    return and_(Duty.scope != "all", Duty.region_id.in_(sorted(person.admin_regions)))
