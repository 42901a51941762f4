"""崩溃处理: an unexpected error shows a Chinese message and leaves a crash log in the workspace.

``sys.excepthook`` (and ``threading.excepthook``) write ``<workspace>/logs/crash-<time>.log`` with the
traceback, the program version and the time; ``faulthandler`` writes hard crashes (a segfault in Qt) to
``logs/faulthandler.log``, which the next start turns into a crash log. The next start offers to show
the newest crash log the user has not seen yet (qutebrowser's crashsignal/earlyinit habit).
A :class:`~app.errors.UserError` that reaches the hook is not a crash: it is shown as a warning.
"""

from __future__ import annotations

import datetime as dt
import faulthandler
import logging
import platform
import sys
import threading
import traceback
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QMessageBox,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.errors import UserError, environment_failure
from app.logs import private_file

from ui.widgets.fit import FitsScreen

log = logging.getLogger("minqing.crash")

FAULT_LOG = "faulthandler.log"
SEEN_MARK = "crash-seen.txt"


def crash_logs(logs_dir: Path) -> list[Path]:
    """Crash logs, oldest first."""
    return sorted(Path(logs_dir).glob("crash-*.log"))


def unseen_crash_log(logs_dir: Path) -> Path | None:
    """The newest crash log not yet offered to the user, if any."""
    logs = crash_logs(logs_dir)
    if not logs:
        return None
    mark = Path(logs_dir) / SEEN_MARK
    seen = mark.read_text(encoding="utf-8").strip() if mark.exists() else ""
    newest = logs[-1]
    return None if newest.name <= seen else newest


def mark_seen(logs_dir: Path, crash_log: Path) -> None:
    (Path(logs_dir) / SEEN_MARK).write_text(crash_log.name, encoding="utf-8")


def _stamp(now: dt.datetime) -> str:
    return now.strftime("%Y%m%d-%H%M%S-%f")


