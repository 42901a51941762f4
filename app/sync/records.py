"""Generic record rules: which rows travel, and what an incoming row does to the local one.

Nothing here names a feature's table: every synced model (``db.base.synced_models()``) travels
with every column except its ``__sync_exclude__``. Values travel exactly as SQLite stores them
(dates as text, booleans as 0/1), so a round trip is byte-for-byte.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from sqlalchemy import Connection, LargeBinary

from db.base import SyncedRecord, synced_models
from db.bulk import note_written

from app.sync.bundle import BundleRejected

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
    defaults: dict  # column -> scalar default, for bundles from an older schema


def table_specs() -> list[TableSpec]:
    specs = []
    for model in synced_models():
        tbl = model.__table__
        excluded = set(model.__sync_exclude__)
        cols = tuple(c.name for c in tbl.columns if c.name not in excluded)
        binary = frozenset(c.name for c in tbl.columns if isinstance(c.type, LargeBinary) and c.name in cols)
        defaults = {c.name: c.default.arg for c in tbl.columns
                    if c.default is not None and c.default.is_scalar and c.name in cols}
        specs.append(TableSpec(model.__record_type__, tbl.name, cols, binary, defaults))
    return specs


def _q(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _encode(spec: TableSpec, cols: Iterable[str], rows: list[tuple]) -> list[list]:
    if not spec.binary:
        return [list(r) for r in rows]
    idx = [i for i, c in enumerate(cols) if c in spec.binary]
    out = []
    for r in rows:
        r = list(r)
        for i in idx:
            if r[i] is not None:
                r[i] = base64.b64encode(r[i]).decode("ascii")
        out.append(r)
    return out


def _decode(spec: TableSpec, cols: list[str], rows: list[list]) -> list[list]:
    if not spec.binary:
        return rows
    idx = [i for i, c in enumerate(cols) if c in spec.binary]
    for r in rows:
        for i in idx:
            if r[i] is not None:
                r[i] = base64.b64decode(r[i])
    return rows


def select_changes(conn: Connection, spec: TableSpec, station_id: str, after: int,
                   village_code: str | None = None) -> list[tuple]:
    """Rows last changed by ``station_id`` above counter ``after`` (optionally one village's)."""
    sql = (f"SELECT {', '.join(_q(c) for c in spec.columns)} FROM {_q(spec.table_name)} "
           "WHERE changed_station = ? AND version > ?")
    params: tuple = (station_id, after)
    if village_code is not None:
        sql += " AND village_code = ?"
        params += (village_code,)
    return conn.exec_driver_sql(sql + " ORDER BY version", params).fetchall()


def encode_section(spec: TableSpec, rows: list[tuple]) -> bytes:
    doc = {"table": spec.table_name, "columns": list(spec.columns), "rows": _encode(spec, spec.columns, rows)}
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


@dataclass
class StagedTable:
    spec: TableSpec
    columns: list[str]
    rows: list[list]


def stage_section(spec: TableSpec, raw: bytes, expected_count: int) -> StagedTable:
    """Parse one table's section and check its shape before anything is written."""
    try:
        doc = json.loads(raw.decode("utf-8"))
        cols, rows = doc["columns"], doc["rows"]
    except (UnicodeDecodeError, ValueError, KeyError, TypeError):
        raise BundleRejected(f"内容损坏：{spec.record_type} 部分无法读取") from None
    unknown = [c for c in cols if c not in spec.columns]
    if unknown:
        raise BundleRejected(f"版本过新：{spec.record_type} 含本程序不认识的字段 {'、'.join(unknown)}，请升级民情簿")
    for needed in ("id", "village_code", "changed_station", "version"):
        if needed not in cols:
            raise BundleRejected(f"内容损坏：{spec.record_type} 缺少字段 {needed}")
    if len(rows) != expected_count or any(not isinstance(r, list) or len(r) != len(cols) for r in rows):
        raise BundleRejected(f"内容损坏：{spec.record_type} 的行数或列数与清单不符")
    return StagedTable(spec, cols, _decode(spec, cols, rows))


def at_or_after(station: str | None, version: int | None, ref_station: str, ref_version: int) -> bool:
    """Does the version (station, version) include the change (ref_station, ref_version)?"""
    return station is not None and station == ref_station and version is not None and version >= ref_version


def classify(local: tuple | None, incoming: dict) -> str:
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
    conflicts: list[tuple[StagedTable, dict, dict]] = field(default_factory=list)  # (table, local, incoming)
    updated_ids: dict[str, list[str]] = field(default_factory=dict)  # table -> ids fast-forwarded


def apply_table(conn: Connection, staged: StagedTable, allowed_village: Callable[[str], bool],
                result: ApplyResult) -> None:
    """Classify and write one table's rows: ``executemany`` of positional rows (inserts, then updates),
    so no per-row dicts or statement compilation stand between the rows and SQLite."""
    spec, cols = staged.spec, staged.columns
    idx = {c: i for i, c in enumerate(cols)}
    i_id, i_vc = idx["id"], idx["village_code"]
    local: dict[str, tuple] = {}
    sql_head = (f"SELECT id, village_code, changed_station, version, base_station, base_version "
                f"FROM {_q(spec.table_name)} WHERE id IN ")
    ids = [r[i_id] for r in staged.rows]
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start:start + CHUNK]
        for row in conn.exec_driver_sql(sql_head + "(" + ",".join("?" * len(chunk)) + ")", tuple(chunk)):
            local[row[0]] = row[1:]
    counts = result.counts
    if not local and len(set(ids)) == len(ids) and all(map(allowed_village, {r[i_vc] for r in staged.rows})):
        # the common case of a first import: every row is new, once, of the sender's village
        inserts: list[list] = staged.rows
        updates: list[list] = []
        counts[NEW] += len(inserts)
    else:
        inserts, updates = _classify_rows(staged, local, allowed_village, result)
    if inserts:
        missing = [c for c in spec.columns if c not in idx]
        if missing:
            fill = [spec.defaults.get(c) for c in missing]
            inserts = [r + fill for r in inserts]
        all_cols = cols + missing
        # the driver's cursor takes the parsed lists as they are (no per-row tuples or Core bookkeeping)
        conn.connection.cursor().executemany(
            f"INSERT INTO {_q(spec.table_name)} ({', '.join(_q(c) for c in all_cols)}) "
            f"VALUES ({', '.join('?' * len(all_cols))})", inserts)
        note_written(conn, spec.table_name, (r[i_id] for r in inserts), new=True)
    if updates:
        set_cols = [c for c in cols if c != "id"]
        order = [idx[c] for c in set_cols] + [i_id]
        conn.exec_driver_sql(
            f"UPDATE {_q(spec.table_name)} SET {', '.join(f'{_q(c)} = ?' for c in set_cols)} WHERE id = ?",
            [tuple(r[i] for i in order) for r in updates])
        result.updated_ids.setdefault(spec.table_name, []).extend(r[i_id] for r in updates)
        note_written(conn, spec.table_name, (r[i_id] for r in updates))


