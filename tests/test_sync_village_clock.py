"""The town is told when a village's clock looks wrong, from its bundles' own times (app.sync.importer):
written after the town's now, or before a bundle the village wrote earlier (a village laptop whose clock a
flat board battery set back). The rows go in as they are; the town tells the village."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from db.base import utcnow

from app.sync.export import export_bundles
from app.sync.importer import import_bundles

from tests.sync_support import add_household, enroll_village
from tests.test_backups import _cli


def _bundle(village_ws, stick: Path, when: dt.datetime) -> Path:
    stick.mkdir(exist_ok=True)
    (result,) = export_bundles(village_ws, stick, now=when)
    return result.path


def test_a_bundle_written_before_the_one_before_it_is_said_and_still_imported(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    now = utcnow()
    add_household(village_ws, "王一")
    first = _bundle(village_ws, tmp_path / "w1", now - dt.timedelta(days=2))
    report = import_bundles(town_ws, [first])
    assert report.bundles[0].status == "imported" and report.bundles[0].clock_note is None
    add_household(village_ws, "王二")
    second = _bundle(village_ws, tmp_path / "w2", dt.datetime(2010, 1, 1, 12))  # the clock fell back
    report = import_bundles(town_ws, [second])
    (b,) = report.bundles
    assert b.status == "imported" and b.counts["new"] >= 1  # the rows go in as they are
    assert b.clock_note is not None and "张家村的电脑时间可能被调回了" in b.clock_note
    assert "2010年1月1日" in b.clock_note and "主板电池" in b.clock_note
    assert report.as_json()["bundles"][0]["clock_note"] == b.clock_note


def test_a_bundle_from_the_future_is_said_on_the_command_line(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    add_household(village_ws, "王三")
    ahead = _bundle(village_ws, tmp_path / "w1", utcnow() + dt.timedelta(days=30))
    town_ws.close(daily_backup=False)
    r = _cli("bundle", "import", "--data-dir", str(town_ws.root), str(ahead))
    assert r.returncode == 0, r.stderr
    assert "注意：张家村的电脑时间比本机快" in r.stdout and "还没到这个时间" in r.stdout


def test_bundles_written_in_order_say_nothing(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    now = utcnow()
    paths = []
    for n, name in enumerate(("王四", "王五")):
        add_household(village_ws, name)
        paths.append(_bundle(village_ws, tmp_path / f"w{n}", now - dt.timedelta(days=3 - n)))
    report = import_bundles(town_ws, paths)
    assert [b.clock_note for b in report.bundles] == [None, None]
