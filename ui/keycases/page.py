"""联户包案 screen: the list (open ones first; at a town with the 村 column) and the selected 包案's sheet
(五个一, 四到位, linked records, 化解方案 revisions, state history) with its actions. Only roles that may see
sensitive tags see anything here (docs/keycases.md).

The list is a plain table model over the service's rows: 包案 are few (a village keeps a handful, a town
its villages' few dozen), unlike the lazy lists of households and diary entries."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app import accounts
from app.dates import cn_date, cn_time
from app.errors import UserError
from app.keycases import cases

from ui.context import AppContext
from ui.file_dialogs import ask_save_file_name
from ui.keycases.dialogs import CaseDialog, LinkDialog, SimpleDialog, show_error, today
from ui.widgets.form_draft import FormDraft


class CaseListModel(QAbstractTableModel):
    def __init__(self, town: bool, parent: Any = None) -> None:
        super().__init__(parent)
        self.rows: list[cases.KeyCaseRow] = []
        self.headers = (["村"] if town else []) + ["户", "案由", "包案领导", "开立日期", "状态", "开立"]
        self.town = town

    def set_rows(self, rows: list[cases.KeyCaseRow]) -> None:
        self.beginResetModel()
        self.rows = rows
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:
        return 0 if parent.isValid() else len(self.headers)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.headers[section]
        return None

    def data(
        self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self.rows):
            return None
        r = self.rows[index.row()]
        if role == Qt.ItemDataRole.UserRole:
            return r.id
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        values = ([r.village_name] if self.town else []) + [
            r.household,
            r.title,
            r.leader,
            cn_date(r.opened_on),
            r.state,
            r.owner_label,
        ]
        return values[index.column()]


def sheet_html(d: cases.KeyCaseDetail) -> str:
    """The 包案 as the screen shows it (the printed sheet's content)."""
    e = html.escape

    def row(label: str, text: str) -> str:
        body = e(text or "—").replace("\n", "<br>")
        return f"<tr><td style='color:#555' width='96'>{e(label)}</td><td>{body}</td></tr>"

    leader = d.leader
    plan = d.plan
    parts = [
        f"<h3>{e(d.title)}</h3>",
        f"<p>{e(d.household)} {e(d.person_name)}　{e(d.owner_label)}　开立 {cn_date(d.opened_on)}　"
        f"<b>{e(d.state)}</b></p>",
    ]
    if d.why_read_only:
        parts.append(f"<p style='color:#8a5a00'>{e(d.why_read_only)}</p>")
    parts.append("<h4>五个一</h4><table cellspacing='4'>")
    parts.append(row("包案领导", f"{leader.person.label}（{cn_date(leader.from_on)}起）" if leader else ""))
    parts.append(row("工作班子", "、".join(m.person.label for m in d.team)))
    parts.append(
        row(
            "化解方案",
            f"{plan.text}\n（第 {plan.revision} 版，{plan.author_name} {cn_time(plan.written_at)}）"
            if plan
            else "",
        )
    )
    parts.append(row("责任部门", d.department))
    parts.append(row("稳控措施", d.stabilization))
    for m in d.members:
        if m.until_on is not None:
            note = f"（{m.end_note}）" if m.end_note else ""
            parts.append(
                row(f"曾任{m.role}", f"{m.person.label} {cn_date(m.from_on)}至{cn_date(m.until_on)}{note}")
            )
    parts.append("</table><h4>四到位</h4><table cellspacing='4'>")
    for col, name, _when in cases.FOUR:
        parts.append(row(name, d.steps.get(col) or "不适用"))
    parts.append("</table><h4>关联记录</h4><table cellspacing='4'>")
    for ln in d.links:
        parts.append(row(ln.kind, f"{cn_date(ln.when)} {ln.text}".strip()))
    if not d.links:
        parts.append(row("", "（尚未关联；点“关联记录…”从这一户的日记、诉求和案件里勾选）"))
    if len(d.plans) > 1:
        parts.append("</table><h4>化解方案修订记录</h4><table cellspacing='4'>")
        for p in d.plans[:-1]:
            parts.append(row(f"第 {p.revision} 版", f"{p.text}\n（{p.author_name} {cn_time(p.written_at)}）"))
    parts.append("</table><h4>状态记录</h4><table cellspacing='4'>")
    for s in d.history:
        step = f"{s.from_state} → {s.to_state}" if s.from_state else f"开立（{s.to_state}）"
        note = "" if s.note == cases.OPENED else s.note
        parts.append(row(cn_date(s.on_date), f"{step}　{s.by_name}" + (f"\n{note}" if note else "")))
    if d.close_reason:
        parts.append(row("销号理由", d.close_reason))
    if d.state == cases.CLOSED:
        parts.append(row("批准人", d.close_approver))
        parts.append(row("群众意见", d.resident_view))
    parts.append("</table>")
    return "".join(parts)


class KeyCasesPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.current: cases.KeyCaseDetail | None = None
        self._loaded = False
        lay = QVBoxLayout(self)
        self.denied = QLabel(cases.NO_PERMISSION)
        self.denied.setWordWrap(True)
        lay.addWidget(self.denied)
        self.body = QWidget()
        lay.addWidget(self.body, 1)
        body = QVBoxLayout(self.body)
        body.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        self.state = QComboBox()
        self.state.addItem("全部状态", None)
        for s in cases.STATES:
            self.state.addItem(s, s)
        self.state.currentIndexChanged.connect(lambda _i: self.refresh())
        self.open_btn = QPushButton("开立包案…")
        self.open_btn.clicked.connect(self.open_case)
        self.export_btn = QPushButton("导出台账…")
        self.export_btn.clicked.connect(self.export)
        self.summary = QLabel()
        top.addWidget(QLabel("状态"))
        top.addWidget(self.state)
        top.addWidget(self.open_btn)
        top.addWidget(self.export_btn)
        self.interval = QSpinBox()
        self.interval.setRange(1, 365)
        self.interval.setSuffix(" 天")
        self.interval.setToolTip("包案领导超过这么多天没有联系，今日待办里提醒（管理员可改）")
        self.interval.editingFinished.connect(self._set_interval)
        top.addWidget(QLabel("联系提醒间隔"))
        top.addWidget(self.interval)
        top.addStretch(1)
        top.addWidget(self.summary)
        body.addLayout(top)
        split = QSplitter(Qt.Orientation.Horizontal)
        self.model = CaseListModel(ctx.workspace.require_station().kind == "town", self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.verticalHeader().setVisible(False)
        self.table.selectionModel().currentRowChanged.connect(lambda cur, _prev: self._show(cur.row()))
        split.addWidget(self.table)
        right = QWidget()
        rlay = QVBoxLayout(right)
        rlay.setContentsMargins(0, 0, 0, 0)
        self.sheet = QLabel()
        self.sheet.setWordWrap(True)
        self.sheet.setTextFormat(Qt.TextFormat.RichText)
        self.sheet.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.sheet.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.sheet)
        rlay.addWidget(scroll, 1)
        grid = QGridLayout()
        self.actions: dict[str, QPushButton] = {}
        for n, (key, text) in enumerate(
            (
                ("edit", "修改…"),
                ("plan", "修订化解方案…"),
                ("leader", "调整包案领导…"),
                ("member", "增加班子成员…"),
                ("end_member", "成员退出…"),
                ("links", "关联记录…"),
                ("request", "申请销号…"),
                ("approve", "批准销号…"),
                ("return", "退回在办…"),
                ("print", "打印工作单…"),
            )
        ):
            b = QPushButton(text)
            b.clicked.connect(getattr(self, f"_do_{key}"))
            grid.addWidget(b, n // 5, n % 5)
            self.actions[key] = b
        rlay.addLayout(grid)
        split.addWidget(right)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        body.addWidget(split, 1)
        ctx.data_changed.connect(self._data_changed)
        ctx.user_changed.connect(self.refresh)
        self.refresh()

    # -- loading ---------------------------------------------------------------------------------------------
    def refresh(self) -> None:
        with self.ctx.work() as w:
            allowed = cases.may_see(w)
            rows = cases.list_cases(w, state=self.state.currentData()) if allowed else []
            counts = cases.count_by_state(w) if allowed else {}
            days = cases.contact_days(w)
            admin = accounts.can(w.actor, "manage_settings")
        self.interval.blockSignals(True)
        self.interval.setValue(days)
        self.interval.setEnabled(admin)
        self.interval.blockSignals(False)
        self.denied.setVisible(not allowed)
        self.body.setVisible(allowed)
        keep = self.current.id if self.current else None
        self.model.set_rows(rows)
        self.summary.setText("　".join(f"{s} {n} 件" for s, n in counts.items()))
        self._loaded = True
        ids = [r.id for r in rows]
        if keep in ids:
            self.table.selectRow(ids.index(keep))
            self._show(ids.index(keep))
        elif rows:
            self.table.selectRow(0)
            self._show(0)
        else:
            self._show(-1)

    def _set_interval(self) -> None:
        try:
            with self.ctx.work() as w:
                if self.interval.value() != cases.contact_days(w):
                    cases.set_contact_days(w, self.interval.value())
        except UserError as exc:
            show_error(self, exc)
        self._changed()

    def ready(self) -> bool:
        return self._loaded

    def _data_changed(self, topic: str) -> None:
        if topic in ("keycases", "diary", "mediation", "sync"):
            self.refresh()

    def show_record(self, record_id: object) -> None:
        self.state.setCurrentIndex(0)
        ids = [r.id for r in self.model.rows]
        if record_id in ids:
            self.table.selectRow(ids.index(str(record_id)))
            self._show(ids.index(str(record_id)))

    def _show(self, row: int) -> None:
        if not 0 <= row < len(self.model.rows):
            self.current = None
            self.sheet.setText(
                "没有选中的包案。" if self.model.rows else "还没有包案。点“开立包案…”为重点信访案件开立。"
            )
        else:
            with self.ctx.work() as w:
                self.current = cases.case_detail(w, self.model.rows[row].id)
            self.sheet.setText(sheet_html(self.current))
        d = self.current
        editable = bool(d and d.editable)
        for key, b in self.actions.items():
            if key == "print":
                b.setEnabled(d is not None)
            elif key == "approve" or key == "return":
                b.setEnabled(editable and d is not None and d.state == cases.CLOSING)
            elif key == "request":
                b.setEnabled(editable and d is not None and d.state == cases.OPEN)
            else:
                b.setEnabled(editable)

    # -- actions -----------------------------------------------------------------------------------------------
    def _changed(self) -> None:
        self.ctx.data_changed.emit("keycases")

    def _choices(self, village_code: str | None = None) -> list[cases.PersonRef]:
        with self.ctx.work() as w:
            return cases.people_choices(w, village_code)

    def _departments(self) -> list[str]:
        with self.ctx.work() as w:
            return cases.departments_named(w)

    def open_case(self) -> None:
        dlg = CaseDialog(self, self.ctx.session, self._choices(), departments=self._departments())

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                return cases.open_case(w, cases.KeyCaseInput(**v))

        dlg.on_accept = accept
        self._run(dlg, "new", "new")

    def _run(self, dlg: QDialog, form: str | None = None, key: str | None = None) -> None:
        """Show ``dlg``; with ``form``, what is typed is kept as a draft for the record ``key`` (the case's
        id by default) until it is saved, and offered back the next time (ui.widgets.form_draft)."""
        if form is not None:
            current = self.current
            dlg.draft = FormDraft(
                dlg, self.ctx, f"keycase_{form}", key or (current.id if current is not None else "new")
            )
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self._changed()

    def _do_edit(self) -> None:
        d = self.current
        assert d is not None
        dlg = CaseDialog(self, self.ctx.session, [], d, departments=self._departments())

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                cases.update_case(w, d.id, **v)
            return None

        dlg.on_accept = accept
        self._run(dlg, "edit")

    def _do_plan(self) -> None:
        d = self.current
        assert d is not None
        dlg = SimpleDialog(
            "修订化解方案",
            self,
            [("text", "text", "化解方案", d.plan.text if d.plan else "")],
            note="修订后旧的版本仍然保留，可在状态记录上方的“化解方案修订记录”里看到。",
        )
        dlg.fields["plan"] = dlg.fields["text"]

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                return cases.revise_plan(w, d.id, v["text"])

        dlg.on_accept = accept
        self._run(dlg, "plan")

    def _do_leader(self) -> None:
        d = self.current
        assert d is not None
        dlg = SimpleDialog(
            "调整包案领导",
            self,
            [
                ("person", "leader", "新的包案领导", None),
                ("date", "on", "从哪天起", today()),
                ("line", "note", "调整原因", ""),
            ],
            self._choices(d.village_code),
            note="原包案领导的记录到这一天结束，保留在历史里。",
        )

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                return cases.change_leader(w, d.id, v["leader"], on=v["on"], note=v["note"])

        dlg.on_accept = accept
        self._run(dlg, "leader")

    def _do_member(self) -> None:
        d = self.current
        assert d is not None
        dlg = SimpleDialog(
            "增加工作班子成员",
            self,
            [("person", "team", "成员", None), ("date", "on", "从哪天起", today())],
            self._choices(d.village_code),
        )

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                return cases.add_team_member(w, d.id, v["team"], on=v["on"])

        dlg.on_accept = accept
        self._run(dlg, "member")

    def _do_end_member(self) -> None:
        d = self.current
        assert d is not None
        team = d.team
        if not team:
            QMessageBox.information(self, "成员退出", "工作班子里没有在任的成员。")
            return
        from PySide6.QtWidgets import QInputDialog

        names = [m.person.label for m in team]
        name, ok = QInputDialog.getItem(self, "成员退出", "谁退出工作班子：", names, 0, False)
        if not ok:
            return
        member = team[names.index(name)]
        dlg = SimpleDialog(
            f"{member.person.name}退出工作班子",
            self,
            [("date", "on", "退出日期", today()), ("line", "note", "原因", "")],
            note="退出后记录保留，注明起止日期。",
        )

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                cases.end_member(w, member.id, on=v["on"], note=v["note"])
            return None

        dlg.on_accept = accept
        self._run(dlg, "end_member", member.id)

    def _do_links(self) -> None:
        d = self.current
        assert d is not None
        with self.ctx.work() as w:
            choices = cases.link_choices(w, d.id)
        linked = {ln.target_id for ln in d.links}
        dlg = LinkDialog(self, choices, linked)
        by_target = {ln.target_id: ln.id for ln in d.links}

        def accept(v: dict[str, Any]) -> object:
            chosen = {target for _t, target in v["chosen"]}
            with self.ctx.work() as w:
                for table, target in v["chosen"]:
                    if target not in linked:
                        cases.link_record(w, d.id, table, target)
                for target in linked - chosen:
                    if target in {c.target_id for c in choices}:
                        cases.unlink_record(w, by_target[target])
            return None

        dlg.on_accept = accept
        self._run(dlg)

    def _do_request(self) -> None:
        d = self.current
        assert d is not None
        dlg = SimpleDialog(
            "申请销号",
            self,
            [("text", "close_reason", "销号理由", ""), ("date", "on", "申请日期", today())],
            note="写明已经做了什么、为什么可以销号（如：已达成协议并履行，信访人书面表示息诉罢访）。",
        )

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                cases.request_close(w, d.id, reason=v["close_reason"], on=v["on"])
            return None

        dlg.on_accept = accept
        self._run(dlg, "close_request")

    def _do_approve(self) -> None:
        d = self.current
        assert d is not None
        dlg = SimpleDialog(
            "批准销号",
            self,
            [
                ("line", "close_approver", "批准人（姓名、单位）", ""),
                ("text", "resident_view", "群众意见（有的写）", ""),
                ("date", "on", "批准日期", today()),
            ],
            note=f"销号理由：{d.close_reason}",
        )

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                cases.approve_close(
                    w, d.id, approver=v["close_approver"], resident_view=v["resident_view"], on=v["on"]
                )
            return None

        dlg.on_accept = accept
        self._run(dlg, "close_approve")

    def _do_return(self) -> None:
        d = self.current
        assert d is not None
        dlg = SimpleDialog(
            "退回在办", self, [("text", "note", "退回原因", ""), ("date", "on", "日期", today())]
        )

        def accept(v: dict[str, Any]) -> object:
            with self.ctx.work() as w:
                cases.return_to_open(w, d.id, note=v["note"], on=v["on"])
            return None

        dlg.on_accept = accept
        self._run(dlg, "return")

    def _do_print(self) -> None:
        d = self.current
        assert d is not None
        name, _f = ask_save_file_name(self, "打印包案工作单", f"包案工作单-{d.household}.pdf", "PDF (*.pdf)")
        if not name:
            return
        try:
            with self.ctx.work() as w:
                from app.keycases.documents import (
                    print_case,  # the PDF/workbook library loads when something is printed or exported
                )

                pages = print_case(w, d.id, Path(name), unit_name=self.ctx.workspace.require_station().name)
        except UserError as exc:
            show_error(self, exc)
            return
        QMessageBox.information(self, "打印工作单", f"已保存（{pages} 页）：{name}")

    def export(self) -> None:
        name, _f = ask_save_file_name(
            self,
            "导出联户包案台账",
            f"联户包案台账-{dt.date.today():%Y%m%d}.xlsx",
            "Excel (*.xlsx)",
        )
        if not name:
            return
        try:
            with self.ctx.work() as w:
                from app.keycases.ledger import (
                    export_keycases,  # the PDF/workbook library loads when something is printed or exported
                )

                n = export_keycases(
                    w,
                    Path(name),
                    unit_name=self.ctx.workspace.require_station().name,
                    state=self.state.currentData(),
                )
        except UserError as exc:
            show_error(self, exc)
            return
        QMessageBox.information(self, "导出台账", f"已导出 {n} 件包案：{name}")
