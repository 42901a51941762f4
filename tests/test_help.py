"""使用说明: every screen of the window has its page in the bundled guide, every image and link the guide
references exists, the guide covers the first day of a village and of a town and a lost stick, and F1
opens the page of the screen in front, in a QTextBrowser."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.paths import resources_dir

from ui.pages import PAGES

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support propagateSizeHints\(\)$", r"^This plugin does not support raise\(\)$"
)
HELP = resources_dir() / "help"
SHOTS = os.environ.get("MINQING_SHOTS")


class _Refs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.links: list[str] = []
        self.anchors: set[str] = set()
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.images.append(a.get("src") or "")
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        for key in ("id", "name"):
            if a.get(key):
                self.anchors.add(a[key])

    def handle_data(self, data):
        self.text.append(data)


def _parse(path: Path) -> _Refs:
    refs = _Refs()
    refs.feed(path.read_text(encoding="utf-8"))
    return refs


def _pages() -> list[Path]:
    return sorted(HELP.glob("*.html"))


def test_every_screen_of_the_window_has_a_help_page_with_a_screenshot():
    from ui.help import TOPICS, topic_of

    for spec in PAGES:
        assert topic_of(spec.key) == f"{spec.key}.html", f"{spec.title} 没有说明页"
        refs = _parse(HELP / f"{spec.key}.html")
        assert refs.images, f"{spec.title} 的说明页没有截图"
        assert spec.title in "".join(refs.text)
    listed = {name for name, _title in TOPICS}
    assert {p.name for p in _pages()} == listed, "every page of the guide is in its table of contents"


def test_every_image_and_link_of_the_guide_exists():
    anchors = {p.name: _parse(p).anchors for p in _pages()}
    for page in _pages():
        refs = _parse(page)
        for src in refs.images:
            assert not re.match(r"^[a-z]+:", src), f"{page.name}: {src} is not inside the guide"
            assert (HELP / src).is_file(), f"{page.name} 引用的图片 {src} 不存在"
        for href in refs.links:
            assert not re.match(r"^[a-z]+:", href), f"{page.name}: {href} leaves the guide"
            name, _, anchor = href.partition("#")
            assert name in anchors, f"{page.name} 链接的 {href} 不存在"
            assert not anchor or anchor in anchors[name], f"{page.name} 链接的 {href} 没有这个位置"


def test_the_guide_has_the_first_day_and_a_lost_stick_and_stays_small():
    index = "".join(_parse(HELP / "index.html").text)
    for title in ("村里第一天", "乡镇第一天", "U 盘丢了怎么办"):
        assert title in index
    lost = "".join(_parse(HELP / "lost-stick.html").text)
    assert "导出上报包" in lost and "吊销" in lost
    images = list((HELP / "img").glob("*.png"))
    assert images and sum(p.stat().st_size for p in images) < 1_000_000
    for image in images:
        with image.open("rb") as f:
            header = f.read(24)
        assert header[:8] == b"\x89PNG\r\n\x1a\n"
        width = int.from_bytes(header[16:20], "big")
        assert width <= 800, f"{image.name} is {width} px wide"


def test_f1_opens_the_guide_on_the_page_of_the_screen_in_front(qtbot, village_ws, village_admin):
    from PySide6.QtCore import Qt, QUrl
    from PySide6.QtWidgets import QApplication, QTextBrowser

    from ui.app import apply_ui_font
    from ui.context import AppContext
    from ui.help import HelpDialog
    from ui.main_window import MainWindow

    apply_ui_font(QApplication.instance())
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    window.open_page("diary")
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_F1)  # as a person presses it
    dialog = window.findChild(HelpDialog)
    assert dialog is not None and dialog.isVisible()
    assert isinstance(dialog.browser, QTextBrowser)
    assert dialog.current_file() == "diary.html"
    assert dialog.topics.currentItem().text() == "民情日记"
    assert "一事一记" in dialog.browser.toPlainText()
    image = dialog.browser.document().resource(
        2,
        dialog.browser.source().resolved(QUrl("img/village-diary.png")),
    )
    assert image is not None and not image.isNull(), "the screenshot loads from resources/help"
    if SHOTS:
        dialog.grab().save(os.path.join(SHOTS, "help-diary.png"))
    assert dialog.width() <= 1366 and dialog.height() <= 728

    # another screen, F1 again: the same dialog, on that screen's page
    window.open_page("sync")
    window.help_action.trigger()
    assert window.findChildren(HelpDialog) == [dialog]
    assert dialog.current_file() == "sync.html"

    # a link inside the guide, then 后退
    dialog.browser.setSource(dialog.browser.source().resolved(QUrl("lost-stick.html")))
    assert dialog.topics.currentItem().text() == "U 盘丢了怎么办"
    dialog.back_button.click()
    assert dialog.current_file() == "sync.html"
    dialog.topics.setCurrentRow(1)
    assert dialog.current_file() == "first-day-village.html"
