"""One household's 帮扶: its 帮扶责任人 over time and its 帮扶记录, newest first, with the buttons to add,
change, delete and print. The same panel is the 帮扶记录 tab of the household editor and the dialog the
帮扶 page opens for a household. At a town it is read-only (the records are the village's)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import accounts
from app.aid import pairs, records, rules
from app.dates import cn_date
from app.errors import UserError

from ui.aid.forms import AidForm, PairDialog
from ui.app import scale_table_columns
from ui.file_dialogs import ask_save_file_name
from ui.widgets.fit import FitsScreen


class AidRecordsModel(QAbstractTableModel):
    """A household's few records (a form's list, not a data table)."""

    HEADERS = ("帮扶日期", "类别", "金额（元）", "物资或帮扶内容", "依据的政策", "帮扶人", "关联民情日记")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[records.AidView] = []

    def set_rows(self, rows: list[records.AidView]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                r.given_on.isoformat(),
                r.kind,
                r.amount_text,
                r.goods + (f"（{r.note}）" if r.note else ""),
                r.policy,
                r.giver_name,
                r.entry_label,
            )[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 2:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class HouseholdAidPanel(QWidget):
    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id: str | None = None
        self.label = "这一户"
        self.history: list[pairs.PairView] = []
        self.pairs_label = QLabel(self)
        self.pairs_label.setWordWrap(True)
        self.start_button = QPushButton("结对…", self)
        self.change_button = QPushButton("更换帮扶责任人…", self)
        self.end_button = QPushButton("解除结对…", self)
        pair_row = QHBoxLayout()
        pair_row.addWidget(QLabel("帮扶责任人：", self))
        pair_row.addWidget(self.pairs_label, 1)
        for b in (self.start_button, self.change_button, self.end_button):
            pair_row.addWidget(b)
        self.model = AidRecordsModel(self)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setVisible(False)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        for i, width in enumerate((96, 70, 86, 220, 120, 110)):
            self.view.setColumnWidth(i, width)
        scale_table_columns(self.view)  # widened with the 字号 (a dialog is not scaled by the window)
        self.view.doubleClicked.connect(lambda _i: self.edit())
        self.view.setAccessibleName("帮扶记录")
        self.summary = QLabel(self)
        self.add_button = QPushButton("新增帮扶记录(&N)…", self)
        self.edit_button = QPushButton("修改…", self)
        self.delete_button = QPushButton("删除", self)
        self.print_button = QPushButton("打印帮扶记录(&P)…", self)
        self.print_button.setToolTip("这一户的帮扶记录，A4 PDF，可请户主签字存档")
        buttons = QHBoxLayout()
        for b in (self.add_button, self.edit_button, self.delete_button):
            buttons.addWidget(b)
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.print_button)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(pair_row)
        lay.addWidget(self.view, 1)
        lay.addLayout(buttons)
        self.add_button.clicked.connect(self.add)
        self.edit_button.clicked.connect(self.edit)
        self.delete_button.clicked.connect(self.delete)
        self.print_button.clicked.connect(self.print_pdf)
        self.start_button.clicked.connect(lambda: self._pair("start"))
        self.change_button.clicked.connect(lambda: self._pair("change"))
        self.end_button.clicked.connect(lambda: self._pair("end"))
        # a town reads the village's 帮扶; an account without the right (a 调解员) reads them too
        self.read_only = ctx.is_town or not accounts.can(ctx.user, "record_aid")
        if self.read_only:
            for b in (
                self.add_button,
                self.edit_button,
                self.delete_button,
                self.start_button,
                self.change_button,
                self.end_button,
            ):
                b.setVisible(False)
        ctx.data_changed.connect(self._data_changed)

    def _data_changed(self, topic: str) -> None:
        if topic in ("aid", "households", "diary") and self.household_id is not None and self.isVisible():
            self.reload()

    def show_household(self, household_id: str | None, label: str = "这一户") -> None:
        self.household_id, self.label = household_id, label
        self.reload()

    def reload(self) -> None:
        if self.household_id is None:
            self.model.set_rows([])
            self.history = []
            self.pairs_label.setText("")
            return
        with self.ctx.work() as w:
            rows = records.household_aid(w, self.household_id)
            self.history = pairs.pair_history(w, self.household_id)
        self.model.set_rows(rows)
        current = [p for p in self.history if p.is_open]
        ended = [p for p in self.history if not p.is_open]
        text = "、".join(f"{p.cadre_name}（{cn_date(p.start_on)}起）" for p in current) or "未结对"
        if ended:
            text += "；此前：" + "、".join(
                f"{p.cadre_name}（{cn_date(p.start_on)}至{cn_date(p.end_on)}，{p.end_reason}）" for p in ended
            )
        self.pairs_label.setText(text)
        money = sum(r.amount_fen or 0 for r in rows)
        self.summary.setText(
            f"共 {len(rows)} 条" + (f"，资金合计 {rules.yuan_text(money)} 元" if money else "")
        )
        if not self.read_only:
            self.change_button.setEnabled(bool(current))
            self.end_button.setEnabled(bool(current))

    def _selected(self) -> records.AidView | None:
        rows = self.view.selectionModel().selectedRows()
        return self.model.rows[rows[0].row()] if rows else None

    def add(self) -> None:
        if self.household_id is None:
            return
        AidForm(self.ctx, self.household_id, self.label, parent=self).exec()

    def edit(self) -> None:
        record = self._selected()
        if record is None or self.household_id is None or self.read_only:
            return
        AidForm(self.ctx, self.household_id, self.label, record, parent=self).exec()

    def delete(self) -> None:
        record = self._selected()
        if record is None:
            return
        answer = QMessageBox.question(
            self,
            "删除帮扶记录",
            f"删除 {record.given_on:%Y-%m-%d} 的这条{record.kind}帮扶记录吗？（录错时才删除）",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.work() as w:
                records.delete_aid(w, record.id)
        except UserError as exc:
            QMessageBox.warning(self, "不能删除", exc.message)
            return
        self.ctx.data_changed.emit("aid")

    def _pair(self, mode: str) -> None:
        if self.household_id is None:
            return
        current = [p for p in self.history if p.is_open]
        pair = current[0] if current and mode != "start" else None
        if mode != "start" and pair is None:
            return
        PairDialog(self.ctx, self.household_id, self.label, pair=pair, mode=mode, parent=self).exec()

    def print_pdf(self, _checked: bool = False, target: str | None = None) -> Path | None:
        if self.household_id is None:
            return None
        if target is None:
            target, _filter = ask_save_file_name(
                self, "打印帮扶记录", f"{self.label}帮扶记录.pdf", "PDF 文件 (*.pdf)"
            )
            if not target:
                return None
        try:
            with self.ctx.work() as w:
                from app.aid.documents import (
                    print_household_aid,  # the PDF/workbook library loads when something is printed or exported
                )

                print_household_aid(
                    w, self.household_id, Path(target), unit_name=self.ctx.station.name, today=dt.date.today()
                )
        except UserError as exc:
            QMessageBox.warning(self, "不能打印", exc.message)
            return None
        return Path(target)


class HouseholdAidDialog(FitsScreen, QDialog):
    """The panel in a dialog, for a household picked on the 帮扶 page."""

    def __init__(self, ctx, household_id: str, label: str, parent=None) -> None:
        super().__init__(parent)
        self.setWindowTitle(f"帮扶记录：{label}")
        self.panel = HouseholdAidPanel(ctx, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(self.panel, 1)
        lay.addWidget(buttons)
        self.resize(1000, 560)
        self.panel.show_household(household_id, label)
