"""diary: store the Chinese values of its vocabularies instead of English codes

Revision ID: 0011_diary_vocab
Revises: 0010_sync_rejection
Create Date: 2026-12-08 10:00:00

The diary stored English codes (``home_visit``, ``open``, ``signature``, ``hospitalised`` …) and
mapped them to Chinese labels in code; mediation and households store the Chinese value itself. From
here on the diary does too (the values and the map: ``db/vocab.py``). Rewritten in place, without new
versions (every station rewrites its copy of a row the same way):

- ``diary_entry.kind``, ``demand.status``, ``acknowledgement.method``, ``must_visit_event.kind``;
- ``acknowledgement.content_hash``: what the resident signed includes the entry's ``kind``, so the
  hash of a signature that still matched its entry is recomputed over the rewritten content; one that
  no longer matched (the entry was changed after signing) is left as it was, still flagged;
- the snapshots of those tables' rows in ``sync_conflict`` (``local_row``, ``incoming_row``), the
  acknowledgements' hashes in them by the same rule.

The downgrade maps back by the same rules. The audit log's action names (``diary.ack.signature`` …)
stay as they are. The canonical content of an entry is computed here as
``app/diary/acknowledgement.py`` computed it at this revision (copied, so that this revision stays
what it is when the app changes).
"""

import hashlib
import json

import sqlalchemy as sa
from alembic import op

from db.vocab import LEGACY_CODES, translate_rows


revision = '0011_diary_vocab'
down_revision = '0010_sync_rejection'
branch_labels = None
depends_on = None

PAGE = 500  # acknowledgements (and so entries) per round of look-ups

ENTRY_FIELDS = ("place", "companions", "situation", "difficulties", "actions", "follow_up")

diary_entry = sa.table(
    "diary_entry",
    sa.column("id", sa.String),
    sa.column("occurred_at", sa.DateTime),
    sa.column("kind", sa.String),
    *[sa.column(f, sa.Text) for f in ENTRY_FIELDS],
    sa.column("follow_up_on", sa.Date),
)
diary_participant = sa.table(
    "diary_participant",
    sa.column("entry_id", sa.String),
    sa.column("household_id", sa.String),
    sa.column("person_id", sa.String),
    sa.column("deleted_at", sa.DateTime),
)
demand = sa.table(
    "demand",
    sa.column("entry_id", sa.String),
    sa.column("category", sa.String),
    sa.column("content", sa.Text),
    sa.column("due_on", sa.Date),
    sa.column("deleted_at", sa.DateTime),
)
acknowledgement = sa.table(
    "acknowledgement",
    sa.column("id", sa.String),
    sa.column("entry_id", sa.String),
    sa.column("content_hash", sa.String),
)
sync_conflict = sa.table(
    "sync_conflict",
    sa.column("id", sa.Integer),
    sa.column("table_name", sa.String),
    sa.column("local_row", sa.Text),
    sa.column("incoming_row", sa.Text),
)


# -- what the resident signs, as app/diary/acknowledgement.py had it at this revision ---------------------
def _canonical(entry: dict, participants, demands) -> dict:
    return {
        "id": entry["id"],
        "occurred_at": entry["occurred_at"].strftime("%Y-%m-%d %H:%M"),
        "kind": entry["kind"],
        **{f: entry[f] or "" for f in ENTRY_FIELDS},
        "follow_up_on": entry["follow_up_on"].isoformat() if entry["follow_up_on"] else "",
        "participants": sorted([h, p or ""] for h, p in participants),
        "demands": sorted([c, t, due.isoformat() if due else ""] for c, t, due in demands),
    }


def _hash(canonical: dict) -> str:
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _kind(value, to_legacy: bool):
    row = [value]
    translate_rows("diary_entry", ["kind"], [row], to_legacy=to_legacy)
    return row[0]


