"""Generic record rules: which rows travel, and what an incoming row does to the local one.

Nothing here names a feature's table: every synced model (``db.base.synced_models()``) travels
with every column except its ``__sync_exclude__``. Values travel exactly as SQLite stores them
(dates as text, booleans as 0/1), so a round trip is byte-for-byte.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any

import msgspec
from sqlalchemy import ColumnDefault, Connection, LargeBinary, Row, Table

from db.base import SYNC_COLUMNS, SyncedRecord, synced_models
from db.bulk import note_written

from app import ownership
from app.sync import gate
from app.sync.gate import BundleRejected

# Outcomes of an incoming row.
NEW, UPDATED, UNCHANGED, CONFLICT, REJECTED = "new", "updated", "unchanged", "conflicts", "rejected"
OUTCOMES = (NEW, UPDATED, UNCHANGED, CONFLICT, REJECTED)
CHUNK = 500  # ids per IN (...) lookup, well under SQLite's variable limit


@dataclass(frozen=True)
class TableSpec:
    record_type: str
    table_name: str
    columns: tuple[str, ...]  # travelling columns, table order
    binary: frozenset[str]  # columns base64-encoded in JSON
    defaults: dict[str, Any]  # column -> scalar default, for bundles from an older schema


def models() -> list[type[SyncedRecord]]:
    """``db.base.synced_models()``, typed as the synced records they all are."""
    return [m for m in synced_models() if issubclass(m, SyncedRecord)]


def table_of(model: type[Any]) -> Table:
    """A mapped model's table (SQLAlchemy types ``__table__`` as any FROM clause; ours are tables)."""
    table = model.__table__
    assert isinstance(table, Table), "every model in db.models maps one Table"
    return table


def table_specs() -> list[TableSpec]:
    specs = []
    for model in models():
        tbl = table_of(model)
        excluded = set(model.__sync_exclude__)
        cols = tuple(c.name for c in tbl.columns if c.name not in excluded)
        binary = frozenset(c.name for c in tbl.columns if isinstance(c.type, LargeBinary) and c.name in cols)
        defaults = {
            c.name: c.default.arg
            for c in tbl.columns
            if isinstance(c.default, ColumnDefault) and c.default.is_scalar and c.name in cols
        }
        specs.append(TableSpec(model.__record_type__, tbl.name, cols, binary, defaults))
    return specs


def labels() -> dict[str, str]:
    """Record type → its name in Chinese (each synced model's ``__label__``)."""
    return {m.__record_type__: m.__label__ or m.__record_type__ for m in models()}


def label_of(spec: TableSpec) -> str:
    """A table's records in Chinese, for what a clerk reads (a refusal's reason, the progress line)."""
    return labels().get(spec.record_type, spec.record_type)


