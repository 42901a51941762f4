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


_WINDOW_PROBE = """
import json, linecache, shutil, sys, time
from ui.app import make_application
from app import accounts
from app.workspace import Workspace
from ui.context import AppContext
from ui.main_window import MainWindow
from ui.pages import PAGES

HEAVY = ("fpdf", "openpyxl", "fontTools", "PIL")
app = make_application()
ws = Workspace.open(sys.argv[1], create=False, credentials=("admin", "admin-pass-1"))
with ws.work(None) as w:
    admin = accounts.first_active_admin(w)
    w.session.expunge(admin)
window = MainWindow(AppContext(ws, admin))
window.show()
app.processEvents()
out = {
    "pages_at_window": [s.key for s in PAGES[1:] if s.factory.split(":")[0] in sys.modules],
    "heavy_at_window": [m for m in HEAVY if m in sys.modules],
}
for spec in PAGES:
    page = window.open_page(spec.key)
    deadline = time.monotonic() + 30
    while hasattr(page, "ready") and not page.ready() and time.monotonic() < deadline:
        app.processEvents()
        time.sleep(0.01)
out["failed"] = dict(window.failed)
out["heavy_after_every_page"] = [m for m in HEAVY if m in sys.modules]
out["source_text_held"] = sum(len(line) for entry in linecache.cache.values() if len(entry) > 2 for line in entry[2])
window.close()
ws.close(daily_backup=False)
print(json.dumps(out))
"""


def test_the_window_loads_its_first_screen_only_and_no_pdf_or_workbook_library(templates, tmp_path):
    """docs/architecture.md, "What loads when": a screen other than the first is imported when it is first
    shown (a feature page added to ui/pages.py costs nothing at start-up), and no screen loads fpdf2,
    openpyxl (or fontTools and Pillow, which fpdf2 brings: 44 MB and about a second at first use) before
    something is printed or exported. PySide6's check of each imported module's source keeps no copy of
    the source (ui/__init__.py: it held 20 MB)."""
    import json
    import os
    import shutil

    copy = tmp_path / "village"
    shutil.copytree(templates["village"], copy)
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    out = subprocess.run(
        [sys.executable, "-c", _WINDOW_PROBE, str(copy)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    seen = json.loads(out.stdout.strip().splitlines()[-1])
    assert seen["pages_at_window"] == []
    assert seen["heavy_at_window"] == []
    assert seen["failed"] == {}
    assert seen["heavy_after_every_page"] == []
    assert seen["source_text_held"] < 1_000_000


def test_the_command_line_loads_no_workbook_or_pdf_library_to_parse_its_arguments():
    """Every command registers the diary's commands; only the ones that write a 台账 load openpyxl."""
    code = (
        "import sys\n"
        "from app.cli import build_parser\n"
        "build_parser()\n"
        "print(sorted(m for m in ('fpdf', 'openpyxl') if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    assert out.stdout.strip() == "[]"
