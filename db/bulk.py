"""Bulk writes: context managers that let many rows go in without per-row index upkeep.

Feature modules own derived indexes (full-text tables kept by triggers). A writer of many rows at
once — the bundle importer — enters :func:`bulk_writes` on its connection inside its transaction,
reports which rows of which tables it wrote with :func:`note_written`, and on leaving, every
registered writer brings its index up to date in a few set-based statements — or, where doing that
per transaction would rewrite a large index again and again, lists the rows as pending and leaves
them to :func:`catch_up`, which the writer calls after its last transaction (one pass for all of
them, in steps of :data:`CATCH_UP_CHUNK` rows). Nothing here or in the importer names a feature's
table: features list their writer in :data:`BULK_WRITERS` and their deferred work in :data:`DEFERRED`.
"""

from __future__ import annotations

import contextlib
import importlib
import operator
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

from sqlalchemy import Boolean, Connection, Date, DateTime, Engine, Table, insert

# "module:function"; function(conn) -> context manager, entered inside the caller's transaction.
BULK_WRITERS: tuple[str, ...] = (
    "db.queries.households:bulk_import_index",
    "db.queries.diary:bulk_import_index",
    "db.diary_derived:bulk_import_refresh",
)

# "module:pending_fn:work_fn"; pending_fn(conn) -> int rows waiting; work_fn(conn, limit) -> int rows
# done, inside the caller's transaction.
DEFERRED: tuple[str, ...] = ("db.queries.diary:pending_index:index_pending",)
CATCH_UP_CHUNK = 100_000  # rows per transaction (their texts are held in memory, ≈50 MB); a stopped pass keeps what it finished
LARGE_WAL_PAGES = (
    65_536  # 1 GB of 16 KiB pages (256 MB of an older database's 4 KiB); SQLite's default is 1 000 pages
)
# Page cache while writing in bulk (SQLite's default is 2 MB): an import's transaction of several
# village-years changes ≈250 MB of pages; with less, pages are written out (spilled) before the commit,
# some of them again and again (30 village-years: 3.97 GB written with 64 MB, 3.65 GB with 256 MB).
BULK_CACHE_KIB = 262_144

FTS5_HASH_SIZE = 1024 * 1024  # FTS5's default 'hashsize'
BULK_HASH_SIZE = 32 * 1024 * 1024  # while many rows go into a full-text index

_KEY = "bulk_written"
_LARGE_WAL = "bulk_large_wal"
_OTHER_PROGRAM = "bulk_other_program"


def note_written(conn: Connection, table_name: str, ids: Iterable[str], *, new: bool = False) -> None:
    """Inside :func:`bulk_writes`: these rows of ``table_name`` were inserted (``new``) or updated."""
    written = conn.info.get(_KEY)
    if written is not None:
        written.setdefault((table_name, new), set()).update(ids)


def written(conn: Connection, table_name: str, *, updated_only: bool = False) -> set[str]:
    """For a bulk writer on leaving: the ids noted for ``table_name`` (only the updated ones: rows
    that existed before, which other rows may already refer to)."""
    noted = conn.info.get(_KEY, {})
    out = set(noted.get((table_name, False), ()))
    if not updated_only:
        out |= noted.get((table_name, True), set())
    return out


@contextlib.contextmanager
def bulk_writes(conn: Connection, *, same_program: bool = True) -> Iterator[None]:
    """``same_program``: the rows were made by a program of this schema revision. False (a bundle from a
    village on an older or newer program): a writer recomputes, from the rows as stored, the derived
    columns that travel with them (their form may have changed between versions); see
    :func:`rows_of_other_program`."""
    conn.info[_KEY] = {}
    conn.info[_OTHER_PROGRAM] = not same_program
    try:
        with contextlib.ExitStack() as stack:
            for spec in BULK_WRITERS:
                module, fn = spec.split(":")
                stack.enter_context(getattr(importlib.import_module(module), fn)(conn))
            yield
    finally:
        conn.info.pop(_KEY, None)
        conn.info.pop(_OTHER_PROGRAM, None)


def rows_of_other_program(conn: Connection) -> bool:
    """For a bulk writer on leaving: were the rows made by another version of the program?"""
    return bool(conn.info.get(_OTHER_PROGRAM))


@contextlib.contextmanager
def large_fts_hash(conn: Connection, fts_table: str) -> Iterator[None]:
    """Inside the caller's transaction, while many rows go into the FTS5 table ``fts_table``: FTS5 keeps
    new terms in memory and writes a segment whenever they pass 'hashsize' (1 MB); with 32 MB it writes
    fewer, larger segments and merges less. The setting lives in the index's config table, so it is set
    back in the same transaction (no other writer ever sees it)."""
    sql = f'INSERT INTO "{fts_table}"("{fts_table}", rank) VALUES (\'hashsize\', ?)'
    conn.exec_driver_sql(sql, (BULK_HASH_SIZE,))
    try:
        yield
    finally:
        conn.exec_driver_sql(sql, (FTS5_HASH_SIZE,))


