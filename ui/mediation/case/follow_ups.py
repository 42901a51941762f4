"""The 回访 tab: the planned and completed follow-up visits, and recording one."""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QHBoxLayout, QListWidget, QPushButton, QVBoxLayout

from app.mediation import casefile, rules

from ui.mediation import forms
from ui.mediation.case.tab import CaseTab, day_text
from ui.widgets.form_draft import FormDraft


class FollowUpTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        self.follow_list = QListWidget()
        self.follow_add = QPushButton("填写回访记录…")
        self.follow_add.clicked.connect(self.add_follow_up)
        lay = QVBoxLayout(self)
        lay.addWidget(self.follow_list, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.follow_add)
        lay.addLayout(row)

    def fill(self) -> None:
        self.follow_list.clear()
        for f in self.cf.follow_ups:
            if f.visited_on:
                self.follow_list.addItem(
                    f"{day_text(f.visited_on)} 回访（协议 {f.agreement_number}）：{f.performance}；"
                    f"{f.satisfaction}；回访人 {f.visitor}"
                )
            else:
                self.follow_list.addItem(f"计划 {day_text(f.due_on)} 回访（协议 {f.agreement_number}）")
        self.follow_add.setEnabled(self.cf.agreement is not None and self.cf.case.state != rules.ARCHIVED)
        self.follow_add.setVisible(self.cf.case.state != rules.ARCHIVED)

    def add_follow_up(self) -> None:
        dlg = forms.FollowUpDialog(self.dialog, visitor=self.user_name)
        dlg.on_accept = lambda v: self.dialog.service(casefile.record_follow_up, self.case_id, **v)
        dlg.draft = FormDraft(dlg, self.dialog.ctx, "mediation_follow_up", self.case_id)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()
