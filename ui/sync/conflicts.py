"""The 冲突处理 view (village and town): open conflicts, the differing fields of one, and resolving it
by one side or field by field."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractItemView, QHBoxLayout, QLabel, QPushButton, QSplitter, QVBoxLayout

from app.errors import UserError
from app.sync import conflicts as conflict_service
from app.sync import status

from ui.sync.common import Base, fmt_time, table
from ui.sync.models import FieldChoiceModel, RowsModel


# -- conflicts ------------------------------------------------------------------------------------------
class ConflictsView(Base):
    HEADERS = ("编号", "数据", "村", "记录", "来自", "不同字段", "发现时间")

    def __init__(self, ctx, parent=None) -> None:
        super().__init__(ctx, parent)
        self.items: list = []
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel("同一条记录在两处同时被修改。本站的版本暂时保留；请逐条决定采用哪一方，或勾选字段合并。")
        )
        split = QSplitter(Qt.Orientation.Vertical)
        self.model = RowsModel(self.HEADERS, self)
        self.view = table(self.model, self)
        self.view.selectionModel().currentRowChanged.connect(self.show_current)
        self.fields = FieldChoiceModel(self)
        self.fields_view = table(self.fields, self)
        self.fields_view.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        split.addWidget(self.view)
        split.addWidget(self.fields_view)
        layout.addWidget(split, 1)
        row = QHBoxLayout()
        self.keep_local = QPushButton("保留本站版本(&L)")
        self.keep_local.clicked.connect(lambda: self.resolve("local"))
        self.take_incoming = QPushButton("采用对方版本(&T)")
        self.take_incoming.clicked.connect(lambda: self.resolve("incoming"))
        self.merge = QPushButton("按勾选合并(&M)")
        self.merge.clicked.connect(lambda: self.resolve(None))
        for b in (self.keep_local, self.take_incoming, self.merge):
            row.addWidget(b)
        row.addStretch(1)
        layout.addLayout(row)
        self._enable(False)

    def _enable(self, on: bool) -> None:
        for b in (self.keep_local, self.take_incoming, self.merge):
            b.setEnabled(on)

    def refresh(self) -> None:
        self.items = conflict_service.list_conflicts(self.ws)
        self.model.set_rows(
            [
                (
                    c.id,
                    status.record_label(c.record_type),
                    c.village_code,
                    status.describe(c.table_name, c.local) or status.describe(c.table_name, c.incoming),
                    c.incoming_station_name,
                    "、".join(status.field_words(f) for f in c.differing),
                    fmt_time(c.detected_at),
                )
                for c in self.items
            ],
            [c.id for c in self.items],
        )
        self.fields.set_conflict([], {}, {})
        self._enable(False)
        if self.items:
            self.view.setCurrentIndex(self.model.index(0, 0))

    def ready(self) -> bool:
        return True

    def show_current(self, current, _previous=None) -> None:
        if not current.isValid() or current.row() >= len(self.items):
            return
        c = self.items[current.row()]
        self.fields.set_conflict(c.data_fields, c.local, c.incoming)
        self._enable(True)

    def resolve(self, choice: str | None) -> None:
        row = self.view.currentIndex().row()
        if not (0 <= row < len(self.items)):
            return
        c = self.items[row]
        try:
            conflict_service.resolve(self.ws, c.id, choice or self.fields.choice(), actor=self.ctx.user)
        except UserError as exc:
            self._warn(exc)
            return
        self.ctx.data_changed.emit(c.record_type)
        self.refresh()
