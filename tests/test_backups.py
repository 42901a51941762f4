"""Damage is noticed before anything is written, backups are made, checked and rotated, and a restore
puts a backup back without losing the current database, even when the process is killed half way."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import inspect
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy import table as sqlalchemy_table

from db import backups as files
from db import cipher
from db.keyslots import KeySlots
from db.models import Household

from app import backups
from app.errors import UserError
from app.workspace import DatabaseDamaged, Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.sync_support import add_household

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        **kw,
    )


def _households(root: Path) -> int:
    ws = Workspace.open(root, create=False, credentials=ADMIN)
    try:
        with ws.session() as s:
            return s.scalar(select(func.count()).select_from(Household).where(Household.deleted_at.is_(None)))
    finally:
        ws.close(daily_backup=False)


def key_of(root: Path) -> bytes:
    """The workspace key, unwrapped from the administrator's slot (as a sign-in does)."""
    slots = KeySlots.load(root / "keys")
    assert slots is not None
    opened = slots.open_account("admin", ADMIN_PASSWORD)
    assert opened is not None
    return opened[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _table_page(db: Path, table: str) -> int:
    conn = cipher.connect(db, key_of(db.parent))
    try:
        return conn.execute("SELECT rootpage FROM sqlite_master WHERE name = ?", (table,)).fetchone()[0]
    finally:
        conn.close()


def _a_leaf_of(db: Path, table: str) -> int:
    """A leaf page of the table's b-tree (its root is an interior page when it has many rows): the
    first child named in the root's cell pointer array (SQLite file format, section 1.6)."""
    root = _table_page(db, table)
    page = _decrypted_page(db, root)
    assert page[0] == 0x05, "the root is an interior table page"
    first_cell = int.from_bytes(page[12:14], "big")
    return int.from_bytes(page[first_cell : first_cell + 4], "big")


def _decrypted_page(db: Path, number: int) -> bytes:
    """Page ``number`` (not the first) of the encrypted database, decrypted as SQLCipher 4 stores it:
    AES-256-CBC of the page less its reserved tail, whose first 16 bytes are the IV (the key is the
    workspace key itself: it is given raw)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    size, reserve = 16384, 80  # 16-byte IV + 64-byte HMAC-SHA512
    with open(db, "rb") as f:
        f.seek((number - 1) * size)
        raw = f.read(size)
    iv = raw[size - reserve : size - reserve + 16]
    dec = Cipher(algorithms.AES(key_of(db.parent)), modes.CBC(iv)).decryptor()
    return dec.update(raw[: size - reserve]) + dec.finalize()


def _damage_page(db: Path, page: int) -> None:
    size = 16384
    with open(db, "r+b") as f:
        f.seek((page - 1) * size)
        f.write(b"\xa5" * size)


def test_first_close_of_the_day_makes_a_checked_backup_and_only_one(village_ws):
    add_household(village_ws, "王一")
    for old in files.backups(village_ws.backups_dir):
        old.unlink()
    village_ws.close()
    daily = [b for b in files.backups(village_ws.backups_dir) if "-daily" in b.name]
    assert len(daily) == 1 and files.integrity_problems(daily[0], key_of(village_ws.root)) == []
    assert oct(daily[0].stat().st_mode & 0o777) == "0o600"
    again = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    again.close()
    assert [b for b in files.backups(village_ws.backups_dir) if "-daily" in b.name] == daily
    assert not again.last_run_unclean() and not list((village_ws.root / "runs").iterdir())


def test_a_damaged_page_is_refused_at_open_and_the_file_is_not_written(village_ws):
    for n in range(300):
        add_household(village_ws, f"户主{n}", ("成员",))
    for old in files.backups(village_ws.backups_dir):  # the template's, made before the households
        old.unlink()
    village_ws.close()  # the day's backup, with the 300 households
    _damage_page(village_ws.db_path, _table_page(village_ws.db_path, "person"))
    before = _digest(village_ws.db_path)
    with pytest.raises(DatabaseDamaged) as caught:
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert "已损坏" in caught.value.message and "restore" in caught.value.message
    assert "页面已损坏" in caught.value.message and "malformed" not in caught.value.message  # said in Chinese
    assert caught.value.newest_backup is not None and "-daily" in caught.value.newest_backup.name
    assert _digest(village_ws.db_path) == before
    r = _cli("stats", "--data-dir", village_ws.root)
    assert (
        r.returncode == 1 and "Traceback" not in r.stderr and "已损坏" in r.stderr and "restore" in r.stderr
    )
    assert _digest(village_ws.db_path) == before
    # restoring the newest good backup brings every household back; the damaged file is kept aside
    kept = backups.restore(village_ws.root, caught.value.newest_backup, key_of(village_ws.root))
    assert kept is not None and kept.name.endswith(".broken") and _digest(kept) == before
    assert _households(village_ws.root) == 300


def _damage_only_the_full_check_finds(ws) -> None:
    """An index that no longer matches its table: it passes quick_check and fails integrity_check."""
    ws.close()
    conn = cipher.connect(ws.db_path, key_of(ws.root))
    conn.executescript(
        "CREATE TABLE scratch(a, b); CREATE INDEX scratch_a ON scratch(a);"
        "INSERT INTO scratch VALUES (1, 2), (3, 4), (5, 6);"
    )
    conn.execute("PRAGMA writable_schema=ON")
    conn.execute(
        "UPDATE sqlite_master SET sql = 'CREATE INDEX scratch_a ON scratch(b)' WHERE name = 'scratch_a'"
    )
    conn.commit()
    conn.close()
    assert files.integrity_problems(ws.db_path, key_of(ws.root)) == []
    assert files.integrity_problems(ws.db_path, key_of(ws.root), full=True) != []


def _crash(root: Path) -> None:
    """A run that does not close cleanly: the process "dies" with the database open (the system lets go
    of its mark's lock), its mark stays."""
    crashed = Workspace.open(root, create=False, credentials=ADMIN)
    crashed.engine.dispose()
    crashed._run.leave()
    assert crashed.last_run_unclean()


def test_after_a_crash_the_full_check_runs(village_ws):
    """The damage that only integrity_check finds is found when the last run did not close cleanly."""
    _damage_only_the_full_check_finds(village_ws)
    Workspace.open(village_ws.root, create=False, credentials=ADMIN).close(
        daily_backup=False
    )  # a clean run: quick check
    _crash(village_ws.root)
    with pytest.raises(DatabaseDamaged):
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)


def test_after_a_crash_the_window_opens_while_the_full_check_runs_behind(village_ws, monkeypatch):
    """A large village's window does not wait for the full check after a crash (about 30 s at 100 000
    households): it opens, the full check runs in the background, and its verdict stops every write."""
    from db.models import Setting

    from app import workspace

    for n in range(300):
        add_household(village_ws, f"户主{n}", ("成员",))
    _damage_only_the_full_check_finds(village_ws)
    _crash(village_ws.root)
    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)  # this small village counts as large
    for daily in files.backups(village_ws.backups_dir):  # a day's backup is due at the next close
        if "-daily" in daily.name:
            daily.unlink()
    before, kept = _digest(village_ws.db_path), files.backups(village_ws.backups_dir)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    try:
        assert ws._check_done is not None  # deferred, not run before the open returned
        with pytest.raises(DatabaseDamaged), ws.session() as s:
            s.add(Setting(key="test.refused", value="1"))
    finally:
        ws.close()
    assert _digest(village_ws.db_path) == before  # nothing was written to the damaged file
    # closed as it was: no day's backup of the damaged file, and the next start checks it in full again
    assert files.backups(village_ws.backups_dir) == kept
    assert ws.last_run_unclean()
    with pytest.raises(DatabaseDamaged):
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)


