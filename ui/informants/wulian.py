"""五联: the signed-in cadre's own five pairings (an administrator picks one cadre at a time), each with
its households and their last 入户走访. No percentage, no comparison: docs/wulian.md."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.dates import cn_date
from app.errors import UserError
from app.households import wulian

from ui.context import AppContext

_GREY = QBrush(QColor("#5f6b7a"))


class WulianPage(QWidget):
    open_page = Signal(str, object)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.title = QLabel(self)
        font = QFont(self.title.font())
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.title.setFont(font)
        intro = QLabel(
            "五联：联系一个困难家庭、一名老党员老干部、一名留守儿童或空巢老人、一名经济能人、一个上访户。"
            "下面按户籍里的标签和联系干部的安排列出，不用另外填写；双击一户查看它的走访记录。",
            self,
        )
        intro.setWordWrap(True)
        intro.setStyleSheet("color: #5f6b7a;")
        with ctx.work() as w:
            self.admin = wulian.may_choose_cadre(w)
            choices = wulian.cadre_choices(w) if self.admin else []
        self.cadre = QComboBox(self)
        self.cadre.setAccessibleName("干部")
        self.cadre.setToolTip("管理员可以选一位干部查看他的五联")
        if ctx.user is not None:
            self.cadre.addItem(f"我自己（{ctx.user.display_name}）", ctx.user.id)
        for cid, name in choices:
            if ctx.user is None or cid != ctx.user.id:
                self.cadre.addItem(name, cid)
        self.cadre.setVisible(self.admin)
        self.visits_button = QPushButton("查看走访记录", self)
        top = QHBoxLayout()
        top.addWidget(self.title, 1)
        top.addWidget(self.cadre)
        top.addWidget(self.visits_button)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["五联 / 户主", "组", "标签", "最近一次入户走访"])
        self.tree.setRootIsDecorated(False)
        self.tree.setItemsExpandable(False)
        self.tree.setWordWrap(True)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        for col, width in ((1, 90), (2, 180), (3, 200)):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(col, width)
        header.setStretchLastSection(False)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 6, 6, 6)
        layout.addLayout(top)
        layout.addWidget(intro)
        layout.addWidget(self.tree, 1)
        self.cadre.currentIndexChanged.connect(lambda _i: self.reload())
        self.tree.itemDoubleClicked.connect(lambda item, _c: self._open(item))
        self.visits_button.clicked.connect(lambda: self._open(self.tree.currentItem()))
        self.tree.currentItemChanged.connect(lambda *_: self._update_button())
        self._loaded = False
        self.view: wulian.WulianView | None = None
        ctx.data_changed.connect(
            lambda topic: topic in ("households", "diary") and self.isVisible() and self.reload()
        )

    def refresh(self) -> None:
        # the names whole at any 字号 (measured each time the page is shown: the size may have changed)
        texts = [self.cadre.itemText(i) for i in range(self.cadre.count())]
        if texts:
            metrics = self.cadre.fontMetrics()
            self.cadre.setMinimumWidth(
                max(metrics.horizontalAdvance(t) for t in texts) + 3 * metrics.height()
            )
        self.reload()
        self._loaded = True

    def ready(self) -> bool:
        return self._loaded

    def reload(self) -> None:
        self.tree.clear()
        try:
            with self.ctx.work() as w:
                self.view = wulian.wulian(w, self.cadre.currentData())
        except UserError as exc:
            self.view = None
            self.title.setText(exc.message)
            return
        v = self.view
        self.title.setText("我的五联" if v.own else f"{v.cadre_name}的五联")
        whose = "您" if v.own else v.cadre_name
        for cat in v.categories:
            head = QTreeWidgetItem([cat.title, "", "、".join(cat.tags_used), ""])
            bold = QFont(self.tree.font())
            bold.setBold(True)
            for col in range(4):
                head.setFont(col, bold)
            head.setFirstColumnSpanned(False)
            self.tree.addTopLevelItem(head)
            if not cat.pairings:
                item = QTreeWidgetItem([cat.empty_text(whose)])
                item.setForeground(0, _GREY)
                head.addChild(item)
                item.setFirstColumnSpanned(True)
            for p in cat.pairings:
                item = QTreeWidgetItem(
                    [
                        f"    {p.head_name}户",
                        p.group_name,
                        "、".join(p.tags),
                        cn_date(p.last_visit) if p.last_visit else "还没有入户走访",
                    ]
                )
                item.setData(0, Qt.ItemDataRole.UserRole, p.household_id)
                item.setToolTip(0, f"自{cn_date(p.contact_since)}起由{whose}联系")
                head.addChild(item)
            if cat.hidden_tags:
                note = QTreeWidgetItem([f"（“{'、'.join(cat.hidden_tags)}”标签您的账号无权查看，未列出）"])
                note.setForeground(0, _GREY)
                head.addChild(note)
                note.setFirstColumnSpanned(True)
        self.tree.expandAll()
        self._update_button()

    def _update_button(self) -> None:
        item = self.tree.currentItem()
        self.visits_button.setEnabled(item is not None and bool(item.data(0, Qt.ItemDataRole.UserRole)))

    def _open(self, item: QTreeWidgetItem | None) -> None:
        household_id = item.data(0, Qt.ItemDataRole.UserRole) if item is not None else None
        if household_id:
            self.open_page.emit("diary", f"household:{household_id}")
