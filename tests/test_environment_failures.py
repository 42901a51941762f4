"""The computer's environment failing (a locked database, a full stick, a damaged file) is said in
Chinese with what to do, on the command line and in the window; it is never a traceback or the crash
dialog."""

from __future__ import annotations

import datetime as dt
import errno
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from db import cipher

from app.errors import EnvironmentFailure, UserError, environment_failure

from tests.conftest import ADMIN
from tests.sync_support import add_household, enroll_village

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)], capture_output=True, text=True, timeout=120, cwd=ROOT
    )


@pytest.mark.parametrize(
    ("exc", "words"),
    [
        (OSError(errno.ENOSPC, "No space left on device", "/media/u/a.mqb"), "已满"),
        (OSError(errno.EROFS, "Read-only file system"), "只读"),
        (OSError(errno.EIO, "Input/output error"), "U 盘可能被拔出"),
        (OSError(errno.EFBIG, "File too large"), "FAT32"),
        (OSError(errno.ENAMETOOLONG, "File name too long"), "文件名或路径太长"),
        (PermissionError(errno.EACCES, "Permission denied", "案件.pdf"), "正在别的程序里打开"),
        (OperationalError("INSERT …", {}, sqlite3.OperationalError("database is locked")), "另一个程序"),
        (OperationalError("INSERT …", {}, sqlite3.OperationalError("database or disk is full")), "磁盘已满"),
        (sqlite3.DatabaseError("file is not a database"), "已损坏"),
    ],
)
def test_environment_failures_are_recognised_with_what_to_do(exc, words):
    failure = environment_failure(exc)
    assert isinstance(failure, EnvironmentFailure) and isinstance(failure, UserError)
    assert words in failure.message


def test_a_bug_is_not_taken_for_an_environment_failure():
    for exc in (
        KeyError("x"),
        TypeError("y"),
        OSError(errno.ENOENT, "missing"),
        ValueError("database is locked"),
    ):
        assert environment_failure(exc) is None


def test_a_full_stick_is_said_in_chinese_and_leaves_no_half_file(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    add_household(village_ws, "张建国")
    stick = tmp_path / "stick"
    stick.mkdir()
    name = f"{village_ws.require_station().code}-up-{dt.date.today():%Y%m%d}-0001.mqb"
    (stick / f"{name}.tmp").symlink_to("/dev/full")  # every write there fails with ENOSPC
    village_ws.close()
    r = _cli("bundle", "export", "--data-dir", village_ws.root, "--out", stick)
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr, r.stderr
    assert "已满" in r.stderr
    assert not (stick / name).exists() and not (stick / f"{name}.tmp").exists()


def test_a_locked_database_is_said_in_chinese_on_the_command_line(village_ws, tmp_path):
    import openpyxl

    book = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["组", "户主姓名", "姓名", "与户主关系"])
    wb.active.append(["一组", "张三", "张三", "户主"])
    wb.save(book)
    key = village_ws.key
    village_ws.close()
    blocker = cipher.connect(village_ws.db_path, key)
    blocker.execute("BEGIN IMMEDIATE")
    try:
        r = _cli("households", "import", "--data-dir", village_ws.root, book)
    finally:
        blocker.rollback()
        blocker.close()
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr, r.stderr
    assert "另一个程序使用" in r.stderr


def test_a_damaged_database_file_is_said_in_chinese(village_ws):
    village_ws.close()
    for suffix in ("-wal", "-shm"):
        village_ws.db_path.with_name(village_ws.db_path.name + suffix).unlink(missing_ok=True)
    data = bytearray(village_ws.db_path.read_bytes())
    data[:16] = b"not a database!!"
    village_ws.db_path.write_bytes(bytes(data))
    r = _cli("stats", "--data-dir", village_ws.root)
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr, r.stderr
    assert "已损坏" in r.stderr and "备份" in r.stderr


