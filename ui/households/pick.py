"""Choose a household by typing (for moving a person to another household)."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QLineEdit,
    QTableView,
    QVBoxLayout,
)

from db.queries.households import RosterFilter

from ui.households.model import RosterModel
from ui.widgets.fit import FitsScreen


class HouseholdPicker(FitsScreen, QDialog):
    def __init__(self, ctx, parent=None, *, exclude: str | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("选择目标户")
        self.resize(760, 460)
        self.exclude = exclude
        layout = QVBoxLayout(self)
        self.search = QLineEdit()
        self.search.setPlaceholderText("输入户主或成员姓名、拼音首字母、身份证后几位、电话")
        layout.addWidget(self.search)
        self.model = RosterModel(ctx.session, self)
        self.model.filter = RosterFilter(text="\u0000none")  # nothing until something is typed
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.doubleClicked.connect(lambda _i: self.accept())
        layout.addWidget(self.view)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.button(QDialogButtonBox.StandardButton.Ok).setText("确定")
        buttons.button(QDialogButtonBox.StandardButton.Cancel).setText("取消")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)
        self.search.textChanged.connect(self._search)
        self.search.returnPressed.connect(self.view.setFocus)

    def _search(self, text: str) -> None:
        if text.strip():
            self.model.set_filter(RosterFilter(text=text))
            if self.model.rowCount():
                self.view.selectRow(0)

    def chosen(self) -> str | None:
        rows = self.view.selectionModel().selectedRows()
        if not rows:
            return None
        hid = self.model.household_id(rows[0].row())
        return None if hid == self.exclude else hid


def pick_household(ctx, parent=None, *, exclude: str | None = None) -> str | None:
    dlg = HouseholdPicker(ctx, parent, exclude=exclude)
    return dlg.chosen() if dlg.exec() else None
