"""备份与恢复 in the window: a checked backup on a chosen drive, and a restore that shows what it brings
back, keeps the current database and asks for the password again."""

from __future__ import annotations

from db import backups as files

from ui.context import AppContext
from ui.main_window import MainWindow
from ui.settings import SettingsPage

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
    assert task is not None and files.integrity_problems(stick / "备份.db") == []
    assert "1 户" in box.status.text()

    add_household(village_ws, "赵二")
    assert box.confirm_and_restore(stick / "备份.db", ask=False)
    assert "已恢复" in box.status.text() and "1 户" in box.status.text()
    assert window.locked  # another database: the password again
    kept = [b for b in files.backups(village_ws.backups_dir) if "before-restore" in b.name]
    assert len(kept) == 1 and files.summarize(kept[0]).counts["household"] == 2
    assert files.summarize(village_ws.db_path).counts["household"] == 1


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
    before = files.summarize(village_ws.db_path).station_code
    assert not box.confirm_and_restore(other, ask=False)
    assert shown and "不是本工作站" in shown[0]
    assert files.summarize(village_ws.db_path).station_code == before