@pytest.mark.parametrize(
    ("err", "words"),
    [
        (errno.ENOSPC, "已满"),
        (errno.ENOENT, "不存在"),
        (errno.EISDIR, "文件夹，不是文件"),
        (errno.EBUSY, "其他程序使用"),
        (errno.ELOOP, f"错误代码 {errno.ELOOP}"),  # one with no words of its own: its number, in Chinese
    ],
)
def test_an_os_error_is_said_in_chinese(err, words):
    from app.errors import os_error_text

    text = os_error_text(OSError(err, "English words from the system"))
    assert words in text and "English" not in text


def test_a_folder_given_as_a_card_receipt_or_bundle_is_said_in_chinese(village_ws, tmp_path):
    """The system's own words for a folder opened as a file are English: the messages say it in Chinese."""
    from app.sync import bundle, receipts, station_cards
    from app.sync.bundle import BundleRejected

    folder = tmp_path / "像文件的文件夹.mqc"
    folder.mkdir()
    for read in (station_cards.read_card, lambda p: receipts.read_receipt(village_ws, p)):
        with pytest.raises(UserError) as caught:
            read(folder)
        assert "这是一个文件夹，不是文件" in caught.value.message and "directory" not in caught.value.message
    with pytest.raises(BundleRejected) as rejected:
        bundle.read_file(folder)
    assert "这是一个文件夹，不是文件" in rejected.value.reason


@pytest.mark.parametrize("command", ["households", "cases", "diary"])
def test_an_export_to_a_name_too_long_is_said_in_chinese_and_leaves_nothing(village_ws, tmp_path, command):
    """A name longer than the disk takes (or, on Windows, a path past 260 characters), typed in the save
    dialog: it was an English traceback, then the message with openpyxl's own English lines after it."""
    village_ws.close(daily_backup=False)
    target = tmp_path / ("台账" * 90 + ".xlsx")  # 180 characters, 540 bytes in UTF-8: past 255
    r = _cli(command, "export", target, "--data-dir", village_ws.root)
    assert r.returncode == 1
    assert r.stderr.strip().startswith("错误：文件名或路径太长") and "Traceback" not in r.stderr
    assert "Exception ignored" not in r.stderr and "I/O operation" not in r.stderr
    assert not [p for p in tmp_path.iterdir() if p.is_file()]  # no half-written workbook beside it


@pytest.mark.parametrize(
    "command",
    [
        ("households", "cards", "{gone}/联系卡.pdf"),
        ("households", "import", "{roster}", "--errors", "{gone}/错误行.xlsx"),
        ("backup", "--out", "{gone}/备份.db"),
    ],
)
def test_a_file_written_into_a_folder_that_is_not_there_is_said_in_chinese(
    village_ws, village_admin, tmp_path, command
):
    """A folder typed wrong, or a stick pulled out while the file was written: the contact cards and the
    import's error rows were an English traceback (FileNotFoundError), the import's rows undone."""
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.append(["户主姓名", "姓名", "与户主关系", "身份证号", "组"])
    wb.active.append(["王大", "王大", "户主", "123", "一组"])  # a bad ID: an error row to write
    wb.save(tmp_path / "名册.xlsx")
    from db import vocab

    from app.households import cadres

    hid = add_household(village_ws, "李一")  # a card to print: a household with its contact cadre
    with village_ws.work(village_admin) as w:
        cadres.assign_cadre(w, hid, vocab.CONTACT_CADRE, village_admin.id, on=dt.date(2026, 1, 1))
    village_ws.close(daily_backup=False)
    gone = tmp_path / "拔出的U盘"
    args = [a.format(gone=gone, roster=tmp_path / "名册.xlsx") for a in command]
    r = _cli(*args, "--data-dir", village_ws.root)
    assert r.returncode == 1 and "Traceback" not in r.stderr
    assert r.stderr.strip().splitlines()[-1].startswith("错误：") and "拔出的U盘" in r.stderr, r.stderr
    assert not gone.exists()


def test_a_backup_to_a_folder_goes_into_it_with_its_own_name(village_ws, tmp_path):
    """ "backup --out E:\\" wrote E:.db beside the stick's folder (the folder's name and ".db")."""
    stick = tmp_path / "U盘"
    stick.mkdir()
    village_ws.close(daily_backup=False)
    r = _cli("backup", "--out", stick, "--data-dir", village_ws.root)
    assert r.returncode == 0, r.stderr
    (made,) = stick.glob("*.db")
    assert made.name.startswith("minqing-") and not (tmp_path / "U盘.db").exists()


