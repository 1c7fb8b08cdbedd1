"""Tables, one module per feature over one `Base` (`storage.models.base`).

Everything is re-exported here, so `from storage.models import Mandate` works and
importing this package registers every table in `Base.metadata` (Alembic reads it).
A new feature's tables go in a new module here, imported below.
"""

from storage.models import practice_search  # noqa: F401  the index's DDL events
from storage.models.base import NAMING, Base, UTCDateTime
from storage.models.due_work import DueWork
from storage.models.duties import Duty, DutyMark, DutyOccurrence
from storage.models.fsm import FsmRecord
from storage.models.mandates import (
    Mandate,
    MandateCardMessage,
    MandateCounter,
    MandateEvent,
    MandatePhoto,
    MandateSupporter,
)
from storage.models.masterclasses import Masterclass, MasterclassRegistration
from storage.models.onboarding import Invite, InviteBranch
from storage.models.outbox import Broadcast, OutboxFile, OutboxMessage
from storage.models.people import Consent, RoleAssignment, User
from storage.models.practices import (
    Practice,
    PracticeAdoption,
    PracticeEvent,
    PracticeLike,
    PracticePhoto,
)
from storage.models.preferences import Preferences
from storage.models.structure import Branch, LocalBranch, Region
from storage.models.updates import HandledUpdate

__all__ = [
    "NAMING",
    "Base",
    "Branch",
    "Broadcast",
    "Consent",
    "DueWork",
    "Duty",
    "DutyMark",
    "DutyOccurrence",
    "FsmRecord",
    "HandledUpdate",
    "Invite",
    "InviteBranch",
    "LocalBranch",
    "Mandate",
    "MandateCardMessage",
    "MandateCounter",
    "MandateEvent",
    "MandatePhoto",
    "MandateSupporter",
    "Masterclass",
    "MasterclassRegistration",
    "OutboxFile",
    "OutboxMessage",
    "Practice",
    "PracticeAdoption",
    "PracticeEvent",
    "PracticeLike",
    "PracticePhoto",
    "Preferences",
    "Region",
    "RoleAssignment",
    "UTCDateTime",
    "User",
]
