"""Encryption at rest against plain SQLite, the same 100 000-household demo village, the same run (issue 14).

The encrypted side is the program's own database (the startup bench's demo workspace, opened with the demo
account's password). The plain side is an exact plain copy of it (``sqlcipher_export``, with the
same page size), read through the same engine code with no key: the raw limit of the same SQLite on the
same data.

- open: unwrap the key (argon2id; the encrypted side only), connect, and answer the roster's first
  question (count of live households): what stands between a sign-in and the first screen;
- ``quick_check``, as every start runs it;
- full-text search: the roster's pinyin/name search and the diary's trigram search;
- a checked backup (online backup API, check, fsync, rename) against a plain file copy of the same file.

Each is the median of RUNS runs, the worst shown too, and the ratio encrypted ÷ plain.
Run alone: ``python -m bench.run encryption``.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path

from bench.bench_backup import RUNS, _timed, copy_to_disk, timed_rounds
from bench.bench_sync import page_size, plain_copy


def _plain_page_size(path: Path) -> int:
    from db import cipher

    conn = cipher.connect(path, None, readonly=True)
    try:
        return page_size(conn)
    finally:
        conn.close()


_SELFTEST = """
import contextlib, json, sys
from app.__main__ import main
if sys.argv[2] == "plain":
    from bench.bench_sync import plain_sqlite
    ctx = plain_sqlite()
else:
    ctx = contextlib.nullcontext()
with ctx:
    sys.argv = ["app", "selftest", "--data-dir", sys.argv[1], "--json", "--offscreen"]
    sys.exit(main())
