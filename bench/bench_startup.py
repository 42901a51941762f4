"""Time to window and peak memory, measured with ``python -m app selftest`` in a fresh process. Two
times, both from the process's start: to the first window (the sign-in box of an encrypted workspace,
shown before the database layer loads: ui/preload.py) and to the main window shown after a sign-in
pressed the instant the box appeared (the worst case: no typing time hides the background load, and the
sign-in's argon2 counts: one, the key slot's, whose success also proves the password). Measured on an
empty village workspace and on a 100 000-household demo workspace (``python -m app demo --households
100000``: every demo step — households, about 500 000 diary entries, mediation — made once into
bench/out/ and reused while the demo steps and the schema are unchanged). Building it reports the
demo's total time and each step's (issue 2: under a minute).

The yardstick (issue 17) is a bare QMainWindow (``bench/bare_window.py``), started the same way in the
same round: a fresh ``python -m`` process from the project folder, the offscreen platform, the clock from
the process's start to the window shown and settled. The machine is shared, so each round runs the
yardstick and both selftests back to back and the table gives the median and the worst of the rounds.

The integrity check at start (issue 14): how long opening the 100 000-household workspace as the window
does is held by the check (a database this large is checked in the background, writes wait for the
verdict: ``Workspace.open(defer_check=True)``), beside the bare ``PRAGMA quick_check`` of the same file.

``MINQING_BENCH_STARTUP_STEPS=households`` makes the roster only (``demo --steps``), for a quick run;
``MINQING_BENCH_STARTUP_RUNS`` sets the rounds (5).

Targets: window within 1.5 s (issue 2) and ≤ 4× the bare window (issue 17; given to both the first
window and the main window after the instant sign-in); peak RSS, every screen
visited, ≤ 200 MB (issue 17); ≤ 1 s of start held by the integrity check (issue 14). Each screen's
worst time to open in the selftest (its data shown) is reported too, without a target (see bench_reports
for 今日待办's and 统计报表's 1 s).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
HOUSEHOLDS = int(os.environ.get("MINQING_BENCH_HOUSEHOLDS", "100000"))
STEPS = os.environ.get("MINQING_BENCH_STARTUP_STEPS", "")  # "" = every demo step
RUNS = int(os.environ.get("MINQING_BENCH_STARTUP_RUNS", "5"))  # the machine is shared: median and worst
BENCH_PASSWORD = "bench-pass-1"  # the empty workspace's administrator
TARGET_WINDOW_S = 1.5
TARGET_WINDOW_RATIO = 4.0  # issue 17: ≤ 4× a bare QMainWindow measured in the same run
TARGET_RSS_MB = 200  # issue 17: all screens visited
TARGET_CHECK_AT_START_S = 1.0  # issue 14: quick_check at start on the 100 000-household village


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    env.pop("MINQING_DATA_DIR", None)
    env["MINQING_BENCH_PASSWORD"] = BENCH_PASSWORD
    # Byte code as an installed program has it (the frozen build ships it; an installed package compiles
    # once): an environment with PYTHONDONTWRITEBYTECODE made every start compile the program's ~160
    # modules from source, while the yardstick's PySide6 came compiled from site-packages. Both write and
    # read theirs under bench/out/pycache, and the first, warm-up, run of each is not timed.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    env["PYTHONPYCACHEPREFIX"] = str(OUT / "pycache")
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
    env = _env()
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
    report(f"{label}, total (process)", time.perf_counter() - started, "s", 120)  # issue 17: every step
    for step, seconds in out.get("seconds", {}).items():
        if step != "total":
            report(f"  demo step {step}", seconds, "s", None)
    for kind in ("households", "persons", "diary_entries", "demands", "mediation_cases"):
        if kind in out.get("made", {}):
            report(f"  demo made {kind}", out["made"][kind], "", None)
    stamp.write_text(fingerprint)
    return target


def _json_run(args: list[str], timeout: float = 300) -> dict:
    proc = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if proc.returncode:
        raise RuntimeError(
            f"{args[:3]} failed ({proc.returncode}): {proc.stdout[-2000:]} {proc.stderr[-2000:]}"
        )
    return json.loads(proc.stdout)


def selftest(data_dir: Path) -> dict:
    """One ``python -m app selftest`` in a fresh process: its report. The empty workspace signs in with
    its administrator's password; the demo's own account is known to the selftest."""
    sign_in = (
        [] if "demo" in data_dir.name else ["--user", "admin", "--password-env", "MINQING_BENCH_PASSWORD"]
    )
    return _json_run(["-m", "app", "selftest", "--data-dir", str(data_dir), "--json", *sign_in])


def bare_window() -> dict:
    """One bare QMainWindow in a fresh process, started as the selftest is (bench/bare_window.py)."""
    return _json_run(["-m", "bench.bare_window"], timeout=60)


def _median_worst(values: list[float]) -> tuple[float, float]:
    return statistics.median(values), max(values)


def run(report) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    report(f"load average at start (1 min; {os.cpu_count()} cores)", os.getloadavg()[0], "", None)
    workspaces = (
        ("empty workspace", empty_workspace()),
        (f"{HOUSEHOLDS} households", demo_workspace(report)),
    )
    bare_window()  # warm-up, not timed: byte code written (see _env)
    selftest(workspaces[0][1])
    bare: list[dict] = []
    runs: dict[str, list[dict]] = {label: [] for label, _ in workspaces}
    for _ in range(RUNS):  # interleaved: each round's yardstick shares that round's load on the machine
        bare.append(bare_window())
        for label, data_dir in workspaces:
            runs[label].append(selftest(data_dir))
    bare_t = [b["time_to_window_s"] for b in bare]
    median_bare, worst_bare = _median_worst(bare_t)
    report(f"bare QMainWindow, time to window, median of {RUNS}", median_bare, "s", None)
    report(f"bare QMainWindow, time to window, worst of {RUNS}", worst_bare, "s", None)
    report("bare QMainWindow, peak RSS", max(b["peak_rss_mb"] for b in bare), "MB", None)
    for label, reports in runs.items():
        boxes = [r.get("time_to_signin_s") for r in reports]
        if all(b is not None for b in boxes):  # an encrypted workspace: the sign-in box is the first window
            median_b, worst_b = _median_worst(boxes)
            box_ratios = [b / bare_b for b, bare_b in zip(boxes, bare_t, strict=True)]
            report(f"time to the first window (sign-in box), {label}, median of {RUNS}", median_b, "s", None)
            report(f"time to the first window (sign-in box), {label}, worst of {RUNS}", worst_b, "s", None)
            report(
                f"time to the first window (sign-in box), {label} ÷ bare QMainWindow, median of {RUNS} rounds",
                statistics.median(box_ratios),
                "×",
                TARGET_WINDOW_RATIO,
            )
            report(
                f"time to the first window (sign-in box), {label} ÷ bare, worst round",
                max(box_ratios),
                "×",
                None,
            )
        times = [r["time_to_window_s"] for r in reports]
        median_t, worst_t = _median_worst(times)
        ratios = [t / b for t, b in zip(times, bare_t, strict=True)]
        # The main window after a sign-in pressed the instant the box showed (no time to type: the
        # database layer's background load is not hidden behind typing), the real sign-in included.
        report(f"time to window, {label}, median of {RUNS}", median_t, "s", TARGET_WINDOW_S)
        report(f"time to window, {label}, worst of {RUNS}", worst_t, "s", None)
        report(
            f"time to window, {label} ÷ bare QMainWindow, median of {RUNS} rounds",
            statistics.median(ratios),
            "×",
            TARGET_WINDOW_RATIO,
        )
        report(f"time to window, {label} ÷ bare QMainWindow, worst round", max(ratios), "×", None)
        report(
            f"peak RSS (selftest, all screens), {label}, worst of {RUNS}",
            max(r["peak_rss_mb"] or 0.0 for r in reports),
            "MB",
            TARGET_RSS_MB,
        )
        pages = [p for r in reports for p in r["pages"]]
        slowest = max(pages, key=lambda p: p["open_s"])
        report(
            f"slowest screen to open ({slowest['key']}), {label}, worst of {RUNS}",
            slowest["open_s"],
            "s",
            None,
        )
        # each screen's worst (issue 17: every screen at 100 000 households). No target here: the selftest's
        # time includes its own polling; 今日待办's and 统计报表's work is timed against 1 s in bench_reports
        for key, title in dict((p["key"], p["title"]) for p in pages).items():
            report(
                f"  screen {title} ({key}) to open, {label}, worst of {RUNS}",
                max(p["open_s"] for p in pages if p["key"] == key),
                "s",
                None,
            )
    quick_check_at_start(report, workspaces[1][1])


def quick_check_at_start(report, data_dir: Path) -> None:
    """Issue 14: the integrity check at start on the 100 000-household village (target ≤ 1 s of start
    held by it), beside the bare ``PRAGMA quick_check`` on the same file, same run."""
    from db import cipher

    from app.demo import DEMO_ADMIN
    from app.workspace import Workspace

    ws = Workspace.open(data_dir, create=False, credentials=DEMO_ADMIN)  # an open and a clean close,
    key = ws.key  # so that the opens below are of a cleanly closed file, as every start but a crash's
    ws.close(daily_backup=False)
    assert key is not None
    size_mb = (data_dir / "minqing.db").stat().st_size / 1e6
    bare, held, verdict = [], [], []
    for _ in range(RUNS):
        started = time.perf_counter()
        conn = cipher.connect(data_dir / "minqing.db", key, readonly=True)
        try:
            assert conn.execute("PRAGMA quick_check").fetchall() == [("ok",)]
        finally:
            conn.close()
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        ws = Workspace.open(data_dir, create=False, defer_check=True, key=key)  # as the window opens it
        held.append(time.perf_counter() - started)
        ws.wait_for_check()
        verdict.append(time.perf_counter() - started)
        ws.close(daily_backup=False)
    report(f"database size, {HOUSEHOLDS} households", size_mb, "MB", None)
    report(f"bare PRAGMA quick_check (raw limit), median of {RUNS}", statistics.median(bare), "s", None)
    report(f"bare PRAGMA quick_check (raw limit), worst of {RUNS}", max(bare), "s", None)
    report(
        f"open held by the integrity check at start (Workspace.open as the window), worst of {RUNS}",
        max(held),
        "s",
        TARGET_CHECK_AT_START_S,
    )
    report(
        f"background check's verdict (writes wait for it), median of {RUNS}",
        statistics.median(verdict),
        "s",
        None,
    )
    report(
        "background check's verdict ÷ bare quick_check, median",
        statistics.median(verdict) / statistics.median(bare),
        "×",
        None,
    )
    # After a crash (the mark of a run that did not close cleanly left behind): the full integrity_check,
    # which the window no longer waits for (it held the start about 30 s at 100 000 households).
    ws = Workspace.open(data_dir, create=False, key=key)
    ws.engine.dispose()  # the process "dies" with the database open: its mark stays
    ws._run.leave()
    assert ws.last_run_unclean()
    started = time.perf_counter()
    ws = Workspace.open(data_dir, create=False, defer_check=True, key=key)
    held_after_crash = time.perf_counter() - started
    ws.wait_for_check()
    verdict_after_crash = time.perf_counter() - started
    ws.close(daily_backup=False)
    report(
        "open held by the check at start after a crash (full check, behind the window)",
        held_after_crash,
        "s",
        TARGET_CHECK_AT_START_S,
    )
    report(
        "background full check's verdict after a crash (writes wait for it)", verdict_after_crash, "s", None
    )
