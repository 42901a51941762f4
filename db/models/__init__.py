"""All mapped models. Importing this package registers every table on ``Base.metadata``."""

from db.models.core import Attachment, AuditLog, Setting, Station, StationCounter, User  # noqa: F401
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
