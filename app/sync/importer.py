"""Importing bundles (上报包 at a town, 下发包 at a village): the batch of an import run, staging,
applying, what a bundle may write (its authority), and the rows it broke a rule with or that conflict.

Import: verify signature, hashes, enrollment and versions before touching the database; decrypt;
stage; apply each bundle in a savepoint (consecutive bundles share a transaction); a rejected bundle
changes nothing.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import errno
import functools
import gc
import hashlib
import json
import logging
import os
import struct
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from operator import itemgetter
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, RootTransaction, delete, func, select
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError, ProgrammingError

from db import cipher, migrate, vocab
from db.backups import write_backup
from db.base import utcnow
from db.bulk import bulk_writes, large_wal
from db.models import (
    Attachment,
    AuditLog,
    ReceivedBundle,
    Station,
    StationCounter,
    SyncConflict,
    SyncRejection,
)

from app import attachments, ownership
from app.attachments import store_blobs
from app.dates import cn_time, local_offset
from app.diary.acknowledgement import rehash_translated
from app.errors import EnvironmentFailure
from app.indexing import catch_up_indexes
from app.mediation import legacy
from app.sync import bundle, gate, keys, records
from app.sync.bundle import BundleRejected
from app.sync.common import (
    ATTACHMENT_DATA,
    ATTACHMENT_INDEX,
    BUNDLE_SUFFIX,
    check_sender,
    local_station,
    raise_if_busy,
)
from app.sync.gaps import Gap, gaps
from app.workspace import Workspace

log = logging.getLogger("minqing.sync")

Progress = Callable[[int, int, str], None]


def attachment_data(ws: Workspace, sha256: str) -> bytes | None:
    """An attachment's content as stored in the workspace (None when it is not here)."""
    assert ws.engine is not None, "the workspace is open"
    with ws.engine.connect() as conn:
        return attachments.load_blob(conn, ws.attachments_dir, sha256)


@dataclass
class BundleOutcome:
    file: str
    village: str | None  # sender's name (a village, or the town for a 下发包)
    village_code: str | None
    seq: int | None
    status: str  # imported | already_imported | rejected | checked (dry run)
    reason: str | None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(records.OUTCOMES, 0))
    sender_station: str | None = None
    rejections: list[ownership.Rejection] = field(default_factory=list)  # rows refused by a rule
    clock_note: str | None = None  # the sender's clock looks wrong (:func:`_clock_note`)

    def rejection_summary(self) -> list[tuple[str, int]]:
        """(record type in Chinese: reason, how many), most first."""
        labels = records.labels()
        tally: dict[str, int] = {}
        for r in self.rejections:
            key = f"{labels.get(r.record_type, r.record_type)}：{r.reason}"
            tally[key] = tally.get(key, 0) + 1
        return sorted(tally.items(), key=lambda kv: -kv[1])

    def as_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "village": self.village,
            "seq": self.seq,
            "status": self.status,
            "reason": self.reason,
            "clock_note": self.clock_note,
            "counts": self.counts,
            "rejected_rows": [
                {"record_type": r.record_type, "id": r.record_id, "version": r.version, "reason": r.reason}
                for r in self.rejections[:1000]
            ],
        }


@dataclass
class ImportReport:
    bundles: list[BundleOutcome]
    gaps: list[Gap]
    dry_run: bool = False
    index_seconds: float = 0.0  # the full-text pass after the last bundle (part of the import)

    @property
    def any_rejected(self) -> bool:
        return any(b.status == "rejected" for b in self.bundles)

    @property
    def any_rows_rejected(self) -> bool:
        return any(
            b.counts.get(records.REJECTED) for b in self.bundles if b.status in ("imported", "checked")
        )

    def as_json(self) -> dict[str, Any]:
        return {
            "bundles": [b.as_json() for b in self.bundles],
            "gaps": [{"village": g.village, "missing": g.missing} for g in self.gaps],
        }