def test_a_file_given_as_the_workspace_folder_is_said_in_chinese(tmp_path):
    """--data-dir naming a file (a workbook picked by mistake), or a folder under one: FileExistsError."""
    picked = tmp_path / "名册.xlsx"
    picked.write_bytes(b"PK\x03\x04")
    for args, words in (
        (("stats", "--data-dir", picked), "是一个文件，不是工作目录"),
        (
            ("init", "village", "--data-dir", picked / "ws", "--code", "370681101299", "--name", "测试村"),
            "有一段是文件",
        ),
    ):
        r = _cli(*args)
        assert r.returncode == 1 and "Traceback" not in r.stderr and words in r.stderr, r.stderr
    assert picked.read_bytes() == b"PK\x03\x04"


def test_a_picture_taken_for_a_receipt_or_a_card_is_said_to_be_another_file():
    """Any bytes counted for brackets: a picture's said "回执的嵌套层数超过 8 层" (a random file's brackets)."""
    from app.sync import gate

    picture = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40  # brackets, nested deep, among the bytes
    with pytest.raises(gate.ReceiptInvalid) as caught:
        gate.load_receipt(picture)
    assert "不是民情簿的回执文件" in caught.value.reason and "嵌套" not in caught.value.reason
    with pytest.raises(gate.ReceiptInvalid, match="嵌套层数超过"):  # a deep document of ours still is
        gate.load_receipt(b"[" * 100 + b"]" * 100)


@pytest.mark.parametrize(
    ("winerror", "err", "words"),
    [
        (123, errno.EINVAL, "不允许的字符"),  # 台账?.xlsx typed on the command line
        (21, errno.EINVAL, "没有准备好"),  # a card reader with no card
        (1117, errno.EIO, "U 盘可能被拔出"),
        (53, errno.ENOENT, "网络"),
    ],
)
def test_what_windows_says_of_a_name_a_stick_or_a_network_is_said_in_chinese(winerror, err, words):
    """Windows gives these as errno EINVAL (a bug's errno elsewhere) or EIO: only its own number tells
    them apart. (OSError takes the number on Windows only; set here as Windows sets it.)"""
    exc = OSError(err, "English words from the system", "E:\\台账?.xlsx")
    exc.winerror = winerror
    failure = environment_failure(exc)
    assert failure is not None and words in failure.message and "English" not in failure.message
    assert environment_failure(OSError(errno.EINVAL, "Invalid argument")) is None  # without it: a bug


def _full_disk_for_the_check(ws, monkeypatch) -> None:
    """The database's shared-memory file made unwritable as on a full disk (a link to /dev/full: every
    write there fails, so SQLite cannot read the file at all), and the disk counted as full: the
    threshold above this folder's free space, as DEFER_CHECK_BYTES = 0 counts a small village as large."""
    import shutil

    from db import backups

    ws.close()
    for suffix in ("-wal", "-shm"):
        ws.db_path.with_name(ws.db_path.name + suffix).unlink(missing_ok=True)
    ws.db_path.with_name(ws.db_path.name + "-shm").symlink_to("/dev/full")
    monkeypatch.setattr(backups, "DISK_FULL_BYTES", shutil.disk_usage(ws.root).free + (1 << 30))


def test_a_full_disk_is_not_taken_for_a_damaged_database(village_ws, monkeypatch):
    """The check SQLite could not run on a full disk said "数据库文件已损坏" and offered an older
    backup in its place (what came since would have been lost): now the disk is said to be full."""
    from app.workspace import DatabaseDamaged, Workspace

    before = village_ws.db_path.read_bytes()
    _full_disk_for_the_check(village_ws, monkeypatch)
    with pytest.raises(EnvironmentFailure) as caught:
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    assert not isinstance(caught.value, DatabaseDamaged)
    assert "磁盘已经满了" in caught.value.message and str(village_ws.root) in caught.value.message
    assert "损坏" not in caught.value.message.replace("不会损坏", "")
    assert village_ws.db_path.read_bytes() == before  # nothing written
    # the same failure with room to spare on the disk (a bad sector) is still a problem of the file
    from db import backups

    monkeypatch.setattr(backups, "DISK_FULL_BYTES", 0)
    with pytest.raises(DatabaseDamaged):
        Workspace.open(village_ws.root, create=False, credentials=ADMIN)


