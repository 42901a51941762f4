"""Lazy table models of the mediation screens: ids sorted and filtered in SQL, rows loaded a page at a time."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from db.queries.mediation import CaseFilter, CaseRow, ScreeningRow, case_ids, case_rows

from ui.models.lazy import LazyIdModel

CASE_COLUMNS = (
    ("case_number", "案件编号"),
    ("title", "纠纷名称"),
    ("parties", "当事人"),
    ("accepted_on", "受理日期"),
    ("dispute_type", "类型"),
    ("source", "来源"),
    ("state", "状态"),
    ("state_on", "状态日期"),
)


class CaseListModel(LazyIdModel):
    """Cases as an id list (Anki's browser table): ``data()`` loads the page around a row on demand."""

    COLUMNS = CASE_COLUMNS
    DEFAULT_SORT, DEFAULT_DESCENDING = "accepted_on", True
    ROW_WINDOW, CACHE_LIMIT = 200, 5000
    TOOLTIPS = True  # a 纠纷名称 cut short at a large 字号 shows whole on hover

    def __init__(self, session_factory: Callable, parent=None) -> None:
        super().__init__(session_factory, parent)
        self.filter = CaseFilter()

    @property
    def ids(self) -> list[str]:
        """The case ids in row order (the whole list: it is loaded at once)."""
        return self._pages.get(0, [])

    def _query_ids(self, session) -> list[str]:
        return case_ids(session, self.filter, sort=self.sort_key, descending=self.descending)

    def _fetch(self, session, ids: list[str]) -> dict[str, CaseRow]:
        return case_rows(session, ids)

    def _display(self, row: CaseRow, column: int) -> object:
        value = getattr(row, CASE_COLUMNS[column][0])
        return value.isoformat() if hasattr(value, "isoformat") else value

    def _sort_key(self, column: int) -> str | None:
        key = self.columns[column][0] if 0 <= column < len(self.columns) else "accepted_on"
        if key == "parties":
            return None  # not sortable in SQL cheaply; keep the current order
        return key


SCREENING_COLUMNS = (
    ("round_date", "排查日期"),
    ("period_label", "周期"),
    ("screeners", "排查人"),
    ("place", "地点范围"),
    ("found_count", "发现纠纷"),
    ("cases", "已立案"),
    ("findings", "发现情况"),
)


class ScreeningListModel(QAbstractTableModel):
    """Screening rounds (a village has a few dozen a year: loaded whole, still a table model)."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[ScreeningRow] = []

    def set_rows(self, rows: list[ScreeningRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(SCREENING_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(SCREENING_COLUMNS)
        ):
            return SCREENING_COLUMNS[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            not index.isValid()
            or not 0 <= index.row() < len(self.rows)
            or not 0 <= index.column() < len(SCREENING_COLUMNS)
        ):
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return row.id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        key = SCREENING_COLUMNS[index.column()][0]
        if key == "found_count":
            return "零报告" if row.found_count == 0 else f"{row.found_count} 起"
        value = getattr(row, key)
        return value.isoformat() if hasattr(value, "isoformat") else value
