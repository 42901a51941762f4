"""Selftest: the real main window, signed in as the first active administrator, every screen visited.

Reached from ``python -m app selftest`` by name. Reports time-to-window (from process start), each
screen's open time and any error logged meanwhile; ``ok`` only if every screen opened without one.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QEventLoop, QPoint, QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractScrollArea,
    QApplication,
    QCheckBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QRadioButton,
    QScrollArea,
    QStyle,
    QStyleOptionComboBox,
    QTabWidget,
    QToolButton,
    QWidget,
)

from app import STARTED_AT, logs
from app.errors import UserError
from app.workspace import Workspace

from ui import preload
from ui.app import make_application, qt_speaks_chinese, route_qt_messages
from ui.crash import CrashHandler
from ui.pages import PAGES

# Like the program (ui/app.py), the selftest shows the sign-in box before the database layer is loaded:
# app.accounts, ui.context and ui.main_window are imported once the box has signed in.

READY_TIMEOUT_S = 30.0
SIGNIN_SIZE = (420, 220)  # the sign-in box at its size on a 1366×768 screen


def seconds_since_process_start() -> float:
    """Wall time since this process started (Linux: from /proc; elsewhere: since ``app`` was imported)."""
    if sys.platform.startswith("linux"):
        try:
            stat = Path("/proc/self/stat").read_text()
            start_ticks = int(stat.rsplit(")", 1)[1].split()[19])
            return time.clock_gettime(time.CLOCK_BOOTTIME) - start_ticks / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
    return time.perf_counter() - STARTED_AT


def peak_rss_mb() -> float | None:
    """This process's peak resident memory. On Linux from VmHWM: ``ru_maxrss`` survives exec, so a
    selftest started by a big parent (the bench runner) would report the parent's peak as its own."""
    if sys.platform.startswith("linux"):
        try:
            for line in Path("/proc/self/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
        except (OSError, ValueError, IndexError):
            pass
    try:
        import resource
    except ImportError:  # Windows
        return None
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / 1024 / 1024 if sys.platform == "darwin" else peak / 1024


def _rounded(mb: float | None) -> float | None:
    return None if mb is None else round(mb, 1)


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def _settle(app: QApplication, ms: int = 20) -> None:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, QDeadlineTimer(ms))


# The smallest screen the program must fit is 1366×768 (DESIGN.md); with a taskbar and the title bar, a
# maximized window has about 1366×700 inside. Screenshots and the fit check are made at that size.
SCREEN_SIZE = (1366, 700)

_FIT_SLACK = 2  # pixels: rounding of font metrics


def _shown_text(widget: QWidget) -> str:
    return widget.text().replace("&&", "\0").replace("&", "").replace("\0", "&")


def _where(widget: QWidget) -> str:
    names = []
    w: QWidget | None = widget
    while w is not None and len(names) < 3:
        names.append(w.objectName() or type(w).__name__)
        w = w.parentWidget()
    return "/".join(reversed(names))


def clipped_texts(root: QWidget) -> list[str]:
    """The texts a person cannot read whole in ``root`` as it is shown now: a visible label, button, check
    box or drop-down whose text is wider (or a wrapped label taller) than the widget, or a widget that
    lies partly outside the window although no scroll area holds it. One line per problem, in Chinese."""
    window = root.window()
    problems: list[str] = []
    widgets = [root, *root.findChildren(QWidget)]
    for w in widgets:
        if not w.isVisible() or w.width() <= 0:
            continue
        if isinstance(w, QLabel | QAbstractButton | QComboBox) and not _inside_scroll_area(w):
            top_left = w.mapTo(window, QPoint(0, 0))
            inside = window.rect().contains(QRect(top_left, w.size()).adjusted(1, 1, -1, -1))
            if not inside and w is not window:
                text = _label_text(w)
                if text:
                    problems.append(f"超出窗口：“{text}”（{_where(w)}）")
                    continue
        problem = _text_problem(w)
        if problem:
            problems.append(f"{problem}（{_where(w)}）")
    return problems


def _inside_scroll_area(widget: QWidget) -> bool:
    w = widget.parentWidget()
    while w is not None:
        if isinstance(w, QAbstractScrollArea):
            return True
        w = w.parentWidget()
    return False


def _label_text(w: QWidget) -> str:
    if isinstance(w, QComboBox):
        return w.currentText()
    if isinstance(w, QLabel):
        return (
            w.text() if w.textFormat() != Qt.TextFormat.RichText and "<" not in w.text() else "（格式文字）"
        )
    if isinstance(w, QAbstractButton):
        return _shown_text(w)
    return ""


