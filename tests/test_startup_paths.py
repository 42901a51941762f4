"""Start-up stays fast: an up-to-date database opens without alembic, pinyin loads only when needed."""

import subprocess
import sys
from pathlib import Path

from db import migrate

ROOT = Path(__file__).resolve().parent.parent


def test_an_up_to_date_database_opens_without_importing_alembic_or_pypinyin(templates):
    code = (
        "import sys\n"
        "from app.workspace import Workspace\n"
        f"ws = Workspace.open({str(templates['village'])!r}, create=False, credentials=('admin', 'admin-pass-1'))\n"
        "assert ws.require_station().code == '370681101201'\n"
        "print(sorted(m for m in ('alembic', 'pypinyin') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"


def test_quick_head_check_agrees_with_alembic(village_ws):
    assert migrate.quick_heads() == {migrate.head_revision()}
    assert migrate.is_up_to_date(village_ws.engine)


def test_an_empty_database_is_not_up_to_date(tmp_path):
    from db.engine import make_engine

    engine = make_engine(tmp_path / "empty.db")
    try:
        assert not migrate.is_up_to_date(engine)
    finally:
        engine.dispose()
