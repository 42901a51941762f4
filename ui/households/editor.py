"""户 editor: head and members, address, phones, tags, contact and area cadre, card delivery, notes."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QAbstractTableModel, QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from db import vocab

from app.accounts import can
from app.errors import UserError
from app.households import cadres as cadre_svc
from app.households import checks, roster
from app.households import tags as tag_svc

from ui.app import at_font_size
from ui.dates import pydate, qdate
from ui.widgets.confirm import confirmed_removal
from ui.widgets.fit import FitsScreen, FittingScroll
from ui.widgets.form_draft import FormDraft, KeptPart
from ui.widgets.inline_error import ERROR_STYLE, error_label, show_error
from ui.widgets.offered import OfferedText

MAX_KEPT_MEMBERS = 200  # a draft with more members than any household has is not one this program wrote
WARN_STYLE = "color: #8a6d00;"


class MembersModel(QAbstractTableModel):
    """The few members of one household being edited (a form's list, not a data table)."""

    HEADERS = ("姓名", "与户主关系", "性别", "出生日期", "身份证号", "电话", "状态")

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.members: list[checks.MemberInput] = []
        self.status: dict[str, str] = {}

    def set_members(self, members: list[checks.MemberInput], status: dict[str, str]) -> None:
        self.beginResetModel()
        self.members, self.status = members, status
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.members)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.HEADERS)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        m = self.members[index.row()]
        values = (
            m.name,
            m.relation,
            m.sex or "",
            f"{m.birth_date:%Y-%m-%d}" if m.birth_date else "",
            m.id_number or "",
            m.phone or "",
            self.status.get(m.id or "", "在册（未保存）" if not m.id else "在册"),
        )
        return values[index.column()]

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self.HEADERS[section]
        return None


