"""为民实事 page: the year's projects (by village at the town, then by state), one project's detail with
its milestones, demands and photos, and its actions: 新建 / 修改, the next step, a milestone done,
photos, the 公示 sheets, 办结关联诉求 (docs/projects.md). A 按村按状态 tab counts them per village."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QScrollArea,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db.models.projects import ACCEPTED, COMPLETED, PROJECT_STATES, TOWN_SCOPE
from db.queries.projects import ProjectRow, project_rows, project_years, year_counts

from app import accounts, attachments
from app.dates import cn_date
from app.errors import UserError
from app.projects import service
from app.projects.service import ProjectDetail, money_text

from ui.context import AppContext
from ui.file_dialogs import ask_open_file_name, ask_save_file_name
from ui.models.lazy import LazyIdModel
from ui.projects.dialogs import AdvanceDialog, MilestoneDoneDialog, ProjectDialog, SettleDialog
from ui.widgets.fit import FittedDialog
from ui.widgets.flow import FlowLayout
from ui.widgets.village_filter import VillageFilter, compact

ALL_STATES = "全部状态"


class ProjectsModel(LazyIdModel):
    """The year's projects, in village-code order, then state (计划 first), then title: never by a figure."""

    COLUMNS = (
        (None, "项目名称"),
        (None, "范围"),
        (None, "状态"),
        (None, "预算"),
        (None, "资金来源"),
        (None, "责任人"),
        (None, "回应诉求"),
        (None, "节点"),
        (None, "下一节点"),
    )
    VILLAGE_COLUMN = (None, "村")
    TOOLTIPS = True

    def __init__(self, session_factory, parent=None) -> None:
        super().__init__(session_factory, parent)
        self.year = dt.date.today().year
        self.state: str | None = None
        self.village: str | None = None
        self.rows: dict[str, ProjectRow] = {}

    def _query_ids(self, session) -> list:
        rows = project_rows(session, year=self.year, state=self.state, village_code=self.village)
        self.rows = {r.id: r for r in rows}
        return [r.id for r in rows]

    def _fetch(self, session, ids):
        return {i: self.rows[i] for i in ids if i in self.rows}

    def _display(self, r: ProjectRow, column: int) -> object:
        return (
            r.title,
            r.scope,
            r.state,
            money_text(r.budget_fen),
            r.funding_source,
            r.responsible,
            f"{r.demands} 条",
            f"{r.milestones_done}/{r.milestones}",
            cn_date(r.next_due),
        )[column]


class ProjectsPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.year = QComboBox(self)
        self.year.setAccessibleName("年度")
        compact(self.year, 6)
        self.state = compact(QComboBox(self), 5)
        self.state.setAccessibleName("状态")
        self.state.addItems([ALL_STATES, *PROJECT_STATES])
        self.village = VillageFilter(ctx, self)
        self.new_button = QPushButton("新建实事…", self)
        self.edit_button = QPushButton("修改…", self)
        self.step_button = QPushButton("下一步…", self)
        self.notice_button = QPushButton("打印公示…", self)
        self.photo_button = QPushButton("添加照片…", self)
        self.settle_button = QPushButton("办结回应的诉求…", self)
        self.delete_button = QPushButton("删除", self)
        self.new_button.setToolTip("村里录入村级实事；乡镇录入镇级实事（选择实施的村）")
        bar = QHBoxLayout()
        bar.addWidget(QLabel("年度：", self))
        bar.addWidget(self.year)
        bar.addWidget(self.state)
        bar.addWidget(self.village)
        buttons = FlowLayout()  # on two lines when the window is narrow (特大 on a small screen)
        for b in (
            self.new_button,
            self.edit_button,
            self.step_button,
            self.notice_button,
            self.photo_button,
            self.settle_button,
            self.delete_button,
        ):
            buttons.addWidget(b)
        bar.addLayout(buttons, 1)
        self.summary = QLabel(self)
        self.summary.setWordWrap(True)
        self.model = ProjectsModel(ctx.workspace.session, self)
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.setAccessibleName("为民实事列表")
        self.detail = QTextBrowser(self)
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._link)
        self.detail.setAccessibleName("实事详情")
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 2)
        self.counts = QTableWidget(0, len(PROJECT_STATES) + 2, self)
        self.counts.setHorizontalHeaderLabels(["村", *PROJECT_STATES, "合计"])
        self.counts.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.counts.verticalHeader().hide()
        self.counts.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.counts.setAccessibleName("按村按状态")
        self.tabs = QTabWidget(self)
        list_tab = QWidget(self)
        list_lay = QVBoxLayout(list_tab)
        list_lay.setContentsMargins(0, 0, 0, 0)
        list_lay.addWidget(self.summary)
        list_lay.addWidget(split, 1)
        self.tabs.addTab(list_tab, "实事项目")
        self.tabs.addTab(self.counts, "按村按状态")
        lay = QVBoxLayout(self)
        lay.addLayout(bar)
        lay.addWidget(self.tabs, 1)
        self.year.currentIndexChanged.connect(lambda _i: self.reload())
        self.state.currentIndexChanged.connect(lambda _i: self.reload())
        self.village.changed.connect(self.reload)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        self.new_button.clicked.connect(self.new_project)
        self.edit_button.clicked.connect(self.edit_project)
        self.step_button.clicked.connect(self.next_step)
        self.notice_button.clicked.connect(self.print_notice)
        self.photo_button.clicked.connect(self.add_photo)
        self.settle_button.clicked.connect(self.settle)
        self.delete_button.clicked.connect(self.delete_project)
        ctx.data_changed.connect(self._on_data_changed)
        self._loaded = False
        self.fill_years()
        self.reload()

    # -- loading -------------------------------------------------------------------------------------------
    def ready(self) -> bool:
        return self._loaded

    def refresh(self) -> None:
        self.village.fill()
        self.fill_years()
        self.reload()

    def fill_years(self) -> None:
        with self.ctx.session() as s:
            years = project_years(s)
        this = dt.date.today().year
        years = sorted(set(years) | {this, this + 1}, reverse=True)
        current = self.year.currentData() or this
        self.year.blockSignals(True)
        self.year.clear()
        for y in years:
            self.year.addItem(f"{y}年", y)
        self.year.setCurrentIndex(max(0, self.year.findData(current)))
        self.year.blockSignals(False)

    def reload(self) -> None:
        current = self.current_id()
        self.model.year = self.year.currentData() or dt.date.today().year
        self.model.state = self.state.currentText() if self.state.currentIndex() > 0 else None
        self.model.village = self.village.code()
        self.model.reload()
        self.view.resizeColumnsToContents()
        rows = list(self.model.rows.values())
        per_state = {s: sum(1 for r in rows if r.state == s) for s in PROJECT_STATES}
        self.summary.setText(
            f"{self.model.year}年共 {len(rows)} 项："
            + "，".join(f"{s} {n}" for s, n in per_state.items())
            + ("（村级实事由各村录入、随上报包送来；镇级实事由乡镇录入）" if self.ctx.is_town else "")
        )
        self._fill_counts()
        if current and self.model.row_of(current) >= 0:
            self.view.selectRow(self.model.row_of(current))
        elif self.model.rowCount():
            self.view.selectRow(0)
        self.show_detail()
        self._loaded = True

    def _fill_counts(self) -> None:
        with self.ctx.session() as s:
            rows = project_rows(s, year=self.model.year)
        counts = year_counts(rows)
        self.counts.setRowCount(len(counts))
        for n, (code, per_state) in enumerate(counts.items()):
            values = [self.village.name_of(code), *map(str, per_state.values()), str(sum(per_state.values()))]
            for c, v in enumerate(values):
                item = QTableWidgetItem(v)
                if c:
                    item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
                self.counts.setItem(n, c, item)

    def _on_data_changed(self, topic: str) -> None:
        if topic in ("projects", "diary", "sync"):
            self.refresh()

    def current_id(self) -> str | None:
        index = self.view.currentIndex()
        return self.model.id_at(index.row()) if index.isValid() else None

    def current_detail(self) -> ProjectDetail | None:
        pid = self.current_id()
        if pid is None:
            return None
        try:
            with self.ctx.work() as w:
                return service.project_detail(w, pid)
        except UserError:
            return None

    def show_record(self, record_id: str) -> None:
        row = self.model.row_of(record_id)
        if row >= 0:
            self.view.selectRow(row)

    def show_detail(self) -> None:
        d = self.current_detail()
        may = accounts.can(self.ctx.user, "manage_projects")  # (a 调解员 reads them)
        self.new_button.setEnabled(may)
        can_write = d is not None and d.writable and may
        self.edit_button.setEnabled(can_write and d is not None and d.state != ACCEPTED)
        self.step_button.setEnabled(can_write and d is not None and d.next_state is not None)
        if d is not None and d.next_state:
            self.step_button.setText(f"{service.STEP_NAMES[d.next_state]}…")
        else:
            self.step_button.setText("下一步…")
        self.photo_button.setEnabled(can_write)
        self.delete_button.setEnabled(can_write and d is not None and d.state == "计划")
        self.notice_button.setEnabled(d is not None)
        self.settle_button.setVisible(not self.ctx.is_town)
        self.settle_button.setEnabled(
            d is not None
            and d.village_code == self.ctx.station.code
            and d.state in (COMPLETED, ACCEPTED)
            and any(x.status != "已办结" for x in d.demands)
        )
        self.detail.setHtml(
            detail_html(d, self.ctx.is_town)
            if d
            else "<p style='color:#5f6b7a'>选中一项实事查看详情；点“新建实事…”录入今年的为民实事。</p>"
        )

    # -- actions ---------------------------------------------------------------------------------------------
    def new_project(self) -> None:
        dlg = ProjectDialog(self.ctx, None, self, year=self.model.year)
        if dlg.exec() == QDialog.DialogCode.Accepted:
            self.show_record(dlg.saved.id)

    def edit_project(self) -> None:
        d = self.current_detail()
        if d is not None:
            ProjectDialog(self.ctx, d, self).exec()

    def next_step(self) -> None:
        d = self.current_detail()
        if d is not None and d.next_state:
            AdvanceDialog(self.ctx, d, self).exec()

    def delete_project(self) -> None:
        d = self.current_detail()
        if d is None:
            return
        answer = QMessageBox.question(self, "删除实事", f"删除计划中的实事《{d.title}》？")
        if answer != QMessageBox.StandardButton.Yes:
            return
        try:
            with self.ctx.work() as w:
                service.delete_project(w, d.id)
        except UserError as exc:
            QMessageBox.warning(self, "删除实事", exc.message)
            return
        self.ctx.data_changed.emit("projects")

    def add_photo(self) -> None:
        d = self.current_detail()
        if d is None:
            return
        path, _ = ask_open_file_name(self, "选择照片", "", "照片 (*.jpg *.jpeg *.png)")
        if not path:
            return
        try:
            with self.ctx.work() as w:
                service.add_photo(w, d.id, Path(path))
        except UserError as exc:
            QMessageBox.warning(self, "添加照片", exc.message)
            return
        self.ctx.data_changed.emit("projects")

    def print_notice(self) -> None:
        d = self.current_detail()
        if d is None:
            return
        from app.projects import (
            documents,  # the PDF/workbook library loads when something is printed or exported
        )

        kind = documents.default_kind(d)
        name = "完成公示" if kind == documents.DONE else "计划公示"
        path, _ = ask_save_file_name(self, f"保存{name}", f"{d.title}-{name}.pdf", "PDF (*.pdf)")
        if not path:
            return
        try:
            with self.ctx.work() as w:
                out = documents.write_notice(w, d.id, Path(path), kind=kind)
        except UserError as exc:
            QMessageBox.warning(self, "打印公示", exc.message)
            return
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(out)))

    def settle(self) -> None:
        d = self.current_detail()
        if d is None:
            return
        dlg = SettleDialog(self.ctx, d, self)
        if dlg.exec() == QDialog.DialogCode.Accepted and dlg.result is not None:
            text = f"已办结 {dlg.result.closed} 条诉求。"
            if dlg.result.skipped:
                text += "\n" + "\n".join(dlg.result.skipped)
            QMessageBox.information(self, "办结回应的诉求", text)
            self.ctx.data_changed.emit("diary")

    def _link(self, url: QUrl) -> None:
        kind, _, rid = url.toString().partition(":")
        d = self.current_detail()
        if d is None:
            return
        if kind == "done":
            step = next((m for m in d.milestones if m.id == rid), None)
            if step is not None:
                MilestoneDoneDialog(self.ctx, rid, step.title, self).exec()
        elif kind == "photo":
            info = next((p for p in d.photos if p.id == rid), None)
            if info is not None:
                self._show_photo(info)

    def _show_photo(self, info: attachments.AttachmentInfo) -> None:
        try:
            with self.ctx.work() as w:
                data = attachments.read_attachment(w, info)
        except UserError as exc:
            QMessageBox.warning(self, "照片", exc.message)
            return
        pix = QPixmap()
        pix.loadFromData(data)
        dlg = FittedDialog(self)
        dlg.setWindowTitle(info.filename)
        label = QLabel(dlg)
        label.setPixmap(
            pix.scaled(
                900, 600, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.SmoothTransformation
            )
        )
        area = QScrollArea(dlg)
        area.setWidget(label)
        lay = QVBoxLayout(dlg)
        lay.addWidget(area)
        dlg.resize(940, 640)
        dlg.exec()


