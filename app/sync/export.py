"""Writing bundles: village → town (上报包) and town → village (下发包), one mechanism.

Export: every change this station made that the recipient has not acknowledged (by a receipt or by
the ``acknowledges`` of its own bundles), so exporting twice without a receipt repeats the content.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection

from db import migrate
from db.base import utcnow
from db.models import Attachment, Station, StationCounter, SyncPeer, User

from app import __version__, attachments, audit
from app.errors import UserError
from app.sync import bundle, keys, records
from app.sync.bundle import Section
from app.sync.common import (
    ATTACHMENT_DATA,
    ATTACHMENT_INDEX,
    BUNDLE_SUFFIX,
    ensure_peer,
    local_station,
    peer_stations,
)
from app.sync.gaps import coverage, received_from
from app.workspace import Workspace

log = logging.getLogger("minqing.sync")


@dataclass
class ExportResult:
    path: Path
    recipient: str  # recipient station's name
    village_code: str
    seq: int
    counter_from: int
    counter_to: int
    counts: dict[str, int]
    attachments: int
    missing_files: list[str]  # the file names of the attachments left out (not here, or unreadable)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def missing_attachments(self) -> int:
        return len(self.missing_files)

    def missing_note(self) -> str:
        """What to tell the person who exported, in Chinese: empty when every attachment went."""
        if not self.missing_files:
            return ""
        shown = "、".join(
            f"“{name if len(name) <= NAME_SHOWN else name[: NAME_SHOWN - 1] + '…'}”"
            for name in self.missing_files[:MISSING_NAMED]
        )
        more = f"等 {len(self.missing_files)} 个" if len(self.missing_files) > MISSING_NAMED else ""
        these = "这条" if len(self.missing_files) == 1 else "这几条"
        return (
            f"注意：附件{shown}{more}的文件在本机找不到或读不出（磁盘可能有坏道），没有带上，"
            f"乡镇会把{these}附件记录退回。请找到原文件，在原记录里删去后重新添加，再导出一次。"
        )


MISSING_NAMED = 5  # the missing attachments named in a message; the rest are counted
NAME_SHOWN = 40  # characters of a file name in a message (the model allows 255)


def _recipients(ws: Workspace, me: Station, village: str | None) -> list[Station]:
    peers = [p for p in peer_stations(ws) if p.revoked_at is None]
    if me.kind == "village":
        towns = [p for p in peers if p.kind == "town"]
        if not towns:
            raise UserError(
                "本工作站还没有绑定乡镇：请在“上报与同步”页点“导入乡镇卡片”（或用 python -m app bind）"
                "导入乡镇导出的卡片后再导出上报包"
            )
        return towns[:1]
    villages = [p for p in peers if p.kind == "village"]
    if village:
        villages = [p for p in villages if village in (p.code, p.id, p.name)]
        if not villages:
            raise UserError(f"没有登记过“{village}”的村工作站（或已吊销）", field="village")
    return villages


def export_bundles(
    ws: Workspace,
    out_dir: Path,
    *,
    village: str | None = None,
    today: dt.date | None = None,
    include_empty: bool | None = None,
    format_version: int = bundle.FORMAT_VERSION,
    extra_requires: Iterable[str] = (),
    now: dt.datetime | None = None,
    actor: User | None = None,
) -> list[ExportResult]:
    """Write one bundle per recipient into ``out_dir``. A village always writes one (it also carries
    its acknowledgement of the town's bundles); a town skips villages it has nothing new for. ``now``
    (UTC; default the clock's): the time the bundles say they were written at."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UserError(f"导出位置 {out_dir} 不存在或不是文件夹，请插好 U 盘或换一个文件夹", field="out")
    me = local_station(ws)
    if include_empty is None:
        include_empty = me.kind == "village"
    today = today or dt.date.today()
    results = []
    for recipient in _recipients(ws, me, village):
        result = _export_one(
            ws, me, recipient, out_dir, today, include_empty, format_version, extra_requires, now or utcnow()
        )
        if result is not None:
            results.append(result)
    if results:  # who carried what out (the bundles are sealed for their recipient: still residents' data)
        with ws.session() as s:
            for r in results:
                audit.record(
                    s, actor, "bundle.export", detail=f"第 {r.seq} 号包给{r.recipient}，{r.path.name}"
                )
    return results


def _attachment_contents(
    ws: Workspace,
    conn: Connection,
    spec: records.TableSpec,
    rows: Sequence[Sequence[Any]],
    index: list[dict[str, Any]],
    blobs: list[bytes],
) -> list[str]:
    """The content of the live attachments among ``rows`` (into ``index`` and ``blobs``, each content
    once); returns the file names of those whose content is not on this station, or cannot be read
    (a damaged sector of the disk): the bundle goes without them, and says so, rather than not at all."""
    sha_at, deleted_at = spec.columns.index("sha256"), spec.columns.index("deleted_at")
    name_at = spec.columns.index("filename")
    missing: list[str] = []
    seen: set[str] = set()
    for row in rows:
        sha = row[sha_at]
        if row[deleted_at] is not None or sha in seen:
            continue
        try:
            data = attachments.load_blob(conn, ws.attachments_dir, sha)
        except OSError as exc:  # the file is there and cannot be read
            log.warning("attachment %s unreadable, left out of the bundle: %r", sha, exc)
            data = None
        if data is None:
            missing.append(str(row[name_at]))
            continue
        seen.add(sha)
        index.append({"sha256": sha, "size": len(data)})
        blobs.append(data)
    return missing


def _export_one(
    ws: Workspace,
    me: Station,
    recipient: Station,
    out_dir: Path,
    today: dt.date,
    include_empty: bool,
    format_version: int,
    extra_requires: Iterable[str],
    now: dt.datetime,
) -> ExportResult | None:
    sign_key = keys.load_sign_key(ws.keys_dir, ws.key)
    village_filter = recipient.code if me.kind == "town" else None
    with ws.new_session() as s, s.begin():
        peer = s.get(SyncPeer, recipient.id)
        after = peer.acked_through if peer else 0
        seq = (peer.last_seq if peer else 0) + 1
        own = s.get(StationCounter, me.id)
        assert own is not None, "made with the local station"
        counter_to = own.value
        conn = s.connection()
        sections: list[Section] = []
        counts: dict[str, int] = {}
        index: list[dict[str, Any]] = []
        blobs: list[bytes] = []
        missing: list[str] = []
        for spec in records.table_specs():
            rows = records.select_changes(
                conn,
                spec,
                me.id,
                after,
                village_filter,
                refused_by=recipient.id if me.kind == "village" else None,
            )
            counts[spec.record_type] = len(rows)
            sections.append(
                Section(f"table:{spec.record_type}", records.encode_section(spec, rows), len(rows))
            )
            if spec.table_name == Attachment.__tablename__:
                missing = _attachment_contents(ws, conn, spec, rows, index, blobs)
        acknowledges = {
            "station_id": recipient.id,
            "through": coverage(
                (b.seq, b.counter_from, b.counter_to) for b in received_from(s, recipient.id)
            ),
        }
    if not include_empty and not any(counts.values()):
        return None
    sections.append(Section(ATTACHMENT_INDEX, json.dumps(index).encode("utf-8"), len(index)))
    sections.append(Section(ATTACHMENT_DATA, b"".join(blobs), len(blobs), compress=False))
    bundle_id = str(uuid.uuid4())
    manifest: dict[str, Any] = {
        "format": bundle.FORMAT_NAME,
        "format_version": format_version,
        "schema_version": migrate.head_revision(),
        "app_version": __version__,
        "requires": sorted(set(bundle.CAPABILITIES) | set(extra_requires)),
        "direction": "up" if me.kind == "village" else "down",
        "bundle_id": bundle_id,
        "sequence": seq,
        "created_at": now.isoformat(timespec="seconds") + "Z",
        "sender": {
            "station_id": me.id,
            "kind": me.kind,
            "code": me.code,
            "name": me.name,
            "town_code": me.town_code,
            "sign_public_key": me.sign_public_key,
        },
        "recipient": {
            "station_id": recipient.id,
            "kind": recipient.kind,
            "code": recipient.code,
            "name": recipient.name,
            "town_code": recipient.town_code,
        },
        "village_code": recipient.code if me.kind == "town" else me.code,
        "counter": {"from": after, "to": counter_to},
        "prerequisites": {"sender_changes_through": after},
        "acknowledges": acknowledges,
        "tables": {spec.record_type: spec.table_name for spec in records.table_specs()},
    }
    assert recipient.encrypt_public_key is not None, "a peer's keys are pinned from its card"
    data = bundle.build(
        manifest, sections, sign_key, recipient.encrypt_public_key, format_version=format_version
    )
    village_code = manifest["village_code"]
    stem = f"{village_code}-{manifest['direction']}-{today:%Y%m%d}-{seq:04d}"
    path = _safe_name(out_dir, stem)

    def verify(back: bytes) -> None:
        if format_version == bundle.FORMAT_VERSION:
            bundle.parse(back)

    bundle.write_atomically(path, data, verify)
    with ws.session() as s:
        peer = ensure_peer(s, recipient.id)
        peer.last_seq = max(peer.last_seq, seq)
        peer.last_export_at = utcnow()
        peer.last_export_file = str(path)
    return ExportResult(
        path, recipient.name, village_code, seq, after, counter_to, counts, len(index), missing
    )


def _safe_name(out_dir: Path, stem: str) -> Path:
    """FAT32/Windows-safe: ASCII digits, letters and dashes only; never overwrite."""
    path = out_dir / f"{stem}{BUNDLE_SUFFIX}"
    n = 1
    while path.exists():
        n += 1
        path = out_dir / f"{stem}-{n}{BUNDLE_SUFFIX}"
    return path
