"""Forms and small dialogs of the mediation screens (registration, transitions, sessions, parties,
signatures, follow-ups, screenings). They collect input; the caller runs the service."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDateTime, QModelIndex, Qt
from PySide6.QtGui import QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QCompleter,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.errors import UserError
from app.mediation import capacity, law, rules
from app.mediation.registration import KnownParty

from ui.app import at_font_size
from ui.dates import date_edit, date_of, pydatetime, qdate
from ui.file_dialogs import ask_open_file_name
from ui.widgets.fit import FitsScreen, FittingScroll
from ui.widgets.inline_error import error_label
from ui.widgets.offered import list_as_typed


def text_box(height: int = 60) -> QPlainTextEdit:
    w = QPlainTextEdit()
    w.setTabChangesFocus(True)  # Tab moves on, as in every other field
    w.setMinimumHeight(at_font_size(height))
    w.setMaximumHeight(at_font_size(height * 2))
    return w


def combo(items, current: str | None = None, editable: bool = False) -> QComboBox:
    w = QComboBox()
    w.addItems(list(items))
    w.setEditable(editable)
    if current:
        i = w.findText(current)
        if i >= 0:
            w.setCurrentIndex(i)
        elif editable:
            w.setEditText(current)
    return w


def show_error(parent: QWidget | None, exc: UserError, fields: dict[str, QWidget] | None = None) -> None:
    """The service's message, and focus on the field it names."""
    QMessageBox.warning(parent, "请检查", exc.message)
    if fields and exc.field in fields:
        fields[exc.field].setFocus()


