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
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from db import vocab
from db.models import Station
from db.queries.diary import DiaryFilter, LedgerFilter, ReferralRow

from app import accounts, indexing
from app.diary import demands, entries, referral
from app.errors import UserError

from ui.context import AppContext
from ui.dates import date_edit, pydate
from ui.diary.dialogs import (
    AcknowledgeDialog,
    AmendDialog,
    CloseDialog,
    FeedbackDialog,
    MustVisitDialog,
    PrintMonthDialog,
    ReferDialog,
    ReplyDialog,
    TownReplyDialog,
    print_entry_pdf,
)
from ui.diary.entry_form import EntryDialog
from ui.diary.models import DiaryListModel, LedgerModel
from ui.file_dialogs import ask_save_file_name
from ui.tasks import run_in_background
from ui.widgets.confirm import confirmed_removal
from ui.widgets.flow import FlowLayout
from ui.widgets.village_filter import VillageFilter, compact


def new_entry(ctx: AppContext, parent: QWidget | None = None) -> EntryDialog | None:
    """Open the entry form (the main window's global Ctrl+N calls this). A town writes no diary: it is
    told so instead (the services refuse it too, :func:`app.ownership.town_write_refusal`)."""
    if ctx.is_town:
        QMessageBox.information(parent, "写民情日记", TOWN_NO_DIARY)
        return None
    if not accounts.can(ctx.user, "write_diary"):  # asked before a word is typed, not at 保存
        QMessageBox.information(
            parent, "写民情日记", "您的账号不能写民情日记（要由村干部或管理员的账号来写）；请联系管理员"
        )
        return None
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


TOWN_NO_DIARY = "民情日记由各村工作站记录；乡镇可查看，在“村级上报诉求”里答复村里上报的诉求"


