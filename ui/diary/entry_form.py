"""写民情日记: the entry form. Ctrl+S saves; errors appear under the field; a draft saves itself while
typing and is offered back (a banner) the next time the form opens."""

from __future__ import annotations

import datetime as dt
import itertools
from pathlib import Path

from PySide6.QtCore import QDate, Qt, QTimer, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDateTimeEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from db import vocab
from db.queries.diary import person_hits

from app.diary import drafts, entries
from app.diary.demands import demand_categories
from app.drafts import side_key
from app.errors import UserError
from app.informants import appointments as informant_svc

from ui.app import at_font_size
from ui.context import AppContext
from ui.dates import pydate, pydatetime, qdate, qdatetime
from ui.diary.dialogs import AcknowledgeDialog
from ui.file_dialogs import ask_open_file_names
from ui.widgets.fit import FitsScreen, FittingScroll
from ui.widgets.form_draft import CLOSE_KEEPS_DRAFT, DraftBanner, draft_failure
from ui.widgets.inline_error import error_label, show_error
from ui.widgets.offered import OfferedText
from ui.widgets.person_picker import PersonListPicker

# The place of a visit of each 方式 not made at a household (入户走访 is at the first visited's home).
PLACE_OF_KIND = {"电话联系": "电话", "来访接待": "村群众工作室", "集中接访": "村群众工作室"}