class _FormDialog(FitsScreen, QDialog):
    """A dialog with a form layout and 确定/取消; ``accept`` runs ``self.on_accept`` (may raise UserError)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        fields = QWidget(self)
        self.form = QFormLayout(fields)
        self.form.setContentsMargins(0, 0, 0, 0)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(FittingScroll(fields, self), 1)  # a long form scrolls on a small screen
        layout.addWidget(self.buttons)
        self.on_accept = None
        self.fields: dict[str, QWidget] = {}
        self.result_value = None

    def accept(self) -> None:
        if self.on_accept is not None:
            try:
                self.result_value = self.on_accept(self.values())
            except UserError as exc:
                show_error(self, exc, self.fields)
                return
        super().accept()

    def values(self) -> dict:
        return {}


class RegistrationForm(QWidget):
    """受理登记 fields. ``values()`` gives the keyword arguments of ``registration.register_case``."""

    def __init__(self, types: list[str], parent: QWidget | None = None, *, with_date: bool = True) -> None:
        super().__init__(parent)
        form = QFormLayout(self)
        self.title = QLineEdit()
        self.title.setPlaceholderText("如：张三与李四宅基地纠纷")
        self.accepted_on = date_edit()
        self.source = combo(rules.SOURCES)
        self.dispute_type = combo(types)
        self.complexity = combo(rules.COMPLEXITIES)
        self.people = QSpinBox()
        self.people.setRange(1, 9999)
        self.people.setValue(2)
        self.amount = QLineEdit()
        self.amount.setPlaceholderText("元，没有填 0")
        self.facts = text_box()
        self.requests = text_box(45)
        self.risk_criminal = QSpinBox()
        self.risk_petition = QSpinBox()
        self.risk_suicide = QSpinBox()
        self.risk_fight = QSpinBox()
        risks = QHBoxLayout()
        for label, w in (
            ("可能民转刑", self.risk_criminal),
            ("可能群体性上访", self.risk_petition),
            ("可能引起自杀", self.risk_suicide),
            ("可能群体性械斗", self.risk_fight),
        ):
            w.setRange(0, 9999)
            w.setSuffix(" 人")
            risks.addWidget(QLabel(label))
            risks.addWidget(w)
        risks.addStretch(1)
        self.registrar = QLineEdit()
        form.addRow("纠纷名称(&N)", self.title)
        if with_date:
            form.addRow("受理日期", self.accepted_on)
        row = QHBoxLayout()
        for label, w in (("来源", self.source), ("类型", self.dispute_type), ("难易程度", self.complexity)):
            row.addWidget(QLabel(label))
            row.addWidget(w)
        row.addStretch(1)
        form.addRow("纠纷来源", row)
        money = QHBoxLayout()
        money.addWidget(self.people)
        money.addWidget(QLabel("涉及金额"))
        money.addWidget(self.amount)
        money.addStretch(1)
        form.addRow("涉及人数", money)
        form.addRow("简要案情", self.facts)
        form.addRow("当事人请求", self.requests)
        form.addRow("风险（人数）", risks)
        form.addRow("登记人", self.registrar)
        self.fields = {
            "title": self.title,
            "accepted_on": self.accepted_on,
            "source": self.source,
            "dispute_type": self.dispute_type,
            "complexity": self.complexity,
            "people_count": self.people,
            "amount": self.amount,
            "facts": self.facts,
            "requests": self.requests,
            "registrar": self.registrar,
        }

    def set_values(self, c) -> None:
        self.title.setText(c.title)
        self.accepted_on.setDate(qdate(c.accepted_on))
        self.source.setCurrentText(c.source)
        if self.dispute_type.findText(c.dispute_type) < 0:
            self.dispute_type.addItem(c.dispute_type)
        self.dispute_type.setCurrentText(c.dispute_type)
        self.complexity.setCurrentText(c.complexity)
        self.people.setValue(c.people_count)
        self.amount.setText(f"{c.amount_yuan}")
        self.facts.setPlainText(c.facts)
        self.requests.setPlainText(c.requests)
        self.risk_criminal.setValue(c.risk_criminal_people)
        self.risk_petition.setValue(c.risk_petition_people)
        self.risk_suicide.setValue(c.risk_suicide_people)
        self.risk_fight.setValue(c.risk_fight_people)
        self.registrar.setText(c.registrar)

    def values(self) -> dict:
        return dict(
            title=self.title.text(),
            accepted_on=date_of(self.accepted_on),
            source=self.source.currentText(),
            dispute_type=self.dispute_type.currentText(),
            complexity=self.complexity.currentText(),
            people_count=self.people.value(),
            amount=self.amount.text() or 0,
            facts=self.facts.toPlainText(),
            requests=self.requests.toPlainText(),
            risk_criminal_people=self.risk_criminal.value(),
            risk_petition_people=self.risk_petition.value(),
            risk_suicide_people=self.risk_suicide.value(),
            risk_fight_people=self.risk_fight.value(),
            registrar=self.registrar.text() or None,
        )


class RegistrationDialog(_FormDialog):
    def __init__(
        self,
        types: list[str],
        parent: QWidget | None = None,
        *,
        source: str | None = None,
        facts: str = "",
        day: dt.date | None = None,
    ) -> None:
        super().__init__("受理登记", parent)
        self.reg = RegistrationForm(types, self)
        self.form.addRow(self.reg)
        self.fields = self.reg.fields
        if source:
            self.reg.source.setCurrentText(source)
            self.reg.source.setEnabled(False)
        if facts:
            self.reg.facts.setPlainText(facts)
        if day:
            self.reg.accepted_on.setDate(qdate(day))
        self.resize(760, 520)

    def values(self) -> dict:
        return self.reg.values()


class TransitionDialog(_FormDialog):
    """What a state change needs: a date, and reasons / routes / where to / the archive cover."""

    def __init__(
        self,
        transition: rules.Transition,
        parent: QWidget | None = None,
        *,
        today: dt.date | None = None,
        filed_by: str = "",
        volume_no: str = "",
    ) -> None:
        super().__init__(f"{transition.action}：{transition.source} → {transition.target}", parent)
        self.target = transition.target
        self.on_date = date_edit(today)
        self.form.addRow("日期", self.on_date)
        self.fields["on_date"] = self.on_date
        self.reasons = self.routes = self.escalate_to = None
        if self.target in (rules.REJECTED, rules.TERMINATED, rules.FAILED, rules.ESCALATED):
            self.reasons = text_box()
            label = {
                rules.REJECTED: "不予受理理由",
                rules.TERMINATED: "终止理由",
                rules.FAILED: "调解不成的原因",
                rules.ESCALATED: "上报理由",
            }[self.target]
            self.form.addRow(label, self.reasons)
            self.fields["reasons"] = self.reasons
        if self.target == rules.TERMINATED:  # a mediation under way is ended (not a refusal before it)
            self.reasons.setPlainText(law.TERMINATE_REASON)
        if self.target == rules.REJECTED:  # a party refuses before mediation begins: 不得调解
            self.reasons.setPlainText(law.REJECT_REASON)
        if self.target == rules.FAILED:
            box = QHBoxLayout()
            self.routes = {r: QCheckBox(r) for r in rules.FAILURE_ROUTES}
            for cb in self.routes.values():
                box.addWidget(cb)
            holder = QWidget()
            holder.setLayout(box)
            self.form.addRow("已告知的途径", holder)
            self.fields["routes"] = self.routes["诉讼"]
        if self.target == rules.ESCALATED:
            self.escalate_to = combo(rules.ESCALATION_TARGETS)
            self.form.addRow("上报到", self.escalate_to)
            self.fields["escalate_to"] = self.escalate_to
        if self.target == rules.ARCHIVED:
            self.volume_no = QLineEdit(volume_no)  # the next of the committee's numbering
            self.filed_by = QLineEdit(filed_by)
            self.retention = combo(rules.RETENTIONS, "长期")
            self.form.addRow("卷号", self.volume_no)
            self.form.addRow("立卷人", self.filed_by)
            self.form.addRow("保管期限", self.retention)
            self.fields.update(volume_no=self.volume_no, filed_by=self.filed_by, retention=self.retention)
        self.resize(460, 200)

    def values(self) -> dict:
        v = {"on_date": date_of(self.on_date)}
        if self.reasons is not None:
            v["reasons"] = self.reasons.toPlainText()
        if self.routes is not None:
            v["routes"] = [r for r, cb in self.routes.items() if cb.isChecked()]
        if self.escalate_to is not None:
            v["escalate_to"] = self.escalate_to.currentText()
        if self.target == rules.ARCHIVED:
            v.update(
                volume_no=self.volume_no.text(),
                filed_by=self.filed_by.text(),
                retention=self.retention.currentText(),
            )
        return v


def set_warning(label: QLabel, text: str) -> None:
    label.setText(text)
    label.setVisible(bool(text))


def _typed_date(text: str, field: str, label: str) -> dt.date | None:
    text = text.strip()
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text.replace("/", "-").replace(".", "-"))
    except ValueError:
        raise UserError(f"{label}“{text}”不是日期，请按 2012-09-01 的格式填写，或不填", field=field) from None


def minor_warning(id_number: str, birth_text: str, accepted_on: dt.date | None) -> str:
    """The warning shown while a party's ID or birth date is typed: under 18 on the acceptance date."""
    if accepted_on is None:
        return ""
    try:
        birth = _typed_date(birth_text, "birth_date", "出生日期")
    except UserError:
        birth = None
    age = capacity.minor_age(id_number.strip() or None, birth, accepted_on)
    if age is None:
        return ""
    return f"受理时未满十八周岁（{max(age, 0)} 岁）：须由法定代理人代理参加调解，请填写下面的法定代理人。"


