"""回执 (receipts): the receiving station says, signed, up to which counter it holds a sender's changes.

A receipt carries no residents' data (counts only), so it is signed but not encrypted. Importing it
raises the sender's ``acked_through`` (never lowers it: an old receipt replayed changes nothing), so
the next bundle no longer carries what the town already has.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from sqlalchemy import delete, func, select
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Station, StationCounter, SyncPeer, SyncRejection

from app.errors import EnvironmentFailure, UserError, environment_failure, os_error_text
from app.sync import bundle, gate, keys, records
from app.sync.common import ensure_peer, local_station, peer_stations, raise_if_busy
from app.sync.gaps import coverage, received_from
from app.workspace import Workspace

RECEIPT_FORMAT = "minqing-receipt"
RECEIPT_VERSION = 1
RECEIPT_SUFFIX = ".mqr"


def _canonical(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass
class ReceiptExport:
    path: Path
    village: str
    village_code: str
    through: int
    last_seq: int
    bundles: int


def export_receipts(
    ws: Workspace, out_dir: Path, *, village: str | None = None, today: dt.date | None = None
) -> list[ReceiptExport]:
    """One signed receipt per peer station that sent bundles (at a town: per village)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UserError(f"导出位置 {out_dir} 不存在或不是文件夹", field="out")
    me = local_station(ws)
    if me.kind != "town":
        raise UserError("回执由乡镇导出；村里上报的包本身就是它收到乡镇下发包的回执，不需要另导回执")
    today = today or dt.date.today()
    sign_key = keys.load_sign_key(ws.keys_dir, ws.key)
    results: list[ReceiptExport] = []
    for peer in peer_stations(ws):
        if village and village not in (peer.code, peer.id, peer.name):
            continue
        with ws.new_session() as s:
            got = received_from(s, peer.id)
        if not got:
            continue
        totals = dict.fromkeys(records.OUTCOMES, 0)
        for b in got:
            for k, v in json.loads(b.counts).items():
                totals[k] = totals.get(k, 0) + v
        rejected, rejected_total = _rejections_for(ws, peer.id)
        doc: dict[str, Any] = {
            "format": RECEIPT_FORMAT,
            "version": RECEIPT_VERSION,
            "receipt_id": str(uuid.uuid4()),
            "created_at": utcnow().isoformat(timespec="seconds") + "Z",
            "sender": {
                "station_id": me.id,
                "kind": me.kind,
                "code": me.code,
                "name": me.name,
                "sign_public_key": me.sign_public_key,
            },
            "recipient": {"station_id": peer.id, "code": peer.code, "name": peer.name},
            "through": coverage((b.seq, b.counter_from, b.counter_to) for b in got),
            "received_seqs": [b.seq for b in got],
            "last_seq": max(b.seq for b in got),
            "counts": totals,
            # rows refused by the authority rules: not acknowledged, whatever ``through`` says
            "rejected": rejected,
            "rejected_total": rejected_total,
        }
        doc["signature"] = keys.b64(sign_key.sign(_canonical(doc)))
        data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        stem = f"{peer.code}-receipt-{today:%Y%m%d}-{doc['last_seq']:04d}"
        path = out_dir / f"{stem}{RECEIPT_SUFFIX}"
        n = 1
        while path.exists():
            n += 1
            path = out_dir / f"{stem}-{n}{RECEIPT_SUFFIX}"
        try:
            bundle.write_atomically(path, data, lambda back: json.loads(back.decode("utf-8")))
        except (OSError, EnvironmentFailure) as exc:
            failure = environment_failure(exc)
            if failure is None or not results:
                raise
            # a stick full after some: say which are on it, and that the rest are still to be written
            written = "、".join(r.village for r in results)
            raise EnvironmentFailure(
                f"{failure.message}。已写好 {len(results)} 个村的回执（{written}），{peer.name}及以后的"
                "还没有写：换一个有空间的 U 盘，再写一次回执即可（已写好的会再写一份，不影响）"
            ) from None
        with ws.session() as s:
            ensure_peer(s, peer.id).last_receipt_export_at = utcnow()
        results.append(ReceiptExport(path, peer.name, peer.code, doc["through"], doc["last_seq"], len(got)))
    return results


def _rejections_for(ws: Workspace, station_id: str) -> tuple[list[dict[str, Any]], int]:
    """The rows of this peer that this station refused (the first MAX_RECEIPT_REJECTIONS) and their count."""
    table = records.table_of(SyncRejection)
    assert ws.engine is not None, "the workspace is open"
    with ws.engine.connect() as conn:
        total = conn.execute(
            select(func.count()).select_from(table).where(table.c.station_id == station_id)
        ).scalar_one()
        rows = conn.execute(
            select(table.c.record_type, table.c.record_id, table.c.version, table.c.reason)
            .where(table.c.station_id == station_id)
            .order_by(table.c.record_type, table.c.record_id)
            .limit(gate.MAX_RECEIPT_REJECTIONS)
        ).all()
    return [
        {"record_type": r.record_type, "id": r.record_id, "version": r.version, "reason": r.reason[:500]}
        for r in rows
    ], total


