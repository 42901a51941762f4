"""A workspace folder: the station's database, keys, logs, backups and attachments.

The database is encrypted (docs/security.md). A workspace opens *locked* when its key is wrapped by
passwords: :meth:`Workspace.unlock` with an account's password (or :meth:`unlock_with_recovery` with the
recovery code) unwraps the key, and only then is the database checked, migrated and opened. A new
workspace, and one whose station is not yet set up, holds its key in a provisional slot and opens at
once. A plain database from before encryption is converted when it is first opened (:meth:`_encrypt`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from db import backups, cipher, keyslots, run_marks
from db.files import create_private_file, private_dir, private_file
from db.keyslots import KeySlots, KeySlotsDamaged

from app.errors import EnvironmentFailure, UserError, environment_failure, workspace_unwritable
from app.paths import network_share

if TYPE_CHECKING:
    from sqlalchemy import Connection, Engine
    from sqlalchemy.orm import Session, sessionmaker

    from db.models import Station, User
    from db.stamping import StampContext

    from app.work import Work

# A locked workspace (the sign-in box) needs none of SQLAlchemy, the models or the services: they load
# when the database opens (:func:`database_layer`), so the first window shows without them, and the
# window loads them while a password is typed (docs/architecture.md, "What loads when").

log = logging.getLogger("minqing.workspace")

DB_NAME = "minqing.db"
# present while the files of a converted workspace (backups, attachments, drafts) are being encrypted
SEALING_MARKER = "minqing.db.sealing"
# Audit lines held for a background check's verdict when the program closed before it (sealed with the
# database key; written at the next start whose check finds the file sound): Workspace.close.
HELD_AUDIT = "audit-held.sealed"
MAX_HELD_AUDIT_LINES = 1000
HELD_AUDIT_COLUMNS = frozenset(
    {"at", "user_id", "username", "action", "table_name", "record_id", "fields", "detail"}
)
PUBLIC_STATION = "station.json"  # keys/: what the sign-in box and the card export show while locked
SIGNIN_GUARD = "signin.json"  # keys/: failed unlocks per account, and their audit lines to come
SIGNIN_LOCK = "signin.lock"  # held while a try is read, checked and counted (shared_tries)
# Failed sign-ins: after this many in a row for one account, one try every LOCK_SECONDS (the unlock
# here, and app.accounts.authenticate once the database is open).
FREE_TRIES = 5
LOCK_SECONDS = 30


def throttled(wait: float) -> UserError:
    """The refusal of a try while an account waits ``wait`` seconds. A wait longer than the lock is a
    clock set back past the last wrong password (a flat board battery: app/clock.py): said so, rather
    than "try again in 504 576 000 seconds"."""
    if wait > LOCK_SECONDS + 1:
        return UserError(
            "电脑现在的时间比上一次输错密码时还早，电脑的时钟可能被调回了（主板电池没电时，断电后时钟会回到出厂日期）："
            "请先在电脑的“日期和时间”设置里改正，再登录"
        )
    return UserError(f"密码错误次数过多，为防止被人猜密码，请 {int(wait) + 1} 秒后再试")


# A database this large is checked in the background when the window opens (quick_check reads every
# page: about 1.8 s for the 2 GB of a 100 000-household village); commits wait for the verdict.
DEFER_CHECK_BYTES = 256 * 1024 * 1024


class DatabaseDamaged(EnvironmentFailure):
    """The database file fails SQLite's check. Nothing was written to it; ``newest_backup`` is the
    backup to restore (None when there is none)."""

    def __init__(
        self, root: Path, problems: list[str], newest_backup: Path | None, key: bytes | None = None
    ) -> None:
        self.problems = problems
        self.newest_backup = newest_backup
        self.key = key  # the workspace key the restore or the rescue reads with
        found = _in_chinese(problems)
        rescue = f"python -m app salvage --data-dir {root} --out 新的空文件夹"
        if newest_backup is not None:
            when = backups.taken_at(newest_backup)
            advice = (
                f"可以从备份恢复：最新的备份是 {backups.when_text(when)}（{newest_backup.name}），"
                "之后录入的会丢失。在窗口中按提示恢复，或在命令行运行 "
                f"python -m app restore --data-dir {root} {newest_backup}；"
                f"也可以先把还能读出的内容抢救到一个新文件夹（{rescue}），核对后再决定用哪一份"
            )
        else:
            advice = (
                f"工作目录里没有备份：请先把整个工作目录复制一份保存，再把还能读出的内容抢救到一个新文件夹"
                f"（在窗口中按提示操作，或运行 {rescue}）"
            )
        super().__init__(f"数据库文件已损坏（{found}），民情簿没有写入它。{advice}")
        log.error("数据库检查未通过：%s", "; ".join(problems[:5]))


class DatabaseMissing(DatabaseDamaged):
    """The key slots are there and the database file is not (deleted, or moved away by hand): a backup
    can be put in its place as for a damaged one (``restore`` takes it, its key from a password)."""

    def __init__(self, root: Path, newest: list[Path], key: bytes | None) -> None:
        self.problems, self.newest_backup, self.key = ["missing"], (newest[0] if newest else None), key
        if self.newest_backup is not None:
            advice = (
                f"可以从备份恢复：最新的备份是 {backups.when_text(backups.taken_at(self.newest_backup))}"
                f"（{self.newest_backup.name}）。在命令行运行 python -m app restore --data-dir {root} "
                f"{self.newest_backup}（用管理员账号登录）"
            )
        else:
            advice = "工作目录里也没有备份：如果有备份在 U 盘上，请用 python -m app restore 从那里恢复"
        EnvironmentFailure.__init__(self, f"工作目录 {root} 里的数据库文件不见了（密钥还在）。{advice}")
        log.error("数据库文件不见了：%s", root)


def _in_chinese(problems: list[str]) -> str:
    """What SQLite's check found, said in Chinese (the English lines go to the log)."""
    text = " ".join(problems).lower()
    if "not a database" in text:
        return "文件头已损坏，不是有效的数据库文件"
    if "malformed" in text or "corrupt" in text or "hmac verification failed" in text:
        return "文件中有页面已损坏"
    if "missing from index" in text or "wrong # of entries in index" in text:
        return "索引与数据不一致"
    return f"检查发现 {len(problems)} 处问题"