def _text_problem(w: QWidget) -> str | None:
    slack = _FIT_SLACK
    if isinstance(w, QLabel):
        if not w.text() or w.pixmap() is not None and not w.pixmap().isNull():
            return None
        if w.wordWrap():
            if w.heightForWidth(w.width()) > w.height() + slack:
                return f"文字显示不全（高度不够）：“{w.text()[:30]}”"
            return None
        hint = w.sizeHint()
        if hint.width() > w.width() + slack or hint.height() > w.height() + slack:
            return f"文字被截断：“{w.text()[:30]}”"
        return None
    if isinstance(w, QPushButton | QToolButton):
        text = _shown_text(w)
        if not text:
            return None
        metrics = w.fontMetrics()
        need = metrics.horizontalAdvance(text) + (w.iconSize().width() + 4 if not w.icon().isNull() else 0)
        if need > w.width() - 4 + slack or metrics.height() > w.height() + slack:
            return f"按钮文字被截断：“{text}”"
        return None
    if isinstance(w, QCheckBox | QRadioButton):
        if _shown_text(w) and w.sizeHint().width() > w.width() + slack:
            return f"文字被截断：“{_shown_text(w)}”"
        return None
    if isinstance(w, QLineEdit) and not w.text() and w.placeholderText() and not w.isReadOnly():
        # the hint in an empty box (its frame and padding take about 8 px; the clear button shows only
        # once something is typed, and then the hint is gone)
        room = w.contentsRect().width() - w.textMargins().left() - w.textMargins().right() - 8
        if w.fontMetrics().horizontalAdvance(w.placeholderText()) > room + slack:
            return f"输入框提示被截断：“{w.placeholderText()[:30]}”"
        return None
    if isinstance(w, QScrollArea) and w.horizontalScrollBar().isVisible():  # a form wider than its place
        return "内容比窗口宽，要左右滚动才能看全"
    if isinstance(w, QListWidget) and w.objectName() == "navigation":  # the window's list of screens
        room = w.viewport().width() - 2 * 6  # the items' padding
        for i in range(w.count()):
            if w.fontMetrics().horizontalAdvance(w.item(i).text()) > room + slack:
                return f"导航文字被截断：“{w.item(i).text()}”"
        return None
    if isinstance(w, QComboBox) and not w.isEditable():
        text = w.currentText()
        if not text:
            return None
        option = QStyleOptionComboBox()
        w.initStyleOption(option)
        field = w.style().subControlRect(
            QStyle.ComplexControl.CC_ComboBox, option, QStyle.SubControl.SC_ComboBoxEditField, w
        )
        if w.fontMetrics().horizontalAdvance(text) > field.width() + slack + 4:  # the field's own margin
            return f"下拉框文字被截断：“{text}”"
    return None


def _visit_tabs(
    app: QApplication, window: QWidget, page: QWidget | None, screenshots: Path | None, name: str
) -> tuple[list[str], list[str]]:
    """Check (and photograph) the screen as opened, then each further tab of its tab bars, and come back
    to the first tab. Returns the clipped texts found and the screenshots' paths."""
    clipped: list[str] = []
    shots: list[str] = []

    def look(suffix: str) -> None:
        _settle(app, 50)
        for problem in clipped_texts(window):
            if problem not in clipped:
                clipped.append(problem)
        if screenshots is not None:
            _settle(app, 150)
            shot = screenshots / f"{name}{suffix}.png"
            window.grab().save(str(shot))
            shots.append(str(shot))

    look("")
    tabs = [t for t in (page.findChildren(QTabWidget) if page is not None else []) if t.isVisible()]
    for tab_widget in tabs[:1]:  # the screen's own tabs (nested ones are seen on their tab)
        first = tab_widget.currentIndex()
        for i in range(tab_widget.count()):
            if i == first or not tab_widget.isTabEnabled(i) or not tab_widget.isTabVisible(i):
                continue
            tab_widget.setCurrentIndex(i)
            look(f"-{i + 1}")
        tab_widget.setCurrentIndex(first)
    return clipped, shots


def _sign_in_through_the_box(app: QApplication, ws: Workspace, username: str, password: str) -> float:
    """Sign in as a person does: the sign-in box shown (the first window; its time since the process
    started is returned), the database layer loading behind it, the account and password put in and
    登录 pressed at once (no time for typing: the main window's time is the worst case)."""
    from ui.signin import SignInDialog

    dialog = SignInDialog(ws)
    dialog.resize(*SIGNIN_SIZE)
    dialog.show()
    _settle(app)
    shown = seconds_since_process_start()
    preload.start()
    dialog.username.setText(username)
    dialog.password.setText(password)
    signed_in = dialog.try_sign_in()
    dialog.close()
    dialog.deleteLater()
    if dialog.damaged is not None:
        raise dialog.damaged
    if not signed_in:
        raise UserError(f"自检登录没有成功：{dialog.error.text()}")
    return shown


