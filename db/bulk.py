"""Bulk writes: context managers that let many rows go in without per-row index upkeep.

Feature modules own derived indexes (full-text tables kept by triggers). A writer of many rows at
once — the bundle importer — enters :func:`bulk_writes` on its connection inside its transaction,
reports which rows of which tables it wrote with :func:`note_written`, and on leaving, every
registered writer brings its index up to date in a few set-based statements. Nothing here or in the
importer names a feature's table: features list their writer in :data:`BULK_WRITERS`.
"""

from __future__ import annotations

import contextlib
import importlib
from collections.abc import Iterable, Iterator

from sqlalchemy import Connection

# "module:function"; function(conn) -> context manager, entered inside the caller's transaction.
BULK_WRITERS: tuple[str, ...] = (
    "db.queries.households:bulk_import_index",
    "db.queries.diary:bulk_import_index",
)

_KEY = "bulk_written"


def note_written(conn: Connection, table_name: str, ids: Iterable[str]) -> None:
    """Inside :func:`bulk_writes`: these rows of ``table_name`` were inserted or updated."""
    written = conn.info.get(_KEY)
    if written is not None:
        written.setdefault(table_name, set()).update(ids)


def written(conn: Connection, table_name: str) -> set[str]:
    """For a bulk writer on leaving: the ids noted for ``table_name``."""
    return set(conn.info.get(_KEY, {}).get(table_name, ()))


@contextlib.contextmanager
def bulk_writes(conn: Connection) -> Iterator[None]:
    conn.info[_KEY] = {}
    try:
        with contextlib.ExitStack() as stack:
            for spec in BULK_WRITERS:
                module, fn = spec.split(":")
                stack.enter_context(getattr(importlib.import_module(module), fn)(conn))
            yield
    finally:
        conn.info.pop(_KEY, None)
