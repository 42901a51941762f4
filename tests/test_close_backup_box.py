"""The window's end: the day's backup (a copy of the whole database, read back) runs behind a box that says
so, so that a screen left blank for a minute on an old disk is not switched off (ui.tasks)."""

from __future__ import annotations

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QProgressDialog

from db import backups as files

from ui.tasks import backup_note, close_showing_backup


def _seen_boxes(seen: list[str]) -> None:
    def look() -> None:
        for w in QApplication.topLevelWidgets():
            if isinstance(w, QProgressDialog) and w.isVisible():
                seen.append(w.labelText())
        if not seen:
            QTimer.singleShot(5, look)

    QTimer.singleShot(0, look)


def test_the_days_backup_at_the_close_runs_behind_a_box_that_says_so(qtbot, village_ws):
    from tests.test_backups import _fill

    for old in village_ws.backups_dir.iterdir():
        old.unlink()
    _fill(village_ws, 16)  # a copy that takes a moment, as a village's does
    seen: list[str] = []
    _seen_boxes(seen)
    assert close_showing_backup(village_ws) is True
    assert [b for b in files.backups(village_ws.backups_dir) if "-daily" in b.name]  # made
    assert village_ws.engine is None and not village_ws.last_run_unclean()  # closed cleanly
    assert seen and "正在做今天的自动备份" in seen[0] and "不要关机" in seen[0]


def test_with_the_days_backup_made_the_close_shows_nothing(qtbot, village_ws):
    village_ws.close(daily_backup=True)  # today's backup exists now
    from app.workspace import Workspace

    from tests.conftest import ADMIN

    again = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert close_showing_backup(again) is False and again.engine is None


def test_the_note_says_the_size_and_not_to_switch_off():
    assert "2.8 GB" in backup_note(2_800_000_000) and "不要关机" in backup_note(2_800_000_000)
    assert "3 MB" in backup_note(3_100_000) and "1 MB" in backup_note(10)
