"""备份与恢复 in the window: a checked backup on a chosen drive, and a restore that shows what it brings
back, keeps the current database and asks for the password again."""

from __future__ import annotations

from db import backups as files

from app.workspace import Workspace

from ui.context import AppContext
from ui.main_window import MainWindow
from ui.settings import SettingsPage

from tests.conftest import ADMIN_PASSWORD
from tests.sync_support import add_household


def test_backup_to_a_stick_then_restore_from_it(qtbot, village_ws, village_admin, tmp_path):
    add_household(village_ws, "赵一")
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    page = window.open_page("settings")
    assert isinstance(page, SettingsPage) and page.backup_box is not None
    box = page.backup_box
    stick = tmp_path / "stick"
    stick.mkdir()
    task = box.backup_to(stick / "备份.db")
    qtbot.waitUntil(lambda: "已备份到" in box.status.text(), timeout=20_000)
    assert task is not None and files.integrity_problems(stick / "备份.db", village_ws.key) == []
    assert (stick / "备份.db.keys").exists() and not files.cipher.is_plain(stick / "备份.db")
    assert "1 户" in box.status.text()

    add_household(village_ws, "赵二")
    assert box.confirm_and_restore(stick / "备份.db", ask=False)
    assert "已恢复" in box.status.text() and "1 户" in box.status.text()
    assert window.locked  # another database: the password again
    kept = [b for b in files.backups(village_ws.backups_dir) if "before-restore" in b.name]
    assert len(kept) == 1 and files.summarize(kept[0], village_ws.key).counts["household"] == 2
    assert files.summarize(village_ws.db_path, village_ws.key).counts["household"] == 1


def test_a_backup_of_another_station_is_refused(
    qtbot, village_ws, village_admin, town_ws, tmp_path, monkeypatch
):
    from app import backups

    other = backups.backup_to(town_ws, tmp_path / "town.db")
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    box = window.open_page("settings").backup_box
    shown = []
    monkeypatch.setattr("ui.backup_box.QMessageBox.warning", lambda _p, _t, text: shown.append(text))
    before = files.summarize(village_ws.db_path, village_ws.key).station_code
    assert not box.confirm_and_restore(other, ask=False)
    # the town's backup is encrypted with the town's key: it is not even readable here
    assert shown and "不是用本工作站的密钥加密的" in shown[0]
    assert files.summarize(village_ws.db_path, village_ws.key).station_code == before


def test_opening_a_damaged_database_offers_the_newest_backup(qtbot, village_ws, monkeypatch):
    """The start of the window: the password opens the key, the damage is found and said, the newest
    good backup offered, restored on a click, and the workspace opens (the dialogs are answered by a
    timer, as a person would click)."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from ui.app import offer_rescue, open_workspace
    from ui.signin import SignInDialog

    add_household(village_ws, "钱一")
    for old in files.backups(village_ws.backups_dir):
        old.unlink()
    village_ws.close()  # the day's backup, with the household
    data = bytearray(village_ws.db_path.read_bytes())
    data[:16] = b"not a database!!"
    village_ws.db_path.write_bytes(bytes(data))
    seen = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(50, answer)
            return
        seen.append(box.text() + box.informativeText())
        wanted = [b for b in box.buttons() if b.text() in ("从这个备份恢复", "确定", "OK", "&OK")]
        (wanted[0] if wanted else box.buttons()[0]).click()
        if len(seen) < 2:
            QTimer.singleShot(50, answer)

    locked = open_workspace(village_ws.root)
    assert locked is not None and locked.locked  # nothing is read before a password opens the key
    dialog = SignInDialog(locked)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    assert not dialog.try_sign_in() and dialog.damaged is not None and dialog.damaged.key is not None
    exc = dialog.damaged
    locked.close(daily_backup=False)
    QTimer.singleShot(50, answer)
    assert offer_rescue(village_ws.root, exc)
    ws = Workspace.open(village_ws.root, create=False, key=exc.key)
    try:
        assert "已损坏" in seen[0] and "1 户" in seen[0]
        assert "已从备份恢复" in seen[1]
        assert files.summarize(ws.db_path, ws.key).counts["household"] == 1
    finally:
        ws.close(daily_backup=False)


def test_a_backup_refused_says_so_on_the_status_line_too(
    qtbot, village_ws, village_admin, tmp_path, monkeypatch
):
    """A stick that is full or read-only: the box says why, and the line under it no longer says
    “正在备份…” as if it were still at it."""
    from PySide6.QtWidgets import QMessageBox

    said = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *a, **k: said.append(a[2]))
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    box = window.open_page("settings").backup_box
    box.backup_to(tmp_path / "gone" / "备份.db")  # the stick's folder is not there
    qtbot.waitUntil(lambda: bool(said), timeout=20_000)
    assert "不存在" in said[0] and box.status.text() == "备份没有完成"
