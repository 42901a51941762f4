"""群众工作信息员: the list (组, phone, last report), appointing one from the roster, ending a term,
opening an informant's reports in the diary, writing one down, and the 台账 export.

At a town the list shows its villages' informants (read only: the villages appoint them)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from db.queries.households import group_names
from db.queries.informants import informant_ids, informant_rows
from db.queries.people import PersonHit

from app.dates import cn_date
from app.errors import UserError
from app.informants import appointments

from ui.context import AppContext
from ui.dates import date_edit, pydate
from ui.file_dialogs import ask_save_file_name
from ui.models.lazy import LazyIdModel
from ui.widgets.fit import FitsScreen
from ui.widgets.inline_error import error_label, show_error
from ui.widgets.person_picker import PersonPicker, describe
from ui.widgets.village_filter import VillageFilter

TOWN_NOTE = "信息员由各村工作站任命；乡镇可查看和导出。"


class InformantListModel(LazyIdModel):
    COLUMNS = (
        (None, "组"),
        (None, "信息员"),
        (None, "联系电话"),
        (None, "任职日期"),
        (None, "任期结束"),
        (None, "最近一次报告"),
        (None, "备注"),
    )
    TOOLTIPS = True

    def __init__(self, session_factory, parent=None) -> None:
        super().__init__(session_factory, parent)
        self.include_ended = False
        self.village_code: str | None = None

    def _query_ids(self, session) -> list[str]:
        return informant_ids(session, include_ended=self.include_ended, village_code=self.village_code)

    def _fetch(self, session, ids):
        return informant_rows(session, ids)

    def _display(self, r, column: int) -> object:
        if column == 0:
            return r.group_name
        if column == 1:
            return r.name
        if column == 2:
            return r.phone or "—"
        if column == 3:
            return cn_date(r.start_on)
        if column == 4:
            return cn_date(r.end_on) if r.end_on else "在任"
        if column == 5:
            return cn_date(r.last_report) if r.last_report else "还没有报告"
        return r.note or r.end_reason


class AppointDialog(FitsScreen, QDialog):
    """任命信息员: pick a resident of the roster (never typed), the 组 (the person's own by default), the date."""

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, today: dt.date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = today or dt.date.today()
        self.setWindowTitle("任命群众工作信息员")
        self.person: PersonHit | None = None
        self.picker = PersonPicker(
            ctx.workspace.session, self, placeholder="从名册里查找村民：姓名、拼音首字母或电话"
        )
        self.chosen = QLabel("还没有选择", self)
        self.group = QComboBox(self)
        self.group.setAccessibleName("负责的组")
        with ctx.work() as w:
            self.group.addItems(group_names(w.session, w.unit_code))
        self.start_on = date_edit(self.today, self)
        self.note = QLineEdit(self)
        self.note.setPlaceholderText("可不填，如：组里老党员，熟悉各家情况")
        self.error = error_label(self)
        form = QFormLayout()
        form.addRow("村民(&P)", self.picker)
        form.addRow("已选", self.chosen)
        form.addRow("负责的组(&G)", self.group)
        form.addRow("任职日期(&D)", self.start_on)
        form.addRow("备注", self.note)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("任命")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.picker.person_chosen.connect(self.choose)
        self.resize(560, 360)
        self.result_row: appointments.InformantRow | None = None

    def choose(self, hit: PersonHit) -> None:
        self.person = hit
        phone = f"  电话 {hit.phone}" if hit.phone else "  （名册里没有电话，请先在户籍里补上）"
        self.chosen.setText(describe(hit) + phone)
        i = self.group.findText(hit.group_name)
        if i >= 0:
            self.group.setCurrentIndex(i)

    def save(self) -> None:
        data = appointments.Appointment(
            self.person.id if self.person else "",
            self.group.currentText(),
            pydate(self.start_on.date()),
            self.note.text(),
        )
        try:
            with self.ctx.work() as w:
                self.result_row = appointments.appoint(w, data, today=self.today)
        except UserError as exc:
            show_error(self.error, exc.message)
            return
        self.accept()


class EndDialog(FitsScreen, QDialog):
    """结束任期: the last day and why; the record and its reports stay."""

    def __init__(
        self, ctx: AppContext, row, parent: QWidget | None = None, *, today: dt.date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx, self.row = ctx, row
        self.today = today or dt.date.today()
        self.setWindowTitle("结束信息员任期")
        self.end_on = date_edit(self.today, self)
        self.reason = QLineEdit(self)
        self.reason.setPlaceholderText("如：外出务工、身体原因")
        self.error = error_label(self)
        form = QFormLayout()
        form.addRow("信息员", QLabel(f"{row.name}（{row.group_name}），{cn_date(row.start_on)}起任职", self))
        form.addRow("任期最后一天(&D)", self.end_on)
        form.addRow("原因", self.reason)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("结束任期")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel("任期结束后记录和以往的报告都会保留，可以再任命新的信息员。", self))
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(buttons)

    def save(self) -> None:
        try:
            with self.ctx.work() as w:
                appointments.end_appointment(
                    w, self.row.id, pydate(self.end_on.date()), reason=self.reason.text(), today=self.today
                )
        except UserError as exc:
            show_error(self.error, exc.message)
            return
        self.accept()


class InformantsPage(QWidget):
    open_page = Signal(str, object)  # the main window opens that page on that record

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        intro = QLabel(
            "群众工作信息员是各组推选的村民，发现情况打电话或当面告诉干部；"
            "干部把报告记成方式为“信息员报告”的民情日记。",
            self,
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #5f6b7a;")
        self.village = VillageFilter(ctx, self)
        self.show_ended = QCheckBox("显示已结束任期的", self)
        self.appoint_button = QPushButton("任命信息员…", self)
        self.report_button = QPushButton("记一条报告…", self)
        self.report_button.setToolTip("把选中的信息员打来电话或当面说的情况记成民情日记")
        self.reports_button = QPushButton("查看报告", self)
        self.reports_button.setToolTip("在民情日记里只看这位信息员的报告")
        self.end_button = QPushButton("结束任期…", self)
        self.remove_button = QPushButton("删除误录", self)
        self.export_button = QPushButton("导出台账…", self)
        self.count = QLabel(self)
        bar = QHBoxLayout()
        for w in (
            self.village,
            self.show_ended,
            self.appoint_button,
            self.report_button,
            self.reports_button,
            self.end_button,
            self.remove_button,
            self.export_button,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count)
        if ctx.is_town:
            for b in (self.appoint_button, self.report_button, self.end_button, self.remove_button):
                b.hide()
            intro.setText(intro.text() + TOWN_NOTE)
        self.model = InformantListModel(ctx.workspace.session, self)
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().hide()
        self.view.setWordWrap(False)
        header = self.view.horizontalHeader()
        widths = (80, 90, 130, 140, 140, 140)
        offset = 1 if ctx.is_town else 0
        for col, width in enumerate(widths):
            header.resizeSection(col + offset, width)
        header.setSectionResizeMode(len(widths) + offset, QHeaderView.ResizeMode.Stretch)
        self.empty = QLabel("还没有信息员。点“任命信息员…”，从名册里选一位村民，指定他负责的组。", self)
        self.empty.setStyleSheet("color: #5f6b7a;")
        self.empty.setWordWrap(True)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(intro)
        layout.addLayout(bar)
        layout.addWidget(self.empty)
        layout.addWidget(self.view, 1)
        self.village.changed.connect(self.reload)
        self.show_ended.toggled.connect(lambda _b: self.reload())
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.view.doubleClicked.connect(lambda _i: self.open_reports())
        self.appoint_button.clicked.connect(self.appoint)
        self.report_button.clicked.connect(self.write_report)
        self.reports_button.clicked.connect(self.open_reports)
        self.end_button.clicked.connect(self.end_term)
        self.remove_button.clicked.connect(self.remove)
        self.export_button.clicked.connect(self.export)
        self._loaded = False
        ctx.data_changed.connect(self._on_data_changed)

    # -- list ----------------------------------------------------------------------------------------
    def refresh(self) -> None:
        self.village.fill()
        self.reload()
        self._loaded = True

    def ready(self) -> bool:
        return self._loaded

    def reload(self, keep: str | None = None) -> None:
        keep = keep or self.current_id()
        self.model.include_ended = self.show_ended.isChecked()
        self.model.village_code = self.village.code()
        self.model.reload()
        n = self.model.rowCount()
        self.count.setText(f"共 {n} 名")
        self.empty.setVisible(n == 0 and not self.ctx.is_town)
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and n:
            row = 0
        if row >= 0:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._update_buttons()

    def current_id(self) -> str | None:
        index = self.view.currentIndex() if hasattr(self, "view") else None
        return self.model.id_at(index.row()) if index is not None and index.isValid() else None

    def current_row(self):
        index = self.view.currentIndex()
        return self.model.row_data(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        r = self.current_row()
        self.reports_button.setEnabled(r is not None)
        self.report_button.setEnabled(r is not None and r.serving)
        self.end_button.setEnabled(r is not None and r.serving)
        self.remove_button.setEnabled(r is not None)

    def _on_data_changed(self, topic: str) -> None:
        if topic in ("informants", "diary", "households") and self.isVisible():
            self.reload()

    # -- actions -------------------------------------------------------------------------------------
    def appoint(self) -> AppointDialog:
        dlg = AppointDialog(self.ctx, self)
        dlg.accepted.connect(lambda: self._done(dlg.result_row.id if dlg.result_row else None))
        dlg.open()
        return dlg

    def end_term(self) -> EndDialog | None:
        r = self.current_row()
        if r is None:
            return None
        dlg = EndDialog(self.ctx, r, self)
        dlg.accepted.connect(lambda: self._done(r.id))
        dlg.open()
        return dlg

    def remove(self) -> None:
        r = self.current_row()
        if r is None:
            return
        answer = QMessageBox.question(
            self,
            "删除误录的信息员",
            f"删除“{r.name}（{r.group_name}）”这条任命？只用于录错的情况；不再担任请用“结束任期”。",
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.work() as w:
                appointments.remove_informant(w, r.id)
        except UserError as exc:
            QMessageBox.warning(self, "不能删除", exc.message)
            return
        self._done(None)

    def _done(self, keep: str | None) -> None:
        self.ctx.data_changed.emit("informants")
        self.reload(keep)

    def open_reports(self) -> None:
        informant_id = self.current_id()
        if informant_id:
            self.open_page.emit("diary", f"informant:{informant_id}")

    def write_report(self):
        """The diary's entry form, set to 信息员报告 with this informant."""
        from app.diary import entries

        from ui.diary.entry_form import EntryDialog

        r = self.current_row()
        if r is None:
            return None
        dlg = EntryDialog(self.ctx, parent=self, offer_signature=False)
        dlg.kind.setCurrentIndex(dlg.kind.findData(entries.INFORMANT_REPORT))
        dlg.informant.setCurrentIndex(max(dlg.informant.findData(r.id), 0))
        dlg.place.setText("电话")
        dlg.saved.connect(lambda _id: self.reload(r.id))
        dlg.open()
        return dlg

    def export(self) -> None:
        path, _ = ask_save_file_name(self, "导出信息员台账", "群众工作信息员台账.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        try:
            with self.ctx.work() as w:
                from app.informants.ledger import (
                    export_informants,  # the PDF/workbook library loads when something is printed or exported
                )

                n = export_informants(w, Path(path), village_name=self.ctx.station.name)
        except UserError as exc:
            QMessageBox.warning(self, "导出失败", exc.message)
            return
        QMessageBox.information(self, "已导出", f"已导出 {n} 名信息员到 {path}")
        QDesktopServices.openUrl(QUrl.fromLocalFile(path))