class WorkspaceLocked(UserError):
    """The database is encrypted and nobody has unlocked it yet."""

    def __init__(self) -> None:
        super().__init__("请先登录：数据库已加密，需要账号和密码才能打开")


class Workspace:
    """Open with :meth:`open`; one per process and data dir. Sessions come from :meth:`session`."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.db_path = self.root / DB_NAME
        self.keys_dir = self.root / "keys"
        self.logs_dir = self.root / "logs"
        self.backups_dir = self.root / "backups"
        self.attachments_dir = self.root / "attachments"
        self.drafts_dir = self.root / "drafts"
        self.engine: Engine | None = None
        self.key: bytes | None = None
        self._sessionmaker: sessionmaker[Session] | None = None
        self._station: Station | None = None
        self._check_done: threading.Event | None = None  # set when a background check has finished
        self._check_problems: list[str] = []
        self._check_failure: EnvironmentFailure | None = None  # the background check could not run
        self._check_stop = threading.Event()  # set by close: the background check ends without a verdict
        self._check_stopped = False  # ... and it did
        self._check_full = False  # the background check is the full integrity_check (after a crash)
        # this run's mark while the database is open, and the marks of runs that ended without closing it,
        # found at the open: they make the check the full one (db.run_marks)
        self._run = run_marks.RunMark(self.root)
        self._runs_gone: list[Path] = []
        # why the day's backup at the last close could not be made (a full disk): said by the window and
        # the command line after the close, which itself went on (the database is not touched by it)
        self.backup_failure: str | None = None
        # the network place the workspace is on (app.paths.network_share): a workspace made there before is
        # opened, and the window and the command line say to move it (see on_network_note)
        self.network_share: str | None = None
        self._defer_check = False
        self.unlocked_by: str | None = None  # the slot's account id ("" for the recovery code)
        self._password_proof: str | None = None  # see take_password_proof
        # audit lines written while a background check still reads the file (a sign-in's): kept here and
        # written once its verdict is sound (_write_held_audit), so that signing in never waits for it
        self._held_audit: list[dict[str, Any]] = []
        # taken, given back and added to by the window's thread and by background ones (the index pass
        # writes what it finds held when the verdict comes): one at a time, or a line added between a
        # writer's copy and its taking the list would be lost
        self._held_lock = threading.RLock()
        self._kept_audit = False  # an earlier run's held lines wait in HELD_AUDIT (see _keep_held_audit)
        self._saves_waiting = 0  # saves waiting for the check's verdict, which will carry the held lines
        # How a write waits for a background check that has not finished: the window sets a waiter that
        # keeps it painted and says why (ui.tasks.wait_shown); None (the command line) waits plainly.
        # A waiter is given the check's event and returns once it is set, or at once off its thread.
        self.check_waiter: Callable[[threading.Event], None] | None = None

    @classmethod
    def open(
        cls,
        root: Path | str,
        *,
        create: bool = True,
        defer_check: bool = False,
        credentials: tuple[str, str] | None = None,
        key: bytes | None = None,
    ) -> Workspace:
        """Open (creating the folder if allowed). A workspace whose key needs a password stays locked
        (:attr:`locked`) until :meth:`unlock`, unless ``credentials`` (user name, password) or its
        ``key`` are given; any other is checked, migrated and opened now. ``defer_check`` (the window):
        a large, cleanly closed, up-to-date database is checked in the background, and every commit
        waits for the verdict (:meth:`wait_for_check`)."""
        ws = cls(Path(root))
        if ws.root.exists() and not ws.root.is_dir():
            raise UserError(
                f"{ws.root} 是一个文件，不是工作目录：请换一个文件夹（--data-dir）", field="data_dir"
            )
        ws.network_share = network_share(ws.root)
        if ws.network_share is not None:
            if not ws.db_path.exists():
                raise UserError(
                    f"不能在{ws.network_share}上建立工作目录 {ws.root}：民情簿的数据库只能放在本机的硬盘上。"
                    "放在网络上，两台电脑同时打开会把它损坏，网络一断也无法保存。请换一个本机的文件夹"
                    "（例如 D:\\民情簿）；几台电脑之间传数据，请用上报包，或“备份到 U 盘”后恢复",
                    field="data_dir",
                )
            log.warning("工作目录 %s 在%s上", ws.root, ws.network_share)
        if not ws.root.exists():
            if not create:
                raise UserError(f"工作目录 {ws.root} 不存在，请先用 init 建立工作站")
            try:
                ws.root.mkdir(parents=True)
            except (NotADirectoryError, FileExistsError):  # a part of the path is a file
                raise UserError(
                    f"无法建立工作目录 {ws.root}：路径中有一段是文件，不是文件夹；请换一个文件夹（--data-dir）",
                    field="data_dir",
                ) from None
        ws._defer_check = defer_check
        ws._private_dirs()
        slots = ws.key_slots()
        has_db = ws.db_path.exists() and ws.db_path.stat().st_size > 0
        if has_db and cipher.is_plain(ws.db_path):
            ws._connect(ws._encrypt())
        elif slots is not None and slots.provisional_key is not None:
            ws._connect(slots.provisional_key)
        elif slots is None and has_db:
            raise UserError(
                f"数据库已加密，但密钥文件 {ws.keys_dir / keyslots.FILE_NAME} 不见了。请把备份文件夹 "
                f"{ws.backups_dir} 里最新的 .keys 文件复制为这个文件，再打开"
            )
        elif slots is None:
            new = KeySlots.new()
            new.set_provisional(cipher.new_key())
            new.save(ws.keys_dir)
            assert new.provisional_key is not None
            ws._connect(new.provisional_key)
        elif not has_db:
            if key is None and credentials is not None:  # the key, so that a restore can go ahead
                key = ws.key_without_database(*credentials)
            raise DatabaseMissing(ws.root, backups.backups(ws.backups_dir)[:1], key)
        elif key is not None:
            ws._connect(key)
        elif credentials is not None:
            ws.unlock(*credentials)
        return ws

    def on_network_note(self) -> str | None:
        """What to tell about a workspace found on a network place (made there by an older program)."""
        if self.network_share is None:
            return None
        return (
            f"工作目录 {self.root} 在{self.network_share}上。两台电脑同时打开它会损坏数据库，网络一断也无法"
            "保存。请关闭民情簿，把整个文件夹复制到本机硬盘（例如 D:\\民情簿），以后从那里打开；"
            "复制前请确认别的电脑没有打开它。"
        )

    @property
    def locked(self) -> bool:
        return self.engine is None

    def key_slots(self) -> KeySlots | None:
        try:
            return KeySlots.load(self.keys_dir)
        except KeySlotsDamaged as exc:
            raise UserError(
                f"{exc}。请把备份文件夹 {self.backups_dir} 里最新的 .keys 文件复制到 {self.keys_dir}"
            ) from None

    @property
    def slots_file(self) -> Path:
        return self.keys_dir / keyslots.FILE_NAME

    # -- unlocking -----------------------------------------------------------------------------
    def unlock(
        self,
        username: str,
        password: str,
        *,
        now: dt.datetime | None = None,
        before_open: Callable[[], None] | None = None,
    ) -> None:
        """Unwrap the key with the account's password and open the database. Wrong passwords are
        throttled per account (after :data:`FREE_TRIES`, one try every
        :data:`LOCK_SECONDS`) and audit-logged once the database is open; the typed
        text is never kept. Raises :class:`UserError`, or :class:`DatabaseDamaged` after a right
        password when the database fails its check. ``before_open`` is called once the key is
        unwrapped, before the database opens (the window waits there for its background load, which
        ran beside the unwrapping: ui/preload.py)."""
        if not self.locked:
            return
        slots = self.key_slots()
        assert slots is not None, "a locked workspace has its key slots"
        key, slot, guard = self._open_slot(slots, username, password, now)
        if before_open is not None:
            before_open()
        self.unlocked_by = slot.user_id
        self._connect(key)
        # One slot only: with two (a password change cut short between writing the new slot and
        # dropping the old), the account's hash in the database says which password is right.
        if len(slots.account_slots(slot.user_id)) == 1:
            self._password_proof = slot.user_id
        self._flush_guard_events(guard)

    def _open_slot(
        self, slots: KeySlots, username: str, password: str, now: dt.datetime | None
    ) -> tuple[bytes, keyslots.Slot, _SigninGuard]:
        """The key unwrapped with the account's password, its slot, and the counts of tries (throttled and
        counted as every sign-in; the typed text never kept)."""
        username = username.strip()
        known = slots.account_slot(username) is not None
        who = username if known else "?"  # text typed for an unknown account may be a password
        with shared_tries(self.keys_dir) as shared:  # read, tried and counted whole, one run at a time
            guard = shared or _SigninGuard(self.keys_dir / SIGNIN_GUARD)
            guard.check(who, now)
            opened = slots.open_account(username, password)
            if opened is None:
                guard.failed(who, now)
                raise UserError("登录名或密码不对，请重新输入")
            key, slot = opened
            guard.succeeded(who)
        return key, slot, guard

    def key_without_database(self, username: str, password: str) -> bytes:
        """The workspace key from an account's password while the database file is gone (a restore puts
        a backup in its place): tried, throttled and counted as a sign-in."""
        slots = self.key_slots()
        if slots is None:
            raise UserError(f"工作目录 {self.root} 里没有密钥文件，无法用密码打开备份")
        return self._open_slot(slots, slots.login_name(username), password, None)[0]

    def take_password_proof(self) -> str | None:
        """The account whose password has just unwrapped the key (:meth:`unlock`), once: the sign-in
        that follows need not check the same password against the account's hash a second time
        (:func:`app.accounts.authenticate`; one argon2 instead of two). None after it was taken."""
        proof, self._password_proof = self._password_proof, None
        return proof

    def unlock_with_recovery(self, code: str) -> None:
        """Unwrap the key with the recovery code (a forgotten only password); audit-logged by the caller
        (:func:`app.accounts.recover`). On an open workspace the code is checked all the same: it is what
        allows an administrator's password to be reset without another administrator."""
        slots = self.key_slots()
        assert slots is not None, "a locked workspace has its key slots"
        with shared_tries(self.keys_dir) as shared:
            guard = shared or _SigninGuard(self.keys_dir / SIGNIN_GUARD)
            guard.check("#recovery", None)
            key = slots.open_recovery(code)
            if key is None:
                guard.failed("#recovery", None)
                raise UserError("恢复码不对：请对照保险柜里的恢复码打印页，核对每个字符后重新输入")
            guard.succeeded("#recovery")
        if not self.locked:
            if key != self.key:
                raise UserError("恢复码不对：请对照保险柜里的恢复码打印页，核对每个字符后重新输入")
            return
        self.unlocked_by = ""
        self._connect(key)
        self._flush_guard_events(guard)

    def _flush_guard_events(self, guard: _SigninGuard) -> None:
        """The failed unlocks and lockouts noted while the database was shut go into its audit log."""
        events = guard.take_events()
        if not events:
            return
        from db.models import AuditLog

        assert self._sessionmaker is not None
        with self._sessionmaker() as s:
            for ev in events:
                s.add(
                    AuditLog(
                        at=dt.datetime.fromisoformat(ev["at"]),
                        username=ev["username"] if ev["username"] != "?" else None,
                        action=ev["action"],
                        table_name="user",
                        detail=ev.get("detail"),
                    )
                )
            s.commit()
        guard.save()

    # -- the key's slots, kept with the accounts -----------------------------------------------
    def update_slots(self, change: Callable[[KeySlots, bytes], None]) -> None:
        """Change the key slots with the open workspace's key, and write them."""
        if self.key is None:
            return
        try:
            KeySlots.change(self.keys_dir, self.key, change)
        except keyslots.SlotsBusy as exc:
            raise UserError(str(exc)) from None

    # -- encryption of a workspace from before it ----------------------------------------------
    def _encrypt(self) -> bytes:
        """Convert the plain database to an encrypted one, in place; returns the new key.

        Its accounts keep their passwords (a slot is made from each one's password hash, which is
        argon2id of the password). The plain file stays until the encrypted copy has passed its check
        and holds as many rows in every table; then one rename replaces it. The backups, attachments
        and drafts are encrypted afterwards (a marker file makes the next open finish a run cut
        short). Killed at any point, the workspace holds either the plain database or the encrypted
        one, and opens."""
        plain = self.db_path
        conn = cipher.connect(plain, None)
        try:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()
        problems = backups.integrity_problems(plain, None, full=self.last_run_unclean())
        if problems:
            raise self._damaged(problems, None)
        key = cipher.new_key()
        slots = KeySlots.new()
        for user_id, username, password_hash in _plain_accounts(plain):
            slots.set_account_from_hash(key, user_id, username, password_hash)
        if slots.provisional_key is None and not slots.slots:
            slots.set_provisional(key)
        tmp = plain.with_name(plain.name + ".encrypting")
        for leftover in (tmp, tmp.with_name(tmp.name + "-journal")):
            leftover.unlink(missing_ok=True)
        create_private_file(tmp)
        try:
            cipher.encrypt_database(plain, tmp, key)
            problems = backups.integrity_problems(tmp, key, full=True)
            if problems or _row_counts(tmp, key) != _row_counts(plain, None):
                raise UserError("数据库加密后的核对没有通过，原数据库没有改动。请联系技术人员")
            backups._fsync(tmp)
            slots.save(self.keys_dir)
            (self.root / SEALING_MARKER).touch()
            for journal in ("-wal", "-shm"):
                plain.with_name(plain.name + journal).unlink(missing_ok=True)
            os.replace(tmp, plain)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        log.info("数据库已加密（%d 个账号保留原密码）", sum(1 for sl in slots.slots if sl.kind == "account"))
        return key

    def _seal_files(self, key: bytes) -> None:
        """Encrypt what a converted workspace still has in plain: its backups, attachments and drafts."""
        from app.attachments import seal_plain_files
        from app.diary.drafts import seal_plain_drafts

        for old in backups.backups(self.backups_dir):
            if cipher.is_plain(old):
                backups.encrypt_in_place(old, key)
                backups.keep_slots(self.slots_file, old)
        seal_plain_files(self.attachments_dir, key)
        seal_plain_drafts(self.drafts_dir, key)
        (self.root / SEALING_MARKER).unlink(missing_ok=True)

    def _private_dirs(self) -> None:
        """The workspace's folders made, and the owner's only (residents' data: the folder, its database
        and journals, logs, backups); on a read-only or full disk, said for the workspace."""
        with self._said_for_the_workspace():
            for sub in (
                self.root,
                self.logs_dir,
                self.backups_dir,
                self.attachments_dir,
                self.keys_dir,
                self.drafts_dir,
            ):
                private_dir(sub)

    @contextlib.contextmanager
    def _said_for_the_workspace(self) -> Iterator[None]:
        """An OSError of the environment (a read-only or full disk) raised as what to do about this
        workspace (:func:`app.errors.workspace_unwritable`); a bug as it is."""
        try:
            yield
        except OSError as exc:
            failure = workspace_unwritable(self.root, exc)
            if failure is None:
                raise
            raise failure from None

    def _connect(self, key: bytes) -> None:
        """Check, migrate and open the database (again, after :meth:`close`)."""
        self._private_dirs()
        self._check_done, self._check_problems, self._check_failure = None, [], None
        self._runs_gone = run_marks.marks_of_runs_gone(self.root)
        self.key = key
        try:
            if not (self._defer_check and self._may_check_later()):
                self.check_integrity()
        except BaseException:
            self.key = None
            raise
        if (self.root / SEALING_MARKER).exists():
            self._seal_files(key)
        create_private_file(self.db_path)
        for journal in ("-wal", "-shm"):
            private_file(self.db_path.with_name(self.db_path.name + journal))
        for old in (*self.backups_dir.glob("*.db*"), *self.logs_dir.glob("*.log*"), *self.keys_dir.iterdir()):
            private_file(old)
        database_layer()
        from db import migrate
        from db.engine import make_engine, make_sessionmaker

        self.engine = make_engine(self.db_path, key=key)
        try:
            migrate.upgrade(self.engine, self.db_path, self.backups_dir, slots_file=self.slots_file)
        except migrate.DatabaseTooNew as exc:
            self.engine.dispose()
            self.engine, self.key = None, None
            raise UserError(
                f"这个数据库由更新版本的民情簿创建（结构版本 {exc.revision}），本程序无法打开。"
                "请安装最新版本后再打开；数据库未作任何改动。"
            ) from None
        self._sessionmaker = make_sessionmaker(self.engine)
        self._kept_audit = (self.root / HELD_AUDIT).exists()  # looked for once, not at every commit
        if self._check_done is None and self._kept_audit:
            self._write_held_audit()  # checked sound just now: what an earlier run kept for a verdict
        self._run.take(self._runs_gone)
        if key is not None and self._plain_station_keys():  # a workspace from before: sealed now
            from app.sync.keys import seal_plain_keys

            seal_plain_keys(self.keys_dir, key)
        self.write_public_station()

    def _plain_station_keys(self) -> bool:
        """Is a private key file of the station (``keys/*.key``, app/sync/keys.py) still plain? (Read
        without loading the key module at every sign-in.)"""
        for path in self.keys_dir.glob("*.key"):
            try:
                with open(path, "rb") as f:
                    if not cipher.is_sealed(f.read(len(cipher.SEAL_MAGIC))):
                        return True
            except OSError:
                continue
        return False

    def write_public_station(self) -> None:
        """Keep what the sign-in box and ``card export`` show while the database is locked: the
        station's public card (names, codes and public keys; nothing of any resident)."""
        station = self.local_station(refresh=True)
        if station is None:
            return
        from app import demo

        data = {
            "kind": station.kind,
            "station_id": station.id,
            "code": station.code,
            "name": station.name,
            "town_code": station.town_code,
            "town_name": station.town_name,
            "sign_public_key": station.sign_public_key,
            "encrypt_public_key": station.encrypt_public_key,
            "demo": demo.is_demo_workspace(self),
        }
        kept = self.public_station() or {}
        if kept.get("card_signature") and {k: v for k, v in kept.items() if k != "card_signature"} == data:
            # the same card as kept: its signature with it (checked where it is used, app.sync.enrollment)
            data["card_signature"] = kept["card_signature"]
        elif station.sign_public_key and (self.keys_dir / "sign.key").exists():
            # the card's own signature (deterministic: Ed25519), so that ``card export`` needs no
            # account while the signing key stays sealed (app/sync/keys.py)
            from app.stations import station_card
            from app.sync.station_cards import card_signature

            # an unreadable key file: the card is exported after a sign-in, which then says why
            with contextlib.suppress(UserError):
                data["card_signature"] = card_signature(station_card(self), self.keys_dir, self.key)
        text = json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8")
        target = self.keys_dir / PUBLIC_STATION
        if not target.exists() or target.read_bytes() != text:
            keyslots.write_atomically(target, text)

    def public_station(self) -> dict[str, Any] | None:
        """The station's public card as kept by :meth:`write_public_station` (None before setup)."""
        try:
            data = json.loads((self.keys_dir / PUBLIC_STATION).read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def last_run_unclean(self) -> bool:
        """Did a run end without closing the database (a crash, a power cut)? Runs still going, such as
        the window while a command runs beside it, do not count (db.run_marks)."""
        return run_marks.last_run_unclean(self.root)

    def _may_check_later(self) -> bool:
        """Large and needing no migration (an upgrade wants a sound file first): the check starts in
        the background. After a run that did not close cleanly it is the full ``integrity_check``
        (about 30 s at 100 000 households: before, the window waited for it after every crash or
        power cut), and writes wait for its verdict as they wait for a ``quick_check``'s."""
        if not self.db_path.exists():
            return False
        if self.db_path.stat().st_size < DEFER_CHECK_BYTES:
            return False
        database_layer()
        from db import migrate
        from db.engine import make_engine

        probe = make_engine(self.db_path, key=self.key)
        try:
            up_to_date = migrate.is_up_to_date(probe)
        except Exception:  # not even readable: the check now says what is wrong
            return False
        finally:
            probe.dispose()
        if not up_to_date:
            return False
        done, stop = threading.Event(), threading.Event()
        full = bool(self._runs_gone)

        def check() -> None:
            try:
                self._check_problems = backups.integrity_problems(
                    self.db_path, self.key, full=full, stop=stop
                )
            except backups.CheckStopped:
                self._check_stopped = True
            except OSError as exc:  # a full disk: no verdict; every write is refused with what to do
                self._check_failure = workspace_unwritable(self.root, exc)
                self._check_stopped = True  # closed as unverified: no day's backup, the check owed again
                if self._check_failure is None:
                    raise
            finally:
                done.set()

        self._check_stop, self._check_stopped, self._check_full = stop, False, full

        self._check_done = done
        threading.Thread(target=check, name="integrity_check" if full else "quick_check", daemon=True).start()
        return True

    def check_finished(self) -> bool:
        """No background check, or it has finished (the window polls this)."""
        return self._check_done is None or self._check_done.is_set()

    def wait_for_check(self, session: Session | None = None) -> None:
        """Before a write: wait for a background check, and refuse (:class:`DatabaseDamaged`) when it
        found the database damaged: nothing is ever written to a damaged database. ``session``: the
        unit of work about to commit, which then carries the audit lines held for the verdict (see
        :meth:`_write_held_audit`)."""
        if self._check_done is None:
            return
        if not self._check_done.is_set() and self.check_waiter is not None:
            self.check_waiter(self._check_done)
        self._check_done.wait()
        if self._check_problems:
            raise self._damaged(self._check_problems, self.key)
        if self._check_failure is not None:
            raise self._check_failure
        self._write_held_audit(session)

    def _write_held_audit(self, session: Session | None = None) -> None:
        """The audit lines held while the background check ran, now that it found the file sound, after
        those an earlier run kept for want of a verdict (:meth:`_keep_held_audit`).

        With ``session`` (a save that waited for the verdict) they go in with its own transaction: that
        save may hold the write lock already (its rows flushed), and a second session would wait for
        it until SQLite gave up ("database is locked") and the save was rolled back. They count as
        written once it commits; if it fails they are held again for the next write. Without
        ``session`` while such a save waits (the window's poll for the verdict, run in the event loop
        of the box the save waits in; the background index pass), nothing is written here: the save
        carries them."""
        if self._sessionmaker is None or not (self._held_audit or self._kept_audit):
            return
        if session is None and self._saves_waiting:
            return  # a save waiting for the verdict (the window's poll ran in its box) carries them
        from db.models import AuditLog

        from app.work import AFTER_COMMIT

        kept = self.root / HELD_AUDIT
        with self._held_lock:
            lines = self._kept_audit_lines(kept) if self._kept_audit else []
            lines += self._held_audit
            if not lines:
                self._kept_audit = False
                return
            held, had_kept = self._held_audit, self._kept_audit
            self._held_audit, self._kept_audit = (
                [],
                False,
            )  # taken: another thread's write does not take them too

        def back() -> None:
            with self._held_lock:
                self._held_audit[:0] = held
                self._kept_audit = self._kept_audit or had_kept

        if session is not None:
            session.add_all(AuditLog(**line) for line in lines)
            session.info.setdefault(AFTER_COMMIT, []).append(lambda: kept.unlink(missing_ok=True))
            session.info.setdefault(_AFTER_ROLLBACK, []).append(back)
            return
        try:
            with self._sessionmaker() as s:
                s.add_all(AuditLog(**line) for line in lines)
                s.commit()
        except BaseException:
            back()
            raise
        kept.unlink(missing_ok=True)

    def _keep_held_audit(self) -> None:
        """The program closes before the background check's verdict: the audit lines it held (a sign-in's)
        are kept, sealed with the database key, for the next start that finds the file sound."""
        with self._held_lock:
            if not self._held_audit or self.key is None:
                return
            kept = self.root / HELD_AUDIT
            lines = (self._kept_audit_lines(kept) if kept.exists() else []) + self._held_audit
            lines = [{**line, "at": line["at"].isoformat()} for line in lines[-MAX_HELD_AUDIT_LINES:]]
            data = json.dumps(lines, ensure_ascii=False).encode("utf-8")
            keyslots.write_atomically(kept, cipher.seal(self.key, "held-audit", data, HELD_AUDIT))
            self._held_audit = []

    def _kept_audit_lines(self, kept: Path) -> list[dict[str, Any]]:
        """The lines of :data:`HELD_AUDIT`, checked: a file that does not open with this key or holds
        anything but audit lines is set aside (``.broken``) and its lines are not written."""
        try:
            data = json.loads(cipher.unseal(self.key or b"", "held-audit", kept.read_bytes(), HELD_AUDIT))
            if not isinstance(data, list) or len(data) > MAX_HELD_AUDIT_LINES:
                raise ValueError("not a list of audit lines")
            lines = []
            for line in data:
                if not isinstance(line, dict) or set(line) != HELD_AUDIT_COLUMNS:
                    raise ValueError("not an audit line")
                if not all(v is None or (isinstance(v, str) and len(v) <= 2000) for v in line.values()):
                    raise ValueError("not an audit line")
                lines.append({**line, "at": dt.datetime.fromisoformat(line["at"])})
            return lines
        except (OSError, ValueError, TypeError, cipher.SealBroken) as exc:
            log.error("保留的审计记录无法读取（%s），已另存为 %s.broken", type(exc).__name__, HELD_AUDIT)
            kept.replace(kept.with_name(HELD_AUDIT + ".broken"))
            return []

    def _damaged(self, problems: list[str], key: bytes | None) -> DatabaseDamaged:
        good = next(
            (
                b
                for b in backups.backups(self.backups_dir)
                if not backups.integrity_problems(b, backups.backup_key(b, key))
            ),
            None,
        )
        return DatabaseDamaged(self.root, problems, good, key)

    def check_integrity(self) -> None:
        """``PRAGMA quick_check`` before anything writes; the full ``integrity_check`` when the last
        run did not close cleanly. Raises :class:`DatabaseDamaged` (the file is left as it was)."""
        if not self.db_path.exists() or self.db_path.stat().st_size == 0:
            return
        with self._said_for_the_workspace():  # a full disk: the check could not run (not called damaged)
            problems = backups.integrity_problems(self.db_path, self.key, full=bool(self._runs_gone))
        if problems:
            raise self._damaged(problems, self.key)

    def restore(self, backup_file: Path, *, by: str | None = None) -> Path | None:
        """Replace the database with a checked backup and open it again (the window stays open; the
        caller asks the user to sign in again). Returns the backup kept of the database replaced."""
        from app.backups import restore

        key = self.key
        assert key is not None, "an open workspace has its key"
        self.close(daily_backup=False)
        try:
            return restore(self.root, backup_file, key, by=by)
        finally:
            self._station = None
            self._connect(key)

    def close(self, *, daily_backup: bool = True) -> None:
        """Close the database (its write-ahead log is checkpointed into the file), making the day's
        backup on the first close of the day. A background check still reading the file is waited for:
        it must not read a file being backed up or replaced, nor be cut off inside SQLite at exit.

        A database the background check found damaged is closed as it is: no day's backup is made of it,
        and the mark of a run that did not close cleanly stays, so that the next start checks it in full
        again (a damage only the full ``integrity_check`` sees would pass the next ``quick_check``).

        A check still running is stopped, not waited out (up to half a minute at 100 000 households,
        with the window already gone): the file is then closed without a verdict, so no day's backup is
        made of it, the audit lines held for the verdict are kept for the next start
        (:meth:`_keep_held_audit`), and a full check owed after a crash is owed again."""
        damaged = unverified = False
        if self._check_done is not None:
            self._check_stop.set()
            self._check_done.wait()
            damaged, unverified = bool(self._check_problems), self._check_stopped
            if unverified:
                try:
                    self._keep_held_audit()
                except OSError as exc:  # a full or read-only disk: the close goes on, the lines are lost
                    log.error("登录等审计记录无法保留到下次启动：%s", exc)
            elif not damaged and self.engine is not None:
                self._write_held_audit()
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
            if not damaged and not unverified and daily_backup and self.is_due_daily_backup():
                self._daily_backup()
            if not damaged and not (unverified and self._check_full):
                # the check found the file sound (in full when runs had ended without closing it)
                self._run.give_back(checked_in_full=bool(self._runs_gone) and not unverified)
            else:
                self._run.leave()
        self.key = None

    def _daily_backup(self) -> None:
        """The day's backup at a close. A disk that will not take it (full, read-only, a stick pulled
        out) does not stop the close: the database is as it was; why is kept in :attr:`backup_failure`
        for the window and the command line to say, and the next close tries again. A bug is raised."""
        self.backup_failure = None
        try:
            backups.write_backup(
                self.db_path, self.backups_dir, "daily", self.key, slots_file=self.slots_file
            )
        except (OSError, backups.BackupFailed, cipher.Error) as exc:
            failure = environment_failure(exc)
            if failure is None and not isinstance(exc, backups.BackupFailed):
                raise
            why = failure.message if failure is not None else str(exc)
            log.error("今天的自动备份没有做成：%s", why)
            self.backup_failure = (
                f"今天的自动备份没有做成：{why}\n数据库本身没有受影响，下次关闭民情簿时会再备份一次。"
            )

    def is_due_daily_backup(self, today: dt.date | None = None) -> bool:
        today = today or dt.date.today()
        return not any(
            "-daily" in b.name and (t := backups.taken_at(b)) is not None and t.date() == today
            for b in backups.backups(self.backups_dir)
        )

    # -- station ---------------------------------------------------------------------------
    def local_station(self, *, refresh: bool = False) -> Station | None:
        if self._station is None or refresh:
            if self._sessionmaker is None:
                raise WorkspaceLocked()
            from sqlalchemy import select

            from db.models import Station

            with self._sessionmaker() as s:
                self._station = s.scalars(select(Station).where(Station.is_local.is_(True))).first()
        return self._station

    def require_station(self) -> Station:
        station = self.local_station()
        if station is None:
            raise UserError(f"工作目录 {self.root} 还没有初始化，请先运行 init village 或 init town")
        return station

    @property
    def is_initialized(self) -> bool:
        if self.locked:  # a password wraps its key: someone set it up
            return True
        return self.local_station() is not None

    # -- sessions --------------------------------------------------------------------------
    def stamp_context(self, user_id: str | None = None) -> StampContext:
        from db.stamping import StampContext

        station = self.require_station()
        return StampContext(station_id=station.id, village_code=station.code, user_id=user_id)

    def new_session(self, user_id: str | None = None, **info: Any) -> Session:
        """A session whose synced writes are stamped as the local station and ``user_id``."""
        from db.stamping import StampContext

        assert self._sessionmaker is not None, "the workspace is open"
        session = self._sessionmaker()
        station = self.local_station()
        if station is not None:
            session.info["stamp"] = StampContext(station.id, station.code, user_id)
            # a town's writes pass the rule of ownership.town_write_refusal (ownership's flush hook)
            session.info["station_kind"], session.info["station_code"] = station.kind, station.code
        session.info.update(info)
        return session

    @contextlib.contextmanager
    def session(self, user_id: str | None = None, **info: Any) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        from app.work import AFTER_COMMIT

        session = self.new_session(user_id, **info)
        try:
            yield session
            if self._check_done is not None and _writes(session):
                held = None if self._check_done.is_set() else _audit_lines_only(session)
                if held is None:
                    with self._held_lock:  # (saves of background tasks count too)
                        self._saves_waiting += 1
                    try:
                        self.wait_for_check(session)
                    finally:
                        with self._held_lock:
                            self._saves_waiting -= 1
                else:  # only audit lines (a sign-in's): kept until the verdict, written then
                    for line in list(session.new):
                        session.expunge(line)
                    with self._held_lock:
                        self._held_audit.extend(held)
            session.commit()
            session.info.pop(_AFTER_ROLLBACK, None)  # committed: what it carried is written
            for action in session.info.pop(AFTER_COMMIT, []):
                action()
        except BaseException:
            session.rollback()
            for action in session.info.pop(_AFTER_ROLLBACK, []):
                action()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def work(self, actor: User | None = None, **info: Any) -> Iterator[Work]:
        """One unit of work for the services (:mod:`app.work`): commits on success, rolls back on any
        exception. ``actor`` is the signed-in user (detached is fine; only its id is used for stamping)."""
        from app.work import Paths, StationInfo, Work

        station = self.require_station()
        paths = Paths(
            self.root, self.attachments_dir, self.drafts_dir, self.keys_dir, self.backups_dir, self.logs_dir
        )
        with self.session(actor.id if actor is not None else None, **info) as session:
            yield Work(session, actor, StationInfo.of(station), paths, self.key)

    def raw_session(self) -> Session:
        """A session with no stamping context (station setup only)."""
        assert self._sessionmaker is not None, "the workspace is open"
        return self._sessionmaker()


# session.info: what Workspace.session runs after a rollback (the held audit lines a failed save carried)
_AFTER_ROLLBACK = "workspace.after_rollback"


def _writes(session: Session) -> bool:
    """Does committing ``session`` write: ORM changes waiting to be flushed, or rows already changed
    in its transaction (SQLite counts them per connection; the count at BEGIN is kept by
    :func:`_count_changes_at_begin`)."""
    if session.new or session.dirty or session.deleted:
        return True
    if session.get_transaction() is None:
        return False
    raw = session.connection().connection.driver_connection
    return raw is not None and raw.total_changes != session.info.get("changes_at_begin", raw.total_changes)


def _audit_lines_only(session: Session) -> list[dict[str, Any]] | None:
    """The audit lines ``session`` would write, as column values, when they are all it would write (none
    flushed yet); else None."""
    from sqlalchemy import inspect

    from db.models import AuditLog

    if session.dirty or session.deleted or not session.new:
        return None
    if not all(type(o) is AuditLog for o in session.new):
        return None
    if session.get_transaction() is not None:
        raw = session.connection().connection.driver_connection
        if raw is not None and raw.total_changes != session.info.get("changes_at_begin", raw.total_changes):
            return None  # something was flushed already
    from db.base import utcnow

    lines = []
    for o in session.new:
        line = {a.key: getattr(o, a.key) for a in inspect(AuditLog).column_attrs if a.key != "id"}
        line["at"] = line["at"] or utcnow()  # when it happened, not when it is written
        lines.append(line)
    return lines


def _count_changes_at_begin(session: Session, transaction: object, connection: Connection) -> None:
    raw = connection.connection.driver_connection
    if raw is not None:
        session.info["changes_at_begin"] = raw.total_changes


_loaded = threading.Lock()
_hooks_installed = False


def database_layer() -> None:
    """Load what an open database needs and install its hooks, once per process: SQLAlchemy and the
    models, the stamping of synced writes, the pinyin keys of names, the town's write rule, and the
    count of changes at BEGIN (:func:`_writes`). A window calls it in the background while the
    password is typed (ui/preload.py); opening the database calls it in any case."""
    global _hooks_installed
    with _loaded:
        if _hooks_installed:
            return
        from sqlalchemy import event
        from sqlalchemy.orm import Session, configure_mappers

        import db.engine  # noqa: F401  (installs the stamping hook)

        from app import accounts, ownership, pinyin  # noqa: F401  (accounts: the services' base)

        pinyin.install_hooks()
        event.listen(Session, "after_begin", _count_changes_at_begin)
        event.listen(Session, "before_flush", ownership.refuse_village_records_at_town)
        configure_mappers()  # the first query would do it; done here, it is done before it is needed
        _hooks_installed = True


@contextlib.contextmanager
def shared_tries(keys_dir: Path) -> Iterator[_SigninGuard | None]:
    """The counts of wrong tries that every run on the workspace keeps (``keys/signin.json``), read and
    held for one try of a password or the recovery code under a lock beside them: tries started
    together are counted one by one (ten were all checked and two counted), and a try at the open
    window's lock screen is counted with those of the commands and the sign-in box. None on a
    read-only medium (no lock there, nor counts to write)."""
    with run_marks.held(Path(keys_dir) / SIGNIN_LOCK) as got:
        if got is False:
            raise UserError("另一个民情簿正在核对密码，请稍等几秒再试")
        yield None if got is None else _SigninGuard(Path(keys_dir) / SIGNIN_GUARD)


class _SigninGuard:
    """Failed unlocks per account, kept beside the key slots (the database is shut while they happen):
    after :data:`FREE_TRIES` in a row, one try every :data:`LOCK_SECONDS`.
    The lockout and each failure become audit lines when the database next opens. An account name
    nobody has is counted as "?" and never written (it may be a password typed in the wrong box)."""

    MAX_EVENTS = 200

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, Any] = {"failures": {}, "events": []}
        try:
            raw = json.loads(path.read_bytes()) if path.stat().st_size < 1024 * 1024 else None
        except (OSError, ValueError):
            raw = None
        if (
            isinstance(raw, dict)
            and isinstance(raw.get("failures"), dict)
            and isinstance(raw.get("events"), list)
        ):
            self.data = raw

    def _entry(self, who: str) -> tuple[int, dt.datetime | None]:
        entry = self.data["failures"].get(who)
        try:
            return int(entry["count"]), dt.datetime.fromisoformat(entry["last"])
        except (TypeError, KeyError, ValueError):
            return 0, None

    def check(self, who: str, now: dt.datetime | None) -> None:
        count, last = self._entry(who)
        now = now or dt.datetime.now(dt.UTC)
        if count >= FREE_TRIES and last is not None:
            wait = LOCK_SECONDS - (now - last).total_seconds()
            if wait > 0:
                raise throttled(wait)

    def failed(self, who: str, now: dt.datetime | None, *, logged: bool = False) -> None:
        """One more wrong try of ``who``; ``logged``: its audit line is already in the database (a try
        at the window's lock screen), only the count is kept here."""
        now = now or dt.datetime.now(dt.UTC)
        count, _last = self._entry(who)
        self.data["failures"][who] = {"count": count + 1, "last": now.isoformat()}
        if logged:
            self.save()
            return
        events = self.data["events"]
        detail = "没有这个登录名" if who == "?" else ("恢复码不对" if who == "#recovery" else None)
        events.append({"at": now.isoformat(), "username": who, "action": "signin.failed", "detail": detail})
        if count + 1 == FREE_TRIES:
            events.append(
                {
                    "at": now.isoformat(),
                    "username": who,
                    "action": "signin.locked",
                    "detail": f"连续 {FREE_TRIES} 次密码错误，此后每 {LOCK_SECONDS} 秒只能试一次",
                }
            )
        del events[: -self.MAX_EVENTS]
        self.save()

    def succeeded(self, who: str) -> None:
        if self.data["failures"].pop(who, None) is not None:
            self.save()

    def take_events(self) -> list[dict[str, Any]]:
        events = [e for e in self.data["events"] if isinstance(e, dict) and _event_ok(e)]
        self.data["events"] = []
        return events

    def save(self) -> None:
        keyslots.write_atomically(self.path, json.dumps(self.data, ensure_ascii=False).encode("utf-8"))


