"""Sync by file at scale: a village-year exported and imported, 30 of them into one town, and beside
it raw ``sqlite3.executemany`` of the same rows into the same tables.

A village-year: 3 000 households, ~10 000 members, and — standing in for the diary (10 000 entries)
and mediation (300 cases) tables until they exist — proportionate extra rows in the synced tables
that do exist (tags, contact-cadre assignments). The importer is generic, so rows are rows.

Run alone: ``python -m bench.bench_sync`` (or through ``bench/run.py``).
"""

from __future__ import annotations

import datetime as dt
import random
import shutil
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

HOUSEHOLDS = 3000
MEMBERS_PER_HOUSEHOLD = (2, 5)  # ~10 000 persons
EXTRA_TAGS = 10_000  # stands in for 10 000 diary entries
EXTRA_ASSIGNMENTS = 3_300  # stands in for contact assignments + 300 cases
VILLAGES = 30
TOWN_CODE = "370681101"

SURNAMES = "张王李赵刘陈杨黄周吴徐孙马朱胡郭何林高罗"
GIVEN = "建国桂兰秀英志强海燕明华春梅国庆玉兰德福小红淑珍文斌"
TAGS = ["困难户", "低保", "五保", "残疾", "空巢老人", "留守儿童", "老党员/老干部", "经济能人", "上访户", "矛盾纠纷户"]


def _name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def fill_village(ws, rng: random.Random) -> int:  # noqa: ANN001
    """Bulk-insert a village-year with Core (stamped as the village station); returns rows made."""
    from sqlalchemy import insert

    from db.models import CadreAssignment, Household, HouseholdTag, Person, User
    from db.stamping import stamp_new_rows

    from app.pinyin import name_keys

    ctx = ws.stamp_context()
    total = 0
    with ws.engine.begin() as conn:
        cadres = [{"username": f"cadre{n}", "display_name": _name(rng), "roles": "cadre", "active": True,
                   "phone": f"138{rng.randrange(10**8):08d}"} for n in range(8)]
        stamp_new_rows(conn, ctx, cadres)
        conn.execute(insert(User), cadres)
        households, persons = [], []
        for n in range(HOUSEHOLDS):
            head = _name(rng)
            households.append({"household_no": f"{n + 1:05d}", "head_name": head,
                               "group_name": f"{rng.randint(1, 9)}组", "address": f"{rng.randint(1, 9)}组{n}号",
                               "phones": f"139{rng.randrange(10**8):08d}", "notes": "", "search_text": head})
        stamp_new_rows(conn, ctx, households)
        for h in households:
            for m in range(rng.randint(*MEMBERS_PER_HOUSEHOLD)):
                name = h["head_name"] if m == 0 else _name(rng)
                full, initials = name_keys(name)
                persons.append({"household_id": h["id"], "name": name, "relation": "户主" if m == 0 else "子女",
                                "sex": rng.choice("男女"), "status": "在册", "notes": "",
                                "birth_date": dt.date(rng.randint(1940, 2020), rng.randint(1, 12), rng.randint(1, 28)),
                                "name_pinyin": full, "name_initials": initials})
        stamp_new_rows(conn, ctx, persons)
        tags = [{"household_id": rng.choice(households)["id"], "tag": rng.choice(TAGS)} for _ in range(EXTRA_TAGS)]
        stamp_new_rows(conn, ctx, tags)
        assignments = [{"household_id": rng.choice(households)["id"], "cadre_id": rng.choice(cadres)["id"],
                        "role": rng.choice(("contact", "area")), "start_on": dt.date(2024, 1, 1)}
                       for _ in range(EXTRA_ASSIGNMENTS)]
        stamp_new_rows(conn, ctx, assignments)
        for model, rows in ((Household, households), (Person, persons), (HouseholdTag, tags),
                            (CadreAssignment, assignments)):
            conn.execute(insert(model), rows)
            total += len(rows)
    return total + len(cadres)


def raw_insert_seconds(template_db: Path, village_db: Path, workdir: Path) -> tuple[float, int]:
    """Raw sqlite3.executemany of one village's synced rows into a fresh town database."""
    from app.sync.records import table_specs

    target = workdir / "raw-town.db"
    shutil.copy(template_db, target)
    src = sqlite3.connect(village_db)
    data = []
    for spec in table_specs():
        cols = ", ".join(f'"{c}"' for c in spec.columns)
        data.append((spec.table_name, spec.columns, src.execute(f'SELECT {cols} FROM "{spec.table_name}"').fetchall()))
    src.close()
    con = sqlite3.connect(target, isolation_level=None)
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


def run(report) -> None:  # noqa: ANN001
    from app.stations import init_station, station_card
    from app.sync.cards import write_card
    from app.sync.enrollment import enroll, export_card
    from app.sync.exchange import export_bundles, import_bundles
    from app.workspace import Workspace

    rng = random.Random(7)
    with tempfile.TemporaryDirectory(prefix="minqing-bench-sync-") as tmp:
        tmp = Path(tmp)
        town = Workspace.open(tmp / "town")
        init_station(town, kind="town", code=TOWN_CODE, name="东城镇")
        town_card = write_card(station_card(town), town.keys_dir, tmp / "town-card.json")
        template_db = tmp / "town-template.db"
        sqlite3.connect(town.db_path).backup(dst := sqlite3.connect(template_db))
        dst.close()
        stick = tmp / "stick"
        stick.mkdir()

        bundles, rows_total = [], 0
        export_times = []
        first_village_db = None
        for n in range(VILLAGES):
            code = f"{TOWN_CODE}{201 + n:03d}"
            v = Workspace.open(tmp / f"v{n}")
            init_station(v, kind="village", code=code, name=f"第{n + 1}村", town_card=town_card)
            rows_total += fill_village(v, rng)
            enroll(town, export_card(v, tmp / f"card{n}.json"))
            start = time.perf_counter()
            (result,) = export_bundles(v, stick)
            export_times.append(time.perf_counter() - start)
            bundles.append(result.path)
            if first_village_db is None:
                first_village_db = v.db_path
                first_size = result.path.stat().st_size
                first_rows = result.total
            v.close()
        report("village-year export (rows)", first_rows, "rows", "")
        report("village-year export", export_times[0], "s", "")
        report("village-year bundle size", first_size / 1e6, "MB", "")

        start = time.perf_counter()
        one = import_bundles(town, [bundles[0]])
        import_one = time.perf_counter() - start
        assert one.bundles[0].status == "imported", one.bundles[0]
        raw, raw_rows = raw_insert_seconds(template_db, first_village_db, tmp)
        assert raw_rows == first_rows
        report("village-year import (verify+decrypt+apply)", import_one, "s", "")
        report("raw sqlite3.executemany same rows", raw, "s", "")
        report("import speed / raw speed", raw / import_one, "×", "≥ 0.5")

        start = time.perf_counter()
        rest = import_bundles(town, bundles[1:])
        import_rest = time.perf_counter() - start
        assert all(b.status == "imported" for b in rest.bundles)
        report(f"{VILLAGES} village-years into one town", import_one + import_rest, "s", "< 60")
        report(f"{VILLAGES} village-years rows", rows_total, "rows", "")
        start = time.perf_counter()
        again = import_bundles(town, bundles)
        report(f"{VILLAGES} bundles re-imported (already imported)", time.perf_counter() - start, "s", "")
        assert all(b.status == "already_imported" for b in again.bundles)
        town.close()


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    def _print(name, value, unit, target):  # noqa: ANN001
        print(f"{name:<48} {value:>10.3f} {unit:<5} {target}")

    run(_print)