def test_a_full_disk_at_the_sign_in_is_said_whole_in_the_box(village_ws, monkeypatch, qtbot):
    """In the window the check runs when the password opens the database: the box says the disk is full,
    in lines that all show (the box grows to them), and nothing is called damaged."""
    from app.workspace import Workspace

    from ui.signin import SignInDialog

    _full_disk_for_the_check(village_ws, monkeypatch)
    ws = Workspace.open(village_ws.root, create=False, defer_check=True)
    try:
        box = SignInDialog(ws)
        qtbot.addWidget(box)
        box.show()
        qtbot.waitExposed(box)
        box.username.setText(ADMIN[0])
        box.password.setText(ADMIN[1])
        assert not box.try_sign_in()
        assert box.damaged is None and "磁盘已经满了" in box.error.text()
        layout = box.layout()
        assert box.height() >= layout.totalHeightForWidth(box.width())  # every line of it shows
        assert box.error.geometry().bottom() <= box.buttons.geometry().top()
    finally:
        ws.close(daily_backup=False)


def test_a_disk_full_during_the_check_behind_the_window_refuses_writes_and_calls_nothing_damaged(
    village_ws, monkeypatch
):
    """A large database is checked behind the window. If that check cannot run for want of room (the
    disk filled meanwhile: the error is raised where db.backups raises it for a real full disk, as
    the moment cannot be arranged in a test), every write is refused saying the disk is full, nothing is
    written, nothing is called damaged, and the file is closed unverified: no day's backup of it."""
    from db import backups
    from db.models import Setting

    from app import workspace
    from app.workspace import DatabaseDamaged, Workspace

    def disk_full(path, key, **_kwargs):
        raise OSError(errno.ENOSPC, "No space left on device", str(path.parent))

    village_ws.close()
    monkeypatch.setattr(workspace, "DEFER_CHECK_BYTES", 0)  # this small village counts as large
    monkeypatch.setattr(backups, "integrity_problems", disk_full)
    daily = [p for p in village_ws.backups_dir.glob("*") if "-daily" in p.name]
    for p in daily:
        p.unlink()
    before = village_ws.db_path.read_bytes()
    ws = Workspace.open(village_ws.root, create=False, defer_check=True, credentials=ADMIN)
    try:
        assert ws._check_done is not None  # the check runs behind the window
        with pytest.raises(EnvironmentFailure) as caught, ws.session() as s:
            s.add(Setting(key="test.refused", value="1"))
        assert not isinstance(caught.value, DatabaseDamaged)
        assert "磁盘已经满了" in caught.value.message and str(village_ws.root) in caught.value.message
    finally:
        ws.close()
    assert village_ws.db_path.read_bytes() == before  # nothing written
    assert not [p for p in village_ws.backups_dir.glob("*") if "-daily" in p.name]  # closed unverified


@pytest.mark.parametrize("err", [errno.EROFS, errno.ENOSPC])
def test_a_workspace_on_a_read_only_or_full_disk_says_what_to_do_with_the_workspace(err):
    from app.errors import workspace_unwritable

    failure = workspace_unwritable("D:/民情簿", OSError(err, "x", "D:/民情簿/logs"))
    assert failure is not None and "D:/民情簿" in failure.message
    assert (
        ("写保护开关" in failure.message and "复制" in failure.message)
        if err == errno.EROFS
        else "腾出" in failure.message
    )
    assert workspace_unwritable("D:/民情簿", OSError(errno.ENOENT, "x")) is None  # not the environment's