def collect_files(paths: Iterable[Path | str]) -> list[Path]:
    """Bundle files named directly, or found in folders (a removable drive, recursively)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found.extend(sorted(q for q in p.rglob(f"*{BUNDLE_SUFFIX}") if q.is_file()))
        else:
            found.append(p)
    seen, unique = set(), []
    for p in found:
        key = os.path.abspath(p)
        if key not in seen:
            seen.add(key)
            unique.append(p)
    return unique


def _peek_manifest(path: Path) -> dict[str, Any] | None:
    """The manifest as the file says it, unverified (None when it cannot be read): for ordering the
    files and for knowing whether an import may write at all, never for trusting anything."""
    try:
        with open(path, "rb") as f:
            head = f.read(4096)
            nl = head.index(b"\n")
            (mlen,) = struct.unpack_from(">I", head, nl + 1)
            f.seek(nl + 5)
            m = json.loads(f.read(min(mlen, 1 << 20)).decode("utf-8"))
        return m if isinstance(m, dict) else None
    except Exception:
        return None


def _peek_order(path: Path) -> tuple[int, str, int, str]:
    """Sort key (sender, sequence) from the unverified manifest; unreadable files go last."""
    try:
        m = _peek_manifest(path)
        assert m is not None
        return (0, str(m["sender"]["code"]), int(m["sequence"]), str(path))
    except Exception:
        return (1, "", 0, str(path))


def _may_write(ws: Workspace, files: list[Path]) -> bool:
    """Might importing ``files`` write anything? Not when every one of them says (unverified) it is a
    bundle imported already: then there is nothing to back up first (a bundle that lied about it is
    found out when it is verified, and is refused or found imported; either way nothing is written)."""
    ids = []
    for path in files:
        m = _peek_manifest(path)
        bundle_id = m.get("bundle_id") if m is not None else None
        if not isinstance(bundle_id, str):
            return True
        ids.append(bundle_id)
    table = ReceivedBundle.__table__
    assert ws.engine is not None, "the workspace is open"
    with ws.engine.connect() as conn:
        received = {
            row[0]
            for start in range(0, len(ids), 500)
            for row in conn.execute(
                select(table.c.bundle_id).where(table.c.bundle_id.in_(ids[start : start + 500]))
            )
        }
    return not set(ids) <= received


@functools.lru_cache(maxsize=32)
def _carries_codes(revision: str) -> bool:
    """Was a bundle of schema ``revision`` made before the diary stored its vocabularies' values
    (``db/vocab.py``)? Its diary rows then carry the English codes, translated on import."""
    try:
        return migrate.is_older(revision, vocab.VOCAB_REVISION)
    except Exception:
        return False


@functools.lru_cache(maxsize=32)
def _before_refusal_rule(revision: str) -> bool:
    """Was a bundle of schema ``revision`` made before 受理 → 终止 became 不予受理 (migration 0012)?"""
    try:
        return migrate.is_older(revision, legacy.REFUSAL_REVISION)
    except Exception:
        return False


class _DryRunDone(Exception):
    pass


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """Staging a bundle allocates many small lists; the cyclic GC would rescan them for nothing."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def import_bundles(
    ws: Workspace,
    paths: Iterable[Path | str],
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    user_id: str | None = None,
    index: bool = True,
) -> ImportReport:
    """Import bundle files (or folders of them) in any order; each bundle all or nothing.

    ``index``: build the full-text rows of what was imported before returning. False leaves them
    listed for :func:`app.indexing.catch_up_indexes` (the window does that in the background, so the
    import's summary shows as soon as the data is in; searches say meanwhile that they may be
    incomplete)."""
    files = sorted(collect_files(paths), key=_peek_order)
    me = local_station(ws)
    outcomes: list[BundleOutcome] = []
    ws.wait_for_check()  # it writes: never to a damaged database
    assert ws.engine is not None, "the workspace is open"
    # While one bundle is written (SQLite works without the GIL), the next one is read, verified and
    # decrypted in a second thread: the two halves of an import overlap. (Its sections' JSON is parsed
    # by the writer: see _prepare.)
    # One connection writes every bundle and the index pass: its page cache keeps the indexes that
    # each village's rows go into from one bundle to the next.
    with (
        _gc_paused(),
        concurrent.futures.ThreadPoolExecutor(max_workers=1) as reader,
        ws.engine.connect() as writer,
        large_wal(writer),
    ):
        batch = _Batch(ws, writer, me, dry_run, progress, user_id)
        try:
            # the first bundle on two threads: the writer has nothing to do but wait for it (and back up)
            upcoming = reader.submit(_prepare, ws, me, files[0], threads=2) if files else None
            if files and not dry_run and _may_write(ws, files):
                # what the database held before this import, checked, in backups/ (while the first
                # bundle is read and verified); bundles that were all imported before need none
                if progress:
                    progress(0, len(files), "导入前先备份数据库…")
                try:
                    write_backup(
                        ws.db_path, ws.backups_dir, "before-import", ws.key, slots_file=ws.slots_file
                    )
                except OSError as exc:  # this computer's disk (not a stick): said as such
                    if exc.errno != errno.ENOSPC:
                        raise
                    raise EnvironmentFailure(
                        f"这台电脑存放民情簿数据的磁盘（{ws.root}）已经满了：导入前的备份写不下，所以没有导入，"
                        "数据没有任何改动。请删除这个磁盘上不需要的文件，腾出空间（至少是数据库大小的两倍）后再导入"
                    ) from None
            for n, path in enumerate(files):
                if progress:
                    progress(n, len(files), f"正在导入 {path.name}（{n + 1}/{len(files)}）")
                assert upcoming is not None, "submitted for this file"
                prepared = upcoming.result()
                upcoming = reader.submit(_prepare, ws, me, files[n + 1]) if n + 1 < len(files) else None
                outcomes.append(batch.add(prepared))
            batch.commit()
        except BaseException:
            batch.keep_finished()  # stopped (cancel) or failed: the bundles already written are kept
            raise
        index_seconds = 0.0
        if index and not dry_run:  # the full-text rows of every bundle's entries, in one pass
            started = time.perf_counter()
            catch_up_indexes(ws, progress, conn=writer)
            index_seconds = time.perf_counter() - started
    if progress:
        progress(len(files), len(files), "完成")
    return ImportReport(outcomes, gaps(ws), dry_run, index_seconds)


