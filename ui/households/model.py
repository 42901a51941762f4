"""The roster as a lazy table model: keys sorted and filtered in SQL, rows fetched a page at a time."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from db.queries.households import RosterFilter, RosterRow, roster_keys, roster_rows

COLUMNS: tuple[tuple[str, str], ...] = (
    ("group_name", "组"),
    ("head_name", "户主"),
    ("household_no", "户编号"),
    ("address", "住址"),
    ("members", "在册人数"),
    ("phones", "电话"),
    ("contact_cadre", "联系干部"),
    ("area_cadre", "包片干部"),
    ("tags", "标签"),
    ("card_delivered_on", "联系卡送达"),
)
VILLAGE_COLUMN = ("village_code", "村")
PAGE = 100


class RosterModel(QAbstractTableModel):
    """Read-only; ``session_factory()`` gives a session (a context manager) for each fetch."""

    def __init__(self, session_factory, parent=None) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self._keys: list[int] = []
        self._rows: dict[int, RosterRow] = {}
        self.filter = RosterFilter()
        self.sort_key = "group_name"
        self.descending = False
        self.hidden_tags: frozenset[str] = frozenset()
        self.fetches = 0
        self.columns: tuple[tuple[str, str], ...] = COLUMNS
        self._village_name = None

    def show_village_column(self, name_of) -> None:
        """A town station: a 村 column first, showing ``name_of(village_code)``."""
        self.beginResetModel()
        self.columns = (VILLAGE_COLUMN, *COLUMNS)
        self._village_name = name_of
        self.endResetModel()

    # -- querying -----------------------------------------------------------------------------
    def set_filter(self, filt: RosterFilter) -> None:
        self.filter = filt
        self.reload()

    def reload(self) -> None:
        with self._session_factory() as s:
            keys = roster_keys(s, self.filter, sort=self.sort_key, descending=self.descending)
        self.beginResetModel()
        self._keys = keys
        self._rows = {}
        self.endResetModel()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if not 0 <= column < len(self.columns):
            return
        self.layoutAboutToBeChanged.emit()
        self.sort_key = self.columns[column][0]
        self.descending = order == Qt.SortOrder.DescendingOrder
        with self._session_factory() as s:
            self._keys = roster_keys(s, self.filter, sort=self.sort_key, descending=self.descending)
        self._rows = {}
        self.changePersistentIndexList(
            self.persistentIndexList(), [QModelIndex()] * len(self.persistentIndexList())
        )
        self.layoutChanged.emit()

    @property
    def loaded_rows(self) -> int:
        return len(self._rows)

    def row_data(self, row: int) -> RosterRow | None:
        if not 0 <= row < len(self._keys):
            return None
        key = self._keys[row]
        if key not in self._rows:
            start = (row // PAGE) * PAGE
            page = self._keys[start : start + PAGE]
            with self._session_factory() as s:
                self._rows.update(roster_rows(s, page, hidden_tags=self.hidden_tags))
            self.fetches += 1
        return self._rows.get(key)

    def household_id(self, row: int) -> str | None:
        r = self.row_data(row)
        return r.id if r else None

    def row_of(self, household_id: str) -> int:
        """Row of an already loaded household (after an edit), or -1."""
        for key, r in self._rows.items():
            if r.id == household_id:
                return self._keys.index(key)
        return -1

    # -- Qt ---------------------------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self._keys)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or index.row() >= len(self._keys):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            r = self.row_data(index.row())
            if r is None:
                return "（已删除）"
            key = self.columns[index.column()][0]
            value = getattr(r, key)
            if key == "village_code":
                return self._village_name(value) if self._village_name else value
            if key == "tags":
                return "、".join(value)
            if key == "card_delivered_on":
                return f"{value:%Y-%m-%d}" if value else "未送达"
            if key == "phones":
                return value.replace(",", "，")
            return "" if value is None else str(value) if not isinstance(value, str) else value
        if role == Qt.ItemDataRole.TextAlignmentRole and self.columns[index.column()][0] == "members":
            return int(Qt.AlignmentFlag.AlignCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.columns):
            return self.columns[section][1]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None
