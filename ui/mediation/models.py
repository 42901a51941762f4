"""Lazy table models of the mediation screens: ids sorted and filtered in SQL, rows loaded a page at a time."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from db.queries.mediation import CaseFilter, CaseRow, ScreeningRow, case_ids, case_rows

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
PAGE_SIZE = 200


class CaseListModel(QAbstractTableModel):
    """Cases as an id list (Anki's browser table): ``data()`` loads the page around a row on demand."""

    def __init__(self, session_factory: Callable, parent=None) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self.ids: list[str] = []
        self._cache: dict[str, CaseRow] = {}
        self.filter = CaseFilter()
        self.sort_key, self.descending = "accepted_on", True
        self.columns: tuple[tuple[str, str], ...] = CASE_COLUMNS
        self._village_name: Callable[[str], str] | None = None

    def show_village_column(self, name_of: Callable[[str], str]) -> None:
        """A town station: a 村 column first, showing ``name_of(village_code)``."""
        self.beginResetModel()
        self.columns = (("village_code", "村"), *CASE_COLUMNS)
        self._village_name = name_of
        self.endResetModel()

    # -- loading --------------------------------------------------------------------------------
    def reload(self, flt: CaseFilter | None = None) -> None:
        if flt is not None:
            self.filter = flt
        self.beginResetModel()
        with self._session_factory() as s:
            self.ids = case_ids(s, self.filter, sort=self.sort_key, descending=self.descending)
        self._cache.clear()
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self.ids, self._cache = [], {}
        self.endResetModel()

    def row_at(self, row: int) -> CaseRow | None:
        if not 0 <= row < len(self.ids):
            return None
        case_id = self.ids[row]
        if case_id not in self._cache:
            start = (row // PAGE_SIZE) * PAGE_SIZE
            page = self.ids[start : start + PAGE_SIZE]
            if len(self._cache) > 5000:
                self._cache.clear()
            with self._session_factory() as s:
                self._cache.update(case_rows(s, page))
        return self._cache.get(case_id)

    # -- Qt -------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.ids)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < len(self.columns)
        ):
            return self.columns[section][1]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.column() < len(self.columns):
            return None
        if role == Qt.ItemDataRole.UserRole:
            return self.ids[index.row()] if 0 <= index.row() < len(self.ids) else None
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        row = self.row_at(index.row())
        if row is None:
            return None
        key = self.columns[index.column()][0]
        value = getattr(row, key)
        if key == "village_code" and self._village_name is not None:
            return self._village_name(value)
        return value.isoformat() if hasattr(value, "isoformat") else value

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        key = self.columns[column][0] if 0 <= column < len(self.columns) else "accepted_on"
        if key == "parties":
            return  # not sortable in SQL cheaply; keep the current order
        self.sort_key, self.descending = key, order == Qt.SortOrder.DescendingOrder
        self.reload()


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
