"""人民调解月报: the month's 人民调解工作统计表 on screen, 生成本月报表 / 重新生成, print, Excel, and a small chart.

The table lists the committees as :func:`app.mediation.frozen.report` gives them (villages in code order,
the town committee, 合计) and cannot be sorted by a figure (no rankings). The chart shows, for the year,
cases accepted and concluded by month: the town's total first, then each village in code order.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import charts
from app.errors import UserError
from app.mediation import frozen, monthly, report_output

from ui.charts import MonthChartView
from ui.context import AppContext
from ui.file_dialogs import ask_save_file_name


class ReportModel(QAbstractTableModel):
    """单位, 报送情况, then every figure of the standard layout; 本月 or 本年累计."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.view: frozen.MonthlyReportView | None = None
        self.year_to_date = False
        self.columns = [(label, get) for label, _w, get in report_output.figure_columns()]

    def set_view(self, view: frozen.MonthlyReportView | None, year_to_date: bool) -> None:
        self.beginResetModel()
        self.view, self.year_to_date = view, year_to_date
        self.endResetModel()

    @property
    def rows(self) -> list[frozen.ReportRow]:
        return self.view.all_rows if self.view else []

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else 2 + len(self.columns)

    def text(self, row: int, column: int) -> str:
        r = self.rows[row]
        if column == 0:
            return r.name
        if column == 1:
            return r.status_text
        f = r.year if self.year_to_date else r.month
        shown = self.columns[column - 2][1](r, f, self.year_to_date)
        change = self.change(row, column)
        if change is not None:
            key = report_output.key_of(self.columns[column - 2][1]) or ""
            return f"{shown}（现 {monthly.value_text(key, change[1])}）"
        return shown

    def change(self, row: int, column: int) -> tuple[int, int] | None:
        """(frozen, now) when this cell's figure changed after freezing."""
        if column < 2:
            return None
        key = report_output.key_of(self.columns[column - 2][1])
        period = "本年累计" if self.year_to_date else "本月"
        return self.rows[row].changed_keys.get((period, key)) if key else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 1 and r.status == frozen.CHANGED:
                return f"报送后有变动（{len(r.changes)} 项，红字为现有数）"
            return self.text(index.row(), index.column())
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 1 and r.changes:
            return "报送后有变动（报送数 → 现有数）：\n" + "\n".join(r.change_lines())
        if role == Qt.ItemDataRole.ForegroundRole:
            if index.column() == 1 and r.status in (frozen.CHANGED, frozen.NOT_SENT):
                return QBrush(QColor("#b00020"))
            if self.change(index.row(), index.column()) is not None:
                return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.FontRole and r.kind == "total":
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 1:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            if section == 0:
                return "单位"
            if section == 1:
                return "报送情况"
            label = self.columns[section - 2][0]
            return report_output.PAPER_HEADINGS.get(label, label).replace("（人）", "人")
        return None


