"""``python -m app selftest``: the real window, every screen, timings; exit 0 only without errors."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from app.selftest import needs_offscreen

from ui import main_window, selftest
from ui.pages import PAGES, PageSpec

from tests.conftest import ADMIN

ROOT = Path(__file__).resolve().parent.parent


def test_selftest_command_visits_every_screen_and_exits_0(templates, tmp_path):
    data = shutil.copytree(templates["village"], tmp_path / "village")
    env = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "selftest",
            "--data-dir",
            str(data),
            "--json",
            "--screenshots",
            str(tmp_path / "shots"),
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    report = json.loads(proc.stdout)
    assert report["ok"] and report["platform"] == "offscreen"
    assert [p["key"] for p in report["pages"]] == [s.key for s in PAGES]
    assert all(p["ok"] and p["open_s"] >= 0 for p in report["pages"])
    assert 0 < report["time_to_window_s"] < 60
    # the process's peak after each screen: which screen raised it
    peaks = [p["peak_rss_mb"] for p in report["pages"]]
    assert peaks[0] > 0 and peaks == sorted(peaks) and peaks[-1] <= report["peak_rss_mb"]
    # what lives as long as the window is out of the garbage collector's full passes, which otherwise
    # walk it all on some keystroke (ui/main_window.freeze_long_lived)
    assert report["gc_frozen"] > 50_000
    assert "自检开始" in (data / "logs" / "minqing.log").read_text(encoding="utf-8")
    shots = sorted((tmp_path / "shots").glob("*.png"))
    first_tabs = [f"{n:02d}-{s.key}.png" for n, s in enumerate(PAGES, start=1)]
    assert [p.name for p in shots if p.name in first_tabs] == first_tabs
    assert [p["screenshot"] for p in report["pages"]] == [str(tmp_path / "shots" / n) for n in first_tabs]
    assert "03-diary-2.png" in [p.name for p in shots]  # each further tab of a screen too
    header = shots[0].read_bytes()[:24]  # PNG: signature, IHDR, width and height (big-endian)
    assert header[:8] == b"\x89PNG\r\n\x1a\n"
    # 1366×768 less the taskbar and the title bar of a maximized window
    assert (int.from_bytes(header[16:20], "big"), int.from_bytes(header[20:24], "big")) == (1366, 700)
    assert report["font_size"] == "标准" and all(p["clipped"] == [] for p in report["pages"])


def test_selftest_refuses_an_empty_folder(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "app", "selftest", "--data-dir", str(tmp_path / "empty")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1 and "没有民情簿数据库" in proc.stderr


def test_selftest_fails_when_a_screen_does_not_open(qtbot, templates, tmp_path, monkeypatch):
    data = shutil.copytree(templates["village"], tmp_path / "village")
    broken = (*PAGES, PageSpec("broken", "坏界面", "ui.no_such_module:Page", "Ctrl+9"))
    monkeypatch.setattr(main_window, "PAGES", broken)
    monkeypatch.setattr(selftest, "PAGES", broken)
    report = selftest.run(data, install_hooks=False, credentials=ADMIN)
    assert not report["ok"]
    assert [p["key"] for p in report["pages"] if not p["ok"]] == ["broken"]
    assert "no_such_module" in report["pages"][-1]["error"]
    assert list((data / "logs").glob("crash-*.log"))


def test_offscreen_is_chosen_only_without_a_display():
    assert needs_offscreen({}, "linux")
    assert not needs_offscreen({"DISPLAY": ":0"}, "linux")
    assert not needs_offscreen({"QT_QPA_PLATFORM": "xcb"}, "linux")
    assert not needs_offscreen({}, "win32")
