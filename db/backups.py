"""Backups of the workspace database: written, verified, rotated and restored without ever losing one.

A backup is a consistent copy of the encrypted file (taken under a read lock once the write-ahead log is
checkpointed; SQLite's online backup API when another program writes at that moment), written under a
temporary name, verified (read back against a checksum of what was written, then opened with the key),
synced, and only then given its name
``minqing-YYYYMMDD-HHMMSS-<reason>.db``: a file with that name is always a whole, checked database, and a
process killed half way leaves only a ``.tmp`` that the next backup removes.

Rotation keeps the newest backup of each of the last 7 days that have one, of the last 4 weeks and of the
last 12 months (and never fewer than the 3 newest): about two dozen files, a year of history.

Backups are encrypted with the workspace key, as the database is (SQLCipher's backup API copies the
encrypted pages between two connections keyed alike), and each carries a copy of the key slots beside
it (``<backup>.keys``): nothing in them opens without a password or the recovery code.

A restore checks the backup, checkpoints the current database (its write-ahead log is then empty), keeps
it as a backup, and puts the restored copy in place with one atomic rename: killed at any moment, the
workspace holds either the old database or the restored one, whole.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import os
import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import xxhash

from db import cipher
from db.files import create_private_file, private_dir, private_file

PREFIX = "minqing"
_STAMP = re.compile(r"-(\d{8}-\d{6})(?:-|\.|$)")
# The order a backup was written in, in its name: "-n12.db". A name's time is the computer's clock, which a
# flat board battery sets back years (app/clock.py); the order is not. Names without one (written before
# it was kept) count as 0: they are older than any with one.
_ORDER = re.compile(r"-n(\d+)\.db$")  # (a file name is at most 255 characters)
KEEP_DAYS, KEEP_WEEKS, KEEP_MONTHS, KEEP_NEWEST = 7, 4, 12, 3
# The page cache of a check's own (short-lived) connection: integrity_check visits index pages again and
# again, and each visit to an encrypted page not in the cache decrypts it anew. Since the full check after
# a crash runs beside the window (app.workspace), it is 64 MiB: at 100 000 households 36.6 s against
# 34.4 s with 256 MiB (16 MiB: 74.7 s), and the selftest's peak memory after a crash 475.7 -> 281.8 MB.
CHECK_CACHE_KIB = 64 * 1024
# A quick_check reads each page once, walking down each tree: beyond the pages of one path from root to
# leaf a cache gives it nothing. SQLCipher's default (8 000 KiB) held 8.9 MB for the whole check: about
# 25 s of every start at 100 000 households, while the window's first screens fill their own cache (issue
# 17's peak memory). With 1 MiB the check held 2.0 MB; its time did not change beyond the machine's noise
# (23-34 s either way, six runs alternated).
QUICK_CHECK_CACHE_KIB = 1024


class BackupFailed(Exception):
    """The copy could not be made or did not check out; ``problems`` says what SQLite found."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


class CheckStopped(Exception):
    """The check was stopped (its ``stop`` event set) before its verdict: nothing is known of the file."""


def integrity_problems(
    path: Path, key: bytes | None, *, full: bool = False, stop: threading.Event | None = None
) -> list[str]:
    """What ``PRAGMA quick_check`` (or, with ``full``, ``integrity_check``) finds wrong in the database
    file, read-only; [] when it is sound. A file that is not a database at all (or not one this key
    opens) is one problem. Setting ``stop`` (from another thread) ends the check within moments
    (SQLite's progress handler): :class:`CheckStopped`."""
    try:
        conn = cipher.connect(path, key, readonly=True)
    except cipher.Error as exc:
        _raise_if_disk_full(path, exc)
        return [str(exc)]
    try:
        if stop is not None:
            conn.set_progress_handler(stop.is_set, 1000)  # a true answer interrupts the statement
        if key is not None and full:  # integrity_check reads index pages again and again; each
            conn.execute(f"PRAGMA cache_size = -{CHECK_CACHE_KIB}")  # read of an encrypted one decrypts it
        elif not full:
            conn.execute(f"PRAGMA cache_size = -{QUICK_CHECK_CACHE_KIB}")
        pragma = "integrity_check" if full else "quick_check"
        rows = [r[0] for r in conn.execute(f"PRAGMA {pragma}(20)")]
    except (cipher.Error, MemoryError) as exc:
        if stop is not None and stop.is_set():
            raise CheckStopped() from None
        _raise_if_disk_full(path, exc)
        return (_page_problems(path, key) if key is not None else []) or [str(exc)]
    finally:
        conn.close()
    if rows != ["ok"] and key is not None:
        return _page_problems(path, key) or [str(r) for r in rows]
    return [] if rows == ["ok"] else [str(r) for r in rows]


