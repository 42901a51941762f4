"""The 历程 tab: every state change of the case, with its date, who made it and its note."""

from __future__ import annotations

from PySide6.QtWidgets import QListWidget, QVBoxLayout

from ui.dates import local_time
from ui.mediation.case.tab import CaseTab, day_text


class HistoryTab(CaseTab):
    def __init__(self, dialog) -> None:
        super().__init__(dialog)
        self.history_list = QListWidget()
        lay = QVBoxLayout(self)
        lay.addWidget(self.history_list)

    def fill(self) -> None:
        self.history_list.clear()
        for t in self.cf.transitions:
            step = f"{t.from_state} → {t.to_state}" if t.from_state else t.to_state
            self.history_list.addItem(
                f"{day_text(t.on_date)}　{step}　{t.by_name}（记录于 {local_time(t.at)}）"
                + (f"　{t.note}" if t.note else "")
            )
