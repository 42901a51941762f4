"""The unit of work every service takes first: one database session, the acting user, this station and
this workspace's folders. Made in one place for the window (``AppContext.work``) and for the command line
(``app.cli.work``), both through :meth:`app.workspace.Workspace.work`. A service reads who acts and where
from it, never from ``session.info`` (the stamping hook in ``db/stamping.py`` keeps its own copy).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import Station, User

AFTER_COMMIT = "after_commit"  # session.info: actions run after the commit (Workspace.session)


@dataclass(frozen=True)
class StationInfo:
    """The local station as a value: a village (12-digit code) or a town (9-digit code)."""

    id: str
    kind: str  # "village" | "town"
    code: str
    name: str
    town_code: str

    @classmethod
    def of(cls, station: Station) -> StationInfo:
        return cls(station.id, station.kind, station.code, station.name, station.town_code)

    @property
    def is_town(self) -> bool:
        return self.kind == "town"


@dataclass(frozen=True)
class Paths:
    """The workspace folders a service may write into (attachments, drafts) or read from (keys)."""

    root: Path
    attachments: Path
    drafts: Path
    keys: Path
    backups: Path
    logs: Path


@dataclass(frozen=True)
class Work:
    """One unit of work. ``actor`` is None only for the station's own actions (setup, the demo)."""

    session: Session
    actor: User | None
    station: StationInfo
    paths: Paths
    key: bytes | None = None  # the workspace key (sealed files: drafts); None for a plain database

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once this unit of work has committed (not when it rolls back): a change
        outside the database that must follow it, as a key slot follows a password."""
        self.session.info.setdefault(AFTER_COMMIT, []).append(action)

    @property
    def is_town(self) -> bool:
        return self.station.is_town

    @property
    def unit_code(self) -> str:
        """The code new records are owned by: the village's 12 digits, or the town's 9."""
        return self.station.code
