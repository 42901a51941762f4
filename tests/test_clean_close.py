"""A clean close leaves everything in the database file itself: the write-ahead log is checkpointed and
removed, so a -wal file lost after a clean exit costs nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from db.models import Household

from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.sync_support import add_household


def test_a_clean_close_leaves_no_write_ahead_log_and_loses_nothing(village_ws):
    for n in range(40):
        add_household(village_ws, f"户主{n}", ("成员",))
    wal = village_ws.db_path.with_name(village_ws.db_path.name + "-wal")
    assert wal.exists() and wal.stat().st_size > 0  # committed pages still in the log while open
    village_ws.close()
    assert not wal.exists() or wal.stat().st_size == 0
    reopened = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    try:
        with reopened.new_session() as s:
            assert s.scalar(select(func.count()).select_from(Household)) == 40
    finally:
        reopened.close()
