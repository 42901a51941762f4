"""Sync by file at scale: a village-year exported and imported, 30 of them into one town, and beside
it raw ``executemany`` of the same rows into the same tables (the program's SQLite, plain and
encrypted).

A village-year as the issue defines it, made by the demo steps of every feature: 3 000 households with
their members (~10 000), ~10 000 diary entries with their participants, demands and signatures (each
signature a picture file of its own, ~6 000 files), and 300 mediation cases with parties, sessions,
agreements and follow-ups. Set MINQING_BENCH_VILLAGES to
run fewer than 30 villages (each takes ~10 s to generate), and MINQING_BENCH_SYNC_CACHE=DIR to keep the
villages made (the town, the bundles, the first village) in DIR and take them from there on the next
run (before and after a change, the same bundles).

Run alone: ``python -m bench.bench_sync`` (or through ``bench/run.py``).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

HOUSEHOLDS = 3000
# every signed diary entry carries its own signature picture, as in a real village
VILLAGE_YEAR = {"diary_entries": 10_000, "mediation_cases": 300, "unique_signatures": 1}
VILLAGES = int(os.environ.get("MINQING_BENCH_VILLAGES", "30"))
TOWN_CODE = "370681101"
RAW_TRIALS = 5  # one village-year imported, and the raw yardstick, this many times each


def fill_village(ws, seed: int) -> dict[str, int]:
    """A village-year through the demo steps of every feature (households, members, diaries with
    demands and signatures, screenings and cases), i.e. the real synced tables; returns what was made."""
    from app import demo

    return demo.run(ws, households=HOUSEHOLDS, seed=seed, today=dt.date(2024, 12, 31), sizes=VILLAGE_YEAR)


def raw_insert_seconds(
    template_db: Path, village_db: Path, village_key: bytes, workdir: Path, *, key: bytes | None = None
) -> tuple[float, int]:
    """Raw ``executemany`` of one village's synced rows into a fresh town database with the same tables
    and indexes and no triggers (the full-text and derived-data triggers are the program's own work: a
    yardstick that fires them per row measures them, not SQLite). ``key``: the town database encrypted
    with it, the yardstick of an encrypted import; None: plain.

    The same SQLite as the program's (sqlcipher3's, through :mod:`db.cipher`: the standard library's
    is another build, older, and binds a NULL through its adapter lookup), the program's page size and
    bulk page cache, and the data rules (WAL, ``synchronous=FULL``, foreign keys): what that SQLite does
    with these rows at best, so that the ratio measures the program and not a slower yardstick."""
    from db import cipher
    from db.bulk import BULK_CACHE_KIB

    from app.sync.records import table_specs

    target, plain = workdir / "raw-town.db", workdir / "raw-town-plain.db"
    for path in (target, plain):
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copy(template_db, plain)
    bare = cipher.connect(plain, None)
    bare.isolation_level = None
    for (name,) in bare.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        bare.execute(f'DROP TRIGGER "{name}"')
    if page_size(bare) != cipher.PAGE_SIZE:  # a template of an older run
        bare.execute(f"PRAGMA page_size = {cipher.PAGE_SIZE}")
        bare.execute("VACUUM")
    bare.close()
    if key is None:
        plain.rename(target)
    else:
        cipher.encrypt_database(plain, target, key)
        plain.unlink()
    src = cipher.connect(village_db, village_key)
    data = []
    for spec in table_specs():
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        data.append(
            (spec.table_name, spec.columns, src.execute(f'SELECT {cols} FROM "{spec.table_name}"').fetchall())
        )
    src.close()
    con = cipher.connect(target, key)  # with the SQL functions the template's schema names
    con.isolation_level = None
    assert page_size(con) == cipher.PAGE_SIZE
    con.execute(f"PRAGMA cache_size = -{BULK_CACHE_KIB}")
    con.execute("PRAGMA journal_mode=WAL")
    con.execute("PRAGMA synchronous=FULL")
    con.execute("PRAGMA foreign_keys=ON")
    start = time.perf_counter()
    con.execute("BEGIN")
    con.execute("PRAGMA defer_foreign_keys=ON")
    rows = 0
    for table, cols, values in data:
        sql = f'INSERT INTO "{table}" ({", ".join(cols)}) VALUES ({", ".join("?" * len(cols))})'
        con.executemany(sql, values)
        rows += len(values)
    con.execute("COMMIT")
    elapsed = time.perf_counter() - start
    con.close()
    return elapsed, rows


def page_size(conn) -> int:
    """The page size of the database on a DBAPI connection (a keyed one answers in text)."""
    return int(conn.execute("PRAGMA page_size").fetchone()[0])


def plain_copy(db: Path, key: bytes, target: Path) -> Path:
    """A plain SQLite copy of an encrypted database (``sqlcipher_export``), with the program's page size
    (SQLite's default is a quarter of it; a plain workspace of the program's has the same: db/engine.py)."""
    from db import cipher

    conn = cipher.connect(db, key)
    try:
        conn.execute("ATTACH DATABASE ? AS plain KEY ''", (str(target),))
        conn.execute(f"PRAGMA plain.page_size = {cipher.PAGE_SIZE}")  # the file is still empty
        conn.execute("SELECT sqlcipher_export('plain')")
        conn.execute("DETACH DATABASE plain")
    finally:
        conn.close()
    return target


@contextlib.contextmanager
def plain_sqlite():
    """The program with its database encryption switched off (only here, for the yardstick): every
    connection is made without the key, and a plain file is not taken for one to convert."""
    from db import cipher

    saved = cipher.prepare, cipher.is_plain

    def prepare(conn, _key):
        saved[0](conn, None)  # a plain connection, with the SQL functions the triggers call

    cipher.prepare, cipher.is_plain = prepare, lambda _path: False
    try:
        yield
    finally:
        cipher.prepare, cipher.is_plain = saved


def _without_row_checks():
    """The per-row authority rules switched off (only here, to measure what they cost): every row
    passes the screen, the column rules and the attachment-content rule."""
    import contextlib

    from app import ownership

    @contextlib.contextmanager
    def patched():
        saved = (ownership.screen_rows, ownership.column_verdict, ownership.attachment_content_refused)
        ownership.screen_rows = lambda conn, spec, columns, rows, auth, out: rows
        ownership.column_verdict = lambda *args, **kwargs: None
        ownership.attachment_content_refused = lambda *args, **kwargs: {}
        try:
            yield
        finally:
            ownership.screen_rows, ownership.column_verdict, ownership.attachment_content_refused = saved

    return patched()


def checks_ratio(empty_town: Path, bundle: Path, workdir: Path, trials: int = 7) -> dict[str, float]:
    """One village-year imported into copies of the same empty town, with and without the per-row
    authority checks, in alternating order. Returns the medians of wall time and of the process's CPU
    time (the checks are CPU work; the CPU time is not blurred by the disk's syncs) and their ratios."""
    import statistics

    from app.sync.importer import import_bundles
    from app.workspace import Workspace

    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    own: list[float] = []  # CPU time inside the check functions themselves, per checked import
    for n in range(trials):
        for checks in (True, False) if n % 2 == 0 else (False, True):
            target = workdir / f"ratio-{n}-{checks}"
            shutil.copytree(empty_town, target)
            ws = Workspace.open(target, create=False)
            _settle()
            spent = [0.0]
            with _timing_checks(spent) if checks else _without_row_checks():
                start, start_cpu = time.perf_counter(), time.process_time()
                report = import_bundles(ws, [bundle], index=False)
                wall[checks].append(time.perf_counter() - start)
                cpu[checks].append(time.process_time() - start_cpu)
            if checks:
                own.append(spent[0])
            assert report.bundles[0].status == "imported" and report.bundles[0].counts["rejected"] == 0
            ws.close()
            shutil.rmtree(target)
    med = {
        f"{kind} {on}": statistics.median(d[on])
        for kind, d in (("wall", wall), ("cpu", cpu))
        for on in (True, False)
    }
    med["wall ratio"] = med["wall True"] / med["wall False"]
    med["cpu ratio"] = med["cpu True"] / med["cpu False"]
    med["own"] = statistics.median(own)
    # the same cost measured from inside: the checked import against itself less the checks' own time
    med["own ratio"] = statistics.median(c / (c - o) for c, o in zip(cpu[True], own, strict=True))
    return med


def _timing_checks(spent: list[float]):
    """Add the CPU time spent inside the authority checks to ``spent[0]`` (the checks stay on)."""
    import contextlib

    from app import ownership
    from app.sync import importer

    @contextlib.contextmanager
    def timed():
        targets = [
            (ownership, "screen_rows"),
            (ownership, "column_verdict"),
            (ownership, "attachment_content_refused"),
            (importer, "_authority"),
        ]
        saved = [(module, name, getattr(module, name)) for module, name in targets]

        def wrap(func):
            def inner(*args, **kwargs):
                start = time.process_time()
                try:
                    return func(*args, **kwargs)
                finally:
                    spent[0] += time.process_time() - start

            return inner

        for module, name, func in saved:
            setattr(module, name, wrap(func))
        try:
            yield
        finally:
            for module, name, func in saved:
                setattr(module, name, func)

    return timed()


def _settle() -> None:
    """Let the system write out what generating the villages left in its cache (gigabytes, here; a
    town's computer reading bundles off a USB stick has none of it) before an import is timed: its
    own commits' syncs would otherwise wait behind that write-back."""
    if hasattr(os, "sync"):
        os.sync()


def make_villages(tmp: Path, report) -> dict:
    """The enrolled town (its database also as a plain template), and VILLAGES village-years made by the
    demo steps and exported to ``tmp/stick``; the first village's workspace is kept (the raw yardstick
    reads its rows), the others are removed once exported."""
    from app.stations import init_station
    from app.sync.enrollment import enroll, export_card
    from app.sync.export import export_bundles
    from app.workspace import Workspace

    town = Workspace.open(tmp / "town")
    init_station(town, kind="town", code=TOWN_CODE, name="东城镇")
    town_card = export_card(town, tmp / "town-card.json")
    plain_copy(town.db_path, town.key, tmp / "town-template.db")
    stick = tmp / "stick"
    stick.mkdir()
    meta: dict = {"bundles": [], "rows_total": 0, "made": {}}
    for n in range(VILLAGES):
        code = f"{TOWN_CODE}{201 + n:03d}"
        v = Workspace.open(tmp / f"v{n}")
        init_station(v, kind="village", code=code, name=f"第{n + 1}村", town_card=town_card)
        made = fill_village(v, n + 1)
        enroll(town, export_card(v, tmp / f"card{n}.json"))
        start = time.perf_counter()
        (result,) = export_bundles(v, stick)
        seconds = time.perf_counter() - start
        meta["bundles"].append(result.path.name)
        meta["rows_total"] += result.total
        if n == 0:
            meta["made"] = {
                k: made[k] for k in ("households", "persons", "diary_entries", "mediation_cases") if k in made
            }
            meta.update(
                first_rows=result.total, first_size=result.path.stat().st_size, export_seconds=seconds
            )
            meta["first_key"] = v.key.hex()
        v.close()
        if n:
            shutil.rmtree(tmp / f"v{n}")
    town.close()
    return meta


def run(report) -> None:
    from db import migrate

    from app.sync.importer import import_bundles
    from app.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="minqing-bench-sync-") as tmp:
        tmp = Path(tmp)
        cache = (
            Path(os.environ["MINQING_BENCH_SYNC_CACHE"])
            if os.environ.get("MINQING_BENCH_SYNC_CACHE")
            else None
        )
        meta_file = cache / f"villages-{VILLAGES}.json" if cache else None
        # the villages of an earlier run, as they were, if that run's program had this schema: a bundle
        # of an older one takes the importer's path for other programs (issue 17 measures the common
        # case, a village and its town on the same release)
        cached = (
            json.loads(meta_file.read_text(encoding="utf-8")) if meta_file and meta_file.exists() else None
        )
        if cached is not None and cached.get("schema") != migrate.head_revision():
            print(f"    (the cached villages in {cache} are of schema {cached.get('schema')}: made again)")
            cached = None
        if cached is not None:
            meta = cached
            for name in ("town", "stick", "v0"):
                shutil.copytree(cache / name, tmp / name)
            shutil.copy(cache / "town-template.db", tmp / "town-template.db")
            print(f"    (the {VILLAGES} villages made by an earlier run, from {cache})")
            meta["export_seconds"] = None  # not measured in this run
        else:
            meta = make_villages(tmp, report)
            meta["schema"] = migrate.head_revision()
            if cache is not None and meta_file is not None:
                shutil.rmtree(cache, ignore_errors=True)
                cache.mkdir(parents=True)
                for name in ("town", "stick", "v0"):
                    shutil.copytree(tmp / name, cache / name)
                shutil.copy(tmp / "town-template.db", cache / "town-template.db")
                meta_file.write_text(json.dumps(meta), encoding="utf-8")
        for key, value in meta["made"].items():
            report(f"village-year: {key}", value, "", "")
        report("village-year export (rows)", meta["first_rows"], "rows", "")
        if meta.get("export_seconds") is not None:
            report("village-year export", meta["export_seconds"], "s", "")
        report("village-year bundle size", meta["first_size"] / 1e6, "MB", "")
        bundles = [tmp / "stick" / name for name in meta["bundles"]]
        rows_total, first_rows = meta["rows_total"], meta["first_rows"]
        template_db = tmp / "town-template.db"
        first_village_db = tmp / "v0" / "minqing.db"
        first_village_key = bytes.fromhex(meta["first_key"])
        town = Workspace.open(tmp / "town", create=False)

        town_key = town.key
        town.close()  # an enrolled, empty town: the starting point of the checks' ratio
        empty_town = tmp / "town-empty"
        shutil.copytree(town.root, empty_town)
        # the yardstick of encryption: the same town, its database plain, the same program without the key
        plain_town = tmp / "town-plain"
        shutil.copytree(town.root, plain_town)
        (plain_town / "minqing.db").unlink()
        plain_copy(town.root / "minqing.db", town_key, plain_town / "minqing.db")
        town = Workspace.open(tmp / "town", create=False)
        ratio = checks_ratio(empty_town, bundles[0], tmp)
        report("village-year import, checks on (median of 7, wall)", ratio["wall True"], "s", "")
        report("village-year import, checks off (median of 7, wall)", ratio["wall False"], "s", "")
        report("village-year import, checks on (median of 7, CPU)", ratio["cpu True"], "s", "")
        report("village-year import, checks off (median of 7, CPU)", ratio["cpu False"], "s", "")
        report("cost of the checks: with / without (wall)", ratio["wall ratio"], "×", "")
        report("cost of the checks: with / without (CPU)", ratio["cpu ratio"], "×", "")
        report("  CPU inside the check functions, per village-year", ratio["own"], "s", "")
        report("cost of the checks: import / import less the checks' own CPU", ratio["own ratio"], "×", 1.10)

        # One village-year into the empty town, beside the raw yardstick in the same minutes: each
        # RAW_TRIALS times on fresh copies, alternating, the median and the worst of each.
        import statistics

        imports, raws, raws_enc, index_parts, plains = [], [], [], [], []

        def yardsticks() -> None:
            raw, raw_rows = raw_insert_seconds(template_db, first_village_db, first_village_key, tmp)
            assert raw_rows == first_rows
            raws.append(raw)
            raws_enc.append(
                raw_insert_seconds(template_db, first_village_db, first_village_key, tmp, key=town_key)[0]
            )

        for n in range(RAW_TRIALS):
            if n % 2:
                yardsticks()
            target = tmp / f"one-{n}"
            shutil.copytree(empty_town, target)
            ws = Workspace.open(target, create=False)
            _settle()
            start = time.perf_counter()
            trial = import_bundles(ws, [bundles[0]])
            imports.append(time.perf_counter() - start)
            index_parts.append(trial.index_seconds)
            assert trial.bundles[0].status == "imported", trial.bundles[0]
            ws.close()
            shutil.rmtree(target)
            with plain_sqlite():  # the same, into the town's plain copy: the program without the key
                shutil.copytree(plain_town, target)
                ws = Workspace.open(target, create=False)
                _settle()
                start = time.perf_counter()
                trial = import_bundles(ws, [bundles[0]])
                plains.append(time.perf_counter() - start)
                assert trial.bundles[0].status == "imported", trial.bundles[0]
                ws.close()
                shutil.rmtree(target)
            if not n % 2:
                yardsticks()
        import_median, raw_median = statistics.median(imports), statistics.median(raws)
        raw_enc_median = statistics.median(raws_enc)
        report(
            "village-year import (verify+decrypt+apply+index)",
            import_median,
            "s",
            "",
        )
        report("village-year import, worst", max(imports), "s", "")
        report("  of which the full-text pass", statistics.median(index_parts), "s", "")
        report(
            f"raw executemany, plain: the program's SQLite, same rows, pages, indexes, no triggers, median of {RAW_TRIALS}",
            raw_median,
            "s",
            "",
        )
        report("raw executemany, plain, worst", max(raws), "s", "")
        report(
            f"raw executemany, encrypted: the same with the town's key, median of {RAW_TRIALS}",
            raw_enc_median,
            "s",
            "",
        )
        report("raw executemany, encrypted, worst", max(raws_enc), "s", "")
        plain_median = statistics.median(plains)
        report("village-year import into a plain town (same program, no key), median", plain_median, "s", "")
        report(
            "plain import speed ÷ plain raw speed (medians; issue 17's row, measured before encryption)",
            raw_median / plain_median,
            "×",
            (">=", 0.5),
        )
        report("village-year import: encrypted ÷ plain (medians)", import_median / plain_median, "×", 1.25)
        report(
            "encrypted import speed ÷ encrypted raw speed (medians)",
            raw_enc_median / import_median,
            "×",
            (">=", 0.5),
        )
        # What the window's import wizard waits for before its summary: the data in; the full-text pass
        # follows in the background (import_bundles(index=False), then app.indexing.catch_up_indexes).
        data_in = statistics.median(t - i for t, i in zip(imports, index_parts, strict=True))
        report(
            "village-year import, data in (the wizard's summary; full text after), median", data_in, "s", ""
        )
        report(
            "  data-in speed ÷ encrypted raw speed (medians; no target)", raw_enc_median / data_in, "×", ""
        )

        _settle()
        start = time.perf_counter()
        one = import_bundles(town, [bundles[0]])
        import_one = time.perf_counter() - start
        assert one.bundles[0].status == "imported", one.bundles[0]

        _settle()
        start = time.perf_counter()
        rest = import_bundles(town, bundles[1:])
        import_rest = time.perf_counter() - start
        assert all(b.status == "imported" for b in rest.bundles)
        index_seconds = one.index_seconds + rest.index_seconds
        report(f"{VILLAGES} village-years into one town", import_one + import_rest, "s", "< 60")
        report("  of which the full-text passes", index_seconds, "s", "")
        # the wizard shows its summary here and leaves the pass to the window's background catch-up
        report("  data in, the wizard's summary shown", import_one + import_rest - index_seconds, "s", "")
        report(f"{VILLAGES} village-years rows", rows_total, "rows", "")
        town.close()  # the write-ahead log checkpointed into the file and truncated: its true size
        report("town database size (after the checkpoint)", town.db_path.stat().st_size / 1e6, "MB", "")
        with plain_sqlite():
            bare = Workspace.open(plain_town, create=False)
            _settle()
            start = time.perf_counter()  # as the encrypted town took them: one, then the rest
            plain_reports = [import_bundles(bare, bundles[:1]), import_bundles(bare, bundles[1:])]
            plain_seconds = time.perf_counter() - start
            assert all(b.status == "imported" for r in plain_reports for b in r.bundles)
            bare.close()
        report(f"{VILLAGES} village-years into a plain town (same program, no key)", plain_seconds, "s", "")
        report("import: encrypted ÷ plain", (import_one + import_rest) / plain_seconds, "×", 1.25)
        town = Workspace.open(tmp / "town", create=False)
        start = time.perf_counter()
        again = import_bundles(town, bundles)
        report(f"{VILLAGES} bundles re-imported (already imported)", time.perf_counter() - start, "s", "")
        assert all(b.status == "already_imported" for b in again.bundles)
        start = time.perf_counter()
        again = import_bundles(town, bundles[:3])
        report("3 bundles re-imported (already imported)", time.perf_counter() - start, "s", "")
        assert all(b.status == "already_imported" for b in again.bundles)
        town.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    def _print(name, value, unit, target):
        print(f"{name:<48} {value:>10.3f} {unit:<5} {target}")

    run(_print)