"""


def _selftest(data_dir: Path, *, plain: bool) -> float:
    import json
    import subprocess
    import sys

    from bench.bench_startup import ROOT, _env

    proc = subprocess.run(
        [sys.executable, "-c", _SELFTEST, str(data_dir), "plain" if plain else "encrypted"],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    try:
        return float(json.loads(proc.stdout)["time_to_window_s"])
    except (ValueError, KeyError):
        raise RuntimeError(f"selftest failed: {proc.stdout[-1000:]} {proc.stderr[-1000:]}") from None


def demo_key(root: Path) -> bytes:
    """The demo workspace's key, unwrapped with the demo account's password (as its sign-in does)."""
    from db.keyslots import KeySlots

    from app.demo import DEMO_ADMIN
    from app.workspace import Workspace

    if not (root / "keys" / "database.keys").exists():  # made before encryption: converted once
        Workspace.open(root, create=False).close(daily_backup=False)
    slots = KeySlots.load(root / "keys")
    opened = slots.open_account(*DEMO_ADMIN) if slots is not None else None
    assert opened is not None, "the demo account opens the demo workspace"
    return opened[0]


def run(report) -> None:
    from sqlalchemy import func, select
    from sqlalchemy.orm import Session

    from db import backups, cipher
    from db.engine import make_engine
    from db.keyslots import KeySlots
    from db.models import Household
    from db.queries.diary import DiaryFilter, diary_entry_count, diary_entry_ids, diary_rows
    from db.queries.households import RosterFilter, roster_ids, roster_rows, roster_window

    from app.demo import DEMO_ADMIN
    from app.workspace import Workspace

    from bench.bench_startup import OUT, demo_workspace

    root = demo_workspace(report)
    db = root / "minqing.db"
    if cipher.is_plain(db):  # made by a program before encryption: converted once, timed
        started = time.perf_counter()
        Workspace.open(root, create=False).close(daily_backup=False)
        report(
            "conversion of the plain demo database to encrypted (once)",
            time.perf_counter() - started,
            "s",
            None,
        )
    slots = KeySlots.load(root / "keys")
    assert slots is not None
    key = demo_key(root)
    plain = OUT / "encryption-bench-plain.db"
    if (
        not plain.exists()
        or plain.stat().st_mtime < db.stat().st_mtime
        or _plain_page_size(plain) != cipher.PAGE_SIZE
    ):
        plain.unlink(missing_ok=True)
        plain_copy(db, key, plain)  # with the program's page size, as the encrypted side has
    size_mb = db.stat().st_size / 1048576
    scratch = OUT / "encryption-bench"
    shutil.rmtree(scratch, ignore_errors=True)
    scratch.mkdir()

    def pair(name: str, enc: list[float], bare: list[float], target: float | None) -> None:
        report(f"{name}: encrypted, median of {RUNS}", statistics.median(enc), "s", None)
        report(f"{name}: encrypted, worst", max(enc), "s", None)
        report(f"{name}: plain (raw limit), median", statistics.median(bare), "s", None)
        report(
            f"{name}: ratio encrypted ÷ plain (medians)",
            statistics.median(enc) / statistics.median(bare),
            "×",
            target,
        )

    from app.accounts import hash_password, verify_password

    demo_hash = hash_password(DEMO_ADMIN[1])

    def first_question(path: Path, k: bytes | None, unwrap: bool) -> None:
        """A sign-in and the first question: the encrypted program's password unwraps the key (and is
        not checked again: Workspace.take_password_proof); a program without encryption checks the
        same password against the account's hash (the same argon2 costs), then opens the plain file."""
        if unwrap:
            got = slots.open_account(*DEMO_ADMIN)
            assert got is not None
            k = got[0]
        else:
            assert verify_password(demo_hash, DEMO_ADMIN[1])
        engine = make_engine(path, key=k)
        try:
            with Session(engine) as s:
                s.scalar(select(func.count()).select_from(Household).where(Household.deleted_at.is_(None)))
        finally:
            engine.dispose()

    pair(
        f"open to the first query ({size_mb:.0f} MB)",
        _timed(lambda: first_question(db, None, True)),
        _timed(lambda: first_question(plain, None, False)),
        1.2,
    )
    pair(
        "quick_check at open",
        _timed(lambda: backups.integrity_problems(db, key)),
        _timed(lambda: backups.integrity_problems(plain, None)),
        None,
    )

    from ui.households.model import RosterModel
    from ui.models.lazy import PAGE_SIZE, LazyIdModel

    def as_the_window(s: Session, text: str) -> None:
        """What one search as typed costs the window: the roster's first screen (ui/households/model.py:
        the keys of its first window of rows in order, then their rows) and the diary's count, first
        page of ids and first fetch of rows (ui/models/lazy.py, ui/diary/models.py) of a word of two
        characters or more."""
        window = roster_window(s, RosterFilter(text=text), limit=RosterModel.WINDOW)
        roster_rows(s, window.keys[: LazyIdModel.ROW_WINDOW])
        if len(text) > 1:  # one character is searched in the diary on Enter only (ui/diary/page.py)
            diary_page(s, text)

    def diary_page(s: Session, text: str) -> None:
        f = DiaryFilter(text=text)
        if diary_entry_count(s, f):
            diary_rows(s, diary_entry_ids(s, f, limit=PAGE_SIZE)[: LazyIdModel.ROW_WINDOW])

    def one_character_on_enter(s: Session, text: str) -> None:
        if len(text) == 1:
            diary_page(s, text)

    def whole_lists(s: Session, text: str) -> None:
        """Every match in order: what a print or an export of the search reads, not a keystroke."""
        roster_ids(s, RosterFilter(text=text))
        diary_entry_ids(s, DiaryFilter(text=text), limit=200)

    def searches(path: Path, k: bytes | None, search) -> tuple[float, float]:
        """The 4 words (each in the roster and the diary) right after opening, then the same 4 again (a
        running window, its cache warm)."""
        engine = make_engine(path, key=k)
        try:
            with Session(engine) as s:
                s.scalar(select(func.count()).select_from(Household))
                passes = []
                for _ in range(2):
                    t = time.perf_counter()
                    for text in ("王", "wangjianguo", "低保", "自来水管"):
                        search(s, text)
                    passes.append(time.perf_counter() - t)
                return passes[0], passes[1]
        finally:
            engine.dispose()

    runs = [(searches(db, key, as_the_window), searches(plain, None, as_the_window)) for _ in range(RUNS)]
    pair(
        "search as the window runs it, first after opening (4 roster + 4 diary)",
        [e[0] for e, _ in runs],
        [b[0] for _, b in runs],
        None,
    )
    pair(
        "search as the window runs it, again in a running window",
        [e[1] for e, _ in runs],
        [b[1] for _, b in runs],
        1.3,
    )
    runs = [
        (searches(db, key, one_character_on_enter), searches(plain, None, one_character_on_enter))
        for _ in range(RUNS)
    ]
    pair(
        "diary search of one character (王) on Enter: no index, every entry read, again",
        [e[1] for e, _ in runs],
        [b[1] for _, b in runs],
        None,
    )
    runs = [(searches(db, key, whole_lists), searches(plain, None, whole_lists)) for _ in range(RUNS)]
    pair(
        "search's whole lists (print, export), again", [e[1] for e, _ in runs], [b[1] for _, b in runs], None
    )

    # time to window: the selftest (a fresh process, as bench_startup runs it) on the encrypted demo, and
    # on a copy whose database is plain, run by the same program with its encryption switched off
    plain_ws = OUT / "encryption-bench-plain-workspace"
    if (
        not (plain_ws / "minqing.db").exists()
        or (plain_ws / "minqing.db").stat().st_mtime < plain.stat().st_mtime
    ):
        shutil.rmtree(plain_ws, ignore_errors=True)
        shutil.copytree(root, plain_ws, ignore=shutil.ignore_patterns("minqing.db*", "backups"))
        shutil.copyfile(plain, plain_ws / "minqing.db")
        bare_slots = KeySlots.new()
        bare_slots.set_provisional(key)  # a plain program asks no password to open its file
        bare_slots.save(plain_ws / "keys")
    enc_w, bare_w = [], []
    for _ in range(RUNS):
        enc_w.append(_selftest(root, plain=False))
        bare_w.append(_selftest(plain_ws, plain=True))
    pair("time to window (selftest, 100 000 households)", enc_w, bare_w, 1.2)

    # Taken in turn, each from an empty scratch folder and a disk with nothing left to write
    # (bench_backup.timed_rounds): the copies without fsync return before their bytes are on the disk,
    # and those bytes were paid by the next backup's fsync when the runs came one kind after another.
    timed = timed_rounds(
        {
            "encrypted": lambda: backups.write_backup(db, scratch / "enc", "bench", key),
            "copy": lambda: shutil.copyfile(db, scratch / "copy.db"),
            "durable": lambda: copy_to_disk(db, scratch / "durable.db"),
            "plain": lambda: backups.write_backup(plain, scratch / "plain", "bench", None),
        },
        scratch,
    )
    enc_b, copy, durable, bare_b = (timed[k] for k in ("encrypted", "copy", "durable", "plain"))
    report(
        f"checked encrypted backup ({size_mb:.0f} MB), median of {RUNS}", statistics.median(enc_b), "s", None
    )
    report("checked encrypted backup, worst", max(enc_b), "s", None)
    report("plain file copy of the same file (raw limit), median", statistics.median(copy), "s", None)
    report(
        "plain file copy + fsync (on the disk, as a backup must be), median",
        statistics.median(durable),
        "s",
        None,
    )
    report("checked plain backup of the plain copy, median", statistics.median(bare_b), "s", None)
    report("encrypted backup ÷ plain file copy", statistics.median(enc_b) / statistics.median(copy), "×", 2.0)
    report(
        "encrypted backup ÷ plain file copy + fsync",
        statistics.median(enc_b) / statistics.median(durable),
        "×",
        None,
    )
    shutil.rmtree(scratch, ignore_errors=True)
