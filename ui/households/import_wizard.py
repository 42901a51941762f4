"""Excel 导入向导: file and sheet → header row and column mapping → preview with each row's problems → import."""

from __future__ import annotations

import sys

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

from app.errors import UserError, failure_message
from app.households import checks, excel_apply, excel_plan, excel_read

from ui.file_dialogs import ask_open_file_name, ask_save_file_name
from ui.tasks import Cancelled, run_in_background
from ui.widgets.fit import FitsScreen
from ui.widgets.inline_error import error_label

OUTCOME_NAMES = {
    "new": "新增",
    "updated": "更新",
    "unchanged": "未变",
    "invalid": "有错",
    "skipped": "整户跳过",
    "": "",
}


class PreviewModel(QAbstractTableModel):
    """Rows of the plan: Excel row number, outcome, name, problems (only data rows)."""

    HEADERS = ("行号", "结果", "姓名", "与户主关系", "问题")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.rows: list[excel_plan.RosterRow] = []

    def set_plan(self, plan: excel_plan.ImportPlan | None) -> None:
        self.beginResetModel()
        self.rows = plan.data_rows if plan else []
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
            m = r.member
            problems = "\n".join(  # one problem a line: the row grows to show them all (no “…”)
                f"〔{p.column}〕{p.reason}" + ("（提示）" if p.level != "error" else "") for p in r.problems
            )
            if r.outcome == "skipped" and r.household is not None:
                bad = "、".join(f"第 {b.row} 行" for b in r.household.bad_rows) or "户主行"
                problems = "；".join(x for x in (problems, f"本行无误；同户的{bad}有错，整户跳过") if x)
            return (
                str(r.row),
                OUTCOME_NAMES.get(r.outcome, r.outcome),
                m.name if m else "",
                m.relation if m else "",
                problems,
            )[index.column()]
        if role == Qt.ItemDataRole.ToolTipRole and index.column() == 4 and r.problems:
            return "\n".join(f"〔{p.column}〕{p.reason}" for p in r.problems)
        if role == Qt.ItemDataRole.ForegroundRole and r.outcome == "invalid":
            return QBrush(QColor("#b00020"))
        if role == Qt.ItemDataRole.ForegroundRole and r.outcome == "skipped":
            return QBrush(QColor("#6b6b6b"))
        return None

    def refresh_outcomes(self) -> None:
        """A household's choice changed the 结果 of its rows."""
        if self.rows:
            self.dataChanged.emit(self.index(0, 1), self.index(len(self.rows) - 1, 1))

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class DamagedHouseholdModel(QAbstractTableModel):
    """有错的户: each household with a bad row, its bad rows (row, column, reason) and the choice, a
    check box in 处理: checked = 导入其余成员, unchecked = 整户跳过 (a bad head row: only 整户跳过)."""

    HEADERS = ("户", "有错的行", "处理")
    changed = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.plan: excel_plan.ImportPlan | None = None
        self.households: list[excel_plan.PlannedHousehold] = []

    def set_plan(self, plan: excel_plan.ImportPlan | None) -> None:
        self.beginResetModel()
        self.plan = plan
        self.households = plan.damaged_households if plan else []
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.households)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    @staticmethod
    def bad_text(hh: excel_plan.PlannedHousehold, sep: str = "；") -> str:
        if hh.head_row is None:
            return "没有户主行（与户主关系为“户主”）"
        parts = []
        for r in hh.bad_rows:
            name = r.member.name if r.member else ""
            reasons = "，".join(f"〔{p.column}〕{p.reason}" for p in r.problems if p.level == "error")
            parts.append(f"第 {r.row} 行 {name}{'（户主）' if r is hh.head_row else ''}：{reasons}")
        return sep.join(parts)

    @staticmethod
    def choice_text(hh: excel_plan.PlannedHousehold) -> str:
        if not hh.can_keep_rest:
            return "户主行有错，只能整户跳过（改正后再导入）"
        if hh.skipped:
            return "整户跳过"
        rest = sum(1 for r in hh.rows if not r.invalid)
        return f"导入其余 {rest} 人（不含有错的行）"

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid():
            return None
        hh = self.households[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (hh.describe(), self.bad_text(hh), self.choice_text(hh))[column]
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            return self.bad_text(hh, "\n")
        if role == Qt.ItemDataRole.CheckStateRole and column == 2 and hh.can_keep_rest:
            return Qt.CheckState.Unchecked if hh.skipped else Qt.CheckState.Checked
        if role == Qt.ItemDataRole.ForegroundRole and column == 1:
            return QBrush(QColor("#b00020"))
        return None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        flags = super().flags(index)
        if index.isValid() and index.column() == 2 and self.households[index.row()].can_keep_rest:
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def setData(
        self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole
    ) -> bool:
        if not index.isValid() or role != Qt.ItemDataRole.CheckStateRole or index.column() != 2:
            return False
        hh = self.households[index.row()]
        if self.plan is None or not hh.can_keep_rest:
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        self.plan.choose(hh, excel_plan.KEEP_REST if checked else excel_plan.SKIP)
        self.dataChanged.emit(index, index)
        self.changed.emit()
        return True

    def choose_all(self, choice: str) -> None:
        if self.plan is None or not self.households:
            return
        self.plan.choose_all(choice)
        self.dataChanged.emit(self.index(0, 2), self.index(len(self.households) - 1, 2))
        self.changed.emit()

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class FilePage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("选择花名册文件")
        self.setSubTitle(
            "选择本村现有的户籍花名册（Excel 的 .xlsx、.xls，或别的系统导出的 CSV 文件）。"
            "导入前会先检查每一行，确认后才写入。"
        )
        form = QFormLayout(self)
        row = QHBoxLayout()
        self.path = QLineEdit()
        browse = QPushButton("浏览…")
        browse.clicked.connect(self._browse)
        row.addWidget(self.path, 1)
        row.addWidget(browse)
        holder = QWidget()
        holder.setLayout(row)
        row.setContentsMargins(0, 0, 0, 0)
        form.addRow("文件", holder)
        self.sheet = QComboBox()
        form.addRow("工作表", self.sheet)
        self.error = error_label()
        self.error.show()  # (empty until there is something to say)
        form.addRow(self.error)
        self.read_key: tuple[str, str | None] | None = None
        self.path.editingFinished.connect(self._load_sheets)

    def _browse(self) -> None:
        path, _ = ask_open_file_name(
            self, "选择户籍花名册", "", "Excel 或 CSV 文件 (*.xlsx *.xlsm *.xls *.csv *.txt);;所有文件 (*)"
        )
        if path:
            self.path.setText(path)
            self._load_sheets()

    def _load_sheets(self) -> None:
        self.sheet.clear()
        self.error.clear()
        if not self.path.text().strip():
            return
        try:
            self.sheet.addItems(excel_read.sheet_names(self.path.text().strip()))
        except UserError as exc:
            self.error.setText(exc.message)

    def validatePage(self) -> bool:
        """Reading a village's workbook takes seconds: it runs in the background (with 取消); the page
        moves on when it is read, and stays with the message when it cannot be."""
        key = (self.path.text().strip(), self.sheet.currentText() or None)
        if self.w.sheet is not None and self.read_key == key:
            return True
        if self.w.task is not None and not self.w.task.finished:
            return False
        self.error.clear()

        def work(progress):
            progress(0, 0, "正在读取工作表…")
            sheet = excel_read.read_sheet(*key)
            progress(1, 1, "已读完")  # 取消 pressed meanwhile: stop here
            return sheet

        def done(sheet) -> None:
            self.w.sheet, self.read_key = sheet, key
            self.w.next()

        self.w.task = run_in_background(
            self, "读取 Excel", work, done, on_error=self.w.show_error(self.error)
        )
        return False


class MappingPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("表头与列对应")
        self.setSubTitle("程序已自动找到表头行并按列名对应；认不出的列请手动指定，不需要的列选“（不导入）”。")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        top.addWidget(QLabel("表头在第"))
        self.header_row = QSpinBox()
        self.header_row.setRange(1, 20)
        top.addWidget(self.header_row)
        top.addWidget(QLabel("行"))
        top.addStretch(1)
        layout.addLayout(top)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        layout.addWidget(self.scroll, 1)
        self.error = error_label()
        self.error.show()
        layout.addWidget(self.error)
        self.combos: dict[int, QComboBox] = {}
        self.planned_key: tuple | None = None
        self.header_row.valueChanged.connect(lambda v: self._build(v - 1))

    def initializePage(self) -> None:
        try:
            index = excel_read.detect_header(self.w.sheet.rows)
            self.error.clear()
        except UserError as exc:
            self.error.setText(exc.message)
            index = 0
        self.header_row.blockSignals(True)
        self.header_row.setValue(index + 1)
        self.header_row.blockSignals(False)
        self._build(index)

    def _build(self, index: int) -> None:
        rows = self.w.sheet.rows
        header = rows[index] if index < len(rows) else []
        auto = excel_read.auto_mapping(header)
        inner = QWidget()
        form = QFormLayout(inner)
        self.combos = {}
        for i, value in enumerate(header):
            if value in (None, ""):
                continue
            combo = QComboBox()
            combo.addItem("（不导入）", None)
            for key, (label_text, _aliases) in excel_read.FIELDS.items():
                combo.addItem(label_text, key)
            if i in auto:
                combo.setCurrentIndex(combo.findData(auto[i]))
            self.combos[i] = combo
            form.addRow(f"第 {i + 1} 列“{checks.clean_text(value)}”", combo)
        self.scroll.setWidget(inner)

    def mapping(self) -> dict[int, str]:
        return {i: c.currentData() for i, c in self.combos.items() if c.currentData()}

    def validatePage(self) -> bool:
        """Checking every row against the roster runs in the background too; it writes nothing."""
        key = (self.header_row.value() - 1, tuple(sorted(self.mapping().items())))
        if self.w.plan is not None and self.planned_key == key and self.w.plan_sheet is self.w.sheet:
            return True
        if self.w.task is not None and not self.w.task.finished:
            return False
        self.error.clear()
        ctx, sheet = self.w.ctx, self.w.sheet
        header_row, mapping = key[0], dict(key[1])

        def work(progress):
            progress(0, 0, "正在逐行检查…")
            with ctx.work() as w:
                plan = excel_plan.plan_import(w, sheet, header_row=header_row, mapping=mapping)
                w.session.rollback()
            progress(1, 1, "已检查完")
            return plan

        def done(plan) -> None:
            self.w.header_row, self.w.mapping = header_row, mapping
            self.w.plan, self.w.plan_sheet, self.planned_key = plan, sheet, key
            self.w.next()

        self.w.task = run_in_background(self, "检查各行", work, done, on_error=self.w.show_error(self.error))
        return False


class PreviewPage(QWizardPage):
    def __init__(self, wizard: ImportWizard) -> None:
        super().__init__()
        self.w = wizard
        self.setTitle("预览：每一行的结果和问题")
        layout = QVBoxLayout(self)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        # 有错的户: one bad cell never drops a household silently; the user chooses, household by household.
        self.damaged_box = QGroupBox("有错的户：勾选“处理”导入其余成员，不勾选则整户跳过")
        box = QVBoxLayout(self.damaged_box)
        self.damaged_model = DamagedHouseholdModel(self)
        self.damaged_view = QTableView()
        self.damaged_view.setModel(self.damaged_model)
        self.damaged_view.setWordWrap(True)
        self.damaged_view.verticalHeader().setVisible(False)
        head = self.damaged_view.horizontalHeader()
        head.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        head.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)  # the reasons wrap in what is left
        head.setSectionResizeMode(2, QHeaderView.ResizeMode.Fixed)
        self.damaged_view.setColumnWidth(2, 230)
        box.addWidget(self.damaged_view, 1)
        buttons = QHBoxLayout()
        self.keep_all = QPushButton("全部户：导入其余成员")
        self.skip_all = QPushButton("全部户：整户跳过")
        self.keep_all.clicked.connect(lambda: self.damaged_model.choose_all(excel_plan.KEEP_REST))
        self.skip_all.clicked.connect(lambda: self.damaged_model.choose_all(excel_plan.SKIP))
        buttons.addWidget(self.keep_all)
        buttons.addWidget(self.skip_all)
        buttons.addStretch(1)
        box.addLayout(buttons)
        self.model = PreviewModel(self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setWordWrap(True)
        self.view.setTextElideMode(Qt.TextElideMode.ElideNone)
        self.view.setColumnWidth(4, 500)
        self.damaged_model.changed.connect(self._choices_changed)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.addWidget(self.damaged_box)
        self.splitter.addWidget(self.view)
        self.splitter.setChildrenCollapsible(False)
        layout.addWidget(self.splitter, 1)
        self.save_errors = QPushButton("把有错的行另存为 Excel（附错误原因）…")
        self.save_errors.clicked.connect(self._save_errors)
        layout.addWidget(self.save_errors)

    def initializePage(self) -> None:
        plan = self.w.plan
        self.model.set_plan(plan)
        for row, data in enumerate(self.model.rows):  # rows with problems show every line of them
            if data.problems:
                self.view.resizeRowToContents(row)
        self.damaged_model.set_plan(plan)
        damaged = len(self.damaged_model.households)
        self.damaged_box.setVisible(damaged > 0)
        self.damaged_box.setTitle(
            f"有错的户（{damaged} 户）：勾选“处理”则导入其余成员，不勾选则整户跳过（有错的行都不会导入）"
        )
        # Each household's reasons wrap to their height; past a few hundred households measuring every
        # row would make the page slow to open: their rows keep one height, the full text in a tooltip.
        self.damaged_view.verticalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents if damaged <= 300 else QHeaderView.ResizeMode.Interactive
        )
        if damaged:
            self.splitter.setSizes([300, 180])
        self._show_summary()
        self.setButtonText(QWizard.WizardButton.FinishButton, "导入")

    def _choices_changed(self) -> None:
        self.model.refresh_outcomes()
        self._show_summary()

    def _show_summary(self) -> None:
        plan = self.w.plan
        s = plan.summary()
        skipped = sum(1 for hh in plan.damaged_households if hh.skipped)
        self.summary.setText(
            f"共 {s['rows']} 行：新增 {s['new']}，更新 {s['updated']}，未变 {s['unchanged']}，"
            f"<b style='color:#b00020'>有错 {s['invalid']}</b>"
            + (f"，整户跳过 {s['skipped']} 行（{skipped} 户）" if s["skipped"] else "")
            + "。有错的行不会导入，其余各行在点“导入”后一次写入。"
            + ("<br>" + "；".join(plan.notes) if plan.notes else "")
        )
        self.save_errors.setEnabled(s["invalid"] + s["skipped"] > 0)

    def _save_errors(self) -> None:
        path, _ = ask_save_file_name(self, "保存错误行", "导入错误行.xlsx", "Excel 文件 (*.xlsx)")
        if path:
            excel_apply.write_error_workbook(self.w.plan, path)

    def validatePage(self) -> bool:
        if self.w.result_summary is not None:
            return True  # QWizard.accept() validates the page again once the import is done
        if self.w.task is not None and not self.w.task.finished:
            return False
        ctx, sheet, header_row, mapping = self.w.ctx, self.w.sheet, self.w.header_row, self.w.mapping
        choices = self.w.plan.choices()  # what the user chose for each household with a bad row

        def work(progress):
            with ctx.work() as w:
                plan = excel_plan.plan_import(
                    w, sheet, header_row=header_row, mapping=mapping, choices=choices
                )
                excel_apply.apply_import(w, plan, progress)
                progress(1, 1, "正在提交")
            return plan.summary()

        def done(summary) -> None:
            self.w.result_summary = summary
            ctx.data_changed.emit("households")
            QMessageBox.information(
                self,
                "导入完成",
                f"新增 {summary['new']} 行，更新 {summary['updated']} 行，"
                f"未变 {summary['unchanged']} 行，有错未导入 {summary['invalid']} 行"
                + (f"，整户跳过 {summary['skipped']} 行" if summary["skipped"] else "")
                + "。",
            )
            self.w.accept()

        self.w.task = run_in_background(self, "导入户籍", work, done)
        return False  # the wizard closes when the import has finished


