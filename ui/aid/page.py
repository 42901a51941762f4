"""帮扶 (the page): the village view. The households of a chosen tag (低保, 困难户 …, or 全部户), in the
roster's order, each with its 帮扶责任人 and its aid over the last 12 months: how many times, how much
money, which kinds, the last one. The same row for every household: no ranking, no sorting by amount,
no percentages and no colours (docs/aid.md), so that a household with much less than its neighbours in
the same need stands out to whoever reads down the list. At a town, village by village (the 村 filter).

Double-click (or 查看这一户) opens the household's 帮扶记录; 新增帮扶记录 adds one for the selected household.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.queries.aid import VillageAidRow

from app import accounts
from app.aid import rules, view
from app.dates import cn_date
from app.errors import UserError

from ui.aid.forms import AidForm
from ui.aid.household import HouseholdAidDialog
from ui.app import SECTION_SCALE, scale_table_columns
from ui.dates import date_edit, date_of
from ui.file_dialogs import ask_save_file_name
from ui.widgets.village_filter import VillageFilter, compact


class VillageAidModel(QAbstractTableModel):
    """The view's rows, in the order the query gives (the roster's); never sorted by the view."""

    HEADERS = ("组", "户主", "帮扶责任人", "次数", "金额（元）", "最近一次", "帮扶类别及次数")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[VillageAidRow] = []
        self.village_names: dict[str, str] | None = None  # at a town: the 村 column

    @property
    def headers(self) -> tuple[str, ...]:
        return (("村",) if self.village_names is not None else ()) + self.HEADERS

    def set_rows(self, rows: list[VillageAidRow], village_names: dict[str, str] | None) -> None:
        self.beginResetModel()
        self.rows = rows
        self.village_names = village_names
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def _values(self, r: VillageAidRow) -> tuple[str, ...]:
        values = (
            r.group_name,
            r.head_name,
            r.responsible or "未结对",
            str(r.count),
            rules.yuan_text(r.amount_fen) or "0",
            r.last_given_on.isoformat() if r.last_given_on else "",
            r.kinds_text,
        )
        if self.village_names is not None:
            return (self.village_names.get(r.village_code, r.village_code), *values)
        return values

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._values(self.rows[index.row()])[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            name = self.headers[index.column()]
            if name in ("次数", "金额（元）"):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self.headers[section]
        return str(section + 1)


class AidPage(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.loaded = False
        self.villages = VillageFilter(ctx, self)
        self.tag = compact(QComboBox(self), 6)
        self.tag.setAccessibleName("标签")
        self.until = date_edit(dt.date.today(), self)
        self.until.setToolTip("统计这一天往前 12 个月的帮扶")
        self.refresh_button = QPushButton("刷新 (F5)", self)
        tag_label = QLabel("标签(&T)", self)
        tag_label.setBuddy(self.tag)
        top = QHBoxLayout()
        top.addWidget(self.villages)
        top.addWidget(tag_label)
        top.addWidget(self.tag)
        top.addWidget(QLabel("截至", self))
        top.addWidget(self.until)
        top.addWidget(self.refresh_button)
        top.addStretch(1)
        self.period = QLabel(self)
        self.period.setWordWrap(True)
        self.model = VillageAidModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)  # the roster's order, never by amount
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("各户帮扶")
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        self.table.doubleClicked.connect(lambda _i: self.open_household())
        self.open_button = QPushButton("查看这一户的帮扶记录(&O)…", self)
        self.add_button = QPushButton("新增帮扶记录(&N)…", self)
        self.export_button = QPushButton("导出帮扶台账(&X)…", self)
        self.status = QLabel(self)
        bottom = QHBoxLayout()
        bottom.addWidget(self.open_button)
        bottom.addWidget(self.add_button)
        bottom.addWidget(self.export_button)
        bottom.addWidget(self.status, 1)
        note = QLabel(
            "按户籍名册的顺序列出选定标签的每一户和它近 12 个月的帮扶，不排名、不打分；"
            "同样困难的户帮扶多少不一时，从上往下看就能看出来。",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(note)
        lay.addWidget(self.period)
        lay.addWidget(self.table, 1)
        lay.addLayout(bottom)
        self.add_button.setVisible(not ctx.is_town)
        self.add_button.setEnabled(accounts.can(ctx.user, "record_aid"))  # (a 调解员 reads them)
        self.refresh_button.clicked.connect(self.reload)
        self.tag.currentIndexChanged.connect(lambda _i: self.reload())
        self.villages.changed.connect(self.reload)
        self.until.dateChanged.connect(lambda _d: self.reload())
        self.open_button.clicked.connect(self.open_household)
        self.add_button.clicked.connect(self.add_record)
        self.export_button.clicked.connect(self.export)
        QShortcut(QKeySequence("F5"), self, activated=self.reload)
        ctx.data_changed.connect(self._data_changed)

    def _column_widths(self) -> None:
        """Widths for 标准, widened with the 字号 (the model's reset may add or drop the 村 column)."""
        widths = [60, 80, 150, 50, 90, 100]
        if self.model.village_names is not None:
            widths = [90, *widths]
        for i, w in enumerate(widths):
            self.table.setColumnWidth(i, w)
        self.table.horizontalHeader().setProperty(SECTION_SCALE, None)
        scale_table_columns(self.table)

    def _data_changed(self, topic: str) -> None:
        if topic in ("aid", "households", "sync") and self.loaded and self.isVisible():
            self.reload()

    def refresh(self) -> None:
        if not self.loaded:
            self._fill_tags()
        self.villages.fill()
        self.reload()

    def ready(self) -> bool:
        return self.loaded

    def _fill_tags(self) -> None:
        with self.ctx.work() as w:
            choices = view.tag_choices(w)
        self.tag.blockSignals(True)
        self.tag.clear()
        self.tag.addItems(choices)
        i = self.tag.findText(view.DEFAULT_TAG)
        self.tag.setCurrentIndex(max(i, 0))
        self.tag.blockSignals(False)

    def reload(self) -> None:
        until = date_of(self.until)
        try:
            with self.ctx.work() as w:
                rows = view.village_view(
                    w, tag=self.tag.currentText(), village_code=self.villages.code(), until=until
                )
        except UserError as exc:
            self.status.setText(exc.message)
            return
        names = self.villages.names if self.ctx.is_town else None
        self.model.set_rows(rows, names)
        self._column_widths()
        since, until = view.window(until)
        none = sum(1 for r in rows if r.count == 0)
        self.period.setText(
            f"{self.tag.currentText()}：共 {len(rows)} 户；{cn_date(since)}至{cn_date(until)}"
            f"没有帮扶记录的 {none} 户。"
        )
        self.loaded = True

    def _selected(self) -> VillageAidRow | None:
        rows = self.table.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def open_household(self) -> None:
        row = self._selected()
        if row is None:
            self.status.setText("请先在表中选一户")
            return
        HouseholdAidDialog(self.ctx, row.household_id, f"{row.head_name}户", self).exec()
        self.reload()

    def add_record(self) -> None:
        row = self._selected()
        if row is None:
            self.status.setText("请先在表中选一户")
            return
        AidForm(self.ctx, row.household_id, f"{row.head_name}户", parent=self).exec()

    def export(self, _checked: bool = False, target: str | None = None) -> Path | None:
        if target is None:
            target, _f = ask_save_file_name(self, "导出帮扶台账", "帮扶台账.xlsx", "Excel 文件 (*.xlsx)")
            if not target:
                return None
        tag = self.tag.currentText()
        try:
            with self.ctx.work() as w:
                from app.aid.ledger import (
                    export_aid,  # the PDF/workbook library loads when something is printed or exported
                )

                n = export_aid(
                    w,
                    Path(target),
                    unit_name=self.ctx.station.name,
                    tag=tag,
                    today=date_of(self.until),
                )
        except UserError as exc:
            QMessageBox.warning(self, "不能导出", exc.message)
            return None
        self.status.setText(f"已导出 {n} 条帮扶记录到 {target}")
        return Path(target)
