"""All mapped models. Importing this package registers every table on ``Base.metadata``."""

from db.base import index_changes
from db.models.aid import AidPair, AidRecord
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
from db.models.informants import Informant
from db.models.keycases import KeyCase, KeyCaseLink, KeyCaseMember, KeyCasePlan, KeyCaseTransition
from db.models.mediation import (
    Agreement,
    CaseFileItem,
    CaseMediator,
    CaseParty,
    CaseTransition,
    FollowUp,
    MediationCase,
    MonthlyReport,
    Recusal,
    Screening,
    ScreeningItem,
    SessionRecord,
    Signature,
)
from db.models.projects import Project, ProjectDemand, ProjectMilestone
from db.models.reviews import CadreReview, ReviewDecision, ReviewMeeting
from db.models.sync import ReceivedBundle, SyncConflict, SyncPeer, SyncRejection

index_changes()

__all__ = [
    "Acknowledgement",
    "Agreement",
    "AidPair",
    "AidRecord",
    "Attachment",
    "AttachmentContent",
    "AuditLog",
    "CadreAssignment",
    "CadreReview",
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
    "KeyCase",
    "KeyCaseLink",
    "KeyCaseMember",
    "KeyCasePlan",
    "KeyCaseTransition",
    "Informant",
    "MediationCase",
    "MonthlyReport",
    "MustVisitEvent",
    "Person",
    "Project",
    "ProjectDemand",
    "ProjectMilestone",
    "ReceivedBundle",
    "Recusal",
    "ReviewDecision",
    "ReviewMeeting",
    "Screening",
    "ScreeningItem",
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