def test_a_damaged_header_names_the_backup_to_restore(village_ws):
    village_ws.close()
    data = bytearray(village_ws.db_path.read_bytes())
    data[:16] = b"not a database!!"
    village_ws.db_path.write_bytes(bytes(data))
    with pytest.raises(DatabaseDamaged) as caught:
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert caught.value.newest_backup is not None


def test_backup_to_a_stick_and_restore_from_the_command_line(village_ws, tmp_path):
    add_household(village_ws, "张一")
    village_ws.close()
    stick = tmp_path / "stick"
    stick.mkdir()
    r = _cli("backup", "--data-dir", village_ws.root, "--out", stick / "张家村备份")
    assert r.returncode == 0, r.stderr
    copy = stick / "张家村备份.db"
    assert files.integrity_problems(copy, key_of(village_ws.root)) == [] and "1 户" in r.stdout
    # a name of the cadre's own carries no time: the copy's own (the time it was written) is shown
    os.utime(copy, (copy.stat().st_atime, dt.datetime(2026, 8, 4, 9, 30).timestamp()))
    told = backups.describe(files.summarize(copy, key_of(village_ws.root)))
    assert told.startswith("2026年8月4日 09:30（按文件修改时间）的备份"), told
    assert _cli("backup", "--data-dir", village_ws.root, "--out", copy).returncode == 1  # never overwritten
    again = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    add_household(again, "张二")
    again.close()  # (left open, it is a window the restore must not pull the file from under)
    assert _households(village_ws.root) == 2
    refused = _cli("restore", "--data-dir", village_ws.root, copy, stdin=subprocess.DEVNULL)
    assert refused.returncode == 1 and "--yes" in refused.stderr and _households(village_ws.root) == 2
    r = _cli("restore", "--data-dir", village_ws.root, copy, "--yes")
    assert r.returncode == 0, r.stderr
    assert "1 户" in r.stderr  # the backup's date and counts are shown first
    assert _households(village_ws.root) == 1
    kept = [b for b in files.backups(village_ws.backups_dir) if "before-restore" in b.name]
    assert len(kept) == 1 and files.summarize(kept[0], key_of(village_ws.root)).counts["household"] == 2


def test_a_file_that_is_not_a_backup_is_refused_and_nothing_changes(village_ws, tmp_path):
    village_ws.close()
    bad = tmp_path / "x.db"
    bad.write_bytes(b"SQLite format 3\x00" + b"\x00" * 5000)
    before = _digest(village_ws.db_path)
    with pytest.raises(UserError, match="不是完好的民情簿备份"):
        backups.restore(village_ws.root, bad, key_of(village_ws.root))
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t(x)").connection.commit()
    with pytest.raises(UserError, match="不是完好的民情簿备份"):
        backups.restore(village_ws.root, other, key_of(village_ws.root))
    assert _digest(village_ws.db_path) == before


def test_rotation_keeps_days_weeks_and_months(tmp_path):
    folder = tmp_path / "backups"
    folder.mkdir()
    start = dt.datetime(2026, 12, 4, 18, 0)
    for days in range(0, 400, 1):
        for hour in (9, 17):
            when = start - dt.timedelta(days=days) + dt.timedelta(hours=hour - 18)
            (folder / files.backup_name("daily", when)).write_bytes(b"")
    files.rotate(folder)
    kept = [files.taken_at(p) for p in files.backups(folder)]
    days = {t.date() for t in kept}
    assert {start.date() - dt.timedelta(days=d) for d in range(7)} <= days  # the last 7 days
    assert len({t.isocalendar()[:2] for t in kept}) >= 4 and len({(t.year, t.month) for t in kept}) == 12
    assert len(kept) <= files.KEEP_NEWEST + files.KEEP_DAYS + files.KEEP_WEEKS + files.KEEP_MONTHS
    assert max(kept) == start.replace(hour=17)  # the newest is always kept


def _fill(ws: Workspace, megabytes: int) -> None:
    """Make the database big enough that a backup takes a while (a scratch table of random bytes)."""
    conn = cipher.connect(ws.db_path, key_of(ws.root))
    conn.execute("CREATE TABLE IF NOT EXISTS scratch(b BLOB)")
    conn.executemany(
        "INSERT INTO scratch VALUES (?)", [(os.urandom(100_000),) for _ in range(megabytes * 10)]
    )
    conn.commit()
    conn.close()