def test_a_workspace_on_a_read_only_medium_is_said_in_chinese(village_ws, tmp_path):
    """A stick with its write-protect switch on, or a laptop disk the system turned read-only after
    errors: every command gave a traceback (the log folder could not be set private). A real read-only
    file system is mounted for this (root only: a user who may not mount has nothing to test it on)."""
    import shutil

    mount_point = tmp_path / "ro"
    mount_point.mkdir()
    made = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount_point)], capture_output=True
    )
    if made.returncode:
        pytest.skip(f"this user cannot mount a file system: {made.stderr!r}")
    try:
        village_ws.close()
        shutil.copytree(village_ws.root, mount_point / "ws")
        subprocess.run(["mount", "-o", "remount,ro", str(mount_point)], check=True)
        for args in (
            ("stats",),
            ("backup", "--out", tmp_path / "备份.db"),
            ("households", "export", tmp_path / "户.xlsx"),
        ):
            r = _cli(*args, "--data-dir", mount_point / "ws")
            assert r.returncode == 1 and "Traceback" not in r.stderr, r.stderr
            assert "只读" in r.stderr and "写保护开关" in r.stderr, r.stderr
        assert not (tmp_path / "户.xlsx").exists()
    finally:
        subprocess.run(["umount", str(mount_point)], check=False)


@pytest.mark.parametrize("name", ["工作站%41", "100%25村", "民情簿#2 副本"])
def test_a_workspace_folder_named_with_percent_or_hash_keeps_its_database_in_it(tmp_path, name):
    """The database was opened through a URL ("sqlite:///…"): a folder named 工作站%41 (a name a browser
    gives a download) had its escape read, and the database went to 工作站A beside it, outside the
    private folder; on Linux a "?" cut the path. The path is now given as it is."""
    from app.stations import init_station
    from app.workspace import Workspace

    folder = tmp_path / name
    ws = Workspace.open(folder)
    init_station(ws, kind="village", code="370681101299", name="测试村")
    ws.close()
    assert (folder / "minqing.db").stat().st_size > 0
    assert sorted(p.name for p in tmp_path.iterdir()) == [name]  # nothing written beside it
    again = Workspace.open(folder, create=False, key=ws.key)
    try:
        assert again.require_station().name == "测试村"
    finally:
        again.close()


def test_a_stick_pulled_out_while_a_bundle_receipt_or_backup_is_written_is_said_in_chinese(
    village_ws, tmp_path, monkeypatch
):
    """The folder checked first, then gone while the file is written (a stick pulled out): bundles and
    receipts were a FileNotFoundError traceback, a backup's key slots beside it one too (and the backup
    stayed, unopenable without them)."""
    from app import backups
    from app.sync import bundle

    with pytest.raises(EnvironmentFailure, match="U 盘可能被拔出"):
        bundle.write_atomically(tmp_path / "gone" / "x.mqb", b"data", lambda _b: None)
    stick = tmp_path / "stick"
    stick.mkdir()

    def pulled(*_a, **_k):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(backups.backups, "keep_slots", pulled)
    with pytest.raises(EnvironmentFailure, match="U 盘可能被拔出"):
        backups.backup_to(village_ws, stick / "备份.db")
    assert list(stick.iterdir()) == []  # no backup without its key slots


def test_a_full_disk_at_the_import_says_it_is_this_computers_not_a_stick(
    town_ws, village_ws, tmp_path, monkeypatch
):
    from app.sync import importer
    from app.sync.export import export_bundles

    from tests.sync_support import content_dump

    enroll_village(village_ws, town_ws, tmp_path)
    add_household(village_ws, "李一")
    stick = tmp_path / "stick"
    stick.mkdir()
    (up,) = export_bundles(village_ws, stick)
    before = content_dump(town_ws)

    def full(*_a, **_k):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(importer, "write_backup", full)
    with pytest.raises(EnvironmentFailure) as said:
        importer.import_bundles(town_ws, [up.path])
    assert "这台电脑存放民情簿数据的磁盘" in said.value.message and "U 盘" not in said.value.message
    assert content_dump(town_ws) == before
