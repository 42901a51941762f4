"""附件: files (photos, scans, evidence) kept in the workspace by SHA-256 and owned by any record.

The file lives at ``<workspace>/attachments/<sha[:2]>/<sha>``; the ``attachment`` row (a synced
record) names it. The same content is stored once however often it is attached.
"""

from __future__ import annotations

import hashlib
import mimetypes
import os
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Attachment

from app.errors import UserError

MAX_SIZE = 20 * 1024 * 1024  # 20 MB: a phone photo or a multi-page scan


@dataclass(frozen=True)
class AttachmentInfo:
    id: str
    filename: str
    mime: str | None
    size: int
    sha256: str
    note: str | None


def blob_path(attachments_dir: Path, sha256: str) -> Path:
    return attachments_dir / sha256[:2] / sha256


def _present(target: Path | str, size: int) -> bool:
    """Already stored (a file cut short by a crash is written again)."""
    try:
        return os.stat(target).st_size == size
    except FileNotFoundError:
        return False


def store_blob(attachments_dir: Path, data: bytes) -> str:
    """Write content (if not yet there) atomically; returns its SHA-256."""
    sha = hashlib.sha256(data).hexdigest()
    target = blob_path(attachments_dir, sha)
    if _present(target, len(data)):
        return sha
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return sha


def store_blobs(attachments_dir: Path, blobs: Iterable[tuple[str, bytes]]) -> int:
    """Many files at once (a bundle's, whose SHA-256 the caller has checked): all written to temporary
    names, made durable together, then renamed into place and made durable again. One ``os.sync``
    per step where the system has it instead of an fsync per file: a village-year carries thousands of
    signatures, and an fsync each costs minutes on a laptop disk. Returns the files written."""
    pending: list[tuple[str, str]] = []
    seen: set[str] = set()
    folders: set[str] = set()
    base = os.fspath(attachments_dir)
    try:
        for sha, data in blobs:
            folder = os.path.join(base, sha[:2])
            target = os.path.join(folder, sha)
            if sha in seen or _present(target, len(data)):
                continue
            seen.add(sha)
            if folder not in folders:
                os.makedirs(folder, exist_ok=True)
                folders.add(folder)
            tmp = os.path.join(folder, f".tmp-{sha}-{os.getpid()}")  # this process's own; an old one is overwritten
            pending.append((tmp, target))
            with open(tmp, "wb") as f:
                f.write(data)
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


def attach_file(session: Session, attachments_dir: Path, owner_table: str, owner_id: str, path: Path | str,
                *, note: str | None = None, max_size: int = MAX_SIZE) -> AttachmentInfo:
    path = Path(path)
    if not path.is_file():
        raise UserError(f"找不到文件 {path}", field="attachment")
    size = path.stat().st_size
    if size > max_size:
        raise UserError(f"文件 {path.name} 有 {size / 1048576:.1f} MB，超过 {max_size // 1048576} MB 的上限，"
                        "请压缩或拍得小一些再附上", field="attachment")
    return attach_bytes(session, attachments_dir, owner_table, owner_id, path.read_bytes(), path.name, note=note,
                        max_size=max_size)


def attach_bytes(session: Session, attachments_dir: Path, owner_table: str, owner_id: str, data: bytes,
                 filename: str, *, mime: str | None = None, note: str | None = None,
                 max_size: int = MAX_SIZE) -> AttachmentInfo:
    if len(data) > max_size:
        raise UserError(f"附件 {filename} 超过 {max_size // 1048576} MB 的上限", field="attachment")
    sha = store_blob(attachments_dir, data)
    row = Attachment(owner_table=owner_table, owner_id=owner_id, filename=filename,
                     mime=mime or mimetypes.guess_type(filename)[0], size=len(data), sha256=sha, note=note)
    session.add(row)
    session.flush()
    return _info(row)


def _info(row: Attachment) -> AttachmentInfo:
    return AttachmentInfo(row.id, row.filename, row.mime, row.size, row.sha256, row.note)


def list_attachments(session: Session, owner_table: str, owner_id: str) -> list[AttachmentInfo]:
    rows = session.scalars(
        select(Attachment).where(Attachment.owner_table == owner_table, Attachment.owner_id == owner_id,
                                 Attachment.deleted_at.is_(None)).order_by(Attachment.created_at)
    )
    return [_info(r) for r in rows]


def remove_attachment(session: Session, attachment_id: str) -> None:
    """Soft delete: the record is tombstoned; the file stays until a privacy purge."""
    row = session.get(Attachment, attachment_id)
    if row is None:
        raise UserError("找不到这个附件")
    row.deleted_at = utcnow()


def read_attachment(attachments_dir: Path, info: AttachmentInfo) -> bytes:
    path = blob_path(attachments_dir, info.sha256)
    if not path.exists():
        raise UserError(f"附件 {info.filename} 的文件不在本机（可能尚未随上报包同步过来）")
    return path.read_bytes()


def export_attachment(attachments_dir: Path, info: AttachmentInfo, target: Path) -> Path:
    shutil.copyfile(blob_path(attachments_dir, info.sha256), target)
    return target