def _kill_after(cmd: list, delay: float) -> bool:
    """Run the command, kill it after ``delay`` seconds; True when it was still running then."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "app", *map(str, cmd)],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    time.sleep(delay)
    proc.send_signal(signal.SIGKILL)
    return proc.wait() == -signal.SIGKILL


@pytest.mark.slow
def test_killed_backups_and_restores_lose_nothing(village_ws, tmp_path):
    add_household(village_ws, "李一")
    village_ws.close()
    _fill(village_ws, 60)
    opened = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    good = backups.backup_to(opened, tmp_path / "good.db")
    add_household(opened, "李二")
    opened.close()  # (left open, it is a window the restores below must not pull the file from under)
    started = time.perf_counter()
    assert _cli("backup", "--data-dir", village_ws.root).returncode == 0
    backup_took = time.perf_counter() - started
    killed = 0
    for fraction in (0.2, 0.35, 0.5, 0.65, 0.8, 0.9):
        killed += _kill_after(["backup", "--data-dir", village_ws.root], backup_took * fraction)
        assert _households(village_ws.root) == 2
        for b in files.backups(village_ws.backups_dir):
            assert files.integrity_problems(b, key_of(village_ws.root)) == [], (
                b
            )  # a backup under its name is always whole
    assert killed >= 2  # some runs died half way (how many depends on the machine's load)
    scratch = tmp_path / "scratch"
    shutil.copytree(village_ws.root, scratch)
    started = time.perf_counter()
    assert _cli("restore", "--data-dir", scratch, good, "--yes").returncode == 0
    restore_took = time.perf_counter() - started
    killed = 0
    for fraction in (0.2, 0.35, 0.5, 0.65, 0.8, 0.9):
        killed += _kill_after(
            ["restore", "--data-dir", village_ws.root, good, "--yes"], restore_took * fraction
        )
        assert _households(village_ws.root) in (1, 2)  # the old database or the restored one, whole
    assert killed >= 2
    assert _cli("restore", "--data-dir", village_ws.root, good, "--yes").returncode == 0
    assert _households(village_ws.root) == 1
    newest = files.backups(village_ws.backups_dir)[0]
    assert "before-restore" in newest.name and files.integrity_problems(newest, key_of(village_ws.root)) == []


@contextlib.contextmanager
def _town_and_a_new_bundle(two_villages):
    """The town, the first village's next bundle (a new household) and the town's household count."""
    from app.sync.export import export_bundles

    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        add_household(village, "孙一")
        out = two_villages["first"].parent / "out"
        out.mkdir()
        (made,) = export_bundles(village, out)
        yield town, made.path, files.summarize(town.db_path, town.key).counts["household"]
    finally:
        village.close(daily_backup=False)
        town.close(daily_backup=False)


def test_an_import_first_backs_up_what_the_database_held(two_villages):
    from app.sync.importer import import_bundles

    with _town_and_a_new_bundle(two_villages) as (town, bundle, before):
        for old in files.backups(town.backups_dir):
            old.unlink()
        import_bundles(town, [bundle])
        (kept,) = [b for b in files.backups(town.backups_dir) if "before-import" in b.name]
        assert files.summarize(kept, town.key).counts["household"] == before
        assert files.summarize(town.db_path, town.key).counts["household"] == before + 1


def test_an_import_whose_backup_fails_writes_nothing(two_villages):
    """The backup before an import is written while the first bundle is read and verified; if it
    cannot be written (here: where the backups folder should be there is a file), the import stops
    before its first write, and the next import, with the folder back, imports the bundle."""
    from app.sync.importer import import_bundles

    with _town_and_a_new_bundle(two_villages) as (town, bundle, before):
        shutil.rmtree(town.backups_dir)
        town.backups_dir.write_text("不是文件夹")
        with pytest.raises(OSError):
            import_bundles(town, [bundle])
        assert files.summarize(town.db_path, town.key).counts["household"] == before
        town.backups_dir.unlink()
        assert [b.status for b in import_bundles(town, [bundle]).bundles] == ["imported"]
        assert files.summarize(town.db_path, town.key).counts["household"] == before + 1


def test_bundles_all_imported_before_need_no_backup_and_a_new_one_among_them_does(two_villages):
    """Importing again what was imported (the same stick read twice) writes nothing, so it copies the
    whole town database first for nothing: none is made. One new bundle among them: a backup again."""
    from app.sync.export import export_bundles
    from app.sync.importer import import_bundles

    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        add_household(village, "孙一")
        out = two_villages["first"].parent / "out"
        out.mkdir()
        (first,) = export_bundles(village, out)
        import_bundles(town, [first.path])
        for old in files.backups(town.backups_dir):
            old.unlink()
        again = import_bundles(town, [first.path])
        assert [b.status for b in again.bundles] == ["already_imported"]
        assert not [b for b in files.backups(town.backups_dir) if "before-import" in b.name]
        add_household(village, "孙二")
        (second,) = export_bundles(village, out)
        both = import_bundles(town, [first.path, second.path])
        assert [b.status for b in both.bundles] == ["already_imported", "imported"]
        assert [b for b in files.backups(town.backups_dir) if "before-import" in b.name]
    finally:
        village.close(daily_backup=False)
        town.close(daily_backup=False)


def test_a_large_database_is_checked_in_the_background_and_writes_wait_for_it(village_ws, monkeypatch):
    from db.models import Setting

    from app import workspace

    for n in range(300):
        add_household(village_ws, f"户主{n}", ("成员",))
    village_ws.close(daily_backup=False)
    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)  # this small village counts as large
    sound = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    with sound.session() as s:
        s.add(Setting(key="test.deferred", value="1"))  # the commit waited for the verdict: sound
    assert sound.check_finished()
    sound.close(daily_backup=False)

    _damage_page(village_ws.db_path, _table_page(village_ws.db_path, "person"))
    before = _digest(village_ws.db_path)
    ws = Workspace.open(
        village_ws.root, create=False, defer_check=True, credentials=ADMIN
    )  # opens: the check runs behind
    try:
        with ws.session() as s:  # reading what is sound works meanwhile, and a read commits nothing
            assert s.get(Setting, "test.deferred") is not None
        with pytest.raises(DatabaseDamaged), ws.session() as s:
            s.add(Setting(key="test.refused", value="1"))
        with pytest.raises(DatabaseDamaged):
            ws.wait_for_check()
    finally:
        ws.close(daily_backup=False)
    assert _digest(village_ws.db_path) == before  # nothing was written to the damaged file


def test_the_window_says_when_the_background_check_finds_damage(
    qtbot, village_ws, village_admin, monkeypatch
):
    from app import workspace

    from ui.context import AppContext
    from ui.main_window import MainWindow

    for n in range(300):
        add_household(village_ws, f"户主{n}", ("成员",))
    village_ws.close(daily_backup=False)
    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)
    _damage_page(village_ws.db_path, _table_page(village_ws.db_path, "person"))
    ws = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    told = []
    monkeypatch.setattr(MainWindow, "database_damaged", lambda self, exc: told.append(exc))
    window = MainWindow(AppContext(ws, village_admin))
    qtbot.addWidget(window)
    qtbot.waitUntil(lambda: bool(told), timeout=10_000)
    assert isinstance(told[0], DatabaseDamaged) and not window.integrity_timer.isActive()
    ws.close(daily_backup=False)


def test_what_is_still_readable_goes_into_a_new_workspace(village_ws, tmp_path):
    from app.diary import entries

    from tests.diary_helpers import NOW, add_cadre, entry_input
    from tests.test_diary_derived import assert_derived_matches

    cadre = add_cadre(village_ws)
    for n in range(300):
        hid = add_household(village_ws, f"户主{n}", ("成员甲", "成员乙"))
        if n % 50 == 0:  # a few visits: the diary's derived data is rebuilt as the rows go in
            with village_ws.work(cadre) as w:
                entries.save_entry(w, entry_input(hid, when=NOW - dt.timedelta(days=n)), now=NOW)
    village_ws.close(daily_backup=False)
    _damage_page(village_ws.db_path, _a_leaf_of(village_ws.db_path, "person"))
    assert files.integrity_problems(village_ws.db_path, key_of(village_ws.root))
    before = _digest(village_ws.db_path)
    out = tmp_path / "salvaged"
    r = _cli("salvage", "--data-dir", village_ws.root, "--out", out, "--json")
    assert r.returncode == 0, r.stderr
    import json

    report = json.loads(r.stdout)
    assert report["copied"]["household"] == 300  # the households' pages were not hit
    assert 0 < report["copied"]["person"] < 900 and "person" in report["damaged_tables"]
    assert _digest(village_ws.db_path) == before  # the damaged workspace was only read
    assert files.integrity_problems(out / "minqing.db", key_of(village_ws.root)) == []
    assert _households(out) == 300
    new = Workspace.open(out, create=False, credentials=ADMIN)
    try:
        assert new.require_station().code == files.summarize(out / "minqing.db", new.key).station_code
        with new.session() as s:  # the search index was rebuilt as the rows went in
            assert (
                s.execute(select(func.count()).select_from(sqlalchemy_table("fts_household"))).scalar() == 300
            )
        assert len(assert_derived_matches(new)["household_visit"]) == 300
    finally:
        new.close(daily_backup=False)
    sound = _cli("salvage", "--data-dir", out, "--out", tmp_path / "again")
    assert sound.returncode == 1 and "完好" in sound.stderr


def test_a_rescue_that_reads_nothing_says_so_and_fails(village_ws, tmp_path):
    """The file's first bytes (the key's salt) damaged: every page fails; an empty new workspace is not
    a rescue to report as done."""
    add_household(village_ws, "张一")
    village_ws.close(daily_backup=False)
    data = bytearray(village_ws.db_path.read_bytes())
    data[3] ^= 0xFF
    village_ws.db_path.write_bytes(bytes(data))
    r = _cli("salvage", "--data-dir", village_ws.root, "--out", tmp_path / "rescued")
    assert r.returncode == 1 and "一行也没能读出" in r.stderr and "从备份恢复" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_backup_of_an_unknown_schema_is_refused(village_ws, tmp_path):
    """A file from a stick that claims a schema this program does not know (a newer program's, or a
    forged one) would leave a workspace that no longer opens: refused before anything changes."""
    village_ws.close()
    forged = backups.backup_to(
        Workspace.open(village_ws.root, create=False, credentials=ADMIN), tmp_path / "forged.db"
    )
    conn = cipher.connect(forged, key_of(village_ws.root))
    conn.execute("UPDATE alembic_version SET version_num = '9999_from_the_future'")
    conn.commit()
    conn.close()
    before = _digest(village_ws.db_path)
    with pytest.raises(UserError, match="不是本程序认识的版本"):
        backups.restore(village_ws.root, forged, key_of(village_ws.root))
    assert _digest(village_ws.db_path) == before


def test_a_backup_while_another_program_reads_falls_back_to_the_online_copy_and_is_whole(
    village_ws, tmp_path
):
    """A reader holding the log open keeps the checkpoint from emptying it: the file alone would not
    hold the last commits, so the backup is made page by page through SQLite instead, and holds them."""
    from db import backups as files

    add_household(village_ws, "周一")
    reader = cipher.connect(village_ws.db_path, village_ws.key)
    reader.isolation_level = None
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM household").fetchone()
    add_household(village_ws, "周二")  # committed into the log while the reader holds it
    try:
        wal = village_ws.db_path.with_name(village_ws.db_path.name + "-wal")
        made = files.copy_file(village_ws.db_path, tmp_path / "copy.db", village_ws.key)
        assert wal.stat().st_size > 0  # the log could not be emptied: the fallback was taken
    finally:
        reader.execute("COMMIT")
        reader.close()
    assert files.integrity_problems(made, village_ws.key) == []
    assert files.summarize(made, village_ws.key).counts["household"] == 2


def test_a_copy_that_does_not_read_back_as_written_is_no_backup(village_ws, tmp_path, monkeypatch):
    """A disk that stores other bytes than it was given (one byte flipped in the middle of the copy,
    after the checksum of what was written was taken) is caught by the read-back: no backup under the
    name, no temporary file left, and the database untouched."""
    from db import backups as files

    add_household(village_ws, "周一")
    real = files._copy_summed

    def flipping(source, target):
        summed = real(source, target)
        with open(out.with_name(out.name + ".tmp"), "r+b") as f:  # the copy being written (target: its fd)
            f.seek(os.fstat(target).st_size // 2)
            byte = f.read(1)
            f.seek(-1, 1)
            f.write(bytes([byte[0] ^ 0x40]))
        return summed

    monkeypatch.setattr(files, "_copy_summed", flipping)
    (tmp_path / "stick").mkdir()
    out = tmp_path / "stick" / "copy.db"
    with pytest.raises(files.BackupFailed, match="不一致"):
        files.copy_file(village_ws.db_path, out, village_ws.key)
    assert list(out.parent.iterdir()) == []
    assert files.integrity_problems(village_ws.db_path, village_ws.key) == []
    monkeypatch.setattr(files, "_copy_summed", real)
    made = files.copy_file(village_ws.db_path, out, village_ws.key)
    assert files.summarize(made, village_ws.key).counts["household"] == 1


def test_damage_found_after_the_window_opened_blocks_its_writes_and_says_what_to_do(
    qtbot, village_ws, village_admin, monkeypatch
):
    """The background check (a large database: the window opened before it finished) finds a damaged
    interior page: the window says so in Chinese, naming the backup to restore and how, and a save made
    from the window meanwhile or afterwards is refused; the file is never written."""
    from PySide6.QtWidgets import QMessageBox

    from db.models import Setting

    from app import workspace

    from ui.context import AppContext
    from ui.main_window import MainWindow

    for n in range(300):
        add_household(village_ws, f"户主{n}", ("成员",))
    village_ws.close()  # a clean close makes the day's backup: the good copy to offer
    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)
    _damage_page(village_ws.db_path, _table_page(village_ws.db_path, "person"))
    before = _digest(village_ws.db_path)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    assert not ws.locked  # the window opens at once; the verdict comes later
    shown: list[tuple[str, str, list[str]]] = []

    def record(box: QMessageBox) -> int:
        shown.append((box.windowTitle(), box.text(), [b.text() for b in box.buttons()]))
        return 0

    monkeypatch.setattr(QMessageBox, "exec", record)
    ctx = AppContext(ws, village_admin)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    try:
        qtbot.waitUntil(lambda: bool(shown), timeout=20_000)
        title, text, buttons = shown[0]
        assert title == "数据库已损坏"
        assert "数据库文件已损坏" in text and "没有写入" in text and "可以从备份恢复" in text
        assert "抢救到一个新文件夹" in text and "python -m app salvage" in text
        assert "python -m app restore" in text and "从最新备份恢复" in buttons
        with pytest.raises(DatabaseDamaged), ctx.session() as s:
            s.add(Setting(key="test.after-verdict", value="1"))
    finally:
        ws.close(daily_backup=False)
    assert _digest(village_ws.db_path) == before


def test_closing_waits_for_a_background_check_still_reading(village_ws, monkeypatch):
    """Closed (or restored over) right after opening: the check reading the file has finished first."""
    import threading

    from app import workspace

    for n in range(50):
        add_household(village_ws, f"户主{n}", ("成员",))
    village_ws.close(daily_backup=False)
    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    ws.close(daily_backup=False)
    assert ws.check_finished()
    assert not [t for t in threading.enumerate() if t.name == "quick_check"]


def _held_check(monkeypatch):
    """The background check of a large database, held until the returned event is set."""
    import threading

    from app import workspace

    release = threading.Event()
    real = files.integrity_problems

    def slow(path, key, *args, stop=None, **kwargs):  # a check of a large file: still reading until then
        deadline = time.monotonic() + 30
        while (
            not release.is_set() and not (stop is not None and stop.is_set()) and time.monotonic() < deadline
        ):
            time.sleep(0.005)
        return real(path, key, *args, stop=stop, **kwargs)

    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)  # this small village counts as large
    monkeypatch.setattr(files, "integrity_problems", slow)
    release.real = real  # type: ignore[attr-defined]
    return release


def test_signing_in_does_not_wait_for_the_background_check_and_its_audit_line_follows(
    qtbot, village_ws, monkeypatch
):
    """On a large database (21 s of quick_check on the 100 000-household demo) the sign-in's audit line
    would make the sign-in wait for the verdict: it is held and written once the file is found sound."""
    from db.models import AuditLog

    from ui.signin import SignInDialog

    village_ws.close(daily_backup=False)
    release = _held_check(monkeypatch)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True)
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    started = time.monotonic()
    try:
        assert dialog.try_sign_in(), dialog.error.text()
        assert time.monotonic() - started < 20 and not ws.check_finished()
        with ws.session() as s:
            assert (
                s.scalar(select(func.count()).select_from(AuditLog).where(AuditLog.action == "signin")) == 0
            )
    finally:
        release.set()
    ws.wait_for_check()
    with ws.session() as s:
        (line,) = s.scalars(select(AuditLog).where(AuditLog.action == "signin")).all()
        assert line.username == "admin" and line.at is not None
    ws.close(daily_backup=False)


def test_a_held_audit_line_is_never_written_to_a_damaged_database(qtbot, village_ws, monkeypatch):
    from ui.signin import SignInDialog

    for n in range(300):
        add_household(village_ws, f"户主{n}", ("成员",))
    village_ws.close(daily_backup=False)
    release = _held_check(monkeypatch)
    _damage_page(village_ws.db_path, _table_page(village_ws.db_path, "person"))
    before = _digest(village_ws.db_path)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True)
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    try:
        assert dialog.try_sign_in(), dialog.error.text()
    finally:
        release.set()
    with pytest.raises(DatabaseDamaged):
        ws.wait_for_check()
    ws.close(daily_backup=False)
    assert _digest(village_ws.db_path) == before


def test_a_save_while_the_check_runs_behind_the_window_says_why_it_waits_and_is_not_frozen(
    qtbot, village_ws, village_admin, monkeypatch
):
    """A save in the half-minute after a large village opens (or after a crash, the full check) waits
    for the verdict: a box says why, and the window's event loop keeps turning meanwhile."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QProgressDialog

    from db.models import Setting

    from ui.context import AppContext
    from ui.main_window import MainWindow
    from ui.tasks import CHECK_WAIT_TEXT

    village_ws.close(daily_backup=False)
    release = _held_check(monkeypatch)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    window = MainWindow(AppContext(ws, village_admin))
    qtbot.addWidget(window)
    seen: list[bool] = []

    def meanwhile() -> None:  # runs only if the event loop turns while the save waits
        seen.append(
            any(
                isinstance(w, QProgressDialog) and w.isVisible() and w.labelText() == CHECK_WAIT_TEXT
                for w in QApplication.topLevelWidgets()
            )
        )
        release.set()

    try:
        QTimer.singleShot(300, meanwhile)
        with ws.session() as s:
            s.add(Setting(key="test.saved-after-the-check", value="1"))
        assert seen == [True] and ws.check_finished()
    finally:
        release.set()
        ws.close(daily_backup=False)
    again = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    try:
        with again.session() as s:
            assert s.get(Setting, "test.saved-after-the-check") is not None
    finally:
        again.close(daily_backup=False)


