"""Engine and session factory for a workspace database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Connection, Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

import db.stamping  # noqa: F401  (installs the flush hook)
from db import cipher

# A new database gets 16 KiB pages (SQLite's default is 4 KiB): fewer, fuller B-tree pages for the same
# rows, so a town importing 30 village-years writes and syncs less (bench_sync: 60.4 s → 56.6 s on the
# same machine in the same hour; the full-text pass 14.4 s → 11.9 s). A database made with other
# pages keeps them (in WAL mode only a rebuild could change them).
PAGE_SIZE = cipher.PAGE_SIZE
# Page cache per connection of an encrypted database (SQLite's default is 2 MiB): every page that falls
# out of it is decrypted again at its next read. At 100 000 households 今日待办's query alone fills it, and
# it is most of the window's peak memory (the selftest visiting every screen: 200.1 MB with 32 MiB, 196 MB
# with 28, 192 MB with 24; issue 17's row is 200 MB). 24 MiB made the roster's 3-character name search
# a third slower (its pages no longer all fit; bench.run households, both orders); 28 MiB did not.
ENCRYPTED_CACHE_KIB = 28 * 1024


def make_engine(path: Path | str, *, key: bytes | None = None, synchronous: str = "FULL") -> Engine:
    """SQLite engine with foreign keys, WAL and ``synchronous=FULL`` (DESIGN.md, Data); with ``key``,
    the database is a SQLCipher file opened with that key (:mod:`db.cipher`).

    pysqlite's own transaction handling is switched off so that SQLAlchemy's BEGIN/COMMIT are the
    real ones (savepoints and rollbacks then behave).
    """
    # The path as it is, not parsed as a URL: a folder named 工作站?2 or 100%25 made "sqlite:///…" read a
    # query string or a percent escape, and the program opened (or missed) another file.
    # hide_parameters: a statement that fails (a bug) is logged and shown without its values, which are
    # residents' names, IDs and circumstances (docs/security.md: no resident's data in a log)
    engine = create_engine(
        URL.create("sqlite", database=str(path)), module=cipher.dbapi, future=True, hide_parameters=True
    )
    cipher.remember_key(engine, key)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: object) -> None:
        dbapi_connection.isolation_level = None
        cipher.prepare(dbapi_connection, key)
        cursor = dbapi_connection.cursor()
        if key is not None:  # a page read again from the cache is not decrypted again
            cursor.execute(f"PRAGMA cache_size = -{ENCRYPTED_CACHE_KIB}")
        if key is None:
            cursor.execute(f"PRAGMA page_size={PAGE_SIZE}")  # takes effect only while the file is still empty
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={synchronous}")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def make_sessionmaker(engine: Engine, info: dict[str, Any] | None = None) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False, info=info or {})
