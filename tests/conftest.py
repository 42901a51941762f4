"""Shared fixtures: workspaces under tmp_path, copied from migrated templates built once per run."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

VILLAGE_CODE = "370681101201"
VILLAGE_NAME = "张家村"
TOWN_CODE = "370681101"
TOWN_NAME = "东城镇"
ADMIN_PASSWORD = "admin-pass-1"
ADMIN = ("admin", ADMIN_PASSWORD)  # Workspace.open(…, credentials=ADMIN) unlocks a copied workspace


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory, monkeypatch):
    """No test may touch the user's real data folder (nor the folders the file dialogs remember). Commands run by a test (subprocesses inherit the
    environment) sign in as the workspaces' first administrator (app.cli.sign_in)."""
    monkeypatch.setenv("MINQING_DATA_DIR", str(tmp_path_factory.mktemp("default-data")))
    monkeypatch.setenv("MINQING_CONFIG_DIR", str(tmp_path_factory.mktemp("config")))  # ui/file_dialogs.py
    monkeypatch.setenv("MINQING_USER", "admin")
    monkeypatch.setenv("MINQING_PASSWORD", ADMIN_PASSWORD)


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> dict[str, Path]:
    """A town workspace and a village workspace bound to it, each with an admin, built once."""
    from app.stations import init_station
    from app.sync.enrollment import export_card
    from app.workspace import Workspace

    root = tmp_path_factory.mktemp("templates")
    town = Workspace.open(root / "town")
    init_station(
        town,
        kind="town",
        code=TOWN_CODE,
        name=TOWN_NAME,
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
        admin_display_name="镇管理员",
    )
    card = export_card(town, root / "town-card.json")
    town.close()
    village = Workspace.open(root / "village")
    init_station(
        village,
        kind="village",
        code=VILLAGE_CODE,
        name=VILLAGE_NAME,
        town_card=card,
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
        admin_display_name="村管理员",
    )
    village.close()
    return {"town": root / "town", "village": root / "village", "town_card": card}


def _copy_workspace(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst)
    return dst


@pytest.fixture
def village_ws(templates, tmp_path):
    from app.workspace import Workspace

    ws = Workspace.open(
        _copy_workspace(templates["village"], tmp_path / "village"), create=False, credentials=ADMIN
    )
    yield ws
    ws.close()


@pytest.fixture
def town_ws(templates, tmp_path):
    from app.workspace import Workspace

    ws = Workspace.open(
        _copy_workspace(templates["town"], tmp_path / "town"), create=False, credentials=ADMIN
    )
    yield ws
    ws.close()


@pytest.fixture
def village_admin(village_ws):
    """The village's first administrator (a detached User object)."""
    from app import accounts

    with village_ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


@pytest.fixture(scope="session")
def two_villages_built(templates, tmp_path_factory) -> dict[str, Path]:
    """A town that imported two demo villages' bundles (built once; use ``two_villages``)."""
    from tests.sync_support import build_town_of_two_villages

    return build_town_of_two_villages(tmp_path_factory.mktemp("two-villages"), templates)


@pytest.fixture
def two_villages(two_villages_built, tmp_path) -> dict[str, Path]:
    """This test's own copies of the town and both villages (data dirs; open them with Workspace.open)."""
    from tests.sync_support import copy_dirs

    return copy_dirs(two_villages_built, tmp_path / "copies")
