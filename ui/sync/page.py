"""上报与同步: the village's report page, and at a town the import wizard, village board, conflicts
and enrollment. One page; what it shows depends on the station's kind."""

from __future__ import annotations

from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QGridLayout, QLabel, QTabWidget, QVBoxLayout, QWidget

from app import accounts

from ui.sync.conflicts import ConflictsView
from ui.sync.town import BoardView, ImportView, StationsView
from ui.sync.village import VillageSyncView


# -- the page -----------------------------------------------------------------------------------------
class SyncPage(QWidget):
    """The 上报与同步 entry of the navigation (ui/pages.py)."""

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        self.denied = QLabel("您的账号没有上报与同步的权限，请联系管理员。")
        self.tabs = QTabWidget()
        self.conflicts = ConflictsView(ctx)
        if ctx.is_town:
            self.importer = ImportView(ctx)
            self.board = BoardView(ctx)
            self.stations = StationsView(ctx)
            self.tabs.addTab(self.importer, "导入上报包")
            self.tabs.addTab(self.board, "各村情况")
            self.tabs.addTab(self.conflicts, "冲突处理")
            self.tabs.addTab(self.stations, "工作站登记")
        else:
            self.village = VillageSyncView(ctx)
            self.tabs.addTab(self.village, "上报与同步")
            self.tabs.addTab(self.conflicts, "冲突处理")
        grid = QGridLayout()
        grid.addWidget(self.denied, 0, 0)
        grid.addWidget(self.tabs, 1, 0)
        layout.addLayout(grid)
        for n in range(self.tabs.count()):
            QShortcut(QKeySequence(f"Alt+{n + 1}"), self, activated=lambda n=n: self.tabs.setCurrentIndex(n))
        self.tabs.currentChanged.connect(lambda _i: self._refresh_current())
        ctx.data_changed.connect(self._on_data_changed)
        ctx.user_changed.connect(self.refresh)

    def _allowed(self) -> bool:
        return accounts.can(self.ctx.user, "sync")

    def _on_data_changed(self, _topic: str) -> None:
        if self.isVisible():
            self._refresh_current()

    def _refresh_current(self) -> None:
        page = self.tabs.currentWidget()
        if self._allowed() and page is not None and hasattr(page, "refresh"):
            page.refresh()

    def refresh(self) -> None:
        allowed = self._allowed()
        self.denied.setVisible(not allowed)
        self.tabs.setVisible(allowed)
        if allowed:
            for n in range(self.tabs.count()):
                self.tabs.widget(n).refresh()

    def show_record(self, record_id: object) -> None:
        """From the town's 今日待办: a village's row on 各村情况 (its station id)."""
        if self.ctx.is_town and self._allowed() and isinstance(record_id, str):
            self.tabs.setCurrentWidget(self.board)
            self.board.refresh()
            self.board.show_station(record_id)

    def ready(self) -> bool:
        return not self._allowed() or all(self.tabs.widget(n).ready() for n in range(self.tabs.count()))


Page = SyncPage
