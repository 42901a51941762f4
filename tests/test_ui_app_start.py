"""The start of the program (ui.app.run) in a fresh process: wizard on an empty folder, sign-in, window."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

DRIVER = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QWizard
from ui.app import make_application, run
from ui.main_window import MainWindow
from ui.setup_wizard import SetupWizard
from ui.signin import SignInDialog

app = make_application()
seen = []

def drive():
    w = QApplication.activeModalWidget()
    if isinstance(w, SetupWizard) and "wizard" not in seen:
        seen.append("wizard")
        w.station_page.code.setText("370681101201")
        w.station_page.name.setText("张家村")
        w.next()
        w.admin_page.username.setText("boss")
        w.admin_page.display_name.setText("张书记")
        w.admin_page.password.setText("boss-pass-1")
        w.admin_page.confirm.setText("boss-pass-1")
        w.button(QWizard.WizardButton.CommitButton).click()
        w.recovery_page.again.setText(w.recovery_page.code)
        w.button(QWizard.WizardButton.FinishButton).click()
    elif isinstance(w, SignInDialog):
        seen.append("signin")
        w.username.setText("boss")
        w.password.setText("wrong" if seen.count("signin") == 1 else "boss-pass-1")
        w.try_sign_in()
    else:
        for top in QApplication.topLevelWidgets():
            if isinstance(top, MainWindow) and top.isVisible():
                seen.append(top.user_label.text())
                top.close()
                return
    QTimer.singleShot(50, drive)

QTimer.singleShot(50, drive)
status = run(sys.argv[1])
print(json.dumps({"status": status, "seen": seen}, ensure_ascii=False))
"""


def _env() -> dict:
    import os

    return {**os.environ, "QT_QPA_PLATFORM": "offscreen"}


def _started(driver: str, data: Path) -> dict:
    """ui.app.run on ``data`` in a fresh process, steered by ``driver``; its exit status was 0 and it
    printed what it saw."""
    proc = subprocess.run(
        [sys.executable, "-c", driver, str(data)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=_env(),
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result["status"] == 0
    return result


def test_first_start_runs_the_wizard_then_sign_in_then_opens_the_window(tmp_path):
    data = tmp_path / "new-station"
    result = _started(DRIVER, data)
    assert result["seen"] == ["wizard", "signin", "signin", "当前用户：张书记（boss，管理员）"]
    log = (data / "logs" / "minqing.log").read_text(encoding="utf-8")
    assert "启动" in log and "民情簿退出" in log
    assert not list((data / "logs").glob("crash-*.log"))


HOLDER = r"""
import sys, time
from pathlib import Path
from ui.app import claim_window
lock = claim_window(Path(sys.argv[1]))
print("held" if not isinstance(lock, int) else f"refused {lock}", flush=True)
time.sleep(60)
"""

SECOND = r"""
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from ui.app import make_application, run

app = make_application()
seen = []

def answer():
    w = QApplication.activeModalWidget()
    if isinstance(w, QMessageBox):
        seen.append(w.windowTitle() + "|" + w.text())
        w.accept()
        return
    if w is not None:
        seen.append(type(w).__name__)
        w.close()
    QTimer.singleShot(50, answer)

QTimer.singleShot(50, answer)
status = run(sys.argv[1])
print(json.dumps({"status": status, "seen": seen}, ensure_ascii=False))
"""


def test_a_second_window_on_the_same_workspace_is_refused_and_a_dead_windows_lock_is_taken_over(tmp_path):
    """Double-clicking the icon twice: the second start says the workspace is open in another window and
    ends without opening the database; once that window's process is gone (killed), its lock is taken."""
    from ui.app import WINDOW_LOCK, claim_window

    data = tmp_path / "station"
    data.mkdir()
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(data)], cwd=ROOT, stdout=subprocess.PIPE, text=True, env=_env()
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        assert claim_window(data) == holder.pid  # refused here: the other process has it
        result = _started(SECOND, data)
        assert len(result["seen"]) == 1 and result["seen"][0].startswith(
            "民情簿已经打开|这个工作目录已经在另一个民情簿窗口里打开了"
        )
        assert not (data / "minqing.db").exists()  # nothing opened, nothing made
    finally:
        holder.kill()  # as a power cut or the task manager ends a window
        holder.wait()
        if holder.stdout is not None:
            holder.stdout.close()
    assert (data / WINDOW_LOCK).exists()  # left behind by the killed window
    lock = claim_window(data)
    assert not isinstance(lock, int), lock
    lock.unlock()
