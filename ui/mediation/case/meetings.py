"""The 调解记录 tab: the meetings of the mediation (one record each), adding one while the case is
调解中, and the signatures on a record."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QListWidget, QPushButton, QVBoxLayout

from app.mediation import meetings, rules

from ui.mediation import forms
from ui.mediation.case.tab import CaseTab
from ui.widgets.form_draft import FormDraft


class MeetingsTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        self.session_list = QListWidget()
        self.session_list.currentRowChanged.connect(self._show_session)
        self.session_detail = forms.align_top(QLabel())
        self.session_detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.session_add = QPushButton("新增调解记录（Ctrl+N）")
        self.session_add.clicked.connect(self.add_meeting)
        QShortcut(
            QKeySequence("Ctrl+N"),
            self,
            self.add_meeting,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )
        self.session_sign = QPushButton("登记签名…")
        self.session_sign.clicked.connect(self.sign_session)
        left = QVBoxLayout()
        left.addWidget(self.session_list, 1)
        left.addWidget(self.session_add)
        left.addWidget(self.session_sign)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 1)
        lay.addWidget(self.session_detail, 2)

    def fill(self) -> None:
        self.session_list.clear()
        for rec in self.cf.sessions:
            self.session_list.addItem(
                f"第 {rec.seq} 次　{rec.held_at:%Y-%m-%d %H:%M}　{rec.place}　{rec.result}"
            )
        if self.cf.sessions:
            self.session_list.setCurrentRow(len(self.cf.sessions) - 1)
        else:
            self.session_detail.setText("还没有调解记录。先在“登记”页记录已告知权利义务，再点“开始调解”。")
        self.session_add.setEnabled(self.cf.case.state == rules.IN_MEDIATION)
        self.session_sign.setEnabled(bool(self.cf.sessions) and self.cf.case.state != rules.ARCHIVED)
        self.session_sign.setVisible(self.cf.case.state != rules.ARCHIVED)

    def _show_session(self, row: int) -> None:
        if not 0 <= row < len(self.cf.sessions):
            return
        rec = self.cf.sessions[row]
        sigs = [s for s in self.cf.signatures if s.document_id == rec.id]
        self.session_detail.setText(
            "\n".join(
                [
                    f"时间：{rec.held_at:%Y-%m-%d %H:%M}　地点：{rec.place}",
                    f"调解事项：{rec.subject}",
                    f"参加人：{rec.participants}",
                    f"到场当事人：{rec.parties_present}",
                    f"当事人陈述：{rec.statements}",
                    f"调查核实：{rec.verification}",
                    f"风险告知：{rec.risk_notice}",
                    f"调解结果：{rec.result} {rec.result_detail}",
                    f"调解员：{rec.mediator_name}　记录人：{rec.recorder_name}",
                    "签名：" + ("、".join(f"{s.signer_name}（{s.method}）" for s in sigs) or "尚未登记"),
                ]
            )
        )

    def add_meeting(self) -> None:
        if self.cf.case.state != rules.IN_MEDIATION:
            return
        with self.dialog.ctx.work() as w:
            defaults = meetings.meeting_defaults(w, self.case_id)
        dlg = forms.SessionDialog(
            self.dialog,
            mediator=self.user_name,
            parties="、".join(p.name for p in self.cf.parties),
            defaults=defaults,
        )
        dlg.on_accept = lambda v: self.dialog.service(meetings.add_meeting, self.case_id, **v)
        dlg.draft = FormDraft(dlg, self.dialog.ctx, "mediation_session", self.case_id)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()

    def sign_session(self) -> None:
        row = self.session_list.currentRow()
        if 0 <= row < len(self.cf.sessions):
            rec = self.cf.sessions[row]
            self.sign_document("mediation_session", rec.id, False, rec.held_at.date())
