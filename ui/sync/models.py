"""Table models of the sync screens. The lists are short (villages, bundles of one import, open
conflicts, the fields of one record), so each model holds plain row tuples made by ``app`` services."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

Index = QModelIndex | QPersistentModelIndex


class RowsModel(QAbstractTableModel):
    """Read-only rows of display values; ``keys[i]`` identifies row i (an id, a file …)."""

    def __init__(self, headers: Sequence[str], parent=None) -> None:
        super().__init__(parent)
        self.headers = list(headers)
        self.rows: list[tuple] = []
        self.keys: list[object] = []

    def set_rows(self, rows: list[tuple], keys: list[object] | None = None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.keys = keys if keys is not None else list(range(len(rows)))
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.rows)):
            return None
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            value = self.rows[index.row()][index.column()]
            return "" if value is None else str(value)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal and 0 <= section < len(self.headers):
            return self.headers[section]
        if orientation == Qt.Orientation.Vertical:
            return str(section + 1)
        return None


class FieldChoiceModel(QAbstractTableModel):
    """One conflict's fields: 字段 | 本站版本 | 对方版本 | 采用对方 (checkable), for a merge."""

    HEADERS = ("字段", "本站版本", "对方版本", "采用对方")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.fields: list[str] = []  # as listed
        self.all_fields: list[str] = []  # as the record has them (a merge names each)
        self.local: dict = {}
        self.incoming: dict = {}
        self.take_incoming: set[str] = set()

    def set_conflict(self, fields: list[str], local: dict, incoming: dict) -> None:
        """The fields that differ first (the ones to decide), then those alike that a person reads (a
        record's internal ids and references left out: a clerk met 28 rows, the 6 that differed below
        the fold)."""
        self.beginResetModel()
        self.all_fields, self.local, self.incoming = fields, local, incoming
        differing = [f for f in fields if local.get(f) != incoming.get(f)]
        alike = [f for f in fields if f not in differing and f != "id" and not f.endswith("_id")]
        self.fields = differing + alike
        self.take_incoming = set()
        self.endResetModel()

    def choice(self) -> dict[str, str]:
        return {f: ("incoming" if f in self.take_incoming else "local") for f in self.all_fields}

    def rowCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.fields)

    def columnCount(self, parent: Index = QModelIndex()) -> int:
        return 0 if parent.isValid() else 4

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == 3:
            base |= Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self.fields)):
            return None
        name = self.fields[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and col == 3:
            return Qt.CheckState.Checked if name in self.take_incoming else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            if col == 0:
                from app.sync.status import field_label

                return field_label(name)
            if col == 1:
                return "" if self.local.get(name) is None else str(self.local.get(name))
            if col == 2:
                return "" if self.incoming.get(name) is None else str(self.incoming.get(name))
            return None
        if (
            role == Qt.ItemDataRole.FontRole
            and col in (1, 2)
            and self.local.get(name) != self.incoming.get(name)
        ):
            from PySide6.QtGui import QFont

            font = QFont()
            font.setBold(True)
            return font
        return None

    def setData(self, index: Index, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if not index.isValid() or index.column() != 3 or role != Qt.ItemDataRole.CheckStateRole:
            return False
        name = self.fields[index.row()]
        checked = Qt.CheckState(value) == Qt.CheckState.Checked if not isinstance(value, bool) else value
        if checked:
            self.take_incoming.add(name)
        else:
            self.take_incoming.discard(name)
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < 4
        ):
            return self.HEADERS[section]
        return None
