"""民情日记 page: the diary list with filters and the entry's detail, and the 民情台账 tab.

Ctrl+N anywhere in the main window: the shell calls :func:`new_entry` (or this page's
``new_entry()``).
"""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, QUrl
from PySide6.QtGui import QDesktopServices, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from db.queries.diary import DiaryFilter, LedgerFilter

from app import indexing
from app.diary import demands, entries, ledger
from app.diary.documents import print_month
from app.errors import UserError

from ui.context import AppContext
from ui.dates import date_edit, pydate
from ui.diary.dialogs import (
    AcknowledgeDialog,
    AmendDialog,
    CloseDialog,
    MustVisitDialog,
    PrintMonthDialog,
    ReplyDialog,
)
from ui.diary.entry_form import EntryDialog
from ui.diary.models import DiaryListModel, LedgerModel
from ui.tasks import run_in_background
from ui.widgets.village_filter import VillageFilter, compact


def new_entry(ctx: AppContext, parent: QWidget | None = None) -> EntryDialog:
    """Open the entry form (the main window's global Ctrl+N calls this)."""
    dlg = EntryDialog(ctx, parent=parent)
    dlg.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dlg.open()
    return dlg


def _table(model, parent: QWidget) -> QTableView:
    view = QTableView(parent)
    view.setModel(model)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
    view.setSortingEnabled(True)
    view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.DescendingOrder)
    view.verticalHeader().setVisible(False)
    view.verticalHeader().setDefaultSectionSize(24)
    view.setWordWrap(False)
    view.setAlternatingRowColors(True)
    view.horizontalHeader().setStretchLastSection(True)
    return view


def _combo(items: list[tuple[str, object]], parent: QWidget, name: str) -> QComboBox:
    c = QComboBox(parent)
    for label, data in items:
        c.addItem(label, data)
    c.setAccessibleName(name)
    return c


class DiaryTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id: str | None = None
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("全文搜索（Ctrl+F）：姓名、情况、诉求、答复……多个词用空格隔开")
        self.search.setClearButtonEnabled(True)
        with ctx.work() as w:
            cadres = entries.cadres(w)
        self.cadre = _combo([("全部干部", None), *[(n, i) for i, n in cadres]], self, "干部")
        self.kind = _combo([("全部方式", None), *[(k, k) for k in entries.KINDS]], self, "方式")
        self.status = _combo(
            [("诉求：全部", None), *[(f"诉求{s}", s) for s in demands.STATUSES]], self, "诉求状态"
        )
        self.ack = _combo([("签字：全部", None), ("已签字", True), ("未签字", False)], self, "群众签字")
        # Opens on the last three months (a few thousand entries even in a big village); untick for all.
        self.use_dates = QCheckBox("日期", self)
        self.use_dates.setChecked(True)
        today = dt.date.today()
        self.date_from = date_edit(today - dt.timedelta(days=92), self)
        self.date_to = date_edit(today, self)
        self.household_chip = QPushButton("", self)
        self.household_chip.setToolTip("只看这一户；点击取消")
        self.household_chip.hide()
        self.household_chip.clicked.connect(lambda: self.filter_household(None))
        self.village = VillageFilter(ctx, self)
        for combo in (self.cadre, self.kind, self.status, self.ack):
            compact(combo, 5)
        filters = QHBoxLayout()
        filters.addWidget(self.search, 3)
        for w in (
            self.village,
            self.cadre,
            self.kind,
            self.status,
            self.ack,
            self.use_dates,
            self.date_from,
            QLabel("至"),
            self.date_to,
            self.household_chip,
        ):
            filters.addWidget(w)

        self.new_button = QPushButton("写日记（Ctrl+N）", self)
        self.edit_button = QPushButton("修改", self)
        self.ack_button = QPushButton("群众签字认可…", self)
        self.amend_button = QPushButton("补记…", self)
        self.must_visit_button = QPushButton("登记必访事件…", self)
        self.print_button = QPushButton("打印本月日记…", self)
        self.export_button = QPushButton("导出 Excel…", self)
        self.count = QLabel(self)
        actions = QHBoxLayout()
        for b in (
            self.new_button,
            self.edit_button,
            self.ack_button,
            self.amend_button,
            self.must_visit_button,
            self.print_button,
            self.export_button,
        ):
            actions.addWidget(b)
        actions.addStretch(1)
        actions.addWidget(self.count)
        if ctx.is_town:
            for b in (self.new_button, self.must_visit_button, self.print_button):
                b.setEnabled(False)
                b.setToolTip("民情日记由各村工作站记录；乡镇可查看、答复诉求")

        self.model = DiaryListModel(ctx.workspace.session, self)
        widths = (120, 70, 120, 130, 110, 110, 70)
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
            widths = (60, 115, 60, 100, 100, 90, 90, 60)
        self.view = _table(self.model, self)
        header = self.view.horizontalHeader()
        for col, width in enumerate(widths):
            header.resizeSection(col, width)
        header.setSectionResizeMode(len(widths), QHeaderView.ResizeMode.Stretch)
        self.detail = QTextBrowser(self)
        self.detail.setOpenLinks(False)
        self.detail.anchorClicked.connect(self._detail_link)
        split = QSplitter(Qt.Orientation.Horizontal, self)
        split.addWidget(self.view)
        split.addWidget(self.detail)
        split.setSizes([820, 480])
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addLayout(actions)
        self.index_note = QLabel(self)  # a search while an import's full-text rows are still being built
        self.index_note.setWordWrap(True)
        self.index_note.setStyleSheet("color: #a15c00;")
        self.index_note.hide()
        layout.addWidget(self.index_note)
        layout.addWidget(split, 1)

        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(300)
        self._search_timer.timeout.connect(self.reload)
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.search.returnPressed.connect(self.reload)
        for c in (self.cadre, self.kind, self.status, self.ack):
            c.currentIndexChanged.connect(lambda _i: self.reload())
        self.village.changed.connect(self._village_changed)
        if ctx.is_town:
            self._village_changed(reload=False)
        self.use_dates.toggled.connect(lambda _b: self.reload())
        self.date_from.dateChanged.connect(lambda _d: self.use_dates.isChecked() and self.reload())
        self.date_to.dateChanged.connect(lambda _d: self.use_dates.isChecked() and self.reload())
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self.show_detail())
        self.view.doubleClicked.connect(lambda _i: self.edit_entry())
        self.new_button.clicked.connect(self.new_entry)
        self.edit_button.clicked.connect(self.edit_entry)
        self.ack_button.clicked.connect(self.acknowledge)
        self.amend_button.clicked.connect(self.amend)
        self.must_visit_button.clicked.connect(self.must_visit)
        self.print_button.clicked.connect(self.print_month)
        self.export_button.clicked.connect(self.export)
        QShortcut(
            QKeySequence.StandardKey.Find,
            self,
            self.search.setFocus,
            context=Qt.ShortcutContext.WidgetWithChildrenShortcut,
        )

    # -- list ------------------------------------------------------------------------------------------
    def _village_changed(self, reload: bool = True) -> None:
        """At a town the 干部 filter lists the chosen village's cadres (all villages: not narrowed)."""
        code = self.village.code()
        cadres = []
        if code:
            with self.ctx.work() as w:
                cadres = entries.cadres(w, code)
        self.cadre.blockSignals(True)
        self.cadre.clear()
        self.cadre.addItem("全部干部", None)
        for cadre_id, name in cadres:
            self.cadre.addItem(name, cadre_id)
        self.cadre.setEnabled(bool(code))
        self.cadre.blockSignals(False)
        if reload:
            self.reload()

    def current_filter(self) -> DiaryFilter:
        return DiaryFilter(
            village_code=self.village.code(),
            cadre_id=self.cadre.currentData(),
            kind=self.kind.currentData(),
            demand_status=self.status.currentData(),
            acknowledged=self.ack.currentData(),
            household_id=self.household_id,
            text=self.search.text(),
            date_from=pydate(self.date_from.date()) if self.use_dates.isChecked() else None,
            date_to=pydate(self.date_to.date()) if self.use_dates.isChecked() else None,
        )

    def reload(self, keep: str | None = None) -> None:
        keep = keep or self.current_id()
        self.model.filter = self.current_filter()
        self.model.reload()
        self.count.setText(f"共 {self.model.rowCount()} 篇")
        waiting = indexing.pending(self.ctx.workspace) if self.search.text().strip() else 0
        self.index_note.setText(
            f"全文索引正在更新：还有 {waiting} 篇日记未编入，搜索结果可能不全，稍后再搜一次即可。"
            if waiting
            else ""
        )
        self.index_note.setVisible(bool(waiting))
        row = self.model.row_of(keep) if keep else -1
        if row < 0 and self.model.rowCount():
            row = 0
        if row >= 0:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self.show_detail()

    def filter_household(self, household_id: str | None, label: str = "") -> None:
        self.household_id = household_id
        if household_id:
            # One household's entries are few: show them all, not only the default last three months.
            blocked = self.use_dates.blockSignals(True)
            self.use_dates.setChecked(False)
            self.use_dates.blockSignals(blocked)
        self.household_chip.setText(f"只看：{label} ✕")
        self.household_chip.setVisible(bool(household_id))
        self.reload()

    def current_id(self) -> str | None:
        index = self.view.currentIndex() if hasattr(self, "view") else None
        return self.model.id_at(index.row()) if index is not None and index.isValid() else None

    def current_detail(self) -> entries.EntryDetail | None:
        entry_id = self.current_id()
        if not entry_id:
            return None
        with self.ctx.work() as w:
            try:
                return entries.entry_detail(w, entry_id)
            except UserError:
                return None

    def show_detail(self) -> None:
        e = self.current_detail()
        signed = e is not None and e.read_only
        own = not self.ctx.is_town  # at the town the villages' entries are read-only; it replies to demands
        self.edit_button.setEnabled(own and e is not None and not signed)
        self.ack_button.setEnabled(own and e is not None and not signed)
        self.amend_button.setEnabled(own and e is not None)
        self.detail.setHtml(entry_html(e) if e else "<p style='color:#5f6b7a'>选中一篇日记查看详情。</p>")

    def _detail_link(self, url: QUrl) -> None:
        kind, _, record_id = url.toString().partition(":")
        with self.ctx.work() as w:
            demand = demands.demand_info(w, record_id)
        dlg = ReplyDialog(self.ctx, demand, self) if kind == "reply" else CloseDialog(self.ctx, demand, self)
        dlg.exec()

    # -- actions -----------------------------------------------------------------------------------------
    def new_entry(self) -> None:
        dlg = new_entry(self.ctx, self)
        dlg.saved.connect(lambda entry_id: self.reload(entry_id))

    def edit_entry(self) -> None:
        e = self.current_detail()
        if e is None:
            return
        if e.read_only:
            self.amend()
            return
        dlg = EntryDialog(self.ctx, e.id, parent=self)
        dlg.saved.connect(lambda entry_id: self.reload(entry_id))
        dlg.exec()

    def acknowledge(self) -> None:
        e = self.current_detail()
        if e is None:
            return
        signer = next((p.person_name for p in e.participants if p.person_name), "")
        AcknowledgeDialog(self.ctx, e.id, signer, self).exec()

    def amend(self) -> None:
        e = self.current_detail()
        if e is not None:
            AmendDialog(self.ctx, e.id, self).exec()

    def must_visit(self) -> None:
        MustVisitDialog(self.ctx, self).exec()

    def print_month(self) -> None:
        with self.ctx.work() as w:
            cadres = entries.cadres(w)
        dlg = PrintMonthDialog(
            cadres, self.cadre.currentData() or (self.ctx.user.id if self.ctx.user else None), self
        )
        if not dlg.exec():
            return
        month = dlg.month.date()
        path, _ = QFileDialog.getSaveFileName(
            self,
            "保存 PDF",
            f"民情日记-{dlg.cadre.currentText()}-{month.year()}年{month.month()}月.pdf",
            "PDF (*.pdf)",
        )
        if not path:
            return
        ws, user, station = self.ctx.workspace, self.ctx.user, self.ctx.station

        def work(progress):
            with ws.work(user) as w:
                return print_month(
                    w,
                    Path(path),
                    cadre_id=dlg.cadre.currentData(),
                    year=month.year(),
                    month=month.month(),
                    village_name=station.name,
                )

        run_in_background(
            self,
            "生成民情日记 PDF",
            work,
            lambda printed: QDesktopServices.openUrl(QUrl.fromLocalFile(str(printed.path))),
        )

    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "导出民情日记", "民情日记.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        ws, user, f = self.ctx.workspace, self.ctx.user, self.current_filter()
        name = self.village.currentText() if f.village_code else self.ctx.station.name

        def work(progress):
            with ws.work(user) as w:
                return ledger.export_diary(w, Path(path), village_name=name, f=f, progress=progress)

        run_in_background(
            self,
            "导出民情日记",
            work,
            lambda n: QMessageBox.information(self, "已导出", f"已导出 {n} 篇日记到 {path}"),
        )


