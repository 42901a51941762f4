"""The 当事人 tab: the parties (from the roster or from outside, a person or an organisation) and the
mediators (users of this station or named outsiders)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
)

from app import accounts
from app.mediation import registration, rules

from ui.mediation import forms
from ui.mediation.case.tab import CaseTab
from ui.widgets.person_picker import PersonPicker


class PartiesTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        self.party_role = forms.combo(rules.PARTY_ROLES)
        self.party_picker = PersonPicker(
            self.ctx.session, self, placeholder="从名册添加：输入姓名、拼音首字母或身份证后几位"
        )
        self.party_picker.person_chosen.connect(self.add_roster_party)
        self.outside_button = QPushButton("添加名册外当事人/单位…")
        self.outside_button.clicked.connect(self.add_outside_party)
        self.party_list = QListWidget()
        self.party_remove = QPushButton("移除当事人")
        self.party_remove.clicked.connect(self.remove_party)
        self.mediator_list = QListWidget()
        self.mediator_user = QComboBox()
        self.mediator_add = QPushButton("添加为调解员")
        self.mediator_add.clicked.connect(self.add_user_mediator)
        self.mediator_name = QLineEdit()
        self.mediator_name.setPlaceholderText("外聘调解员姓名（乡贤、律师等）")
        self.mediator_name.returnPressed.connect(self.add_named_mediator)
        self.mediator_remove = QPushButton("移除调解员")
        self.mediator_remove.clicked.connect(self.remove_mediator)
        with self.ctx.work() as w:
            for u in accounts.local_users(w, include_inactive=False):
                self.mediator_user.addItem(u.display_name, u.id)
        add = QHBoxLayout()
        add.addWidget(QLabel("身份"))
        add.addWidget(self.party_role)
        add.addWidget(self.party_picker, 1)
        add.addWidget(self.outside_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("当事人"))
        left.addLayout(add)
        left.addWidget(self.party_list, 1)
        left.addWidget(self.party_remove)
        right = QVBoxLayout()
        right.addWidget(QLabel("调解员"))
        row = QHBoxLayout()
        row.addWidget(self.mediator_user, 1)
        row.addWidget(self.mediator_add)
        right.addLayout(row)
        right.addWidget(self.mediator_name)
        right.addWidget(self.mediator_list, 1)
        right.addWidget(self.mediator_remove)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 3)
        lay.addLayout(right, 2)

    def fill(self) -> None:
        from app.codes import mask_resident_id

        self.party_list.clear()
        for p in self.cf.parties:
            bits = [f"{p.role}：{p.name}"]
            if p.kind == "单位":
                bits.append(f"（单位，代表人 {p.representative or ''}）")
            else:
                bits.append(
                    " ".join(x for x in (p.sex or "", p.ethnicity or "", mask_resident_id(p.id_number)) if x)
                )
            bits.append(" ".join(x for x in (p.phone or "", p.address) if x))
            if p.person_id:
                bits.append("［名册］")
            item = QListWidgetItem("　".join(b for b in bits if b))
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            self.party_list.addItem(item)
        self.mediator_list.clear()
        for m in self.cf.mediators:
            item = QListWidgetItem(
                m.name + ("（主持）" if m.is_lead else "") + ("" if m.user_id else "（外聘）")
            )
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            self.mediator_list.addItem(item)

    def add_roster_party(self, hit) -> None:
        self.dialog.run(
            registration.add_party, self.case_id, role=self.party_role.currentText(), person_id=hit.id
        )

    def add_outside_party(self) -> None:
        dlg = forms.PartyDialog(self.dialog)
        dlg.on_accept = lambda v: self.dialog.service(registration.add_party, self.case_id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()

    def remove_party(self) -> None:
        item = self.party_list.currentItem()
        if item is not None:
            self.dialog.run(registration.remove_party, item.data(Qt.ItemDataRole.UserRole))

    def add_user_mediator(self) -> None:
        user_id = self.mediator_user.currentData()
        if user_id:
            self.dialog.run(
                registration.add_mediator, self.case_id, user_id=user_id, is_lead=not self.cf.mediators
            )

    def add_named_mediator(self) -> None:
        if self.dialog.run(
            registration.add_mediator,
            self.case_id,
            name=self.mediator_name.text(),
            is_lead=not self.cf.mediators,
        ):
            self.mediator_name.clear()

    def remove_mediator(self) -> None:
        item = self.mediator_list.currentItem()
        if item is not None:
            self.dialog.run(registration.remove_mediator, item.data(Qt.ItemDataRole.UserRole))
