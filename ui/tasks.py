"""Long work off the UI thread (Anki's CollectionOp pattern).

``run_in_background(parent, work, on_done)``: ``work(progress)`` runs in a worker thread and must not
touch widgets; ``progress(done, total, text)`` reports and raises :class:`Cancelled` once the user
pressed 取消. ``on_done(result)`` runs on the UI thread; a :class:`UserError` is shown as a message,
any other exception goes to the crash handler.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QEventLoop, QObject, QRunnable, Qt, QThread, QThreadPool, QTimer, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QProgressDialog, QWidget

from app.errors import UserError


class Cancelled(Exception):
    """The user cancelled; the work must leave everything as it was."""


class _Signals(QObject):
    progress = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)


class _Runnable(QRunnable):
    def __init__(self, work: Callable, signals: _Signals, cancel: threading.Event) -> None:
        super().__init__()
        self.work, self.signals, self.cancel = work, signals, cancel

    def run(self) -> None:
        def progress(done: int, total: int, text: str = "") -> None:
            if self.cancel.is_set():
                raise Cancelled()
            self.signals.progress.emit(done, total, text)

        try:
            result = self.work(progress)
        except BaseException as exc:
            self.signals.failed.emit(exc)
        else:
            self.signals.finished.emit(result)


class BackgroundTask(QObject):
    """A running task with a modal progress dialog (title, progress bar, 取消)."""

    done = Signal(object)

    def __init__(
        self,
        parent: QWidget | None,
        title: str,
        work: Callable[[Callable], Any],
        on_done: Callable[[Any], None] | None = None,
        *,
        show_progress: bool = True,
        on_error: Callable[[BaseException], None] | None = None,
        cancelled_text: str = "操作已取消，没有作任何改动。",
    ) -> None:
        super().__init__(parent)
        self.cancelled_text = cancelled_text
        self.cancel_event = threading.Event()
        self.signals = _Signals()
        self.on_done = on_done
        self.on_error = on_error
        self.dialog = None
        if show_progress:
            self.dialog = QProgressDialog(title, "取消", 0, 0, parent)
            self.dialog.setWindowTitle(title)
            self.dialog.setWindowModality(Qt.WindowModality.WindowModal)
            self.dialog.setMinimumDuration(300)
            # closed by the task's end only: Qt resets and hides it whenever a step reports done == total
            # (0 of 0 while busy, 1 of 1 between bundles), and the window under it was usable again
            self.dialog.setAutoReset(False)
            self.dialog.setAutoClose(False)
            self.dialog.canceled.connect(self.cancel_event.set)
        self.signals.progress.connect(self._on_progress)
        self.signals.finished.connect(self._on_finished)
        self.signals.failed.connect(self._on_failed)
        self._runnable = _Runnable(work, self.signals, self.cancel_event)
        self._runnable.setAutoDelete(True)
        self.result = None
        self.error: BaseException | None = None
        self.finished = False

    def start(self) -> BackgroundTask:
        QThreadPool.globalInstance().start(self._runnable)
        return self

    def _on_progress(self, done: int, total: int, text: str) -> None:
        if self.dialog is not None:
            self.dialog.setMaximum(max(total, 0))
            self.dialog.setValue(done)
            if text:
                self.dialog.setLabelText(text)

    def _close_dialog(self) -> None:
        if self.dialog is not None:
            self.dialog.reset()
            self.dialog.close()

    def _on_finished(self, result: object) -> None:
        self._close_dialog()
        self.result, self.finished = result, True
        if self.on_done is not None:
            self.on_done(result)
        self.done.emit(result)

    def _on_failed(self, exc: BaseException) -> None:
        self._close_dialog()
        self.error, self.finished = exc, True
        parent = self.parent() if isinstance(self.parent(), QWidget) else None
        if self.on_error is not None:
            self.on_error(exc)
        elif isinstance(exc, Cancelled):
            QMessageBox.information(parent, "已取消", self.cancelled_text)
        elif isinstance(exc, UserError):
            QMessageBox.warning(parent, "无法完成", exc.message)
        else:
            import sys

            sys.excepthook(type(exc), exc, exc.__traceback__)
        self.done.emit(None)


def run_in_background(
    parent: QWidget | None,
    title: str,
    work: Callable[[Callable], Any],
    on_done: Callable[[Any], None] | None = None,
    **kwargs,
) -> BackgroundTask:
    return BackgroundTask(parent, title, work, on_done, **kwargs).start()


CHECK_WAIT_TEXT = (
    "正在检查数据库是否完好（启动后在后台进行，大的村库需要半分钟左右）。\n"
    "检查完成后会自动保存，请稍候，不要关闭民情簿。"
)


def wait_shown(done: threading.Event) -> None:
    """A write waits for the integrity check that runs behind the window after it opens
    (``Workspace.check_waiter``): a box says why, and the window stays painted (an event loop turns
    until ``done`` is set) instead of freezing for up to half a minute. Off the UI thread it returns
    at once and the caller waits plainly."""
    app = QApplication.instance()
    if done.is_set() or app is None or QThread.currentThread() is not app.thread():
        return
    _busy_until(done, CHECK_WAIT_TEXT, QApplication.activeWindow())


def _busy_until(done: threading.Event, text: str, parent: QWidget | None) -> QProgressDialog:
    """A box with a busy bar and ``text`` (no cancel), shown while an event loop turns until ``done``."""
    box = QProgressDialog(text, None, 0, 0, parent)
    box.setWindowTitle("请稍候")
    box.setCancelButton(None)
    box.setWindowModality(Qt.WindowModality.ApplicationModal)
    box.setMinimumDuration(0)
    loop = QEventLoop()
    timer = QTimer()
    timer.setInterval(100)
    timer.timeout.connect(lambda: loop.quit() if done.is_set() else None)
    timer.start()
    box.show()
    if not done.is_set():
        loop.exec()
    timer.stop()
    box.close()
    box.deleteLater()
    return box


def backup_note(size_bytes: int) -> str:
    size = f"{size_bytes / 1e9:.1f} GB" if size_bytes >= 1e9 else f"{max(1, round(size_bytes / 1e6))} MB"
    return (
        f"正在做今天的自动备份（数据库 {size}），请稍候。\n备份做完后民情簿会自己关闭，请不要关机或拔电源。"
    )


def close_showing_backup(ws: Any) -> bool:
    """Close the workspace at the window's end. When the day's backup is due (a copy of the whole
    database, read back: seconds for a village, a minute or more for a large one on an old disk), a box
    says so while it runs in a worker thread: the window is gone by then, and a screen with nothing on it
    for a minute was taken for a hang, and the laptop switched off. Returns whether the box was shown.
    An error of the close is raised here, as the close itself would."""
    app = QApplication.instance()
    if app is None or ws.engine is None or not ws.is_due_daily_backup():
        ws.close()
        return False
    done, failed = threading.Event(), []

    def close() -> None:
        try:
            ws.close()
        except BaseException as exc:  # raised on this thread below
            failed.append(exc)
        finally:
            done.set()

    try:
        size = ws.db_path.stat().st_size
    except OSError:
        size = 0
    threading.Thread(target=close, name="daily-backup").start()
    _busy_until(done, backup_note(size), None)
    done.wait()
    if failed:
        raise failed[0]
    return True
