"""联户包案's dialogs: opening a 包案 (the 五个一 and the 四到位), editing it, revising the plan, changing the
包案领导, adding a team member, linking records, and the 销号 steps. Each runs its service on 确定 and stays
open with the message (and the field focused) when the service refuses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.dates import cn_date
from app.errors import UserError
from app.keycases import cases

from ui.app import at_font_size
from ui.dates import date_edit, date_of
from ui.widgets.fit import FitsScreen, FittingScroll
from ui.widgets.offered import list_as_typed


def show_error(parent: QWidget | None, exc: UserError, fields: dict[str, QWidget] | None = None) -> None:
    QMessageBox.warning(parent, "请检查", exc.message)
    if fields and exc.field in fields:
        fields[exc.field].setFocus()


def _text_box(text: str = "", height: int = 70) -> QPlainTextEdit:
    box = QPlainTextEdit(text)
    box.setTabChangesFocus(True)
    box.setMinimumHeight(height)
    return box


class FormDialog(FitsScreen, QDialog):
    """A scrollable form with 确定/取消; 确定 runs ``on_accept(values)`` (a UserError keeps it open)."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        inner = QWidget()
        self.form = QFormLayout(inner)
        scroll = FittingScroll(inner)  # up and down only: a field as wide as its hint widens the form
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        lay = QVBoxLayout(self)
        lay.addWidget(scroll)
        lay.addWidget(buttons)
        self.fields: dict[str, QWidget] = {}
        self.on_accept: Callable[[dict[str, Any]], object] | None = None

    def values(self) -> dict[str, Any]:
        raise NotImplementedError

    def accept(self) -> None:
        if self.on_accept is not None:
            try:
                self.on_accept(self.values())
            except UserError as exc:
                show_error(self, exc, self.fields)
                return
        super().accept()


class PersonField(QWidget):
    """包案领导 or a team member: an account here (the list), or a name and unit typed in."""

    def __init__(self, choices: list[cases.PersonRef], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.choices = choices
        self.combo = QComboBox()
        self.combo.setEditable(True)
        self.combo.addItem("", None)
        for c in choices:
            self.combo.addItem(c.name, c.user_id)
        self.combo.lineEdit().setPlaceholderText("选本站账号，或直接写姓名")
        self.unit = QLineEdit()
        self.unit.setPlaceholderText("单位、职务（如 东城镇党委副书记）")
        self.combo.currentIndexChanged.connect(self._chosen)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.combo, 2)
        lay.addWidget(self.unit, 3)

    def _chosen(self, index: int) -> None:
        if index > 0:
            self.unit.setText(self.choices[index - 1].unit)

    def value(self) -> cases.PersonRef:
        name = self.combo.currentText().strip()
        index = self.combo.currentIndex()
        if index > 0 and self.combo.itemText(index) == name:
            return cases.PersonRef(name, self.unit.text().strip(), self.combo.itemData(index))
        return cases.PersonRef(name, self.unit.text().strip())


