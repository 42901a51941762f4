"""All mapped models. Importing this package registers every table on ``Base.metadata``."""

from db.models.core import Attachment, AttachmentContent, AuditLog, Setting, Station, StationCounter, User
from db.models.diary import (
    Acknowledgement,
    Demand,
    DiaryAmendment,
    DiaryEntry,
    DiaryParticipant,
    MustVisitEvent,
)
from db.models.households import (
    CadreAssignment,
    Household,
    HouseholdTag,
    Person,
    TagDefinition,
)
from db.models.mediation import (
    Agreement,
    CaseFileItem,
    CaseMediator,
    CaseParty,
    CaseTransition,
    FollowUp,
    MediationCase,
    Recusal,
    Screening,
    SessionRecord,
    Signature,
)
from db.models.sync import ReceivedBundle, SyncConflict, SyncPeer, SyncRejection

__all__ = [
    "Acknowledgement",
    "Agreement",
    "Attachment",
    "AttachmentContent",
    "AuditLog",
    "CadreAssignment",
    "CaseFileItem",
    "CaseMediator",
    "CaseParty",
    "CaseTransition",
    "Demand",
    "DiaryAmendment",
    "DiaryEntry",
    "DiaryParticipant",
    "F401",
    "FollowUp",
    "Household",
    "HouseholdTag",
    "MediationCase",
    "MustVisitEvent",
    "Person",
    "ReceivedBundle",
    "Recusal",
    "Screening",
    "SessionRecord",
    "Setting",
    "Signature",
    "Station",
    "StationCounter",
    "SyncConflict",
    "SyncPeer",
    "SyncRejection",
    "TagDefinition",
    "User",
]