class DiaryTab(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id: str | None = None
        self.informant_id: str | None = None  # the reports of one 信息员 (the 信息员 screen opens them)
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
        self.informant_chip = QPushButton("", self)
        self.informant_chip.setToolTip("只看这位信息员的报告；点击取消")
        self.informant_chip.hide()
        self.informant_chip.clicked.connect(lambda: self.filter_informant(None))
        self.village = VillageFilter(ctx, self)
        compact(self.cadre, 8)  # names of cadres: the others show their whole items
        # Two rows, so that at 特大 each filter shows its whole text in a 1366-px window: the search and
        # the dates, then the drop-downs.
        search_row = QHBoxLayout()
        search_row.addWidget(self.search, 1)
        for w in (self.use_dates, self.date_from, QLabel("至"), self.date_to):
            search_row.addWidget(w)
        filters = QVBoxLayout()
        filters.setContentsMargins(0, 0, 0, 0)
        filters.addLayout(search_row)
        combos = QHBoxLayout()
        for w in (
            self.village,
            self.cadre,
            self.kind,
            self.status,
            self.ack,
            self.household_chip,
            self.informant_chip,
        ):
            combos.addWidget(w)
        combos.addStretch(1)
        filters.addLayout(combos)

        self.new_button = QPushButton("写日记（Ctrl+N）", self)
        self.edit_button = QPushButton("修改", self)
        self.ack_button = QPushButton("群众签字认可…", self)
        self.amend_button = QPushButton("补记…", self)
        self.delete_button = QPushButton("删除…", self)
        self.delete_button.setToolTip(
            "删除记错或重复的一篇（Delete 键）；群众已签字、诉求已答复的不能删除，请用补记"
        )
        self.must_visit_button = QPushButton("登记必访事件…", self)
        self.print_one_button = QPushButton("打印本条…", self)
        self.print_one_button.setToolTip("打印选中的这一篇（A4，带签字栏），请群众在纸上签字")
        self.print_button = QPushButton("打印本月日记…", self)
        self.export_button = QPushButton("导出 Excel…", self)
        self.count = QLabel(self)
        buttons = FlowLayout()  # on two lines when the window is narrow (特大 on a small screen)
        for b in (
            self.new_button,
            self.edit_button,
            self.ack_button,
            self.amend_button,
            self.delete_button,
            self.must_visit_button,
            self.print_one_button,
            self.print_button,
            self.export_button,
        ):
            buttons.addWidget(b)
        actions = QHBoxLayout()
        actions.addLayout(buttons, 1)
        actions.addWidget(self.count, 0, Qt.AlignmentFlag.AlignTop)
        if ctx.is_town:
            # 民情日记由各村工作站记录: the town reads and exports; what it cannot use is not shown at all.
            for b in (
                self.new_button,
                self.edit_button,
                self.ack_button,
                self.amend_button,
                self.delete_button,
                self.must_visit_button,
                self.print_button,
                self.print_one_button,
            ):
                b.setEnabled(False)
                b.hide()

        self.model = DiaryListModel(ctx.workspace.session, self)
        widths = (120, 84, 120, 130, 110, 110, 70)  # 方式: “信息员报告” whole
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
            widths = (60, 115, 84, 100, 100, 90, 90, 60)
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
        self._search_timer.timeout.connect(self._search_as_typed)
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
        self.delete_button.clicked.connect(self.delete_entry)
        delete = QShortcut(QKeySequence.StandardKey.Delete, self.view, self.delete_entry)
        delete.setContext(Qt.ShortcutContext.WidgetShortcut)  # the list's own: not Delete in the search box
        self.must_visit_button.clicked.connect(self.must_visit)
        self.print_button.clicked.connect(self.print_month)
        self.print_one_button.clicked.connect(self.print_one)
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
            informant_id=self.informant_id,
            text=self.search.text(),
            date_from=pydate(self.date_from.date()) if self.use_dates.isChecked() else None,
            date_to=pydate(self.date_to.date()) if self.use_dates.isChecked() else None,
        )

    def _search_as_typed(self) -> None:
        """The search as it is typed (after a pause), unless every word in the box is one character:
        a single character is in no full-text index (the index holds pairs), so it reads every diary
        entry of the period (about a second on 500 000 entries with the dates off, issue 17): that
        search runs on Enter only, and the note under the filters says so."""
        words = self.search.text().split()
        if words and all(len(w) == 1 for w in words):
            self.index_note.setText("只输入了单个字：请按回车搜索（两个字以上会边输边搜）。")
            self.index_note.show()
            return
        self.reload()

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

    def filter_informant(self, informant_id: str | None, label: str = "") -> None:
        """Only the reports of one 信息员, all dates (from the 信息员 screen)."""
        self.informant_id = informant_id
        if informant_id:
            blocked = self.use_dates.blockSignals(True)
            self.use_dates.setChecked(False)
            self.use_dates.blockSignals(blocked)
        self.informant_chip.setText(f"信息员：{label} ✕")
        self.informant_chip.setVisible(bool(informant_id))
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
        # at the town the villages' entries are read-only (it replies to demands); a 调解员 reads them
        own = not self.ctx.is_town and accounts.can(self.ctx.user, "write_diary")
        self.new_button.setEnabled(own)
        self.must_visit_button.setEnabled(own)
        self.edit_button.setEnabled(own and e is not None and not signed)
        self.ack_button.setEnabled(own and e is not None and not signed)
        self.amend_button.setEnabled(own and e is not None)
        self.delete_button.setEnabled(own and e is not None and not signed)
        self.print_one_button.setEnabled(own and e is not None)
        self.detail.setHtml(
            entry_html(e, town=self.ctx.is_town)
            if e
            else "<p style='color:#5f6b7a'>选中一篇日记查看详情。</p>"
        )

    def _detail_link(self, url: QUrl) -> None:
        kind, _, record_id = url.toString().partition(":")
        open_demand_dialog(self.ctx, kind, record_id, self)

    # -- actions -----------------------------------------------------------------------------------------
    def new_entry(self) -> None:
        dlg = new_entry(self.ctx, self)
        if dlg is not None:
            dlg.saved.connect(lambda entry_id: self.reload(entry_id))

    def print_one(self) -> None:
        entry_id = self.current_id()
        if entry_id:
            print_entry_pdf(self.ctx, entry_id, self)

    def filter_cadre(self, cadre_id: str | None) -> None:
        """Only this cadre's entries (a 今日待办 line "王建国 联系的 5 户到了走访时间")."""
        self.filter_household(None)
        index = self.cadre.findData(cadre_id) if cadre_id else 0
        self.cadre.setCurrentIndex(max(index, 0))
        self.reload()

    def edit_entry(self) -> None:
        if self.ctx.is_town:  # (a double click) the villages' entries are read-only here: shown at the right
            return
        e = self.current_detail()
        if e is None:
            return
        if e.read_only:
            self.amend()
            return
        dlg = EntryDialog(self.ctx, e.id, parent=self)
        dlg.saved.connect(lambda entry_id: self.reload(entry_id))
        dlg.exec()

    def delete_entry(self) -> bool:
        """An entry made twice or on the wrong family: gone after a question (the services refuse a signed
        one, or one with a demand already answered; the town gets the deletion with the next bundle)."""
        e = self.current_detail()
        if self.ctx.is_town or e is None:
            return False
        who = entries.households_met(e) or e.kind_label

        def remove() -> None:
            with self.ctx.work() as w:
                entries.delete_entry(w, e.id)

        if not confirmed_removal(
            self,
            "删除民情日记",
            f"删除 {e.occurred_at:%Y-%m-%d %H:%M} {who} 这篇民情日记（连同它记下的待办诉求）吗？"
            "删除后不能恢复，下次上报时乡镇那边也会删除。",
            remove,
        ):
            return False
        self.ctx.data_changed.emit("diary")
        self.reload()
        return True

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
        path, _ = ask_save_file_name(
            self,
            "保存 PDF",
            f"民情日记-{dlg.cadre.currentText()}-{month.year()}年{month.month()}月.pdf",
            "PDF (*.pdf)",
        )
        if not path:
            return
        ws, user, station = self.ctx.workspace, self.ctx.user, self.ctx.station

        def work(progress):
            from app.diary.documents import print_month  # the PDF library loads when something is printed

            with ws.work(user) as w:
                return print_month(
                    w,
                    Path(path),
                    cadre_id=dlg.cadre.currentData(),
                    year=month.year(),
                    month=month.month(),
                    village_name=station.name,
                    progress=progress,
                )

        run_in_background(
            self,
            "生成民情日记 PDF",
            work,
            lambda printed: QDesktopServices.openUrl(QUrl.fromLocalFile(str(printed.path))),
        )

    def export(self) -> None:
        path, _ = ask_save_file_name(self, "导出民情日记", "民情日记.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        ws, user, f = self.ctx.workspace, self.ctx.user, self.current_filter()
        name = self.village.currentText() if f.village_code else self.ctx.station.name

        def work(progress):
            from app.diary import ledger  # the workbook library loads when something is exported

            with ws.work(user) as w:
                return ledger.export_diary(w, Path(path), village_name=name, f=f, progress=progress)

        run_in_background(
            self,
            "导出民情日记",
            work,
            lambda n: QMessageBox.information(self, "已导出", f"已导出 {n} 篇日记到 {path}"),
        )


def open_demand_dialog(ctx: AppContext, kind: str, demand_id: str, parent: QWidget) -> None:
    """The dialog of one step of a demand: reply, close, refer (上报乡镇), town (乡镇答复), feedback (点评)."""
    with ctx.work() as w:
        demand = demands.demand_info(w, demand_id)
        village = w.session.scalar(select(Station.name).where(Station.code == demand.village_code))
    dialogs = {
        "reply": lambda: ReplyDialog(ctx, demand, parent),
        "close": lambda: CloseDialog(ctx, demand, parent),
        "refer": lambda: ReferDialog(ctx, demand, parent),
        "feedback": lambda: FeedbackDialog(ctx, demand, parent),
        "town": lambda: TownReplyDialog(ctx, demand, village or demand.village_code, parent),
    }
    if kind in dialogs:
        dialogs[kind]().exec()


def demand_html(d: demands.DemandInfo, *, town: bool = False) -> str:
    """One demand in an entry's detail: its state, the referral and the town's reply, the resident's
    点评, and the links to its next step (the village's; at the town only its reply)."""
    esc = html.escape
    links = []
    if town:
        if d.status in (demands.REFERRED, demands.TOWN_REPLIED):
            links.append(f'<a href="town:{d.id}">乡镇答复…</a>')
    elif d.status == demands.OPEN:
        links += [f'<a href="reply:{d.id}">答复…</a>', f'<a href="refer:{d.id}">上报乡镇…</a>']
    elif d.status == demands.TOWN_REPLIED:
        links.append(f'<a href="reply:{d.id}">答复群众…</a>')
    elif d.status == demands.REPLIED:
        links.append(f'<a href="close:{d.id}">办结…</a>')
    elif d.status == demands.CLOSED and not d.feedback_verdict:
        links.append(f'<a href="feedback:{d.id}">群众点评…</a>')
    action = (" " + "　".join(links)) if links else ""
    due = f"，期限 {d.due_on}" if d.due_on else ""
    lines = [
        f"［{esc(d.category)}］{esc(d.content)}　<b>{d.status_label}</b>"
        f"（责任人 {esc(d.responsible_name)}{due}）{action}"
    ]
    if d.referred_office:
        lines.append(
            f"上报乡镇：{esc(d.referred_office)}，{esc(d.referral_note)}"
            f"（{esc(d.referred_by or '')} {d.referred_on}）"
        )
    if d.town_reply_kind:
        what = (
            f"乡镇转报{esc(d.town_forwarded_to)}" if d.town_reply_kind == vocab.TOWN_FORWARDED else "乡镇答复"
        )
        lines.append(
            f"<span style='color:#1e4f8a'>{what}：{esc(d.town_reply)}"
            f"（{esc(d.town_replied_by or '')} {d.town_replied_on}）</span>"
        )
    elif d.status == demands.REFERRED:
        lines.append("<span style='color:#8a5a00'>等待乡镇答复</span>")
    if d.reply:
        lines.append(f"答复群众：{esc(d.reply)}（{esc(d.replied_by or '')} {d.replied_on}）")
    if d.closed_on:
        lines.append(f"办结：{d.closed_on}")
    if d.project:
        lines.append(f"<span style='color:#1e4f8a'>为民实事：{esc(d.project)}</span>")
    if d.feedback_verdict:
        words = f"：“{esc(d.feedback_words)}”" if d.feedback_words else ""
        lines.append(
            f"<span style='color:#1e6b34'>群众点评：{esc(d.feedback_verdict)}{words}"
            f"（{esc(d.feedback_method or '')}，{d.feedback_on}，{esc(d.feedback_recorded_by or '')}记录）</span>"
        )
    return "<li>" + "<br/>".join(lines) + "</li>"


def entry_html(e: entries.EntryDetail, *, town: bool = False) -> str:
    esc = html.escape
    met = "、".join(esc(p.person_name or f"{p.head_name}户") for p in e.participants) or "—"
    parts = [
        f"<h3>{e.occurred_at:%Y-%m-%d %H:%M}　{esc(e.kind_label)}</h3>",
        f"<p>记录干部：{esc(e.cadre_name)}　地点：{esc(e.place) or '—'}"
        + (f"　陪同：{esc(e.companions)}" if e.companions else "")
        + "</p>",
        f"<p><b>走访对象：</b>{met}</p>",
    ]
    if e.informant_name:
        parts.insert(2, f"<p><b>报告的信息员：</b>{esc(e.informant_name)}</p>")
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
            parts.append(demand_html(d, town=town))
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
        self.refer_button = QPushButton("上报乡镇…", self)
        self.close_button = QPushButton("办结…", self)
        self.feedback_button = QPushButton("群众点评…", self)
        self.export_button = QPushButton("导出台账…", self)
        self.count = QLabel(self)
        # The search and the filters on one row, the buttons on the next (the search's hint is read whole).
        filter_row = QHBoxLayout()
        filter_row.addWidget(self.search, 1)
        for w in (self.village, self.status, self.category, self.overdue):
            filter_row.addWidget(w)
        button_row = QHBoxLayout()
        for w in (
            self.reply_button,
            self.refer_button,
            self.close_button,
            self.feedback_button,
            self.export_button,
        ):
            button_row.addWidget(w)
        if ctx.is_town:  # the town answers what was referred to it on its own tab
            for b in (self.reply_button, self.refer_button, self.close_button, self.feedback_button):
                b.hide()
        button_row.addStretch(1)
        button_row.addWidget(self.count)
        bar = QVBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        bar.addLayout(filter_row)
        bar.addLayout(button_row)
        self.model = LedgerModel(ctx.workspace.session, self)
        widths = (90, 70, 80, 220, 70, 90, 75, 150, 170, 170, 110, 45)
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
            widths = (60, 85, 60, 70, 200, 60, 85, 75, 130, 150, 160, 100, 40)
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
        self.refer_button.clicked.connect(lambda: self._act("refer"))
        self.close_button.clicked.connect(lambda: self._act("close"))
        self.feedback_button.clicked.connect(lambda: self._act("feedback"))
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
        status = r.status if r is not None else None
        self.reply_button.setEnabled(status in (demands.OPEN, demands.TOWN_REPLIED))
        self.reply_button.setText("答复群众…" if status == demands.TOWN_REPLIED else "答复…")
        self.refer_button.setEnabled(status == demands.OPEN)
        self.close_button.setEnabled(status == demands.REPLIED)
        self.feedback_button.setEnabled(status == demands.CLOSED and r is not None and not r.feedback_verdict)

    def _act(self, what: str) -> None:
        r = self._current()
        if r is None:
            return
        if self.ctx.is_town:
            what = "town" if r.status in (demands.REFERRED, demands.TOWN_REPLIED) else ""
        elif what == "auto":
            what = {
                demands.OPEN: "reply",
                demands.TOWN_REPLIED: "reply",
                demands.REPLIED: "close",
                demands.CLOSED: "" if r.feedback_verdict else "feedback",
            }.get(r.status, "")
        allowed = {
            "reply": (demands.OPEN, demands.TOWN_REPLIED),
            "refer": (demands.OPEN,),
            "close": (demands.REPLIED,),
            "feedback": (demands.CLOSED,),
            "town": (demands.REFERRED, demands.TOWN_REPLIED),
        }
        if r.status in allowed.get(what, ()):
            open_demand_dialog(self.ctx, what, r.id, self)

    def show_demand(self, demand_id: str) -> None:
        """Select one demand (a 今日待办 item), whatever the filters were."""
        self.search.clear()
        for combo in (self.status, self.category):
            combo.setCurrentIndex(0)
        self.overdue.setChecked(False)
        self.village.fill()
        self.reload()
        row = self.model.row_of(demand_id)
        if row >= 0:
            self.view.selectionModel().setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            self.view.scrollTo(self.model.index(row, 0))
        self._update_buttons()

    def export(self) -> None:
        path, _ = ask_save_file_name(self, "导出民情台账", "民情台账.xlsx", "Excel (*.xlsx)")
        if not path:
            return
        ws, user, f = self.ctx.workspace, self.ctx.user, self.current_filter()
        name = self.village.currentText() if f.village_code else self.ctx.station.name

        def work(progress):
            from app.diary import ledger  # the workbook library loads when something is exported

            with ws.work(user) as w:
                return ledger.export_ledger(w, Path(path), village_name=name, f=f, progress=progress)

        run_in_background(
            self,
            "导出民情台账",
            work,
            lambda n: QMessageBox.information(self, "已导出", f"已导出 {n} 条诉求到 {path}"),
        )


class ReferralTab(QWidget):
    """At the town: the demands villages referred to it (交办), grouped by office in the fixed order,
    oldest first; the town answers or forwards each to the county (乡镇答复)."""

    HEADERS = ("村 / 户主", "诉求", "村里上报说明", "上报", "状态", "乡镇答复")

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.office = _combo([("全部科室", None), *[(o, o) for o in referral.OFFICES]], self, "科室")
        self.answered = QCheckBox("也显示乡镇已答复、村里还未答复群众的", self)
        self.reply_button = QPushButton("答复 / 转报县级部门…", self)
        self.count = QLabel(self)
        bar = QHBoxLayout()
        for w in (self.office, self.answered, self.reply_button):
            bar.addWidget(w)
        bar.addStretch(1)
        bar.addWidget(self.count)
        self.tree = QTreeWidget(self)
        self.tree.setHeaderLabels(list(self.HEADERS))
        self.tree.setAlternatingRowColors(True)
        self.tree.setWordWrap(True)
        for col, width in enumerate((150, 280, 300, 170, 80)):
            self.tree.setColumnWidth(col, width)
        layout = QVBoxLayout(self)
        layout.addLayout(bar)
        layout.addWidget(self.tree, 1)
        self.office.currentIndexChanged.connect(lambda _i: self.reload())
        self.answered.toggled.connect(lambda _b: self.reload())
        self.reply_button.clicked.connect(self.reply)
        self.tree.itemDoubleClicked.connect(lambda *_: self.reply())
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        # read when its tab is opened, not with the page: a town of 30 villages waits on thousands of
        # demands, each read with its entry and household (about 0.3 s)
        self.stale = True

    def reload(self, keep: str | None = None) -> None:
        self.stale = False
        keep = keep or self.current_id()
        statuses = (
            (demands.REFERRED, demands.TOWN_REPLIED) if self.answered.isChecked() else (demands.REFERRED,)
        )
        with self.ctx.work() as w:
            groups = referral.town_worklist(w, statuses=statuses, office=self.office.currentData())
        self.tree.clear()
        total, chosen = 0, None
        for office, rows in groups.items():
            waiting = sum(1 for r in rows if r.status == demands.REFERRED)
            top = QTreeWidgetItem([f"{office}（待答复 {waiting} 条）"])
            font = top.font(0)
            font.setBold(True)
            top.setFont(0, font)
            top.setFirstColumnSpanned(True)
            self.tree.addTopLevelItem(top)
            for r in rows:
                item = QTreeWidgetItem(self._columns(r))
                item.setData(0, Qt.ItemDataRole.UserRole, r.id)
                item.setToolTip(1, r.content)
                item.setToolTip(2, r.note)
                item.setToolTip(5, r.town_reply)
                top.addChild(item)
                total += 1
                if chosen is None or r.id == keep:
                    chosen = item
            top.setFirstColumnSpanned(True)
            top.setExpanded(True)
        self.count.setText(f"共 {total} 条" if total else "没有村里上报、待乡镇答复的诉求")
        if chosen is not None:
            self.tree.setCurrentItem(chosen)
        self._update_buttons()

    @staticmethod
    def _columns(r: ReferralRow) -> list[str]:
        if r.town_reply_kind == vocab.TOWN_FORWARDED:
            answer = f"已转报{r.town_forwarded_to}：{r.town_reply}"
        else:
            answer = r.town_reply
        return [
            f"{r.village_name} {r.household}",
            f"［{r.category}］{r.content}",
            r.note,
            f"{r.referred_on} {r.referred_by}",
            r.status,
            answer,
        ]

    def current_id(self) -> str | None:
        item = self.tree.currentItem() if hasattr(self, "tree") else None
        return item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None

    def show_office(self, office: str) -> None:
        index = max(self.office.findData(office), 0)
        if index != self.office.currentIndex():
            self.office.setCurrentIndex(index)  # (which reads the list)
        else:
            self.reload()

    def show_demand(self, demand_id: str) -> None:
        """From the town's 今日待办: every office's list, on that demand."""
        self.office.blockSignals(True)
        self.office.setCurrentIndex(0)
        self.office.blockSignals(False)
        self.reload(demand_id)
        item = self.tree.currentItem()
        if item is not None:
            self.tree.scrollToItem(item)
        self.tree.setFocus()

    def _update_buttons(self) -> None:
        self.reply_button.setEnabled(self.current_id() is not None)

    def reply(self) -> None:
        demand_id = self.current_id()
        if demand_id:
            open_demand_dialog(self.ctx, "town", demand_id, self)
            self.reload(demand_id)


class DiaryPage(QWidget):
    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.tabs = QTabWidget(self)
        self.diary_tab = DiaryTab(ctx, self.tabs)
        self.ledger_tab = LedgerTab(ctx, self.tabs)
        self.tabs.addTab(self.diary_tab, "民情日记")
        self.tabs.addTab(self.ledger_tab, "民情台账")
        self.referral_tab: ReferralTab | None = None
        if ctx.is_town:
            self.referral_tab = ReferralTab(ctx, self.tabs)
            self.tabs.addTab(self.referral_tab, "村级上报诉求")
            self.tabs.currentChanged.connect(lambda _i: self._referrals_if_shown())
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
        if self.referral_tab is not None:
            self.referral_tab.stale = True
            self._referrals_if_shown()
        self._loaded = True

    def _referrals_if_shown(self) -> None:
        """The town's list of referred demands, read again if its tab is the one shown and what it shows
        may have changed."""
        tab = self.referral_tab
        if tab is not None and tab.stale and self.tabs.currentWidget() is tab:
            tab.reload()

    def show_record(self, record_id: object) -> None:
        """A 今日待办 item opens exactly its thing (``app.diary.todo``): ``household:<id>`` the diary of
        that household, ``cadre:<id>`` that cadre's entries, ``informant:<id>`` that 信息员's reports, ``office:<科室>`` the town's list of that
        office, ``referral:<id>`` that list on one demand, ``new`` the entry form (home's 写民情日记), a demand id the ledger on that demand."""
        if not isinstance(record_id, str):
            return
        kind, _, value = record_id.partition(":")
        if record_id == "new":
            self.new_entry()
        elif kind == "referral" and self.referral_tab is not None:
            self.referral_tab.stale = False  # (read once, by show_demand, not also by the tab's opening)
            self.tabs.setCurrentWidget(self.referral_tab)
            self.referral_tab.show_demand(value)
        elif kind == "office" and self.referral_tab is not None:
            self.referral_tab.stale = False
            self.tabs.setCurrentWidget(self.referral_tab)
            self.referral_tab.show_office(value)
        elif kind == "household":
            with self.ctx.work() as w:
                label = entries.household_label(w, value)
            self.show_household(value, label)
        elif kind == "cadre":
            self.tabs.setCurrentWidget(self.diary_tab)
            self.diary_tab.filter_cadre(value or None)
        elif kind == "informant":
            from app.informants.appointments import informant_label

            with self.ctx.work() as w:
                label = informant_label(w, value)
            self.tabs.setCurrentWidget(self.diary_tab)
            self.diary_tab.filter_informant(value or None, label)
        else:
            self.tabs.setCurrentWidget(self.ledger_tab)
            self.ledger_tab.show_demand(record_id)

    def ready(self) -> bool:
        return self._loaded

    def _on_data_changed(self, topic: str) -> None:
        if topic in ("diary", "households") and self.isVisible():
            self.refresh()