def detail_html(d: ProjectDetail, town: bool) -> str:
    esc = html.escape
    scope = "镇级（乡镇录入）" if d.scope == TOWN_SCOPE else "村级"
    read_only = (
        ""
        if d.writable
        else "<p style='color:#8a5a00'>只能查看："
        + (
            "村级实事由村里录入，随上报包送来。</p>"
            if town
            else "镇级实事由乡镇录入，随下发包送来；可以打印公示。</p>"
        )
    )
    parts = [
        f"<h3>{esc(d.title)}　<span style='color:#1e4f8a'>{esc(d.state)}</span></h3>",
        read_only,
        f"<p>{esc(d.village_name)}　{d.year}年度　{scope}</p>",
        f"<p><b>建设内容：</b>{esc(d.content) or '—'}</p>",
        f"<p><b>预算：</b>{esc(d.budget_text)}　<b>资金来源：</b>{esc(d.funding_source)}　"
        f"<b>责任人：</b>{esc(d.responsible)}</p>",
    ]
    if d.contact:
        parts.append(f"<p><b>意见反馈：</b>{esc(d.contact)}</p>")
    if d.started_on:
        parts.append(f"<p><b>开始实施：</b>{cn_date(d.started_on)}</p>")
    if d.completed_on:
        parts.append(
            f"<p><b>完成：</b>{cn_date(d.completed_on)}，{esc(d.done_summary)}　<b>实际支出：</b>{esc(d.spent_text)}</p>"
        )
    if d.accepted_on:
        parts.append(f"<p><b>验收：</b>{cn_date(d.accepted_on)}</p>")
        parts.append(f"<p style='color:#1e6b34'><b>群众点评：</b>{esc(d.review_text)}</p>")
    parts.append("<p><b>节点：</b></p><ol>")
    for m in d.milestones:
        done = (
            f"<span style='color:#1e6b34'>{cn_date(m.done_on)}完成</span>"
            if m.done_on
            else (f'<a href="done:{m.id}">标记完成…</a>' if d.writable and d.state != ACCEPTED else "未完成")
        )
        parts.append(f"<li>{esc(m.title)}　计划 {cn_date(m.due_on)}　{done}</li>")
    parts.append("</ol>")
    parts.append(f"<p><b>回应的诉求（{len(d.demands)} 条，取自民情台账）：</b></p><ul>")
    for x in d.demands:
        parts.append(
            f"<li>{x.heard_on:%Y-%m-%d}　{esc(x.household)}　［{esc(x.category)}］{esc(x.content)}（{esc(x.status)}）</li>"
        )
    parts.append("</ul>")
    if d.photos:
        links = "　".join(f'<a href="photo:{p.id}">{esc(p.filename)}</a>' for p in d.photos)
        parts.append(f"<p><b>照片：</b>{links}</p>")
    return "".join(parts)
