"""A screen that a later part of the work fills: says what it will offer, shows no made-up data."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from ui.context import AppContext
from ui.pages import PageSpec


class PlaceholderPage(QWidget):
    wants_spec = True  # the main window passes the PageSpec so the page can say what will come

    def __init__(self, ctx: AppContext, parent: QWidget | None = None, *, spec: PageSpec | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        layout = QVBoxLayout(self)
        layout.setContentsMargins(32, 24, 32, 24)
        title = QLabel(spec.title if spec else "")
        title.setStyleSheet("font-size: 20pt; font-weight: bold;")
        layout.addWidget(title)
        status = QLabel("这一部分还在建设中，暂时没有可用的功能。")
        status.setStyleSheet("color: #8a5a00;")
        layout.addWidget(status)
        self.coming = QLabel(f"建成后将提供：{spec.coming}" if spec and spec.coming else "")
        self.coming.setWordWrap(True)
        self.coming.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.coming)
        layout.addStretch()

    def ready(self) -> bool:
        return True