class MemberDialog(FitsScreen, QDialog):
    """One member; every field is checked as soon as it is left (messages under the field)."""

    def __init__(self, ctx, member: checks.MemberInput | None = None, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.setWindowTitle("家庭成员")
        self.setMinimumWidth(520)
        self.member = member or checks.MemberInput(name="")
        form = QFormLayout(self)
        self.name = QLineEdit(self.member.name)
        self.relation = QComboBox()
        self.relation.setEditable(True)
        self.relation.addItems(checks.RELATIONS)
        self.relation.setCurrentText(self.member.relation or "")
        self.sex = QComboBox()
        self.sex.addItems(["", "男", "女"])
        self.sex.setCurrentText(self.member.sex or "")
        self.has_birth = QCheckBox("已知")
        self.birth = QDateEdit(qdate(self.member.birth_date))
        self.birth.setDisplayFormat("yyyy-MM-dd")
        self.birth.setCalendarPopup(True)
        self.has_birth.setChecked(self.member.birth_date is not None)
        self.id_number = QLineEdit(self.member.id_number or "")
        self.id_number.setPlaceholderText("18 位身份证号（末位可为 X）")
        self.reveal = QPushButton("显示完整号码")
        self.reveal.setEnabled(
            bool(self.member.id and self.member.id_number and can(ctx.user, "reveal_resident_id"))
        )
        self.reveal.setToolTip(
            "查看完整身份证号会记入审计日志"
            if can(ctx.user, "reveal_resident_id")
            else "您的角色不能查看完整身份证号"
        )
        self.reveal.clicked.connect(self._reveal)
        self.ethnicity = QLineEdit(self.member.ethnicity or "汉")
        self.phone = QLineEdit(self.member.phone or "")
        self.occupation = QLineEdit(self.member.occupation or "")
        self.notes = QLineEdit(self.member.notes or "")
        self.messages: dict[str, QLabel] = {}
        birth_row = QHBoxLayout()
        birth_row.addWidget(self.has_birth)
        birth_row.addWidget(self.birth, 1)
        id_row = QHBoxLayout()
        id_row.addWidget(self.id_number, 1)
        id_row.addWidget(self.reveal)
        for key, label_text, widget in (
            ("name", "姓名", self.name),
            ("relation", "与户主关系", self.relation),
            ("sex", "性别", self.sex),
            ("birth_date", "出生日期", birth_row),
            ("id_number", "身份证号", id_row),
            ("ethnicity", "民族", self.ethnicity),
            ("phone", "联系电话", self.phone),
            ("occupation", "职业", self.occupation),
            ("notes", "备注", self.notes),
        ):
            if isinstance(widget, QHBoxLayout):
                box = QWidget()
                box.setLayout(widget)
                widget.setContentsMargins(0, 0, 0, 0)
                widget = box
            col = QVBoxLayout()
            col.setSpacing(1)
            col.addWidget(widget)
            msg = QLabel()
            msg.setWordWrap(True)
            msg.hide()
            col.addWidget(msg)
            self.messages[key] = msg
            holder = QWidget()
            holder.setLayout(col)
            col.setContentsMargins(0, 0, 0, 0)
            form.addRow(label_text, holder)
        for w in (self.name, self.id_number, self.phone):
            w.editingFinished.connect(self.validate)
        self.sex.currentIndexChanged.connect(self.validate)
        self.birth.editingFinished.connect(self.validate)
        self.has_birth.toggled.connect(self.validate)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self._accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)
        self.name.setFocus()
        self.draft: FormDraft | None = None

    def keep_draft(self, key: str) -> None:
        """Keep what is typed here as a draft of ``key`` (a member being added, or a saved member)."""
        self.draft = FormDraft(self, self.ctx, "household_member", key)

    def _reveal(self) -> None:
        try:
            with self.ctx.work() as w:
                number = roster.reveal_resident_id(w, self.member.id)
        except UserError as exc:
            QMessageBox.warning(self, "无法查看", exc.message)
            return
        self.id_number.setText(number or "")
        self.reveal.setEnabled(False)

    def current(self) -> checks.MemberInput:
        return checks.MemberInput(
            name=self.name.text(),
            relation=self.relation.currentText(),
            sex=self.sex.currentText() or None,
            birth_date=pydate(self.birth.date()) if self.has_birth.isChecked() else None,
            id_number=self.id_number.text() or None,
            ethnicity=self.ethnicity.text() or None,
            phone=self.phone.text() or None,
            occupation=self.occupation.text() or None,
            notes=self.notes.text(),
            id=self.member.id,
        )

    def validate(self) -> list[checks.Problem]:
        clean, problems = checks.check_member(self.current())
        for msg in self.messages.values():
            msg.hide()
        for p in problems:
            msg = self.messages.get(p.field)
            if msg is not None and not msg.isVisible():
                msg.setText(p.message)
                msg.setStyleSheet(ERROR_STYLE if p.level == "error" else WARN_STYLE)
                msg.show()
        if not self.has_birth.isChecked() and clean.birth_date:
            self.birth.setDate(qdate(clean.birth_date))
        self.adjustSize()
        return problems

    def _accept(self) -> None:
        problems = [p for p in self.validate() if p.level == "error"]
        if problems:
            {"name": self.name, "id_number": self.id_number, "phone": self.phone}.get(
                problems[0].field, self.name
            ).setFocus()
            return
        clean, _ = checks.check_member(self.current())
        self.member = clean
        self.accept()