def entry_html(e: entries.EntryDetail) -> str:
    esc = html.escape
    met = "、".join(esc(p.person_name or f"{p.head_name}户") for p in e.participants) or "—"
    parts = [
        f"<h3>{e.occurred_at:%Y-%m-%d %H:%M}　{esc(e.kind_label)}</h3>",
        f"<p>记录干部：{esc(e.cadre_name)}　地点：{esc(e.place) or '—'}"
        + (f"　陪同：{esc(e.companions)}" if e.companions else "")
        + "</p>",
        f"<p><b>走访对象：</b>{met}</p>",
    ]
    for key in ("situation", "difficulties", "actions"):
        text = getattr(e, key)
        if text:
            parts.append(f"<p><b>{entries.FIELD_LABELS[key]}：</b>{esc(text)}</p>")
    if e.follow_up:
        when = f"（{e.follow_up_on:%Y-%m-%d}）" if e.follow_up_on else ""
        parts.append(f"<p><b>后续计划：</b>{esc(e.follow_up)}{when}</p>")
    if e.demands:
        parts.append("<p><b>群众诉求：</b></p><ol>")
        for d in e.demands:
            action = ""
            if d.status == demands.OPEN:
                action = f' <a href="reply:{d.id}">答复…</a>'
            elif d.status == demands.REPLIED:
                action = f' <a href="close:{d.id}">办结…</a>'
            reply = (
                f"<br/>答复：{esc(d.reply)}（{esc(d.replied_by or '')} {d.replied_on}）" if d.reply else ""
            )
            due = f"，期限 {d.due_on}" if d.due_on else ""
            parts.append(
                f"<li>［{esc(d.category)}］{esc(d.content)}　<b>{d.status_label}</b>"
                f"（责任人 {esc(d.responsible_name)}{due}）{action}{reply}</li>"
            )
        parts.append("</ol>")
    ack = e.acknowledgement
    if ack is None:
        parts.append("<p style='color:#8a5a00'><b>群众签字认可：</b>尚未签字</p>")
    elif ack.signed:
        warn = "" if ack.matches_content else "　<span style='color:#b3261e'>⚠ 内容与签字时不一致</span>"
        parts.append(
            f"<p style='color:#1e6b34'><b>群众签字认可：</b>{esc(ack.signer_name)}（{esc(ack.signer_relation)}）"
            f"{ack.method_label}，{ack.signed_at:%Y-%m-%d %H:%M}{warn}</p>"
        )
    else:
        parts.append(
            f"<p style='color:#b3261e'><b>拒签：</b>{esc(ack.refusal_reason)}（{ack.signed_at:%Y-%m-%d}）</p>"
        )
    if e.amendments:
        parts.append("<p><b>签字后补记：</b></p><ul>")
        for a in e.amendments:
            label = entries.FIELD_LABELS.get(a.field, "整篇") if a.field else "整篇"
            reason = f"（原因：{esc(a.reason)}）" if a.reason else ""
            parts.append(
                f"<li>{a.amended_at:%Y-%m-%d} {esc(a.author_name)}，针对{label}：{esc(a.text)}{reason}</li>"
            )
        parts.append("</ul>")
    if e.attachments:
        parts.append("<p><b>附件：</b>" + "、".join(esc(a.filename) for a in e.attachments) + "</p>")
    return "".join(parts)