@dataclass
class _Prepared:
    """A bundle read, verified and decrypted, not yet parsed and written (or already settled)."""

    path: Path
    outcome: BundleOutcome
    manifest: dict[str, Any] | None = None
    sender: Station | None = None
    sections: dict[str, bytes] | None = None


def _prepare(ws: Workspace, me: Station, path: Path, *, threads: int = 1) -> _Prepared:
    """Everything that needs no write: signature, hashes, enrollment, versions, decryption.
    Runs in the reader thread; its only database access is reading. Its work (file reading, hashing,
    decryption, decompression) lets go of the GIL; parsing the sections' JSON would not (a parse holds
    it for tens of milliseconds, stalling the writer's rows), so the writer parses. ``threads``: the
    sections are inflated and hashed on that many (:func:`app.sync.bundle.decrypt`); one beside the
    writer's work, which has the other core."""
    outcome = BundleOutcome(str(path), None, None, None, "rejected", None)
    try:
        parsed = bundle.parse(bundle.read_file(path))
        m = parsed.manifest
        outcome.village, outcome.village_code = m["sender"]["name"], m["sender"]["code"]
        outcome.seq = m["sequence"]
        sender = check_sender(ws, me, m)
        outcome.sender_station = sender.id
        bundle.check_capabilities(m)
        if not migrate.is_known(m.get("schema_version", "")):
            raise BundleRejected(
                f"版本过新：包的数据结构版本 {m.get('schema_version')} 比本程序新，请升级民情簿"
            )
        if _already_imported(ws, m):
            outcome.status, outcome.reason = "already_imported", "已导入"
            return _Prepared(path, outcome)
        _check_sequence(ws, sender, m["sequence"])
        return _Prepared(
            path,
            outcome,
            m,
            sender,
            bundle.decrypt(parsed, keys.load_encrypt_key(ws.keys_dir, ws.key), threads=threads),
        )
    except BundleRejected as exc:
        outcome.reason = exc.reason
    except KeyError as exc:  # a field the checks above take as present (its name is the program's own)
        outcome.reason = f"内容损坏：清单缺少字段 {str(exc.args[0])[:40] if exc.args else ''}".rstrip()
    except (TypeError, ValueError) as exc:
        log.warning("bundle refused: manifest field of the wrong type: %r", exc)
        outcome.reason = "内容损坏：清单字段的类型不对"
    return _Prepared(path, outcome)


def _check_sequence(ws: Workspace, sender: Station, seq: int) -> None:
    """A sequence number far beyond the last one received from the sender is refused: every later
    gap report would otherwise count up to it."""
    table = ReceivedBundle.__table__
    assert ws.engine is not None, "the workspace is open"
    with ws.engine.connect() as conn:
        last = (
            conn.execute(select(func.max(table.c.seq)).where(table.c.sender_station == sender.id)).scalar()
            or 0
        )
    if seq > last + gate.SEQ_AHEAD:
        raise BundleRejected(
            f"序号不合理：这是 {sender.name} 的第 {seq} 号包，已收到的最后一个是第 {last} 号，"
            f"相差超过 {gate.SEQ_AHEAD}，不像正常导出的包"
        )


def _refuse_twin(conn: Connection, sender: Station, seq: int) -> None:
    """A bundle numbered like one already received from the sender (the same bundle again was told apart
    before: this one has its number, not its contents). Two laptops writing as one station, or one set
    back to an older copy, number their changes alike: the older of two versions of a record would be
    taken for the one already here, and dropped. Read in the writer's transaction: a twin in the same
    import is seen too."""
    table = ReceivedBundle.__table__
    twin = conn.execute(
        select(table.c.file_name).where(table.c.sender_station == sender.id, table.c.seq == seq).limit(1)
    ).scalar()
    if twin is not None:
        raise BundleRejected(
            f"{sender.name} 的第 {seq} 号包已经收到过另一个（{twin}），两个包同号不同内容："
            "这个村可能在两台电脑上用着同一个工作站，或把工作站换成了旧的副本。"
            "请和村里核对只留一台电脑，再由那台电脑重新导出上报包"
        )