# Free space below which a check that SQLite could not run is taken for a full disk, not a damaged file:
# SQLite needs room for the shared-memory file beside the database (32 KiB and more) to read it at all.
DISK_FULL_BYTES = 64 * 1024 * 1024


def _raise_if_disk_full(path: Path, exc: BaseException) -> None:
    """A check that failed with an I/O error on a disk with almost no room left: raise ENOSPC (the
    caller says "the disk is full"), so that a sound database on a full disk is never called damaged
    (and restored from an older backup, losing what came since). A file SQLite reads as damaged, or an
    I/O error with room to spare (a bad sector), is a problem of the file, returned as one."""
    text = str(exc).lower()
    if not any(word in text for word in ("disk i/o error", "unable to open", "disk is full")):
        return
    try:
        free = shutil.disk_usage(Path(path).parent).free
    except OSError:
        return
    if free < DISK_FULL_BYTES:
        raise OSError(28, os.strerror(28), str(Path(path).parent)) from exc


def _page_problems(path: Path, key: bytes) -> list[str]:
    """Which pages of an encrypted database fail their authentication code (a damaged page reads as an
    error, not as a row of quick_check; a copy passes when every page carries the code of its content
    under ``key``). A file that cannot be read at all is one problem."""
    try:
        conn = cipher.connect(path, key, readonly=True)
        try:
            return [str(r[0]) for r in conn.execute("PRAGMA cipher_integrity_check")][:20]
        finally:
            conn.close()
    except (cipher.Error, MemoryError) as exc:
        return [str(exc)]


def when_text(when: dt.datetime | None) -> str:
    """2026年8月4日 09:30 (how the program writes a moment in Chinese: no leading zeros in the date)."""
    return f"{when.year}年{when.month}月{when.day}日 {when:%H:%M}" if when else "时间不详"


def backup_name(reason: str, when: dt.datetime | None = None, order: int = 0) -> str:
    when = when or dt.datetime.now()
    return f"{PREFIX}-{when:%Y%m%d-%H%M%S}-{reason}" + (f"-n{order}" if order else "") + ".db"


def written_order(path: Path) -> int:
    """The order a backup of this folder was written in, from its name (0: a name without one)."""
    m = _ORDER.search(path.name)
    return int(m.group(1)) if m else 0


def taken_at(path: Path) -> dt.datetime | None:
    """When a backup was made, from its name (None for a file that is not one of ours)."""
    m = _STAMP.search(path.name)
    if m is None:
        return None
    try:
        return dt.datetime.strptime(m.group(1), "%Y%m%d-%H%M%S")
    except ValueError:
        return None


