"""为民实事 dialogs: the project form (with its milestones and the demands picked from the 民情台账), the
demand picker, the next step (开始实施 / 完成 / 验收 with the residents' 点评), a milestone done."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from db import vocab
from db.models import Station, User
from db.models.projects import ACCEPTED, COMPLETED, FUNDING_SOURCES, IN_PROGRESS
from db.queries.projects import DemandPick, demand_picks

from app.errors import UserError
from app.projects import service
from app.projects.service import MilestoneInput, ProjectDetail, ProjectInput, ReviewInput
from app.work import Work

from ui.app import at_font_size
from ui.context import AppContext
from ui.dates import date_edit, date_of
from ui.widgets.fit import FitsScreen, FittingScroll
from ui.widgets.form_draft import KeptPart
from ui.widgets.offered import OfferedText
from ui.widgets.service_dialog import ServiceDialog

MAX_KEPT_STEPS = 200  # a kept draft with more rows than a form takes is not one this program wrote
MAX_KEPT_DEMANDS = 1000
_HINT_STYLE = "color: #5f6b7a;"


class _Dialog(ServiceDialog):
    changes = "projects"

    def __init__(self, ctx: AppContext, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, title, parent, laid_out=False)


def _scrolled(inner: QWidget, parent: QWidget) -> QScrollArea:
    return FittingScroll(inner, parent)  # up and down only: a field as wide as its hint widens the form


# -- the demands, picked from the 民情台账 ------------------------------------------------------------------
class DemandPickerDialog(FitsScreen, QDialog):
    """The village's demands from the 民情台账 (newest first, open ones unless asked), ticked to link.
    A demand another project already answers is shown greyed with that project's name."""

    HEAD = ("日期", "户主", "组", "类别", "诉求内容", "状态", "已归入")

    def __init__(
        self,
        ctx: AppContext,
        village_code: str,
        chosen: list[str],
        project_id: str | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.ctx, self.village_code, self.project_id = ctx, village_code, project_id
        self.chosen = set(chosen)
        self.setWindowTitle("从民情台账选择诉求")
        self.resize(900, 520)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("按诉求内容、类别或户主查找，如：道路")
        self.search.setAccessibleName("查找诉求")
        self.closed = QCheckBox("也显示已办结的诉求", self)
        self.table = QTableWidget(0, len(self.HEAD), self)
        self.table.setHorizontalHeaderLabels(self.HEAD)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.horizontalHeader().setSectionResizeMode(4, QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().hide()
        self.table.itemChanged.connect(self._ticked)
        self.count = QLabel(self)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        bar = QHBoxLayout()
        bar.addWidget(self.search, 1)
        bar.addWidget(self.closed)
        lay = QVBoxLayout(self)
        hint = QLabel(
            "勾选这项实事回应的诉求（诉求原样取自民情台账，不用重新录入；一条诉求只归一项实事）。", self
        )
        hint.setWordWrap(True)
        hint.setStyleSheet(_HINT_STYLE)
        lay.addWidget(hint)
        lay.addLayout(bar)
        lay.addWidget(self.table, 1)
        lay.addWidget(self.count)
        lay.addWidget(buttons)
        self.search.textChanged.connect(lambda _t: self.fill())
        self.closed.toggled.connect(lambda _b: self.fill())
        self.picks: dict[str, DemandPick] = {}
        self.fill()

    def fill(self) -> None:
        with self.ctx.session() as s:
            rows = demand_picks(
                s, self.village_code, text=self.search.text(), include_closed=self.closed.isChecked()
            )
            chosen_missing = [i for i in self.chosen if i not in {r.id for r in rows}]
            if chosen_missing:  # the ones already chosen stay in view whatever the search
                rows = (
                    demand_picks(s, self.village_code, ids=chosen_missing, limit=len(chosen_missing)) + rows
                )
        self.picks.update({r.id: r for r in rows})
        self.table.blockSignals(True)
        self.table.setRowCount(len(rows))
        for n, r in enumerate(rows):
            other = r.project_id is not None and r.project_id != self.project_id
            values = (r.heard_on.isoformat(), r.household, r.group_name, r.category, r.content, r.status)
            for c, v in enumerate((*values, f"《{r.project_title}》" if other else "")):
                item = QTableWidgetItem(v)
                if c == 0:
                    item.setData(Qt.ItemDataRole.UserRole, r.id)
                    if other:
                        item.setFlags(Qt.ItemFlag.ItemIsSelectable)
                    else:
                        item.setFlags(
                            Qt.ItemFlag.ItemIsUserCheckable
                            | Qt.ItemFlag.ItemIsEnabled
                            | Qt.ItemFlag.ItemIsSelectable
                        )
                        item.setCheckState(
                            Qt.CheckState.Checked if r.id in self.chosen else Qt.CheckState.Unchecked
                        )
                elif other:
                    item.setFlags(Qt.ItemFlag.ItemIsSelectable)
                item.setToolTip(v)
                self.table.setItem(n, c, item)
        self.table.blockSignals(False)
        self.table.resizeColumnsToContents()
        self.table.setColumnWidth(4, max(self.table.columnWidth(4), 260))
        self._count()

    def _ticked(self, item: QTableWidgetItem) -> None:
        if item.column() != 0:
            return
        did = item.data(Qt.ItemDataRole.UserRole)
        if item.checkState() == Qt.CheckState.Checked:
            self.chosen.add(did)
        else:
            self.chosen.discard(did)
        self._count()

    def _count(self) -> None:
        self.count.setText(f"已选 {len(self.chosen)} 条诉求")

    def chosen_ids(self) -> list[str]:
        return sorted(self.chosen)


# -- the project form --------------------------------------------------------------------------------------
class ProjectDialog(_Dialog):
    """新建 / 修改 a project: its plan, money, responsible person, milestones and the demands it answers."""

    def __init__(
        self,
        ctx: AppContext,
        detail: ProjectDetail | None = None,
        parent: QWidget | None = None,
        year: int | None = None,
    ) -> None:
        super().__init__(ctx, "修改为民实事" if detail else "新建为民实事", parent)
        self.detail = detail
        self.keep_draft("project", detail.id if detail else "new")
        self.resize(760, 640)
        inner = QWidget(self)
        form = QFormLayout(inner)
        self.title = QLineEdit(detail.title if detail else "", inner)
        self.title.setPlaceholderText("如：三组道路硬化")
        form.addRow("项目名称：", self.title)
        self.year = QSpinBox(inner)
        this_year = dt.date.today().year
        self.year.setRange(this_year - 5, this_year + 5)
        self.year.setValue(detail.year if detail else (year or this_year))
        form.addRow("年度：", self.year)
        self.village = QComboBox(inner)
        if ctx.is_town:
            with ctx.session() as s:
                for code, name in s.execute(
                    select(Station.code, Station.name).where(Station.kind == "village").order_by(Station.code)
                ):
                    self.village.addItem(name, code)
            if detail:
                self.village.setCurrentIndex(max(0, self.village.findData(detail.village_code)))
                self.village.setEnabled(False)
            form.addRow("实施的村：", self.village)
            note = QLabel("镇级实事由乡镇录入，随下发包送到这个村（村里可查看、打印公示）。", inner)
            note.setStyleSheet(_HINT_STYLE)
            note.setWordWrap(True)
            form.addRow("", note)
        else:
            self.village.hide()
        self.content = QPlainTextEdit(detail.content if detail else "", inner)
        self.content.setPlaceholderText("建设内容：做什么、在哪里、多大规模")
        self.content.setFixedHeight(at_font_size(70))
        form.addRow("建设内容：", self.content)
        self.budget = QLineEdit(
            str(service.money_text(detail.budget_fen)).removesuffix("元") if detail else "", inner
        )
        self.budget.setPlaceholderText("以元为单位，如 120000 或 12.5万元请写 125000")
        form.addRow("预算（元）：", self.budget)
        self.source = QComboBox(inner)
        self.source.setEditable(True)
        self.source.addItems(FUNDING_SOURCES)
        self.source.setCurrentText(detail.funding_source if detail else "")
        form.addRow("资金来源：", self.source)
        self.responsible = QComboBox(inner)
        self.responsible.setEditable(True)
        with ctx.session() as s:
            names = s.scalars(
                select(User.display_name)
                .where(User.village_code == ctx.station.code, User.active.is_(True))
                .order_by(User.display_name)
            ).all()
        self.responsible.addItems(list(dict.fromkeys(names)))
        self.responsible.setCurrentText(detail.responsible if detail else "")
        form.addRow("责任人：", self.responsible)
        self.contact = QLineEdit(detail.contact if detail else "", inner)
        self.contact.setPlaceholderText("公示上写明：群众向谁、在哪里提意见，如 村委会 0535-1234567")
        form.addRow("意见反馈：", self.contact)
        if detail is None:  # the village's last notice's office and telephone, until others are typed
            self.offered_contact = OfferedText(self.contact)
            self._offer_contact()
            self.village.currentIndexChanged.connect(self._offer_contact)
        self.steps = QTableWidget(0, 3, inner)
        self.steps.setHorizontalHeaderLabels(("节点", "计划日期", "完成日期"))
        self.steps.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.steps.verticalHeader().hide()
        self.steps.setMinimumHeight(150)
        self._step_ids: list[str | None] = []
        for m in detail.milestones if detail else ():
            self._add_step(m.title, m.due_on, m.done_on, m.id)
        add, remove = QPushButton("添加节点", inner), QPushButton("删除所选节点", inner)
        add.clicked.connect(lambda: self._add_step("", None, None, None))
        remove.clicked.connect(self._remove_step)
        step_bar = QHBoxLayout()
        step_bar.addWidget(add)
        step_bar.addWidget(remove)
        step_bar.addStretch(1)
        steps_box = QVBoxLayout()
        steps_box.addWidget(self.steps)
        steps_box.addLayout(step_bar)
        form.addRow("节点：", steps_box)
        self.demands = QListWidget(inner)
        self.demands.setMinimumHeight(90)
        self._demand_ids: list[str] = []
        self._set_demands([(d.id, d) for d in detail.demands] if detail else [])
        pick = QPushButton("从民情台账选择…", inner)
        pick.clicked.connect(self._pick)
        demand_box = QVBoxLayout()
        demand_box.addWidget(self.demands)
        demand_box.addWidget(pick, 0, Qt.AlignmentFlag.AlignLeft)
        form.addRow("回应的诉求：", demand_box)
        lay = QVBoxLayout(self)
        lay.addWidget(_scrolled(inner, self), 1)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)

    def _offer_contact(self, _index: int = 0) -> None:
        code = self.village.currentData() if self.ctx.is_town else self.ctx.station.code
        if code:
            with self.ctx.work() as w:
                self.offered_contact.offer(service.last_contact(w, code))

    def draft_parts(self) -> list[KeptPart]:
        rows = (self.steps.model().rowsInserted, self.steps.model().rowsRemoved)
        listed = (self.demands.model().rowsInserted, self.demands.model().modelReset)
        return [
            KeptPart("steps", self._kept_steps, self._put_steps, (self.steps.itemChanged, *rows)),
            KeptPart("demands", lambda: list(self._demand_ids), self._put_demands, listed),
        ]

    def _kept_steps(self) -> list[list[str | None]]:
        return [
            [*(self.steps.item(n, c).text() if self.steps.item(n, c) else "" for c in range(3)), mid]
            for n, mid in enumerate(self._step_ids)
        ]

    def _put_steps(self, value: object) -> None:
        """The 节点 of a kept draft as typed (their dates are checked at 确定); one that names a milestone
        of another project is a new one. A value of the wrong shape puts nothing back."""
        if not isinstance(value, list) or not all(
            isinstance(r, list) and len(r) == 4 and all(v is None or isinstance(v, str) for v in r)
            for r in value
        ):
            return
        known = {m.id for m in self.detail.milestones} if self.detail else set()
        self.steps.setRowCount(0)
        self._step_ids = []
        for title, due, done, mid in value[:MAX_KEPT_STEPS]:
            n = self.steps.rowCount()
            self.steps.insertRow(n)
            for c, text in enumerate((title, due, done)):
                self.steps.setItem(n, c, QTableWidgetItem(text or ""))
            self._step_ids.append(mid if mid in known else None)

    def _put_demands(self, value: object) -> None:
        """The demands of a kept draft, looked up again in this village (one not found is left out)."""
        code = self._village_code()
        if not isinstance(value, list) or not all(isinstance(i, str) for i in value) or not code:
            return
        ids = value[:MAX_KEPT_DEMANDS]
        with self.ctx.session() as s:
            picks = demand_picks(s, code, ids=ids, limit=len(ids) or 1) if ids else []
        self._set_demands([(p.id, p) for p in picks])

    def _add_step(self, title: str, due: dt.date | None, done: dt.date | None, mid: str | None) -> None:
        n = self.steps.rowCount()
        self.steps.insertRow(n)
        self.steps.setItem(n, 0, QTableWidgetItem(title))
        for c, day in ((1, due), (2, done)):
            self.steps.setItem(n, c, QTableWidgetItem(day.isoformat() if day else ""))
        self._step_ids.append(mid)

    def _remove_step(self) -> None:
        row = self.steps.currentRow()
        if row >= 0:
            self.steps.removeRow(row)
            del self._step_ids[row]

    def _set_demands(self, picks: list[tuple[str, DemandPick]]) -> None:
        self.demands.clear()
        self._demand_ids = []
        for did, d in picks:
            item = QListWidgetItem(
                f"{d.heard_on:%Y-%m-%d}　{d.household}　［{d.category}］{d.content}（{d.status}）"
            )
            self.demands.addItem(item)
            self._demand_ids.append(did)

    def _village_code(self) -> str:
        return self.village.currentData() if self.ctx.is_town else self.ctx.station.code

    def _pick(self) -> None:
        code = self._village_code()
        if not code:
            return
        dlg = DemandPickerDialog(
            self.ctx, code, self._demand_ids, self.detail.id if self.detail else None, self
        )
        if dlg.exec() == QDialog.DialogCode.Accepted:
            ids = dlg.chosen_ids()
            with self.ctx.session() as s:
                picks = demand_picks(s, code, ids=ids, limit=len(ids) or 1) if ids else []
            self._set_demands([(p.id, p) for p in picks])

    def _milestones(self) -> list[MilestoneInput]:
        out = []
        for n in range(self.steps.rowCount()):
            title = (self.steps.item(n, 0).text() if self.steps.item(n, 0) else "").strip()
            days = []
            for c, label in ((1, "计划日期"), (2, "完成日期")):
                text = (self.steps.item(n, c).text() if self.steps.item(n, c) else "").strip()
                try:
                    days.append(dt.date.fromisoformat(text) if text else None)
                except ValueError:
                    raise UserError(
                        f"第 {n + 1} 个节点的{label}“{text}”格式不对，请写成 2024-03-15", field="milestones"
                    ) from None
            out.append(MilestoneInput(title, days[0], days[1], id=self._step_ids[n]))
        return out

    def apply(self, work: Work) -> None:
        data = ProjectInput(
            title=self.title.text(),
            year=self.year.value(),
            budget=self.budget.text().strip(),
            funding_source=self.source.currentText(),
            responsible=self.responsible.currentText(),
            content=self.content.toPlainText(),
            contact=self.contact.text(),
            village_code=self._village_code() if self.ctx.is_town else None,
            milestones=self._milestones(),
            demand_ids=list(self._demand_ids),
        )
        self.saved = service.save_project(work, data, self.detail.id if self.detail else None)


# -- the next step -----------------------------------------------------------------------------------------
class AdvanceDialog(_Dialog):
    """开始实施 / 完成 / 验收: the day, and what the step needs (what was done and the money spent; the
    residents' 点评 counted by verdict, as the demand 点评 has them)."""

    def __init__(self, ctx: AppContext, detail: ProjectDetail, parent: QWidget | None = None) -> None:
        target = detail.next_state
        assert target is not None, "offered only before 已验收"
        super().__init__(ctx, f"{service.STEP_NAMES[target]}：{detail.title}", parent)
        self.detail, self.target = detail, target
        self.keep_draft(f"project_{target}", detail.id)
        form = QFormLayout()
        self.on = date_edit(None, self)
        form.addRow(f"{service.STEP_NAMES[target]}日期：", self.on)
        self.summary = QPlainTextEdit(self)
        self.spent = QLineEdit(self)
        self.counts: list[QSpinBox] = []
        self.method = QComboBox(self)
        self.words = QPlainTextEdit(self)
        self.review_on = date_edit(None, self)
        if target == COMPLETED:
            self.summary.setPlaceholderText("做了什么，如：硬化道路 1.2 公里，修边沟 900 米")
            self.summary.setFixedHeight(at_font_size(80))
            form.addRow("完成情况：", self.summary)
            self.spent.setPlaceholderText(f"以元为单位（预算 {detail.budget_text}）")
            form.addRow("实际支出（元）：", self.spent)
        elif target == ACCEPTED:
            note = QLabel(
                "群众点评：请群众当面、电话或签字说出满意、基本满意或不满意，这里按人数记下，"
                "并写下群众的意见。点评是群众对这件实事的评价，不给干部打分、不排名。",
                self,
            )
            note.setWordWrap(True)
            note.setStyleSheet(_HINT_STYLE)
            form.addRow(note)
            counts = QHBoxLayout()
            for verdict in vocab.FEEDBACK_VERDICTS:
                spin = QSpinBox(self)
                spin.setRange(0, 100_000)
                spin.setSuffix(" 人")
                spin.setAccessibleName(verdict)
                self.counts.append(spin)
                counts.addWidget(QLabel(verdict, self))
                counts.addWidget(spin)
            counts.addStretch(1)
            form.addRow("点评人数：", counts)
            self.method.addItems(vocab.FEEDBACK_METHODS)
            form.addRow("怎样收集的：", self.method)
            self.words.setPlaceholderText("群众的意见（有人不满意时必填：哪里不满意）")
            self.words.setFixedHeight(at_font_size(70))
            form.addRow("群众意见：", self.words)
            form.addRow("点评日期：", self.review_on)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)

    def apply(self, work: Work) -> None:
        review = None
        if self.target == ACCEPTED:
            review = ReviewInput(
                *(s.value() for s in self.counts),
                method=self.method.currentText(),
                words=self.words.toPlainText(),
                given_on=date_of(self.review_on),
            )
        service.advance(
            work,
            self.detail.id,
            self.target,
            on=date_of(self.on),
            done_summary=self.summary.toPlainText() if self.target == COMPLETED else None,
            spent=self.spent.text().strip() if self.target == COMPLETED else None,
            review=review,
        )


