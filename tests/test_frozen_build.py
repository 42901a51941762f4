"""The one-folder frozen program (PyInstaller, build.spec) is built and used as a village and its town
would use it: a demo village, the offscreen selftest of every screen, the village's card enrolled at the
town, a bundle exported and imported, the town's counts. A module the program imports by name but the
spec misses (as ``unittest`` once was) fails here, not on a cadre's laptop."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_the_frozen_program_works_end_to_end(tmp_path):
    build = subprocess.run(
        [
            sys.executable, "-m", "PyInstaller", "build.spec", "--noconfirm", "--log-level", "WARN",
            "--distpath", str(tmp_path / "dist"), "--workpath", str(tmp_path / "work"),
        ],
        cwd=ROOT, capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert build.returncode == 0, build.stderr[-3000:]
    exe = tmp_path / "dist" / "minqing" / ("minqing.exe" if os.name == "nt" else "minqing")
    env = dict(os.environ, MINQING_USER="admin", MINQING_PASSWORD="minqing", QT_QPA_PLATFORM="offscreen")
    village, stick = tmp_path / "village", tmp_path / "stick"
    town = village / "demo-town"
    stick.mkdir()

    def run(*args) -> str:
        r = subprocess.run([str(exe), *map(str, args)], capture_output=True, text=True, env=env, timeout=600)
        assert r.returncode == 0, (args, r.stdout[-2000:], r.stderr[-2000:])
        return r.stdout

    assert "0.1" in run("--version")
    run("demo", "--data-dir", village, "--households", "30")
    # (the selftest fails, too, when Qt's own words are not Chinese: its translation must travel)
    assert "自检通过" in run("selftest", "--data-dir", village, "--offscreen")
    assert any((tmp_path / "dist" / "minqing").rglob("qtbase_zh_CN.qm"))
    assert any((tmp_path / "dist" / "minqing").rglob("minqing.png"))  # the icon (the selftest checks it too)
    run("card", "export", "--data-dir", village, "--out", tmp_path / "card.json")
    run("enroll", "--data-dir", town, tmp_path / "card.json")
    run("bundle", "export", "--data-dir", village, "--out", stick)
    assert "已导入" in run("bundle", "import", "--data-dir", town, stick)
    stats = run("stats", "--data-dir", town)
    assert "张家村（370681101201）：" in stats and "户 30，" in stats  # the village's 30 households arrived
    # the 使用说明 (F1) travels with the program: every page and every screenshot it shows
    source = ROOT / "resources" / "help"
    (frozen,) = (tmp_path / "dist" / "minqing").rglob("resources/help")
    shipped = {p.relative_to(frozen) for p in frozen.rglob("*") if p.is_file()}
    assert {p.relative_to(source) for p in source.rglob("*") if p.is_file()} <= shipped
