"""A workspace folder: the station's database, keys, logs, backups and attachments."""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.orm import Session, sessionmaker

from db import backups, migrate
from db.engine import make_engine, make_sessionmaker
from db.files import create_private_file, private_dir, private_file
from db.models import Station, User
from db.stamping import StampContext

from app import pinyin
from app.errors import EnvironmentFailure, UserError
from app.work import Paths, StationInfo, Work

pinyin.install_hooks()

log = logging.getLogger("minqing.workspace")

DB_NAME = "minqing.db"
OPEN_MARKER = "minqing.db.open"  # present while a program has the database open; left behind by a crash
# A database this large is checked in the background when the window opens (quick_check reads every
# page: about 1.8 s for the 2 GB of a 100 000-household village); commits wait for the verdict.
DEFER_CHECK_BYTES = 256 * 1024 * 1024


class DatabaseDamaged(EnvironmentFailure):
    """The database file fails SQLite's check. Nothing was written to it; ``newest_backup`` is the
    backup to restore (None when there is none)."""

    def __init__(self, root: Path, problems: list[str], newest_backup: Path | None) -> None:
        self.problems = problems
        self.newest_backup = newest_backup
        found = _in_chinese(problems)
        if newest_backup is not None:
            when = backups.taken_at(newest_backup)
            advice = (
                f"请从备份恢复：最新的备份是 {backups.when_text(when)}（{newest_backup.name}）。"
                f"在窗口中按提示恢复，或在命令行运行 python -m app restore --data-dir {root} {newest_backup}"
            )
        else:
            advice = "工作目录里没有备份：请把整个工作目录复制一份保存，再联系技术人员"
        super().__init__(f"数据库文件已损坏（{found}），民情簿没有写入它。{advice}")
        log.error("数据库检查未通过：%s", "; ".join(problems[:5]))