class MonthlyReportTab(QWidget):
    def __init__(self, ctx: AppContext, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today
        self.view: frozen.MonthlyReportView | None = None
        self.case_chart: charts.MonthChart | None = None
        last = today.replace(day=1) - dt.timedelta(days=1)  # the month usually filed now: the last one
        self.year = QSpinBox(self)
        self.year.setRange(2000, 2100)
        self.year.setValue(last.year)
        self.month = QComboBox(self)
        for m in range(1, 13):
            self.month.addItem(f"{m}月", m)
        self.month.setCurrentIndex(last.month - 1)
        self.period = QComboBox(self)
        self.period.addItem("本月", False)
        self.period.addItem("本年累计", True)
        self.freeze_button = QPushButton("生成本月报表", self)
        self.print_button = QPushButton("打印…", self)
        self.excel_button = QPushButton("导出 Excel…", self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        top = QHBoxLayout()
        lbl = QLabel("统计月份(&M)", self)
        lbl.setBuddy(self.month)
        top.addWidget(lbl)
        top.addWidget(self.year)
        top.addWidget(self.month)
        top.addWidget(QLabel("显示", self))
        top.addWidget(self.period)
        top.addStretch(1)
        top.addWidget(self.freeze_button)
        top.addWidget(self.print_button)
        top.addWidget(self.excel_button)

        self.model = ReportModel(self)
        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(False)  # no rankings
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(24)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setMinimumHeight(40)
        self.chart = MonthChartView(self)
        chart_scroll = QScrollArea(self)
        chart_scroll.setWidgetResizable(True)
        chart_scroll.setWidget(self.chart)
        chart_scroll.setMinimumHeight(150)
        note = QLabel(
            "受理按受理日期；调解成功、不成、终止按结案日期（不论何时受理）；在调为期末仍在调解的件数；"
            "成功率 = 成功 ÷ 本期结案。已生成的报表不再重算，数字有变动时在“报送情况”中列出（鼠标停留可看全部）。",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 3)
        lay.addWidget(note)
        lay.addWidget(chart_scroll, 2)

        self.year.valueChanged.connect(lambda _v: self.refresh())
        self.month.currentIndexChanged.connect(lambda _i: self.refresh())
        self.period.currentIndexChanged.connect(
            lambda _i: self.model.set_view(self.view, self.period.currentData())
        )
        self.freeze_button.clicked.connect(lambda: self.generate())
        self.print_button.clicked.connect(self.ask_print)
        self.excel_button.clicked.connect(self.ask_excel)

    def selected_month(self) -> tuple[int, int]:
        return self.year.value(), int(self.month.currentData())

    def set_month(self, year: int, month: int) -> None:
        self.year.blockSignals(True)
        self.year.setValue(year)
        self.year.blockSignals(False)
        self.month.setCurrentIndex(month - 1)
        self.refresh()

    def refresh(self) -> None:
        year, month = self.selected_month()
        try:
            with self.ctx.work() as w:
                self.view = frozen.report(w, year, month)
                self.case_chart = monthly.cases_chart(w, year)
        except UserError as exc:
            self.status.setText(exc.message)
            return
        self.model.set_view(self.view, self.period.currentData())
        own = next((r for r in self.view.rows if r.code == self.view.unit_code), None)
        self.freeze_button.setText("重新生成…" if own and own.frozen else "生成本月报表")
        self.status.setText(self._status_text(own))
        self.chart.set_chart(self.case_chart)

    def _status_text(self, own: frozen.ReportRow | None) -> str:
        assert self.view is not None
        year, month = self.view.year, self.view.month
        parts = []
        if own is None or own.frozen is None:
            parts.append(
                f"本站 {year}年{month}月 的报表尚未生成；表中为现有数据。核对无误后点“生成本月报表”冻结并随上报包报送。"
            )
        else:
            parts.append(f"本站 {year}年{month}月 的报表：{own.frozen.label}。")
            if own.changes:
                parts.append(
                    f"生成后数字有 {len(own.changes)} 项变动，如需报送新数字请“重新生成”（旧版保留）。"
                )
        if self.view.town:
            missing = [r.name for r in self.view.rows if r.kind == "village" and r.status == frozen.NOT_SENT]
            changed = [r.name for r in self.view.rows if r.status == frozen.CHANGED and r.kind == "village"]
            if missing:
                parts.append("未报送：" + "、".join(missing) + "。")
            if changed:
                parts.append("报送后有变动：" + "、".join(changed) + "。")
        return "".join(parts)

    # -- actions --------------------------------------------------------------------------------------
    def generate(self, note: str | None = None) -> frozen.FrozenInfo | None:
        year, month = self.selected_month()
        own = next((r for r in self.view.rows if r.code == self.view.unit_code), None) if self.view else None
        if own is not None and own.frozen is not None and note is None:
            text, ok = QInputDialog.getText(
                self,
                "重新生成报表",
                f"{year}年{month}月的报表已经生成过（{own.frozen.label}）。\n重新生成会保留旧版，请写明原因：",
            )
            if not ok:
                return None
            note = text
        try:
            with self.ctx.work() as w:
                info = frozen.freeze(w, year, month, today=self.today, note=note or "")
        except UserError as exc:
            QMessageBox.warning(self, "生成报表", exc.message)
            return None
        self.ctx.data_changed.emit("mediation")
        self.refresh()
        return info

    def ask_print(self) -> None:
        year, month = self.selected_month()
        path, _ = ask_save_file_name(
            self,
            "打印人民调解工作统计表",
            f"人民调解工作统计表-{year}年{month}月.pdf",
            "PDF (*.pdf)",
        )
        if path:
            self.print_to(Path(path))

    def print_to(self, target: Path) -> int | None:
        if self.view is None:
            return None
        name = self.ctx.user.display_name if self.ctx.user else ""
        try:
            pages = report_output.print_report(
                self.view, target, filled_by=name, printed_on=self.today, chart=self.case_chart
            )
        except UserError as exc:
            QMessageBox.warning(self, "打印", exc.message)
            return None
        self.status.setText(f"已生成 {target}（{pages} 页，A4 横向），可用 PDF 阅读器打印。")
        return pages

    def ask_excel(self) -> None:
        year, month = self.selected_month()
        path, _ = ask_save_file_name(
            self,
            "导出人民调解工作统计表",
            f"人民调解工作统计表-{year}年{month}月.xlsx",
            "Excel 工作簿 (*.xlsx)",
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, target: Path) -> int | None:
        if self.view is None:
            return None
        try:
            n = report_output.export_report(self.view, target, chart=self.case_chart)
        except UserError as exc:
            QMessageBox.warning(self, "导出", exc.message)
            return None
        self.status.setText(f"已导出到 {target}")
        return n