def _already_imported(ws: Workspace, m: dict[str, Any]) -> bool:
    with ws.new_session() as s:
        return s.get(ReceivedBundle, m["bundle_id"]) is not None


# Rows written per transaction at most: consecutive bundles share one transaction (each in a savepoint
# of its own), so the pages every bundle touches (the upper levels of the indexes, the indexes keyed by
# names and dates that every village's rows go into all over) are written and synced once for several
# bundles instead of once each. About three village-years; their changed pages fit the bulk page cache.
BATCH_ROWS = 200_000


def _inconsistent(exc: BaseException) -> str:
    """The reason of a bundle refused by a constraint (at its insert, or at the commit), in the clerk's
    words: SQLite's own message (English, naming tables and columns) goes to the log."""
    message = str(getattr(exc, "orig", exc))
    log.warning("bundle refused by a constraint: %s", message)
    kind, _, where = message.partition(" constraint failed")
    places = _places(where.removeprefix(":").strip())
    if kind.startswith("FOREIGN KEY"):
        what = "包里的记录引用了不存在的记录"
    elif kind.startswith("UNIQUE"):
        what = f"包里的记录与本站已有的记录重复{places}"
    elif kind.startswith("NOT NULL"):
        what = f"包里的记录缺少必填的内容{places}"
    else:
        what = "包里的记录不符合本站的数据规则"
    return f"数据不一致：{what}，未导入"


def _places(where: str) -> str:
    """SQLite's ``table.column, …`` of a failed constraint as （干部账号的所属村、登录名）; a name with no
    label is left out (never an English name in the reason)."""
    named: dict[str, list[str]] = {}
    for place in where.split(","):
        table, _, column = place.strip().partition(".")
        record = records.table_label(table)
        field = ownership.column_label(column).removesuffix(f"（{column}）")
        if record:
            fields = named.setdefault(record, [])
            if not field.isascii():
                fields.append(field)
    said = [f"{record}的{'、'.join(fields)}" if fields else record for record, fields in named.items()]
    return f"（{'；'.join(said)}）" if said else ""


# What writing a value SQLite cannot store as it came raises (a list where text belongs, a number too
# large): that bundle is refused as damaged, its savepoint rolled back, the run goes on.
_UNSTORABLE = (
    KeyError,
    TypeError,
    ValueError,
    OverflowError,
    cipher.ProgrammingError,
    cipher.InterfaceError,
    ProgrammingError,
    InterfaceError,
    DataError,
)


def _unstorable(exc: BaseException) -> str:
    """What a value SQLite cannot take as it came is, in words (the exception's text goes to the log)."""
    log.warning("bundle refused: a value cannot be stored: %r", exc)
    if isinstance(exc, OverflowError) or "too large" in str(exc):
        return "有数字过大"
    if isinstance(exc, KeyError):
        return "缺少必要的字段"
    return "有字段的值不是文字、数字或日期"


