"""A computer's clock set back (a flat board battery: a power cut returns it to the firmware's date) is
said at the start, in the window and on the command line (app/clock.py); a backup made meanwhile is not
rotated away as the oldest. The clock itself cannot be set back in a test: the workspace's last use is
put ahead of it instead (an audit line, as the last sign-in before the power cut wrote), which is the
same thing to the program."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db import backups as files
from db.base import utcnow
from db.models import AuditLog

from app.clock import ACCEPTED, CLOCK_SLACK, accept_clock, clock_behind

from tests.conftest import ADMIN
from tests.test_backups import _cli


def _last_used_at(ws, when: dt.datetime) -> None:
    """The workspace's last use at ``when`` (UTC): an audit line, as a sign-in writes one."""
    with ws.session() as s:
        s.add(AuditLog(action="signin", username="admin", at=when))
        s.commit()


def test_a_clock_behind_the_workspaces_last_use_is_said_with_both_dates_and_what_to_do(village_ws):
    now = utcnow()
    with village_ws.work(None) as w:
        assert clock_behind(w) is None  # the clock is right
        assert clock_behind(w, now_utc=now - CLOCK_SLACK / 2) is None  # put right by some minutes
        behind = clock_behind(w, now_utc=dt.datetime(2010, 1, 1, 12, 0))  # back to the firmware's date
    assert behind is not None and behind.now.year == 2010 and behind.last_seen.year == now.year
    text = behind.message()
    assert "2010年1月1日" in text  # (noon UTC: the same day in every zone)
    assert f"{now.year}年" in text and "日期和时间" in text and "主板电池" in text


def test_the_newest_backup_counts_as_a_use_and_a_person_can_say_the_clock_is_right(village_ws):
    """Once said right (the clock was set ahead by mistake once, and the workspace remembers that future),
    it is kept and audited for that moment; a use later than it is said again."""
    ahead = utcnow() + dt.timedelta(days=3)
    with village_ws.work(None) as w:
        assert clock_behind(w) is None
    # a backup named three days ahead (in local time, as backups are named)
    local_ahead = dt.datetime.now() + dt.timedelta(days=3)
    (village_ws.backups_dir / files.backup_name("daily", local_ahead)).write_bytes(b"")
    with village_ws.work(None) as w:
        behind = clock_behind(w)
        assert behind is not None and abs(behind.last_seen - local_ahead) < dt.timedelta(minutes=1)
        accept_clock(w, behind)
    with village_ws.work(None) as w:
        assert clock_behind(w) is None
        line = w.session.scalars(select(AuditLog).where(AuditLog.action == "clock_accepted")).one()
        assert "早于上次使用" in line.detail
    _last_used_at(village_ws, ahead + dt.timedelta(days=1))  # a use later than the moment said right
    with village_ws.work(None) as w:
        assert clock_behind(w) is not None
        from db.settings import put

        put(w.session, ACCEPTED, "not a time")  # a damaged setting reads as none
        assert clock_behind(w) is not None


def test_a_backup_made_with_the_clock_set_back_is_not_rotated_away_as_the_oldest(village_ws):
    """A year of backups; the clock falls back to 2010; the day's backup is named 2010 and sorts oldest.
    Rotation took it for the oldest and removed it at once: the only copy of the newest work."""
    from tests.test_backups import key_of

    folder = village_ws.backups_dir
    start = dt.datetime(2026, 12, 4, 18, 0)
    for days in range(0, 400, 7):
        (folder / files.backup_name("daily", start - dt.timedelta(days=days))).write_bytes(b"")
    village_ws.close(daily_backup=False)
    made = files.write_backup(
        village_ws.db_path, folder, "daily", key_of(village_ws.root), when=dt.datetime(2010, 1, 1, 8, 0)
    )
    assert made.exists() and made in files.backups(folder)
    assert files.integrity_problems(made, key_of(village_ws.root)) == []


