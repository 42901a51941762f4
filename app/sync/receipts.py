"""回执 (receipts): the receiving station says, signed, up to which counter it holds a sender's changes.

A receipt carries no residents' data (counts only), so it is signed but not encrypted. Importing it
raises the sender's ``acked_through`` (never lowers it: an old receipt replayed changes nothing), so
the next bundle no longer carries what the town already has.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from sqlalchemy import select

from db.base import utcnow
from db.models import Station, SyncPeer

from app.errors import UserError
from app.sync import bundle, keys, records
from app.sync.exchange import coverage, ensure_peer, local_station, peer_stations, received_from
from app.workspace import Workspace

RECEIPT_FORMAT = "minqing-receipt"
RECEIPT_VERSION = 1
RECEIPT_SUFFIX = ".mqr"


def _canonical(doc: dict) -> bytes:
    return json.dumps(doc, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


@dataclass
class ReceiptExport:
    path: Path
    village: str
    village_code: str
    through: int
    last_seq: int
    bundles: int


def export_receipts(ws: Workspace, out_dir: Path, *, village: str | None = None,
                    today: dt.date | None = None) -> list[ReceiptExport]:
    """One signed receipt per peer station that sent bundles (at a town: per village)."""
    out_dir = Path(out_dir)
    if not out_dir.is_dir():
        raise UserError(f"导出位置 {out_dir} 不存在或不是文件夹", field="out")
    me = local_station(ws)
    today = today or dt.date.today()
    sign_key = keys.load_sign_key(ws.keys_dir)
    results = []
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
        doc = {
            "format": RECEIPT_FORMAT, "version": RECEIPT_VERSION, "receipt_id": str(uuid.uuid4()),
            "created_at": utcnow().isoformat(timespec="seconds") + "Z",
            "sender": {"station_id": me.id, "kind": me.kind, "code": me.code, "name": me.name,
                       "sign_public_key": me.sign_public_key},
            "recipient": {"station_id": peer.id, "code": peer.code, "name": peer.name},
            "through": coverage((b.seq, b.counter_from, b.counter_to) for b in got),
            "received_seqs": [b.seq for b in got],
            "last_seq": max(b.seq for b in got),
            "counts": totals,
        }
        doc["signature"] = keys.b64(sign_key.sign(_canonical(doc)))
        data = json.dumps(doc, ensure_ascii=False, indent=2).encode("utf-8")
        stem = f"{peer.code}-receipt-{today:%Y%m%d}-{doc['last_seq']:04d}"
        path = out_dir / f"{stem}{RECEIPT_SUFFIX}"
        n = 1
        while path.exists():
            n += 1
            path = out_dir / f"{stem}-{n}{RECEIPT_SUFFIX}"
        bundle.write_atomically(path, data, lambda back: json.loads(back.decode("utf-8")))
        with ws.session() as s:
            ensure_peer(s, peer.id).last_receipt_export_at = utcnow()
        results.append(ReceiptExport(path, peer.name, peer.code, doc["through"], doc["last_seq"], len(got)))
    return results


@dataclass
class ReceiptApplied:
    sender: str
    through: int
    acked_before: int
    acked_now: int
    last_seq: int
    counts: dict[str, int]

    @property
    def changed(self) -> bool:
        return self.acked_now != self.acked_before


def read_receipt(ws: Workspace, path: Path) -> tuple[dict, Station]:
    """Verify a receipt's format, signature (against the pinned key) and recipient."""
    try:
        doc = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UserError(f"找不到回执文件 {path}") from None
    except (UnicodeDecodeError, ValueError):
        raise UserError(f"{path} 不是民情簿的回执（文件不完整或已损坏）") from None
    if not isinstance(doc, dict) or doc.get("format") != RECEIPT_FORMAT:
        raise UserError(f"{path} 不是民情簿的回执")
    if not isinstance(doc.get("version"), int) or doc["version"] > RECEIPT_VERSION:
        raise UserError(f"{path} 的回执版本过新，请升级民情簿")
    me = local_station(ws)
    try:
        signature = keys.unb64(doc.pop("signature"))
        sender_id = doc["sender"]["station_id"]
        recipient_id = doc["recipient"]["station_id"]
        int(doc["through"])
    except (KeyError, TypeError, ValueError):
        raise UserError(f"{path} 的回执内容不完整") from None
    with ws.new_session() as s:
        sender = s.get(Station, sender_id)
    if sender is None or sender.is_local or sender.enrolled_at is None:
        raise UserError("回执来自未登记的工作站，不能采用")
    if sender.revoked_at is not None:
        raise UserError(f"回执来自已吊销的工作站 {sender.name}，不能采用")
    try:
        keys.sign_public(sender.sign_public_key).verify(signature, _canonical(doc))
    except InvalidSignature:
        raise UserError(f"回执签名不符：不是 {sender.name} 签发的，或已被改动") from None
    if recipient_id != me.id:
        raise UserError(f"这张回执是给 {doc['recipient'].get('name')}（{doc['recipient'].get('code')}）的，不是本工作站的")
    return doc, sender


def import_receipt(ws: Workspace, path: Path) -> ReceiptApplied:
    doc, sender = read_receipt(ws, path)
    with ws.session() as s:
        peer = ensure_peer(s, sender.id)
        before = peer.acked_through
        peer.acked_through = max(before, int(doc["through"]))
        last = json.loads(peer.last_receipt) if peer.last_receipt else None
        if last is None or last.get("created_at", "") <= doc["created_at"]:
            peer.last_receipt = json.dumps({k: doc[k] for k in ("receipt_id", "created_at", "through", "last_seq",
                                                                 "received_seqs", "counts")}, ensure_ascii=False)
            peer.last_receipt_at = utcnow()
        now_acked = peer.acked_through
    return ReceiptApplied(sender.name, int(doc["through"]), before, now_acked, doc.get("last_seq", 0),
                          doc.get("counts", {}))


def last_receipt(ws: Workspace, station_id: str) -> dict | None:
    with ws.new_session() as s:
        peer = s.scalars(select(SyncPeer).where(SyncPeer.station_id == station_id)).first()
        return json.loads(peer.last_receipt) if peer and peer.last_receipt else None
