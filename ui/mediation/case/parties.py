"""The 当事人 tab: the parties (from the roster or from outside, a person or an organisation) with the
法定代理人 of a minor, the mediators (users of this station or named outsiders), and the parties'
回避 requests with the committee's decisions."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
)

from app import accounts
from app.mediation import capacity, recusal, registration, rules

from ui.app import at_font_size
from ui.mediation import forms
from ui.mediation.case.tab import CaseTab, day_text
from ui.widgets.inline_error import error_label
from ui.widgets.offered import list_as_typed
from ui.widgets.person_picker import PersonPicker


class PartiesTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        self.party_role = forms.combo(rules.PARTY_ROLES)
        self.party_picker = PersonPicker(
            self.ctx.session, self, placeholder="从名册添加：姓名、拼音或身份证号"
        )
        self.party_picker.person_chosen.connect(self.add_roster_party)
        self.outside_button = QPushButton("添加名册外当事人/单位…")
        self.outside_button.clicked.connect(self.add_outside_party)
        self.party_list = QListWidget()
        self.party_remove = QPushButton("移除当事人")
        self.party_remove.clicked.connect(self.remove_party)
        self.guardian_button = QPushButton("法定代理人…")
        self.guardian_button.setToolTip("为选中的当事人填写或更换法定代理人（未成年人必须有）")
        self.guardian_button.clicked.connect(self.edit_guardian)
        self.capacity_warning = error_label()
        self.recusal_list = QListWidget()
        self.recusal_list.setMaximumHeight(at_font_size(130))
        self.recusal_list.setWordWrap(True)  # a request with its reason and decision is one wrapped entry
        self.recusal_list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.recusal_request = QPushButton("申请回避…")
        self.recusal_request.setToolTip("当事人要求更换调解员：记录申请")
        self.recusal_request.clicked.connect(self.request_recusal)
        self.recusal_decide = QPushButton("作出决定…")
        self.recusal_decide.clicked.connect(self.decide_recusal)
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
            invited = registration.named_mediators(w)
        list_as_typed(self.mediator_name, invited)  # the 乡贤 and lawyers invited before
        add = QHBoxLayout()
        self.role_label = QLabel("身份")
        add.addWidget(self.role_label)
        add.addWidget(self.party_role)
        add.addWidget(self.party_picker, 1)
        add.addWidget(self.outside_button)
        left = QVBoxLayout()
        left.addWidget(QLabel("当事人"))
        left.addLayout(add)
        left.addWidget(self.capacity_warning)
        left.addWidget(self.party_list, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.guardian_button)
        buttons.addWidget(self.party_remove)
        buttons.addStretch(1)
        left.addLayout(buttons)
        right = QVBoxLayout()
        right.addWidget(QLabel("调解员"))
        row = QHBoxLayout()
        row.addWidget(self.mediator_user, 1)
        row.addWidget(self.mediator_add)
        right.addLayout(row)
        right.addWidget(self.mediator_name)
        right.addWidget(self.mediator_list, 1)
        right.addWidget(self.mediator_remove)
        right.addWidget(QLabel("回避申请"))
        right.addWidget(self.recusal_list)
        rec = QHBoxLayout()
        rec.addWidget(self.recusal_request)
        rec.addWidget(self.recusal_decide)
        rec.addStretch(1)
        right.addLayout(rec)
        lay = QHBoxLayout(self)
        lay.addLayout(left, 3)
        lay.addLayout(right, 2)

    def fill(self) -> None:
        from app.codes import mask_resident_id

        self.party_list.clear()
        problems: list[str] = []
        for p in self.cf.parties:
            bits = [f"{p.role}：{p.name}"]
            if p.kind == "单位":
                bits.append(f"（单位，代表人 {p.representative or ''}）")
            else:
                age = p.age_on(self.cf.case.accepted_on)
                bits.append(
                    " ".join(
                        x
                        for x in (
                            p.sex or "",
                            p.ethnicity or "",
                            f"{age}岁" if age is not None else "",
                            mask_resident_id(p.id_number),
                        )
                        if x
                    )
                )
            bits.append(" ".join(x for x in (p.phone or "", p.address) if x))
            if p.person_id:
                bits.append("［名册］")
            if p.guardian_name:
                bits.append(f"法定代理人：{p.guardian_name}（{p.guardian_relation or ''}）")
            problem = capacity.missing_guardian(p, self.cf.case.accepted_on)
            if problem:
                bits.append("⚠ 未成年，未填写法定代理人")
                problems.append(problem)
            item = QListWidgetItem("　".join(b for b in bits if b))
            item.setData(Qt.ItemDataRole.UserRole, p.id)
            if problem:
                item.setForeground(QColor("#b00020"))
            self.party_list.addItem(item)
        forms.set_warning(self.capacity_warning, "；".join(problems))
        self.mediator_list.clear()
        for m in self.cf.mediators:
            item = QListWidgetItem(
                m.name + ("（主持）" if m.is_lead else "") + ("" if m.user_id else "（外聘）")
            )
            item.setData(Qt.ItemDataRole.UserRole, m.id)
            self.mediator_list.addItem(item)
        names = {p.id: p.name for p in self.cf.parties}
        self.recusal_list.clear()
        for r in self.cf.recusals:
            text = f"{day_text(r.requested_on)}　{names.get(r.party_id, '当事人')}申请{r.mediator_name}回避：{r.reason}"
            if r.decision is None:
                text += "　【待决定】"
            elif r.replacement_name:
                text += f"　【{r.decision}，由{r.replacement_name}接替，{day_text(r.decided_on)}】"
            else:
                text += f"　【{r.decision}：{r.decision_note}，{day_text(r.decided_on)}】"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, r.id)
            item.setToolTip(text)
            self.recusal_list.addItem(item)
        self.recusal_decide.setEnabled(any(r.decision is None for r in self.cf.recusals))

    def add_roster_party(self, hit) -> None:
        """A roster person; one who was a minor on the acceptance date is added with a 法定代理人."""
        role = self.party_role.currentText()
        age = capacity.minor_age(hit.id_number, hit.birth_date, self.cf.case.accepted_on)
        if age is None:
            self.dialog.run(registration.add_party, self.case_id, role=role, person_id=hit.id)
            return
        dlg = forms.GuardianDialog(
            self.ctx.session,
            self.dialog,
            warning=f"{hit.name}受理时未满十八周岁（{max(age, 0)} 岁）：须由法定代理人代理参加调解。",
        )
        dlg.setWindowTitle(f"法定代理人　当事人：{hit.name}")
        dlg.on_accept = lambda v: self.dialog.service(
            registration.add_party,
            self.case_id,
            role=role,
            person_id=hit.id,
            **{f"guardian_{k}": x for k, x in v.items()},
        )
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()

    def add_outside_party(self) -> None:
        with self.ctx.work() as w:
            known = registration.known_outside_parties(w)
        dlg = forms.PartyDialog(
            self.dialog, accepted_on=self.cf.case.accepted_on, session_factory=self.ctx.session, known=known
        )
        dlg.on_accept = lambda v: self.dialog.service(registration.add_party, self.case_id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()

    def _selected_party(self):
        item = self.party_list.currentItem()
        if item is None:
            return None
        party_id = item.data(Qt.ItemDataRole.UserRole)
        return next((p for p in self.cf.parties if p.id == party_id), None)

    def edit_guardian(self) -> None:
        party = self._selected_party()
        if party is None:
            QMessageBox.information(self, "法定代理人", "请先在列表中选中一位当事人")
            return
        dlg = forms.GuardianDialog(
            self.ctx.session,
            self.dialog,
            party=party,
            warning=capacity.missing_guardian(party, self.cf.case.accepted_on) or "",
        )
        dlg.on_accept = lambda v: self.dialog.service(registration.set_guardian, party.id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()

    def request_recusal(self) -> None:
        if not self.cf.parties or not self.cf.mediators:
            QMessageBox.information(self, "申请回避", "本案还没有当事人或调解员")
            return
        dlg = forms.RecusalRequestDialog(self.cf.parties, self.cf.mediators, self.dialog, day=self.today)
        dlg.on_accept = lambda v: self.dialog.service(recusal.request_recusal, self.case_id, **v)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.dialog.after_change()

    def decide_recusal(self) -> None:
        item = self.recusal_list.currentItem()
        chosen = item.data(Qt.ItemDataRole.UserRole) if item is not None else None
        pending = [r for r in self.cf.recusals if r.decision is None]
        request = next((r for r in pending if r.id == chosen), pending[0] if pending else None)
        if request is None:
            QMessageBox.information(self, "回避申请", "没有待决定的回避申请")
            return
        lead = any(m.id == request.mediator_id and m.is_lead for m in self.cf.mediators)
        users = [
            (self.mediator_user.itemData(i), self.mediator_user.itemText(i))
            for i in range(self.mediator_user.count())
        ]
        with self.ctx.work() as w:
            invited = registration.named_mediators(w)
        dlg = forms.RecusalDecisionDialog(
            request, users, self.dialog, lead=lead, day=self.today, invited=invited
        )
        dlg.on_accept = lambda v: self.dialog.service(recusal.decide_recusal, request.id, **v)
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

    def show_adding(self, shown: bool) -> None:
        """The rows that add a party or a mediator: hidden where the case is only read."""
        for w in (
            self.role_label,
            self.party_role,
            self.party_picker,
            self.mediator_user,
            self.mediator_name,
        ):
            w.setVisible(shown)
