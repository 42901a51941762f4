"""Time to window (process start → main window shown, offscreen) and peak memory, measured with
``python -m app selftest`` in a fresh process: on an empty village workspace and on a 100 000-household
demo workspace (``python -m app demo --households 100000``: every demo step — households, about
500 000 diary entries, mediation — made once into bench/out/ and reused while the demo steps and the
schema are unchanged). Building it reports the demo's total time and each step's (issue 2: under a minute).

``MINQING_BENCH_STARTUP_STEPS=households`` makes the roster only (``demo --steps``), for a quick run.

Targets (issue 2): window within 1.5 s, peak RSS under 250 MB.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOUSEHOLDS = int(os.environ.get("MINQING_BENCH_HOUSEHOLDS", "100000"))
STEPS = os.environ.get("MINQING_BENCH_STARTUP_STEPS", "")  # "" = every demo step
RUNS = 3  # best of three: the machine is shared; the minimum is the least disturbed run
TARGET_WINDOW_S = 1.5
TARGET_RSS_MB = 250


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("MINQING_DATA_DIR", None)
    return env


def _app(*args: str, timeout: float = 900) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def _demo_fingerprint() -> str:
    """Rebuild the cached demo workspace when the demo steps, models or migrations change."""
    h = hashlib.sha256(f"{HOUSEHOLDS} {STEPS}".encode())
    paths = [
        *(ROOT / "app").glob("demo*.py"),
        *(ROOT / "app").glob("*/demo.py"),
        *(ROOT / "db" / "models").rglob("*.py"),
        *(ROOT / "db").glob("diary_*.py"),  # what migrations create from there (full text, derived data)
        *(ROOT / "migrations").rglob("*.py"),
    ]
    for path in sorted(paths):
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def empty_workspace() -> Path:
    target = OUT / "startup-empty"
    shutil.rmtree(target, ignore_errors=True)
    os.environ["MINQING_BENCH_PASSWORD"] = "bench-pass-1"
    env = _env() | {"MINQING_BENCH_PASSWORD": "bench-pass-1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "app",
            "init",
            "village",
            "--data-dir",
            str(target),
            "--code",
            "370681101201",
            "--name",
            "张家村",
            "--admin-user",
            "admin",
            "--admin-password-env",
            "MINQING_BENCH_PASSWORD",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(f"init failed: {proc.stderr}")
    return target


def demo_workspace(report) -> Path:
    target = OUT / (f"startup-demo-{HOUSEHOLDS}" + ("-" + STEPS.replace(",", "-") if STEPS else ""))
    stamp = target / "bench-fingerprint.txt"
    fingerprint = _demo_fingerprint()
    if stamp.exists() and stamp.read_text() == fingerprint:
        report(f"demo --households {HOUSEHOLDS}: cached from an earlier run (not timed)", None, "", None)
        return target
    shutil.rmtree(target, ignore_errors=True)
    started = time.perf_counter()
    steps = ["--steps", STEPS] if STEPS else []
    proc = _app(
        "demo", "--data-dir", str(target), "--households", str(HOUSEHOLDS), *steps, "--json", timeout=3600
    )
    if proc.returncode:
        raise RuntimeError(f"demo failed: {proc.stderr}")
    out = json.loads(proc.stdout)
    label = f"demo --households {HOUSEHOLDS}" + (f" --steps {STEPS}" if STEPS else "")
    report(f"{label}, total (process)", time.perf_counter() - started, "s", 60)
    for step, seconds in out.get("seconds", {}).items():
        if step != "total":
            report(f"  demo step {step}", seconds, "s", None)
    for kind in ("households", "persons", "diary_entries", "demands", "mediation_cases"):
        if kind in out.get("made", {}):
            report(f"  demo made {kind}", out["made"][kind], "", None)
    stamp.write_text(fingerprint)
    return target


def selftest(data_dir: Path) -> tuple[float, float, dict]:
    """Best time-to-window and worst peak RSS over RUNS fresh processes, plus the last report."""
    times, rss, last = [], [], {}
    for _ in range(RUNS):
        proc = _app("selftest", "--data-dir", str(data_dir), "--json", timeout=300)
        if proc.returncode:
            raise RuntimeError(
                f"selftest failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
            )
        last = json.loads(proc.stdout)
        times.append(last["time_to_window_s"])
        rss.append(last["peak_rss_mb"] or 0.0)
    return min(times), max(rss), last


def run(report) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    for label, data_dir in (
        ("empty workspace", empty_workspace()),
        (f"{HOUSEHOLDS} households", demo_workspace(report)),
    ):
        window_s, peak_mb, last = selftest(data_dir)
        report(f"time to window, {label}", window_s, "s", TARGET_WINDOW_S)
        report(f"peak RSS (selftest, all screens), {label}", peak_mb, "MB", TARGET_RSS_MB)
        slowest = max(last["pages"], key=lambda p: p["open_s"])
        report(f"slowest screen to open ({slowest['key']}), {label}", slowest["open_s"], "s", None)
