"""两评's dialogs: a decision of the 点评会 (town), its completion (village), a 群众评议 tally (village)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QWidget,
)

from app.errors import UserError
from app.ownership import MAX_BALLOTS
from app.reviews import meetings, tallies
from app.reviews.common import period_label
from app.work import Work

from ui.app import at_font_size
from ui.context import AppContext
from ui.dates import date_edit, date_of
from ui.file_dialogs import ask_open_file_names
from ui.widgets.service_dialog import ServiceDialog


class _ReviewDialog(ServiceDialog):
    changes = "reviews"


class DecisionDialog(_ReviewDialog):
    """A decision of the meeting: its text, to all villages or one, and an optional time limit."""

    def __init__(self, ctx: AppContext, meeting_id: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "添加点评会决定", parent)
        self.keep_draft("review_decision", meeting_id)
        self.meeting_id = meeting_id
        self.text = QPlainTextEdit(self)
        self.text.setPlaceholderText("写明要做的事，如：各村月底前把逾期诉求逐条说明原因")
        self.text.setMinimumSize(460, 110)
        self.target = QComboBox(self)
        self.target.addItem(meetings.ALL_VILLAGES, None)
        with ctx.work() as w:
            for code, name in meetings.villages(w):
                self.target.addItem(f"{name}（{code}）", code)
        self.has_due = QCheckBox("有完成时限", self)
        self.due = date_edit(dt.date.today() + dt.timedelta(days=20), self)
        self.due.setEnabled(False)
        self.has_due.toggled.connect(self.due.setEnabled)
        due_row = QHBoxLayout()
        due_row.addWidget(self.has_due)
        due_row.addWidget(self.due)
        due_row.addStretch(1)
        self.form.addRow("决定内容(&T)", self.text)
        self.form.addRow("发往(&V)", self.target)
        self.form.addRow("完成时限", due_row)

    def apply(self, work: Work) -> None:
        meetings.add_decision(
            work,
            self.meeting_id,
            self.text.toPlainText(),
            village_code=self.target.currentData(),
            due_on=date_of(self.due) if self.has_due.isChecked() else None,
        )


class DoneDialog(_ReviewDialog):
    """The village's 落实情况 of a decision addressed to it."""

    def __init__(
        self, ctx: AppContext, decision: meetings.DecisionInfo, parent: QWidget | None = None
    ) -> None:
        super().__init__(ctx, "填写落实情况", parent)
        self.keep_draft("review_done", decision.id)
        self.decision_id = decision.id
        shown = QLabel(f"第{decision.seq}项：{decision.text}", self)
        shown.setWordWrap(True)
        self.done_on = date_edit(dt.date.today(), self)
        self.note = QPlainTextEdit(self)
        self.note.setPlaceholderText("做了什么、结果如何（可写明在哪篇民情日记里记下了）")
        self.note.setMinimumSize(460, 110)
        self.form.addRow("决定", shown)
        self.form.addRow("落实日期(&D)", self.done_on)
        self.form.addRow("落实情况(&N)", self.note)

    def apply(self, work: Work) -> None:
        meetings.mark_done(
            work, self.decision_id, done_on=date_of(self.done_on), note=self.note.toPlainText()
        )


class TallyDialog(_ReviewDialog):
    """One cadre's tally as counted from the collected ballots, with the sheets' scans."""

    def __init__(self, ctx: AppContext, period: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"录入计票结果（{period_label(period)}）", parent)
        self.keep_draft("review_tally", period)  # (the counts and words; the scans are chosen again)
        self.period = period
        self.scans: list[Path] = []
        self.cadre = QComboBox(self)
        with ctx.work() as w:
            for u in tallies.resident_cadres(w):
                self.cadre.addItem(f"{u.display_name}（{u.title}）", u.id)
        self.spins: dict[str, QSpinBox] = {}
        grid = QFormLayout()
        for key, label in tallies.COUNT_LABELS.items():
            spin = QSpinBox(self)
            spin.setRange(0, MAX_BALLOTS)
            spin.setSuffix(" 张")
            self.spins[key] = spin
            grid.addRow(f"{label}票数", spin)
        with ctx.work() as w:  # the sitting that counted the others: its counters and its day
            counted_by, counted_on = tallies.tally_defaults(w, period)
        self.counted_on = date_edit(counted_on or dt.date.today(), self)
        self.counted_by = QLineEdit(counted_by, self)
        self.counted_by.setPlaceholderText("计票、监票人姓名")
        self.comments = QPlainTextEdit(self)
        self.comments.setPlaceholderText("评议票上群众写的意见（摘录）")
        self.comments.setMaximumHeight(at_font_size(90))
        self.scan_label = QLabel("未附扫描件", self)
        scan_button = QPushButton("附上评议票扫描件…", self)
        scan_button.clicked.connect(self.ask_scans)
        scans = QHBoxLayout()
        scans.addWidget(scan_button)
        scans.addWidget(self.scan_label, 1)
        self.form.addRow("被评议干部(&C)", self.cadre)
        self.form.addRow(grid)
        self.form.addRow("计票日期", self.counted_on)
        self.form.addRow("计票人", self.counted_by)
        self.form.addRow("群众意见", self.comments)
        self.form.addRow("扫描件", scans)
        if self.cadre.count() == 0:
            self.error.setText("本村没有职务含“驻村”的干部账号：请在 设置 → 账号 中填写驻村干部的职务")
            self.error.show()

    def ask_scans(self) -> None:
        paths, _ = ask_open_file_names(
            self, "选择评议票扫描件", str(Path.home()), "图片或 PDF (*.jpg *.jpeg *.png *.pdf)"
        )
        self.add_scans([Path(p) for p in paths])

    def add_scans(self, paths: list[Path]) -> None:
        self.scans += paths
        self.scan_label.setText(f"已选 {len(self.scans)} 份：" + "、".join(p.name for p in self.scans[:3]))

    def apply(self, work: Work) -> None:
        if self.cadre.currentData() is None:
            raise UserError("请选择被评议的干部", field="cadre")
        v = {k: s.value() for k, s in self.spins.items()}
        tallies.record_tally(
            work,
            self.cadre.currentData(),
            self.period,
            tallies.TallyInput(
                **v,
                counted_on=date_of(self.counted_on),
                counted_by=self.counted_by.text(),
                comments=self.comments.toPlainText(),
                scans=list(self.scans),
            ),
        )