def _classify_rows(staged: StagedTable, local: dict[str, tuple], allowed_village: Callable[[str], bool],
                   result: ApplyResult) -> tuple[list[list], list[list]]:
    """The record rules row by row: (rows to insert, rows to update); conflicts and counts go to ``result``."""
    cols = staged.columns
    idx = {c: i for i, c in enumerate(cols)}
    i_id, i_vc, i_cs, i_v = idx["id"], idx["village_code"], idx["changed_station"], idx["version"]
    i_bs, i_bv = idx.get("base_station"), idx.get("base_version")
    inserts: list[list] = []
    updates: list[list] = []
    counts = result.counts
    seen: set[str] = set()
    for r in staged.rows:
        rid = r[i_id]
        if rid in seen or not allowed_village(r[i_vc]):
            counts[REJECTED] += 1
            continue
        seen.add(rid)
        mine = local.get(rid)
        if mine is None:
            counts[NEW] += 1
            inserts.append(r)
            continue
        if mine[0] != r[i_vc]:
            counts[REJECTED] += 1
            continue
        incoming = {"changed_station": r[i_cs], "version": r[i_v],
                    "base_station": r[i_bs] if i_bs is not None else None,
                    "base_version": r[i_bv] if i_bv is not None else None}
        outcome = classify(mine[1:], incoming)
        counts[outcome] += 1
        if outcome == UPDATED:
            updates.append(r)
        elif outcome == CONFLICT:
            result.conflicts.append((staged, rid, dict(zip(cols, r, strict=True))))
    return inserts, updates


def full_row(conn: Connection, spec: TableSpec, record_id: str) -> dict | None:
    row = conn.exec_driver_sql(
        f"SELECT {', '.join(_q(c) for c in spec.columns)} FROM {_q(spec.table_name)} WHERE id = ?", (record_id,)
    ).fetchone()
    if row is None:
        return None
    return dict(zip(spec.columns, _encode(spec, spec.columns, [tuple(row)])[0], strict=True))


def model_for_table(table_name: str) -> type[SyncedRecord]:
    for model in synced_models():
        if model.__table__.name == table_name:
            return model
    raise KeyError(table_name)
