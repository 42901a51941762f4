"""The 协议 tab: the agreement (书面 or 口头), its status (effective, what is still to be signed, the
judicial-confirmation deadline), its signatures and the parties' application for judicial confirmation."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from app.mediation import agreement, rules
from app.mediation.info import fen_to_yuan

from ui.dates import date_edit, date_of, qdate
from ui.mediation import forms
from ui.mediation.case.tab import CaseTab, day_text
from ui.widgets.form_draft import TabDraft


class AgreementTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        f = QFormLayout()
        self.ag_kind = forms.combo(("书面", "口头"))
        self.ag_reached = date_edit(self.today)
        self.ag_facts = forms.text_box(40)
        self.ag_issues = forms.text_box(40)
        self.ag_resp = forms.text_box(40)
        self.ag_terms = forms.text_box(60)
        self.ag_manner = QLineEdit()
        self.ag_place = QLineEdit()
        self.ag_place.setPlaceholderText("履行地点，如村委会调解室")
        self.ag_has_deadline = QCheckBox("有履行期限")
        self.ag_deadline = date_edit(self.today + dt.timedelta(days=15))
        self.ag_amount = QLineEdit()
        self.ag_recorder = QLineEdit()
        row = QHBoxLayout()
        row.addWidget(self.ag_kind)
        row.addWidget(QLabel("达成日期"))
        row.addWidget(self.ag_reached)
        row.addWidget(QLabel("金额（元）"))
        row.addWidget(self.ag_amount)
        row.addWidget(QLabel("记录人"))
        row.addWidget(self.ag_recorder)
        row.addStretch(1)
        f.addRow("协议形式", row)
        f.addRow("纠纷主要事实", self.ag_facts)
        f.addRow("争议事项", self.ag_issues)
        f.addRow("各方责任", self.ag_resp)
        f.addRow("协议内容", self.ag_terms)
        dl = QHBoxLayout()
        dl.addWidget(self.ag_manner, 2)
        dl.addWidget(QLabel("履行地点"))
        dl.addWidget(self.ag_place, 1)
        dl.addWidget(self.ag_has_deadline)
        dl.addWidget(self.ag_deadline)
        f.addRow("履行方式", dl)
        self.ag_save = QPushButton("保存协议（Ctrl+S）")
        self.ag_save.clicked.connect(self.save_agreement)
        QShortcut(  # as on the 登记 tab: the tab in front saves
            QKeySequence("Ctrl+S"),
            self,
            lambda: self.ag_save.isEnabled() and self.save_agreement(),
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.ag_status = forms.align_top(QLabel())
        self.ag_sign = QPushButton("登记签名/盖章…")
        self.ag_sign.clicked.connect(self.sign_agreement)
        self.ag_judicial = QPushButton("当事人已申请司法确认")
        self.ag_judicial.clicked.connect(lambda: self.apply_judicial())
        self.ag_confirmed = QPushButton("法院已确认…")
        self.ag_confirmed.setToolTip("登记人民法院裁定确认调解协议有效的日期（司法确认）")
        self.ag_confirmed.clicked.connect(lambda: self.record_confirmed())
        bottom = QHBoxLayout()
        bottom.addWidget(self.ag_status, 1)
        bottom.addWidget(self.ag_save)
        bottom.addWidget(self.ag_sign)
        bottom.addWidget(self.ag_judicial)
        bottom.addWidget(self.ag_confirmed)
        self.ag_fields = {
            "kind": self.ag_kind,
            "reached_on": self.ag_reached,
            "facts": self.ag_facts,
            "issues": self.ag_issues,
            "terms": self.ag_terms,
            "amount": self.ag_amount,
            "performance_deadline": self.ag_deadline,
            "performance_place": self.ag_place,
        }
        lay = QVBoxLayout(self)
        lay.addLayout(f)
        lay.addLayout(bottom)
        # what is typed into the agreement survives the screen's refills, a crash and a close
        self.draft = TabDraft(self, self.ctx, "mediation_agreement", self.case_id, self, dialog.finished)
        lay.insertWidget(0, self.draft.banner)

    def fill(self) -> None:
        self.draft.before_fill()
        ag, c = self.cf.agreement, self.cf.case
        if ag is not None:
            self.ag_kind.setCurrentText(ag.kind)
            self.ag_reached.setDate(qdate(ag.reached_on))
            self.ag_facts.setPlainText(ag.facts)
            self.ag_issues.setPlainText(ag.issues)
            self.ag_resp.setPlainText(ag.responsibilities)
            self.ag_terms.setPlainText(ag.terms)
            self.ag_manner.setText(ag.performance_manner)
            self.ag_place.setText(ag.performance_place)
            self.ag_has_deadline.setChecked(ag.performance_deadline is not None)
            if ag.performance_deadline:
                self.ag_deadline.setDate(qdate(ag.performance_deadline))
            self.ag_amount.setText(f"{fen_to_yuan(ag.amount_fen)}")
            self.ag_recorder.setText(ag.recorder)
            lines = [f"协议编号 {ag.number}"]
            if ag.effective_on:
                lines.append(f"已于 {day_text(ag.effective_on)} 生效")
                if ag.kind == "书面":
                    deadline = rules.judicial_deadline(ag.effective_on)
                    left = (deadline - self.today).days
                    lines.append(
                        f"司法确认申请期限 {day_text(deadline)}"
                        + (f"（还剩 {left} 天）" if left >= 0 else "（已过）")
                        if not c.judicial_applied_on
                        else f"已于 {day_text(c.judicial_applied_on)} 申请司法确认"
                        + (
                            f"，{day_text(c.judicial_confirmed_on)} 法院确认"
                            if c.judicial_confirmed_on
                            else ""
                        )
                    )
            else:
                lines.append("尚未生效，还缺：" + "、".join(self.dialog.missing))
            self.ag_status.setText("；".join(lines))
        else:
            self.ag_facts.setPlainText(c.facts)
            # the clerk who kept the case's meetings keeps its agreement: not typed again
            self.ag_recorder.setText(self.cf.sessions[-1].recorder_name if self.cf.sessions else "")
            self.ag_status.setText(
                "尚无协议。调解达成一致后在此填写，书面协议需各方签名、调解员签名并加盖调委会印章后生效。"
            )
        editable = c.state in (rules.IN_MEDIATION, rules.SUCCEEDED)
        self.ag_save.setEnabled(editable)
        self.ag_sign.setEnabled(ag is not None and ag.kind == "书面" and c.state != rules.ARCHIVED)
        self.ag_sign.setVisible(c.state != rules.ARCHIVED)  # an archived case is read, not greyed
        self.ag_judicial.setEnabled(
            ag is not None and ag.kind == "书面" and ag.effective_on is not None and not c.judicial_applied_on
        )
        self.ag_confirmed.setEnabled(bool(c.judicial_applied_on) and not c.judicial_confirmed_on)
        self.draft.after_fill(editable and c.village_code == self.ctx.station.code)

    def save_agreement(self) -> None:
        with self.draft.saving():
            if self._save_agreement() is not None:
                self.draft.saved()

    def _save_agreement(self):
        return self.dialog.run(
            agreement.save_agreement,
            self.case_id,
            fields=self.ag_fields,
            kind=self.ag_kind.currentText(),
            reached_on=date_of(self.ag_reached),
            terms=self.ag_terms.toPlainText(),
            facts=self.ag_facts.toPlainText(),
            issues=self.ag_issues.toPlainText(),
            responsibilities=self.ag_resp.toPlainText(),
            performance_manner=self.ag_manner.text(),
            performance_place=self.ag_place.text(),
            performance_deadline=date_of(self.ag_deadline) if self.ag_has_deadline.isChecked() else None,
            amount=self.ag_amount.text() or 0,
            recorder=self.ag_recorder.text(),
        )

    def sign_agreement(self) -> None:
        ag = self.cf.agreement
        if ag is not None:
            self.sign_document("mediation_agreement", ag.id, True, ag.reached_on)

    def apply_judicial(self, day: dt.date | None = None) -> None:
        """当事人已申请司法确认: the day they applied (asked for, today by default: it may be recorded later)."""
        day = day or self._ask_day("当事人共同向人民法院申请司法确认的日期（如 2026-11-20）：")
        if day is not None:
            self.dialog.run(agreement.apply_judicial_confirmation, self.case_id, applied_on=day)

    def record_confirmed(self, day: dt.date | None = None) -> None:
        """法院已确认: the day the court confirmed the agreement (asked for, today by default)."""
        day = day or self._ask_day("人民法院裁定确认的日期（如 2026-11-20）：")
        if day is not None:
            self.dialog.run(agreement.record_judicial_confirmation, self.case_id, confirmed_on=day)

    def _ask_day(self, prompt: str) -> dt.date | None:
        text, ok = QInputDialog.getText(self, "司法确认", prompt, text=f"{self.today:%Y-%m-%d}")
        if not ok:
            return None
        try:
            return dt.date.fromisoformat(text.strip())
        except ValueError:
            QMessageBox.warning(self, "司法确认", f"日期“{text}”格式不对，请写成 2026-11-20")
            return None