class _Batch:
    """The bundles of an import run written so far in the open transaction.

    Each bundle is written inside a savepoint: a rejected bundle is rolled back alone and the others
    stay. The transaction is committed once ``BATCH_ROWS`` rows are in it, at the end of the run, and
    when the run stops early (the bundles already written are kept, the one in progress leaves
    nothing). Foreign keys are checked at the commit: if it is refused, the transaction is rolled back
    and its bundles are written again one transaction each, which names the bundle at fault.
    A dry run writes every bundle in a savepoint that is rolled back."""

    def __init__(
        self,
        ws: Workspace,
        conn: Connection,
        me: Station,
        dry_run: bool,
        progress: Progress | None,
        user_id: str | None,
    ) -> None:
        self.ws, self.conn, self.me, self.dry_run = ws, conn, me, dry_run
        self.progress, self.user_id = progress, user_id
        self.tx: RootTransaction | None = None
        self.members: list[tuple[Path, BundleOutcome]] = []
        self.rows = 0

    def add(self, p: _Prepared, *, limit: int | None = None) -> BundleOutcome:
        """Write a prepared bundle (the same file may have come twice in one run); commit once the
        transaction holds ``limit`` rows (default ``BATCH_ROWS``)."""
        outcome = p.outcome
        if p.sections is None:
            return outcome
        assert p.manifest is not None, "prepared with the sections"
        self._begin()
        if self._received(p.manifest["bundle_id"]):
            outcome.status, outcome.reason = "already_imported", "已导入"
            return outcome
        try:
            staged, blobs = _stage(p.manifest, p.sections), _stage_attachments(p.sections)
            if p.sender is not None:  # before this bundle is logged: it is compared with the ones before
                outcome.clock_note = _clock_note(self.conn, p.sender, p.manifest, utcnow())
            with self.conn.begin_nested():
                applied = self._write(p, staged, blobs)
                outcome.counts, outcome.rejections = applied.counts, applied.rejections
                if self.dry_run:
                    raise _DryRunDone()
            outcome.status, outcome.reason = "imported", None
        except _DryRunDone:
            outcome.status, outcome.reason = "checked", None
        except BundleRejected as exc:
            outcome.status, outcome.reason = "rejected", exc.reason
            outcome.counts, outcome.rejections = dict.fromkeys(records.OUTCOMES, 0), []
        except _UNSTORABLE as exc:
            # a value SQLite cannot store as it came (a list where text belongs, a number too large):
            # that bundle's savepoint is rolled back, the run goes on
            outcome.status, outcome.reason = (
                "rejected",
                f"内容损坏：包里有无法存入的数据（{_unstorable(exc)}），未导入",
            )
            outcome.counts, outcome.rejections = dict.fromkeys(records.OUTCOMES, 0), []
        except OperationalError as exc:
            raise_if_busy(exc)
            raise
        if outcome.status == "rejected":
            outcome.clock_note = None
        if outcome.status == "imported":
            self.members.append((p.path, outcome))
            self.rows += sum(len(t.rows) for t in staged)
            if self.rows >= (BATCH_ROWS if limit is None else limit):
                self.commit()
        return outcome

    def commit(self) -> None:
        """Commit the open transaction (a dry run rolls it back)."""
        if self.tx is None:
            return
        tx, members = self.tx, self.members
        self.tx, self.members, self.rows = None, [], 0
        if self.dry_run:
            tx.rollback()
            return
        try:
            tx.commit()
        except BaseException as exc:
            self._rollback(tx)
            if isinstance(exc, OperationalError):
                raise_if_busy(exc)
            if not isinstance(exc, (IntegrityError, cipher.IntegrityError)):
                raise
            self._one_by_one(members, exc)

    def keep_finished(self) -> None:
        """After an exception: commit the bundles written completely (if that fails too, nothing)."""
        if self.tx is None:
            return
        with contextlib.suppress(Exception):
            self.commit()
        if self.tx is not None:
            self._rollback(self.tx)
            self.tx = None

    def _begin(self) -> None:
        if self.tx is not None:
            return
        try:
            self.tx = self.conn.begin()
        except OperationalError as exc:
            raise_if_busy(exc)
            raise
        self.conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")

    def _rollback(self, tx: RootTransaction) -> None:
        tx.rollback()
        raw = self.conn.connection.driver_connection
        assert raw is not None, "the connection is open"
        if raw.in_transaction:  # a COMMIT refused (deferred foreign keys) leaves SQLite's transaction open
            raw.rollback()

    def _one_by_one(self, members: list[tuple[Path, BundleOutcome]], exc: BaseException) -> None:
        """The commit of several bundles was refused: write each again in a transaction of its own.
        (Read again from its file: a batch does not keep the parsed rows of its bundles.)"""
        if len(members) == 1:
            outcome = members[0][1]
            outcome.status = "rejected"
            outcome.reason = _inconsistent(exc)
            outcome.counts, outcome.rejections = dict.fromkeys(records.OUTCOMES, 0), []
            return
        for path, outcome in members:
            again = _prepare(self.ws, self.me, path)
            fresh, again.outcome = again.outcome, outcome
            if again.sections is None:  # the file can no longer be read as it was
                outcome.status, outcome.reason, outcome.counts = fresh.status, fresh.reason, fresh.counts
                continue
            self.add(again, limit=0)

    def _received(self, bundle_id: str) -> bool:
        table = ReceivedBundle.__table__
        return (
            self.conn.execute(select(table.c.bundle_id).where(table.c.bundle_id == bundle_id)).first()
            is not None
        )

    def _write(
        self, p: _Prepared, staged: list[records.StagedTable], blobs: list[tuple[str, bytes]]
    ) -> records.ApplyResult:
        try:
            return _apply(
                self.ws, self.conn, self.me, p, staged, blobs, self.dry_run, self.progress, self.user_id
            )
        except (
            IntegrityError,
            cipher.IntegrityError,
        ) as exc:  # the importer writes through the driver's cursor too
            raise BundleRejected(_inconsistent(exc)) from None


def _stage(m: dict[str, Any], sections: dict[str, bytes]) -> list[records.StagedTable]:
    by_type = {spec.record_type: spec for spec in records.table_specs()}
    counts = {sec["name"]: sec["count"] for sec in m["sections"]}
    staged = []
    for name in sections:
        if name.startswith("table:") and name.split(":", 1)[1] not in by_type:
            raise BundleRejected(f"版本过新：包里有本程序不认识的数据 {name.split(':', 1)[1]}，请升级民情簿")
    for spec in records.table_specs():  # FK order
        name = f"table:{spec.record_type}"
        if name in sections:
            staged.append(records.stage_section(spec, sections[name], counts[name]))
    if _carries_codes(m.get("schema_version", "")):
        for table in staged:
            vocab.translate_rows(table.spec.table_name, table.columns, table.rows)
    return staged


