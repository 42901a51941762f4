"""All mapped models. Importing this package registers every table on ``Base.metadata``."""

from db.models.core import Attachment, AttachmentContent, AuditLog, Setting, Station, StationCounter, User  # noqa: F401
from db.models.diary import (  # noqa: F401
    Acknowledgement,
    Demand,
    DiaryAmendment,
    DiaryEntry,
    DiaryParticipant,
    MustVisitEvent,
)
from db.models.households import (  # noqa: F401
    CadreAssignment,
    Household,
    HouseholdTag,
    Person,
    TagDefinition,
)
from db.models.mediation import (  # noqa: F401
    Agreement,
    CaseFileItem,
    CaseMediator,
    CaseParty,
    CaseTransition,
    FollowUp,
    MediationCase,
    Screening,
    SessionRecord,
    Signature,
)
from db.models.sync import ReceivedBundle, SyncConflict, SyncPeer, SyncRejection  # noqa: F401