class StepsFields(QWidget):
    """四到位: a check box per 到位, with its steps when it applies."""

    def __init__(self, steps: dict[str, str] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.rows: dict[str, tuple[QCheckBox, QPlainTextEdit]] = {}
        for col, name, when in cases.FOUR:
            text = (steps or {}).get(col, "")
            box = QCheckBox(f"{name}（{when}）")
            edit = _text_box(text, 48)
            edit.setPlaceholderText(f"{name}的措施")
            box.setChecked(bool(text))
            edit.setVisible(bool(text))
            box.toggled.connect(edit.setVisible)
            lay.addWidget(box)
            lay.addWidget(edit)
            self.rows[col] = (box, edit)

    def value(self) -> dict[str, str]:
        return {col: edit.toPlainText() if box.isChecked() else "" for col, (box, edit) in self.rows.items()}


class CaseDialog(FormDialog):
    """开立包案 (``detail`` None) or 修改 (the case's words, 责任部门, 稳控措施, the 四到位)."""

    def __init__(
        self,
        parent: QWidget | None,
        session_factory: Callable[[], Any],
        choices: list[cases.PersonRef],
        detail: cases.KeyCaseDetail | None = None,
        departments: list[str] | tuple[str, ...] = (),
    ) -> None:
        super().__init__("修改包案" if detail else "开立包案", parent)
        self.detail = detail
        self.household_id: str | None = detail.household_id if detail else None
        self.person_id: str | None = detail.person_id if detail else None
        if detail is None:
            from ui.widgets.person_picker import PersonPicker

            self.picker = PersonPicker(
                session_factory, self, placeholder="从名册选人：姓名、拼音首字母或身份证后几位"
            )
            self.picker.person_chosen.connect(self._picked)
            self.who = QLabel("（尚未选择）")
            self.form.addRow("所属户和当事人", self.picker)
            self.form.addRow("", self.who)
            self.fields["household"] = self.picker
            self.fields["person"] = self.picker
        else:
            self.form.addRow("所属户", QLabel(f"{detail.household} {detail.person_name}".strip()))
        self.title = QLineEdit(detail.title if detail else "")
        self.title.setPlaceholderText("一句话写明案由，如 宅基地界址争议多次上访")
        self.summary = _text_box(detail.summary if detail else "")
        self.form.addRow("案由", self.title)
        self.form.addRow("基本案情", self.summary)
        self.fields.update(title=self.title, summary=self.summary)
        if detail is None:
            self.opened_on = date_edit(None)
            self.form.addRow("开立日期", self.opened_on)
            self.leader = PersonField(choices)
            self.form.addRow("包案领导", self.leader)
            self.team = QListWidget()
            self.team.setMaximumHeight(at_font_size(80))
            self.member = PersonField(choices)
            add = QPushButton("加入工作班子")
            add.clicked.connect(self._add_member)
            remove = QPushButton("移出所选")
            remove.clicked.connect(lambda: self.team.takeItem(self.team.currentRow()))
            row = QHBoxLayout()
            row.addWidget(self.member, 1)
            row.addWidget(add)
            row.addWidget(remove)
            self.form.addRow("工作班子", self.team)
            self.form.addRow("", row)
            self.plan = _text_box("", 90)
            self.form.addRow("化解方案", self.plan)
            self.fields.update(
                opened_on=self.opened_on, leader=self.leader.combo, team=self.member.combo, plan=self.plan
            )
        self.department = QLineEdit(detail.department if detail else "")
        self.department.setPlaceholderText("如 镇信访办、镇国土所")
        list_as_typed(self.department, departments)  # those written for earlier 包案
        self.stabilization = _text_box(detail.stabilization if detail else "")
        self.steps = StepsFields(detail.steps if detail else None)
        self.form.addRow("责任部门", self.department)
        self.form.addRow("稳控措施", self.stabilization)
        self.form.addRow("四到位", self.steps)
        self.fields.update(department=self.department, stabilization=self.stabilization, steps=self.steps)
        self.resize(820, 640)

    def _picked(self, hit: Any) -> None:
        self.household_id, self.person_id = hit.household_id, hit.id
        self.who.setText(f"{hit.head_name}户（{hit.group_name}），当事人：{hit.name}")

    def _add_member(self) -> None:
        ref = self.member.value()
        if not ref.name:
            return
        item = QListWidgetItem(ref.label)
        item.setData(Qt.ItemDataRole.UserRole, ref)
        self.team.addItem(item)
        self.member.combo.setCurrentIndex(0)
        self.member.combo.setEditText("")
        self.member.unit.clear()

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "title": self.title.text(),
            "summary": self.summary.toPlainText(),
            "department": self.department.text(),
            "stabilization": self.stabilization.toPlainText(),
            "steps": self.steps.value(),
        }
        if self.detail is None:
            out.update(
                household_id=self.household_id or "",
                person_id=self.person_id,
                opened_on=date_of(self.opened_on),
                leader=self.leader.value(),
                team=[self.team.item(i).data(Qt.ItemDataRole.UserRole) for i in range(self.team.count())],
                plan=self.plan.toPlainText(),
            )
        else:
            out["person_id"] = self.person_id
        return out


class SimpleDialog(FormDialog):
    """A few named fields: ("text"|"line"|"date"|"person", key, label, initial)."""

    def __init__(
        self,
        title: str,
        parent: QWidget | None,
        specs: list[tuple[str, str, str, Any]],
        choices: list[cases.PersonRef] | None = None,
        note: str = "",
    ) -> None:
        super().__init__(title, parent)
        if note:
            label = QLabel(note)
            label.setWordWrap(True)
            self.form.addRow(label)
        self.widgets: dict[str, tuple[str, QWidget]] = {}
        for kind, key, label_text, initial in specs:
            w: QWidget
            if kind == "text":
                w = _text_box(initial or "", 110)
            elif kind == "line":
                w = QLineEdit(initial or "")
            elif kind == "date":
                w = date_edit(initial)
            else:
                w = PersonField(choices or [])
            self.form.addRow(label_text, w)
            self.widgets[key] = (kind, w)
            self.fields[key] = w.combo if isinstance(w, PersonField) else w
        self.resize(640, 380)

    def values(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for key, (_kind, w) in self.widgets.items():
            if isinstance(w, QPlainTextEdit):
                out[key] = w.toPlainText()
            elif isinstance(w, QLineEdit):
                out[key] = w.text()
            elif isinstance(w, PersonField):
                out[key] = w.value()
            else:
                out[key] = date_of(w)  # type: ignore[arg-type]
        return out


class LinkDialog(FormDialog):
    """关联记录: tick the household's diary entries, demands and cases (picked, never retyped)."""

    def __init__(self, parent: QWidget | None, choices: list[cases.LinkChoice], linked: set[str]) -> None:
        super().__init__("关联民情日记、诉求或调解案件", parent)
        note = QLabel("这一户的民情日记、诉求和调解案件，勾选要关联的（已做的事写在这些记录里，不用重写）。")
        note.setWordWrap(True)
        self.form.addRow(note)
        self.list = QListWidget()
        for c in choices:
            item = QListWidgetItem(f"{c.kind}  {cn_date(c.when)}  {c.text}")
            item.setData(Qt.ItemDataRole.UserRole, (c.table, c.target_id))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if c.target_id in linked else Qt.CheckState.Unchecked)
            self.list.addItem(item)
        if not choices:
            self.form.addRow(QLabel("这一户还没有民情日记、诉求或调解案件。"))
        self.form.addRow(self.list)
        self.fields["links"] = self.list
        self.resize(760, 460)

    def values(self) -> dict[str, Any]:
        chosen = []
        for i in range(self.list.count()):
            item = self.list.item(i)
            if item.checkState() == Qt.CheckState.Checked:
                chosen.append(item.data(Qt.ItemDataRole.UserRole))
        return {"chosen": chosen}


def today() -> dt.date:
    return dt.date.today()