def run(
    data_dir: Path,
    *,
    install_hooks: bool = True,
    screenshots: Path | None = None,
    credentials: tuple[str, str] | None = None,
    font_size: str | None = None,
    window_size: tuple[int, int] = SCREEN_SIZE,
) -> dict:
    """``install_hooks=False`` (tests inside pytest) leaves faulthandler and Qt's message handler alone.

    ``screenshots``: save a PNG of the window (at 1366×768) as each screen is visited, named
    ``NN-key.png`` in visiting order, for a person to look at. ``font_size`` (标准 / 大 / 特大): visit
    the screens at that size instead of this laptop's setting (nothing is stored). Each screen is also
    checked, in a 1366×700 window (or ``window_size``), for text a person cannot read whole
    (``clipped``: not ``ok``).
    """
    app = make_application()
    ws = Workspace.open(data_dir, create=False, defer_check=True)  # as the window opens it
    time_to_signin = None
    # Signed in through the box as the program does (ui/app.py), with the demo's account or the one
    # given; an encrypted database cannot open without one.
    from app.demo import DEMO_ADMIN

    given = DEMO_ADMIN if (ws.public_station() or {}).get("demo") is True else credentials
    if given is None and ws.locked:
        raise UserError("数据库已加密：自检需要登录，请加 --user 登录名 --password-env 存放密码的环境变量名")
    if given is not None:
        time_to_signin = _sign_in_through_the_box(app, ws, *given)
    preload.wait()
    from app import accounts

    from ui.context import AppContext
    from ui.main_window import MainWindow

    logs.setup(ws.logs_dir)
    collector = _ErrorCollector()
    logging.getLogger().addHandler(collector)
    if not qt_speaks_chinese():  # a build without Qt's translation: OK/Yes/No/Copy in every dialog
        collector.messages.append("ui: Qt 的中文翻译没有加载，对话框的按钮和右键菜单会显示英文")
    if QApplication.windowIcon().isNull():  # a build without resources/icon
        collector.messages.append("ui: 程序图标没有加载（resources/icon/minqing.png）")
    crash = CrashHandler(ws.logs_dir, interactive=False).install(fault=install_hooks)
    if install_hooks:
        route_qt_messages()
    window = None
    try:
        with ws.work(None) as w:
            admin = accounts.first_active_admin(w)
            if admin is None:
                raise UserError(f"工作目录 {data_dir} 没有启用的管理员账号，无法自检")
            w.session.expunge(admin)
        logging.getLogger("minqing.selftest").info("自检开始，以 %s 身份", admin.username)
        window = MainWindow(AppContext(ws, admin))
        if font_size is not None:
            window.apply_font_size(font_size)
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
        window.resize(*window_size)
        window.show()
        _settle(app)
        time_to_window = seconds_since_process_start()
        if install_hooks:  # as the program does once its window shows (ui/app.py)
            from ui.main_window import freeze_long_lived

            freeze_long_lived()
        created_before = set(window.pages)
        pages = []
        for spec in PAGES:
            errors_before = len(collector.messages)
            started = time.perf_counter()
            page = window.open_page(spec.key)
            deadline = started + READY_TIMEOUT_S
            ready = getattr(page, "ready", None)
            while ready is not None and not ready() and time.perf_counter() < deadline:
                # processEvents keeps the GIL while it waits: sleep in Python so background work runs
                _settle(app, 1)
                time.sleep(0.02)
            _settle(app)
            elapsed = time.perf_counter() - started
            if spec.key in created_before:  # built with the window (the home page): count its creation
                elapsed += window.open_times.get(spec.key, 0.0)
            error = window.failed.get(spec.key)
            if error is None and ready is not None and not ready():
                error = f"{READY_TIMEOUT_S:.0f} 秒内未就绪"
            if error is None and len(collector.messages) > errors_before:
                error = collector.messages[errors_before]
            _settle(app, 50)
            clipped, shots = _visit_tabs(app, window, page, screenshots, f"{len(pages) + 1:02d}-{spec.key}")
            if error is None and clipped:
                error = f"{len(clipped)} 处文字显示不全：{clipped[0]}"
            entry = {
                "key": spec.key,
                "title": spec.title,
                "open_s": round(elapsed, 4),
                "ok": error is None,
                "error": error,
                "clipped": clipped,
                "peak_rss_mb": _rounded(peak_rss_mb()),  # the process's peak so far: which screen raised it
            }
            if shots:
                entry["screenshot"] = shots[0]
                entry["screenshots"] = shots
            pages.append(entry)
        window.close()
        _settle(app)
        return {
            "ok": all(p["ok"] for p in pages) and not collector.messages,
            "time_to_window_s": round(time_to_window, 3),
            "time_to_signin_s": None if time_to_signin is None else round(time_to_signin, 3),
            "pages": pages,
            "errors": collector.messages,
            "peak_rss_mb": _rounded(peak_rss_mb()),
            "gc_frozen": gc.get_freeze_count(),
            "platform": app.platformName(),
            "font_size": window.font_size,
            "data_dir": str(data_dir),
        }
    finally:
        if window is not None:
            window.deleteLater()
        logging.getLogger().removeHandler(collector)
        crash.uninstall()
        ws.close()