def _stage_attachments(sections: dict[str, bytes]) -> list[tuple[str, bytes]]:
    data = sections.get(ATTACHMENT_DATA, b"")
    files, pos = [], 0
    for sha, size in gate.attachment_index(sections.get(ATTACHMENT_INDEX, b"[]"), len(data)):
        blob = data[pos : pos + size]
        pos += size
        if hashlib.sha256(blob).hexdigest() != sha:
            raise BundleRejected("内容损坏：附件文件的校验值不符")
        files.append((sha, blob))
    return files


def _apply(
    ws: Workspace,
    conn: Connection,
    me: Station,
    p: _Prepared,
    staged: list[records.StagedTable],
    blobs: list[tuple[str, bytes]],
    dry_run: bool,
    progress: Progress | None,
    user_id: str | None,
) -> records.ApplyResult:
    """Write one bundle inside the caller's transaction."""
    sender, m, path = p.sender, p.manifest, p.path
    assert sender is not None and m is not None, "prepared with the sections"
    _refuse_twin(conn, sender, m["sequence"])
    if _before_refusal_rule(m.get("schema_version", "")):  # 受理 → 终止 of an older program: 不予受理
        legacy.rewrite_refusals(conn, {t.spec.table_name: t for t in staged})
    auth = _authority(me, sender, m, staged, blobs)
    result = records.ApplyResult()
    now = utcnow()
    # derived indexes (full text) catch up once, not per row
    with bulk_writes(conn, same_program=m.get("schema_version") == migrate.head_revision()):
        for table in staged:
            if progress:
                progress(0, 0, f"{sender.name} 第 {m['sequence']} 号包：{records.label_of(table.spec)}")
            refused = None
            try:
                if table.spec.table_name == Attachment.__tablename__:
                    refused = ownership.attachment_content_refused(
                        conn, ws.attachments_dir, table.rows, table.columns, auth, attachments.has_blob
                    )
                records.apply_table(conn, table, auth, result, refused)
            except _UNSTORABLE as exc:  # named by its table: the clerk can tell the village what to fix
                raise BundleRejected(
                    f"内容损坏：“{records.label_of(table.spec)}”中有无法存入的数据（{_unstorable(exc)}），未导入"
                ) from None
    if _carries_codes(m.get("schema_version", "")):
        rehash_translated(conn, _entries_written(staged, result))
    _record_conflicts(conn, m, result, now)
    _supersede_conflicts(conn, result, now)
    if me.kind == "town":  # a village sees what it refused of the town's in the import's report
        _record_rejections(conn, sender.id, m, result, now)
    acknowledges = m.get("acknowledges") or {}
    if acknowledges.get("station_id") == me.id and acknowledges.get("through") is not None:
        # never beyond this station's own counter: a station cannot acknowledge changes not yet made
        mine = (
            conn.execute(
                select(StationCounter.__table__.c.value).where(StationCounter.__table__.c.station_id == me.id)
            ).scalar()
            or 0
        )
        _raise_ack(conn, sender.id, min(acknowledges["through"], mine))
    conn.execute(
        records.table_of(ReceivedBundle)
        .insert()
        .values(
            bundle_id=m["bundle_id"],
            sender_station=sender.id,
            sender_code=sender.code,
            seq=m["sequence"],
            counter_from=m["counter"]["from"],
            counter_to=m["counter"]["to"],
            file_name=path.name,
            created_at=_parse_time(m["created_at"]),
            imported_at=now,
            counts=json.dumps(result.counts),
        )
    )
    if not dry_run:  # checked against their SHA-256 when staged; durable before the commit
        store_blobs(conn, ws.attachments_dir, blobs)
        conn.execute(
            records.table_of(AuditLog)
            .insert()
            .values(
                at=now,
                user_id=user_id,
                action="sync.import",
                table_name=None,
                detail=f"{sender.name} 第 {m['sequence']} 号包 {path.name}：{json.dumps(result.counts)}",
            )
        )
    return result


def _entries_written(staged: list[records.StagedTable], result: records.ApplyResult) -> set[str]:
    """The diary entries whose signed content the bundle's accepted rows may have touched: the entries
    themselves, and those of its acknowledgements, participants and demands."""
    keys = {
        "diary_entry": "id",
        "acknowledgement": "entry_id",
        "diary_participant": "entry_id",
        "demand": "entry_id",
    }
    out: set[str] = set()
    for table in staged:
        key = keys.get(table.spec.table_name)
        if key is None or key not in table.columns:
            continue
        accepted = set(result.accepted_ids.get(table.spec.table_name, ()))
        i_id, i_key = table.columns.index("id"), table.columns.index(key)
        out.update(
            r[i_key]
            for r in table.rows
            if isinstance(r[i_id], str) and r[i_id] in accepted and isinstance(r[i_key], str)
        )
    return out