def backups(backups_dir: Path) -> list[Path]:
    """The finished backups in ``backups_dir``, the last written first: by the order in their names, then
    by their times (with the clock set back, the newest backup's name says an old time)."""
    if not backups_dir.is_dir():
        return []
    found = [(written_order(p), t, p) for p in backups_dir.glob("*.db") if (t := taken_at(p)) is not None]
    return [p for _n, _t, p in sorted(found, reverse=True)]


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def copy_file(db_path: Path, target: Path, key: bytes | None) -> Path:
    """Copy the database file ``db_path`` to ``target`` (which must not exist), consistent while the
    program runs, verified, synced, then renamed. Raises :class:`BackupFailed` on a bad copy.

    An encrypted page is copied as it is (the backup has the same key): the write-ahead log is
    checkpointed into the file, and a read transaction then holds every later commit in the log, so
    the file stays as it is while it is copied byte for byte. The copy is verified in two steps:

    - every byte: a checksum (xxh3, 64 bits; about 6 GB/s here against CRC-32's 2) of the database is
      taken from the very bytes written (in a second thread, while the copy is written), and the copy
      is read back and must give the same sum; the copy goes to the disk (fsync) while it is read back;
    - the first page, the one the copy's own connection then rewrites (journal mode): the copy is opened
      afresh with the key and its schema read, which authenticates that page.

    The database's own pages were authenticated when it was opened (``quick_check`` reads every page of
    every table and index through its authentication code). The copy therefore costs about one extra
    read of the file: a page-by-page authentication of the copy (``cipher_integrity_check``) costs two
    to three file copies on a 2 GB database (docs/security.md, bench/bench_backup.py).

    If another program commits between the checkpoint and the read (the log is not empty), SQLite's
    online backup API copies it instead (decrypting and encrypting every page: several times slower)."""
    src = cipher.connect(db_path, key)
    try:
        src.isolation_level = None
        src.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        src.execute("BEGIN")
        src.execute(
            "SELECT count(*) FROM sqlite_master"
        ).fetchone()  # the read lock, at this point of the log
        wal = db_path.with_name(db_path.name + "-wal")
        if wal.exists() and wal.stat().st_size > 0:
            src.execute("COMMIT")
            return copy_database(src, target, key)
        with _written_as(target) as tmp:
            # The copy is written into the empty file as it is, through one descriptor until it is on the
            # disk: ext4 writes a file truncated to nothing out when it is closed (its "replace by
            # truncate" guard), and a close and a new open before the fsync cost too, so the read-back
            # waited for the disk (2.7 GB: 1.74 s as copyfile over the file, 1.30 s so, a plain copy
            # 0.76 s; bench/bench_backup.py).
            fd = os.open(tmp, os.O_WRONLY | getattr(os, "O_BINARY", 0))
            try:
                written = _copy_summed(db_path, fd)
                src.execute("COMMIT")
                with concurrent.futures.ThreadPoolExecutor(1) as pool:
                    synced = pool.submit(os.fsync, fd)  # the disk writes while the copy is read back
                    read_back = _file_sum(tmp)
                    synced.result()
            finally:
                os.close(fd)
            if read_back != written:
                raise BackupFailed([f"备份副本读回后与数据库不一致：{tmp.name}"])
            try:
                dst = cipher.connect(tmp, key)
                try:
                    dst.execute("PRAGMA journal_mode=DELETE")  # a single file: no -wal to lose on the stick
                finally:
                    dst.close()
                check = cipher.connect(tmp, key, readonly=True)
                try:
                    check.execute("SELECT count(*) FROM sqlite_master").fetchone()
                finally:
                    check.close()
            except cipher.Error as exc:
                raise BackupFailed([str(exc)]) from None
        return target
    finally:
        src.close()


_CHUNK = 8 << 20


def _copy_summed(source: Path, target: int) -> int:
    """Copy ``source`` into the empty file open for writing as ``target`` and return the checksum of the
    source's bytes. The kernel copies (``sendfile``) while a second thread sums the same bytes from the
    page cache: the sum costs little beyond the copy. The source does not change meanwhile: the caller
    holds a read transaction on it."""
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        summed = pool.submit(_file_sum, source)
        with open(source, "rb") as src:
            if hasattr(os, "sendfile"):
                size, offset = os.fstat(src.fileno()).st_size, 0
                while offset < size and (sent := os.sendfile(target, src.fileno(), offset, size - offset)):
                    offset += sent
            else:  # Windows
                with open(target, "wb", closefd=False) as out:
                    shutil.copyfileobj(src, out, _CHUNK)
        return summed.result()


def _file_sum(path: Path) -> int:
    summed = xxhash.xxh3_64()
    with open(path, "rb", buffering=0) as f:
        while chunk := f.read(_CHUNK):
            summed.update(chunk)
    return summed.intdigest()


def copy_database(source: Any, target: Path, key: bytes | None) -> Path:
    """Copy the database behind ``source`` (a connection keyed with ``key``) to ``target`` (which must
    not exist): online backup into a temporary file keyed alike, checked, synced, then renamed. Raises
    :class:`BackupFailed` on a bad copy."""
    with _written_as(target) as tmp:
        dst = cipher.connect(tmp, key)
        try:
            source.backup(dst, pages=4096)
            dst.execute("PRAGMA journal_mode=DELETE")  # a single file: no -wal to lose on the stick
        finally:
            dst.close()
        _check(integrity_problems(tmp, key))
    return target


@contextlib.contextmanager
def _written_as(target: Path) -> Iterator[Path]:
    """A private temporary file beside ``target`` for the block to write; then synced and renamed to
    ``target`` (so a file under that name is always whole), or removed when the block fails."""
    tmp = target.with_name(target.name + ".tmp")
    tmp.unlink(missing_ok=True)
    create_private_file(tmp)
    try:
        yield tmp
        _fsync(tmp)
        os.replace(tmp, target)
        private_file(target)
    except BaseException:
        for leftover in (tmp, tmp.with_name(tmp.name + "-wal"), tmp.with_name(tmp.name + "-shm")):
            with contextlib.suppress(OSError):  # (the check's journal files too: a full stick keeps none)
                leftover.unlink(missing_ok=True)
        raise


