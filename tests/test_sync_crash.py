"""A town import killed mid-transaction (SIGKILL) leaves the database as before and can be rerun."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from app.sync.export import export_bundles
from app.sync.importer import import_bundles

from tests.conftest import VILLAGE_CODE
from tests.sync_support import add_household, content_dump, enroll_village, synced_rows

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from app.sync import importer
    from app.workspace import Workspace

    town_dir, bundle, marker = sys.argv[1:4]

    commit = importer._Batch.commit

    def stall_before_commit(self):  # this process only: the rows are written, the commit not yet made
        if self.tx is not None:
            Path(marker).write_text("rows written, not committed")
            time.sleep(120)
        return commit(self)

    importer._Batch.commit = stall_before_commit
    ws = Workspace.open(town_dir, create=False, credentials=("admin", "admin-pass-1"))
    importer.import_bundles(ws, [Path(bundle)])
""")


def test_import_killed_before_commit_leaves_town_unchanged_and_can_run_again(village_ws, town_ws, tmp_path):
    enroll_village(village_ws, town_ws, tmp_path)
    for n in range(30):
        add_household(village_ws, f"张{n}号", ("甲", "乙"))
    (result,) = export_bundles(village_ws, tmp_path)
    before = content_dump(town_ws)
    marker = tmp_path / "marker"
    proc = subprocess.Popen(
        [sys.executable, "-c", SCRIPT, str(town_ws.root), str(result.path), str(marker)],
        cwd=ROOT,
        env=dict(os.environ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 30
        while not marker.exists():
            assert proc.poll() is None, proc.communicate()
            assert time.monotonic() < deadline, "the import never reached its commit"
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    assert content_dump(town_ws) == before

    (b,) = import_bundles(town_ws, [result.path]).bundles
    assert b.status == "imported" and b.counts["new"] > 90
    assert synced_rows(town_ws, VILLAGE_CODE) == synced_rows(village_ws, VILLAGE_CODE)