def _authority(
    me: Station,
    sender: Station,
    m: dict[str, Any],
    staged: list[records.StagedTable],
    blobs: list[tuple[str, bytes]],
) -> ownership.Authority:
    """What this bundle may write: rows of the sending village (or, from the town, of this village),
    changed by the sender; the ids of the bundle's own rows for references between its tables."""
    bundle_rows: dict[str, dict[str, object]] = {}
    specs = records.table_specs()
    # only the tables a reference can point into (and the owners named by the bundle's attachments)
    wanted = {
        t for spec in specs for targets in ownership.references(spec.table_name).values() for t in targets
    }
    for table in staged:
        if table.spec.table_name == Attachment.__tablename__ and "owner_table" in table.columns:
            i_owner = table.columns.index("owner_table")
            wanted |= {v for v in map(itemgetter(i_owner), table.rows) if isinstance(v, str)}
    for table in staged:
        if table.spec.table_name not in wanted:
            continue
        i_id, i_vc = table.columns.index("id"), table.columns.index("village_code")
        ids, codes = map(itemgetter(i_id), table.rows), map(itemgetter(i_vc), table.rows)
        try:
            bundle_rows[table.spec.table_name] = dict(zip(ids, codes, strict=True))
        except TypeError:  # an id that is not even hashable: its row is refused by the screen
            rows = table.rows
            bundle_rows[table.spec.table_name] = {r[i_id]: r[i_vc] for r in rows if isinstance(r[i_id], str)}
    bundle_scopes: dict[tuple[str, str], object] = {}
    for table in staged:  # whose 为民实事 rows these are (村 / 镇), for their rows and photos
        if table.spec.table_name in ownership.TOWN_SCOPED_TABLES and "scope" in table.columns:
            i_id, i_scope = table.columns.index("id"), table.columns.index("scope")
            for r in table.rows:
                if isinstance(r[i_id], str):
                    bundle_scopes[(table.spec.table_name, r[i_id])] = r[i_scope]
    return ownership.Authority(
        bundle_scopes=bundle_scopes,
        sender_id=sender.id,
        sender_kind=sender.kind,
        village_code=sender.code if sender.kind == "village" else me.code,
        town_code=me.town_code,
        counter_to=m["counter"]["to"],
        blob_hashes=frozenset(sha for sha, _ in blobs),
        bundle_rows=bundle_rows,
        synced_tables=frozenset(spec.table_name for spec in specs),
    )


def _record_rejections(
    conn: Connection, sender_id: str, m: dict[str, Any], result: records.ApplyResult, now: dt.datetime
) -> None:
    """Keep the rows this bundle broke a rule with (the receipt names them). Forget refusals of rows
    that now passed, and, when this is the sender's newest bundle, those it no longer carries: a
    village resends every refused record it still has, so one left out was fixed or re-keyed. An
    older bundle imported late never overrides what a newer one said."""
    table = records.table_of(SyncRejection)
    seq = m["sequence"]
    has_any = conn.execute(select(table.c.id).where(table.c.station_id == sender_id).limit(1)).first()
    if has_any is not None:
        for table_name, ids in result.accepted_ids.items():
            for start in range(0, len(ids), records.CHUNK):
                conn.execute(
                    delete(table).where(
                        table.c.station_id == sender_id,
                        table.c.table_name == table_name,
                        table.c.record_id.in_(ids[start : start + records.CHUNK]),
                        table.c.seq <= seq,
                    )
                )
    if result.rejections:
        conn.exec_driver_sql(
            "INSERT INTO sync_rejection (station_id, table_name, record_type, record_id, version, reason, bundle_id,"
            " seq, detected_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (station_id, table_name, record_id)"
            " DO UPDATE SET version = excluded.version, reason = excluded.reason, bundle_id = excluded.bundle_id,"
            " seq = excluded.seq, detected_at = excluded.detected_at WHERE excluded.seq >= sync_rejection.seq",
            [
                (
                    sender_id,
                    r.table_name,
                    r.record_type,
                    r.record_id,
                    r.version,
                    r.reason,
                    m["bundle_id"],
                    seq,
                    now,
                )
                for r in result.rejections
            ],
        )
    if has_any is not None:
        newest = (
            conn.execute(
                select(func.max(ReceivedBundle.__table__.c.seq)).where(
                    ReceivedBundle.__table__.c.sender_station == sender_id
                )
            ).scalar()
            or 0
        )
        if seq >= newest:
            conn.execute(delete(table).where(table.c.station_id == sender_id, table.c.seq < seq))


CLOCK_SLACK = dt.timedelta(hours=1)