def _check(problems: list[str]) -> None:
    if problems:
        raise BackupFailed(problems)


def write_backup(
    db_path: Path,
    backups_dir: Path,
    reason: str,
    key: bytes | None,
    *,
    slots_file: Path | None = None,
    when: dt.datetime | None = None,
) -> Path:
    """A new checked backup of ``db_path`` in ``backups_dir``, with a copy of ``slots_file`` beside it;
    older ones rotated out."""
    private_dir(backups_dir)
    for stale in backups_dir.glob("*.db.tmp"):  # a backup killed half way
        stale.unlink(missing_ok=True)
    order = 1 + max(map(written_order, backups(backups_dir)), default=0)
    target = backups_dir / backup_name(reason, when, order)
    n = 1
    while target.exists():
        n += 1
        target = backups_dir / backup_name(f"{reason}-{n}", when, order)
    copy_file(db_path, target, key)
    keep_slots(slots_file, target)
    # the backup just made stays whatever its name says: with the computer's clock set back (a flat
    # board battery) it is named before the older ones, and rotation took it for the oldest (app/clock.py)
    rotate(backups_dir, keep=(target,))
    return target


def slots_beside(backup: Path) -> Path:
    """Where the copy of the key slots of ``backup`` is kept."""
    return backup.with_name(backup.name + ".keys")


def keep_slots(slots_file: Path | None, backup: Path) -> None:
    """Copy the key slots beside a backup (a restore on another computer, or after the keys folder was
    lost, needs them together with a password or the recovery code)."""
    if slots_file is not None and slots_file.exists():
        target = slots_beside(backup)
        shutil.copyfile(slots_file, target)
        private_file(target)


def rotate(backups_dir: Path, *, keep: tuple[Path, ...] = ()) -> list[Path]:
    """Remove the backups rotation does not keep (nor those in ``keep``); returns the removed. The newest
    kept are the last written, whatever their names' times."""
    found = [(taken_at(p), p) for p in backups(backups_dir)]  # the last written first
    kept: set[Path] = {p for _t, p in found[:KEEP_NEWEST]} | set(keep)
    for period, count in (
        (lambda t: t.date(), KEEP_DAYS),
        (lambda t: t.isocalendar()[:2], KEEP_WEEKS),
        (lambda t: (t.year, t.month), KEEP_MONTHS),
    ):
        seen: set[object] = set()
        for t, p in found:
            assert t is not None
            key = period(t)
            if key not in seen and len(seen) < count:
                seen.add(key)
                kept.add(p)
    removed = [p for _t, p in found if p not in kept]
    for p in removed:
        p.unlink(missing_ok=True)
        slots_beside(p).unlink(missing_ok=True)
    return removed


@dataclass(frozen=True)
class BackupSummary:
    """What a backup holds, shown before a restore."""

    path: Path
    taken_at: dt.datetime | None  # from its name, else when the file was last written
    station: str | None  # its name
    station_code: str | None
    counts: dict[str, int]
    revision: str | None = None  # its schema revision
    named_time: bool = True  # taken_at is from the name the program gave it (not the file's time)


SUMMARY_TABLES = {
    "household": "户",
    "person": "人",
    "diary_entry": "篇民情日记",
    "mediation_case": "件调解案件",
}


def backup_key(path: Path, key: bytes | None) -> bytes | None:
    """The key a backup is read with: none for a plain one (made before encryption)."""
    return None if cipher.is_plain(path) else key


def summarize(path: Path, key: bytes | None) -> BackupSummary:
    """The backup's time, station and record counts (read-only); :class:`BackupFailed` when it is not a
    sound database of this program (or not one this key opens). A plain backup from before encryption
    is read without the key."""
    key = backup_key(path, key)
    problems = integrity_problems(path, key)
    if problems:
        raise BackupFailed(problems)
    conn = cipher.connect(path, key, readonly=True)
    try:
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "station" not in tables:
            raise BackupFailed(["not a workspace database (no station table)"])
        row = conn.execute("SELECT name, code FROM station WHERE is_local = 1").fetchone()
        version = (
            conn.execute("SELECT version_num FROM alembic_version").fetchone()
            if "alembic_version" in tables
            else None
        )
        counts = {}
        for table in SUMMARY_TABLES:
            if table in tables:
                counts[table] = conn.execute(
                    f'SELECT count(*) FROM "{table}" WHERE deleted_at IS NULL'
                ).fetchone()[0]
    except cipher.Error as exc:
        raise BackupFailed([str(exc)]) from None
    finally:
        conn.close()
    name, code = row if row else (None, None)
    when = taken_at(Path(path))
    named = when is not None
    if when is None:  # renamed on the stick (张家村备份.db): the time the copy was last written
        when = dt.datetime.fromtimestamp(Path(path).stat().st_mtime)
    return BackupSummary(
        Path(path), when, name, code, counts, version[0] if version else None, named_time=named
    )


