"""Selftest: the real main window, signed in as the first active administrator, every screen visited.

Reached from ``python -m app selftest`` by name. Reports time-to-window (from process start), each
screen's open time and any error logged meanwhile; ``ok`` only if every screen opened without one.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from pathlib import Path

from PySide6.QtCore import QDeadlineTimer, QEventLoop
from PySide6.QtWidgets import QApplication

from app import STARTED_AT, accounts, logs
from app.errors import UserError
from app.workspace import Workspace

from ui.app import make_application, route_qt_messages
from ui.context import AppContext
from ui.crash import CrashHandler
from ui.pages import PAGES

READY_TIMEOUT_S = 30.0


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


class _ErrorCollector(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(f"{record.name}: {record.getMessage()}")


def _settle(app: QApplication, ms: int = 20) -> None:
    app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, QDeadlineTimer(ms))


SCREEN_SIZE = (1366, 768)  # the smallest screen the program must fit (DESIGN.md)


def run(
    data_dir: Path,
    *,
    install_hooks: bool = True,
    screenshots: Path | None = None,
    credentials: tuple[str, str] | None = None,
) -> dict:
    """``install_hooks=False`` (tests inside pytest) leaves faulthandler and Qt's message handler alone.

    ``screenshots``: save a PNG of the window (at 1366×768) as each screen is visited, named
    ``NN-key.png`` in visiting order, for a person to look at.
    """
    from ui.main_window import MainWindow

    app = make_application()
    ws = Workspace.open(data_dir, create=False, defer_check=True)  # as the window opens it
    if ws.locked:  # the encrypted database opens with the demo's account, or the one given
        from app.demo import DEMO_ADMIN

        given = DEMO_ADMIN if (ws.public_station() or {}).get("demo") is True else credentials
        if given is None:
            raise UserError(
                "数据库已加密：自检需要登录，请加 --user 登录名 --password-env 存放密码的环境变量名"
            )
        ws.unlock(*given)
    logs.setup(ws.logs_dir)
    collector = _ErrorCollector()
    logging.getLogger().addHandler(collector)
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
        if screenshots is not None:
            screenshots.mkdir(parents=True, exist_ok=True)
            window.resize(*SCREEN_SIZE)
        window.show()
        _settle(app)
        time_to_window = seconds_since_process_start()
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
            entry = {
                "key": spec.key,
                "title": spec.title,
                "open_s": round(elapsed, 4),
                "ok": error is None,
                "error": error,
            }
            if screenshots is not None:
                _settle(app, 200)
                shot = screenshots / f"{len(pages) + 1:02d}-{spec.key}.png"
                window.grab().save(str(shot))
                entry["screenshot"] = str(shot)
            pages.append(entry)
        window.close()
        _settle(app)
        return {
            "ok": all(p["ok"] for p in pages) and not collector.messages,
            "time_to_window_s": round(time_to_window, 3),
            "pages": pages,
            "errors": collector.messages,
            "peak_rss_mb": round(peak_rss_mb(), 1) if peak_rss_mb() is not None else None,
            "platform": app.platformName(),
            "data_dir": str(data_dir),
        }
    finally:
        if window is not None:
            window.deleteLater()
        logging.getLogger().removeHandler(collector)
        crash.uninstall()
        ws.close()