def _clock_note(conn: Connection, sender: Station, m: dict[str, Any], now: dt.datetime) -> str | None:
    """The sender's clock as its bundle shows it: written after this station's now, or before a bundle
    the sender wrote earlier (a village laptop whose clock a flat board battery set back: app/clock.py).
    Only said, for the town to tell the village: the rows carry the dates that clock gave them."""
    try:
        written = _parse_time(str(m["created_at"]))
        seq = int(m["sequence"])
    except (KeyError, TypeError, ValueError):
        return None
    shown = cn_time(written + local_offset())
    if written > now + CLOCK_SLACK:
        return (
            f"{sender.name}的电脑时间比本机快：第 {seq} 号包写于 {shown}，还没到这个时间。"
            "请提醒村里改正电脑的日期和时间，这段时间记录的日期可能不准"
        )
    table = records.table_of(ReceivedBundle)
    before = conn.execute(
        select(func.max(table.c.created_at)).where(table.c.sender_station == sender.id, table.c.seq < seq)
    ).scalar()
    if before is not None and written < before - CLOCK_SLACK:
        return (
            f"{sender.name}的电脑时间可能被调回了：第 {seq} 号包写于 {shown}，比它之前的包"
            f"（{cn_time(before + local_offset())}）还早。请提醒村里改正电脑的日期和时间（主板电池可能没电了），"
            "这段时间记录的日期可能不准"
        )
    return None


def _parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text.rstrip("Z"))


def _raise_ack(conn: Connection, station_id: str, through: int) -> None:
    conn.exec_driver_sql(
        "INSERT OR IGNORE INTO sync_peer (station_id, acked_through, last_seq) VALUES (?, 0, 0)",
        (station_id,),
    )
    conn.exec_driver_sql(
        "UPDATE sync_peer SET acked_through = MAX(acked_through, ?) WHERE station_id = ?",
        (through, station_id),
    )


def _record_conflicts(
    conn: Connection, m: dict[str, Any], result: records.ApplyResult, now: dt.datetime
) -> None:
    """Keep both versions; one open conflict per record (a newer incoming version replaces the older)."""
    table = records.table_of(SyncConflict)
    for staged, rid, incoming in result.conflicts:
        spec = staged.spec
        incoming_json = json.dumps(
            {c: incoming.get(c) for c in spec.columns if c in incoming}, ensure_ascii=False, default=str
        )
        existing = conn.execute(
            select(table.c.id, table.c.incoming_station, table.c.incoming_version).where(
                table.c.table_name == spec.table_name, table.c.record_id == rid, table.c.resolved_at.is_(None)
            )
        ).first()
        if existing is not None:
            if (
                existing.incoming_station == incoming["changed_station"]
                and existing.incoming_version >= incoming["version"]
            ):
                result.counts[records.CONFLICT] -= 1  # already waiting for a person
                result.counts[records.UNCHANGED] += 1
                continue
            conn.execute(
                table.update()
                .where(table.c.id == existing.id)
                .values(
                    incoming_row=incoming_json,
                    incoming_station=incoming["changed_station"],
                    incoming_version=incoming["version"],
                    bundle_id=m["bundle_id"],
                    detected_at=now,
                )
            )
            continue
        local = records.full_row(conn, spec, rid)
        conn.execute(
            table.insert().values(
                table_name=spec.table_name,
                record_type=spec.record_type,
                record_id=rid,
                village_code=incoming["village_code"],
                local_row=json.dumps(local, ensure_ascii=False, default=str),
                incoming_row=incoming_json,
                incoming_station=incoming["changed_station"],
                incoming_version=incoming["version"],
                bundle_id=m["bundle_id"],
                detected_at=now,
            )
        )


def _supersede_conflicts(conn: Connection, result: records.ApplyResult, now: dt.datetime) -> None:
    """A fast-forward that descends from an open conflict's incoming side settles it (the other
    station resolved it and sent the resolution)."""
    table = records.table_of(SyncConflict)
    for table_name, ids in result.updated_ids.items():
        open_rows = conn.execute(
            select(table.c.id, table.c.record_id, table.c.incoming_station, table.c.incoming_version).where(
                table.c.table_name == table_name, table.c.resolved_at.is_(None)
            )
        ).all()
        if not open_rows:
            continue
        wanted = {r.record_id: r for r in open_rows}
        spec = next(s for s in records.table_specs() if s.table_name == table_name)
        for rid in set(ids) & set(wanted):
            row = records.full_row(conn, spec, rid)
            assert row is not None, "a row this bundle has just updated"
            c = wanted[rid]
            if records.at_or_after(
                row["changed_station"], row["version"], c.incoming_station, c.incoming_version
            ) or records.at_or_after(
                row["base_station"], row["base_version"], c.incoming_station, c.incoming_version
            ):
                conn.execute(
                    table.update().where(table.c.id == c.id).values(resolved_at=now, resolution="superseded")
                )