def _in_chinese(problems: list[str]) -> str:
    """What SQLite's check found, said in Chinese (the English lines go to the log)."""
    text = " ".join(problems).lower()
    if "not a database" in text:
        return "文件头已损坏，不是有效的数据库文件"
    if "malformed" in text or "corrupt" in text:
        return "文件中有页面已损坏"
    if "missing from index" in text or "wrong # of entries in index" in text:
        return "索引与数据不一致"
    return f"检查发现 {len(problems)} 处问题"


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
        self._sessionmaker: sessionmaker[Session] | None = None
        self._station: Station | None = None
        self._check_done: threading.Event | None = None  # set when a background check has finished
        self._check_problems: list[str] = []

    @classmethod
    def open(cls, root: Path | str, *, create: bool = True, defer_check: bool = False) -> Workspace:
        """Open (creating the folder if allowed) and migrate to the program's schema. ``defer_check``
        (the window): a large, cleanly closed, up-to-date database is checked in the background, and
        every commit waits for the verdict (:meth:`wait_for_check`)."""
        ws = cls(Path(root))
        if not ws.root.exists():
            if not create:
                raise UserError(f"工作目录 {ws.root} 不存在，请先用 init 建立工作站")
            ws.root.mkdir(parents=True)
        ws._connect(defer_check=defer_check)
        return ws

    def _connect(self, *, defer_check: bool = False) -> None:
        """Check, migrate and open the database (again, after :meth:`close`)."""
        # residents' data: the folder, its database (and journals), logs and backups are the owner's only
        for sub in (self.root, self.logs_dir, self.backups_dir, self.attachments_dir):
            private_dir(sub)
        self._check_done, self._check_problems = None, []
        if not (defer_check and self._may_check_later()):
            self.check_integrity()
        create_private_file(self.db_path)
        for journal in ("-wal", "-shm"):
            private_file(self.db_path.with_name(self.db_path.name + journal))
        for old in (*self.backups_dir.glob("*.db"), *self.logs_dir.glob("*.log*")):
            private_file(old)
        self.engine = make_engine(self.db_path)
        try:
            migrate.upgrade(self.engine, self.db_path, self.backups_dir)
        except migrate.DatabaseTooNew as exc:
            self.engine.dispose()
            raise UserError(
                f"这个数据库由更新版本的民情簿创建（结构版本 {exc.revision}），本程序无法打开。"
                "请安装最新版本后再打开；数据库未作任何改动。"
            ) from None
        self._sessionmaker = make_sessionmaker(self.engine)
        self.open_marker.touch()

    @property
    def open_marker(self) -> Path:
        return self.root / OPEN_MARKER

    def _may_check_later(self) -> bool:
        """Large, closed cleanly, and needing no migration (an upgrade wants a sound file first)."""
        if self.open_marker.exists() or not self.db_path.exists():
            return False
        if self.db_path.stat().st_size < DEFER_CHECK_BYTES:
            return False
        probe = make_engine(self.db_path)
        try:
            up_to_date = migrate.is_up_to_date(probe)
        except Exception:  # not even readable: the check now says what is wrong
            return False
        finally:
            probe.dispose()
        if not up_to_date:
            return False
        done = threading.Event()

        def check() -> None:
            try:
                self._check_problems = backups.integrity_problems(self.db_path)
            finally:
                done.set()

        self._check_done = done
        threading.Thread(target=check, name="quick_check", daemon=True).start()
        return True

    def check_finished(self) -> bool:
        """No background check, or it has finished (the window polls this)."""
        return self._check_done is None or self._check_done.is_set()

    def wait_for_check(self) -> None:
        """Before a write: wait for a background check, and refuse (:class:`DatabaseDamaged`) when it
        found the database damaged: nothing is ever written to a damaged database."""
        if self._check_done is None:
            return
        self._check_done.wait()
        if self._check_problems:
            raise self._damaged(self._check_problems)

    def _damaged(self, problems: list[str]) -> DatabaseDamaged:
        good = next((b for b in backups.backups(self.backups_dir) if not backups.integrity_problems(b)), None)
        return DatabaseDamaged(self.root, problems, good)

    def check_integrity(self) -> None:
        """``PRAGMA quick_check`` before anything writes; the full ``integrity_check`` when the last
        run did not close cleanly. Raises :class:`DatabaseDamaged` (the file is left as it was)."""
        if not self.db_path.exists() or self.db_path.stat().st_size == 0:
            return
        problems = backups.integrity_problems(self.db_path, full=self.open_marker.exists())
        if problems:
            raise self._damaged(problems)

    def restore(self, backup_file: Path) -> Path | None:
        """Replace the database with a checked backup and open it again (the window stays open; the
        caller asks the user to sign in again). Returns the backup kept of the database replaced."""
        from app.backups import restore

        self.close(daily_backup=False)
        try:
            return restore(self.root, backup_file)
        finally:
            self._station = None
            self._connect()

    def close(self, *, daily_backup: bool = True) -> None:
        """Close the database (its write-ahead log is checkpointed into the file), making the day's
        backup on the first close of the day."""
        if self.engine is not None:
            self.engine.dispose()
            self.engine = None
            if daily_backup and self.is_due_daily_backup():
                backups.write_backup(self.db_path, self.backups_dir, "daily")
            self.open_marker.unlink(missing_ok=True)

    def is_due_daily_backup(self, today: dt.date | None = None) -> bool:
        today = today or dt.date.today()
        return not any(
            "-daily" in b.name and (t := backups.taken_at(b)) is not None and t.date() == today
            for b in backups.backups(self.backups_dir)
        )

    # -- station ---------------------------------------------------------------------------
    def local_station(self, *, refresh: bool = False) -> Station | None:
        if self._station is None or refresh:
            assert self._sessionmaker is not None, "the workspace is open"
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
        return self.local_station() is not None

    # -- sessions --------------------------------------------------------------------------
    def stamp_context(self, user_id: str | None = None) -> StampContext:
        station = self.require_station()
        return StampContext(station_id=station.id, village_code=station.code, user_id=user_id)

    def new_session(self, user_id: str | None = None, **info: Any) -> Session:
        """A session whose synced writes are stamped as the local station and ``user_id``."""
        assert self._sessionmaker is not None, "the workspace is open"
        session = self._sessionmaker()
        station = self.local_station()
        if station is not None:
            session.info["stamp"] = StampContext(station.id, station.code, user_id)
        session.info.update(info)
        return session

    @contextlib.contextmanager
    def session(self, user_id: str | None = None, **info: Any) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any exception."""
        session = self.new_session(user_id, **info)
        try:
            yield session
            if self._check_done is not None and _writes(session):
                self.wait_for_check()
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    @contextlib.contextmanager
    def work(self, actor: User | None = None, **info: Any) -> Iterator[Work]:
        """One unit of work for the services (:mod:`app.work`): commits on success, rolls back on any
        exception. ``actor`` is the signed-in user (detached is fine; only its id is used for stamping)."""
        station = self.require_station()
        paths = Paths(
            self.root, self.attachments_dir, self.drafts_dir, self.keys_dir, self.backups_dir, self.logs_dir
        )
        with self.session(actor.id if actor is not None else None, **info) as session:
            yield Work(session, actor, StationInfo.of(station), paths)

    def raw_session(self) -> Session:
        """A session with no stamping context (station setup only)."""
        assert self._sessionmaker is not None, "the workspace is open"
        return self._sessionmaker()


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


def _count_changes_at_begin(session: Session, transaction: object, connection: Connection) -> None:
    raw = connection.connection.driver_connection
    if raw is not None:
        session.info["changes_at_begin"] = raw.total_changes


event.listen(Session, "after_begin", _count_changes_at_begin)
