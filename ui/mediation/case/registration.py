"""The 登记 tab: the registration form, the rights-and-duties notice, and the escalation with the
town's handling (filled in at the town)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.mediation import registration, rules, states

from ui.mediation import forms
from ui.mediation.case.tab import CaseTab, day_text
from ui.widgets.fit import FittingScroll
from ui.widgets.form_draft import TabDraft


class RegistrationTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        with self.ctx.work() as w:
            types = registration.dispute_types(w)
        self.reg = forms.RegistrationForm(types, self, with_date=False)
        self.reg_save = QPushButton("保存登记（Ctrl+S）")
        self.reg_save.clicked.connect(self.save_registration)
        QShortcut(
            QKeySequence("Ctrl+S"),
            self,
            self.save_registration,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.notice_label = QLabel()
        self.notice_button = QPushButton("记录已告知权利义务")
        self.notice_button.clicked.connect(self.record_notice)
        self.town_box = QGroupBox("上报与乡镇处理")
        tf = QFormLayout(self.town_box)
        self.town_info = forms.align_top(QLabel())
        self.town_handling = QLineEdit()
        self.town_outcome = forms.combo(rules.TOWN_OUTCOMES)
        self.town_outcome.setPlaceholderText("请选择处理结果")  # never preset: the town chooses
        self.town_outcome.setCurrentIndex(-1)
        self.town_note = QLineEdit()
        # with 调解成功: the agreement's form and amount (the town committee's row of the monthly report)
        self.town_agreement_kind = forms.combo(("书面协议", "口头协议"))
        self.town_amount = QLineEdit()
        self.town_amount.setPlaceholderText("元，没有金额填 0")
        self.town_save = QPushButton("保存乡镇处理结果")
        self.town_save.clicked.connect(self.save_town_handling)
        tf.addRow(self.town_info)
        tf.addRow("处理情况", self.town_handling)
        tf.addRow("处理结果", self.town_outcome)
        tf.addRow("说明", self.town_note)
        tf.addRow("协议形式", self.town_agreement_kind)
        tf.addRow("协议金额", self.town_amount)
        self.town_outcome.currentTextChanged.connect(lambda _t: self._town_agreement_shown())
        tf.addRow(self.town_save)
        notice = QHBoxLayout()
        notice.addWidget(QLabel("权利义务告知："))
        notice.addWidget(self.notice_label, 1)
        notice.addWidget(self.notice_button)
        # In a scroll area: at 特大 the form is taller than a 1366×768 screen leaves, and a squeezed form
        # cuts its labels; scrolled, each row keeps its height.
        inner = QWidget()
        lay = QVBoxLayout(inner)
        scroll = FittingScroll(inner)  # up and down only
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)
        lay.addWidget(self.reg)
        bottom = QHBoxLayout()
        bottom.addLayout(notice, 1)
        bottom.addWidget(self.reg_save)
        lay.addLayout(bottom)
        lay.addWidget(self.town_box)
        # what is typed survives the screen's refills, a crash and a close (the town's handling apart)
        self.draft = TabDraft(
            self, self.ctx, "mediation_case_registration", self.case_id, self.reg, dialog.finished
        )
        lay.insertWidget(0, self.draft.banner)
        self.town_draft = TabDraft(
            self, self.ctx, "mediation_town_handling", self.case_id, self.town_box, dialog.finished
        )
        lay.insertWidget(lay.indexOf(self.town_box), self.town_draft.banner)

    def fill(self) -> None:
        self.draft.before_fill()
        self.town_draft.before_fill()
        c = self.cf.case
        self.reg.set_values(c)
        archived = c.state == rules.ARCHIVED
        foreign = c.village_code != self.ctx.station.code  # a village's case, read at the town
        forms.set_read_only(self.reg, archived or foreign)  # read as text, not greyed out
        self.reg_save.setEnabled(not archived and not foreign)
        self.reg_save.setVisible(not archived and not foreign)
        self.notice_label.setText(
            f"已于 {day_text(c.rights_notice_on)} 由{c.rights_notice_by}{c.rights_notice_method}"
            if c.rights_notice_on
            else "尚未告知（告知后才能记录调解）"
        )
        self.notice_button.setEnabled(c.state in rules.OPEN_STATES and not foreign)
        self.notice_button.setVisible(c.state in rules.OPEN_STATES and not foreign)
        is_town = self.ctx.is_town
        self.town_box.setVisible(bool(c.escalated_to) or is_town)
        info = (
            f"上报{c.escalated_to}（{day_text(c.escalated_on)}）：{c.escalation_reason}"
            if c.escalated_to
            else "未上报"
        )
        if c.town_outcome:
            info += f"\n乡镇处理：{c.town_handling}；结果：{c.town_outcome} {c.town_outcome_note}（{c.town_handler}，{day_text(c.town_handled_on)}）"
            if c.town_agreement_kind:
                info += f"；{c.town_agreement_kind}协议，金额 {c.town_amount_fen / 100:,.2f} 元"
        self.town_info.setText(info)
        can_edit_town = is_town and c.state == rules.ESCALATED
        for wdg in (self.town_handling, self.town_outcome, self.town_note, self.town_save):
            wdg.setVisible(can_edit_town)
        self._town_agreement_shown()
        self.draft.after_fill(not archived and not foreign)
        self.town_draft.after_fill(can_edit_town)

    def _town_agreement_shown(self) -> None:
        """The agreement's form and amount, only for a 调解成功 the town records."""
        shown = self.town_save.isVisibleTo(self) and self.town_outcome.currentText() == "调解成功"
        form = self.town_box.layout()
        for wdg in (self.town_agreement_kind, self.town_amount):
            wdg.setVisible(shown)
            label = form.labelForField(wdg) if isinstance(form, QFormLayout) else None
            if label is not None:
                label.setVisible(shown)

    def save_registration(self) -> None:
        v = self.reg.values()
        v.pop("accepted_on")  # the number depends on it: fixed at registration
        v["registrar"] = v["registrar"] or ""
        with self.draft.saving():
            if (
                self.dialog.run(registration.update_case, self.case_id, fields=self.reg.fields, **v)
                is not None
            ):
                self.draft.saved()

    def record_notice(self) -> None:
        self.dialog.run(
            registration.record_rights_notice, self.case_id, given_on=self.today, given_by=self.user_name
        )

    def save_town_handling(self) -> None:
        with self.town_draft.saving():
            if self._save_town_handling() is not None:
                self.town_draft.saved()

    def _save_town_handling(self):
        return self.dialog.run(
            states.record_town_handling,
            self.case_id,
            handling=self.town_handling.text(),
            outcome=self.town_outcome.currentText(),
            handled_on=self.today,
            note=self.town_note.text(),
            agreement_kind=self.town_agreement_kind.currentText().removesuffix("协议"),
            amount=self.town_amount.text(),
            fields={
                "outcome": self.town_outcome,
                "handling": self.town_handling,
                "town_agreement_kind": self.town_agreement_kind,
                "town_amount": self.town_amount,
            },
        )