def test_the_window_says_it_once_and_keeps_the_answer(qtbot, village_ws):
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMessageBox

    from app.accounts import authenticate

    from ui.app import say_if_clock_behind
    from ui.context import AppContext

    with village_ws.work(None) as w:
        admin = authenticate(w, *ADMIN)
        w.session.expunge(admin)
    ctx = AppContext(village_ws, admin)
    assert say_if_clock_behind(None, ctx) is None  # nothing to say
    _last_used_at(village_ws, utcnow() + dt.timedelta(days=2))
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(20, answer)
            return
        seen.append(box.windowTitle())
        seen.append(box.text())
        seen.extend(b.text() for b in box.buttons())
        next(b for b in box.buttons() if b.text() == "时间没错，不再提醒").click()

    QTimer.singleShot(0, answer)
    assert say_if_clock_behind(None, ctx) is not None
    assert seen[0] == "电脑时间不对" and "上一次使用民情簿" in seen[1]
    assert "知道了，我去改正时间" in seen
    assert say_if_clock_behind(None, ctx) is None  # the answer is kept


def test_a_command_says_it_on_stderr_and_still_runs(village_ws):
    _last_used_at(village_ws, utcnow() + dt.timedelta(days=2))
    village_ws.close(daily_backup=False)
    r = _cli("stats", "--data-dir", str(village_ws.root))
    assert r.returncode == 0, r.stderr
    assert "注意：电脑的日期和时间可能不对" in r.stderr and "Traceback" not in r.stderr
    assert "注意" not in r.stdout  # stdout stays the command's


@pytest.mark.parametrize("hours", [0, 0.5])
def test_a_clock_right_or_put_right_by_minutes_says_nothing(village_ws, hours):
    _last_used_at(village_ws, utcnow() + dt.timedelta(hours=hours))
    with village_ws.work(None) as w:
        assert clock_behind(w) is None


def test_backups_made_with_the_clock_set_back_count_as_the_newest_for_a_restore_and_for_rotation(
    village_ws, village_admin
):
    """Three days' work with the clock at 2010: each day's backup is named 2010. Listed by their names'
    times they were the oldest: the restore after a damaged page offered the last backup of 2026, without
    those three days, and each day's rotation removed the one before. They are listed in the order they
    were written (the number in their names), whatever their times."""
    from tests.households_helpers import household
    from tests.test_backups import _damage_page, _households, _table_page, key_of

    folder = village_ws.backups_dir
    start = dt.datetime(2026, 12, 4, 18, 0)
    for days in range(0, 400, 7):  # a year of backups, as an older program named them (no order)
        (folder / files.backup_name("daily", start - dt.timedelta(days=days))).write_bytes(b"")
    made = []
    for day in (1, 2, 3):
        household(village_ws, village_admin, f"停电后{day}")
        village_ws.close(daily_backup=False)
        made.append(
            files.write_backup(
                village_ws.db_path,
                folder,
                "daily",
                key_of(village_ws.root),
                when=dt.datetime(2010, 1, day, 17),
            )
        )
        village_ws = type(village_ws).open(village_ws.root, create=False, credentials=ADMIN)
    first = files.written_order(made[0])
    assert first >= 1 and [files.written_order(p) for p in made] == [first, first + 1, first + 2]
    listed = files.backups(folder)
    assert listed[:3] == made[::-1] and all(p.exists() for p in made)  # none rotated away
    assert max(filter(None, map(files.taken_at, listed))) >= start  # (the clock check sees 2026)
    village_ws.close(daily_backup=False)
    _damage_page(village_ws.db_path, _table_page(village_ws.db_path, "person"))
    from app.workspace import DatabaseDamaged

    with pytest.raises(DatabaseDamaged) as caught:
        type(village_ws).open(village_ws.root, create=False, credentials=ADMIN)
    assert caught.value.newest_backup == made[-1]  # the last written, with the three days' work
    from app import backups

    backups.restore(village_ws.root, caught.value.newest_backup, key_of(village_ws.root))
    assert _households(village_ws.root) == 3
