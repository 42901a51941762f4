"""Search indexes an import left to build: how many rows wait, and building them.

A bundle import lists the entries it wrote instead of indexing them bundle by bundle (see
:mod:`db.bulk`); after its last bundle it calls :func:`catch_up_indexes`. If that pass is stopped
(cancelled, power cut), the list is still in the database: the window resumes it in the background
at the next start and the searches say meanwhile that their results may be incomplete.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection

from db import bulk

from app.workspace import Workspace

BACKGROUND_CHUNK = 5_000  # rows per transaction while people work (short write locks)


def pending(ws: Workspace) -> int:
    """Rows still waiting for their search index row."""
    assert ws.engine is not None, "the workspace is open"
    return bulk.pending_work(ws.engine)


def catch_up_indexes(
    ws: Workspace,
    progress: Callable[[int, int, str], None] | None = None,
    chunk: int = bulk.CATCH_UP_CHUNK,
    conn: Connection | None = None,
) -> int:
    """Build what the imports deferred, in steps of ``chunk`` entries taken by id; returns the rows
    done. Stopped part-way (``progress`` raised), what was done stays and the rest is done next time.
    ``conn``: the importer's connection (its page cache holds what the pass reads), else one of its own."""
    ws.wait_for_check()  # it writes: never to a damaged database

    def step(done: int, total: int) -> None:
        if progress:
            progress(done, total, f"正在更新全文索引（{done}/{total}）")

    target = conn if conn is not None else ws.engine
    assert target is not None, "the workspace is open"
    return bulk.catch_up(target, step, chunk)
