"""附件: photos, scans and signatures kept by SHA-256 and owned by any record.

The ``attachment`` row (a synced record) names the content by its SHA-256. Content of up to
:data:`SMALL` bytes (a signature picture, a small scan) is a row of ``attachment_content``, written in
the same transaction as the record that owns it; larger content (photos, multi-page scans) is the
file ``<workspace>/attachments/<sha[:2]>/<sha>``, so the database and its backups stay small. Files
of small content written by older versions stay where they are and are read from there. The same
content is stored once however often it is attached.

Files are sealed with the workspace key (:mod:`db.cipher`, docs/security.md), bound to their hash; a
plain file left by a version before encryption is still read (the conversion seals them all).
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from db import cipher
from db.base import utcnow
from db.files import replace_atomically
from db.models import Attachment

from app.errors import UserError
from app.work import Work

MAX_SIZE = 20 * 1024 * 1024  # 20 MB: a phone photo or a multi-page scan
SMALL = 64 * 1024  # up to this size in the database: a village-year's thousands of signatures are no files

_INSERT = "INSERT OR IGNORE INTO attachment_content (sha256, data) VALUES (?, ?)"


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    filename: str
    mime: str | None
    size: int
    sha256: str
    note: str | None


_SHA256 = re.compile(r"[0-9a-f]{64}")


def require_sha256(value: object) -> None:
    """Refuse (ValueError) a value that is not 64 lowercase hex digits: the only names of stored content."""
    if not isinstance(value, str) or not _SHA256.fullmatch(value):
        raise ValueError("not a SHA-256")


def blob_path(attachments_dir: Path, sha256: str) -> Path:
    """Where content larger than :data:`SMALL` (or stored by an older version) is kept as a file.

    The name is the content's SHA-256 and nothing else: a value that is not 64 lowercase hex digits
    (``./../keys/sign.key`` from a forged bundle) never becomes a path."""
    require_sha256(sha256)
    return attachments_dir / sha256[:2] / sha256


def _present(target: Path | str, size: int) -> bool:
    """Already stored (a file cut short by a crash is written again)."""
    try:
        return os.stat(target).st_size == size
    except FileNotFoundError:
        return False


def store_blob(conn: Connection, attachments_dir: Path, data: bytes) -> str:
    """Store content (if not yet there) within ``conn``'s transaction, or atomically as a file when
    large; returns its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    store_blobs(conn, attachments_dir, [(sha, data)])
    return sha


def store_blobs(conn: Connection, attachments_dir: Path, blobs: Iterable[tuple[str, bytes]]) -> int:
    """Many at once (a bundle's, whose SHA-256 the caller has checked); returns how many were new.

    Small content goes into ``attachment_content`` in one statement of ``conn``'s transaction. Large
    content is written to files under temporary names, made durable together, then renamed into
    place and made durable again: one ``os.sync`` per step where the system has it instead of an
    fsync per file. Either way it is on disk before the caller's transaction commits."""
    small: list[tuple[str, bytes]] = []
    large: list[tuple[str, bytes]] = []
    for sha, data in blobs:
        (small if len(data) <= SMALL else large).append((sha, data))
    stored = 0
    for sha, _data in small + large:
        require_sha256(sha)  # refuses anything but a hash before a byte is written
    if small:
        stored += conn.exec_driver_sql(_INSERT, small).rowcount
    if large:
        stored += _store_files(attachments_dir, large, cipher.engine_key(conn.engine))
    return stored


def sealed(key: bytes | None, sha: str, data: bytes) -> bytes:
    """The bytes of the file that keeps ``data`` (sealed when the workspace has a key)."""
    return data if key is None else cipher.seal(key, "attachment", data, sha)


def _store_files(attachments_dir: Path, blobs: list[tuple[str, bytes]], key: bytes | None) -> int:
    pending: list[tuple[str, str]] = []
    seen: set[str] = set()
    folders: set[str] = set()
    base = os.fspath(attachments_dir)
    try:
        for sha, data in blobs:
            folder = os.path.join(base, sha[:2])
            target = os.path.join(folder, sha)
            content = sealed(key, sha, data)
            if sha in seen or _present(target, len(content)):
                continue
            seen.add(sha)
            if folder not in folders:
                os.makedirs(folder, exist_ok=True)
                folders.add(folder)
            fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-")
            pending.append((tmp, target))
            with os.fdopen(fd, "wb") as f:
                f.write(content)
                if not hasattr(os, "sync"):
                    f.flush()
                    os.fsync(f.fileno())
        if pending:
            _sync()
            for tmp, target in pending:
                os.replace(tmp, target)
            _sync()
    except BaseException:
        for tmp, _target in pending:
            Path(tmp).unlink(missing_ok=True)
        raise
    return len(pending)


def _sync() -> None:
    if hasattr(os, "sync"):  # POSIX: the written files reach the disk in one call
        os.sync()


