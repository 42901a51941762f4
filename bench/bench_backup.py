"""Integrity at open and backups on the 100 000-household demo village (the startup bench's workspace):

- ``PRAGMA quick_check`` as the program runs it at every open (target ≤ 1 s), beside the full
  ``integrity_check`` it runs after an unclean exit;
- a checked backup (online backup API, quick_check of the copy, fsync, rename) against the raw limit of a
  plain file copy of the same database, same run (target ≤ 2×), and the bare online backup API alone.

Each is the median of 3 runs, the worst shown too. Run alone: ``python -m bench.run backup``.
"""

from __future__ import annotations

import shutil
import statistics
import time

RUNS = 3


def _timed(fn) -> list[float]:
    out = []
    for _ in range(RUNS):
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def run(report) -> None:
    from db import backups, cipher

    from bench.bench_startup import OUT, demo_workspace

    OUT.mkdir(parents=True, exist_ok=True)
    from bench.bench_encryption import demo_key

    db = demo_workspace(report) / "minqing.db"
    key = demo_key(db.parent)
    size_mb = db.stat().st_size / 1048576
    scratch = OUT / "backup-bench"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()

    def stat(name: str, times: list[float], target: float | None, unit: str = "s") -> None:
        report(f"{name}, median of {RUNS}", statistics.median(times), unit, target)
        report(f"{name}, worst", max(times), unit, None)

    quick = _timed(lambda: backups.integrity_problems(db, key))
    stat(f"quick_check at open ({size_mb:.0f} MB database)", quick, 1.0)
    stat(
        "integrity_check after an unclean exit",
        _timed(lambda: backups.integrity_problems(db, key, full=True)),
        None,
    )

    n = iter(range(1000))

    def plain_copy() -> None:
        shutil.copyfile(db, scratch / f"copy-{next(n)}.db")

    def bare_backup() -> None:
        src, dst = cipher.connect(db, key), cipher.connect(scratch / f"bare-{next(n)}.db", key)
        src.backup(dst)
        dst.close()
        src.close()

    def checked_backup() -> None:
        backups.write_backup(db, scratch / "backups", f"bench-{next(n)}", key)

    copy_t = _timed(plain_copy)
    bare_t = _timed(bare_backup)
    checked_t = _timed(checked_backup)
    stat("raw limit: plain file copy", copy_t, None)
    stat("bare online backup API", bare_t, None)
    stat("checked backup (the program's)", checked_t, None)
    report(
        "checked backup / plain file copy (medians)",
        statistics.median(checked_t) / statistics.median(copy_t),
        "×",
        2.0,
    )
    shutil.rmtree(scratch, ignore_errors=True)