def _hashes(conn, entry_ids: list[str], to_legacy: bool) -> dict[str, tuple[str, str]]:
    """entry id → (hash of its content as stored now, hash once its kind is rewritten)."""
    ids = sorted(set(entry_ids))
    parts: dict[str, list] = {}
    for r in conn.execute(
        sa.select(diary_participant.c.entry_id, diary_participant.c.household_id, diary_participant.c.person_id)
        .where(diary_participant.c.entry_id.in_(ids), diary_participant.c.deleted_at.is_(None))
    ):
        parts.setdefault(r.entry_id, []).append((r.household_id, r.person_id))
    demands: dict[str, list] = {}
    for r in conn.execute(
        sa.select(demand.c.entry_id, demand.c.category, demand.c.content, demand.c.due_on)
        .where(demand.c.entry_id.in_(ids), demand.c.deleted_at.is_(None))
    ):
        demands.setdefault(r.entry_id, []).append((r.category, r.content, r.due_on))
    out = {}
    for r in conn.execute(sa.select(diary_entry).where(diary_entry.c.id.in_(ids))):
        entry = dict(r._mapping)
        before = _hash(_canonical(entry, parts.get(r.id, []), demands.get(r.id, [])))
        entry["kind"] = _kind(entry["kind"], to_legacy)
        after = _hash(_canonical(entry, parts.get(r.id, []), demands.get(r.id, [])))
        out[r.id] = (before, after)
    return out


def _rehash_acknowledgements(conn, to_legacy: bool) -> None:
    """Every acknowledgement whose hash matches its entry's content as stored now gets the hash of
    the content once rewritten; the others (changed after signing) keep theirs."""
    last = ""
    while True:
        page = conn.execute(
            sa.select(acknowledgement.c.id, acknowledgement.c.entry_id, acknowledgement.c.content_hash)
            .where(acknowledgement.c.id > last)
            .order_by(acknowledgement.c.id)
            .limit(PAGE)
        ).all()
        if not page:
            return
        last = page[-1].id
        hashes = _hashes(conn, [a.entry_id for a in page], to_legacy)
        changed = [
            {"ack_id": a.id, "new_hash": hashes[a.entry_id][1]}
            for a in page
            if a.entry_id in hashes and a.content_hash == hashes[a.entry_id][0]
        ]
        if changed:
            conn.execute(
                acknowledgement.update()
                .where(acknowledgement.c.id == sa.bindparam("ack_id"))
                .values(content_hash=sa.bindparam("new_hash")),
                changed,
            )


def _rewrite_columns(conn, to_legacy: bool) -> None:
    for table, columns in LEGACY_CODES.items():
        for column, codes in columns.items():
            pairs = [(v, k) for k, v in codes.items()] if to_legacy else list(codes.items())
            cases = " ".join("WHEN ? THEN ?" for _ in pairs)
            conn.exec_driver_sql(
                f'UPDATE "{table}" SET "{column}" = CASE "{column}" {cases} ELSE "{column}" END '
                f'WHERE "{column}" IN ({", ".join("?" for _ in pairs)})',
                (*[x for pair in pairs for x in pair], *[old for old, _new in pairs]),
            )


def _rewrite_conflicts(conn, to_legacy: bool) -> None:
    """The row snapshots kept for the conflicts screen, as the rows themselves are rewritten."""
    rows = conn.execute(
        sa.select(sync_conflict).where(sync_conflict.c.table_name.in_(list(LEGACY_CODES)))
    ).all()
    acks = [
        json.loads(text)
        for r in rows
        if r.table_name == "acknowledgement"
        for text in (r.local_row, r.incoming_row)
    ]
    entry_ids = [a["entry_id"] for a in acks if isinstance(a, dict) and isinstance(a.get("entry_id"), str)]
    hashes = {}
    for start in range(0, len(entry_ids), PAGE):
        hashes.update(_hashes(conn, entry_ids[start : start + PAGE], to_legacy))
    for r in rows:
        values = {}
        for name in ("local_row", "incoming_row"):
            snapshot = json.loads(getattr(r, name))
            if not isinstance(snapshot, dict):
                continue
            columns, cells = list(snapshot), [list(snapshot.values())]
            translate_rows(r.table_name, columns, cells, to_legacy=to_legacy)
            snapshot = dict(zip(columns, cells[0]))
            if r.table_name == "acknowledgement":
                before_after = hashes.get(snapshot.get("entry_id"))
                if before_after is not None and snapshot.get("content_hash") == before_after[0]:
                    snapshot["content_hash"] = before_after[1]
            text = json.dumps(snapshot, ensure_ascii=False, default=str)
            if text != getattr(r, name):
                values[name] = text
        if values:
            conn.execute(sync_conflict.update().where(sync_conflict.c.id == r.id).values(**values))


def _rewrite(to_legacy: bool) -> None:
    conn = op.get_bind()
    # Hashes first: they compare with the content as it is stored before the rewrite.
    _rehash_acknowledgements(conn, to_legacy)
    _rewrite_conflicts(conn, to_legacy)
    _rewrite_columns(conn, to_legacy)


def upgrade() -> None:
    _rewrite(to_legacy=False)


def downgrade() -> None:
    _rewrite(to_legacy=True)
