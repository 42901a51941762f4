"""今日待办: reminders gathered from every feature (app.todo), grouped, each opening its screen."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from db import vocab

from app import todo
from app.dates import cn_date, cn_month_day

from ui.app import scaled_font
from ui.context import AppContext
from ui.tasks import run_in_background

GROUPS = (("overdue", "已逾期", "#b00020"), ("warning", "临近期限", "#8a5a00"), ("normal", "待办", None))
WEEKDAYS = "一二三四五六日"
# At a town the list is by what there is to do (each row coloured by how urgent it is), the referred
# demands under their office: docs/town-todo.md.
TOWN_SECTIONS = (
    ("case_escalated", "村调委会上报的调解案件"),
    ("demand_referred", "村里上报的诉求（按科室）"),
    ("bundle_overdue", "上报包逾期的村"),
    ("keycase_no_contact", "久未联系的包案"),
)
SEVERITY_COLORS = {g[0]: g[2] for g in GROUPS}
TOWN_EMPTY = (
    "今天没有待办事项。\n\n村调委会上报的调解案件、村里上报给各科室的诉求、"
    "超过期限没有送来上报包的村，会在这里出现。"
)
ITEM_ROLE = Qt.ItemDataRole.UserRole


class HomePage(QWidget):
    """``open_page(key, record_id)`` asks the main window to show a screen (and a record on it)."""

    open_page = Signal(str, object)

    def __init__(
        self, ctx: AppContext, parent: QWidget | None = None, *, today: dt.date | None = None
    ) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self._fixed_today = today
        self.items: list[todo.TodoItem] = []
        self._loading = False
        self._again = False
        self._generation = 0  # a newer refresh supersedes the result of an older one still running
        self._focus_when_shown = False
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 16, 24, 16)
        head = QHBoxLayout()
        self.title = QLabel()
        scaled_font(self.title, 1.8, bold=True)
        head.addWidget(self.title)
        head.addStretch()
        self.new_entry_button = QPushButton("写民情日记（Ctrl+N）")
        self.new_entry_button.setStyleSheet("padding: 4px 14px;")
        scaled_font(self.new_entry_button, 1.2)
        self.new_entry_button.clicked.connect(lambda: self.open_page.emit("diary", "new"))
        self.new_entry_button.setVisible(not ctx.is_town)  # a town writes no diary
        head.addWidget(self.new_entry_button)
        self.refresh_button = QPushButton("刷新(F5)")
        self.refresh_button.clicked.connect(self.refresh)
        head.addWidget(self.refresh_button)
        layout.addLayout(head)
        self.summary = QLabel()
        layout.addWidget(self.summary)

        self.tree = QTreeWidget()
        self.tree.setHeaderLabels(["事项", "期限", "说明"])
        self.tree.setRootIsDecorated(False)
        self.tree.setColumnWidth(0, 420)
        self.tree.setColumnWidth(1, 110)
        self.tree.itemActivated.connect(self._activated)
        layout.addWidget(self.tree, 1)

        self.empty = QLabel(
            "今天没有待办事项。\n\n必访户、诉求答复期限、调解协议履行与司法确认期限等提醒，"
            "会在相关功能录入数据后自动出现在这里。"
        )
        self.empty.setWordWrap(True)
        self.empty.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.empty.setStyleSheet("color: #555; padding: 16px 0;")
        scaled_font(self.empty, 1.2)
        layout.addWidget(self.empty, 1)
        QShortcut(
            QKeySequence("F5"), self, self.refresh, context=Qt.ShortcutContext.WidgetWithChildrenShortcut
        )
        ctx.data_changed.connect(self._data_changed)

    def today(self) -> dt.date:
        return self._fixed_today or dt.date.today()

    def _data_changed(self, _topic: str) -> None:
        if self.isVisible():
            self.refresh()

    def refresh(self) -> None:
        """Gather the reminders off the UI thread: on a large village they take a moment, and the
        window must show (and stay usable) meanwhile."""
        today = self.today()
        self.title.setText(f"今日待办　{cn_date(today)} 星期{WEEKDAYS[today.weekday()]}")
        if self._loading:  # one gathering at a time; run again once it is in
            self._again = True
            return
        self._again = False
        self._generation += 1
        generation = self._generation
        self._loading = True
        self.summary.setText("正在汇总今日待办……")
        workspace, user = self.ctx.workspace, self.ctx.user

        def work(_progress) -> list[todo.TodoItem]:
            with workspace.work(user) as w:
                return todo.collect(w, today)

        def failed(exc: BaseException) -> None:
            if generation == self._generation:
                self._loading = self._again = False
                self.summary.setText("今日待办汇总失败，请按 F5 重试。")
            import sys

            sys.excepthook(type(exc), exc, exc.__traceback__)

        run_in_background(
            self,
            "今日待办",
            work,
            lambda items: self._show(items, generation),
            show_progress=False,
            on_error=failed,
        )

    def _show(self, items: list[todo.TodoItem], generation: int) -> None:
        if generation != self._generation:
            return
        self._loading = False
        if self._again:
            self.refresh()
            return
        self.items = items
        self.tree.clear()
        if self.ctx.is_town:
            self._show_town()
        else:
            self._show_by_severity()
        has_items = bool(self.items)
        self.tree.setVisible(has_items)
        self.empty.setVisible(not has_items)
        if self.ctx.is_town:
            self.empty.setText(TOWN_EMPTY)
        total = sum(i.count for i in self.items)
        self.summary.setText(f"共 {total} 项，选中后按回车（或双击）打开。" if has_items else "")
        if has_items:
            first = self.tree.topLevelItem(0)
            while first.childCount():
                first = first.child(0)
            self.tree.setCurrentItem(first)
        if self._focus_when_shown:
            self._focus_when_shown = False
            self.focus_main()

    def focus_main(self) -> None:
        """Ctrl+1: the cursor on the first 待办, so that Enter opens it (once the list is in)."""
        if self._loading:
            self._focus_when_shown = True
        elif self.tree.isVisibleTo(self):
            self.tree.setFocus(Qt.FocusReason.ShortcutFocusReason)
        elif self.new_entry_button.isVisibleTo(self):
            self.new_entry_button.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _due_text(self, due: dt.date | None) -> str:
        if due is None:
            return ""
        return cn_month_day(due) if due.year == self.today().year else cn_date(due)

    def _row(self, item: todo.TodoItem) -> QTreeWidgetItem:
        row = QTreeWidgetItem([item.title, self._due_text(item.due), item.detail])
        row.setData(0, ITEM_ROLE, item)
        row.setToolTip(0, item.title)
        row.setToolTip(2, item.detail)
        return row

    @staticmethod
    def _heading(text: str, color: str | None = None) -> QTreeWidgetItem:
        group = QTreeWidgetItem([text])
        group.setFlags(Qt.ItemFlag.ItemIsEnabled)
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        if color:
            group.setForeground(0, QBrush(QColor(color)))
        return group

    def _show_town(self) -> None:
        """Sections by kind, most urgent first (the order of ``collect``); under 诉求 one heading per
        office in the offices' fixed order; the 期限 of a row in red when overdue, brown when near."""
        for kind, label in TOWN_SECTIONS:
            members = [i for i in self.items if i.kind == kind]
            if not members:
                continue
            # every one counted, those under a "另有 N 条" line too
            total = sum(i.count for i in members)
            late = sum(1 for i in members if i.severity == "overdue") + sum(i.overdue_count for i in members)
            count = f"{total}" + (f"，已逾期 {late}" if late else "")
            section = self._heading(f"{label}（{count}）")
            self.tree.addTopLevelItem(section)
            parents: dict[str, QTreeWidgetItem] = {}
            offices = sorted(
                {i.group for i in members if i.group},
                key=lambda o: (vocab.TOWN_OFFICES.index(o) if o in vocab.TOWN_OFFICES else 99, o),
            )
            for office in offices:
                parents[office] = self._heading(office)
                section.addChild(parents[office])
            for item in members:
                row = self._row(item)
                color = SEVERITY_COLORS.get(item.severity)
                if color:
                    row.setForeground(1, QBrush(QColor(color)))
                    font = row.font(1)
                    font.setBold(True)
                    row.setFont(1, font)
                parents.get(item.group, section).addChild(row)
            section.setExpanded(True)
            for parent in parents.values():
                parent.setExpanded(True)

    def _show_by_severity(self) -> None:
        for severity, label, color in GROUPS:
            members = [i for i in self.items if i.severity == severity]
            if severity == "normal":
                members += [i for i in self.items if i.severity not in {g[0] for g in GROUPS}]
            if not members:
                continue
            group = QTreeWidgetItem([f"{label}（{sum(i.count for i in members)}）"])
            group.setFlags(Qt.ItemFlag.ItemIsEnabled)
            font = group.font(0)
            font.setBold(True)
            group.setFont(0, font)
            if color:
                group.setForeground(0, QBrush(QColor(color)))
            self.tree.addTopLevelItem(group)
            for item in members:
                row = QTreeWidgetItem([item.title, cn_month_day(item.due) if item.due else "", item.detail])
                row.setData(0, ITEM_ROLE, item)
                row.setToolTip(0, item.title)
                group.addChild(row)
            group.setExpanded(True)

    def _activated(self, row: QTreeWidgetItem, _column: int) -> None:
        item = row.data(0, ITEM_ROLE)
        if isinstance(item, todo.TodoItem) and item.page:
            self.open_page.emit(item.page, item.record_id)

    def ready(self) -> bool:
        return not self._loading
