"""矛盾纠纷调解 page: the case list, screening rounds and the statistics, for mediators, admins and town staff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db.queries.mediation import CaseFilter, case_years, screening_rows

from app import accounts
from app.errors import UserError
from app.mediation import registration, rules, screening
from app.mediation import stats as mstats

from ui.context import AppContext
from ui.dates import date_edit, date_of
from ui.file_dialogs import ask_save_file_name
from ui.mediation import forms
from ui.mediation.case.dialog import CaseDialog
from ui.mediation.models import CaseListModel, ScreeningListModel
from ui.mediation.monthly import MonthlyReportTab
from ui.tasks import run_in_background
from ui.widgets.form_draft import FormDraft
from ui.widgets.village_filter import VillageFilter

ALL = "全部"


class MediationPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = dt.date.today()
        self._loaded = False
        layout = QVBoxLayout(self)
        self.denied = QLabel(
            "调解案件涉及当事人隐私，只有调解员、管理员和乡镇工作人员可以查看。\n如需查看，请联系管理员为您的账号增加“调解员”角色。"
        )
        self.denied.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.denied)
        self.tabs = QTabWidget()
        self.tabs.addTab(self._cases_tab(), "调解案件")
        self.tabs.addTab(self._screening_tab(), "矛盾纠纷排查")
        self.tabs.addTab(self._stats_tab(), "统计")
        self.monthly = MonthlyReportTab(ctx, self.today)
        self.tabs.addTab(self.monthly, "人民调解月报")
        self.tabs.currentChanged.connect(self._tab_changed)
        layout.addWidget(self.tabs, 1)
        self._apply_permission()
        ctx.user_changed.connect(self._apply_permission)
        ctx.data_changed.connect(self._data_changed)

    def _tab_changed(self, _index: int) -> None:
        if self.tabs.currentWidget() is self.monthly and self.allowed:
            self.monthly.refresh()

    def _apply_permission(self) -> None:
        allowed = accounts.can(self.ctx.user, "see_cases")
        self.denied.setVisible(not allowed)
        self.tabs.setVisible(allowed)
        if not allowed:
            self.model.clear()  # keep nothing of a previous user's view

    @property
    def allowed(self) -> bool:
        return accounts.can(self.ctx.user, "see_cases")

    # -- 调解案件 -----------------------------------------------------------------------------------------
    def _cases_tab(self) -> QWidget:
        w = QWidget()
        self.search = QLineEdit()
        self.search.setPlaceholderText("查找（Ctrl+F）：案件编号、纠纷名称、当事人")
        self.search.setToolTip("案件编号、纠纷名称或当事人姓名")
        self.search.setClearButtonEnabled(True)
        self.state_filter = QComboBox()
        self.state_filter.addItems([ALL, *rules.STATES])
        self.year_filter = QComboBox()
        self.village = VillageFilter(self.ctx, w)
        self.new_button = QPushButton("受理登记（Ctrl+Shift+N）")
        self.open_button = QPushButton("打开卷宗（Enter）")
        self.summary = QLabel()
        self.model = CaseListModel(self.ctx.session, self)
        offset = 0
        if self.ctx.is_town:
            self.model.show_village_column(self.village.name_of)
            offset = 1
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicator(3 + offset, Qt.SortOrder.DescendingOrder)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(26)
        self.table.horizontalHeader().setSectionResizeMode(1 + offset, QHeaderView.ResizeMode.Stretch)
        widths = ((0, 210), (2, 170), (3, 95), (4, 90), (5, 80), (6, 70), (7, 95))
        if offset:
            widths = ((0, 60), (1, 200), (3, 150), (4, 90), (5, 80), (6, 70), (7, 70), (8, 90))
        for col, width in widths:
            self.table.setColumnWidth(col, width)
        self.table.activated.connect(lambda index: self.open_case(self.model.ids[index.row()]))
        top = QHBoxLayout()
        top.addWidget(self.search, 1)
        top.addWidget(self.village)
        top.addWidget(QLabel("状态"))
        top.addWidget(self.state_filter)
        top.addWidget(QLabel("年度"))
        top.addWidget(self.year_filter)
        buttons = QHBoxLayout()  # a row of their own: the search's hint is read whole at 特大
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.open_button)
        buttons.addStretch(1)
        lay = QVBoxLayout(w)
        lay.addLayout(top)
        lay.addLayout(buttons)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.summary)
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(200)
        self._search_timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self._focus_table)
        self.state_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.year_filter.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.village.changed.connect(self.refresh)
        self.new_button.clicked.connect(self.new_case)
        # cases and screenings are registered at the village's station and come in its bundles; the town
        # handles the cases escalated to it (卷宗 → 乡镇办理)
        self.new_button.setVisible(not self.ctx.is_town)
        self.open_button.clicked.connect(self.open_selected)
        QShortcut(
            QKeySequence("Ctrl+Shift+N"),
            w,
            self.new_case,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        QShortcut(
            QKeySequence("Ctrl+F"),
            w,
            self.search.setFocus,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        return w

    def _focus_table(self) -> None:
        self.table.setFocus()
        if self.model.rowCount() and not self.table.currentIndex().isValid():
            self.table.selectRow(0)

    def current_filter(self) -> CaseFilter:
        state = self.state_filter.currentText()
        year = self.year_filter.currentData()
        return CaseFilter(
            text=self.search.text(),
            state=None if state == ALL else state,
            year=year,
            village_code=self.village.code(),
        )

    def apply_filter(self) -> None:
        if not self.allowed:
            return
        self.model.reload(self.current_filter())
        self.summary.setText(f"共 {len(self.model.ids)} 件")

    def refresh(self) -> None:
        """Called when the page is shown."""
        if not self.allowed:
            return
        self.village.fill()
        with self.ctx.session() as s:
            years = case_years(s, self.village.code())
        current = self.year_filter.currentData()
        self.year_filter.blockSignals(True)
        self.year_filter.clear()
        self.year_filter.addItem(ALL, None)
        for y in years:
            self.year_filter.addItem(f"{y} 年", y)
        i = self.year_filter.findData(current)
        self.year_filter.setCurrentIndex(max(i, 0))
        self.year_filter.blockSignals(False)
        self.apply_filter()
        self.refresh_screenings()
        self._loaded = True

    def ready(self) -> bool:
        return self._loaded or not self.allowed

    def _data_changed(self, topic: str) -> None:
        if topic == "mediation" and self.isVisible() and self.allowed:
            self.apply_filter()
            self.refresh_screenings()

    def open_selected(self) -> None:
        index = self.table.currentIndex()
        if index.isValid():
            self.open_case(self.model.ids[index.row()])

    def show_record(self, case_id: object) -> None:
        """From 今日待办: open that case."""
        if self.allowed and isinstance(case_id, str):
            self.open_case(case_id)

    def case_dialog(self, case_id: str) -> CaseDialog:
        return CaseDialog(self.ctx, case_id, self, today=self.today)

    def open_case(self, case_id: str) -> None:
        dlg = self.case_dialog(case_id)
        dlg.exec()
        self.apply_filter()

    def _types(self) -> list[str]:
        with self.ctx.work() as w:
            return registration.dispute_types(w)

    def _register(self, dlg: forms.RegistrationDialog, register) -> str | None:
        def accept(values: dict) -> str:
            with self.ctx.work() as w:
                return register(w, values).id

        dlg.on_accept = accept
        if dlg.exec() != QDialog.DialogCode.Accepted:
            return None
        self.ctx.data_changed.emit("mediation")
        self.refresh()
        return dlg.result_value

    def new_case(self) -> None:
        if self.ctx.is_town:  # Ctrl+Shift+N: the button is hidden at the town
            return
        dlg = forms.RegistrationDialog(self._types(), self, day=self.today)
        dlg.reg.registrar.setText(self.ctx.user.display_name if self.ctx.user else "")
        dlg.draft = FormDraft(dlg, self.ctx, "mediation_registration", "new")
        case_id = self._register(dlg, lambda w, v: registration.register_case(w, **v))
        if case_id:
            self.open_case(case_id)

    # -- 矛盾纠纷排查 ---------------------------------------------------------------------------------------
    def _screening_tab(self) -> QWidget:
        w = QWidget()
        self.screening_model = ScreeningListModel(self)
        self.screening_table = QTableView()
        self.screening_table.setModel(self.screening_model)
        self.screening_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.screening_table.verticalHeader().setVisible(False)
        self.screening_table.horizontalHeader().setSectionResizeMode(6, QHeaderView.ResizeMode.Stretch)
        for col, width in ((0, 95), (1, 150), (2, 180), (3, 160), (4, 80), (5, 60)):
            self.screening_table.setColumnWidth(col, width)
        self.period_combo = QComboBox()
        self.period_combo.addItem("每月一次", "月")
        self.period_combo.addItem("每半月一次", "半月")
        self.period_combo.activated.connect(self._set_period)
        self.screening_add = QPushButton("登记排查（Ctrl+Shift+N）")
        self.screening_add.clicked.connect(self.add_screening)
        self.screening_to_case = QPushButton("发现的纠纷转为案件")
        self.screening_to_case.clicked.connect(self.screening_case)
        for button in (self.screening_add, self.screening_to_case):
            button.setVisible(not self.ctx.is_town)
        self.screening_summary = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("排查周期"))
        top.addWidget(self.period_combo)
        top.addStretch(1)
        top.addWidget(self.screening_add)
        top.addWidget(self.screening_to_case)
        lay = QVBoxLayout(w)
        lay.addLayout(top)
        lay.addWidget(self.screening_table, 1)
        lay.addWidget(self.screening_summary)
        QShortcut(
            QKeySequence("Ctrl+Shift+N"),
            w,
            self.add_screening,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        return w

    def refresh_screenings(self) -> None:
        with self.ctx.work() as w:
            rows = screening_rows(w.session)
            period = screening.screening_period(w)
        self.screening_model.set_rows(rows)
        self.period_combo.setCurrentIndex(self.period_combo.findData(period))
        zero = sum(1 for r in rows if r.found_count == 0)
        self.screening_summary.setText(
            f"共 {len(rows)} 次排查，其中零报告 {zero} 次，发现纠纷 {sum(r.found_count for r in rows)} 起"
        )

    def _set_period(self, _i: int) -> None:
        try:
            with self.ctx.work() as w:
                screening.set_screening_period(w, self.period_combo.currentData())
        except UserError as exc:
            forms.show_error(self, exc)
            self.refresh_screenings()

    def add_screening(self) -> None:
        if self.ctx.is_town:  # Ctrl+Shift+N: the button is hidden at the town
            return
        with self.ctx.work() as w:  # who went round, and where, last month: typed once
            last = screening.round_defaults(w, self.ctx.user.display_name if self.ctx.user else "")
        dlg = forms.ScreeningDialog(self, screeners=last["screeners"], place=last["place"])

        def accept(v: dict):
            with self.ctx.work() as w:
                return screening.record_screening(w, **v)

        dlg.on_accept = accept
        dlg.draft = FormDraft(dlg, self.ctx, "mediation_screening", "new")
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.ctx.data_changed.emit("mediation")
            self.refresh_screenings()

    def screening_case(self) -> str | None:
        index = self.screening_table.currentIndex()
        if not index.isValid():
            QMessageBox.information(self, "转为案件", "请先在列表中选中一次发现了纠纷的排查。")
            return None
        row = self.screening_model.rows[index.row()]
        with self.ctx.work() as w:
            detail = screening.screening_detail(w, row.id)
        # the first item found that is to be registered and is not yet a case, if the round lists items
        item = next((i for i in detail.items if i.disposition == rules.REGISTERED and not i.case_id), None)
        dlg = forms.RegistrationDialog(
            self._types(),
            self,
            source="排查发现",
            facts=item.description if item else row.findings,
            day=row.round_date,
        )
        dlg.reg.registrar.setText(self.ctx.user.display_name if self.ctx.user else "")
        dlg.draft = FormDraft(dlg, self.ctx, "mediation_registration", f"screening-{row.id}")

        def register(w, v):
            v.pop("source")
            title, dispute_type = v.pop("title"), v.pop("dispute_type")
            return registration.case_from_screening(
                w, row.id, title=title, dispute_type=dispute_type, item_id=item.id if item else None, **v
            )

        case_id = self._register(dlg, register)
        if case_id:
            self.refresh_screenings()
        return case_id

    # -- 统计 --------------------------------------------------------------------------------------------
    def _stats_tab(self) -> QWidget:
        w = QWidget()
        year_start = dt.date(self.today.year, 1, 1)
        self.stats_from = date_edit(year_start)
        self.stats_to = date_edit(self.today)
        self.stats_button = QPushButton("统计(F5)")
        self.stats_button.clicked.connect(self.compute_stats)
        self.export_button = QPushButton("导出台账（Excel）…")
        self.export_button.clicked.connect(self.ask_export)
        self.stats_text = QPlainTextEdit()
        self.stats_text.setReadOnly(True)
        self.export_status = QLabel()
        top = QHBoxLayout()
        top.addWidget(QLabel("从"))
        top.addWidget(self.stats_from)
        top.addWidget(QLabel("到"))
        top.addWidget(self.stats_to)
        top.addWidget(self.stats_button)
        top.addStretch(1)
        top.addWidget(self.export_button)
        lay = QVBoxLayout(w)
        lay.addLayout(top)
        lay.addWidget(self.stats_text, 1)
        lay.addWidget(self.export_status)
        QShortcut(
            QKeySequence("F5"), w, self.compute_stats, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        return w

    def compute_stats(self) -> mstats.MediationStats:
        date_from, date_to = date_of(self.stats_from), date_of(self.stats_to)
        with self.ctx.work() as w:
            st = mstats.compute(w, date_from, date_to)
        lines = [
            f"统计期间：{date_from} 至 {date_to}（受理按受理日期，调解结果按结案日期，在调为期末仍在调解；口径见说明文档）",
            "",
        ]
        lines += [f"{label}：{value}" for label, value in st.lines()]
        lines.append("")
        lines.append("按纠纷类型：" + ("，".join(f"{k} {v} 件" for k, v in st.by_type.items()) or "无"))
        lines.append("按纠纷来源：" + ("，".join(f"{k} {v} 件" for k, v in st.by_source.items()) or "无"))
        self.stats_text.setPlainText("\n".join(lines))
        return st

    def ask_export(self) -> None:
        path, _ = ask_save_file_name(
            self,
            "导出矛盾纠纷排查调处台账",
            f"矛盾纠纷排查调处台账-{self.today:%Y%m%d}.xlsx",
            "Excel 工作簿 (*.xlsx)",
        )
        if path:
            self.export_to(Path(path))

    def export_to(self, target: Path):
        from app.mediation.ledger import export_ledger

        ws, user = self.ctx.workspace, self.ctx.user
        date_from, date_to = date_of(self.stats_from), date_of(self.stats_to)

        def work(progress):
            with ws.work(user) as w:
                return export_ledger(w, target, date_from=date_from, date_to=date_to, progress=progress)

        def done(n: int) -> None:
            self.export_status.setText(f"已导出 {n} 件案件到 {target}")

        return run_in_background(self, "导出台账", work, done)