def load_blob(conn: Connection, attachments_dir: Path, sha256: str) -> bytes | None:
    """The content with this SHA-256, or None when it is not on this station (or ``sha256`` is not
    a hash, or the stored bytes do not hash to it)."""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        return None
    data = conn.exec_driver_sql("SELECT data FROM attachment_content WHERE sha256 = ?", (sha256,)).scalar()
    if data is None:
        try:
            data = read_file(blob_path(attachments_dir, sha256), sha256, cipher.engine_key(conn.engine))
        except FileNotFoundError:
            return None
        if data is None:
            return None
    data = bytes(data)
    if hashlib.sha256(data).hexdigest() != sha256:  # never hand out bytes under a name they do not have
        return None
    return data


def read_file(path: Path, sha256: str, key: bytes | None) -> bytes | None:
    """The content of an attachment file: unsealed, or as it is when plain (from before encryption);
    None when the seal does not open (damaged, or another workspace's)."""
    raw = path.read_bytes()
    if not cipher.is_sealed(raw):
        return raw
    if key is None:
        return None
    try:
        return cipher.unseal(key, "attachment", raw, sha256)
    except cipher.SealBroken:
        return None


def seal_plain_files(attachments_dir: Path, key: bytes) -> int:
    """Seal every plain attachment file (a workspace from before encryption); returns how many. Each
    is replaced atomically, so a run cut short is finished by the next."""
    done = 0
    for path in sorted(Path(attachments_dir).glob("*/*")):
        if not _SHA256.fullmatch(path.name) or not path.is_file():
            continue
        raw = path.read_bytes()
        if cipher.is_sealed(raw):
            continue
        replace_atomically(path, cipher.seal(key, "attachment", raw, path.name))
        done += 1
    return done


def has_blob(conn: Connection, attachments_dir: Path, sha256: str) -> bool:
    """Is this content on this station (without reading a file)?"""
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        return False
    if (
        conn.exec_driver_sql("SELECT 1 FROM attachment_content WHERE sha256 = ?", (sha256,)).first()
        is not None
    ):
        return True
    return blob_path(attachments_dir, sha256).is_file()


def attach_file(
    work: Work,
    owner_table: str,
    owner_id: str,
    path: Path | str,
    *,
    note: str | None = None,
    max_size: int = MAX_SIZE,
    village_code: str | None = None,
) -> AttachmentInfo:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"找不到文件 {path}", field="attachment")
    size = path.stat().st_size
    if size > max_size:
        raise UserError(
            f"文件 {path.name} 有 {size / 1048576:.1f} MB，超过 {max_size // 1048576} MB 的上限，"
            "请压缩或拍得小一些再附上",
            field="attachment",
        )
    return attach_bytes(
        work,
        owner_table,
        owner_id,
        path.read_bytes(),
        path.name,
        note=note,
        max_size=max_size,
        village_code=village_code,
    )


def attach_bytes(
    work: Work,
    owner_table: str,
    owner_id: str,
    data: bytes,
    filename: str,
    *,
    mime: str | None = None,
    note: str | None = None,
    max_size: int = MAX_SIZE,
    village_code: str | None = None,
) -> AttachmentInfo:
    """``village_code``: the owner's village when it is not this station's own (a town's photo of its
    镇 为民实事 for a village, docs/projects.md)."""
    if len(data) > max_size:
        raise UserError(f"附件 {filename} 超过 {max_size // 1048576} MB 的上限", field="attachment")
    session = work.session
    sha = store_blob(session.connection(), work.paths.attachments, data)
    row = Attachment(
        owner_table=owner_table,
        owner_id=owner_id,
        filename=filename,
        mime=mime or mimetypes.guess_type(filename)[0],
        size=len(data),
        sha256=sha,
        note=note,
    )
    if village_code is not None:
        row.village_code = village_code
    session.add(row)
    session.flush()
    return _info(row)


def list_attachments(work: Work, owner_table: str, owner_id: str) -> list[AttachmentInfo]:
    return attachments_of(work.session, owner_table, owner_id)


def remove_attachment(work: Work, attachment_id: str) -> None:
    """Soft delete: the record is tombstoned; the file stays until a privacy purge."""
    row = work.session.get(Attachment, attachment_id)
    if row is None:
        raise UserError("找不到这个附件")
    row.deleted_at = utcnow()


def read_attachment(work: Work, info: AttachmentInfo) -> bytes:
    data = load_blob(work.session.connection(), work.paths.attachments, info.sha256)
    if data is None:
        raise UserError(f"附件 {info.filename} 的内容不在本机（可能尚未随上报包同步过来）")
    return data


def _info(row: Attachment) -> AttachmentInfo:
    return AttachmentInfo(row.id, row.filename, row.mime, row.size, row.sha256, row.note)


def attachments_of(session: Session, owner_table: str, owner_id: str) -> list[AttachmentInfo]:
    """The live attachments of one record (for code inside a unit of work that holds its session)."""
    rows = session.scalars(
        select(Attachment)
        .where(
            Attachment.owner_table == owner_table,
            Attachment.owner_id == owner_id,
            Attachment.deleted_at.is_(None),
        )
        .order_by(Attachment.created_at)
    )
    return [_info(r) for r in rows]