class CrashHandler:
    """Install once per process with :meth:`install`; ``interactive=False`` (selftest) logs without dialogs."""

    def __init__(self, logs_dir: Path, *, interactive: bool = True) -> None:
        self.logs_dir = Path(logs_dir)
        self.interactive = interactive
        self.dialog: QMessageBox | None = None
        self.last_log: Path | None = None
        self._fault_file = None
        self._previous_hooks = None

    # -- installation ----------------------------------------------------------------------
    def install(self, *, fault: bool = True) -> CrashHandler:
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        if fault:
            self.collect_fault_log()
            self._fault_file = open(self.logs_dir / FAULT_LOG, "w", encoding="utf-8")  # noqa: SIM115
            private_file(self.logs_dir / FAULT_LOG)
            faulthandler.enable(self._fault_file, all_threads=True)
        self._previous_hooks = (sys.excepthook, threading.excepthook)
        sys.excepthook = self.handle
        threading.excepthook = self._thread_hook
        return self

    def uninstall(self) -> None:
        if self._previous_hooks is not None:
            sys.excepthook, threading.excepthook = self._previous_hooks
            self._previous_hooks = None
        if self._fault_file is not None:
            faulthandler.disable()
            self._fault_file.close()
            self._fault_file = None
            fault = self.logs_dir / FAULT_LOG
            if fault.exists() and fault.stat().st_size == 0:
                fault.unlink()

    def collect_fault_log(self) -> Path | None:
        """A non-empty faulthandler file left by a hard crash becomes a crash log."""
        fault = self.logs_dir / FAULT_LOG
        if not fault.exists() or fault.stat().st_size == 0:
            return None
        when = dt.datetime.fromtimestamp(fault.stat().st_mtime)
        target = self.logs_dir / f"crash-{_stamp(when)}.log"
        header = (
            f"民情簿 {__version__} 异常退出（致命错误，由 faulthandler 记录）\n"
            f"时间：{when:%Y-%m-%d %H:%M:%S}\n\n"
        )
        target.write_text(header + fault.read_text(encoding="utf-8", errors="replace"), encoding="utf-8")
        private_file(target)
        fault.unlink()
        return target

    # -- handling --------------------------------------------------------------------------
    def write_log(self, exc_type, exc, tb, *, now: dt.datetime | None = None) -> Path:
        now = now or dt.datetime.now()
        self.logs_dir.mkdir(parents=True, exist_ok=True)
        path = self.logs_dir / f"crash-{_stamp(now)}.log"
        text = "".join(traceback.format_exception(exc_type, exc, tb))
        path.write_text(
            f"民情簿 {__version__} 程序出错\n"
            f"时间：{now:%Y-%m-%d %H:%M:%S}\n"
            f"系统：{platform.platform()}，Python {platform.python_version()}\n"
            f"线程：{threading.current_thread().name}\n\n{text}",
            encoding="utf-8",
        )
        private_file(path)
        self.last_log = path
        return path

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        self.handle(args.exc_type, args.exc_value, args.exc_traceback)

    def handle(self, exc_type, exc, tb) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        failure = exc if isinstance(exc, UserError) else environment_failure(exc)
        if failure is not None:  # the user's input or the computer's environment: not a crash
            log.info("未处理的提示：%s（%s）", failure.message, type(exc).__name__)
            self._show_user_error(failure)
            return
        path = self.write_log(exc_type, exc, tb)
        log.error("程序出错，错误记录已写入 %s", path, exc_info=(exc_type, exc, tb))
        if self.interactive:
            self._show_crash(path)

    def _show_user_error(self, exc: UserError) -> None:
        if not self.interactive or QApplication.instance() is None:
            return
        QMessageBox.warning(QApplication.activeWindow(), "无法完成", exc.message)

    def _show_crash(self, path: Path) -> None:
        if QApplication.instance() is None or threading.current_thread() is not threading.main_thread():
            print(f"民情簿出错，错误记录：{path}", file=sys.stderr)
            return
        if self.dialog is not None and self.dialog.isVisible():
            return  # one dialog at a time; every error still gets its own log
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            "程序出错",
            "民情簿遇到了一个意外错误，刚才的操作可能没有完成。",
            parent=QApplication.activeWindow(),
        )
        box.setInformativeText(
            f"错误记录已保存到：\n{path}\n\n请把这个文件交给技术支持人员。"
            "已保存的数据不受影响；如果程序表现异常，请关闭后重新打开。"
        )
        box.addButton("继续使用", QMessageBox.ButtonRole.AcceptRole)
        quit_button = box.addButton("退出程序", QMessageBox.ButtonRole.DestructiveRole)
        box.buttonClicked.connect(lambda b: QApplication.quit() if b is quit_button else None)
        self.dialog = box
        box.open()


class CrashLogDialog(FitsScreen, QDialog):
    """Shows a crash log's text and where the file is."""

    def __init__(self, path: Path, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("上次的错误记录")
        self.resize(760, 480)
        layout = QVBoxLayout(self)
        where = QLabel(f"文件：{path}（可复制给技术支持人员）")
        where.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        where.setWordWrap(True)
        layout.addWidget(where)
        self.text = QPlainTextEdit(path.read_text(encoding="utf-8", errors="replace"))
        self.text.setReadOnly(True)
        layout.addWidget(self.text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText("关闭")
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)


def offer_last_crash(logs_dir: Path, parent: QWidget | None = None) -> Path | None:
    """At start: if the last run left a crash log the user has not seen, ask whether to show it."""
    path = unseen_crash_log(logs_dir)
    if path is None:
        return None
    mark_seen(logs_dir, path)
    answer = QMessageBox.question(
        parent,
        "上次运行出错",
        "民情簿上次运行时出了错，留下了一份错误记录。要现在查看吗？",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
        QMessageBox.StandardButton.No,
    )
    if answer == QMessageBox.StandardButton.Yes:
        CrashLogDialog(path, parent).exec()
    return path
