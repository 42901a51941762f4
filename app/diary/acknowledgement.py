"""Acknowledgement (群众签字认可): what the resident signs (the entry's canonical content and its
hash), the methods (当场签字, 纸质签字, 拒签), recording an acknowledgement and the signature image."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, bindparam, select
from sqlalchemy.orm import Session

from db import vocab
from db.base import derived_id
from db.models import Acknowledgement, Attachment, Demand, DiaryEntry, DiaryParticipant

from app import attachments, audit
from app.diary.common import ENTRY_FIELDS, clean, live_entry, require_writer
from app.errors import UserError
from app.ownership import require_own_record
from app.work import Work

ACK_METHODS = vocab.ACK_METHODS  # 当场签字, 纸质签字, 拒签: stored as they read
SIGNED_METHODS = vocab.SIGNED_METHODS
SIGNATURE, PAPER_PHOTO, REFUSED = vocab.SIGNATURE, vocab.PAPER_PHOTO, vocab.REFUSED

# The audit log's action names kept from when the methods were stored as English codes.
AUDIT_ACTIONS = {
    SIGNATURE: "diary.ack.signature",
    PAPER_PHOTO: "diary.ack.paper_photo",
    REFUSED: "diary.ack.refused",
}


def acknowledgement_id(entry_id: str) -> str:
    return derived_id(entry_id, "acknowledgement")


@dataclass(frozen=True)
class AcknowledgementInfo:
    id: str
    method: str
    signer_name: str
    signer_relation: str
    signed_at: dt.datetime
    attachment_id: str | None
    refusal_reason: str
    content_hash: str
    matches_content: bool  # the entry's content still hashes to what was signed

    @property
    def signed(self) -> bool:
        return self.method in SIGNED_METHODS

    @property
    def method_label(self) -> str:
        return self.method


def live_ack(session: Session, entry_id: str) -> Acknowledgement | None:
    ack = session.get(Acknowledgement, acknowledgement_id(entry_id))
    if ack is None:
        ack = session.scalars(select(Acknowledgement).where(Acknowledgement.entry_id == entry_id)).first()
    return ack if ack is not None and ack.deleted_at is None else None


def acknowledgement_info(session: Session, entry_id: str) -> AcknowledgementInfo | None:
    """The entry's acknowledgement, and whether its content still hashes to what was signed."""
    ack = live_ack(session, entry_id)
    if ack is None:
        return None
    return AcknowledgementInfo(
        ack.id,
        ack.method,
        ack.signer_name,
        ack.signer_relation,
        ack.signed_at,
        ack.attachment_id,
        ack.refusal_reason,
        ack.content_hash,
        ack.content_hash == hash_canonical(canonical_content(session, entry_id)),
    )


# -- what the resident signs ------------------------------------------------------------------------
def canonical_content(session: Session, entry_id: str) -> dict[str, Any]:
    """What the resident signs: the entry's text, who was met and the demands as heard (not their handling)."""
    e = live_entry(session, entry_id)
    parts = [
        (p.household_id, p.person_id)
        for p in session.scalars(
            select(DiaryParticipant).where(
                DiaryParticipant.entry_id == entry_id, DiaryParticipant.deleted_at.is_(None)
            )
        )
    ]
    demands = [
        (d.category, d.content, d.due_on)
        for d in session.scalars(
            select(Demand).where(Demand.entry_id == entry_id, Demand.deleted_at.is_(None))
        )
    ]
    return canonical_from_values(
        {c: getattr(e, c) for c in ("id", "occurred_at", "kind", *ENTRY_FIELDS, "follow_up_on")},
        parts,
        demands,
    )


def canonical_from_values(
    entry: Mapping[str, Any],
    participants: Iterable[tuple[str, str | None]],
    demands: Iterable[tuple[str, str, dt.date | None]],
) -> dict[str, Any]:
    """The canonical form from plain values (also used by bulk writers such as the demo data)."""
    return {
        "id": entry["id"],
        "occurred_at": entry["occurred_at"].strftime("%Y-%m-%d %H:%M"),
        "kind": entry["kind"],
        **{f: entry[f] or "" for f in ENTRY_FIELDS},
        "follow_up_on": entry["follow_up_on"].isoformat() if entry["follow_up_on"] else "",
        "participants": sorted([h, p or ""] for h, p in participants),
        "demands": sorted([c, t, due.isoformat() if due else ""] for c, t, due in demands),
    }