class _TextEdit(QPlainTextEdit):
    """Plain text where Tab moves to the next field (keyboard use) instead of inserting a tab."""

    def __init__(self, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setTabChangesFocus(True)
        self.setPlaceholderText(placeholder)
        self.setFixedHeight(at_font_size(58))


NO_DUE = QDate(2000, 1, 1)  # a 办理期限 box at its first day shows 不限: the demand has none


class DemandRow(QFrame):
    removed = Signal(object)
    changed = Signal()

    def __init__(
        self,
        categories: list[str],
        cadres: list[tuple[str, str]],
        default_due: dt.date,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.demand_id: str | None = None
        self.household_id: str | None = None
        self.category = QComboBox(self)
        self.category.addItems(categories)
        self.category.setAccessibleName("诉求类别")
        self.content = QLineEdit(self)
        self.content.setPlaceholderText("群众提出的诉求，一条写一件事")
        self.responsible = QComboBox(self)
        for cid, name in cadres:
            self.responsible.addItem(name, cid)
        self.responsible.setAccessibleName("责任人")
        self.due = QDateEdit(qdate(default_due), self)
        self.due.setCalendarPopup(True)
        self.due.setDisplayFormat("yyyy-MM-dd")
        self.due.setAccessibleName("办理期限")
        # a demand saved with no 期限 shows none, and an edit keeps none (its first day stands for it)
        self.due.setMinimumDate(NO_DUE)
        self.due.setSpecialValueText("不限")
        self.remove = QPushButton("删除", self)
        self.remove.setAutoDefault(False)  # (Enter in 诉求 does not take the row out)
        self.remove.clicked.connect(lambda: self.removed.emit(self))
        self.error = error_label(self)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.addWidget(self.category, 0, 0)
        grid.addWidget(self.content, 0, 1)
        grid.addWidget(QLabel("责任人"), 0, 2)
        grid.addWidget(self.responsible, 0, 3)
        grid.addWidget(QLabel("期限"), 0, 4)
        grid.addWidget(self.due, 0, 5)
        grid.addWidget(self.remove, 0, 6)
        grid.addWidget(self.error, 1, 1, 1, 6)
        grid.setColumnStretch(1, 1)
        for w in (self.category, self.responsible):
            w.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.content.textChanged.connect(lambda _t: self.changed.emit())
        self.due.dateChanged.connect(lambda _d: self.changed.emit())

    def value(self) -> entries.DemandInput:
        return entries.DemandInput(
            self.category.currentText(),
            self.content.text(),
            self.responsible.currentData(),
            None if self.due.date() == NO_DUE else pydate(self.due.date()),
            self.household_id,
            self.demand_id,
        )

    def keep_as_answered(self, status: str) -> None:
        """A demand already answered or closed: what was asked, by when and whose it is stay as they were
        (the service refuses a change); it cannot be taken out of the entry either."""
        for w in (self.category, self.due, self.remove):
            w.setEnabled(False)
        self.content.setReadOnly(True)
        tip = f"这条诉求{status}，内容、类别和期限不能再改；如需更正请用“补记”"
        for w in (self.category, self.content, self.due, self.remove):
            w.setToolTip(tip)

    def set_value(self, d: entries.DemandInput) -> None:
        self.demand_id, self.household_id = d.id, d.household_id
        if self.category.findText(d.category) < 0 and d.category:
            self.category.addItem(d.category)
        self.category.setCurrentText(d.category)
        self.content.setText(d.content)
        i = self.responsible.findData(d.responsible_id)
        if i >= 0:
            self.responsible.setCurrentIndex(i)
        self.due.setDate(qdate(d.due_on) if d.due_on else NO_DUE)


class EntryDialog(FitsScreen, QDialog):
    """New entry (``entry_id`` None) or edit of an unsigned one. ``saved`` carries the entry id."""

    saved = Signal(str)

    def __init__(
        self,
        ctx: AppContext,
        entry_id: str | None = None,
        parent: QWidget | None = None,
        *,
        now: dt.datetime | None = None,
        offer_signature: bool = True,
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.entry_id = entry_id
        self.offer_signature = offer_signature
        self.signing: AcknowledgeDialog | None = None  # offered right after saving
        self._base_key = entry_id or "new"
        self.draft_key = self._base_key  # the offered draft's, or a key of its own beside it (save_draft_now)
        self._now = now
        self._loading = True
        self._attachment_paths: list[Path] = []
        self.setWindowTitle("修改民情日记" if entry_id else "写民情日记")
        self.resize(1060, 700)  # the top row whole at 特大 (方式 holds “信息员报告”)
        with ctx.work() as w:
            self.categories = demand_categories(w)
            self.cadres = entries.cadres(w)
        user = ctx.user
        if user is not None and all(c[0] != user.id for c in self.cadres):
            self.cadres.insert(0, (user.id, user.display_name))

        # -- fields --------------------------------------------------------------------------------
        self.draft_banner = DraftBanner(self)
        self.draft_label = self.draft_banner.label
        self.restore_button, self.discard_button = (
            self.draft_banner.restore_button,
            self.draft_banner.discard_button,
        )

        now_ = self._current_time()
        self.occurred_at = QDateTimeEdit(qdatetime(now_), self)
        self.occurred_at.setCalendarPopup(True)
        self.occurred_at.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.kind = QComboBox(self)
        for kind in entries.KINDS:
            self.kind.addItem(kind, kind)
        # 信息员报告: who reported (those serving on the entry's day); the row shows for that kind only
        self.informant = QComboBox(self)
        self.informant.setAccessibleName("信息员")
        self.informant.setMinimumContentsLength(16)
        self.place = QLineEdit(self)
        self.place.setPlaceholderText("如：张三家中、村委会")
        self.companions = QLineEdit(self)
        self.companions.setPlaceholderText("一同走访的干部，可不填")
        self.participants = PersonListPicker(ctx.workspace.session, self)
        self.participants.picker.edit.setPlaceholderText(
            "走访对象：输入姓名、拼音首字母（如 zsf）、身份证后几位或电话，回车选中"
        )
        self.situation = _TextEdit("家庭情况：人口、收入、身体、住房……", self)
        self.difficulties = _TextEdit("困难问题", self)
        self.actions = _TextEdit("办理情况：当场做了什么、讲解了什么政策", self)
        self.follow_up = QLineEdit(self)
        self.follow_up.setPlaceholderText("后续计划，可不填")
        self.has_follow_up_date = QCheckBox("计划日期", self)
        self.follow_up_on = QDateEdit(qdate(now_.date() + dt.timedelta(days=7)), self)
        self.follow_up_on.setCalendarPopup(True)
        self.follow_up_on.setDisplayFormat("yyyy-MM-dd")
        self.follow_up_on.setEnabled(False)
        self.has_follow_up_date.toggled.connect(self.follow_up_on.setEnabled)
        self.demand_rows: list[DemandRow] = []
        self.demands_box = QVBoxLayout()
        self.add_demand_button = QPushButton("添加诉求（Alt+D）", self)
        self.add_demand_button.setShortcut(QKeySequence("Alt+D"))
        self.add_demand_button.clicked.connect(lambda: self.add_demand_row(focus=True))
        self.attachment_list = QListWidget(self)
        self.attachment_list.setMaximumHeight(at_font_size(54))
        self.add_attachment_button = QPushButton("添加照片或扫描件…", self)
        self.add_attachment_button.clicked.connect(self._choose_attachments)

        self.errors: dict[str, QLabel] = {}
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        top = QHBoxLayout()
        top.addWidget(self.occurred_at)
        top.addWidget(QLabel("方式"))
        top.addWidget(self.kind)
        top.addWidget(QLabel("地点"))
        top.addWidget(self.place, 1)
        top.addWidget(QLabel("陪同"))
        top.addWidget(self.companions, 1)
        form.addRow("时间(&T)", self._with_error("occurred_at", top))
        self._buddy(form, self.occurred_at)
        informant_row = QHBoxLayout()
        informant_row.addWidget(self.informant)
        self.informant_hint = QLabel("信息员打电话或当面反映的情况，由干部记下；走访对象可不选", self)
        self.informant_hint.setStyleSheet("color: #5f6b7a;")
        self.informant_hint.setWordWrap(True)
        informant_row.addWidget(self.informant_hint, 1)
        self.informant_box = self._with_error("informant", informant_row)
        form.addRow("信息员(&I)", self.informant_box)
        self._buddy(form, self.informant)
        self._form = form
        form.addRow("走访对象(&P)", self._with_error("participants", self.participants))
        self._buddy(form, self.participants.picker.edit)
        form.addRow("家庭情况", self._with_error("situation", self.situation))
        form.addRow("困难问题", self._with_error("difficulties", self.difficulties))
        demands = QVBoxLayout()
        demands.addLayout(self.demands_box)
        demands.addWidget(self.add_demand_button, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow("群众诉求", self._with_error("demands", demands))
        form.addRow("办理情况", self._with_error("actions", self.actions))
        follow = QHBoxLayout()
        follow.addWidget(self.follow_up, 1)
        follow.addWidget(self.has_follow_up_date)
        follow.addWidget(self.follow_up_on)
        form.addRow("后续计划", self._with_error("follow_up", follow))
        attach = QHBoxLayout()
        attach.addWidget(self.attachment_list, 1)
        attach.addWidget(self.add_attachment_button, 0, Qt.AlignmentFlag.AlignTop)
        form.addRow("附件", self._with_error("attachment", attach))
        self.errors["follow_up_on"] = self.errors["follow_up"]
        self.errors["kind"] = self.errors["occurred_at"]
        self.errors["place"] = self.errors["occurred_at"]
        self.errors["companions"] = self.errors["occurred_at"]

        body = QWidget(self)
        body.setLayout(form)
        scroll = FittingScroll(body, self)  # up and down only

        self.status = QLabel("", self)
        self.status.setStyleSheet("color: #5f6b7a;")
        self.save_button = QPushButton("保存（Ctrl+S）", self)
        self.save_button.setDefault(False)
        self.save_button.setAutoDefault(False)
        self.cancel_button = QPushButton(CLOSE_KEEPS_DRAFT, self)
        self.cancel_button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.status, 1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.save_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.draft_banner)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)

        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        for button in self.findChildren(QPushButton):  # Enter in 地点 or 陪同 presses none of them
            button.setAutoDefault(False)
            button.setDefault(False)
        self._tab_in_order()
        self.save_button.clicked.connect(self.save)
        self.cancel_button.clicked.connect(self.reject)
        self.restore_button.clicked.connect(self.restore_draft)
        self.discard_button.clicked.connect(self.discard_draft)

        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(800)
        self._draft_timer.timeout.connect(self.save_draft_now)
        for w in (self.place, self.companions, self.follow_up):
            w.textChanged.connect(self._changed)
        for w in (self.situation, self.difficulties, self.actions):
            w.textChanged.connect(self._changed)
        self.occurred_at.dateTimeChanged.connect(self._changed)
        self.kind.currentIndexChanged.connect(self._changed)
        self.kind.currentIndexChanged.connect(lambda _i: self._update_informant_row())
        self.occurred_at.dateTimeChanged.connect(lambda _d: self._fill_informants())
        self.informant.currentIndexChanged.connect(self._changed)
        self.follow_up_on.dateChanged.connect(self._changed)
        self.has_follow_up_date.toggled.connect(self._changed)
        self.participants.changed.connect(self._changed)
        self.offered_place = OfferedText(self.place)
        self.kind.currentIndexChanged.connect(lambda _i: self._suggest_place())
        self.participants.changed.connect(self._suggest_place)

        self._fill_informants()
        self._update_informant_row()
        if entry_id:
            self._load_entry(entry_id)
        self._offer_draft()
        self._loading = False
        self.participants.setFocus()

    # -- helpers ---------------------------------------------------------------------------------------
    def _suggest_place(self) -> None:
        """地点 follows the 方式 and the first person visited (入户走访 → 张三家中, 电话联系 → 电话) until
        the cadre types one of their own: written at every visit, it was typed at every visit."""
        if self._loading or not self.offered_place.open():
            return
        kind = self.kind.currentData()
        persons = self.participants.persons()
        if kind == vocab.HOME_VISIT:
            suggestion = f"{persons[0].name}家中" if persons else ""
        else:
            suggestion = PLACE_OF_KIND.get(kind, "")
        self.offered_place.offer(suggestion)

    def _current_time(self) -> dt.datetime:
        return (self._now or dt.datetime.now()).replace(second=0, microsecond=0)

    @staticmethod
    def _buddy(form: QFormLayout, field: QWidget) -> None:
        """The last row's label (时间(&T)) takes Alt+its letter to ``field`` itself, not to the box around it
        (which takes no focus). A date and time is entered from its first part, the year."""
        label = form.itemAt(form.rowCount() - 1, QFormLayout.ItemRole.LabelRole).widget()
        assert isinstance(label, QLabel), "addRow with a text makes a label"
        label.setBuddy(field)
        if isinstance(field, QDateTimeEdit):
            field.setCurrentSectionIndex(0)

    def _with_error(self, field: str, content) -> QWidget:
        box = QWidget(self)
        v = QVBoxLayout(box)
        v.setContentsMargins(0, 0, 0, 0)
        v.setSpacing(2)
        if isinstance(content, QWidget):
            v.addWidget(content)
        else:
            v.addLayout(content)
        label = error_label(box)
        v.addWidget(label)
        self.errors[field] = label
        return box

    def _fill_informants(self, keep: str | None = None) -> None:
        """The informants serving on the entry's day (a report names one of them)."""
        keep = keep or self.informant.currentData()
        day = pydatetime(self.occurred_at.dateTime()).date()
        with self.ctx.work() as w:
            rows = informant_svc.serving(w, day)
        blocked = self.informant.blockSignals(True)
        self.informant.clear()
        self.informant.addItem("请选择信息员" if rows else "这一天没有在任的信息员", None)
        for r in rows:
            self.informant.addItem(f"{r.name}（{r.group_name}）{r.phone}", r.id)
        i = self.informant.findData(keep) if keep else -1
        self.informant.setCurrentIndex(max(i, 0))
        self.informant.blockSignals(blocked)

    def _update_informant_row(self) -> None:
        self._form.setRowVisible(self.informant_box, self.kind.currentData() == entries.INFORMANT_REPORT)

    def _changed(self, *_args) -> None:
        if not self._loading:
            self._draft_timer.start()

    def add_demand_row(self, value: entries.DemandInput | None = None, *, focus: bool = False) -> DemandRow:
        default_due = self._current_time().date() + dt.timedelta(days=15)
        row = DemandRow(self.categories, self.cadres, default_due, self)
        if self.ctx.user is not None:
            i = row.responsible.findData(self.ctx.user.id)
            if i >= 0:
                row.responsible.setCurrentIndex(i)
        if value is not None:
            row.set_value(value)
        row.removed.connect(self._remove_demand_row)
        row.changed.connect(self._changed)
        self.demand_rows.append(row)
        self.demands_box.addWidget(row)
        row.show()
        self._tab_in_order()
        if focus:
            row.content.setFocus()
        self._changed()
        return row

    def _remove_demand_row(self, row: DemandRow) -> None:
        self.demand_rows.remove(row)
        row.setParent(None)
        row.deleteLater()
        self._tab_in_order()
        self._changed()

    def _tab_in_order(self) -> None:
        """Tab goes down the form as it reads: 困难问题, then each 诉求 (its fields, 删除), 添加诉求, then
        办理情况 (a row added later came last in the chain, after 计划日期, and its 删除 led back to 时间)."""
        chain: list[QWidget] = [
            self.occurred_at,
            self.kind,
            self.place,
            self.companions,
            self.informant,
            self.participants.picker.edit,
            self.situation,
            self.difficulties,
        ]
        for row in self.demand_rows:
            chain += [row.category, row.content, row.responsible, row.due, row.remove]
        chain += [
            self.add_demand_button,
            self.actions,
            self.follow_up,
            self.has_follow_up_date,
            self.follow_up_on,
            self.attachment_list,
            self.add_attachment_button,
            self.cancel_button,
            self.save_button,
        ]
        for first, second in itertools.pairwise(chain):
            QWidget.setTabOrder(first, second)

    def _choose_attachments(self) -> None:
        paths, _ = ask_open_file_names(
            self, "选择照片或扫描件", "", "图片和文档 (*.jpg *.jpeg *.png *.pdf);;所有文件 (*)"
        )
        self._add_attachments([Path(p) for p in paths])
        if paths:
            self._changed()  # the draft keeps which files were chosen

    def _add_attachments(self, paths: list[Path]) -> None:
        for p in paths:
            if p not in self._attachment_paths:
                self._attachment_paths.append(p)
                self.attachment_list.addItem(p.name)

    # -- values ----------------------------------------------------------------------------------------
    def value(self) -> entries.EntryInput:
        when = pydatetime(self.occurred_at.dateTime())
        return entries.EntryInput(
            occurred_at=when,
            kind=self.kind.currentData(),
            place=self.place.text(),
            participants=[
                entries.ParticipantInput(p.household_id, p.id) for p in self.participants.persons()
            ],
            companions=self.companions.text(),
            situation=self.situation.toPlainText(),
            difficulties=self.difficulties.toPlainText(),
            actions=self.actions.toPlainText(),
            follow_up=self.follow_up.text(),
            follow_up_on=pydate(self.follow_up_on.date()) if self.has_follow_up_date.isChecked() else None,
            demands=[r.value() for r in self.demand_rows],
            informant_id=self.informant.currentData()
            if self.kind.currentData() == entries.INFORMANT_REPORT
            else None,
        )

    def set_value(self, data: entries.EntryInput) -> None:
        loading, self._loading = self._loading, True
        if data.occurred_at:
            self.occurred_at.setDateTime(qdatetime(data.occurred_at))
        i = self.kind.findData(data.kind)
        self.kind.setCurrentIndex(max(i, 0))
        self.place.setText(data.place)
        self.companions.setText(data.companions)
        self.participants.chosen.clear()
        with self.ctx.workspace.session() as s:
            for hit in person_hits(s, [p.person_id for p in data.participants if p.person_id]):
                self.participants.add_person(hit)
        self.situation.setPlainText(data.situation)
        self.difficulties.setPlainText(data.difficulties)
        self.actions.setPlainText(data.actions)
        self.follow_up.setText(data.follow_up)
        self.has_follow_up_date.setChecked(data.follow_up_on is not None)
        if data.follow_up_on:
            self.follow_up_on.setDate(qdate(data.follow_up_on))
        for row in list(self.demand_rows):
            self._remove_demand_row(row)
        for d in data.demands:
            self.add_demand_row(d)
        self._fill_informants(data.informant_id)
        self._update_informant_row()
        self._loading = loading

    def _load_entry(self, entry_id: str) -> None:
        with self.ctx.work() as w:
            e = entries.entry_detail(w, entry_id)
        self.set_value(
            entries.EntryInput(
                occurred_at=e.occurred_at,
                kind=e.kind,
                place=e.place,
                participants=[entries.ParticipantInput(p.household_id, p.person_id) for p in e.participants],
                companions=e.companions,
                situation=e.situation,
                difficulties=e.difficulties,
                actions=e.actions,
                follow_up=e.follow_up,
                follow_up_on=e.follow_up_on,
                demands=[
                    entries.DemandInput(
                        d.category, d.content, d.responsible_id, d.due_on, d.household_id, d.id
                    )
                    for d in e.demands
                ],
                cadre_id=e.cadre_id,
                informant_id=e.informant_id,
            )
        )
        for row, d in zip(self.demand_rows, e.demands, strict=True):
            if d.status != vocab.OPEN:
                row.keep_as_answered(d.status)

    # -- drafts ----------------------------------------------------------------------------------------
    def save_draft_now(self) -> None:
        if self._draft is not None and self.draft_key == self._draft.key:
            # a draft is offered and neither restored nor discarded: what is typed meanwhile never replaces
            # it, and is kept beside it under a key of its own (offered the next time, when it is the newer)
            self.draft_key = side_key(self._base_key)
        entry = drafts.entry_to_draft(self.value())
        entry["attachments"] = [str(p) for p in self._attachment_paths]  # (the files stay where they are)

        def save() -> None:
            with self.ctx.work() as w:
                drafts.save_draft(w, self.draft_key, entry)

        failed = draft_failure(save)
        self.status.setStyleSheet("color: #b3261e;" if failed else "color: #5f6b7a;")
        self.status.setText(failed or f"草稿已自动保存 {dt.datetime.now():%H:%M:%S}")

    def _offer_draft(self) -> None:
        with self.ctx.work() as w:
            self._draft = drafts.load_draft(w, self._base_key)
        if self._draft is not None:
            self.draft_key = self._draft.key
            self.draft_banner.offer(self._draft.saved_at)

    def restore_draft(self) -> None:
        if self._draft is not None:
            self.set_value(drafts.draft_to_entry(self._draft.data))
            kept = self._draft.data.get("attachments")
            if isinstance(kept, list):  # a draft file is read as hostile: texts naming files still there
                self._add_attachments(
                    [Path(p) for p in kept[:50] if isinstance(p, str) and Path(p).is_file()]
                )
            if (
                self.draft_key != self._draft.key
            ):  # what was typed meanwhile is replaced, on screen and on disk
                with self.ctx.work() as w:
                    drafts.discard_draft(w, self.draft_key)
                self.draft_key = self._draft.key
        self._draft = None
        self.draft_banner.hide()
        self.participants.setFocus()

    def discard_draft(self) -> None:
        if self._draft is not None:
            with self.ctx.work() as w:
                drafts.discard_draft(w, self._draft.key)
        self._draft = None
        self.draft_banner.hide()
        self._draft_timer.start()  # what was typed meanwhile is kept from now on

    # -- save ------------------------------------------------------------------------------------------
    def clear_errors(self) -> None:
        for label in self.errors.values():
            label.hide()
        for row in self.demand_rows:
            row.error.hide()

    def show_error(self, field: str | None, message: str) -> None:
        if field and field.startswith("demands:"):
            n = int(field.split(":")[1])
            if 0 <= n < len(self.demand_rows):
                row = self.demand_rows[n]
                show_error(row.error, message)
                row.content.setFocus()
                return
        show_error(self.errors.get(field or "") or self.errors["situation"], message)
        focus = {
            "occurred_at": self.occurred_at,
            "kind": self.kind,
            "place": self.place,
            "participants": self.participants,
            "situation": self.situation,
            "follow_up": self.follow_up,
            "follow_up_on": self.follow_up_on,
            "companions": self.companions,
            "informant": self.informant,
        }.get(field or "")
        if focus is not None:
            focus.setFocus()

    def save(self) -> bool:
        self.clear_errors()
        self._draft_timer.stop()
        data = self.value()
        try:
            with self.ctx.work() as w:
                e = entries.save_entry(w, data, entry_id=self.entry_id, now=self._now)
                for path in self._attachment_paths:
                    entries.attach_to_entry(w, e.id, path)
        except UserError as exc:
            self.show_error(exc.field, exc.message)
            self.save_draft_now()
            return False
        if self._draft is None or self.draft_key != self._draft.key:
            # (an offered draft not restored holds other work: offered again next time)
            with self.ctx.work() as w:
                drafts.discard_draft(w, self.draft_key)
        self.entry_id = e.id
        self.ctx.data_changed.emit("diary")
        self.saved.emit(e.id)
        self.accept()
        if (
            self.offer_signature
            and e.participants
            and not e.read_only
            and e.kind not in entries.NOT_FACE_TO_FACE
        ):
            # (a 信息员报告 is told to the cadre, a 电话联系 is a call: the resident is not there to sign)
            # 一事一记, signed at once: the resident is still there when the cadre saves
            self.signing = AcknowledgeDialog(self.ctx, e.id, parent=self.parentWidget(), offered=True)
            self.signing.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            self.signing.open()
        return True

    def reject(self) -> None:
        if self._draft_timer.isActive():
            self._draft_timer.stop()
            self.save_draft_now()
        super().reject()