class GuardianFields(QWidget):
    """法定代理人: a person from the roster (search) or typed in; name, relation, ID, phone."""

    def __init__(self, session_factory, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        from ui.widgets.person_picker import PersonPicker

        self.person_id: str | None = None
        self.picker = PersonPicker(
            session_factory, self, placeholder="从名册选择：输入姓名、拼音首字母或身份证后几位"
        )
        self.picker.person_chosen.connect(self.choose)
        self.name = QLineEdit()
        self.name.textEdited.connect(self._typed)
        self.relation = combo(("",) + capacity.GUARDIAN_RELATIONS, editable=True)
        self.id_number = QLineEdit()
        self.id_number.textEdited.connect(self._typed)
        self.phone = QLineEdit()
        self.roster_note = QLabel()
        form = QFormLayout(self)
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("从名册选", self.picker)
        form.addRow("法定代理人姓名", self.name)
        form.addRow("与当事人关系", self.relation)
        form.addRow("身份证号", self.id_number)
        form.addRow("联系电话", self.phone)
        form.addRow("", self.roster_note)

    def choose(self, hit) -> None:
        from app.codes import mask_resident_id

        self.person_id = hit.id
        self.name.setText(hit.name)
        self.id_number.setText(mask_resident_id(hit.id_number))
        self.phone.setText(hit.phone or "")
        self.roster_note.setText(f"名册：{hit.name}（{hit.group_name}）——身份证号、电话取自名册")

    def _typed(self, _text: str) -> None:
        """Typing over a roster person's name or ID makes the 法定代理人 a typed-in one."""
        if self.person_id is not None:
            self.person_id = None
            self.roster_note.setText("")
            if "*" in self.id_number.text():
                self.id_number.clear()

    def set_values(self, p) -> None:
        from app.codes import mask_resident_id

        self.person_id = p.guardian_person_id
        self.name.setText(p.guardian_name or "")
        self.relation.setCurrentText(p.guardian_relation or "")
        self.id_number.setText(mask_resident_id(p.guardian_id_number))
        self.phone.setText(p.guardian_phone or "")
        self._masked_id = p.guardian_id_number  # kept unless retyped
        if p.guardian_person_id:
            self.roster_note.setText("名册中的人员——身份证号、电话取自名册")

    def values(self) -> dict:
        id_text = self.id_number.text().strip()
        if "*" in id_text:  # the masked number shown: unchanged
            id_text = getattr(self, "_masked_id", None) or ""
        return dict(
            person_id=self.person_id,
            name=self.name.text(),
            relation=self.relation.currentText(),
            id_number=None if self.person_id else (id_text or None),
            phone=None if self.person_id else (self.phone.text() or None),
        )

    def party_values(self) -> dict:
        """The same, as the ``guardian_*`` arguments of ``registration.add_party``."""
        return {f"guardian_{k}": v for k, v in self.values().items()}

    def field_widgets(self) -> dict[str, QWidget]:
        return {
            "guardian_person_id": self.picker,
            "guardian_name": self.name,
            "guardian_relation": self.relation,
            "guardian_id_number": self.id_number,
            "guardian_phone": self.phone,
        }


class GuardianDialog(_FormDialog):
    """The 法定代理人 of one party (given, changed, or removed by clearing the name)."""

    def __init__(
        self, session_factory, parent: QWidget | None = None, *, party=None, warning: str = ""
    ) -> None:
        name = party.name if party is not None else ""
        super().__init__(f"法定代理人　当事人：{name}", parent)
        self.warning = error_label()
        set_warning(self.warning, warning)
        self.guardian = GuardianFields(session_factory, self)
        if party is not None and party.guardian_name:
            self.guardian.set_values(party)
        hint = QLabel("未成年人或不具有完全民事行为能力的成年人，由法定代理人代为参加调解并签名。")
        hint.setWordWrap(True)
        self.form.addRow(self.warning)
        self.form.addRow(hint)
        self.form.addRow(self.guardian)
        self.fields = {k.removeprefix("guardian_"): w for k, w in self.guardian.field_widgets().items()}
        self.fields.update(self.guardian.field_widgets())
        self.resize(560, 330)

    def values(self) -> dict:
        return self.guardian.values()


class RecusalRequestDialog(_FormDialog):
    """回避申请: which party asks, about which mediator, when, why."""

    def __init__(
        self, parties, mediators, parent: QWidget | None = None, *, day: dt.date | None = None
    ) -> None:
        super().__init__("当事人申请回避（更换调解员）", parent)
        self.parties, self.mediators = list(parties), list(mediators)
        self.party = combo([f"{p.role}：{p.name}" for p in self.parties])
        self.mediator = combo([m.name + ("（主持）" if m.is_lead else "") for m in self.mediators])
        self.requested_on = date_edit(day)
        self.reason = text_box()
        self.reason.setPlaceholderText("如：调解员与对方当事人是亲戚，担心调解不公")
        for label, w in (
            ("提出申请的当事人", self.party),
            ("要求回避的调解员", self.mediator),
            ("申请日期", self.requested_on),
            ("申请理由", self.reason),
        ):
            self.form.addRow(label, w)
        self.fields = {
            "party_id": self.party,
            "mediator_id": self.mediator,
            "requested_on": self.requested_on,
            "reason": self.reason,
        }
        self.resize(520, 300)

    def values(self) -> dict:
        return dict(
            party_id=self.parties[self.party.currentIndex()].id if self.parties else "",
            mediator_id=self.mediators[self.mediator.currentIndex()].id if self.mediators else "",
            requested_on=date_of(self.requested_on),
            reason=self.reason.toPlainText(),
        )


class RecusalDecisionDialog(_FormDialog):
    """The committee's decision on a 回避 request: 同意 with the replacement, or 不同意 with the reason."""

    def __init__(
        self,
        request,
        users: list[tuple[str, str]],
        parent: QWidget | None = None,
        *,
        lead: bool = False,
        day: dt.date | None = None,
        invited: list[str] | tuple[str, ...] = (),
    ) -> None:
        """``invited``: the outside mediators named in earlier cases, offered as the replacement is typed."""
        super().__init__(f"回避申请的决定：调解员{request.mediator_name}", parent)
        from app.mediation import recusal

        self.decision = combo(recusal.DECISIONS)
        self.decided_on = date_edit(day)
        self.replacement_user = QComboBox()
        self.replacement_user.addItem("（不选本站账号）", None)
        for user_id, name in users:
            self.replacement_user.addItem(name, user_id)
        self.replacement_name = QLineEdit()
        self.replacement_name.setPlaceholderText("或填写外聘调解员姓名（乡贤、律师等）")
        # (not the one stepping aside)
        list_as_typed(self.replacement_name, [n for n in invited if n != request.mediator_name])
        self.note = text_box(45)
        info = QLabel(f"申请理由：{request.reason}")
        info.setWordWrap(True)
        self.form.addRow(info)
        if lead:
            rule = QLabel(f"{request.mediator_name}是调解主持人：{law.quoted(law.RECUSAL)}")
            rule.setWordWrap(True)
            self.form.addRow(rule)
        for label, w in (
            ("决定", self.decision),
            ("决定日期", self.decided_on),
            ("接替的调解员", self.replacement_user),
            ("", self.replacement_name),
            ("说明（不同意时必填）", self.note),
        ):
            self.form.addRow(label, w)
        self.fields = {
            "decision": self.decision,
            "decided_on": self.decided_on,
            "replacement": self.replacement_user,
            "mediator": self.replacement_name,
            "note": self.note,
        }
        self.resize(560, 360)

    def values(self) -> dict:
        return dict(
            decision=self.decision.currentText(),
            decided_on=date_of(self.decided_on),
            replacement_user_id=self.replacement_user.currentData(),
            replacement_name=self.replacement_name.text(),
            note=self.note.toPlainText(),
        )


_KNOWN_ROLE = Qt.ItemDataRole.UserRole + 1  # the offered party's place in ``PartyDialog.known``
_NAME_ROLE = Qt.ItemDataRole.UserRole + 2  # what the completer matches and writes into the box: the name


class PartyDialog(_FormDialog):
    """An outside person or organisation (roster persons are picked by pinyin on the tab itself), with
    the 法定代理人 of a person who needs one: a warning shows as soon as the ID or the birth date typed
    says the party was under 18 on the acceptance date.

    ``known``: the outside parties of earlier cases (:func:`app.mediation.registration.known_outside_parties`);
    the name box offers them as its first characters are typed, and one chosen fills the form (its ID
    masked, taken whole by the service from the earlier case)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        accepted_on: dt.date | None = None,
        session_factory=None,
        known: list[KnownParty] | tuple[KnownParty, ...] = (),
    ) -> None:
        super().__init__("添加当事人（名册外）", parent)
        self.accepted_on = accepted_on
        self.known = list(known)
        self.same_as: str | None = None
        self.role = combo(rules.PARTY_ROLES)
        self.kind = combo(rules.PARTY_KINDS)
        self.name = QLineEdit()
        self.sex = combo(("", "男", "女"))
        self.ethnicity = QLineEdit("汉族")
        self.id_number = QLineEdit()
        self.occupation = QLineEdit()
        self.phone = QLineEdit()
        self.address = QLineEdit()
        self.representative = QLineEdit()
        self.representative_title = QLineEdit()
        self.birth_date = QLineEdit()
        self.birth_date.setPlaceholderText("如 2012-09-01；有身份证号可不填")
        self.minor_warning = error_label()
        self.guardian = GuardianFields(session_factory, self) if session_factory is not None else None
        for label, w in (
            ("身份", self.role),
            ("类别", self.kind),
            ("姓名/单位名称", self.name),
            ("性别", self.sex),
            ("民族", self.ethnicity),
            ("身份证号", self.id_number),
            ("出生日期", self.birth_date),
            ("职业或职务", self.occupation),
            ("联系方式", self.phone),
            ("住址", self.address),
            ("代表人（单位）", self.representative),
            ("代表人职务", self.representative_title),
        ):
            self.form.addRow(label, w)
        self.form.addRow(self.minor_warning)
        if self.guardian is not None:
            box = QGroupBox("法定代理人（未成年人、不具有完全民事行为能力的成年人）")
            QVBoxLayout(box).addWidget(self.guardian)
            self.form.addRow(box)
        self.id_number.textChanged.connect(self._check_minor)
        self.birth_date.textChanged.connect(self._check_minor)
        self.kind.currentTextChanged.connect(self._check_minor)
        self.fields = {
            "role": self.role,
            "kind": self.kind,
            "name": self.name,
            "id_number": self.id_number,
            "birth_date": self.birth_date,
            "phone": self.phone,
            "representative": self.representative,
        }
        if self.guardian is not None:
            self.fields.update(self.guardian.field_widgets())
        if self.known:
            self.name.setPlaceholderText("输入姓名或单位名称；先前案件中的当事人会列出，选中即填好")
            model = QStandardItemModel(self)
            for n, k in enumerate(self.known):
                item = QStandardItem(k.label)
                item.setData(n, _KNOWN_ROLE)
                item.setData(k.name, _NAME_ROLE)
                model.appendRow(item)
            completer = QCompleter(model, self)
            completer.setCompletionRole(_NAME_ROLE)
            completer.setFilterMode(Qt.MatchFlag.MatchContains)
            completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
            completer.setMaxVisibleItems(12)
            self.name.setCompleter(completer)
            # the list as wide as its longest line (address, phone, case), within the screen: two of one name
            # are told apart by what follows the name, which a list as narrow as the box would cut
            widest = max(completer.popup().fontMetrics().horizontalAdvance(k.label) for k in self.known)
            screen = self.screen().availableGeometry().width() if self.screen() is not None else 1366
            completer.popup().setMinimumWidth(min(widest + 40, screen - 40))
            completer.activated[QModelIndex].connect(lambda index: self.fill_from(index.data(_KNOWN_ROLE)))
            self.name.textEdited.connect(self._another_name)

    def _another_name(self, text: str) -> None:
        """A name typed over the one filled in: that party's masked ID no longer stands for anyone."""
        chosen = next((k for k in self.known if k.party_id == self.same_as), None)
        if chosen is not None and text.strip() != chosen.name:
            self.same_as = None
            if self.id_number.text() == chosen.id_masked:
                self.id_number.clear()

    def fill_from(self, n: int | None) -> None:
        """The form as the earlier case had this party (the 身份 and the guardian are this case's own)."""
        if n is None or not 0 <= n < len(self.known):
            return
        k = self.known[n]
        self.same_as = k.party_id
        self.kind.setCurrentText(k.kind)
        self.name.setText(k.name)
        self.sex.setCurrentText(k.sex or "")
        self.ethnicity.setText(k.ethnicity or "")
        self.id_number.setText(k.id_masked)
        self.birth_date.setText(k.birth_date.isoformat() if k.birth_date else "")  # (its minor warning)
        for box, value in (
            (self.occupation, k.occupation),
            (self.phone, k.phone),
            (self.address, k.address),
            (self.representative, k.representative),
            (self.representative_title, k.representative_title),
        ):
            box.setText(value or "")

    def _check_minor(self, _text: str = "") -> None:
        warn = ""
        if self.kind.currentText() == "个人":
            warn = minor_warning(self.id_number.text(), self.birth_date.text(), self.accepted_on)
        set_warning(self.minor_warning, warn)

    def values(self) -> dict:
        guardian = self.guardian.party_values() if self.guardian is not None else {}
        return guardian | dict(
            birth_date=_typed_date(self.birth_date.text(), "birth_date", "出生日期"),
            role=self.role.currentText(),
            kind=self.kind.currentText(),
            name=self.name.text(),
            sex=self.sex.currentText() or None,
            ethnicity=self.ethnicity.text() or None,
            id_number=self.id_number.text() or None,
            occupation=self.occupation.text() or None,
            phone=self.phone.text() or None,
            address=self.address.text(),
            representative=self.representative.text() or None,
            representative_title=self.representative_title.text() or None,
            same_as=self.same_as,
        )


class SessionDialog(_FormDialog):
    """``defaults``: what the case's last meeting (or the committee's) said, typed once
    (:func:`app.mediation.meetings.meeting_defaults`)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        mediator: str = "",
        parties: str = "",
        defaults: dict[str, str] | None = None,
    ) -> None:
        super().__init__("调解记录", parent)
        earlier = defaults or {}
        self.held_at = QDateTimeEdit(QDateTime.currentDateTime())
        self.held_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.held_at.setCalendarPopup(True)
        self.place = QLineEdit(earlier.get("place") or "村委会调解室")
        self.participants = QLineEdit(earlier.get("participants", ""))
        self.parties_present = QLineEdit(parties)
        self.statements = text_box()
        self.verification = text_box(45)
        self.risk_notice = text_box(45)
        self.risk_notice.setPlainText(earlier.get("risk_notice", ""))
        self.result = combo(rules.SESSION_RESULTS)
        self.result_detail = text_box(45)
        self.mediator_name = QLineEdit(mediator)
        self.recorder_name = QLineEdit(earlier.get("recorder_name", ""))
        for label, w in (
            ("调解时间", self.held_at),
            ("调解地点", self.place),
            ("参加人", self.participants),
            ("到场当事人", self.parties_present),
            ("当事人陈述", self.statements),
            ("调查核实", self.verification),
            ("风险告知", self.risk_notice),
            ("调解结果", self.result),
            ("结果说明", self.result_detail),
            ("调解员", self.mediator_name),
            ("记录人", self.recorder_name),
        ):
            self.form.addRow(label, w)
        self.fields = {
            "held_at": self.held_at,
            "place": self.place,
            "result": self.result,
            "rights_notice": self.held_at,
        }
        self.resize(680, 600)

    def values(self) -> dict:
        held = pydatetime(self.held_at.dateTime())
        return dict(
            held_at=held,
            place=self.place.text(),
            participants=self.participants.text(),
            parties_present=self.parties_present.text(),
            statements=self.statements.toPlainText(),
            verification=self.verification.toPlainText(),
            risk_notice=self.risk_notice.toPlainText(),
            result=self.result.currentText(),
            result_detail=self.result_detail.toPlainText(),
            mediator_name=self.mediator_name.text(),
            recorder_name=self.recorder_name.text(),
        )


class SignatureDialog(_FormDialog):
    """A signature: which signer, how (paper, fingerprint, seal, or a signature image), and when."""

    def __init__(
        self,
        signers: list[tuple[str, str | None, str]],
        parent: QWidget | None = None,
        *,
        day: dt.date | None = None,
    ) -> None:
        super().__init__("登记签名", parent)
        self.signers = signers  # (role, party_id, name)
        self.signer = combo([f"{r}：{n}" if n else r for r, _p, n in signers])
        self.name = QLineEdit()
        self.method = combo(rules.SIGN_METHODS, "纸质签字")
        self.signed_on = date_edit(day)
        self.png_path = QLineEdit()
        self.png_path.setPlaceholderText("签名板签名的图片（PNG）")
        browse = QPushButton("选择图片…")
        browse.clicked.connect(self._browse)
        row = QHBoxLayout()
        row.addWidget(self.png_path, 1)
        row.addWidget(browse)
        self.form.addRow("签名人", self.signer)
        self.form.addRow("姓名（调解员/记录人）", self.name)
        self.form.addRow("方式", self.method)
        self.form.addRow("日期", self.signed_on)
        self.form.addRow("签名图像", row)
        self.signer.currentIndexChanged.connect(self._signer_changed)
        self._signer_changed(0)
        self.fields = {
            "signer_name": self.name,
            "method": self.method,
            "signed_on": self.signed_on,
            "png": self.png_path,
            "party_id": self.signer,
        }

    def _signer_changed(self, i: int) -> None:
        if 0 <= i < len(self.signers):
            self.name.setText(self.signers[i][2])

    def _browse(self) -> None:
        path, _ = ask_open_file_name(self, "选择签名图片", "", "PNG 图片 (*.png)")
        if path:
            self.png_path.setText(path)
            self.method.setCurrentText("签名板")

    def values(self) -> dict:
        role, party_id, _n = self.signers[self.signer.currentIndex()]
        png = None
        if self.png_path.text().strip():
            from pathlib import Path

            p = Path(self.png_path.text().strip())
            if not p.is_file():
                raise UserError(f"找不到签名图片 {p}", field="png")
            png = p.read_bytes()
        return dict(
            signer_role=role,
            party_id=party_id,
            signer_name=self.name.text(),
            method=self.method.currentText(),
            signed_on=date_of(self.signed_on),
            png=png,
        )


class FollowUpDialog(_FormDialog):
    def __init__(self, parent: QWidget | None = None, *, visitor: str = "") -> None:
        super().__init__("回访记录", parent)
        self.visited_on = date_edit()
        self.visitor = QLineEdit(visitor)
        self.subject = QLineEdit("回访协议履行情况")
        self.performance = text_box(45)
        self.satisfaction = combo(rules.SATISFACTION)
        self.attitude = text_box(40)
        self.signs = text_box(40)
        self.measures = text_box(40)
        for label, w in (
            ("回访日期", self.visited_on),
            ("回访人", self.visitor),
            ("回访事由", self.subject),
            ("协议履行情况", self.performance),
            ("当事人满意度", self.satisfaction),
            ("思想变化", self.attitude),
            ("新的纠纷苗头", self.signs),
            ("采取的措施", self.measures),
        ):
            self.form.addRow(label, w)
        self.fields = {
            "visited_on": self.visited_on,
            "visitor": self.visitor,
            "performance": self.performance,
            "satisfaction": self.satisfaction,
        }
        self.resize(600, 480)

    def values(self) -> dict:
        return dict(
            visited_on=date_of(self.visited_on),
            visitor=self.visitor.text(),
            subject=self.subject.text(),
            performance=self.performance.toPlainText(),
            satisfaction=self.satisfaction.currentText(),
            attitude_changes=self.attitude.toPlainText(),
            new_dispute_signs=self.signs.toPlainText(),
            measures=self.measures.toPlainText(),
        )


class ScreeningDialog(_FormDialog):
    """One screening round: 定期 or 不定期, and what it found, one line per dispute with what became of it.
    No line is a 零报告."""

    def __init__(
        self, parent: QWidget | None = None, *, screeners: str = "", place: str = "全村各村民小组"
    ) -> None:
        super().__init__("登记排查", parent)
        self.round_date = date_edit()
        self.round_kind = QComboBox()
        self.round_kind.addItem("定期（本期的例行排查）", "定期")
        self.round_kind.addItem("不定期（节前、汛后等专项排查）", "不定期")
        self.screeners = QLineEdit(screeners)
        self.place = QLineEdit(place)
        self.items = QTableWidget(0, 3)
        self.items.setHorizontalHeaderLabels(["发现的纠纷", "处理情况", "移交给谁（移交处理时填）"])
        self.items.horizontalHeader().setStretchLastSection(True)
        self.items.setColumnWidth(0, 260)
        self.items.setColumnWidth(1, 110)
        self.items.setMinimumHeight(130)
        add = QPushButton("添加一项发现")
        remove = QPushButton("删除选中项")
        add.clicked.connect(lambda: self.add_item())
        remove.clicked.connect(self.remove_item)
        self.count = QLabel()
        buttons = QHBoxLayout()
        buttons.addWidget(add)
        buttons.addWidget(remove)
        buttons.addWidget(self.count, 1)
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.items)
        lay.addLayout(buttons)
        self.measures = text_box(45)
        for label, w in (
            ("排查日期", self.round_date),
            ("排查类型", self.round_kind),
            ("排查人", self.screeners),
            ("地点范围", self.place),
            ("发现的纠纷", box),
            ("采取的措施", self.measures),
        ):
            self.form.addRow(label, w)
        self.fields = {
            "round_date": self.round_date,
            "round_kind": self.round_kind,
            "screeners": self.screeners,
            "place": self.place,
            "items": self.items,
            "findings": self.items,
        }
        self._update_count()
        self.resize(640, 520)

    def add_item(
        self, description: str = "", disposition: str = rules.SETTLED_ON_SPOT, referred_to: str = ""
    ) -> None:
        row = self.items.rowCount()
        self.items.insertRow(row)
        self.items.setItem(row, 0, QTableWidgetItem(description))
        combo = QComboBox()
        combo.addItems(list(rules.DISPOSITIONS))
        combo.setCurrentText(disposition)
        self.items.setCellWidget(row, 1, combo)
        self.items.setItem(row, 2, QTableWidgetItem(referred_to))
        self._update_count()

    def remove_item(self) -> None:
        row = self.items.currentRow()
        if row >= 0:
            self.items.removeRow(row)
        self._update_count()

    def _update_count(self) -> None:
        n = self.items.rowCount()
        self.count.setText(f"共发现 {n} 起" if n else "没有发现：本次为零报告")

    def item_inputs(self) -> list:
        from app.mediation.screening import ItemInput

        out = []
        for row in range(self.items.rowCount()):
            text = self.items.item(row, 0)
            referred = self.items.item(row, 2)
            combo = self.items.cellWidget(row, 1)
            out.append(
                ItemInput(
                    text.text() if text else "",
                    combo.currentText() if isinstance(combo, QComboBox) else "",
                    referred.text() if referred else "",
                )
            )
        return out

    def values(self) -> dict:
        return dict(
            round_date=date_of(self.round_date),
            round_kind=self.round_kind.currentData(),
            screeners=self.screeners.text(),
            place=self.place.text(),
            items=self.item_inputs(),
            measures=self.measures.toPlainText(),
        )


def align_top(label: QLabel) -> QLabel:
    label.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
    label.setWordWrap(True)
    return label


READ_ONLY = "minqing_read_only"


def set_read_only(root: QWidget, read_only: bool) -> None:
    """Show a form's values as read-only text instead of greyed-out editors (an archived case, a village's
    case at the town): text boxes, dates and numbers become read-only, drop-downs and check boxes stop
    taking input but keep their normal colours, and everything stays selectable and readable."""
    from PySide6.QtWidgets import QAbstractSpinBox, QCheckBox, QComboBox, QPlainTextEdit, QTextEdit

    for w in [root, *root.findChildren(QWidget)]:
        if isinstance(w, QLineEdit | QTextEdit | QPlainTextEdit):
            w.setReadOnly(read_only)
        elif isinstance(w, QAbstractSpinBox):
            w.setReadOnly(read_only)
            w.setButtonSymbols(
                QAbstractSpinBox.ButtonSymbols.NoButtons
                if read_only
                else QAbstractSpinBox.ButtonSymbols.UpDownArrows
            )
        elif isinstance(w, QComboBox | QCheckBox):
            w.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents, read_only)
            w.setFocusPolicy(Qt.FocusPolicy.NoFocus if read_only else Qt.FocusPolicy.StrongFocus)
        else:
            continue
        w.setEnabled(True)
        w.setProperty(READ_ONLY, read_only)
