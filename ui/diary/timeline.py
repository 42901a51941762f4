"""走访时间线 of one household, for the household screen: "last visited" and every entry and event."""

from __future__ import annotations

import html

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QLabel, QTextBrowser, QVBoxLayout, QWidget

from app.diary import visits

from ui.context import AppContext


class HouseholdTimeline(QWidget):
    """Call :meth:`show_household`. Clicking an entry emits ``entry_activated(entry_id)``."""

    entry_activated = Signal(str)

    def __init__(self, ctx: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.household_id: str | None = None
        self.last = QLabel(self)
        self.view = QTextBrowser(self)
        self.view.setOpenLinks(False)
        self.view.anchorClicked.connect(
            lambda url: self.entry_activated.emit(url.toString().removeprefix("entry:"))
        )
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.last)
        layout.addWidget(self.view, 1)
        ctx.data_changed.connect(lambda topic: self.refresh() if topic in ("diary", "households") else None)

    def show_household(self, household_id: str | None) -> None:
        self.household_id = household_id
        self.refresh()

    def refresh(self) -> None:
        if not self.household_id:
            self.last.setText("")
            self.view.setHtml("")
            return
        with self.ctx.work() as w:
            last = visits.last_visited(w, self.household_id)
            items = visits.household_timeline(w, self.household_id)
        self.last.setText(f"上次入户走访：{last:%Y-%m-%d}" if last else "上次入户走访：还没有记录")
        rows = []
        for i in items:
            title = html.escape(i.title)
            if i.kind == "entry":
                title = f'<a href="entry:{i.record_id}">{title}</a>' + ("　✔已签字" if i.acknowledged else "")
            rows.append(f"<p><b>{i.when:%Y-%m-%d}</b>　{title}<br/>{html.escape(i.detail)}</p>")
        self.view.setHtml("".join(rows) or "<p>还没有走访记录。</p>")
