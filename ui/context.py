"""What every screen gets: the open workspace, the station, the signed-in user and a change signal."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from db.models import Station, User

from app.workspace import Workspace


class AppContext(QObject):
    """Shared state of one window. ``data_changed`` carries what changed ("households", "diary", …),
    so views that care refresh themselves after an operation (Anki's operation pattern)."""

    data_changed = Signal(str)
    user_changed = Signal()

    def __init__(self, workspace: Workspace, user: User | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.workspace = workspace
        self.user = user

    @property
    def station(self) -> Station:
        return self.workspace.require_station()

    @property
    def is_town(self) -> bool:
        return self.station.kind == "town"

    def session(self, **info):
        """One unit of work stamped as the signed-in user (commit on success)."""
        return self.workspace.session(self.user.id if self.user else None, **info)

    def work(self, **info):
        """One unit of work for the services (:class:`app.work.Work`) as the signed-in user."""
        return self.workspace.work(self.user, **info)

    def set_user(self, user: User | None) -> None:
        self.user = user
        self.user_changed.emit()
