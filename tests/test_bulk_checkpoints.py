"""db.bulk.large_wal: while a writer writes in bulk, a thread of its own copies the committed log into
the database file (a passive checkpoint beside the writer), so no commit of the writer stops to copy a
gigabyte; leaving it, the thread is gone and its connection back in the pool."""

from __future__ import annotations

import os
import threading
import time

import pytest

from db import bulk
from db.engine import make_engine


def _fill(conn, n: int) -> None:
    with conn.begin():
        conn.exec_driver_sql("INSERT INTO t (v) VALUES (?)", [(os.urandom(2000).hex(),) for _ in range(n)])


@pytest.mark.parametrize("beside", [True, False])
def test_the_committed_log_goes_into_the_database_while_the_writer_writes(tmp_path, monkeypatch, beside):
    monkeypatch.setattr(bulk, "CHECKPOINT_EVERY", 0.05)
    monkeypatch.setattr(bulk, "BACKGROUND_CHECKPOINTS", beside)
    db = tmp_path / "w.db"
    engine = make_engine(db)
    try:
        with engine.connect() as conn:
            with conn.begin():
                conn.exec_driver_sql("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
            conn.connection.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            empty = db.stat().st_size
            threads = threading.active_count()
            with bulk.large_wal(conn):
                _fill(conn, 2000)  # about 8 MB: far below the writer's own checkpoint
                deadline = time.monotonic() + 2
                while db.stat().st_size <= empty and time.monotonic() < deadline:
                    time.sleep(0.05)
                copied = db.stat().st_size > empty
                _fill(conn, 10)  # the writer goes on beside it
            assert copied is beside
            assert threading.active_count() == threads
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar_one() == 2010
        assert engine.pool.checkedout() == 0
    finally:
        engine.dispose()