class HouseholdDialog(FitsScreen, QDialog):
    """New household (``household_id`` None) or edit an existing one.

    The 走访记录 tab shows the diary's visit timeline and "last visited" (read-only; the diary is where
    visits are written). Its button emits ``open_diary(household_id, label)`` and, inside the main
    window, opens 民情日记 filtered to this household.
    """

    open_diary = Signal(str, str)

    def __init__(self, ctx, household_id: str | None = None, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id = household_id
        self.setWindowTitle("新建户" if household_id is None else "编辑户")
        self.resize(1000, 700)
        self.saved_id: str | None = None
        dialog_layout = QVBoxLayout(self)
        self.tabs = QTabWidget(self)
        dialog_layout.addWidget(self.tabs, 1)
        roster_tab = QWidget()
        fields = QWidget(roster_tab)
        outer = QVBoxLayout(fields)
        self.tabs.addTab(roster_tab, "户籍信息(&H)")
        top = QGridLayout()
        self.household_no = QLineEdit()
        self.group = QComboBox()
        self.group.setEditable(True)
        self.address = QLineEdit()
        self.phones = QLineEdit()
        self.phones.setPlaceholderText("多个号码用逗号分开；固话写区号，如 0535-6611234")
        self.notes = QLineEdit()
        self.delivered = QCheckBox("联系卡已送达")
        self.delivered_on = QDateEdit(QDate.currentDate())
        self.delivered_on.setDisplayFormat("yyyy-MM-dd")
        self.delivered_on.setCalendarPopup(True)
        self.field_error = error_label()
        for i, (label_text, w) in enumerate(
            (
                ("户编号", self.household_no),
                ("组", self.group),
                ("住址", self.address),
                ("家庭电话", self.phones),
                ("备注", self.notes),
            )
        ):
            top.addWidget(QLabel(label_text), i // 2, (i % 2) * 2)
            top.addWidget(w, i // 2, (i % 2) * 2 + 1)
        card = QHBoxLayout()
        card.addWidget(self.delivered)
        card.addWidget(self.delivered_on)
        card_box = QWidget()
        card_box.setLayout(card)
        top.addWidget(card_box, 2, 3)
        outer.addLayout(top)
        outer.addWidget(self.field_error)

        members_box = QGroupBox("家庭成员")
        mb = QVBoxLayout(members_box)
        self.members_model = MembersModel(self)
        self.members_view = QTableView()
        self.members_view.setModel(self.members_model)
        self.members_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.members_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.members_view.horizontalHeader().setStretchLastSection(True)
        self.members_view.setColumnWidth(4, 170)
        self.members_view.doubleClicked.connect(lambda _i: self.edit_member())
        # Tab leaves the list for the buttons under it (not cell by cell, round and round), and Enter on
        # a member opens that member instead of saving and closing the whole form
        self.members_view.setTabKeyNavigation(False)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            QShortcut(
                QKeySequence(key),
                self.members_view,
                self.edit_member,
                context=Qt.ShortcutContext.WidgetShortcut,
            )
        self.members_view.setMinimumHeight(150)  # at least four members visible beside the tabs
        mb.addWidget(self.members_view)
        row = QHBoxLayout()
        for text, slot in (
            ("添加成员", self.add_member),
            ("修改成员", self.edit_member),
            ("迁到他户…", self.move_member),
            ("标记已故…", lambda: self.mark("已故")),
            ("标记迁出…", lambda: self.mark("迁出")),
            ("恢复在册", lambda: self.mark("在册")),
        ):
            b = QPushButton(text)
            b.clicked.connect(slot)
            if text == "修改成员":
                b.setToolTip("也可以在成员列表里选中一人按回车（Enter）")
            row.addWidget(b)
            if household_id is None and text not in ("添加成员", "修改成员"):
                b.setEnabled(False)
        row.addStretch(1)
        mb.addLayout(row)
        outer.addWidget(members_box, 1)

        lower = QHBoxLayout()
        tags_box = QGroupBox("标签")
        tb = QVBoxLayout(tags_box)
        self.tags = QListWidget()
        self.tags.setMaximumHeight(at_font_size(170))
        tb.addWidget(self.tags)
        lower.addWidget(tags_box, 1)
        cadre_box = QGroupBox("联系干部与包片干部")
        cb = QFormLayout(cadre_box)
        self.contact = QComboBox()
        self.area = QComboBox()
        self.history = QLabel()
        self.history.setWordWrap(True)
        self.history.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        # a household's cadres change at every election: its history scrolls instead of growing the form
        history = FittingScroll(self.history, min_lines=1)
        history.setMaximumHeight(history.fontMetrics().height() * 4 + 8)
        cb.addRow("联系干部", self.contact)
        cb.addRow("包片干部", self.area)
        cb.addRow("变更记录", history)
        lower.addWidget(cadre_box, 2)
        outer.addLayout(lower)
        # all of it on a 1366×768 screen; at 特大 on a smaller one (a laptop scaled by 150 %) it scrolls
        tab_layout = QVBoxLayout(roster_tab)
        tab_layout.setContentsMargins(0, 0, 0, 0)
        tab_layout.addWidget(FittingScroll(fields, roster_tab, min_lines=8))
        self._build_visits_tab()
        self._build_aid_tab()

        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Save).setText("保存（Ctrl+S）")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        # a household left with nobody 在册 (its members moved to another: 合户) is removed here
        self.delete_button = buttons.addButton("删除这一户…", QDialogButtonBox.ButtonRole.DestructiveRole)
        self.delete_button.setToolTip("只有全户都已迁出或已故（例如合户后）才能删除")
        self.delete_button.clicked.connect(self.delete_household)
        self.delete_button.setVisible(household_id is not None)
        buttons.accepted.connect(self.save)
        buttons.rejected.connect(self.reject)
        QShortcut(QKeySequence.StandardKey.Save, self, activated=self.save)
        dialog_layout.addWidget(buttons)
        self._load()
        if ctx.is_town:  # the roster is the villages': read-only here (the services refuse edits too)
            self.read_only = True
            self.delete_button.setVisible(False)
            self.setWindowTitle("查看户（户籍由村工作站维护，乡镇只读）")
            buttons.button(QDialogButtonBox.StandardButton.Save).setEnabled(False)
            buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("关闭")
            for w in members_box.findChildren(QPushButton):
                w.setEnabled(False)
            for w in (self.household_no, self.address, self.phones, self.notes):
                w.setReadOnly(True)
            for w in (self.group, self.delivered, self.delivered_on, self.tags, self.contact, self.area):
                w.setEnabled(False)
            self.draft: FormDraft | None = None
        else:
            self.read_only = False
            self.draft = FormDraft(
                self,
                ctx,
                "household",
                self.draft_key,
                root=roster_tab,  # (the other tabs save as they go)
                parts=(
                    KeptPart(
                        "members", self._kept_members, self._put_members, (self.members_model.modelReset,)
                    ),
                    KeptPart("tags", self._ticked_tags, self._put_tags, (self.tags.itemChanged,)),
                ),
            )
        self._loaded_state = self._state()

    @property
    def draft_key(self) -> str:
        return self.household_id or "new"

    # -- the draft: what is typed and not saved survives a crash or a 取消 (ui.widgets.form_draft) --------
    def _kept_members(self) -> list[dict[str, object]]:
        return [_member_json(m) for m in self.members_model.members]

    def _put_members(self, value: object) -> None:
        """The members of a kept draft: each saved member as the draft has it (one moved to another
        household since is left out), then the members added and not saved. A value of the wrong shape
        (a damaged or altered file) puts nothing back."""
        if not isinstance(value, list):
            return
        kept = [m for m in map(_member_from_json, value[:MAX_KEPT_MEMBERS]) if m is not None]
        by_id = {m.id: m for m in kept if m.id}
        saved = [by_id.get(m.id, m) for m in self.members_model.members if m.id]
        self.members_model.set_members(saved + [m for m in kept if not m.id], self.members_model.status)

    def _ticked_tags(self) -> list[str]:
        return [
            self.tags.item(i).data(Qt.ItemDataRole.UserRole)
            for i in range(self.tags.count())
            if self.tags.item(i).checkState() == Qt.CheckState.Checked
        ]

    def _put_tags(self, value: object) -> None:
        if not isinstance(value, list) or not all(isinstance(t, str) for t in value):
            return
        for i in range(self.tags.count()):
            item = self.tags.item(i)
            ticked = item.data(Qt.ItemDataRole.UserRole) in value
            item.setCheckState(Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked)

    def _build_visits_tab(self) -> None:
        from ui.diary.timeline import HouseholdTimeline

        tab = QWidget()
        lay = QVBoxLayout(tab)
        self.timeline = HouseholdTimeline(self.ctx, tab)
        self.timeline.entry_activated.connect(
            lambda _entry_id: self.show_in_diary()
        )  # its links lead to the diary
        lay.addWidget(self.timeline, 1)
        row = QHBoxLayout()
        self.diary_button = QPushButton("在民情日记中查看这一户(&D)", tab)
        self.diary_button.clicked.connect(self.show_in_diary)
        row.addWidget(self.diary_button)
        row.addStretch(1)
        lay.addLayout(row)
        self.visits_tab_index = self.tabs.addTab(tab, "走访记录(&V)")
        if self.household_id is None:
            self.tabs.setTabEnabled(self.visits_tab_index, False)
            self.tabs.setTabToolTip(self.visits_tab_index, "保存新户后，这里会显示走访记录")
        else:
            self.timeline.show_household(self.household_id)
            # a closed dialog stays a child of its page: stop its timeline re-reading on every change
            self.finished.connect(lambda _r: self.timeline.show_household(None))

    def _build_aid_tab(self) -> None:
        """帮扶记录 of this household (ui/aid/household.py), saved as they are entered."""
        from ui.aid.household import HouseholdAidPanel

        self.aid_panel = HouseholdAidPanel(self.ctx, self)
        self.aid_tab_index = self.tabs.addTab(self.aid_panel, "帮扶记录(&A)")
        if self.household_id is None:
            self.tabs.setTabEnabled(self.aid_tab_index, False)
            self.tabs.setTabToolTip(self.aid_tab_index, "保存新户后，这里可以记录帮扶")
        else:
            self.tabs.currentChanged.connect(self._aid_tab_shown)

    def _aid_tab_shown(self, index: int) -> None:
        if index == self.aid_tab_index and self.aid_panel.household_id is None and self.household_id:
            self.aid_panel.show_household(self.household_id, self.household_label())

    def _state(self) -> tuple:
        """What the user can change here, to know whether leaving would lose edits."""
        tags = tuple(
            self.tags.item(i).checkState() == Qt.CheckState.Checked for i in range(self.tags.count())
        )
        return (
            self.household_input(),
            tags,
            self.contact.currentData(),
            self.area.currentData(),
            self.delivered.isChecked(),
            self.delivered_on.date(),
        )

    def household_label(self) -> str:
        view = getattr(self, "view", None)
        return f"{view.head_name}户" if view is not None and view.head_name else "这一户"

    def _host_window(self):
        """The main window this dialog was opened from (it has ``open_page``), or None."""
        parent = self.parentWidget()
        host = parent.window() if parent is not None else None
        return host if host is not None and hasattr(host, "open_page") else None

    def show_in_diary(self) -> None:
        if self.household_id is None:
            return
        if self._state() != self._loaded_state:
            answer = QMessageBox.question(
                self,
                "有未保存的修改",
                "这一户有未保存的修改，先保存再去民情日记吗？",
                QMessageBox.StandardButton.Save
                | QMessageBox.StandardButton.Discard
                | QMessageBox.StandardButton.Cancel,
            )
            if answer == QMessageBox.StandardButton.Cancel:
                return
            if answer == QMessageBox.StandardButton.Discard and self.draft is not None:
                self.draft.discard()
            if answer == QMessageBox.StandardButton.Save:
                self.save()
                if self.result() != QDialog.DialogCode.Accepted:
                    return  # the save was refused; the message is on the form
        household_id, label = self.household_id, self.household_label()
        host = self._host_window()
        if self.isVisible():
            self.reject()
        self.open_diary.emit(household_id, label)
        if host is not None:
            page = host.open_page("diary")
            if page is not None and hasattr(page, "show_household"):
                page.show_household(household_id, label)

    # -- loading ----------------------------------------------------------------------------------
    def _load(self) -> None:
        from db.queries.households import group_names

        with self.ctx.work() as w:
            groups = group_names(w.session)
            tags = tag_svc.all_tags(w)
            cadres = [(u.id, u.display_name, u.title or "") for u in cadre_svc.cadres(w)]
            view = roster.get_household(w, self.household_id) if self.household_id else None
        self.group.addItems(groups)
        for combo in (self.contact, self.area):
            combo.addItem("（无）", None)
            for uid, name, title in cadres:
                combo.addItem(f"{name}  {title}".strip(), uid)
        current_tags = set(view.tags) if view else set()
        for t in tags:
            item = QListWidgetItem(t.name + ("（敏感）" if t.sensitive else ""))
            item.setData(Qt.ItemDataRole.UserRole, t.name)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if t.name in current_tags else Qt.CheckState.Unchecked)
            self.tags.addItem(item)
        if view is None:
            self.group.setCurrentText("")
            self.members_model.set_members([], {})
            self.delivered.setChecked(False)
            # a new household's 户编号: the next of its group's, once the group is chosen (not per keystroke)
            self.offered_no = OfferedText(self.household_no)
            self.group.activated.connect(lambda _i: self._suggest_no())
            self.group.lineEdit().editingFinished.connect(self._suggest_no)
            return
        self.view = view
        self.household_no.setText(view.household_no or "")
        self.group.setCurrentText(view.group_name)
        self.address.setText(view.address)
        self.phones.setText(view.phones.replace(",", "，"))
        self.notes.setText(view.notes)
        self.delivered.setChecked(view.card_delivered_on is not None)
        if view.card_delivered_on:
            self.delivered_on.setDate(qdate(view.card_delivered_on))
        members = _member_inputs(view)
        self.members_model.set_members(
            members,
            {m.id: m.status + (f" {m.status_date:%Y-%m-%d}" if m.status_date else "") for m in view.members},
        )
        for combo, current in ((self.contact, view.contact_cadre), (self.area, view.area_cadre)):
            i = combo.findData(current.cadre_id) if current else 0
            combo.setCurrentIndex(max(i, 0))
        self.history.setText(
            "\n".join(
                f"{c.role} {c.name}：{c.start_on:%Y-%m-%d} 起"
                + (f"，{c.end_on:%Y-%m-%d} 止" if c.end_on else "（现任）")
                for c in view.cadre_history
            )
            or "暂无"
        )

    def _suggest_no(self) -> None:
        """The group's next 户编号, until one is typed: written for every new household, it was typed."""
        if not self.offered_no.open():
            return  # typed: theirs (and no query)
        with self.ctx.work() as w:
            self.offered_no.offer(roster.next_household_no(w, self.group.currentText()))

    # -- members ------------------------------------------------------------------------------------
    def _selected_row(self) -> int:
        rows = self.members_view.selectionModel().selectedRows()
        return rows[0].row() if rows else -1

    def add_member(self) -> None:
        members = self.members_model.members
        first = not members
        # a family's 民族 is mostly one: a new member starts with the 户主's (汉 for the first)
        head = next((m for m in members if m.relation == "户主"), members[0] if members else None)
        dlg = MemberDialog(
            self.ctx,
            checks.MemberInput(
                name="", relation="户主" if first else "", ethnicity=head.ethnicity if head else None
            ),
            self,
        )
        if not self.read_only:
            dlg.keep_draft(f"{self.draft_key}-new")
        if dlg.exec():
            members = self.members_model.members + [dlg.member]
            self.members_model.set_members(members, self.members_model.status)

    def edit_member(self) -> None:
        row = self._selected_row()
        if row < 0:
            return
        member = self.members_model.members[row]
        dlg = MemberDialog(self.ctx, member, self)
        if member.id and not self.read_only:  # (one added and not saved is kept in this form's draft)
            dlg.keep_draft(f"{self.draft_key}-{member.id}")
        if dlg.exec():
            members = list(self.members_model.members)
            members[row] = dlg.member
            self.members_model.set_members(members, self.members_model.status)

    def _selected_saved_member(self) -> checks.MemberInput | None:
        row = self._selected_row()
        if row < 0:
            QMessageBox.information(self, "请选择", "请先在列表里选中一位成员")
            return None
        m = self.members_model.members[row]
        if not m.id:
            QMessageBox.information(self, "尚未保存", "这位成员还没有保存，请先保存本户")
            return None
        return m

    def move_member(self) -> None:
        m = self._selected_saved_member()
        if m is None:
            return
        from ui.households.pick import pick_household

        target = pick_household(self.ctx, self, exclude=self.household_id)
        if not target:
            return
        relation, ok = QInputDialog.getItem(
            self, "与新户主关系", f"“{m.name}”在新户中与户主的关系：", list(checks.RELATIONS[1:]), 0, True
        )
        if not ok:
            return
        try:
            with self.ctx.work() as w:
                roster.move_person(w, m.id, target, relation=relation)
        except UserError as exc:
            QMessageBox.warning(self, "无法迁出", exc.message)
            return
        self.ctx.data_changed.emit("households")
        self._reload_members(m.id)

    def mark(self, status: str) -> None:
        m = self._selected_saved_member()
        if m is None:
            return
        on = dt.date.today()
        if status != "在册":
            text, ok = QInputDialog.getText(
                self, f"标记{status}", f"“{m.name}”{status}的日期（年-月-日）：", text=f"{on:%Y-%m-%d}"
            )
            if not ok:
                return
            try:
                on = dt.date.fromisoformat(text.strip())
            except ValueError:
                QMessageBox.warning(self, "日期不对", "请按 2024-05-01 的格式填写日期")
                return
        try:
            with self.ctx.work() as w:
                roster.set_person_status(w, m.id, status, on)
        except UserError as exc:
            QMessageBox.warning(self, "无法修改", exc.message)
            return
        self.ctx.data_changed.emit("households")
        self._reload_members(m.id)

    def _reload_members(self, acted: str) -> None:
        """After a move or a mark of the member ``acted`` (saved at once): that member as saved, every
        other as it stands in the form, typed edits kept (they were lost with the reload)."""
        with self.ctx.work() as w:
            view = roster.get_household(w, self.household_id)
        typed = {m.id: m for m in self.members_model.members if m.id}
        unsaved = [m for m in self.members_model.members if not m.id]
        saved = _member_inputs(view)
        if self.draft is not None:  # a move or a mark is saved at once: not a change to keep
            self.draft.settled("members", [_member_json(m) for m in saved])
        shown = [m if m.id == acted or m.id not in typed else typed[m.id] for m in saved]
        self.members_model.set_members(shown + unsaved, {m.id: m.status for m in view.members})

    def delete_household(self) -> bool:
        """Remove a household none of whose members is 在册 any longer (合户: they were moved into another;
        an empty one printed a contact card with no 户主). One with people 在册 is refused: move them
        first (迁到他户), so that nobody is removed with it."""
        if self.read_only or self.household_id is None:
            return False
        with self.ctx.work() as w:
            view = roster.get_household(w, self.household_id)
        living = [m.name for m in view.members if m.status == "在册"]
        if living:
            QMessageBox.information(
                self,
                "不能删除",
                f"这一户还有 {len(living)} 人在册（{'、'.join(living[:5])}）：请先把他们迁到他户，"
                "或标记迁出、已故，再删除这一户",
            )
            return False
        household_id = self.household_id

        def remove() -> None:
            with self.ctx.work() as w:
                roster.delete_household(w, household_id)

        if not confirmed_removal(
            self,
            "删除这一户",
            f"删除 {view.group_name} {view.head_name or '（无户主）'} 户吗？它已没有在册的人；"
            "删除后不再出现在户籍名册和联系卡里，下次上报时乡镇那边也会删除。",
            remove,
        ):
            return False
        if self.draft is not None:
            self.draft.saved()
        self.ctx.data_changed.emit("households")
        self.done(QDialog.DialogCode.Accepted)
        return True

    # -- saving -------------------------------------------------------------------------------------
    def household_input(self) -> checks.HouseholdInput:
        return checks.HouseholdInput(
            group_name=self.group.currentText(),
            address=self.address.text(),
            phones=self.phones.text(),
            notes=self.notes.text(),
            household_no=self.household_no.text() or None,
            members=list(self.members_model.members),
        )

    def save(self) -> None:
        if self.read_only:
            return
        today = dt.date.today()
        tags = self._ticked_tags()
        try:
            with self.ctx.work() as w:
                data = self.household_input()
                if self.household_id is None:
                    view = roster.create_household(w, data)
                else:
                    view = roster.update_household(w, self.household_id, data)
                tag_svc.set_tags(w, view.id, tags)
                cadre_svc.assign_cadre(
                    w, view.id, vocab.CONTACT_CADRE, self.contact.currentData(), on=today
                ) if (
                    view.contact_cadre.cadre_id if view.contact_cadre else None
                ) != self.contact.currentData() else None
                cadre_svc.assign_cadre(w, view.id, vocab.AREA_CADRE, self.area.currentData(), on=today) if (
                    view.area_cadre.cadre_id if view.area_cadre else None
                ) != self.area.currentData() else None
                delivered = pydate(self.delivered_on.date()) if self.delivered.isChecked() else None
                if delivered != view.card_delivered_on:
                    cadre_svc.set_card_delivered(w, view.id, delivered)
        except roster.InAnotherHousehold as exc:
            self._show_error(exc.message, exc.field)
            if (
                QMessageBox.question(self, exc.title, exc.message + "\n\n要打开那一户看看吗？")
                == QMessageBox.StandardButton.Yes
            ):
                HouseholdDialog(self.ctx, exc.household_id, self).exec()
            return
        except UserError as exc:
            self._show_error(exc.message, exc.field)
            return
        self.saved_id = view.id
        self.ctx.data_changed.emit("households")
        self.accept()

    def _show_error(self, message: str, field: str | None) -> None:
        show_error(self.field_error, message)
        widget = {
            "group_name": self.group,
            "address": self.address,
            "phones": self.phones,
            "household_no": self.household_no,
        }.get(field or "")
        if widget is not None:
            widget.setFocus()
        elif field in ("members", "id_number", "name", "phone", "sex", "birth_date"):
            self.members_view.setFocus()


def _member_inputs(view: roster.HouseholdView) -> list[checks.MemberInput]:
    """The saved members as the member table edits them (IDs masked: a full ID is typed, never shown)."""
    return [
        checks.MemberInput(
            m.name,
            m.relation,
            m.sex,
            m.birth_date,
            m.id_masked or None,
            m.ethnicity,
            m.phone,
            m.occupation,
            m.notes,
            m.id,
        )
        for m in view.members
    ]


_MEMBER_TEXTS = ("name", "relation", "sex", "id_number", "ethnicity", "phone", "occupation", "notes", "id")


def _member_json(m: checks.MemberInput) -> dict[str, object]:
    out: dict[str, object] = {k: getattr(m, k) for k in _MEMBER_TEXTS}
    out["birth_date"] = m.birth_date.isoformat() if m.birth_date else None
    return out


def _member_from_json(value: object) -> checks.MemberInput | None:
    """A member of a kept draft, or None when it is not one this program wrote (the save checks it again
    as it checks what is typed)."""
    if not isinstance(value, dict) or not isinstance(value.get("name"), str):
        return None
    texts = {k: value.get(k) for k in _MEMBER_TEXTS}
    if not all(v is None or isinstance(v, str) for v in texts.values()):
        return None
    birth = value.get("birth_date")
    try:
        birth_date = dt.date.fromisoformat(birth) if isinstance(birth, str) else None
    except ValueError:
        birth_date = None
    return checks.MemberInput(
        name=texts["name"] or "",
        relation=texts["relation"] or "",
        sex=texts["sex"],
        birth_date=birth_date,
        id_number=texts["id_number"],
        ethnicity=texts["ethnicity"],
        phone=texts["phone"],
        occupation=texts["occupation"],
        notes=texts["notes"] or "",
        id=texts["id"] or None,
    )