def hash_canonical(canonical: dict[str, Any]) -> str:
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def rehash_translated(conn: Connection, entry_ids: Iterable[str], chunk: int = 500) -> int:
    """After the rows of a bundle made before :data:`db.vocab.VOCAB_REVISION` were written with their
    English codes translated (:func:`db.vocab.translate_rows`): the acknowledgements of these entries
    whose hash matches the entry's content as its sender hashed it (the kind as its English code) get
    the hash of the content as it is stored here, as migration 0011 did at every station; one that does
    not match (the entry was changed after signing) keeps its hash and stays flagged. Core, inside the
    importer's transaction; returns how many hashes were rewritten."""
    ids = sorted(set(entry_ids))
    entry_t, part_t, demand_t, ack_t = (
        DiaryEntry.__table__,
        DiaryParticipant.__table__,
        Demand.__table__,
        Acknowledgement.__table__,
    )
    assert isinstance(ack_t, Table), "Acknowledgement maps one Table"  # typed as any FROM clause
    rewritten = 0
    for start in range(0, len(ids), chunk):
        part = ids[start : start + chunk]
        acks = conn.execute(
            select(ack_t.c.id, ack_t.c.entry_id, ack_t.c.content_hash).where(ack_t.c.entry_id.in_(part))
        ).all()
        if not acks:
            continue
        wanted = sorted({a.entry_id for a in acks})
        people: dict[str, list[tuple[str, str | None]]] = {}
        for r in conn.execute(
            select(part_t.c.entry_id, part_t.c.household_id, part_t.c.person_id).where(
                part_t.c.entry_id.in_(wanted), part_t.c.deleted_at.is_(None)
            )
        ):
            people.setdefault(r.entry_id, []).append((r.household_id, r.person_id))
        heard: dict[str, list[tuple[str, str, dt.date | None]]] = {}
        for d in conn.execute(
            select(demand_t.c.entry_id, demand_t.c.category, demand_t.c.content, demand_t.c.due_on).where(
                demand_t.c.entry_id.in_(wanted), demand_t.c.deleted_at.is_(None)
            )
        ):
            heard.setdefault(d.entry_id, []).append((d.category, d.content, d.due_on))
        hashes = {}
        columns = [entry_t.c[c] for c in ("id", "occurred_at", "kind", *ENTRY_FIELDS, "follow_up_on")]
        for r in conn.execute(select(*columns).where(entry_t.c.id.in_(wanted))):
            entry = dict(r._mapping)
            now = hash_canonical(canonical_from_values(entry, people.get(r.id, []), heard.get(r.id, [])))
            as_sent = [entry["kind"]]
            vocab.translate_rows("diary_entry", ["kind"], [as_sent], to_legacy=True)
            entry["kind"] = as_sent[0]
            sent = hash_canonical(canonical_from_values(entry, people.get(r.id, []), heard.get(r.id, [])))
            hashes[r.id] = (sent, now)
        changed = [
            {"ack_id": a.id, "new_hash": hashes[a.entry_id][1]}
            for a in acks
            if a.entry_id in hashes and a.content_hash == hashes[a.entry_id][0]
        ]
        if changed:
            conn.execute(
                ack_t.update()
                .where(ack_t.c.id == bindparam("ack_id"))
                .values(content_hash=bindparam("new_hash")),
                changed,
            )
            rewritten += len(changed)
    return rewritten


def content_hash(work: Work, entry_id: str) -> str:
    """The hash of what the resident signs, as the entry stands now."""
    return hash_canonical(canonical_content(work.session, entry_id))


def acknowledge(
    work: Work,
    entry_id: str,
    *,
    method: str,
    signer_name: str = "",
    signer_relation: str = "",
    signature_png: bytes | None = None,
    photo_path: Path | str | None = None,
    refusal_reason: str = "",
    signed_at: dt.datetime | None = None,
) -> AcknowledgementInfo:
    """Record the resident's acknowledgement: 当场签字 (PNG drawn on screen), 纸质签字 (photo of the
    signed paper) or 拒签 (with the reason). A refusal may later be followed by a signature; a
    signature is final."""
    session, actor = work.session, work.actor
    require_writer(actor)
    entry = live_entry(session, entry_id)
    require_own_record(work, entry, "这篇民情日记")
    if method not in ACK_METHODS:
        raise UserError("请选择认可方式：当场签字、纸质签字照片或拒签", field="method")
    existing = live_ack(session, entry_id)
    if existing is not None and existing.method in SIGNED_METHODS:
        raise UserError("这篇日记已经签字认可过了", field="method")
    signer_name = clean(signer_name, 50)
    signer_relation = clean(signer_relation, 20)
    refusal_reason = clean(refusal_reason)
    if method in SIGNED_METHODS and not signer_name:
        raise UserError("请填写签字群众的姓名", field="signer_name")
    attachment_id = None
    if method == SIGNATURE:
        if not signature_png:
            raise UserError("签字板上还没有签名，请群众在签字板上签字", field="signature")
        attachment_id = attachments.attach_bytes(
            work,
            "acknowledgement",
            acknowledgement_id(entry_id),
            signature_png,
            f"签字-{signer_name}.png",
            mime="image/png",
        ).id
    elif method == PAPER_PHOTO:
        if not photo_path:
            raise UserError("请选择纸质签字的照片或扫描件", field="photo")
        attachment_id = attachments.attach_file(
            work,
            "acknowledgement",
            acknowledgement_id(entry_id),
            photo_path,
            note="纸质签字",
        ).id
    elif not refusal_reason:
        raise UserError("请写下群众拒绝签字的原因", field="refusal_reason")
    signed_hash = hash_canonical(canonical_content(session, entry_id))
    row = existing or session.get(Acknowledgement, acknowledgement_id(entry_id))
    if row is None:
        row = Acknowledgement(id=acknowledgement_id(entry_id), entry_id=entry.id)
        session.add(row)
    row.deleted_at = None
    row.method = method
    row.signer_name = signer_name
    row.signer_relation = signer_relation
    row.signed_at = signed_at or dt.datetime.now().replace(microsecond=0)
    row.attachment_id = attachment_id
    row.refusal_reason = refusal_reason if method == REFUSED else ""
    row.content_hash = signed_hash
    session.flush()
    audit.record(
        session,
        actor,
        AUDIT_ACTIONS[method],
        table="diary_entry",
        record_id=entry_id,
        fields=["method", "signer_name", "signer_relation"],
    )
    info = acknowledgement_info(session, entry_id)
    assert info is not None, "the acknowledgement was just written"
    return info


def signature_image(work: Work, entry_id: str) -> bytes | None:
    """The signature drawn on screen (PNG), or None."""
    session = work.session
    ack = live_ack(session, entry_id)
    if ack is None or not ack.attachment_id:
        return None
    row = session.get(Attachment, ack.attachment_id)
    if row is None:
        return None
    return attachments.read_attachment(work, attachments._info(row))
