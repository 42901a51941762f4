"""The 帮扶 dialogs: a 帮扶记录 (new or changed) and a 帮扶对子 (start, change the responsible cadre, end).
Each runs its service when accepted and stays open on a refusal, with the message beside the form and
the named field focused: a failed save changes nothing."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from db import vocab

from app.aid import pairs, records
from app.aid.records import AidInput, AidView
from app.dates import cn_time
from app.errors import UserError

from ui.app import at_font_size
from ui.dates import date_edit, date_of, qdate
from ui.widgets.fit import FitsScreen
from ui.widgets.form_draft import KeepsDraft
from ui.widgets.inline_error import error_label, show_error
from ui.widgets.offered import list_as_typed

POLICIES = (
    "最低生活保障",
    "特困供养",
    "临时救助",
    "医疗救助",
    "残疾人两项补贴",
    "教育资助",
    "农村危房改造",
    "公益性岗位",
    "春节走访慰问",
    "冬季送温暖",
)
NO_ENTRY = "（不关联民情日记）"


class AidForm(FitsScreen, KeepsDraft, QDialog):
    """新增或修改一条帮扶记录 for one household. ``saved_id`` is the record's id once saved."""

    def __init__(
        self, ctx, household_id: str, household_label: str, record: AidView | None = None, parent=None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.record = record
        self.saved_id: str | None = None
        self.setWindowTitle(f"{'修改' if record else '新增'}帮扶记录：{household_label}")
        self.keep_draft("aid", record.id if record else f"{household_id}-new")
        with ctx.work() as w:
            givers = records.giver_choices(w)
            units = records.units_given_by(w)
            entries = records.household_entries(w, household_id)
            self.last = records.last_entered(w) if record is None else None
        self.given_on = date_edit(record.given_on if record else dt.date.today(), self)
        self.kind = QComboBox(self)
        self.kind.addItems(list(vocab.AID_KINDS))
        self.amount = QLineEdit(self)
        self.amount.setPlaceholderText("以元为单位，如 500 或 350.50；没有钱款不填")
        self.goods = QPlainTextEdit(self)
        self.goods.setTabChangesFocus(True)
        self.goods.setPlaceholderText("给了什么、做了什么，如：大米 2 袋、食用油 1 桶")
        self.goods.setMaximumHeight(at_font_size(70))
        self.policy = QComboBox(self)
        self.policy.setEditable(True)
        self.policy.addItems(["", *POLICIES])
        self.by_cadre = QRadioButton("干部", self)
        self.by_unit = QRadioButton("单位", self)
        group = QButtonGroup(self)
        group.addButton(self.by_cadre)
        group.addButton(self.by_unit)
        self.giver = QComboBox(self)
        for uid, name in givers:
            self.giver.addItem(name, uid)
        self.unit = QLineEdit(self)
        self.unit.setPlaceholderText("如 镇民政办、县残联、爱心企业")
        list_as_typed(self.unit, units)  # the units named before
        giver_row = QHBoxLayout()
        giver_row.addWidget(self.by_cadre)
        giver_row.addWidget(self.giver, 1)
        giver_row.addWidget(self.by_unit)
        giver_row.addWidget(self.unit, 1)
        self.entry = QComboBox(self)
        self.entry.addItem(NO_ENTRY, None)
        for e in entries:
            self.entry.addItem(f"{cn_time(e.occurred_at)} {e.kind} {e.cadre_name}：{e.summary}", e.id)
        self.entry.setToolTip("从这一户的民情日记中选，不用重新录入走访经过")
        self.note = QLineEdit(self)
        form = QFormLayout()
        self.same_as_last: QPushButton | None = None
        if self.last is not None:  # one round of 慰问 is twenty forms alike but for the household
            last = self.last
            goods = last.goods if len(last.goods) <= 16 else last.goods[:15] + "…"
            self.same_as_last = QPushButton(
                f"照上一条填写（{last.given_on:%Y-%m-%d} {last.head_name}户：{last.kind}"
                + (f"，{goods}" if goods else "")
                + "）(&L)",
                self,
            )
            self.same_as_last.setToolTip("日期、类别、金额、物资、政策和帮扶人照上一条，户和关联的日记不变")
            self.same_as_last.clicked.connect(lambda: self._fill(last, own=False))
            form.addRow(self.same_as_last)
        form.addRow("帮扶日期(&D)", self.given_on)
        form.addRow("帮扶类别(&K)", self.kind)
        form.addRow("金额（元）(&M)", self.amount)
        form.addRow("物资或帮扶内容(&G)", self.goods)
        form.addRow("依据的政策(&P)", self.policy)
        form.addRow("帮扶人", giver_row)
        form.addRow("关联民情日记(&E)", self.entry)
        form.addRow("备注", self.note)
        self.error = error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.fields: dict[str, QWidget] = {
            "given_on": self.given_on,
            "kind": self.kind,
            "amount": self.amount,
            "goods": self.goods,
            "policy": self.policy,
            "giver": self.giver,
            "entry_id": self.entry,
            "note": self.note,
        }
        self.by_cadre.toggled.connect(self._giver_mode)
        if record is not None:
            self._fill(record, own=True)
        else:
            if ctx.user is not None:
                i = self.giver.findData(ctx.user.id)
                if i >= 0:
                    self.giver.setCurrentIndex(i)
            self.by_cadre.setChecked(True)
            self._giver_mode()
        self.resize(720, self.sizeHint().height())

    def _fill(self, record: AidView, *, own: bool) -> None:
        """The fields as ``record`` has them: the record's own form (``own``), or another household's
        new one started from it (its household, diary entry and note stay this form's)."""
        self.given_on.setDate(qdate(record.given_on))
        self.kind.setCurrentText(record.kind)
        self.amount.setText(record.amount_text.replace(",", ""))
        self.goods.setPlainText(record.goods)
        self.policy.setCurrentText(record.policy)
        if record.giver_user_id:
            i = self.giver.findData(record.giver_user_id)
            if i < 0:  # a cadre no longer active: still the one who gave it
                self.giver.addItem(record.giver_name, record.giver_user_id)
                i = self.giver.count() - 1
            self.giver.setCurrentIndex(i)
        else:
            self.unit.setText(record.giver_unit)
        (self.by_cadre if record.giver_user_id else self.by_unit).setChecked(True)
        self._giver_mode()
        if not own:
            return
        self.note.setText(record.note)
        if record.entry_id:
            i = self.entry.findData(record.entry_id)
            if i < 0:
                self.entry.addItem(record.entry_label or "（已删除的日记）", record.entry_id)
                i = self.entry.count() - 1
            self.entry.setCurrentIndex(i)

    def _giver_mode(self) -> None:
        cadre = self.by_cadre.isChecked()
        self.giver.setEnabled(cadre)
        self.unit.setEnabled(not cadre)

    def values(self) -> AidInput:
        return AidInput(
            household_id=self.household_id,
            given_on=date_of(self.given_on),
            kind=self.kind.currentText(),
            amount=self.amount.text(),
            goods=self.goods.toPlainText(),
            policy=self.policy.currentText(),
            giver_user_id=self.giver.currentData() if self.by_cadre.isChecked() else None,
            giver_unit=self.unit.text() if self.by_unit.isChecked() else "",
            entry_id=self.entry.currentData(),
            note=self.note.text(),
        )

    def save(self) -> None:
        try:
            with self.ctx.work() as w:
                self.saved_id = records.save_aid(w, self.values(), self.record.id if self.record else None)
        except UserError as exc:
            show_error(self.error, exc.message)
            widget = self.fields.get(exc.field or "")
            if exc.field == "giver" and self.by_unit.isChecked():
                widget = self.unit
            if widget is not None:
                widget.setFocus()
            return
        self.ctx.data_changed.emit("aid")
        self.accept()


class PairDialog(FitsScreen, QDialog):
    """结对 (``pair`` None), 更换帮扶责任人 (``change``) or 解除结对 (``end``) of one household."""

    def __init__(
        self,
        ctx,
        household_id: str,
        household_label: str,
        *,
        pair: pairs.PairView | None = None,
        mode: str = "start",
        parent=None,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.pair = pair
        self.mode = mode
        titles = {"start": "结对帮扶", "change": "更换帮扶责任人", "end": "解除帮扶对子"}
        self.setWindowTitle(f"{titles[mode]}：{household_label}")
        form = QFormLayout()
        self.cadre = QComboBox(self)
        with ctx.work() as w:
            for uid, name in records.giver_choices(w):
                if pair is None or uid != pair.cadre_id:
                    self.cadre.addItem(name, uid)
        self.on = date_edit(dt.date.today(), self)
        self.reason = QComboBox(self)
        self.reason.setEditable(True)
        self.reason.addItems(
            ["已脱困", "工作调整", "责任人调离", "户已迁出"] if mode == "end" else ["工作调整"]
        )
        if pair is not None:
            form.addRow("现帮扶责任人", QLabel(f"{pair.cadre_name}（{pair.start_on:%Y-%m-%d} 起）", self))
        if mode in ("start", "change"):
            form.addRow("帮扶责任人(&C)" if mode == "start" else "新帮扶责任人(&C)", self.cadre)
        form.addRow("结对日期(&D)" if mode == "start" else "日期(&D)", self.on)
        if mode in ("change", "end"):
            form.addRow("原因(&R)", self.reason)
        self.error = error_label(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(buttons)
        self.fields: dict[str, QWidget] = {
            "cadre_id": self.cadre,
            "start_on": self.on,
            "end_on": self.on,
            "end_reason": self.reason,
        }
        self.resize(460, self.sizeHint().height())

    def save(self) -> None:
        try:
            with self.ctx.work() as w:
                if self.mode == "start":
                    pairs.start_pair(w, self.household_id, self.cadre.currentData(), date_of(self.on))
                elif self.pair is not None and self.mode == "change":
                    pairs.change_pair(
                        w, self.pair.id, self.cadre.currentData(), date_of(self.on), self.reason.currentText()
                    )
                elif self.pair is not None:
                    pairs.end_pair(w, self.pair.id, date_of(self.on), self.reason.currentText())
        except UserError as exc:
            show_error(self.error, exc.message)
            widget = self.fields.get(exc.field or "")
            if widget is not None:
                widget.setFocus()
            return
        self.ctx.data_changed.emit("aid")
        self.accept()
