"""Who may do what with a practice — the one place that decides it, whatever a button's
data says.

- **moderate** (publish, return for rework, see it while it waits): the curators of the
  practice's branch and the admins of its region (an admin without regions: everywhere);
- **see**: a published practice, everyone; any other only its author and its moderators
  (to anyone else it does not exist: NotFound, so a forged id tells nothing);
- **change** (edit and send again a returned one): its author only;
- **like / adopt**: anyone but the author, published practices only (one's own practice
  is no evidence of its usefulness; the rule is in `reactions`).

`moderation_condition` is the moderate rule as SQL on `Practice`, for `/moderation`, so
the list never shows what `require_moderator` refuses.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, false, or_, select, true

from bot.services.errors import AccessDenied, NotFound
from bot.services.people import Person
from storage.models import Branch, Practice

PUBLISHED, MODERATION, RETURNED = "published", "moderation", "returned"


def home_branch(person: Person) -> int | None:
    """The branch a person acts for: their own, else the first one they run as secretary
    (a secretary need not be a member of it), else none (a curator, an admin)."""
    if person.branch_id is not None:
        return person.branch_id
    return min(person.secretary_of) if person.secretary_of else None


def may_moderate(person: Person, branch_id: int, region_id: int) -> bool:
    if branch_id in person.curator_of:
        return True
    return person.is_admin and (not person.admin_regions or region_id in person.admin_regions)


def moderator_role(person: Person, branch_id: int) -> str:
    """The capacity kept in the history: a curator of the branch acts as curator."""
    return "curator" if branch_id in person.curator_of else "admin"


def require_moderator(person: Person, branch_id: int, region_id: int) -> None:
    if not may_moderate(person, branch_id, region_id):
        raise AccessDenied()


def may_see(person: Person, practice: Practice, region_id: int) -> bool:
    if practice.status == PUBLISHED or practice.author_id == person.id:
        return True
    return may_moderate(person, practice.branch_id, region_id)


def require_visible(person: Person, practice: Practice, region_id: int) -> None:
    if not may_see(person, practice, region_id):
        raise NotFound("practice_not_found")


def moderation_condition(person: Person) -> ColumnElement[bool]:
    """SQL: the practices the person may moderate (the same rule as `may_moderate`)."""
    if person.is_admin and not person.admin_regions:
        return true()
    conditions: list[ColumnElement[bool]] = []
    if person.curator_of:
        conditions.append(Practice.branch_id.in_(sorted(person.curator_of)))
    if person.is_admin:
        in_regions = select(Branch.id).where(Branch.region_id.in_(sorted(person.admin_regions)))
        conditions.append(Practice.branch_id.in_(in_regions))
    return or_(*conditions) if conditions else false()
