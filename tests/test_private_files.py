"""A workspace's database, journals, logs and backups are the owner's only, whatever the umask."""

from __future__ import annotations

import logging
import os
import stat

import pytest

from db import backups, migrate

from app import logs
from app.stations import init_station
from app.workspace import Workspace

from tests.conftest import ADMIN

pytestmark = pytest.mark.skipif(os.name != "posix", reason="POSIX permissions")


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_workspace_is_private_under_a_normal_umask(tmp_path):
    old = os.umask(0o022)
    try:
        ws = Workspace.open(tmp_path / "ws", credentials=ADMIN)
        init_station(
            ws,
            kind="village",
            code="370681101201",
            name="张家村",
            admin_user="admin",
            admin_password="admin-pass-1",
        )
        logs.setup(ws.logs_dir)
        logging.getLogger("minqing.test").info("写一行日志")
        backup = migrate.backup(ws.engine, ws.db_path, ws.backups_dir, "test", ws.slots_file)
        with ws.engine.connect() as conn:  # the WAL exists while a connection is open
            conn.exec_driver_sql("SELECT count(*) FROM station").scalar()
            wal = ws.db_path.with_name(ws.db_path.name + "-wal")
            assert not wal.exists() or _mode(wal) == 0o600
        for folder in (ws.root, ws.logs_dir, ws.backups_dir, ws.attachments_dir, ws.keys_dir):
            assert _mode(folder) == 0o700, folder
        for f in (
            ws.db_path,
            backup,
            backups.slots_beside(backup),
            ws.logs_dir / logs.LOG_NAME,
            ws.slots_file,
            *ws.keys_dir.iterdir(),
        ):
            assert _mode(f) == 0o600, f
        ws.close()
    finally:
        logs.shutdown()
        os.umask(old)


def test_an_existing_workspace_is_made_private_when_opened(tmp_path):
    ws = Workspace.open(tmp_path / "ws", credentials=ADMIN)
    ws.close()
    for p in (ws.root, ws.db_path, ws.logs_dir):
        os.chmod(p, 0o755 if p.is_dir() else 0o644)
    Workspace.open(tmp_path / "ws", create=False, credentials=ADMIN).close()
    assert _mode(ws.root) == 0o700 and _mode(ws.db_path) == 0o600 and _mode(ws.logs_dir) == 0o700
