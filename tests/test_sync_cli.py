"""The sync commands as a town clerk runs them: card, enroll, bundle export/inspect/import, receipts, revoke."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ADMIN
from tests.sync_support import add_household

ROOT = Path(__file__).resolve().parent.parent


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "app", *map(str, args)], cwd=ROOT, capture_output=True, text=True
    )


def test_clerk_enrolls_imports_writes_receipts_and_revokes_from_the_command_line(
    village_ws, town_ws, tmp_path
):
    add_household(village_ws, "张建国", ("张小红",))
    village, town, stick = village_ws.root, town_ws.root, tmp_path / "stick"
    stick.mkdir()
    village_ws.close()
    town_ws.close()
    r = run("card", "export", "--data-dir", village, "--out", tmp_path / "v.json", "--json")
    assert r.returncode == 0, r.stderr
    r = run("enroll", "--data-dir", town, tmp_path / "v.json", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["enrolled"] is True, r.stderr

    r = run("bundle", "export", "--data-dir", village, "--out", stick, "--json")
    assert r.returncode == 0, r.stderr
    path = json.loads(r.stdout)["bundles"][0]["file"]
    r = run("bundle", "inspect", path)
    # without a workspace nobody's enrollment can be checked, and the output says so plainly
    assert r.returncode == 0 and "张家村" in r.stdout
    assert (
        "签名：签名与文件内自带的公钥一致，未核对是否为已登记的工作站" in r.stdout
        and "核对无误（" not in r.stdout
    )
    r = run("bundle", "inspect", path, "--data-dir", town)
    assert "签名：核对无误（已登记的工作站）" in r.stdout
    r = run("bundle", "inspect", path, "--data-dir", town, "--json")
    assert json.loads(r.stdout)["decrypted_counts"]["persons"] == 2

    r = run("bundle", "import", "--data-dir", town, stick, "--dry-run", "--json")
    assert r.returncode == 0 and json.loads(r.stdout)["bundles"][0]["status"] == "checked"
    r = run("bundle", "import", "--data-dir", town, stick, "--json")
    data = json.loads(r.stdout)
    assert r.returncode == 0
    assert set(data) == {"bundles", "gaps"} and data["gaps"] == []
    (b,) = data["bundles"]
    assert set(b) == {"file", "village", "seq", "status", "reason", "clock_note", "counts", "rejected_rows"}
    assert b["clock_note"] is None  # the village's clock agrees with the town's
    assert b["village"] == "张家村" and b["seq"] == 1 and b["status"] == "imported"
    assert set(b["counts"]) == {"new", "updated", "unchanged", "conflicts", "rejected"}
    r = run("bundle", "import", "--data-dir", town, path)
    assert r.returncode == 0 and "已导入过" in r.stdout

    r = run("receipt", "export", "--data-dir", town, "--out", stick, "--json")
    receipt = json.loads(r.stdout)["receipts"][0]["file"]
    r = run("receipt", "import", "--data-dir", village, receipt)
    assert r.returncode == 0 and "已采用" in r.stdout

    r = run("revoke", "--data-dir", town, "张家村", "--reason", "电脑丢失")
    assert r.returncode == 0, r.stderr
    r = run("bundle", "export", "--data-dir", village, "--out", stick, "--json")
    newer = json.loads(r.stdout)["bundles"][0]["file"]
    r = run("bundle", "import", "--data-dir", town, newer, "--json")
    assert r.returncode == 1
    assert json.loads(r.stdout)["bundles"][0]["reason"].startswith("已吊销")


def test_a_path_that_is_not_there_is_said_as_such(town_ws, tmp_path):
    town_ws.close()
    env_run = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "bundle",
            "import",
            "--data-dir",
            str(town_ws.root),
            str(tmp_path / "E盘"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "MINQING_USER": ADMIN[0], "MINQING_PASSWORD": ADMIN[1]},
    )
    assert env_run.returncode == 1 and "找不到" in env_run.stderr and "U 盘插好" in env_run.stderr
    assert "文件不完整" not in env_run.stderr + env_run.stdout
