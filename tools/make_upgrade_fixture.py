"""Make tests/data/workspace-<revision>/: a small demo village at the current schema, kept so that every
later program must open it with every record intact (tests/test_upgrade_fixtures.py).

    .venv/bin/python tools/make_upgrade_fixture.py

Run it once per released schema revision, before the next migration lands; commit the folder.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from db.base import synced_models  # noqa: E402


def fingerprint(db: Path, key: bytes | None = None) -> dict:
    """Per synced table: live and deleted row counts and a hash of the sorted ids (ids never change).
    ``key``: the database is encrypted (after the program opened it)."""
    from db import cipher

    conn = cipher.connect(db, key)
    out = {}
    try:
        have = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for model in synced_models():
            table = model.__tablename__
            if table not in have:  # a table of a later schema than this database's
                continue
            ids = [r[0] for r in conn.execute(f'SELECT id FROM "{table}" ORDER BY id')]
            live = conn.execute(f'SELECT count(*) FROM "{table}" WHERE deleted_at IS NULL').fetchone()[0]
            out[table] = {
                "rows": len(ids),
                "live": live,
                "ids": hashlib.sha256("\n".join(ids).encode()).hexdigest(),
            }
    finally:
        conn.close()
    return out


def main() -> int:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "village"
        subprocess.run(
            [sys.executable, "-m", "app", "demo", "--data-dir", data, "--households", "40", "--seed", "7"],
            cwd=ROOT,
            check=True,
        )
        db = data / "minqing.db"
        conn = sqlite3.connect(db)
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()[0]
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("VACUUM")
        conn.close()
        sys.path.insert(0, str(ROOT))
        from sqlalchemy import select

        from db.models import Acknowledgement

        from app.diary.acknowledgement import acknowledgement_info
        from app.workspace import Workspace

        target = ROOT / "tests" / "data" / f"workspace-{revision}"
        if target.exists():
            shutil.rmtree(target)
        target.mkdir(parents=True)
        shutil.copy2(db, target / "minqing.db")
        shutil.copytree(data / "keys", target / "keys")
        ws = Workspace.open(
            shutil.copytree(target, Path(tmp) / "opened"), create=False
        )  # the fixture stays plain
        try:
            with ws.session() as s:
                entry_ids = s.scalars(
                    select(Acknowledgement.entry_id).where(Acknowledgement.deleted_at.is_(None))
                ).all()
                intact = sum(1 for e in entry_ids if (a := acknowledgement_info(s, e)) and a.matches_content)
        finally:
            ws.close(daily_backup=False)
        for extra in ("backups", "logs", "attachments", "drafts", "runs"):
            shutil.rmtree(target / extra, ignore_errors=True)
        (target / "minqing.db.open").unlink(missing_ok=True)
        expected = {
            "revision": revision,
            "tables": fingerprint(target / "minqing.db"),
            "acknowledgements_intact": intact,
        }
        (target.parent / f"workspace-{revision}.json").write_text(
            json.dumps(expected, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        print(target, revision, intact)
    return 0


if __name__ == "__main__":
    sys.exit(main())
