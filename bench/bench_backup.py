"""Integrity at open and backups on the 100 000-household demo village (the startup bench's workspace):

- ``PRAGMA quick_check`` as the program runs it at every open (target ≤ 1 s), beside the full
  ``integrity_check`` it runs after an unclean exit;
- a checked backup (the encrypted file copied under a read lock with a checksum taken of what was written,
  read back and compared, opened with the key, fsync, rename) against the raw limit of a plain file copy
  of the same database, same run (target ≤ 2×); beside it a plain copy followed by fsync (what a backup
  that is really on the disk costs at least), the bare online backup API, and the page-by-page
  authentication of the copy (``cipher_integrity_check``) that the verification replaced.

Each is the median of 3 runs, the worst shown too. Run alone: ``python -m bench.run backup``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import time

RUNS = 3


def _timed(fn, scratch=None) -> list[float]:
    """``fn``'s time, RUNS times; with ``scratch``, the folder is emptied before each run (untimed): a 2 GB
    copy a run would fill the disk."""
    out = []
    for _ in range(RUNS):
        if scratch is not None:
            _clean(scratch)
        started = time.perf_counter()
        fn()
        out.append(time.perf_counter() - started)
    return out


def _clean(scratch) -> None:
    """An empty ``scratch`` and nothing left for the disk to write: a copy that returned before its
    bytes were on the disk (no fsync) must not make the next one wait for them."""
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()
    if hasattr(os, "sync"):
        os.sync()


def copy_to_disk(source, target) -> None:
    """A plain file copy that is on the disk when it returns (fsync), as a backup must be."""
    shutil.copyfile(source, target)
    fd = os.open(target, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def timed_rounds(fns: dict, scratch) -> dict[str, list[float]]:
    """Each of ``fns`` timed RUNS times, in rounds that take them in turn (the first of a round moving
    on by one each round), each from an empty ``scratch`` and a disk with nothing left to write: the
    writes of one are never paid by another, and a slow minute of the machine falls on all of them."""
    names = list(fns)
    out: dict[str, list[float]] = {name: [] for name in names}
    for n in range(RUNS):
        for name in names[n % len(names) :] + names[: n % len(names)]:
            _clean(scratch)
            started = time.perf_counter()
            fns[name]()
            out[name].append(time.perf_counter() - started)
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
    # no target here: the window runs it behind itself; the start it holds (≤ 1 s) is bench_startup's row
    stat(f"quick_check at open ({size_mb:.0f} MB database), run behind the window", quick, None)
    stat(
        "integrity_check after an unclean exit",
        _timed(lambda: backups.integrity_problems(db, key, full=True)),
        None,
    )

    n = iter(range(1000))

    def plain_copy() -> None:
        shutil.copyfile(db, scratch / f"copy-{next(n)}.db")

    def durable_copy() -> None:
        copy_to_disk(db, scratch / f"durable-{next(n)}.db")

    def bare_backup() -> None:
        src, dst = cipher.connect(db, key), cipher.connect(scratch / f"bare-{next(n)}.db", key)
        src.backup(dst)
        dst.close()
        src.close()

    def checked_backup() -> None:
        backups.write_backup(db, scratch / "backups", f"bench-{next(n)}", key)

    timed = timed_rounds(
        {"copy": plain_copy, "bare": bare_backup, "checked": checked_backup, "durable": durable_copy}, scratch
    )
    copy_t, bare_t, checked_t, durable_t = (timed[k] for k in ("copy", "bare", "checked", "durable"))
    _clean(scratch)
    durable_copy()
    (copy_for_check,) = scratch.glob("durable-*.db")
    hmac_t = _timed(lambda: backups._page_problems(copy_for_check, key))
    stat("raw limit: plain file copy", copy_t, None)
    stat("plain file copy + fsync", durable_t, None)
    stat("bare online backup API", bare_t, None)
    stat("page-by-page authentication of a copy (cipher_integrity_check)", hmac_t, None)
    stat("checked backup (the program's)", checked_t, None)
    report(
        "checked backup / plain file copy (medians)",
        statistics.median(checked_t) / statistics.median(copy_t),
        "×",
        2.0,
    )
    report(
        "checked backup / plain file copy + fsync (medians)",
        statistics.median(checked_t) / statistics.median(durable_t),
        "×",
        None,
    )
    shutil.rmtree(scratch, ignore_errors=True)