class MilestoneDoneDialog(_Dialog):
    def __init__(self, ctx: AppContext, milestone_id: str, title: str, parent: QWidget | None = None) -> None:
        super().__init__(ctx, f"节点完成：{title}", parent)
        self.milestone_id = milestone_id
        form = QFormLayout()
        self.on = date_edit(None, self)
        form.addRow("完成日期：", self.on)
        lay = QVBoxLayout(self)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)

    def apply(self, work: Work) -> None:
        service.set_milestone_done(work, self.milestone_id, date_of(self.on))


class SettleDialog(_Dialog):
    """办结关联诉求: answer and close the linked demands still open, as the project settled them."""

    def __init__(self, ctx: AppContext, detail: ProjectDetail, parent: QWidget | None = None) -> None:
        super().__init__(ctx, "办结这项实事回应的诉求", parent)
        self.detail = detail
        open_ones = [d for d in detail.demands if d.status != vocab.CLOSED]
        text = QLabel(
            f"这项实事回应的诉求中有 {len(open_ones)} 条尚未办结。确定后逐条答复群众"
            f"“已由为民实事《{detail.title}》解决”并办结（已上报乡镇、等待答复的除外）。",
            self,
        )
        text.setWordWrap(True)
        form = QFormLayout()
        self.on = date_edit(None, self)
        form.addRow("办结日期：", self.on)
        self.by = QLineEdit(ctx.user.display_name if ctx.user else "", self)
        form.addRow("答复人：", self.by)
        lay = QVBoxLayout(self)
        lay.addWidget(text)
        lay.addLayout(form)
        lay.addWidget(self.error)
        lay.addWidget(self.buttons)
        self.result: service.SettleResult | None = None

    def apply(self, work: Work) -> None:
        self.result = service.settle_demands(
            work, self.detail.id, on=date_of(self.on), replied_by=self.by.text()
        )


__all__ = [
    "IN_PROGRESS",
    "AdvanceDialog",
    "DemandPickerDialog",
    "MilestoneDoneDialog",
    "ProjectDialog",
    "SettleDialog",
]