def _event_ok(event: dict[str, Any]) -> bool:
    try:
        dt.datetime.fromisoformat(event["at"])
    except (KeyError, TypeError, ValueError):
        return False
    return (
        event.get("action") in ("signin.failed", "signin.locked")
        and isinstance(event.get("username"), str)
        and len(event["username"]) <= 64
        and (event.get("detail") is None or isinstance(event.get("detail"), str))
    )


def _plain_accounts(path: Path) -> list[tuple[str, str, str]]:
    """(id, user name, password hash) of the active accounts of a plain database's own station."""
    conn = cipher.connect(path, None, readonly=True)
    try:
        rows = conn.execute(
            "SELECT u.id, u.username, u.password_hash FROM user u JOIN station s ON s.is_local = 1 "
            "AND u.village_code = s.code WHERE u.active = 1 AND u.deleted_at IS NULL "
            "AND u.password_hash IS NOT NULL"
        ).fetchall()
    except cipher.Error:  # no station or no accounts yet
        rows = []
    finally:
        conn.close()
    return [(str(a), str(b), str(c)) for a, b, c in rows]


def _row_counts(path: Path, key: bytes | None) -> dict[str, int]:
    conn = cipher.connect(path, key, readonly=True)
    try:
        tables = [
            r[0]
            for r in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND sql NOT LIKE 'CREATE VIRTUAL%'"
            )
        ]
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    finally:
        conn.close()
