"""Pick residents from the roster as you type: name, pinyin (zsf, zhangsan), ID suffix or phone.

``PersonPicker`` picks one person at a time (signal ``person_chosen``); ``PersonListPicker`` keeps
several (the households and persons met on a visit, the parties of a case).
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QAbstractListModel, QModelIndex, QPersistentModelIndex, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListView,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db.queries.people import PersonHit, find_persons

from app.codes import mask_resident_id

from ui.app import at_font_size


def describe(hit: PersonHit) -> str:
    parts = [hit.name]
    if hit.relation and hit.relation != "户主":
        parts.append(f"（{hit.head_name}之{hit.relation}）")
    if hit.group_name:
        parts.append(f"  {hit.group_name}")
    if hit.id_number:
        parts.append(f"  {mask_resident_id(hit.id_number)}")
    return "".join(parts)


class _HitsModel(QAbstractListModel):
    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.hits: list[PersonHit] = []

    def set_hits(self, hits: list[PersonHit]) -> None:
        self.beginResetModel()
        self.hits = hits
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.hits)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.hits):
            return None
        hit = self.hits[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return describe(hit)
        if role == Qt.ItemDataRole.UserRole:
            return hit
        return None


class PersonPicker(QWidget):
    """A search box with a result list under it. Up/Down move, Enter picks, Esc clears."""

    person_chosen = Signal(object)  # PersonHit

    def __init__(
        self,
        session_factory: Callable,
        parent: QWidget | None = None,
        *,
        placeholder: str = "输入姓名、拼音首字母、身份证后几位或电话查找",
        limit: int = 20,
    ) -> None:
        super().__init__(parent)
        self._session_factory = session_factory
        self._limit = limit
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(placeholder)
        self.edit.setClearButtonEnabled(True)
        self.model = _HitsModel(self)
        self.results = QListView(self)
        self.results.setModel(self.model)
        self.results.setMaximumHeight(at_font_size(160))
        self.results.setVisible(False)
        self.results.activated.connect(self._choose_index)
        self.results.clicked.connect(self._choose_index)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.edit)
        layout.addWidget(self.results)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(150)
        self._timer.timeout.connect(self.search_now)
        self.edit.textChanged.connect(lambda _t: self._timer.start())
        self.edit.installEventFilter(self)
        self.setFocusProxy(self.edit)

    def search_now(self) -> None:
        text = self.edit.text().strip()
        if not text:
            self.model.set_hits([])
        else:
            with self._session_factory() as session:
                self.model.set_hits(find_persons(session, text, limit=self._limit))
        self.results.setVisible(bool(self.model.hits))
        if self.model.hits:
            self.results.setCurrentIndex(self.model.index(0))

    def eventFilter(self, obj, event) -> bool:
        if obj is self.edit and isinstance(event, QKeyEvent) and event.type() == QKeyEvent.Type.KeyPress:
            key = event.key()
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up) and self.model.hits:
                row = self.results.currentIndex().row() + (1 if key == Qt.Key.Key_Down else -1)
                row = max(0, min(row, len(self.model.hits) - 1))
                self.results.setCurrentIndex(self.model.index(row))
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                if self._timer.isActive():
                    self._timer.stop()
                    self.search_now()
                if self.model.hits:
                    self._choose_index(self.results.currentIndex())
                    return True
            if key == Qt.Key.Key_Escape and self.edit.text():
                self.edit.clear()
                return True
        return super().eventFilter(obj, event)

    def _choose_index(self, index: QModelIndex) -> None:
        if not index.isValid():
            return
        hit = self.model.hits[index.row()]
        self.edit.clear()
        self.model.set_hits([])
        self.results.setVisible(False)
        self.person_chosen.emit(hit)


class PersonListPicker(QWidget):
    """Several persons: a picker above the chosen list; Delete or 移除 removes the selected one."""

    changed = Signal()

    def __init__(self, session_factory: Callable, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.picker = PersonPicker(session_factory, self)
        self.chosen = QListWidget(self)
        self.chosen.setMaximumHeight(at_font_size(110))
        self.remove_button = QPushButton("移除", self)
        self.remove_button.clicked.connect(self.remove_selected)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.picker)
        row = QHBoxLayout()
        row.addWidget(self.chosen, 1)
        row.addWidget(self.remove_button, 0, Qt.AlignmentFlag.AlignTop)
        layout.addLayout(row)
        self.picker.person_chosen.connect(self.add_person)
        self.chosen.installEventFilter(self)
        self.setFocusProxy(self.picker)

    def persons(self) -> list[PersonHit]:
        return [self.chosen.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.chosen.count())]

    def add_person(self, hit: PersonHit) -> None:
        if any(p.id == hit.id for p in self.persons()):
            return
        item = QListWidgetItem(describe(hit))
        item.setData(Qt.ItemDataRole.UserRole, hit)
        self.chosen.addItem(item)
        self.changed.emit()

    def remove_selected(self) -> None:
        for item in self.chosen.selectedItems():
            self.chosen.takeItem(self.chosen.row(item))
        self.changed.emit()

    def eventFilter(self, obj, event) -> bool:
        if (
            obj is self.chosen
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() == Qt.Key.Key_Delete
        ):
            self.remove_selected()
            return True
        return super().eventFilter(obj, event)