_Used = tuple[dict[str, int], dict[str, int]]  # the change counters; the last bundle number for each peer


def _numbers_used(conn: Any) -> _Used:
    """The numbers this station has handed out (its change counter, the bundles it wrote for each peer)."""

    def table(name: str, query: str) -> dict[str, int]:
        known = conn.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name=?", (name,)).fetchone()
        return dict(conn.execute(query).fetchall()) if known else {}

    return (
        table("station_counter", "SELECT station_id, value FROM station_counter"),
        table("sync_peer", "SELECT station_id, last_seq FROM sync_peer"),
    )


def _carry_numbers_forward(conn: Any, used: _Used) -> None:
    """A restored database goes on from the numbers the station had already handed out, not from the
    backup's: a change made after the restore would otherwise take a version the town already holds
    for another change of the same record (and be taken there for it, unchanged), and a bundle the
    number of one already sent. What the bundles carried stays at the town; what the town sent since is
    imported again (the backup's log of received bundles is kept)."""
    counters, sequences = used
    with conn:
        for station_id, value in counters.items():
            conn.execute(
                "UPDATE station_counter SET value = max(value, ?) WHERE station_id = ?", (value, station_id)
            )
        for station_id, seq in sequences.items():
            conn.execute(
                "UPDATE sync_peer SET last_seq = max(last_seq, ?) WHERE station_id = ?", (seq, station_id)
            )


def restore(
    db_path: Path, backup_file: Path, backups_dir: Path, key: bytes | None, *, slots_file: Path | None = None
) -> Path | None:
    """Replace the (closed) database with ``backup_file``; returns the backup kept of the current one
    (None when there was none; a damaged one is kept as ``…-damaged.db.broken``, never listed as a backup).

    Order, so that a kill at any point loses nothing: check the backup; copy it next to the database
    (checked); checkpoint the current database so its write-ahead log is empty, and back it up; remove
    the empty log files; rename the copy over the database."""
    summarize(backup_file, key)  # raises when the backup is not sound
    used: _Used = ({}, {})
    incoming = db_path.with_name(db_path.name + ".restore")
    incoming.unlink(missing_ok=True)
    if key is not None and cipher.is_plain(backup_file):  # from before encryption: encrypted on the way in
        _encrypt_copy(backup_file, incoming, key)
    else:
        copy_file(backup_file, incoming, key)
    kept = None
    if db_path.exists() and db_path.stat().st_size > 0:
        if integrity_problems(db_path, key):
            private_dir(backups_dir)
            kept = backups_dir / (backup_name("damaged") + ".broken")
            shutil.copyfile(db_path, kept)
            private_file(kept)
        else:
            conn = cipher.connect(db_path, key)
            try:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                used = _numbers_used(conn)
            finally:
                conn.close()
            kept = write_backup(db_path, backups_dir, "before-restore", key, slots_file=slots_file)
    for journal in ("-wal", "-shm"):
        db_path.with_name(db_path.name + journal).unlink(missing_ok=True)
    conn = cipher.connect(incoming, key)
    try:
        conn.execute("PRAGMA journal_mode=WAL")  # the workspace's mode (the copy was a single file)
        _carry_numbers_forward(conn, used)
    finally:
        conn.close()
    for journal in ("-wal", "-shm"):
        incoming.with_name(incoming.name + journal).unlink(missing_ok=True)
    os.replace(incoming, db_path)
    private_file(db_path)
    return kept


# -- what is still readable ---------------------------------------------------------------------------
SALVAGE_CHUNK = 1000  # rowids read at a time; a range that fails is halved down to single rows


@dataclass
class SalvageReport:
    """Rows copied per table, and the tables where some rows could not be read."""

    copied: dict[str, int]
    damaged_tables: dict[str, int]  # table → rowids that could not be read