@contextlib.contextmanager
def _a_sign_in_held_for_the_verdict(qtbot, village_ws, monkeypatch):
    """A sign-in during the background check (its audit line held), the check's verdict 0.3 s later:
    yields the workspace and how many sign-in lines have been written since."""
    import threading

    from db.models import AuditLog

    village_ws.close(daily_backup=False)
    release = _held_check(monkeypatch)
    ws = _signed_in_during_a_held_check(qtbot, village_ws.root)
    query = select(func.count()).select_from(AuditLog).where(AuditLog.action == "signin")

    def signins() -> int:
        with ws.session() as s:  # (reads only: it does not wait for the verdict)
            return int(s.scalar(query))

    try:
        before = signins()
        threading.Timer(0.3, release.set).start()
        yield ws, lambda: signins() - before
    finally:
        release.set()
        ws.close(daily_backup=False)


def test_a_save_already_flushed_when_it_waits_for_the_check_writes_the_held_audit_lines_with_its_own(
    qtbot, village_ws, monkeypatch
):
    """After a sign-in during the background check (its audit line held), a save whose rows are already
    written in its transaction (autoflush) waits for the verdict and then commits, the held line with it.
    The held lines went through a second session, which waited on the write lock the save held: after
    the busy timeout (5 s) the save was refused as "database is locked" and rolled back."""
    from db.models import Setting

    with _a_sign_in_held_for_the_verdict(qtbot, village_ws, monkeypatch) as (ws, written):
        started = time.monotonic()
        with ws.session() as s:
            s.add(Setting(key="test.flushed-before-the-verdict", value="1"))
            s.flush()  # the save's row is in its transaction: its connection holds the write lock
        assert time.monotonic() - started < 4 and ws.check_finished()
        with ws.session() as s:
            assert s.get(Setting, "test.flushed-before-the-verdict") is not None
        assert written() == 1  # the held line, once
        with ws.session() as s:  # and not again by a later save
            s.add(Setting(key="test.a-later-save", value="1"))
        assert written() == 1


