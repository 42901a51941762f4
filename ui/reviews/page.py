"""两评 page (docs/reviews.md): 点评会 (the pack, the minutes and the decisions at the town; the decisions
addressed to the village and their 落实情况 at a village) and 群众评议 (the ballots, the tallies per cadre
in pinyin order — the table cannot be sorted by a result)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from app.accounts import can
from app.dates import cn_date
from app.errors import UserError
from app.reviews import meetings, tallies
from app.reviews.common import key_label, last_period, month_label, period_label

from ui.app import at_font_size
from ui.context import AppContext
from ui.dates import date_edit, date_of, qdate
from ui.file_dialogs import ask_save_file_name
from ui.reviews.dialogs import DecisionDialog, DoneDialog, TallyDialog
from ui.widgets.inline_error import ERROR_STYLE

NOTE_STYLE = "color: #555;"


class RowsModel(QAbstractTableModel):
    """A small read-only table: (header, value of a row) columns over a list (a month's decisions, a
    half-year's tallies: dozens of rows). Not sortable: the order is the service's (no rankings)."""

    def __init__(
        self, columns: Sequence[tuple[str, Callable[[Any], object]]], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.columns = list(columns)
        self.rows: list[Any] = []

    def set_rows(
        self, rows: list[Any], columns: Sequence[tuple[str, Callable[[Any], object]]] | None = None
    ) -> None:
        self.beginResetModel()
        self.rows = rows
        if columns is not None:
            self.columns = list(columns)
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.columns)

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or index.row() >= len(self.rows):
            return None
        value = self.columns[index.column()][1](self.rows[index.row()])
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.TextAlignmentRole and isinstance(value, int):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.columns[section][0]
        return None


def _table(model: RowsModel, parent: QWidget) -> QTableView:
    table = QTableView(parent)
    table.setModel(model)
    table.setSortingEnabled(False)  # no rankings
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    table.setWordWrap(True)
    table.verticalHeader().hide()
    header = table.horizontalHeader()
    header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
    header.setStretchLastSection(True)
    return table


def _done_text(d: meetings.DecisionInfo) -> str:
    if d.done_on is None:
        return "待落实"
    return f"{cn_date(d.done_on)} {d.done_note}（{d.done_by_name}）".strip()


def _due(d: meetings.DecisionInfo) -> str:
    return cn_date(d.due_on) if d.due_on else "—"


TOWN_DECISION_COLUMNS: list[tuple[str, Callable[[Any], object]]] = [
    ("项", lambda d: d.seq),
    ("发往", lambda d: d.addressed),
    ("村", lambda d: d.village_name),
    ("决定内容", lambda d: d.text),
    ("完成时限", _due),
    ("落实情况", _done_text),
]
VILLAGE_DECISION_COLUMNS: list[tuple[str, Callable[[Any], object]]] = [
    ("点评会", lambda d: f"{key_label(d.month)}（{cn_date(d.held_on)}开）"),
    ("项", lambda d: d.seq),
    ("决定内容", lambda d: d.text),
    ("完成时限", _due),
    ("落实情况", _done_text),
]


def _tally_columns(town: bool) -> list[tuple[str, Callable[[Any], object]]]:
    cols: list[tuple[str, Callable[[Any], object]]] = [("村", lambda t: t.village_name)] if town else []
    cols += [
        ("被评议干部", lambda t: t.cadre_name),
        ("职务", lambda t: t.cadre_title),
        ("评议期", lambda t: period_label(t.period)),
        *((label, (lambda t, k=key: t.counts[k])) for key, label in tallies.COUNT_LABELS.items()),
        ("计票日期", lambda t: cn_date(t.counted_on)),
        ("扫描件", lambda t: f"{t.scans} 份"),
        ("群众意见", lambda t: t.comments.replace("\n", "；")),
    ]
    return cols


class MeetingTab(QWidget):
    """At the town: a month's pack, its minutes and decisions. At a village: the decisions addressed to it."""

    def __init__(self, ctx: AppContext, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.today = ctx, today
        self.town = ctx.is_town
        self.meeting: meetings.MeetingInfo | None = None
        self.before: meetings.MeetingInfo | None = (
            None  # (the last month's, while this month's is not recorded)
        )
        self.shown: list[meetings.DecisionInfo] = []
        lay = QVBoxLayout(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
        self.year = QSpinBox(self)
        self.year.setRange(2000, 2100)
        self.year.setValue(last.year)
        self.month = QComboBox(self)
        for m in range(1, 13):
            self.month.addItem(f"{m}月", m)
        self.month.setCurrentIndex(last.month - 1)
        top = QHBoxLayout()
        if self.town:
            lbl = QLabel("点评月份(&M)", self)
            lbl.setBuddy(self.month)
            top.addWidget(lbl)
            top.addWidget(self.year)
            top.addWidget(self.month)
            top.addStretch(1)
            self.pack_button = QPushButton("生成点评会材料…", self)
            self.pack_button.clicked.connect(self.ask_pack)
            top.addWidget(self.pack_button)
        else:
            self.year.hide()  # a village picks no month: outside any layout they would sit over the text
            self.month.hide()
            intro = QLabel(
                "乡镇驻村工作点评会下发给本村的决定。落实后请填写落实情况，随上报包报给乡镇。", self
            )
            intro.setWordWrap(True)
            top.addWidget(intro, 1)
        lay.addLayout(top)
        if self.town:
            box = QGroupBox("会议纪要", self)
            form = QFormLayout(box)
            self.held_on = date_edit(today, box)
            self.place = QLineEdit(box)
            self.attendees = QLineEdit(box)
            self.attendees.setPlaceholderText("参会人员")
            self.minutes = QPlainTextEdit(box)
            self.minutes.setPlaceholderText("会议纪要：点评了什么，指出了什么问题")
            self.minutes.setMaximumHeight(at_font_size(110))
            when = QHBoxLayout()
            when.addWidget(self.held_on)
            when.addWidget(QLabel("地点", box))
            when.addWidget(self.place, 1)
            day = QLabel("会议日期(&D)", box)
            day.setBuddy(self.held_on)
            form.addRow(day, when)
            form.addRow("参会人员", self.attendees)
            form.addRow("会议纪要(&J)", self.minutes)
            self.save_button = QPushButton("保存纪要", box)
            self.save_button.clicked.connect(lambda: self.save_meeting())
            save_row = QHBoxLayout()
            save_row.addStretch(1)
            save_row.addWidget(self.save_button)
            form.addRow("", save_row)
            lay.addWidget(box)
        lay.addWidget(self.status)
        self.model = RowsModel(TOWN_DECISION_COLUMNS if self.town else VILLAGE_DECISION_COLUMNS, self)
        self.table = _table(self.model, self)
        lay.addWidget(self.table, 1)
        buttons = QHBoxLayout()
        if self.town:
            self.add_button = QPushButton("添加决定…", self)
            self.add_button.clicked.connect(self.ask_decision)
            self.withdraw_button = QPushButton("撤回所选决定", self)
            self.withdraw_button.clicked.connect(self.withdraw_selected)
            buttons.addWidget(self.add_button)
            buttons.addWidget(self.withdraw_button)
        else:
            self.done_button = QPushButton("填写落实情况…", self)
            self.done_button.clicked.connect(self.ask_done)
            self.reopen_button = QPushButton("撤销落实情况", self)
            self.reopen_button.clicked.connect(self.reopen_selected)
            buttons.addWidget(self.done_button)
            buttons.addWidget(self.reopen_button)
        buttons.addStretch(1)
        lay.addLayout(buttons)
        note = QLabel(
            "决定随下一次下发包送到各村，在村里的“今日待办”中显示，直到村里填写落实情况。"
            if self.town
            else "落实情况随下一次上报包报给乡镇。",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet(NOTE_STYLE)
        lay.addWidget(note)
        self.year.valueChanged.connect(lambda _v: self.refresh())
        self.month.currentIndexChanged.connect(lambda _i: self.refresh())

    def warn(self, text: str) -> None:
        """A refusal, in red where the user is looking (not a box that blocks the window)."""
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(text)

    def selected_month(self) -> dt.date:
        return dt.date(self.year.value(), int(self.month.currentData()), 1)

    def refresh(self) -> None:
        try:
            with self.ctx.work() as w:
                if self.town:
                    month = self.selected_month()
                    self.meeting = meetings.meeting_of(w, month)
                    self.before = None if self.meeting else meetings.meeting_before(w, month)
                    self.shown = meetings.decisions(w, month=month) if self.meeting else []
                else:
                    self.shown = meetings.decisions(w)
        except UserError as exc:
            self.status.setText(exc.message)
            return
        self.status.setStyleSheet("")
        self.model.set_rows(self.shown)
        if self.town:
            m = self.meeting
            self.held_on.setDate(qdate(m.held_on if m else self.today))
            said = m or self.before  # a month not recorded yet: the last meeting's place and people
            self.place.setText(said.place if said else "")
            self.attendees.setText(said.attendees if said else "")
            self.minutes.setPlainText(m.minutes if m else "")
            self.add_button.setEnabled(m is not None)
            self.withdraw_button.setEnabled(bool(self.shown))
            label = month_label(self.selected_month())
            self.status.setText(
                f"{label}点评会已录入纪要，决定 {len({d.seq for d in self.shown})} 项。"
                if m
                else f"{label}点评会尚未录入纪要：开会后填写并保存，再添加决定。"
            )
        else:
            open_ = sum(1 for d in self.shown if d.done_on is None)
            self.status.setText(f"共 {len(self.shown)} 项决定，待落实 {open_} 项。")
            may = can(self.ctx.user, "complete_decisions")
            self.done_button.setEnabled(may and bool(self.shown))
            self.reopen_button.setEnabled(may and bool(self.shown))

    def current(self) -> meetings.DecisionInfo | None:
        index = self.table.currentIndex()
        return self.shown[index.row()] if index.isValid() and index.row() < len(self.shown) else None

    def select(self, decision_id: str) -> bool:
        for n, d in enumerate(self.shown):
            if d.id == decision_id:
                self.table.selectRow(n)
                return True
        return False

    # -- the town --------------------------------------------------------------------------------------
    def save_meeting(self) -> bool:
        try:
            with self.ctx.work() as w:
                meetings.save_meeting(
                    w,
                    self.selected_month(),
                    held_on=date_of(self.held_on),
                    minutes=self.minutes.toPlainText(),
                    place=self.place.text(),
                    attendees=self.attendees.text(),
                )
        except UserError as exc:
            self.warn(exc.message)
            return False
        self.ctx.data_changed.emit("reviews")
        self.refresh()
        return True

    def decision_dialog(self) -> DecisionDialog | None:
        if self.meeting is None:
            return None
        return DecisionDialog(self.ctx, self.meeting.id, self)

    def ask_decision(self) -> None:
        dlg = self.decision_dialog()
        if dlg is not None and dlg.exec():
            self.refresh()

    def withdraw_selected(self) -> None:
        d = self.current()
        if d is None or self.meeting is None:
            return
        answer = QMessageBox.question(
            self, "撤回决定", f"撤回第{d.seq}项决定（发往{d.addressed}）？撤回随下发包送到村里。"
        )
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.work() as w:
                meetings.withdraw_decision(w, self.meeting.id, d.seq)
        except UserError as exc:
            self.warn(exc.message)
            return
        self.ctx.data_changed.emit("reviews")
        self.refresh()

    def ask_pack(self) -> None:
        month = self.selected_month()
        path, _ = ask_save_file_name(
            self, "生成点评会材料", f"点评会材料-{month_label(month)}.pdf", "PDF (*.pdf)"
        )
        if path:
            self.print_pack(Path(path))

    def print_pack(self, target: Path) -> int | None:
        month = self.selected_month()
        try:
            with self.ctx.work() as w:
                from app.reviews import (  # the PDF/workbook library loads when something is printed or exported
                    documents,
                    pack,
                )

                built = pack.build(w, month, today=self.today)
            pages = documents.print_pack(
                built,
                target,
                meeting=self.meeting,
                decisions=self.shown,
                made_by=self.ctx.user.display_name if self.ctx.user else "",
            )
        except UserError as exc:
            self.warn(exc.message)
            return None
        self.status.setText(
            f"已生成 {target}（{len(built.sections)} 个村，{pages} 页，A4 横向），可用 PDF 阅读器打印。"
        )
        return pages

    # -- the village -------------------------------------------------------------------------------------
    def done_dialog(self) -> DoneDialog | None:
        d = self.current()
        return DoneDialog(self.ctx, d, self) if d is not None else None

    def ask_done(self) -> None:
        dlg = self.done_dialog()
        if dlg is not None and dlg.exec():
            self.refresh()

    def reopen_selected(self) -> None:
        d = self.current()
        if d is None or d.done_on is None:
            return
        try:
            with self.ctx.work() as w:
                meetings.reopen(w, d.id)
        except UserError as exc:
            self.warn(exc.message)
            return
        self.ctx.data_changed.emit("reviews")
        self.refresh()


class BallotTab(QWidget):
    """群众评议: print the ballots, enter the tallies (village administrator), see the results."""

    def __init__(self, ctx: AppContext, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx, self.today = ctx, today
        self.town = ctx.is_town
        self.shown: list[tallies.TallyInfo] = []
        self.period = QComboBox(self)
        newest = last_period(today)
        year, half = int(newest[:4]), newest[4:]
        periods = []
        for _ in range(6):
            periods.append(f"{year}{half}")
            year, half = (year, "H1") if half == "H2" else (year - 1, "H2")
        current = f"{today.year}H{1 if today.month <= 6 else 2}"
        for p in [current, *periods]:
            self.period.addItem(period_label(p), p)
        self.period.setCurrentIndex(1)
        top = QHBoxLayout()
        lbl = QLabel("评议期(&P)", self)
        lbl.setBuddy(self.period)
        top.addWidget(lbl)
        top.addWidget(self.period)
        top.addStretch(1)
        self.print_button = QPushButton("打印评议票…", self)
        self.print_button.clicked.connect(self.ask_ballots)
        top.addWidget(self.print_button)
        if not self.town:
            self.tally_button = QPushButton("录入计票结果…", self)
            self.tally_button.clicked.connect(self.ask_tally)
            top.addWidget(self.tally_button)
        self.export_button = QPushButton("导出两评台账…", self)
        self.export_button.clicked.connect(self.ask_export)
        top.addWidget(self.export_button)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.model = RowsModel(_tally_columns(self.town), self)
        self.table = _table(self.model, self)
        note = QLabel(
            "按村代码、干部姓名拼音排列，不按评议结果排序，不算百分比，不排名次。"
            "干部本人看到自己的结果，乡镇和村管理员看到全部。评议票上写的是民情日记里已记下的工作。",
            self,
        )
        note.setWordWrap(True)
        note.setStyleSheet(NOTE_STYLE)
        lay = QVBoxLayout(self)
        lay.addLayout(top)
        lay.addWidget(self.status)
        lay.addWidget(self.table, 1)
        lay.addWidget(note)
        self.period.currentIndexChanged.connect(lambda _i: self.refresh())

    def warn(self, text: str) -> None:
        self.status.setStyleSheet(ERROR_STYLE)
        self.status.setText(text)

    def selected_period(self) -> str:
        return str(self.period.currentData())

    def refresh(self) -> None:
        try:
            with self.ctx.work() as w:
                self.shown = tallies.results(w, self.selected_period())
                cadres = len(tallies.resident_cadres(w))
        except UserError as exc:
            self.status.setText(exc.message)
            return
        self.status.setStyleSheet("")
        self.model.set_rows(self.shown)
        label = period_label(self.selected_period())
        self.status.setText(f"{label}：驻村干部 {cadres} 位，已录入计票结果 {len(self.shown)} 份。")
        if not self.town:
            self.tally_button.setEnabled(can(self.ctx.user, "manage_reviews"))

    def ask_ballots(self) -> None:
        period = self.selected_period()
        path, _ = ask_save_file_name(
            self, "打印评议票", f"群众评议票-{period_label(period)}.pdf", "PDF (*.pdf)"
        )
        if path:
            self.print_ballots(Path(path))

    def print_ballots(self, target: Path, copies: int = 2) -> int | None:
        period = self.selected_period()
        try:
            with self.ctx.work() as w:
                works = tallies.cadre_work(w, tallies.resident_cadres(w), period)
                town_name = w.station.name if w.is_town else (self.ctx.station.town_name or "")
            from app.reviews import (
                documents,  # the PDF/workbook library loads when something is printed or exported
            )

            pages = documents.print_ballots(works, period, target, town_name=town_name, copies=copies)
        except UserError as exc:
            self.warn(exc.message)
            return None
        self.status.setText(
            f"已生成 {target}（{len(works)} 位干部，每人 {copies} 张，{pages} 页），可用 PDF 阅读器打印。"
        )
        return pages

    def tally_dialog(self) -> TallyDialog:
        return TallyDialog(self.ctx, self.selected_period(), self)

    def ask_tally(self) -> None:
        if self.tally_dialog().exec():
            self.refresh()

    def ask_export(self) -> None:
        path, _ = ask_save_file_name(self, "导出两评台账", "两评台账.xlsx", "Excel 工作簿 (*.xlsx)")
        if path:
            self.export_to(Path(path))

    def export_to(self, target: Path) -> tuple[int, int] | None:
        try:
            with self.ctx.work() as w:
                from app.reviews import (
                    ledger,  # the PDF/workbook library loads when something is printed or exported
                )

                got = ledger.export(w, target, today=self.today)
        except UserError as exc:
            self.warn(exc.message)
            return None
        self.status.setText(f"已导出到 {target}（群众评议 {got[0]} 条，点评会决定 {got[1]} 条）")
        return got


class ReviewsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.today = dt.date.today()
        self._loaded = False
        self.tabs = QTabWidget(self)
        self.meeting = MeetingTab(ctx, self.today)
        self.ballots = BallotTab(ctx, self.today)
        self.tabs.addTab(self.meeting, "点评会" if ctx.is_town else "点评会决定")
        self.tabs.addTab(self.ballots, "群众评议")
        lay = QVBoxLayout(self)
        lay.addWidget(self.tabs)
        ctx.data_changed.connect(self._data_changed)
        ctx.user_changed.connect(self.refresh)

    def refresh(self) -> None:
        self.meeting.refresh()
        self.ballots.refresh()
        self._loaded = True

    def ready(self) -> bool:
        return self._loaded

    def _data_changed(self, topic: str) -> None:
        if topic in ("reviews", "sync") and self.isVisible():
            self.refresh()

    def show_record(self, record_id: object) -> None:
        """From 今日待办: the decision, selected."""
        if isinstance(record_id, str):
            self.tabs.setCurrentWidget(self.meeting)
            self.meeting.refresh()
            self.meeting.select(record_id)