def table_label(table_name: str) -> str | None:
    """A synced table's records in Chinese; None for a table that is not synced."""
    for m in models():
        if table_of(m).name == table_name:
            return m.__label__ or None
    return None


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _encode(spec: TableSpec, cols: Iterable[str], rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    if not spec.binary:
        return [list(r) for r in rows]
    idx = [i for i, c in enumerate(cols) if c in spec.binary]
    out = []
    for row in rows:
        r = list(row)
        for i in idx:
            if r[i] is not None:
                r[i] = base64.b64encode(r[i]).decode("ascii")
        out.append(r)
    return out


def _decode(spec: TableSpec, cols: list[str], rows: list[list[Any]]) -> list[list[Any]]:
    if not spec.binary:
        return rows
    idx = [i for i, c in enumerate(cols) if c in spec.binary]
    for r in rows:
        for i in idx:
            if r[i] is not None:
                r[i] = base64.b64decode(r[i])
    return rows


def select_changes(
    conn: Connection,
    spec: TableSpec,
    station_id: str,
    after: int,
    village_code: str | None = None,
    refused_by: str | None = None,
) -> Sequence[Row[Any]]:
    """Rows last changed by ``station_id`` above counter ``after`` (optionally one village's), and
    those that the station ``refused_by`` refused (its receipt listed them: they are not acknowledged
    whatever the counter says, and travel again until they are fixed)."""
    # The changes are a range of ix_<table>_changes; the refused rows are looked up by id from the
    # rejections (CROSS JOIN keeps that order): an OR of the two would read all of the station's rows.
    table = _q(spec.table_name)
    in_village = f" AND {table}.village_code = ?" if village_code is not None else ""
    village: tuple[object, ...] = (village_code,) if village_code is not None else ()
    columns = ", ".join(f"{table}.{_q(c)}" for c in spec.columns)
    sql = f"SELECT {columns} FROM {table} WHERE changed_station = ? AND version > ?{in_village}"
    params: tuple[object, ...] = (station_id, after, *village)
    if refused_by is not None:
        sql += (
            f" UNION ALL SELECT {columns} FROM sync_rejection CROSS JOIN {table} ON {table}.id = sync_rejection.record_id"
            f" WHERE sync_rejection.station_id = ? AND sync_rejection.table_name = ?"
            f" AND {table}.changed_station = ? AND {table}.version <= ?{in_village}"
        )
        params += (refused_by, spec.table_name, station_id, after, *village)
    return conn.exec_driver_sql(sql + " ORDER BY version", params).fetchall()


_JSON = msgspec.json.Encoder()


def encode_section(spec: TableSpec, rows: Sequence[Sequence[Any]]) -> bytes:
    # (the names as plain str: SQLAlchemy's are a subclass, which msgspec does not write)
    doc = {
        "table": str(spec.table_name),
        "columns": [str(c) for c in spec.columns],
        "rows": _encode(spec, spec.columns, rows),
    }
    # compact UTF-8: the bytes json.dumps(ensure_ascii=False, separators=(",", ":")) writes, in a third of
    # the time
    return _JSON.encode(doc)


@dataclass
class StagedTable:
    spec: TableSpec
    columns: list[str]
    rows: list[list[Any]]


def stage_section(spec: TableSpec, raw: bytes, expected_count: int) -> StagedTable:
    """Parse one table's section and check its shape before anything is written."""
    name = label_of(spec)
    what = f"“{name}”部分"
    doc = gate.load_json(
        raw,
        what=what,
        max_bytes=gate.MAX_SECTION_SIZE,
        max_depth=None,
        fail=lambda text: BundleRejected(f"内容损坏：{text}"),
    )
    if (
        not isinstance(doc, dict)
        or not isinstance(doc.get("columns"), list)
        or not isinstance(doc.get("rows"), list)
    ):
        raise BundleRejected(f"内容损坏：“{name}”部分无法读取")
    cols, rows = doc["columns"], doc["rows"]
    if any(not isinstance(c, str) for c in cols) or len(set(cols)) != len(cols):
        raise BundleRejected(f"内容损坏：“{name}”的字段名不对")
    unknown = [c for c in cols if c not in spec.columns]
    if unknown:
        names = "、".join(c[:40] for c in unknown[:5])
        raise BundleRejected(f"版本过新：“{name}”含本程序不认识的字段 {names}，请升级民情簿")
    for needed in ("id", "village_code", "changed_station", "version"):
        if needed not in cols:
            raise BundleRejected(f"内容损坏：“{name}”缺少字段 {needed}")
    # (types, then lengths, of every row at C speed)
    if len(rows) != expected_count or (
        rows and (set(map(type, rows)) != {list} or set(map(len, rows)) != {len(cols)})
    ):
        raise BundleRejected(f"内容损坏：“{name}”的行数或列数与清单不符")
    try:
        return StagedTable(spec, cols, _decode(spec, cols, rows))
    except (TypeError, ValueError):
        raise BundleRejected(f"内容损坏：“{name}”的二进制字段无法读取") from None


def at_or_after(station: str | None, version: int | None, ref_station: str, ref_version: int) -> bool:
    """Does the version (station, version) include the change (ref_station, ref_version)?"""
    return station is not None and station == ref_station and version is not None and version >= ref_version


def classify(local: Sequence[Any] | None, incoming: dict[str, Any]) -> str:
    """The record rules of DESIGN.md for one row. ``local`` = (changed_station, version, base_station,
    base_version) or None."""
    if local is None:
        return NEW
    l_station, l_version, l_base_station, l_base_version = local
    i_station, i_version = incoming["changed_station"], incoming["version"]
    if l_station == i_station:
        return UPDATED if i_version > l_version else UNCHANGED
    if at_or_after(incoming.get("base_station"), incoming.get("base_version"), l_station, l_version):
        return UPDATED  # fast-forward: the incoming row was edited from ours
    if at_or_after(l_base_station, l_base_version, i_station, i_version):
        return UNCHANGED  # ours already descends from it
    return CONFLICT


@dataclass
class ApplyResult:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    # (table, record id, incoming row)
    conflicts: list[tuple[StagedTable, str, dict[str, Any]]] = field(default_factory=list)
    updated_ids: dict[str, list[str]] = field(default_factory=dict)  # table -> ids fast-forwarded
    rejections: list[ownership.Rejection] = field(default_factory=list)  # rows refused, with the rule
    accepted_ids: dict[str, list[str]] = field(default_factory=dict)  # table -> ids that passed the rules


def apply_table(
    conn: Connection,
    staged: StagedTable,
    auth: ownership.Authority,
    result: ApplyResult,
    refused: dict[str, str] | None = None,
) -> None:
    """Check one table's rows against the authority rules, classify them and write them:
    ``executemany`` of positional rows (inserts, then updates), so no per-row dicts or statement
    compilation stand between the rows and SQLite. ``refused``: ids refused beforehand, with reasons."""
    spec, cols = staged.spec, staged.columns
    idx = {c: i for i, c in enumerate(cols)}
    i_id, i_v = idx["id"], idx["version"]
    before = len(result.rejections)
    rows = ownership.screen_rows(conn, spec, cols, staged.rows, auth, result.rejections)
    if refused:
        kept = []
        for r in rows:
            if r[i_id] in refused:
                auth.refuse(result.rejections, spec, r[i_id], r[i_v], refused[r[i_id]])
            else:
                kept.append(r)
        rows = kept
    ids = [r[i_id] for r in rows]
    local = _local_versions(conn, spec.table_name, ids)
    counts = result.counts
    i_origin = idx.get("origin_station")
    if (
        not local
        and not auth.from_town
        and len(set(ids)) == len(ids)
        and (i_origin is None or set(map(itemgetter(i_origin), rows)) <= {auth.sender_id})
        # a table with rules on its columns (帮扶's, a demand's status and office, a frozen report, 两评,
        # a scope) has each row checked, a first import's too: _classify_rows
        and not _column_rules(spec.table_name, auth)
    ):
        # the common case of a first import: every row is new, once, made by the sender
        inserts: list[list[Any]] = rows
        updates: list[list[Any]] = []
        counts[NEW] += len(inserts)
    else:
        inserts, updates = _classify_rows(conn, staged, rows, local, auth, result)
    counts[REJECTED] += len(result.rejections) - before
    rejected = auth.rejected.get(spec.table_name, set())
    accepted = result.accepted_ids.setdefault(spec.table_name, [])
    accepted.extend(ids if not rejected else (rid for rid in ids if rid not in rejected))
    if inserts:
        missing = [c for c in spec.columns if c not in idx]
        if missing:
            fill = [spec.defaults.get(c) for c in missing]
            inserts = [r + fill for r in inserts]
        all_cols = cols + missing
        # the driver's cursor takes the parsed lists as they are (no per-row tuples or Core bookkeeping)
        conn.connection.cursor().executemany(
            f"INSERT INTO {_q(spec.table_name)} ({', '.join(_q(c) for c in all_cols)}) "
            f"VALUES ({', '.join('?' * len(all_cols))})",
            inserts,
        )
        note_written(conn, spec.table_name, map(itemgetter(i_id), inserts), new=True)
    if updates:
        set_cols = [c for c in cols if c != "id"]
        order = [idx[c] for c in set_cols] + [i_id]
        conn.exec_driver_sql(
            f"UPDATE {_q(spec.table_name)} SET {', '.join(f'{_q(c)} = ?' for c in set_cols)} WHERE id = ?",
            [tuple(r[i] for i in order) for r in updates],
        )
        result.updated_ids.setdefault(spec.table_name, []).extend(r[i_id] for r in updates)
        note_written(conn, spec.table_name, (r[i_id] for r in updates))


def _local_versions(conn: Connection, table_name: str, ids: list[Any]) -> dict[str, tuple[Any, ...]]:
    """The rows of ``table_name`` already here with these ids: id -> (village_code, changed_station,
    version, base_station, base_version).

    The ids are looked up sorted, :data:`CHUNK` at a time, and a chunk whose range holds no row here
    (one step into the id index) is not looked up id by id: a station's ids sort together (db/base.py),
    so a village's new rows fall in ranges where the town holds nothing (a village-year: 135 such
    steps against 67 000 look-ups). Ids that are not all text (a damaged bundle) are looked up one by
    one: SQLite compares numbers with a text column as text, which is not the order Python sorts them in."""
    head = (
        f"SELECT id, village_code, changed_station, version, base_station, base_version "
        f"FROM {_q(table_name)} WHERE id IN "
    )
    ranged = set(map(type, ids)) == {str}
    ordered = sorted(ids) if ranged else ids
    in_range = f"SELECT 1 FROM {_q(table_name)} WHERE id BETWEEN ? AND ? LIMIT 1"
    local: dict[str, tuple[Any, ...]] = {}
    for start in range(0, len(ordered), CHUNK):
        chunk = ordered[start : start + CHUNK]
        if ranged and conn.exec_driver_sql(in_range, (chunk[0], chunk[-1])).first() is None:
            continue
        for row in conn.exec_driver_sql(head + "(" + ",".join("?" * len(chunk)) + ")", tuple(chunk)):
            local[row[0]] = row[1:]
    return local


def _column_rules(table_name: str, auth: ownership.Authority) -> bool:
    """Does :func:`app.ownership.column_verdict` look at this table's rows from this sender?"""
    return (
        auth.from_town
        or table_name in ownership.TOWN_ONLY_COLUMNS
        or table_name in ownership.ROW_CHECKED_TABLES
        or table_name in ownership.TOWN_SCOPED_TABLES
    )


def _classify_rows(
    conn: Connection,
    staged: StagedTable,
    rows: list[list[Any]],
    local: dict[str, tuple[Any, ...]],
    auth: ownership.Authority,
    result: ApplyResult,
) -> tuple[list[list[Any]], list[list[Any]]]:
    """The record rules row by row: (rows to insert, rows to update); conflicts, refusals and counts
    go to ``result``."""
    spec, cols = staged.spec, staged.columns
    idx = {c: i for i, c in enumerate(cols)}
    i_id, i_vc, i_cs, i_v = idx["id"], idx["village_code"], idx["changed_station"], idx["version"]
    i_bs, i_bv, i_origin = idx.get("base_station"), idx.get("base_version"), idx.get("origin_station")
    frozen = spec.table_name in ownership.FROZEN_TABLES
    column_rules = _column_rules(spec.table_name, auth)
    # a village's new demands (and cases) are checked on whole columns when every row passes
    new_rules = column_rules and not ownership.new_rows_pass(spec.table_name, cols, rows, auth)
    inserts: list[list[Any]] = []
    updates: list[list[Any]] = []
    counts = result.counts
    seen: set[str] = set()
    for r in rows:
        rid = r[i_id]
        if rid in seen:
            auth.refuse(result.rejections, spec, rid, r[i_v], "同一条记录在包里出现了两次")
            continue
        seen.add(rid)
        mine = local.get(rid)
        if mine is None:
            if i_origin is not None and r[i_origin] != auth.sender_id and not auth.from_town:
                auth.refuse(result.rejections, spec, rid, r[i_v], "新记录标为由其他工作站建立")
                continue
            problem = ownership.column_verdict(spec.table_name, cols, r, None, auth) if new_rules else None
            if problem:
                auth.refuse(result.rejections, spec, rid, r[i_v], problem)
                continue
            counts[NEW] += 1
            inserts.append(r)
            continue
        if mine[0] != r[i_vc]:
            auth.refuse(
                result.rejections,
                spec,
                rid,
                r[i_v],
                "记录编号已被其他村的记录使用（可能是从别村的名册导入的）",
            )
            continue
        incoming = {
            "changed_station": r[i_cs],
            "version": r[i_v],
            "base_station": r[i_bs] if i_bs is not None else None,
            "base_version": r[i_bv] if i_bv is not None else None,
        }
        outcome = classify(mine[1:], incoming)
        if outcome == CONFLICT and not frozen:
            outcome = _same_content(conn, spec, cols, r, mine[1:], incoming)
        if (outcome == UPDATED or (frozen and outcome == CONFLICT)) and column_rules:
            problem = ownership.column_verdict(spec.table_name, cols, r, _stored_row(conn, spec, rid), auth)
            if problem:
                auth.refuse(result.rejections, spec, rid, r[i_v], problem)
                continue
        counts[outcome] += 1
        if outcome == UPDATED:
            updates.append(r)
        elif outcome == CONFLICT:
            result.conflicts.append((staged, rid, dict(zip(cols, r, strict=True))))
    return inserts, updates


def _same_content(
    conn: Connection,
    spec: TableSpec,
    cols: list[str],
    row: list[Any],
    mine: Sequence[Any],
    incoming: dict[str, Any],
) -> str:
    """A conflict whose two sides say the same (both stations resolved it alike, or made the same
    change): no conflict. Both stations keep the side with the higher (version, station), so they end
    with the same stamps and the next exchange finds nothing to settle (a conflict of 不同字段：无 came
    back at every exchange, and two stations that each chose differently swapped versions)."""
    stored = _stored_row(conn, spec, row[cols.index("id")])
    if any(stored.get(c) != row[i] for i, c in enumerate(cols) if c not in SYNC_COLUMNS):
        return CONFLICT
    if "deleted_at" in cols and (stored.get("deleted_at") is None) != (row[cols.index("deleted_at")] is None):
        return CONFLICT  # one side deleted it
    theirs = (incoming["version"], str(incoming["changed_station"]))
    return UPDATED if theirs > (mine[1], str(mine[0])) else UNCHANGED


def _stored_row(conn: Connection, spec: TableSpec, record_id: str) -> dict[str, Any]:
    """The local row's travelling columns as SQLite stores them (binary columns as bytes)."""
    row = conn.exec_driver_sql(
        f"SELECT {', '.join(_q(c) for c in spec.columns)} FROM {_q(spec.table_name)} WHERE id = ?",
        (record_id,),
    ).fetchone()
    assert row is not None, "a local row (found by apply_table in this transaction)"
    return dict(zip(spec.columns, row, strict=True))


def full_row(conn: Connection, spec: TableSpec, record_id: str) -> dict[str, Any] | None:
    row = conn.exec_driver_sql(
        f"SELECT {', '.join(_q(c) for c in spec.columns)} FROM {_q(spec.table_name)} WHERE id = ?",
        (record_id,),
    ).fetchone()
    if row is None:
        return None
    return dict(zip(spec.columns, _encode(spec, spec.columns, [tuple(row)])[0], strict=True))


def model_for_table(table_name: str) -> type[SyncedRecord]:
    for model in models():
        if table_of(model).name == table_name:
            return model
    raise KeyError(table_name)