def test_a_held_audit_line_stays_held_when_the_save_that_carried_it_fails(qtbot, village_ws, monkeypatch):
    """The held lines ride on a save's transaction: when that save fails they are not lost, and the
    next write carries them, once."""
    from db.models import Setting

    with _a_sign_in_held_for_the_verdict(qtbot, village_ws, monkeypatch) as (ws, written):
        with pytest.raises(Exception, match="primary key"), ws.session() as s:
            s.add(Setting(key="test.twice", value="1"))
            s.add(Setting(key=None, value="1"))  # a save that fails at its commit, after the verdict
        assert ws.check_finished()
        with ws.session() as s:
            assert s.get(Setting, "test.twice") is None
        with ws.session() as s:
            s.add(Setting(key="test.next", value="1"))
        assert written() == 1


def test_the_windows_verdict_during_a_waiting_save_leaves_the_held_lines_to_that_save(
    qtbot, village_ws, village_admin, monkeypatch
):
    """The window polls for the check's verdict (every 250 ms) while a save waits for it in a box whose
    event loop turns (every 100 ms): when the poll comes first it must not write the held audit lines
    through a session of its own, which would wait on the write lock the save holds (5 s, then "database
    is locked" inside the timer's slot). The save carries them."""
    from PySide6.QtCore import QTimer

    from db.models import Setting

    from ui.context import AppContext
    from ui.main_window import MainWindow

    with _a_sign_in_held_for_the_verdict(qtbot, village_ws, monkeypatch) as (ws, written):
        window = MainWindow(AppContext(ws, village_admin))
        qtbot.addWidget(window)
        window.integrity_timer.stop()  # its poll comes below, at the moment this test chooses
        polled: list[float] = []

        def verdict_first() -> None:  # inside the waiting box's event loop, the check just finished
            ws._check_done.wait(10)
            started = time.monotonic()
            window._integrity_verdict()
            polled.append(time.monotonic() - started)

        QTimer.singleShot(100, verdict_first)  # (the check is released at 0.3 s)
        with ws.session() as s:
            s.add(Setting(key="test.saved-with-the-verdict-polled", value="1"))
            s.flush()  # the save holds the write lock while it waits
        assert polled and polled[0] < 2, polled
        with ws.session() as s:
            assert s.get(Setting, "test.saved-with-the-verdict-polled") is not None
        assert written() == 1


