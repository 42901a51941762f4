"""统计报表: the figures of :mod:`app.reports` for a chosen period, and the existing 台账 exports.

Nothing here is typed: every number is counted from the roster, the diary, the demands and the cases.
No rankings and no scores (central policy): the per-village table at a town lists villages in code
order and cannot be sorted by a figure.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QSize, Qt
from PySide6.QtGui import QFont, QKeySequence, QResizeEvent, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTabBar,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import charts, reports, reports_output
from app.accounts import can
from app.errors import UserError

from ui.charts import MonthChartView
from ui.context import AppContext
from ui.dates import pydate, qdate
from ui.file_dialogs import ask_save_file_name
from ui.tasks import run_in_background


class VillageFiguresModel(QAbstractTableModel):
    """One row per village plus 合计 (a town station). Not sortable on purpose: no rankings."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[reports.Figures] = []
        self.columns = reports.BASE_COLUMNS

    def set_report(self, report: reports.Report | None) -> None:
        self.beginResetModel()
        if report is None:
            self.rows = []
        else:
            self.rows = reports.summary_rows(report)
            self.columns = reports.summary_columns(report)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return str(self.columns[index.column()][1](self.rows[index.row()]))
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None


class FigureBox(QGroupBox):
    """A titled block of "label  value" pairs, ``columns`` pairs per line when the box has room, fewer
    when it has not: at 特大 the page's two columns of boxes, three pairs to a line, were wider than the
    window, and the page scrolled sideways."""

    SPACING = 14

    def __init__(self, title: str, columns: int = 2, parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.columns = columns  # at most, on a line
        self.placed = columns  # on a line now
        self.grid = QGridLayout(self)
        self.grid.setHorizontalSpacing(self.SPACING)
        self.values: dict[str, QLabel] = {}
        self.cells: list[tuple[QLabel, QLabel]] = []

    def set_pairs(self, pairs: list[tuple[str, object]]) -> None:
        if [label for label, _v in pairs] == list(self.values):  # same figures, new period: just the numbers
            for label, value in pairs:
                self.values[label].setText(str(value))
            self._place(self._fitting(self.width()))
            return
        while self.grid.count():
            item = self.grid.takeAt(0)
            if item is not None and item.widget() is not None:
                item.widget().hide()  # not drawn over the title while waiting for deletion
                item.widget().deleteLater()
        self.values, self.cells = {}, []
        for label, value in pairs:
            name = QLabel(label, self)
            shown = QLabel(str(value), self)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            bold = QFont()  # bold only: the size stays the window's at every 字号 (a style sheet's did not)
            bold.setBold(True)
            shown.setFont(bold)
            self.values[label] = shown
            self.cells.append((name, shown))
        self.placed = 0
        self._place(self._fitting(self.width()) if self.isVisible() else self.columns)

    def _needed(self, columns: int) -> int:
        """The width the pairs take laid out ``columns`` to a line: each grid column as wide as its
        widest label or value, with the space between."""
        widths = [0] * (2 * columns)
        for n, (name, shown) in enumerate(self.cells):
            col = n % columns
            widths[2 * col] = max(widths[2 * col], name.sizeHint().width())
            widths[2 * col + 1] = max(widths[2 * col + 1], shown.sizeHint().width())
        return sum(widths) + self.SPACING * (len(widths) - 1)

    def _margins(self) -> int:
        m, inner = self.contentsMargins(), self.grid.contentsMargins()
        return m.left() + m.right() + inner.left() + inner.right()

    def _fitting(self, width: int) -> int:
        """As many pairs to a line as ``width`` has room for, one at least."""
        room = width - self._margins()
        return next((k for k in range(self.columns, 1, -1) if self._needed(k) <= room), 1)

    def _place(self, columns: int) -> None:
        if columns == self.placed:
            return
        while self.grid.count():
            self.grid.takeAt(0)  # the labels stay; they are laid out again
        for n, (name, shown) in enumerate(self.cells):
            row, col = divmod(n, columns)
            self.grid.addWidget(name, row, col * 2)
            self.grid.addWidget(shown, row, col * 2 + 1)
        for col in range(self.columns):
            self.grid.setColumnStretch(col * 2 + 1, 1 if col < columns else 0)
        self.placed = columns

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        self._place(self._fitting(event.size().width()))

    def minimumSizeHint(self) -> QSize:
        """One pair to a line: narrower than that the numbers would be cut."""
        hint = super().minimumSizeHint()
        return QSize(min(hint.width(), max(self._needed(1) + self._margins(), 1)), hint.height())

    def value(self, label: str) -> str:
        return self.values[label].text()


class ReportsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = dt.date.today()
        self.report: reports.Report | None = None
        self.task = None

        self.period_kind = QComboBox(self)
        for key, label in reports.PERIOD_KINDS.items():
            self.period_kind.addItem(label, key)
        self.date_from = QDateEdit(self)
        self.date_to = QDateEdit(self)
        for w in (self.date_from, self.date_to):
            w.setDisplayFormat("yyyy-MM-dd")
            w.setCalendarPopup(True)
        self.refresh_button = QPushButton("重新统计 (F5)", self)
        self.period_label = QLabel(self)
        self.period_label.setWordWrap(True)  # (on a narrow screen at 特大 it takes two lines, not cut)
        top = QHBoxLayout()
        lbl = QLabel("统计期间(&P)", self)
        lbl.setBuddy(self.period_kind)
        top.addWidget(lbl)
        top.addWidget(self.period_kind)
        top.addWidget(QLabel("从", self))
        top.addWidget(self.date_from)
        top.addWidget(QLabel("至", self))
        top.addWidget(self.date_to)
        top.addWidget(self.refresh_button)
        top.addWidget(self.period_label, 1)

        self.export_ledger_button = QPushButton("导出民情台账…", self)
        self.export_cases_button = QPushButton("导出矛盾纠纷排查调处台账…", self)
        self.export_roster_button = QPushButton("导出户籍台账…", self)
        self.print_button = QPushButton("打印汇总表和图表…", self)
        self.print_button.setToolTip("A4 横向 PDF：各村汇总表（本期）和全年各月图表")
        self.export_summary_button = QPushButton("导出汇总表 Excel…", self)
        self.export_status = QLabel(self)
        exports = QHBoxLayout()
        for b in (
            self.print_button,
            self.export_summary_button,
            self.export_ledger_button,
            self.export_cases_button,
            self.export_roster_button,
        ):
            exports.addWidget(b)
        exports.addWidget(self.export_status, 1)

        note = QLabel(
            "以下数字都由已录入的户籍、民情日记、群众诉求和调解案件自动统计，不需要另行填报；"
            "户数、人口和联系卡为当前在册情况，其余按所选期间统计。",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")

        self.villages_box = QGroupBox("各村汇总", self)
        self.villages_model = VillageFiguresModel(self)
        self.villages_view = QTableView(self.villages_box)
        self.villages_view.setModel(self.villages_model)
        self.villages_view.setSortingEnabled(False)
        self.villages_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.villages_view.verticalHeader().hide()
        self.villages_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.villages_view.setMinimumHeight(220)
        vb = QVBoxLayout(self.villages_box)
        vb.addWidget(self.villages_view)

        self.charts_box = QGroupBox("各月图表", self)
        self.chart_year = QSpinBox(self.charts_box)
        self.chart_year.setRange(2000, 2100)
        self.chart_year.setSuffix(" 年")
        self.chart_tabs = QTabBar(self.charts_box)
        self.chart_tabs.setExpanding(False)
        self.chart_view = MonthChartView(self.charts_box)
        self.charts: list[charts.MonthChart] = []
        self._chart_period_year = 0
        chart_top = QHBoxLayout()
        year_label = QLabel("年份(&Y)", self.charts_box)
        year_label.setBuddy(self.chart_year)
        chart_top.addWidget(year_label)
        chart_top.addWidget(self.chart_year)
        chart_top.addWidget(self.chart_tabs)
        chart_top.addStretch(1)
        self.chart_note = chart_note = QLabel(self.charts_box)
        chart_note.setStyleSheet("color: #555;")
        cb = QVBoxLayout(self.charts_box)
        cb.addLayout(chart_top)
        cb.addWidget(self.chart_view)
        cb.addWidget(chart_note)

        self.roster_box = FigureBox("户籍与联系卡", 2)
        self.tags_box = FigureBox("标签（户数）", 3)
        self.visits_box = FigureBox("民情日记（走访）", 2)
        self.demands_box = FigureBox("民情台账（群众诉求）", 2)
        self.categories_box = FigureBox("诉求类别", 3)
        self.cases_box = FigureBox("矛盾纠纷排查调处", 2)
        self.cases_by_box = FigureBox("按纠纷类型与来源（件）", 2)

        body = QWidget()
        grid = QGridLayout(body)
        grid.addWidget(self.villages_box, 0, 0, 1, 2)
        grid.addWidget(self.charts_box, 1, 0, 1, 2)
        grid.addWidget(self.roster_box, 2, 0)
        grid.addWidget(self.tags_box, 2, 1)
        grid.addWidget(self.visits_box, 3, 0)
        grid.addWidget(self.demands_box, 3, 1)
        grid.addWidget(self.categories_box, 4, 0, 1, 2)
        grid.addWidget(self.cases_box, 5, 0)
        grid.addWidget(self.cases_by_box, 5, 1)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        grid.setRowStretch(6, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)

        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addLayout(exports)
        layout.addWidget(note)
        layout.addWidget(scroll, 1)

        self.period_kind.currentIndexChanged.connect(self._kind_changed)
        self.refresh_button.clicked.connect(self.refresh)
        self.date_from.dateChanged.connect(self._dates_edited)
        self.date_to.dateChanged.connect(self._dates_edited)
        self.export_ledger_button.clicked.connect(lambda: self.ask_export("ledger"))
        self.export_cases_button.clicked.connect(lambda: self.ask_export("cases"))
        self.export_roster_button.clicked.connect(lambda: self.ask_export("roster"))
        self.print_button.clicked.connect(self.ask_print)
        self.export_summary_button.clicked.connect(self.ask_export_summary)
        self.chart_year.valueChanged.connect(lambda _v: self.refresh_charts())
        self.chart_tabs.currentChanged.connect(self._show_chart)
        QShortcut(QKeySequence("F5"), self, activated=self.refresh)
        ctx.data_changed.connect(self._on_data_changed)
        ctx.user_changed.connect(self._apply_permissions)
        self._set_dates(reports.period_for("month", self.today))
        self._apply_permissions()

    # -- period ---------------------------------------------------------------------------------
    def _set_dates(self, period: reports.Period) -> None:
        for w, d in ((self.date_from, period.start), (self.date_to, period.end)):
            w.blockSignals(True)
            w.setDate(qdate(d))
            w.blockSignals(False)

    def _kind_changed(self) -> None:
        kind = self.period_kind.currentData()
        if kind != "custom":
            self._set_dates(reports.period_for(kind, self.today))
            self.refresh()

    def _dates_edited(self) -> None:
        if self.period_kind.currentData() != "custom":
            self.period_kind.blockSignals(True)
            self.period_kind.setCurrentIndex(self.period_kind.findData("custom"))
            self.period_kind.blockSignals(False)

    def set_period(self, kind: str, start: dt.date | None = None, end: dt.date | None = None) -> None:
        self.period_kind.blockSignals(True)
        self.period_kind.setCurrentIndex(self.period_kind.findData(kind))
        self.period_kind.blockSignals(False)
        if kind == "custom" and start and end:
            self._set_dates(reports.Period(start, end))
        elif kind != "custom":
            self._set_dates(reports.period_for(kind, self.today))
        self.refresh()

    def period(self) -> reports.Period:
        kind = self.period_kind.currentData()
        return reports.period_for(
            kind, self.today, pydate(self.date_from.date()), pydate(self.date_to.date())
        )

    # -- figures ------------------------------------------------------------------------------------
    def _apply_permissions(self) -> None:
        cases = can(self.ctx.user, "see_cases")
        self.export_cases_button.setVisible(cases)
        self.cases_box.setVisible(cases)
        self.cases_by_box.setVisible(cases)

    def ready(self) -> bool:
        return self.report is not None

    def _on_data_changed(self, topic: str) -> None:
        if topic in ("households", "diary", "mediation", "sync") and self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        try:
            period = self.period()
        except UserError as exc:
            self.period_label.setText(exc.message)
            return
        if period.end.year != self._chart_period_year:  # the charts follow the period's year until changed
            self._chart_period_year = period.end.year
            self.chart_year.blockSignals(True)
            self.chart_year.setValue(period.end.year)
            self.chart_year.blockSignals(False)
        with self.ctx.work() as w:
            self.report = reports.compute(w, period, today=self.today)
            self.charts = reports.year_charts(w, self.chart_year.value())
        self.show_report(self.report)
        self._set_charts()

    # -- charts ---------------------------------------------------------------------------------------
    def refresh_charts(self) -> None:
        with self.ctx.work() as w:
            self.charts = reports.year_charts(w, self.chart_year.value())
        self._set_charts()

    def _set_charts(self) -> None:
        titles = [c.title for c in self.charts]
        current = self.chart_tabs.currentIndex()
        if [self.chart_tabs.tabText(i) for i in range(self.chart_tabs.count())] != titles:
            self.chart_tabs.blockSignals(True)
            while self.chart_tabs.count():
                self.chart_tabs.removeTab(0)
            for t in titles:
                self.chart_tabs.addTab(t)
            self.chart_tabs.setCurrentIndex(min(max(current, 0), len(titles) - 1))
            self.chart_tabs.blockSignals(False)
        self._show_chart(self.chart_tabs.currentIndex())

    def _show_chart(self, index: int) -> None:
        self.chart_view.set_chart(self.charts[index] if 0 <= index < len(self.charts) else None)

    def show_chart(self, title: str) -> charts.MonthChart:
        """Show the chart titled ``title`` (走访记录 / 诉求听取与办结 / 受理与结案)."""
        index = [c.title for c in self.charts].index(title)
        self.chart_tabs.setCurrentIndex(index)
        return self.charts[index]

    def show_report(self, r: reports.Report) -> None:
        days = (r.period.end - r.period.start).days + 1
        self.period_label.setText(f"统计期间：{r.period.label}（{days} 天）")
        self.villages_box.setVisible(r.town)
        self.chart_note.setText(
            ("全镇合计在前，各村按村代码顺序，不排名次；" if r.town else "")
            + "每图按本图最大数定刻度（纵轴上端的数）。"
        )
        self.villages_model.set_report(r)
        t = r.totals
        self.roster_box.setTitle("户籍与联系卡" + ("（全镇合计）" if r.town else ""))
        self.roster_box.set_pairs(
            [
                ("户数", t.households),
                ("在册人口", t.persons),
                ("有联系干部的户", f"{t.with_contact_cadre}（{t.contact_coverage}）"),
                ("联系卡已送达", f"{t.cards_delivered}（{t.card_coverage}）"),
                ("本期送达联系卡", t.cards_delivered_in_period),
                ("尚无联系干部的户", t.households - t.with_contact_cadre),
            ]
        )
        self.tags_box.setTitle("标签（户数）" + ("" if r.sensitive_shown else "，敏感标签不显示"))
        self.tags_box.set_pairs(list(t.tags.items()))
        self.visits_box.set_pairs(
            [("走访记录（篇）", t.visits), ("走访到的户", t.households_visited), *t.visits_by_kind.items()]
        )
        self.demands_box.set_pairs(
            [
                ("诉求（条）", t.demands),
                ("逾期未办结", t.demands_overdue),
                *t.demands_by_status.items(),
                *((f"群众点评：{k}", v) for k, v in t.demands_feedback.items()),
            ]
        )
        self.categories_box.set_pairs(list(t.demands_by_category.items()))
        if t.mediation is not None:
            self.cases_box.set_pairs(t.mediation.lines())
            m = t.mediation
            self.cases_by_box.set_pairs(
                [(f"类型：{k}", v) for k, v in m.by_type.items()]
                + [(f"来源：{k}", v) for k, v in m.by_source.items()]
                or [("本期无受理案件", "")]
            )

    # -- the 各村汇总 table and the charts on paper and in Excel -------------------------------------------
    def _unit_name(self) -> str:
        return self.ctx.station.name

    def ask_print(self) -> None:
        if self.report is None:
            return
        path, _ = ask_save_file_name(
            self,
            "打印汇总表和图表",
            f"民情工作统计报表-{self.report.period.start:%Y%m%d}-{self.report.period.end:%Y%m%d}.pdf",
            "PDF (*.pdf)",
        )
        if path:
            self.print_to(Path(path))

    def print_to(self, target: Path):
        """The pack (A4 landscape PDF: the table of the period, then the year's charts) in the background."""
        report, year_charts = self.report, list(self.charts)
        if report is None:
            return None
        name, made_by, day = (
            self._unit_name(),
            self.ctx.user.display_name if self.ctx.user else "",
            self.today,
        )

        def work(_progress):
            pages = reports_output.print_summary(
                report, target, unit_name=name, year_charts=year_charts, made_by=made_by, printed_on=day
            )
            return f"已生成 {target}（{pages} 页，A4 横向），可用 PDF 阅读器打印"

        self.export_status.setText("正在生成…")
        self.task = run_in_background(self, "打印汇总表和图表", work, self.export_status.setText)
        return self.task

    def ask_export_summary(self) -> None:
        if self.report is None:
            return
        path, _ = ask_save_file_name(
            self,
            "导出汇总表",
            f"民情工作统计报表-{self.report.period.start:%Y%m%d}-{self.report.period.end:%Y%m%d}.xlsx",
            "Excel 工作簿 (*.xlsx)",
        )
        if path:
            self.export_summary_to(Path(path))

    def export_summary_to(self, target: Path):
        report, year_charts, name, day = self.report, list(self.charts), self._unit_name(), self.today
        if report is None:
            return None

        def work(_progress):
            n = reports_output.export_summary(
                report, target, unit_name=name, year_charts=year_charts, today=day
            )
            return f"已导出汇总表（{n} 行）和图表到 {target}"

        self.export_status.setText("正在导出…")
        self.task = run_in_background(self, "导出汇总表", work, self.export_status.setText)
        return self.task

    # -- exports (the existing ones, for the chosen period) -------------------------------------------
    EXPORTS = {
        "ledger": ("导出民情台账", "民情台账"),
        "cases": ("导出矛盾纠纷排查调处台账", "矛盾纠纷排查调处台账"),
        "roster": ("导出户籍台账", "户籍台账"),
    }

    def ask_export(self, kind: str) -> None:
        title, stem = self.EXPORTS[kind]
        path, _ = ask_save_file_name(self, title, f"{stem}-{self.today:%Y%m%d}.xlsx", "Excel 工作簿 (*.xlsx)")
        if not path:
            return
        full_id = False
        if kind == "roster" and can(self.ctx.user, "export_full_id"):
            full_id = (
                QMessageBox.question(
                    self, "身份证号", "导出完整身份证号吗？（选“否”则打码导出；完整导出会记入审计日志）"
                )
                == QMessageBox.StandardButton.Yes
            )
        self.export_to(kind, Path(path), full_id=full_id)

    def export_to(self, kind: str, target: Path, *, full_id: bool = False):
        """Run one of the existing exports in the background; the status line says what was written."""
        ws, user, name = self.ctx.workspace, self.ctx.user, self.ctx.station.name
        period = self.period()

        def work(progress):
            if kind == "roster":
                from app.households.excel_export import export_roster

                with ws.work(user) as w:
                    n = export_roster(w, target, full_id=full_id, village_name=name, progress=progress)
                return f"已导出 {n} 人的户籍台账到 {target}"
            with ws.work(user) as w:
                if kind == "ledger":
                    from app.diary.ledger import LedgerFilter, export_ledger

                    n = export_ledger(
                        w,
                        target,
                        village_name=name,
                        today=self.today,
                        progress=progress,
                        f=LedgerFilter(date_from=period.start, date_to=period.end),
                    )
                    return f"已导出 {n} 条诉求到 {target}"
                if kind == "cases":
                    from app.mediation.ledger import export_ledger as export_cases

                    n = export_cases(w, target, date_from=period.start, date_to=period.end, progress=progress)
                    return f"已导出 {n} 件案件到 {target}"

        self.export_status.setText("正在导出…")
        self.task = run_in_background(self, self.EXPORTS[kind][0], work, self.export_status.setText)
        return self.task
