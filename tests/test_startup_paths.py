"""Start-up stays fast: an up-to-date database opens without alembic, pinyin loads only when needed."""

import subprocess
import sys
from pathlib import Path

from db import migrate

ROOT = Path(__file__).resolve().parent.parent


def _python(code: str, *args: str, timeout: float = 60, offscreen: bool = False) -> str:
    """What ``code`` prints, run by a fresh interpreter in the project folder (what a start loads)."""
    import os

    env = dict(os.environ, QT_QPA_PLATFORM="offscreen") if offscreen else None
    out = subprocess.run(
        [sys.executable, "-c", code, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=True,
    )
    return out.stdout.strip()


def test_an_up_to_date_database_opens_without_importing_alembic_or_pypinyin(templates):
    code = (
        "import sys\n"
        "from app.workspace import Workspace\n"
        f"ws = Workspace.open({str(templates['village'])!r}, create=False, credentials=('admin', 'admin-pass-1'))\n"
        "assert ws.require_station().code == '370681101201'\n"
        "print(sorted(m for m in ('alembic', 'pypinyin') if m in sys.modules))\n"
    )
    assert _python(code) == "[]"


def test_quick_head_check_agrees_with_alembic(village_ws):
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.quick_heads() == {script.get_current_head()} == {migrate.head_revision()}
    assert migrate.is_up_to_date(village_ws.engine)


def test_the_revision_graph_read_from_the_files_agrees_with_alembic():
    """head_revision, is_known and is_older (asked by every bundle import) read the revision files'
    text instead of loading alembic's scripts; they must say what alembic says of every pair."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(migrate.alembic_config())
    revisions = [s.revision for s in script.walk_revisions()]
    assert set(revisions) == set(migrate.revision_graph() or {})
    assert len(revisions) >= 25
    for than in revisions:
        older = {s.revision for s in script.iterate_revisions(than, "base")} - {than}
        assert {r for r in revisions if migrate.is_older(r, than)} == older
        assert migrate.is_known(than)
    assert not migrate.is_known("0099_from_a_newer_program")
    assert not migrate.is_known(revisions[0][:6])  # a prefix is not a revision of a bundle


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
    import shutil

    copy = tmp_path / "village"
    shutil.copytree(templates["village"], copy)
    seen = json.loads(_python(_WINDOW_PROBE, str(copy), timeout=300, offscreen=True).splitlines()[-1])
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
    assert _python(code) == "[]"


_SIGNIN_PROBE = """
import json, sys
from ui.app import make_application
from app.workspace import Workspace
from ui import preload
from ui.signin import SignInDialog

DATABASE_LAYER = ("sqlalchemy", "db.models", "app.accounts", "app.work", "ui.main_window")
app = make_application()
ws = Workspace.open(sys.argv[1], create=False)
assert ws.locked
dialog = SignInDialog(ws)
dialog.show()
app.processEvents()
out = {"loaded_with_the_box": [m for m in DATABASE_LAYER if m in sys.modules]}
preload.start()
dialog.username.setText("admin")
dialog.password.setText("admin-pass-1")
out["signed_in"] = dialog.try_sign_in()
out["user"] = dialog.user.username if dialog.user is not None else None
out["loaded_after"] = [m for m in DATABASE_LAYER[:4] if m in sys.modules]
ws.close(daily_backup=False)
print(json.dumps(out))
"""


def test_the_sign_in_box_shows_before_the_database_layer_loads_and_signs_in_after_it(templates, tmp_path):
    """docs/architecture.md, "What loads when": the first window (the sign-in box of an encrypted
    workspace) needs only the key slots, so SQLAlchemy, the models and the services load behind it
    (ui/preload.py) and a sign-in waits for them."""
    import json
    import shutil

    copy = tmp_path / "village"
    shutil.copytree(templates["village"], copy)
    seen = json.loads(_python(_SIGNIN_PROBE, str(copy), timeout=120, offscreen=True).splitlines()[-1])
    assert seen["loaded_with_the_box"] == []
    assert seen["signed_in"] is True and seen["user"] == "admin"
    assert seen["loaded_after"] == ["sqlalchemy", "db.models", "app.accounts", "app.work"]


def test_the_selftest_command_parses_without_the_database_layer():
    """``python -m app selftest`` starts the window as ``python -m app`` does: parsing its arguments
    loads no other command's module (each would load SQLAlchemy before the sign-in box)."""
    code = (
        "import sys\n"
        "from app.cli import ALONE, build_parser\n"
        "parser, handlers = build_parser([ALONE['selftest']])\n"
        "parser.parse_args(['selftest', '--data-dir', 'x'])\n"
        "print(sorted(handlers), sorted(m for m in ('sqlalchemy', 'db.models') if m in sys.modules))\n"
    )
    assert _python(code) == "['init', 'selftest', 'stats'] []"


def test_a_failure_of_the_background_load_is_raised_where_the_sign_in_waits(monkeypatch):
    """A bug in what loads behind the box is not swallowed by its thread: the sign-in's wait raises it
    (and the crash handler shows it); a second wait does not raise it again."""
    import pytest

    from ui import preload

    monkeypatch.setattr(preload, "_thread", None)
    monkeypatch.setattr(preload, "MODULES", ("app.no_such_module_here",))
    preload.start()
    with pytest.raises(ModuleNotFoundError, match="app.no_such_module_here"):
        preload.wait()
    preload.wait()


def test_the_models_declare_their_columns_with_annotations_as_objects():
    """The model modules are evaluated as written, without ``from __future__ import annotations``: a
    string annotation (``"Mapped[str | None]"``) is read back by SQLAlchemy with ``eval`` once for
    every column of every table, the mixin's twelve included (about 950 at start, behind the sign-in
    box). Fails when a model module or ``db/base.py`` goes back to string annotations."""
    import db.models  # noqa: F401  (every table mapped)
    from db.base import Base

    strings = sorted(
        f"{mapper.class_.__name__}.{name}"
        for mapper in Base.registry.mappers
        for cls in mapper.class_.__mro__
        for name, annotation in vars(cls).get("__annotations__", {}).items()
        if isinstance(annotation, str)
    )
    assert len(Base.registry.mappers) > 40
    assert strings == []