def test_held_audit_lines_a_save_committed_are_not_written_again_when_its_after_commit_work_fails(
    qtbot, village_ws, monkeypatch
):
    """The save that carried the held lines is committed; work it left for after its commit (a file to
    remove, say) then fails: the lines stay written once, not given back for the next write."""
    from db.models import Setting

    from app.work import AFTER_COMMIT

    def fails() -> None:
        raise OSError("after the commit")

    with _a_sign_in_held_for_the_verdict(qtbot, village_ws, monkeypatch) as (ws, written):
        with pytest.raises(OSError, match="after the commit"), ws.session() as s:
            s.add(Setting(key="test.committed-then-failed", value="1"))
            s.flush()
            s.info.setdefault(AFTER_COMMIT, []).append(fails)
        assert written() == 1
        with ws.session() as s:
            s.add(Setting(key="test.the-next-save", value="1"))
        assert written() == 1


def test_a_check_stopped_from_another_thread_ends_inside_sqlite_without_a_verdict(tmp_path):
    """``stop`` is asked by SQLite's progress handler while the pragma runs: a true answer interrupts it."""
    db = tmp_path / "big.db"
    conn = sqlite3.connect(db)
    conn.execute("CREATE TABLE t(a, b)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", ((n, str(n) * 3) for n in range(50_000)))
    conn.execute("CREATE INDEX t_b ON t(b)")
    conn.commit()
    conn.close()

    class StopSoon:  # set once SQLite has asked three times, i.e. in the middle of the check
        asked = 0

        def is_set(self) -> bool:
            self.asked += 1
            return self.asked > 3

    stop = StopSoon()
    with pytest.raises(files.CheckStopped):
        files.integrity_problems(db, None, full=True, stop=stop)  # type: ignore[arg-type]
    assert stop.asked > 3
    assert files.integrity_problems(db, None, full=True) == []  # unstopped: the verdict


def _sqlite_library():
    """The SQLite (SQLCipher) library the program's driver runs on, for its memory counters."""
    import ctypes

    import sqlcipher3

    lib = ctypes.CDLL(next(Path(sqlcipher3.__path__[0]).glob("_sqlite3*.so")).as_posix())
    lib.sqlite3_memory_used.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.restype = ctypes.c_int64
    lib.sqlite3_memory_highwater.argtypes = [ctypes.c_int]
    return lib


@pytest.mark.skipif(sys.platform != "linux", reason="the driver's library is looked up as a Linux .so")
def test_the_quick_check_at_start_holds_little_memory_while_the_window_works_beside_it(tmp_path):
    """The quick_check runs behind the window for the first half minute of a large village's start: it
    reads each page once, so its cache stays small (SQLCipher's default of 8 000 KiB held 8.9 MB
    through the whole check at 100 000 households, on top of the window's own cache)."""
    db, key = tmp_path / "big.db", os.urandom(32)
    conn = cipher.connect(db, key)
    conn.execute("CREATE TABLE t(a INTEGER PRIMARY KEY, b)")
    conn.execute("CREATE INDEX t_b ON t(b)")
    conn.executemany("INSERT INTO t(b) VALUES (randomblob(3000))", ((),) * 8000)  # 24 MB of pages
    conn.commit()
    conn.close()
    lib = _sqlite_library()
    before = lib.sqlite3_memory_used()
    lib.sqlite3_memory_highwater(1)  # the high-water mark from now
    assert files.integrity_problems(db, key) == []
    held = lib.sqlite3_memory_highwater(0) - before
    assert held < (files.QUICK_CHECK_CACHE_KIB + 1024) * 1024, f"the check held {held / 1048576:.1f} MB"
    lib.sqlite3_memory_highwater(1)
    assert files.integrity_problems(db, key, full=True) == []  # the full check after a crash: its large cache
    assert lib.sqlite3_memory_highwater(0) - before > 8 * 1048576


def _signed_in_during_a_held_check(qtbot, root: Path) -> Workspace:
    from ui.signin import SignInDialog

    ws = Workspace.open(root, create=False, defer_check=True)
    dialog = SignInDialog(ws)
    qtbot.addWidget(dialog)
    dialog.username.setText("admin")
    dialog.password.setText(ADMIN_PASSWORD)
    assert dialog.try_sign_in(), dialog.error.text()
    assert not ws.check_finished()
    return ws


def _signins(root: Path) -> list:
    from db.models import AuditLog

    ws = Workspace.open(root, create=False, credentials=ADMIN)
    try:
        with ws.session() as s:
            return list(
                s.scalars(select(AuditLog.at).where(AuditLog.action == "signin").order_by(AuditLog.at))
            )
    finally:
        ws.close(daily_backup=False)


def test_closing_stops_the_background_check_and_keeps_its_audit_lines_for_the_next_sound_start(
    qtbot, village_ws, monkeypatch
):
    """Closed before the check's verdict (half a minute at 100 000 households): the check is stopped
    instead of waited out; nothing is written without a verdict (no day's backup, no audit line), and
    the sign-in's line, kept sealed, is written by the next start that finds the file sound."""
    from sqlalchemy import inspect

    from db.base import utcnow
    from db.models import AuditLog

    from app.workspace import HELD_AUDIT, HELD_AUDIT_COLUMNS

    village_ws.close(daily_backup=False)
    signins_before = _signins(village_ws.root)
    for daily in files.backups(village_ws.backups_dir):  # a day's backup is due at the next close
        if "-daily" in daily.name:
            daily.unlink()
    kept_backups, before = files.backups(village_ws.backups_dir), _digest(village_ws.db_path)
    release = _held_check(monkeypatch)
    ws = _signed_in_during_a_held_check(qtbot, village_ws.root)
    started = time.monotonic()
    ws.close()
    assert time.monotonic() - started < 10 and not release.is_set()
    assert _digest(village_ws.db_path) == before and files.backups(village_ws.backups_dir) == kept_backups
    assert not ws.last_run_unclean()  # a quick_check's start: closed cleanly all the same
    kept = village_ws.root / HELD_AUDIT
    assert kept.exists() and b"admin" not in kept.read_bytes() and b"signin" not in kept.read_bytes()
    assert oct(kept.stat().st_mode & 0o777) == "0o600"
    _signed_in_during_a_held_check(qtbot, village_ws.root).close()  # again: both lines kept
    monkeypatch.setattr(files, "integrity_problems", release.real)  # the next start's check runs to its end
    reopened_at = utcnow()
    after = _signins(village_ws.root)  # the next start (sound) writes the kept lines
    assert len(after) == len(signins_before) + 2 and not kept.exists()
    held_at = [a for a in after if a not in signins_before]
    assert held_at[0] < held_at[1] < reopened_at  # with the moments of their sign-ins, not of the writing
    # every column of an audit line is kept (and only those: a kept file holding more is refused)
    assert {a.key for a in inspect(AuditLog).column_attrs} - {"id"} == HELD_AUDIT_COLUMNS