class LedgerTab(QWidget):
    """民情台账: every demand; overdue ones shaded; reply and close from here."""

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        with ctx.work() as w:
            categories = demands.demand_categories(w)
        self.status = _combo([("全部状态", None), *[(s, s) for s in demands.STATUSES]], self, "办理状态")
        self.category = _combo([("全部类别", None), *[(c, c) for c in categories]], self, "诉求类别")
        self.overdue = QCheckBox("只看逾期", self)
        self.search = QLineEdit(self)
        self.search.setPlaceholderText("搜索诉求内容、办理情况、答复")
        self.search.setClearButtonEnabled(True)
        self.village = VillageFilter(ctx, self)
        self.reply_button = QPushButton("答复…", self)
        self.close_button = QPushButton("办结…", self)
        self.export_button = QPushButton("导出台账…", self)
        self.count = QLabel(self)
        bar = QHBoxLayout()
        for w in (
            self.search,
            self.village,
            self.status,
            self.category,
            self.overdue,
            self.reply_button,
            self.close_button,
            self.export_button,
        ):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.model = LedgerModel(ctx.workspace.session, self)
        widths = (90, 70, 80, 260, 70, 90, 65, 180, 200, 45)
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
            widths = (60, 85, 60, 70, 230, 60, 85, 60, 160, 180, 40)
        self.view = _table(self.model, self)
        header = self.view.horizontalHeader()
        for col, width in enumerate(widths):
            header.resizeSection(col, width)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.view, 1)
        for c in (self.status, self.category):
            c.currentIndexChanged.connect(lambda _i: self.reload())
        self.village.changed.connect(self.reload)
        self.overdue.toggled.connect(lambda _b: self.reload())
        self.search.returnPressed.connect(self.reload)
        self.reply_button.clicked.connect(lambda: self._act("reply"))
        self.close_button.clicked.connect(lambda: self._act("close"))
        self.view.doubleClicked.connect(lambda _i: self._act("auto"))
        self.export_button.clicked.connect(self.export)
        self.view.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())

    def current_filter(self) -> LedgerFilter:
        return LedgerFilter(
            village_code=self.village.code(),
            status=self.status.currentData(),
            category=self.category.currentData(),
            overdue_on=dt.date.today() if self.overdue.isChecked() else None,
            text=self.search.text(),
        )

    def reload(self) -> None:
        keep = (
            self.model.id_at(self.view.currentIndex().row()) if self.view.currentIndex().isValid() else None
        )
        self.model.today = dt.date.today()
        self.model.filter = self.current_filter()
        self.model.reload()
        self.count.setText(f"共 {self.model.rowCount()} 条诉求")
        row = self.model.row_of(keep) if keep else 0
        if self.model.rowCount():
            self.view.selectionModel().setCurrentIndex(
                self.model.index(max(row, 0), 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
        self._update_buttons()

    def _current(self):
        index = self.view.currentIndex()
        return self.model.row_data(index.row()) if index.isValid() else None

    def _update_buttons(self) -> None:
        r = self._current()
        self.reply_button.setEnabled(r is not None and r.status == demands.OPEN)
        self.close_button.setEnabled(r is not None and r.status == demands.REPLIED)

    def _act(self, what: str) -> None:
        r = self._current()
        if r is None:
            return
        if what == "auto":
            what = {demands.OPEN: "reply", demands.REPLIED: "close"}.get(r.status, "")
        with self.ctx.work() as w:
            demand = demands.demand_info(w, r.id)
        if what == "reply" and r.status == demands.OPEN:
            ReplyDialog(self.ctx, demand, self).exec()
        elif what == "close" and r.status == demands.REPLIED:
            CloseDialog(self.ctx, demand, self).exec()

    def export(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, "导出民情台账", "民情台账.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        ws, user, f = self.ctx.workspace, self.ctx.user, self.current_filter()
        name = self.village.currentText() if f.village_code else self.ctx.station.name

        def work(progress):
            with ws.work(user) as w:
                return ledger.export_ledger(w, Path(path), village_name=name, f=f, progress=progress)

        run_in_background(
            self,
            "导出民情台账",
            work,
            lambda n: QMessageBox.information(self, "已导出", f"已导出 {n} 条诉求到 {path}"),
        )


class DiaryPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tabs = QTabWidget(self)
        self.diary_tab = DiaryTab(ctx, self.tabs)
        self.ledger_tab = LedgerTab(ctx, self.tabs)
        self.tabs.addTab(self.diary_tab, "民情日记")
        self.tabs.addTab(self.ledger_tab, "民情台账")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addWidget(self.tabs)
        self._loaded = False
        ctx.data_changed.connect(self._on_data_changed)

    def new_entry(self) -> None:
        self.tabs.setCurrentWidget(self.diary_tab)
        self.diary_tab.new_entry()

    def show_household(self, household_id: str, label: str = "") -> None:
        """Open the diary filtered to one household (for the household screen's "走访记录")."""
        self.tabs.setCurrentWidget(self.diary_tab)
        self.diary_tab.filter_household(household_id, label)

    def refresh(self) -> None:
        self.diary_tab.village.fill()
        self.ledger_tab.village.fill()
        self.diary_tab.reload()
        self.ledger_tab.reload()
        self._loaded = True

    def ready(self) -> bool:
        return self._loaded

    def _on_data_changed(self, topic: str) -> None:
        if topic in ("diary", "households") and self.isVisible():
            self.refresh()