@dataclass
class ReceiptApplied:
    sender: str
    through: int
    acked_before: int
    acked_now: int
    last_seq: int
    counts: dict[str, int]
    rejected: int = 0  # rows the town refused (they stay unacknowledged)

    @property
    def changed(self) -> bool:
        return self.acked_now != self.acked_before


def read_receipt(ws: Workspace, path: Path) -> tuple[dict[str, Any], Station]:
    """Verify a receipt's format, fields (the gate), signature (against the pinned key) and recipient."""
    try:
        size = os.stat(path).st_size
        if size > gate.MAX_RECEIPT:
            raise UserError(f"{path} 有 {size // 1024} KB，不像民情簿的回执")
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise UserError(f"找不到回执文件 {path}") from None
    except OSError as exc:
        raise UserError(f"无法读取回执文件 {path}（{os_error_text(exc)}），请检查 U 盘是否插好") from None
    try:
        doc = gate.check_receipt(gate.load_receipt(data), RECEIPT_VERSION)
    except gate.ReceiptInvalid as exc:
        raise UserError(f"{path}：{exc.reason}") from None
    me = local_station(ws)
    if me.kind != "village":
        raise UserError("回执由乡镇导出、在村工作站导入；乡镇不导入回执（村里上报的包本身就是它的回执）")
    signature = keys.unb64(doc.pop("signature"))
    sender_id = doc["sender"]["station_id"]
    with ws.new_session() as s:
        sender = s.get(Station, sender_id)
    if sender is None or sender.is_local or sender.enrolled_at is None:
        raise UserError("回执来自未登记的工作站，不能采用")
    if sender.revoked_at is not None:
        raise UserError(f"回执来自已吊销的工作站 {sender.name}，不能采用")
    if sender.kind != "town":  # a village signs bundles, never receipts
        raise UserError(f"回执只能由乡镇签发，这张是 {sender.name}（村工作站）签的，不能采用")
    assert sender.sign_public_key is not None, "an enrolled station's key is pinned from its card"
    try:
        keys.sign_public(sender.sign_public_key).verify(signature, _canonical(doc))
    except InvalidSignature:
        raise UserError(f"回执签名不符：不是 {sender.name} 签发的，或已被改动") from None
    if doc["recipient"]["station_id"] != me.id:
        raise UserError(
            f"这张回执是给 {doc['recipient']['name']}（{doc['recipient']['code']}）的，不是本工作站的"
        )
    return doc, sender


def import_receipt(ws: Workspace, path: Path) -> ReceiptApplied:
    doc, sender = read_receipt(ws, path)
    try:
        return _apply_receipt(ws, doc, sender)
    except OperationalError as exc:
        raise_if_busy(exc)
        raise


def _apply_receipt(ws: Workspace, doc: dict[str, Any], sender: Station) -> ReceiptApplied:
    mine = ws.require_station()
    with ws.session() as s:
        peer = ensure_peer(s, sender.id)
        before = peer.acked_through
        # never beyond this station's own counter: a receipt cannot acknowledge changes not yet made
        own = s.get(StationCounter, mine.id)
        assert own is not None, "made with the local station"
        counter = own.value
        listed = len(doc.get("rejected", []))
        if doc.get("rejected_total", listed) <= listed:
            peer.acked_through = max(before, min(doc["through"], counter))
        # else: the town refused more rows than one receipt names; acknowledge nothing rather than
        # let an unnamed refused row count as received
        last = json.loads(peer.last_receipt) if peer.last_receipt else None
        if last is None or last.get("created_at", "") <= doc["created_at"]:
            peer.last_receipt = json.dumps(
                {
                    k: doc[k]
                    for k in ("receipt_id", "created_at", "through", "last_seq", "received_seqs", "counts")
                },
                ensure_ascii=False,
            )
            peer.last_receipt_at = utcnow()
            _replace_rejections(s, sender.id, doc.get("rejected", []))
        now_acked = peer.acked_through
    return ReceiptApplied(
        sender.name,
        doc["through"],
        before,
        now_acked,
        doc["last_seq"],
        doc["counts"],
        doc.get("rejected_total", len(doc.get("rejected", []))),
    )


def _replace_rejections(s: Session, station_id: str, rejected: list[dict[str, Any]]) -> None:
    """The town's newest receipt says which of this station's rows it refused: keep exactly those
    (they travel again in every bundle until they are fixed or re-keyed)."""
    table = records.table_of(SyncRejection)
    by_type = {spec.record_type: spec.table_name for spec in records.table_specs()}
    s.execute(delete(table).where(table.c.station_id == station_id))
    now = utcnow()
    rows = [
        {
            "station_id": station_id,
            "table_name": by_type[r["record_type"]],
            "record_type": r["record_type"],
            "record_id": r["id"],
            "version": r["version"],
            "reason": r["reason"],
            "bundle_id": None,
            "seq": 0,
            "detected_at": now,
        }
        for r in {(r["record_type"], r["id"]): r for r in rejected}.values()
        if r["record_type"] in by_type
    ]
    if rows:
        s.execute(table.insert(), rows)


def last_receipt(ws: Workspace, station_id: str) -> dict[str, Any] | None:
    with ws.new_session() as s:
        peer = s.scalars(select(SyncPeer).where(SyncPeer.station_id == station_id)).first()
        return json.loads(peer.last_receipt) if peer and peer.last_receipt else None
