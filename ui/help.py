"""使用说明: the bundled Chinese guide (resources/help/, one HTML page per screen with a screenshot, the
first day of a village and of a town, a lost stick), shown in a QTextBrowser (no web engine, so it works
in the frozen build). F1 opens the page of the screen in front (:func:`topic_of`).

The screenshots are made by ``tools/make_help_screenshots.py``; ``tests/test_help.py`` checks that every
screen has its page and that every image and link of the guide exists."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.paths import resources_dir

from ui.app import font_factor, scaled_font
from ui.pages import PAGES
from ui.widgets.fit import FitsScreen

INDEX = "index.html"
# The guide's table of contents: (file, title), in reading order. Each screen's page is named after its
# PageSpec key (``home.html`` for 今日待办 …).
TOPICS: tuple[tuple[str, str], ...] = (
    (INDEX, "目录"),
    ("first-day-village.html", "村里第一天"),
    ("first-day-town.html", "乡镇第一天"),
    *((f"{spec.key}.html", spec.title) for spec in PAGES),
    ("lost-stick.html", "U 盘丢了怎么办"),
)
# The guide's type at 标准, in points; it grows with the 字号 as the window's does (``style``).
SIZES = {"body": 14, "h1": 20, "h2": 16, "nav": 12}
STYLE = """
body {{ font-size: {body}pt; }}
h1 {{ font-size: {h1}pt; }}
h2 {{ font-size: {h2}pt; margin-top: 18px; }}
li {{ margin-bottom: 6px; }}
p.nav {{ font-size: {nav}pt; }}
.red {{ color: #b00020; }}
.brown {{ color: #8a5a00; }}
td {{ padding: 2px 12px 2px 0; }}
"""


def style(factor: float) -> str:
    """The guide's style sheet at a 字号 ``factor`` times 标准."""
    return STYLE.format(**{k: round(v * factor, 1) for k, v in SIZES.items()})


def help_dir() -> Path:
    return resources_dir() / "help"


def topic_of(page_key: str | None) -> str:
    """The guide's file for a screen (the table of contents when it has none)."""
    if page_key and (help_dir() / f"{page_key}.html").is_file():
        return f"{page_key}.html"
    return INDEX


class HelpDialog(FitsScreen, QDialog):
    """The guide: topics on the left, the page on the right; 后退 (Alt+←), 目录, 关闭 (Esc)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("民情簿 使用说明")
        self.topics = QListWidget()
        factor = font_factor()
        self.topics.setMaximumWidth(round(190 * factor))
        self.topics.setStyleSheet("QListWidget::item { padding: 6px 4px; }")
        scaled_font(self.topics, 1.2)
        for name, title in TOPICS:
            item = QListWidgetItem(title)
            item.setData(Qt.ItemDataRole.UserRole, name)
            self.topics.addItem(item)
        self.browser = QTextBrowser()
        self.browser.setSearchPaths([str(help_dir())])
        self.browser.setOpenLinks(True)
        self.browser.setOpenExternalLinks(False)  # the guide has no outside links: nothing leaves the program
        self.browser.document().setDefaultStyleSheet(style(factor))
        self.back_button = QPushButton("后退（Alt+←）")
        self.back_button.clicked.connect(self.browser.backward)
        self.browser.backwardAvailable.connect(self.back_button.setEnabled)
        self.back_button.setEnabled(False)
        self.index_button = QPushButton("目录")
        self.index_button.clicked.connect(lambda: self.show_topic(INDEX))
        close = QPushButton("关闭（Esc）")
        close.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addWidget(self.back_button)
        buttons.addWidget(self.index_button)
        buttons.addStretch()
        buttons.addWidget(close)
        body = QHBoxLayout()
        body.addWidget(self.topics)
        body.addWidget(self.browser, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(body, 1)
        layout.addLayout(buttons)
        QShortcut(QKeySequence("Alt+Left"), self, self.browser.backward)
        self.topics.currentRowChanged.connect(self._topic_chosen)
        self.browser.sourceChanged.connect(self._source_changed)
        # the screenshots at their own 800 px, inside a 1366×768 screen with its taskbar
        self.resize(1120, 680)

    def show_topic(self, name: str) -> None:
        self.browser.setSource(QUrl(name))

    def current_file(self) -> str:
        return self.browser.source().path().rsplit("/", 1)[-1]

    def _topic_chosen(self, row: int) -> None:
        if row >= 0:
            name = self.topics.item(row).data(Qt.ItemDataRole.UserRole)
            if name != self.current_file():
                self.show_topic(name)

    def _source_changed(self, url: QUrl) -> None:
        """Keep the topic list on the page shown (after a link or 后退)."""
        current = url.path().rsplit("/", 1)[-1]  # (source() may still be the page before)
        for row in range(self.topics.count()):
            if self.topics.item(row).data(Qt.ItemDataRole.UserRole) == current:
                self.topics.blockSignals(True)
                self.topics.setCurrentRow(row)
                self.topics.blockSignals(False)
                break


def show_help(parent: QWidget, page_key: str | None = None) -> HelpDialog:
    """Open (or bring forward) the guide of ``parent``'s window on the page of ``page_key``."""
    dialog = parent.findChild(HelpDialog)
    if dialog is None:
        dialog = HelpDialog(parent)
    dialog.show_topic(topic_of(page_key))
    dialog.show()
    dialog.raise_()
    dialog.activateWindow()
    return dialog