@contextlib.contextmanager
def large_wal(conn: Connection) -> Iterator[None]:
    """Several large transactions in a row on ``conn`` (bundles, index passes): checkpoint (copy the
    WAL into the database) only once the WAL has grown large, so pages every transaction touches (the
    upper levels of the indexes) are copied once per few transactions instead of once each; and a
    page cache that holds the indexes a village's rows go into, kept from one transaction to the next
    (SQLite keeps a connection's cache while no other connection writes): hold ``conn`` for the whole
    run, or each transaction starts by reading those pages again. Durability is unchanged: every
    commit still syncs the WAL (``synchronous=FULL``). Entered again on the same connection, it does
    nothing."""
    if conn.info.get(_LARGE_WAL):
        yield
        return
    raw = conn.connection.driver_connection  # connection settings: no transaction needed or wanted
    assert raw is not None, "an open connection has a driver connection"
    (cache,) = raw.execute("PRAGMA cache_size").fetchone()
    raw.execute(f"PRAGMA wal_autocheckpoint={LARGE_WAL_PAGES}")
    raw.execute(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    conn.info[_LARGE_WAL] = True
    try:
        yield
    finally:
        conn.info.pop(_LARGE_WAL, None)
        raw.execute("PRAGMA wal_autocheckpoint=1000")
        raw.execute(f"PRAGMA cache_size={int(cache)}")  # gives the memory back


Pending = Callable[[Connection], int]
Work = Callable[[Connection, int], int]


def _deferred() -> list[tuple[Pending, Work]]:
    out: list[tuple[Pending, Work]] = []
    for spec in DEFERRED:
        module, pending_fn, work_fn = spec.split(":")
        mod = importlib.import_module(module)
        out.append((getattr(mod, pending_fn), getattr(mod, work_fn)))
    return out


def _pending_total(conn: Connection) -> int:
    return sum(pending(conn) for pending, _work in _deferred())


def pending_work(engine: Engine) -> int:
    """Rows still waiting for :func:`catch_up` (0 when every derived index is complete)."""
    with engine.connect() as conn, conn.begin():
        return _pending_total(conn)


def catch_up(
    bind: Engine | Connection, progress: Callable[[int, int], None] | None = None, chunk: int = CATCH_UP_CHUNK
) -> int:
    """Do the deferred index work, ``chunk`` rows per transaction; returns the rows done. ``bind``: the
    engine, or the writer's own connection (outside a transaction) with its warm page cache.
    ``progress(done, total)`` is called after each transaction (it may raise to stop: what is done
    stays done, the rest waits for the next call)."""
    with bind.connect() if isinstance(bind, Engine) else contextlib.nullcontext(bind) as conn:
        with conn.begin():
            total = _pending_total(conn)
        if not total:
            return 0
        if progress:
            progress(0, total)
        done = 0
        with large_wal(conn):
            for _pending, work in _deferred():
                while n := _step(conn, work, chunk):
                    done += n
                    if progress:
                        progress(min(done, total), total)
        return done


def _step(conn: Connection, work: Work, chunk: int) -> int:
    with conn.begin():
        return work(conn, chunk)


@contextlib.contextmanager
def triggers_dropped(conn: Connection, prefix: str) -> Iterator[None]:
    """Inside the caller's transaction: the triggers whose names start with ``prefix`` are dropped, and
    re-created from their stored SQL on leaving (SQLite DDL is transactional: a rollback brings them back
    too)."""
    triggers = conn.exec_driver_sql(
        "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND substr(name, 1, ?) = ?",
        (len(prefix), prefix),
    ).fetchall()
    for name, _sql in triggers:
        conn.exec_driver_sql(f'DROP TRIGGER "{name}"')
    try:
        yield
    finally:
        for _name, sql in triggers:
            conn.exec_driver_sql(sql)


def _stored(column_type: Any) -> Callable[[Any], Any] | None:
    """How SQLAlchemy's SQLite dialect stores a Python value of ``column_type`` (None: as it is)."""
    if isinstance(column_type, DateTime):
        return lambda v: v if v is None or isinstance(v, str) else v.isoformat(" ", "microseconds")
    if isinstance(column_type, Date):
        return lambda v: v if v is None or isinstance(v, str) else v.isoformat()
    if isinstance(column_type, Boolean):
        return lambda v: v if v is None else int(bool(v))
    return None


def insert_rows(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert many row dicts (each with the same keys) as one ``executemany`` of positional rows: the
    values stored as SQLAlchemy's Core insert would store them (dates and times as its ISO text), without
    its per-row parameter processing, which costs more than SQLite's own work for a roster of 10 000.
    A table whose columns need another conversion goes through the Core insert."""
    if not rows:
        return
    names = list(rows[0])
    convert = []
    for i, name in enumerate(names):
        column_type = table.c[name].type
        fn = _stored(column_type)
        if fn is not None:
            convert.append((i, fn))
        elif column_type.dialect_impl(conn.dialect).bind_processor(conn.dialect) is not None:
            conn.execute(insert(table), rows)
            return
    values: list[Sequence[Any]]
    if len(names) == 1:
        values = [(row[names[0]],) for row in rows]
    else:
        values = list(map(operator.itemgetter(*names), rows))
    if convert:
        columns = [list(c) for c in zip(*values, strict=True)]
        for i, fn in convert:
            column, last, stored = columns[i], object(), None
            for k, v in enumerate(column):
                if v is not last:  # the rows of an import share their times (created_at …): once each
                    last, stored = v, fn(v)
                column[k] = stored
        values = list(zip(*columns, strict=True))
    cols = ", ".join(f'"{n}"' for n in names)
    conn.connection.cursor().executemany(  # the driver's cursor takes the rows as they are
        f'INSERT INTO "{table.name}" ({cols}) VALUES ({", ".join("?" * len(names))})', values
    )