def test_a_full_check_stopped_by_closing_is_owed_again(qtbot, village_ws, monkeypatch):
    _crash(village_ws.root)
    release = _held_check(monkeypatch)
    ws = _signed_in_during_a_held_check(qtbot, village_ws.root)
    ws.close()
    assert not release.is_set() and ws.last_run_unclean()  # the next start checks in full


def test_a_kept_audit_file_that_does_not_open_is_set_aside_and_writes_nothing(qtbot, village_ws, monkeypatch):
    from app.workspace import HELD_AUDIT

    village_ws.close(daily_backup=False)
    signins_before = _signins(village_ws.root)
    release = _held_check(monkeypatch)
    _signed_in_during_a_held_check(qtbot, village_ws.root).close()
    monkeypatch.setattr(files, "integrity_problems", release.real)
    kept = village_ws.root / HELD_AUDIT
    data = bytearray(kept.read_bytes())
    data[-1] ^= 1  # a forged or damaged file: its seal does not open
    kept.write_bytes(bytes(data))
    assert len(_signins(village_ws.root)) == len(signins_before)  # nothing of it was written
    assert not kept.exists() and kept.with_name(HELD_AUDIT + ".broken").exists()


def test_a_sign_in_held_while_another_thread_takes_the_held_lines_is_not_lost(qtbot, village_ws, monkeypatch):
    """The index pass (a thread of its own) writes the held audit lines when the verdict comes, while the
    window's thread may hold a new sign-in's line. A line added between the writer's copy of the list
    and its taking the list went into the list it took, and was neither written nor held: lost.
    The writer is stopped right there (a trace on its thread) until the other line is added."""
    import sys
    import threading

    from db.models import AuditLog

    village_ws.close(daily_backup=False)
    release = _held_check(monkeypatch)
    ws = _signed_in_during_a_held_check(qtbot, village_ws.root)  # one line held
    try:
        assert len(ws._held_audit) == 1
        at_take, added = threading.Event(), threading.Event()

        def tracer(frame, event, _arg):
            if frame.f_code.co_name != "_write_held_audit":
                return None
            if event == "line":
                line = inspect.getframeinfo(frame).code_context or [""]
                if "held, had_kept =" in line[0]:  # copied, not yet taken
                    at_take.set()
                    added.wait(1)  # (with the lock the other line waits for this thread instead)
            return tracer

        def writer() -> None:
            sys.settrace(tracer)
            try:
                ws._write_held_audit()
            finally:
                sys.settrace(None)

        def second_sign_in() -> None:
            at_take.wait(5)
            with ws.session() as s:  # only an audit line, the check still running: held
                s.add(AuditLog(action="signin", detail="second"))
            added.set()

        threads = [threading.Thread(target=writer), threading.Thread(target=second_sign_in)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(10)
        assert at_take.is_set() and added.is_set()
        with ws.session() as s:
            written = list(s.scalars(select(AuditLog.detail).where(AuditLog.action == "signin")))
        held = [line.get("detail") for line in ws._held_audit]
        assert "second" in written + held, (written, held)  # written, or still held for the verdict
        assert len(written) + len(held) == 2
    finally:
        release.set()
        ws.close(daily_backup=False)


def test_a_command_run_beside_the_open_window_is_no_crash_and_leaves_the_windows_mark(village_ws):
    """The window open (the fixture), a command opens the same workspace beside it (a scheduled backup):
    the window's mark is a run still going, not a crash, so the command checks quickly and leaves the mark
    alone; a crash of the window afterwards is still seen at the next start (an earlier single mark file
    was taken for a crash, then removed by the command's clean close)."""
    assert not village_ws.last_run_unclean()  # itself still going
    beside = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert not beside._runs_gone  # the quick check
    beside.close(daily_backup=False)
    assert len(list((village_ws.root / "runs").iterdir())) == 1  # the window's mark is still there
    village_ws.engine.dispose()
    village_ws._run.leave()  # the window dies
    after = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert after._runs_gone  # the full check
    after.close(daily_backup=False)  # found sound: the dead run's mark goes with this run's
    assert not list((village_ws.root / "runs").iterdir()) and not after.last_run_unclean()


def test_a_killed_process_leaves_its_mark_and_a_live_one_is_not_taken_for_a_crash(village_ws):
    """Real processes: one that holds the workspace open is not a crash for another; killed (SIGKILL:
    nothing of it runs on), it is, and the next open checks in full."""
    village_ws.close(daily_backup=False)
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from app.workspace import Workspace\n"
            f"ws = Workspace.open({str(village_ws.root)!r}, create=False, credentials={ADMIN!r})\n"
            "print('open', flush=True)\n"
            "time.sleep(120)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        assert not Workspace(village_ws.root).last_run_unclean()  # a run still going
        r = _cli("stats", "--data-dir", village_ws.root)  # a command beside it
        assert r.returncode == 0, r.stderr
        assert len(list((village_ws.root / "runs").iterdir())) == 1  # the holder's mark is left alone
    finally:
        holder.send_signal(signal.SIGKILL)
        holder.wait()
        holder.stdout.close()
    assert Workspace(village_ws.root).last_run_unclean()  # killed: a run gone without closing
    again = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert again._runs_gone
    again.close(daily_backup=False)
    assert not Workspace(village_ws.root).last_run_unclean()


def test_an_earlier_versions_mark_counts_as_a_crash_and_goes_after_the_full_check(village_ws):
    village_ws.close(daily_backup=False)
    legacy = village_ws.root / "minqing.db.open"
    legacy.touch()
    ws = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert ws._runs_gone == [legacy]
    ws.close(daily_backup=False)
    assert not legacy.exists() and not ws.last_run_unclean()


def _run_script(source: str, *args: object) -> dict[str, str]:
    """Run ``source`` in a process of its own (a limit it sets on files is its own); its "KEY value" lines."""
    r = subprocess.run(
        [sys.executable, "-c", source, *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )
    assert r.returncode == 0, r.stderr[-3000:]
    return dict(line.split(" ", 1) for line in r.stdout.splitlines())


_BACKUP_TO_A_FAT32_STICK = """
import resource, sys
from pathlib import Path
from app.backups import backup_to
from app.errors import failure_message
from app.workspace import Workspace

ws = Workspace.open(sys.argv[1], create=False, credentials=("admin", sys.argv[2]))
with ws.engine.connect() as c:
    c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # nothing for the database itself to write
stick = Path(sys.argv[3])
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
# no file may be larger than half the database: as the 4 GB a FAT32 stick takes of a town's 5 GB
resource.setrlimit(resource.RLIMIT_FSIZE, (ws.db_path.stat().st_size // 2, hard))
try:
    backup_to(ws, stick / "town.db")
    print("SAID nothing")
except Exception as exc:
    print("SAID", failure_message(exc))
finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
print("LEFT", sorted(p.name for p in stick.iterdir()))
ws.close(daily_backup=False)
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX's")
def test_a_backup_too_large_for_the_stick_says_so_in_chinese_and_leaves_nothing_on_it(village_ws, tmp_path):
    """备份到 U 盘 onto a FAT32 stick, which takes no file of 4 GB or more (a town's database passes it):
    the system refuses the copy part way (a real refusal: the file-size limit, in a process of its own).
    The user is told why and what to do, in Chinese (it was the crash dialog); nothing is left on the
    stick."""
    stick = tmp_path / "stick"
    stick.mkdir()
    said = _run_script(_BACKUP_TO_A_FAT32_STICK, village_ws.root, ADMIN_PASSWORD, stick)
    assert "FAT32" in said["SAID"] and "exFAT" in said["SAID"], said
    assert said["LEFT"] == "[]"


_CLOSE_ON_A_FULL_DISK = """
import resource, sys
from pathlib import Path
from app.workspace import Workspace

ws = Workspace.open(sys.argv[1], create=False, credentials=("admin", sys.argv[2]))
with ws.engine.connect() as c:
    c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # nothing left for the database itself to write
soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
resource.setrlimit(resource.RLIMIT_FSIZE, (ws.db_path.stat().st_size // 2, hard))  # the disk fills up
try:
    ws.close()  # the day's backup is due
finally:
    resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
print("SAID", ws.backup_failure.replace(chr(10), " "))
print("LEFT", sorted(p.name for p in ws.backups_dir.iterdir()))
print("UNCLEAN", ws.last_run_unclean())
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX's")
def test_a_days_backup_the_disk_will_not_take_does_not_stop_the_close_and_is_said(village_ws):
    """The first close of the day on a full disk (a real refusal: the file-size limit, in a process of its
    own): the close goes on (it raised before, out of the window's last step, and a command's output was
    lost), nothing half-written stays in backups/, the run counts as closed cleanly, and why is kept for
    the window and the command line to say."""
    for old in village_ws.backups_dir.iterdir():
        old.unlink()
    village_ws.close(daily_backup=False)
    said = _run_script(_CLOSE_ON_A_FULL_DISK, village_ws.root, ADMIN_PASSWORD)
    assert (
        said["SAID"].startswith("今天的自动备份没有做成：文件太大") and "数据库本身没有受影响" in said["SAID"]
    )
    assert said["LEFT"] == "[]"  # nothing half-written, no key slots beside a backup that is not there
    assert said["UNCLEAN"] == "False"
    assert _households(village_ws.root) >= 0  # the database opens as it was


_COMMAND_ON_A_DISK_THAT_FILLS_UP = """
import resource, sys
from app import cli
from app.workspace import Workspace

real_close = Workspace.close


def close(self, **kw):  # the disk fills up while the command runs: real refusals from its close on
    if self.engine is not None:
        with self.engine.connect() as c:
            c.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    resource.setrlimit(resource.RLIMIT_FSIZE, (self.db_path.stat().st_size // 2, hard))
    try:
        return real_close(self, **kw)
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))


Workspace.close = close
sys.exit(cli.main(["stats", "--data-dir", sys.argv[1]]))
"""


@pytest.mark.skipif(sys.platform == "win32", reason="RLIMIT_FSIZE is POSIX's")
def test_a_command_whose_closing_backup_fails_still_gives_its_output_and_says_why(village_ws):
    for old in village_ws.backups_dir.iterdir():
        old.unlink()
    village_ws.close(daily_backup=False)
    r = subprocess.run(
        [sys.executable, "-c", _COMMAND_ON_A_DISK_THAT_FILLS_UP, str(village_ws.root)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 0, r.stderr[-3000:]
    assert "张家村（370681101201）" in r.stdout  # the command's own output
    assert "注意：今天的自动备份没有做成：文件太大" in r.stderr and "Traceback" not in r.stderr


def test_the_order_in_a_backups_name_is_read_whatever_its_length(tmp_path):
    """A file put in the folder with a huge order (by hand, or another program): the next backup's order
    is after it and is read back as such (a bounded pattern read a longer number as none: the oldest)."""
    folder = tmp_path / "backups"
    folder.mkdir()
    when = dt.datetime(2026, 12, 1, 8, 0)
    huge = folder / files.backup_name("daily", when, 10**30)
    huge.write_bytes(b"")
    (folder / files.backup_name("daily", when + dt.timedelta(days=1))).write_bytes(b"")  # no order: older
    assert files.written_order(huge) == 10**30 and files.backups(folder)[0] == huge
    nxt = folder / files.backup_name("daily", when - dt.timedelta(days=400), files.written_order(huge) + 1)
    nxt.write_bytes(b"")
    assert files.backups(folder)[0] == nxt
    assert files.written_order(folder / "minqing-20261201-080000-daily-nX.db") == 0


def test_a_database_file_gone_is_restored_from_the_command_line_as_it_says(village_ws, tmp_path):
    """The message names the restore; the restore, given an administrator's password, goes ahead (it
    once stopped on the same message, opening the workspace first)."""
    add_household(village_ws, "张一")
    backups.backup_to(village_ws)
    village_ws.close()
    village_ws.db_path.unlink()
    r = _cli("stats", "--data-dir", village_ws.root)
    assert r.returncode == 1 and "数据库文件不见了" in r.stderr and "python -m app restore" in r.stderr
    newest = files.backups(village_ws.backups_dir)[0]
    r = _cli("restore", "--data-dir", village_ws.root, newest, "--yes")
    assert r.returncode == 0, r.stderr
    assert _households(village_ws.root) == 1


def test_a_stick_that_fills_up_at_the_key_file_keeps_no_half_backup(village_ws, tmp_path):
    """The database's copy fitted, its key slots beside it did not: no backup without them is left (it
    would open with no password), nor any journal of the check; the message says the stick is full."""
    from app.errors import environment_failure

    add_household(village_ws, "张一")
    stick = tmp_path / "stick"
    stick.mkdir()
    (stick / "b.db.keys").symlink_to("/dev/full")  # every write there fails with ENOSPC
    with pytest.raises(OSError) as caught:
        backups.backup_to(village_ws, stick / "b.db")
    failure = environment_failure(caught.value)
    assert failure is not None and "已满" in failure.message
    assert sorted(p.name for p in stick.iterdir()) == []
