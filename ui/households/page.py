"""户籍与联系卡: the roster page (search as you type, filters, editor, Excel, contact cards)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMenu,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
    QWidgetAction,
)

from db.queries.households import NO_CONTACT_CADRE, RosterFilter, cadres_in_use, effective_terms, group_names

from app.accounts import can
from app.households import cadres as cadre_svc
from app.households import tags as tag_svc

from ui.file_dialogs import ask_save_file_name
from ui.households.editor import HouseholdDialog
from ui.households.model import RosterModel
from ui.tasks import run_in_background
from ui.widgets.village_filter import VillageFilter, compact

SEARCH_DELAY_MS = 120


class HouseholdsPage(QWidget):
    def __init__(self, ctx, parent=None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._loaded = False
        self._last_query: tuple | None = None
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()  # the search on a row of its own with one check box: its hint is read whole
        self.search = QLineEdit()
        self.search.setPlaceholderText(
            "查找（Ctrl+F）：姓名或姓、拼音首字母或全拼、身份证号任意几位、电话、住址"
        )
        self.search.setClearButtonEnabled(True)
        bar.addWidget(self.search, 1)
        self.village = VillageFilter(ctx, self)
        self.group = QComboBox()
        self.tag = QComboBox()
        self.cadre = QComboBox()
        self.not_delivered = QCheckBox("联系卡未送达")
        bar.addWidget(self.not_delivered)
        layout.addLayout(bar)
        filters = QHBoxLayout()
        filters.addWidget(self.village)
        for label_text, w in (("组", self.group), ("标签", self.tag), ("联系干部", self.cadre)):
            filters.addWidget(QLabel(label_text))
            filters.addWidget(w)
        filters.addStretch(1)
        layout.addLayout(filters)
        for combo in (self.group, self.tag, self.cadre):
            compact(combo)

        actions = QHBoxLayout()
        self.new_button = QPushButton("新建户（Ctrl+Shift+N）")
        self.edit_button = QPushButton("打开（Enter）")
        self.import_button = QPushButton("导入 Excel…")
        self.export_button = QPushButton("导出台账…")
        self.cards_button = QPushButton("打印联系卡…")
        self.deliver_button = QPushButton("标记联系卡已送达")
        for b in (
            self.new_button,
            self.edit_button,
            self.import_button,
            self.export_button,
            self.cards_button,
            self.deliver_button,
        ):
            actions.addWidget(b)
        actions.addStretch(1)
        self.count = QLabel()
        actions.addWidget(self.count)
        layout.addLayout(actions)

        self.model = RosterModel(ctx.session, self)
        if ctx.is_town:
            self.model.show_village_column(self.village.name_of)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSortingEnabled(True)
        self.view.horizontalHeader().setSortIndicator(0, Qt.SortOrder.AscendingOrder)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.verticalHeader().setDefaultSectionSize(24)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        widths = (60, 80, 70, 150, 64, 190, 80, 80, 160, 90)
        if ctx.is_town:
            widths = (70, 50, 70, 60, 130, 60, 150, 70, 70, 130, 90)
        for i, w in enumerate(widths):
            self.view.setColumnWidth(i, w)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.view.doubleClicked.connect(lambda index: self.open_household(index.row()))
        layout.addWidget(self.view, 1)

        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.apply_filter)
        self.search.textChanged.connect(lambda _t: self._timer.start())
        self.search.returnPressed.connect(self._search_enter)
        for combo in (self.group, self.tag, self.cadre):
            combo.currentIndexChanged.connect(lambda _i: self.apply_filter())
        self.village.changed.connect(self._village_changed)
        self.not_delivered.toggled.connect(lambda _c: self.apply_filter())
        self.new_button.clicked.connect(self.new_household)
        self.edit_button.clicked.connect(lambda: self.open_household(self.view.currentIndex().row()))
        self.import_button.clicked.connect(self.import_excel)
        self.export_button.clicked.connect(self.export_excel)
        self.cards_button.clicked.connect(self.print_cards)
        self.deliver_button.clicked.connect(self.mark_delivered)
        QShortcut(QKeySequence.StandardKey.Find, self, activated=self.focus_search)
        QShortcut(QKeySequence("Ctrl+Shift+N"), self, activated=self.new_household)
        for key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            sc = QShortcut(
                QKeySequence(key),
                self.view,
                activated=lambda: self.open_household(self.view.currentIndex().row()),
            )
            sc.setContext(Qt.ShortcutContext.WidgetShortcut)
        self.setTabOrder(self.search, self.village)
        self.setTabOrder(self.village, self.group)
        self.setTabOrder(self.group, self.tag)
        self.setTabOrder(self.tag, self.cadre)
        self.setTabOrder(self.cadre, self.not_delivered)
        self.setTabOrder(self.not_delivered, self.view)
        ctx.data_changed.connect(self._on_data_changed)
        can_edit = (
            can(ctx.user, "edit_households") and not ctx.is_town
        )  # the town reads the villages' rosters
        for b in (self.new_button, self.import_button, self.deliver_button):
            b.setEnabled(can_edit)
        if ctx.is_town:  # what the town cannot use is not shown (a card is printed in its village)
            for b in (self.new_button, self.import_button, self.cards_button, self.deliver_button):
                b.setEnabled(False)
                b.hide()
            self.edit_button.setText("查看（Enter）")

    # -- page protocol --------------------------------------------------------------------------------
    def refresh(self) -> None:
        self._fill_filters()
        self._last_query = None
        self.apply_filter()
        self._loaded = True

    def ready(self) -> bool:
        return self._loaded

    def _on_data_changed(self, topic: str) -> None:
        if topic == "households" and self.isVisible():
            self._last_query = None
            self._keeping_place(self.apply_filter)

    def _keeping_place(self, reload) -> None:
        """Reload the list where the person was: the household they had selected (row 201 after a save)
        selected again and in view, as far down as they had scrolled (at most what was loaded before)."""
        row = self.view.currentIndex().row()
        key = self.model.id_at(row) if row >= 0 else None
        loaded, scrolled = self.model.rowCount(), self.view.verticalScrollBar().value()
        reload()
        while self.model.rowCount() < loaded and self.model.canFetchMore():
            before = self.model.rowCount()
            self.model.fetchMore()
            if self.model.rowCount() == before:
                break
        self.view.verticalScrollBar().setValue(scrolled)
        found = self.model.row_of_key(key) if key is not None else -1
        if found >= 0:
            index = self.model.index(found, 0)
            flags = QItemSelectionModel.SelectionFlag
            # (not selectRow: it reads the keyboard's modifiers, and Ctrl still held from Ctrl+S toggles)
            self.view.selectionModel().setCurrentIndex(index, flags.ClearAndSelect | flags.Rows)
            self.view.scrollTo(index)

    def focus_search(self) -> None:
        self.search.setFocus()
        self.search.selectAll()

    def _search_enter(self) -> None:
        self._timer.stop()
        self.apply_filter()
        if self.model.rowCount():
            self.view.setFocus()
            self.view.selectRow(0)

    # -- filters -------------------------------------------------------------------------------------
    def _village_changed(self) -> None:
        self._fill_filters()
        self.apply_filter()

    def _fill_filters(self) -> None:
        self.village.fill()
        code = self.village.code()
        with self.ctx.work() as w:
            groups = group_names(w.session, code)
            tags = tag_svc.all_tags(w)
            cadres = cadres_in_use(w.session, code)
            self.model.hidden_tags = tag_svc.hidden_tags(w)
        for combo in (self.group, self.tag, self.cadre):
            combo.blockSignals(True)
        for combo, items in (
            (self.group, [(g, g) for g in groups]),
            (self.tag, [(t.name, t.name) for t in tags]),
            (self.cadre, [("（无联系干部）", NO_CONTACT_CADRE)] + [(n, i) for i, n in cadres]),
        ):
            current = combo.currentData()
            combo.blockSignals(True)
            combo.clear()
            combo.addItem("全部", None)
            for text, data in items:
                combo.addItem(text, data)
            i = combo.findData(current) if current is not None else 0
            combo.setCurrentIndex(max(i, 0))
        for combo in (self.group, self.tag, self.cadre):
            combo.blockSignals(False)

    def current_filter(self) -> RosterFilter:
        return RosterFilter(
            text=self.search.text(),
            group_name=self.group.currentData(),
            tag=self.tag.currentData(),
            contact_cadre_id=self.cadre.currentData(),
            card_not_delivered=self.not_delivered.isChecked(),
            hidden_tags=self.model.hidden_tags,
            village_code=self.village.code(),
        )

    def apply_filter(self) -> None:
        filt = self.current_filter()
        query = (
            effective_terms(filt.text),
            filt.group_name,
            filt.tag,
            filt.contact_cadre_id,
            filt.card_not_delivered,
            filt.village_code,
        )
        if query == self._last_query:
            return
        self._last_query = query
        self.model.set_filter(filt)
        self.count.setText(self.model.count_text())

    # -- actions ---------------------------------------------------------------------------------------
    def selected_ids(self) -> list[str]:
        rows = sorted({i.row() for i in self.view.selectionModel().selectedRows()})
        return [hid for hid in (self.model.household_id(r) for r in rows) if hid]

    def open_household(self, row: int) -> None:
        hid = self.model.household_id(row) if row >= 0 else None
        if hid:
            HouseholdDialog(self.ctx, hid, self).exec()

    def new_household(self) -> None:
        if self.ctx.is_town or not can(
            self.ctx.user, "edit_households"
        ):  # (Ctrl+Shift+N: the button is hidden)
            return
        dlg = HouseholdDialog(self.ctx, None, self)
        dlg.exec()

    def import_excel(self) -> None:
        from ui.households.import_wizard import ImportWizard

        ImportWizard(self.ctx, self).exec()

    def export_excel(self) -> None:
        path, _ = ask_save_file_name(
            self, "导出户籍台账", f"户籍台账-{dt.date.today():%Y%m%d}.xlsx", "Excel 文件 (*.xlsx)"
        )
        if not path:
            return
        full = False
        if can(self.ctx.user, "export_full_id"):
            full = (
                QMessageBox.question(
                    self, "身份证号", "导出完整身份证号吗？（选“否”则打码导出；完整导出会记入审计日志）"
                )
                == QMessageBox.StandardButton.Yes
            )
        ctx, name = self.ctx, self.ctx.station.name

        def work(progress):
            from app.households.excel_export import export_roster

            with ctx.work() as w:
                return export_roster(w, path, full_id=full, village_name=name, progress=progress)

        run_in_background(
            self,
            "导出户籍台账",
            work,
            lambda n: QMessageBox.information(self, "已导出", f"已导出 {n} 人到\n{path}"),
        )

    def exec_menu(self, menu: QMenu) -> QAction | None:
        """Show the print menu under its button; the chosen action (None when dismissed)."""
        return menu.exec(self.cards_button.mapToGlobal(self.cards_button.rect().bottomLeft()))

    def print_cards(self) -> None:
        menu = QMenu(self)
        chosen = self.selected_ids()
        sel = menu.addAction(f"选中的 {len(chosen)} 户")
        sel.setEnabled(bool(chosen))
        group = self.group.currentData()
        grp = menu.addAction(f"{group}全部" if group else "当前组（请先在“组”里选择）")
        grp.setEnabled(bool(group))
        undelivered = menu.addAction("联系卡未送达的户")
        menu.addAction("全村")
        menu.addSeparator()
        # a check box inside the menu: ticking it keeps the menu open for the choice of households
        self.one_per_page = QCheckBox("每页一张卡（A4 纸印一张放大的卡）", menu)
        self.one_per_page.setStyleSheet("QCheckBox { padding: 4px 10px; }")
        single = QWidgetAction(menu)
        single.setDefaultWidget(self.one_per_page)
        menu.addAction(single)
        action = self.exec_menu(menu)
        if action is None or action is single:
            return
        path, _ = ask_save_file_name(
            self, "保存联系卡 PDF", f"联系卡-{dt.date.today():%Y%m%d}.pdf", "PDF 文件 (*.pdf)"
        )
        if not path:
            return
        ctx, one = self.ctx, self.one_per_page.isChecked()

        def work(progress):
            from app.households.contact_cards import card_households, write_cards

            with ctx.work() as w:
                if action is sel:
                    ids = card_households(w, ids=chosen)
                elif action is grp:
                    ids = card_households(w, group_name=group)
                elif action is undelivered:
                    ids = card_households(w, not_delivered=True)
                else:
                    ids = card_households(w)
                progress(0, len(ids), f"正在生成 {len(ids)} 张联系卡")
                return write_cards(w, ids, path, one_per_page=one, progress=progress)

        def done(printed) -> None:
            self.last_cards = printed
            answer = QMessageBox.question(  # (否 the default: a reflex Enter marks nothing)
                self,
                "联系卡已生成",
                f"{printed.message(path)}。\n\n送达后要把这 {printed.cards} 户标记为今天已送达吗？"
                "（已有送达日期的改为今天；还没送到的请选“否”，送到后再在名册里标记）",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
                QMessageBox.StandardButton.No,
            )
            if answer == QMessageBox.StandardButton.Yes and can(self.ctx.user, "edit_households"):
                with self.ctx.work() as w:
                    cadre_svc.mark_cards_delivered(w, printed.household_ids, dt.date.today())
                self.ctx.data_changed.emit("households")

        run_in_background(self, "生成联系卡", work, done)

    def mark_delivered(self) -> None:
        ids = self.selected_ids()
        if not ids:
            QMessageBox.information(
                self, "请选择", "请先在名册里选中已送达联系卡的户（可按住 Ctrl 或 Shift 多选）"
            )
            return
        if (
            QMessageBox.question(
                self,
                "标记送达",
                f"把选中的 {len(ids)} 户标记为今天（{dt.date.today():%Y-%m-%d}）已送达联系卡？",
            )
            != QMessageBox.StandardButton.Yes
        ):
            return
        with self.ctx.work() as w:
            cadre_svc.mark_cards_delivered(w, ids, dt.date.today())
        self.ctx.data_changed.emit("households")
