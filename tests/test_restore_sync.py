"""A station restored from a backup, or copied to a second laptop, after it sent bundles: its changes
must not take numbers the town already holds for others (the town took them for those, unchanged)."""

from __future__ import annotations

import shutil

import pytest
from sqlalchemy import select

from db.models import Household

from app.backups import backup_to, restore
from app.errors import UserError
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN
from tests.sync_support import add_household, edit_household, enroll_village


def _town_address(town, household_id):
    with town.session() as s:
        return s.scalars(select(Household.address).where(Household.id == household_id)).one()


def test_changes_made_after_a_restore_reach_the_town(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    hid = add_household(village_ws, "王五")
    (first,) = export_bundles(village_ws, stick)
    assert [b.status for b in import_bundles(town_ws, [first.path]).bundles] == ["imported"]
    backup = backup_to(village_ws)
    edit_household(village_ws, hid, address="一组3号（备份后改的）")
    (second,) = export_bundles(village_ws, stick)
    import_bundles(town_ws, [second.path])
    assert _town_address(town_ws, hid) == "一组3号（备份后改的）"

    village_ws.restore(backup)  # the laptop's database set back to the backup
    edit_household(village_ws, hid, address="一组5号（恢复后改的）")
    (third,) = export_bundles(village_ws, stick)
    assert third.seq > second.seq  # not the number of a bundle already sent
    report = import_bundles(town_ws, [third.path])
    assert [b.status for b in report.bundles] == ["imported"]
    assert _town_address(town_ws, hid) == "一组5号（恢复后改的）"  # taken, not counted unchanged


def test_a_bundle_numbered_like_one_received_with_other_contents_is_refused(village_ws, town_ws, tmp_path):
    """Two laptops writing as one station (a copied workspace) number their bundles alike."""
    enroll_village(village_ws, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    hid = add_household(village_ws, "王五")
    village_ws.close()
    copy = tmp_path / "copy"
    shutil.copytree(village_ws.root, copy)
    original = Workspace.open(village_ws.root, create=False, credentials=ADMIN)
    twin = Workspace.open(copy, create=False, credentials=ADMIN)
    try:
        edit_household(original, hid, address="原来那台改的")
        edit_household(twin, hid, address="复制那台改的")
        (stick / "a").mkdir()
        (stick / "b").mkdir()
        (a,) = export_bundles(original, stick / "a")
        (b,) = export_bundles(twin, stick / "b")
        assert a.seq == b.seq
        report = import_bundles(town_ws, [a.path, b.path])
    finally:
        original.close()
        twin.close()
    assert [x.status for x in report.bundles] == ["imported", "rejected"]
    assert "同号不同内容" in report.bundles[1].reason and "两台电脑" in report.bundles[1].reason
    assert _town_address(town_ws, hid) == "原来那台改的"


def test_a_restore_is_refused_while_another_run_has_the_workspace_open(village_ws, tmp_path):
    """The other run's saves would go into the file replaced, and be lost without a word."""
    hid = add_household(village_ws, "王五")
    backup = backup_to(village_ws)
    key = village_ws.key
    # village_ws is open: it stands for a window left open while a command restores
    with pytest.raises(UserError, match="还在另一个民情簿窗口或命令里打开着"):
        restore(village_ws.root, backup, key)
    edit_household(village_ws, hid, address="恢复被拒后照常保存")
    village_ws.close()
    restore(village_ws.root, backup, key)  # once it is closed, the restore goes ahead