def salvage(damaged: Path, fresh: Path, key: bytes | None) -> SalvageReport:
    """Copy every row that can still be read from the damaged database into ``fresh`` (a new, empty
    database at the same schema), table by table in rowid ranges: a range SQLite cannot read is halved
    down to single rows, and those are skipped. The full-text indexes and the diary's derived data are
    not copied: ``fresh``'s triggers rebuild them as the rows go in. Foreign keys are checked by the caller afterwards (a row
    whose parent was lost is kept: its content is worth more than the link)."""
    src = _Source(damaged, key)
    dst = cipher.connect(fresh, key)
    report = SalvageReport({}, {})
    try:
        dst.execute("PRAGMA foreign_keys=OFF")
        tables = [
            r[0]
            for r in dst.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
                "AND name NOT LIKE 'fts_%' AND name NOT LIKE 'derived_%' AND name != 'alembic_version' "
                "ORDER BY rowid"
            )
        ]
        for table in tables:
            try:
                have = {r[1] for r in src.execute(f'PRAGMA table_info("{table}")')}
            except (cipher.Error, MemoryError):
                src.reset()
                report.damaged_tables[table] = -1  # not even its definition could be read
                continue
            columns = [r[1] for r in dst.execute(f'PRAGMA table_info("{table}")') if r[1] in have]
            if not columns:
                continue
            dst.execute(f'DELETE FROM "{table}"')  # a fresh workspace may hold rows of its own setup
            copied, lost = _salvage_table(src, dst, table, columns)
            report.copied[table] = copied
            if lost:
                report.damaged_tables[table] = lost
        dst.commit()
    finally:
        src.close()
        dst.close()
    return report


class _Source:
    """The damaged database, read-only. SQLCipher keeps a page's failed authentication as the
    connection's error, so after a failed read the connection is opened anew."""

    def __init__(self, path: Path, key: bytes | None) -> None:
        self.path, self.key = path, key
        self.conn = cipher.connect(path, key, readonly=True)

    def execute(self, sql: str, params: tuple[object, ...] = ()) -> Any:
        return self.conn.execute(sql, params)

    def reset(self) -> None:
        self.conn.close()
        self.conn = cipher.connect(self.path, self.key, readonly=True)

    def close(self) -> None:
        self.conn.close()


def _salvage_table(src: Any, dst: Any, table: str, columns: list[str]) -> tuple[int, int]:
    names = ", ".join(f'"{c}"' for c in columns)
    select = f'SELECT {names} FROM "{table}" WHERE rowid >= ? AND rowid < ?'
    insert = f'INSERT OR IGNORE INTO "{table}" ({names}) VALUES ({", ".join("?" for _ in columns)})'
    try:
        top = src.execute(f'SELECT max(rowid) FROM "{table}"').fetchone()[0] or 0
    except (cipher.Error, MemoryError):
        src.reset()
        top = None  # walk on until a long stretch is empty
    copied = lost = 0
    empty_run = 0
    lo = 1
    while (top is not None and lo <= top) or (top is None and empty_run < 100):
        hi = lo + SALVAGE_CHUNK
        got, bad = _read_range(src, select, lo, hi)
        if got:
            dst.executemany(insert, got)
        copied += len(got)
        lost += bad
        empty_run = 0 if got or bad else empty_run + 1
        lo = hi
    return copied, lost


def _read_range(src: Any, select: str, lo: int, hi: int) -> tuple[list[tuple[object, ...]], int]:
    try:
        return list(src.execute(select, (lo, hi)).fetchall()), 0
    except (cipher.Error, MemoryError):
        src.reset()
        if hi - lo <= 1:
            return [], 1
    mid = (lo + hi) // 2
    left, bad_left = _read_range(src, select, lo, mid)
    right, bad_right = _read_range(src, select, mid, hi)
    return left + right, bad_left + bad_right


def _encrypt_copy(plain: Path, target: Path, key: bytes) -> None:
    """An encrypted, checked copy of a plain database at ``target`` (which must not exist)."""
    with _written_as(target) as tmp:
        cipher.encrypt_database(plain, tmp, key)
        _check(integrity_problems(tmp, key))


def encrypt_in_place(path: Path, key: bytes) -> None:
    """Replace a plain backup with an encrypted, checked copy of it (one rename)."""
    incoming = path.with_name(path.name + ".encrypting")
    incoming.unlink(missing_ok=True)
    _encrypt_copy(path, incoming, key)
    os.replace(incoming, path)
