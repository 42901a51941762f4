"""The 村 filter of the town's consolidated views (roster, diary, ledger, cases).

At a town station the lists show every enrolled village's records; this combo narrows them to one
village (filtered in SQL through the query's ``village_code``). At a village station it stays hidden
and the lists are unchanged.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QComboBox, QWidget

from app.sync.status import village_filter_choices

ALL_VILLAGES = "全部村"


def compact(combo: QComboBox, chars: int = 6) -> QComboBox:
    """A filter combo that does not widen its bar to its longest item (the bars must fit 1366 px)."""
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
    combo.setMinimumContentsLength(chars)
    return combo


class VillageFilter(QComboBox):
    """``code()`` is None for all villages; ``names`` maps village code → name for the 村 column."""

    changed = Signal()

    def __init__(self, ctx, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.is_town = ctx.is_town
        self.names: dict[str, str] = {}
        self.setAccessibleName("村")
        self.setToolTip("只看一个村的记录")
        compact(self, 4)
        self.setVisible(self.is_town)
        self.currentIndexChanged.connect(lambda _i: self.changed.emit())
        self.fill()

    def fill(self) -> None:
        """(Re)read the villages (a new enrollment or a first bundle adds one); keeps the choice."""
        if not self.is_town:
            return
        choices = village_filter_choices(self.ctx.workspace)
        self.names = dict(choices)
        current = self.currentData()
        self.blockSignals(True)
        self.clear()
        self.addItem(ALL_VILLAGES, None)
        for code, name in choices:
            self.addItem(name, code)
        i = self.findData(current) if current is not None else 0
        self.setCurrentIndex(max(i, 0))
        self.blockSignals(False)

    def code(self) -> str | None:
        return self.currentData() if self.is_town else None

    def select(self, code: str | None) -> None:
        i = self.findData(code) if code is not None else 0
        self.setCurrentIndex(max(i, 0))

    def name_of(self, code: str) -> str:
        if code in self.names:
            return self.names[code]
        station = self.ctx.station
        return station.name if code == station.code else code