class ImportWizard(FitsScreen, QWizard):
    def __init__(self, ctx, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("从 Excel 导入户籍")
        self.resize(900, 600)
        self.sheet: excel_read.SheetData | None = None
        self.header_row = 0
        self.mapping: dict[int, str] = {}
        self.plan: excel_plan.ImportPlan | None = None
        self.plan_sheet: excel_read.SheetData | None = None  # the sheet the plan was made from
        self.result_summary: dict | None = None
        self.task = None
        self.setButtonText(QWizard.WizardButton.NextButton, "下一步 >")
        self.setButtonText(QWizard.WizardButton.BackButton, "< 上一步")
        self.setButtonText(QWizard.WizardButton.CancelButton, "取消")
        self.setButtonText(QWizard.WizardButton.FinishButton, "导入")
        self.file_page = FilePage(self)
        self.mapping_page = MappingPage(self)
        self.preview_page = PreviewPage(self)
        for p in (self.file_page, self.mapping_page, self.preview_page):
            self.addPage(p)

    @staticmethod
    def show_error(label: QLabel):
        """A background step's failure on its page: a UserError's Chinese message in ``label``; an
        environment failure likewise; a bug goes to the crash dialog."""

        def failed(exc: BaseException) -> None:
            if isinstance(exc, Cancelled):
                label.setText("已取消。")
                return
            message = failure_message(exc)
            if message is None:
                sys.excepthook(type(exc), exc, exc.__traceback__)
                return
            label.setText(message)

        return failed
