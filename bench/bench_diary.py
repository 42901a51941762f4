"""Benchmarks of the 民情日记 at village-with-100 000-households scale (about 500 000 entries).

The demo workspace is built once (``python -m app demo --households N``, several minutes) and kept in
``$MINQING_BENCH_DIR`` (default a folder under the system temp dir); later runs reuse it.
``MINQING_BENCH_HOUSEHOLDS`` changes the size. Run alone: ``python -m bench.bench_diary``.
"""

from __future__ import annotations

import datetime as dt
import os
import statistics
import tempfile
import time
from pathlib import Path

HOUSEHOLDS = int(os.environ.get("MINQING_BENCH_HOUSEHOLDS", "100000"))
SEARCHES = [
    "慢性病门诊卡",
    "危房改造",
    "蔬菜大棚",
    "技能培训",
    "宅基地边界纠纷",
    "养老保险资格认证",
    "雨露计划",
    "排水 纠纷",
    "取暖费用较高",
    "镇民政办审核",
]
SHORT_SEARCHES = ["低保", "漏雨", "路灯"]


def bench_workspace(households: int = HOUSEHOLDS):
    from app import demo
    from app.workspace import Workspace

    root = Path(os.environ.get("MINQING_BENCH_DIR") or Path(tempfile.gettempdir()) / "minqing-bench")
    data_dir = root / f"diary-{households}"
    marker = data_dir / "bench-ready"
    if not marker.exists():
        if data_dir.exists():
            import shutil

            shutil.rmtree(data_dir)
        ws = demo.ensure_demo_station(data_dir)
        demo.run(ws, households=households, seed=7, today=dt.date.today())
        ws.close()
        marker.write_text("ok", encoding="utf-8")
    return Workspace.open(data_dir, create=False)


def _median_ms(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def run(report) -> None:
    from sqlalchemy import func, select

    from db.models import DiaryEntry, Household, Person, User
    from db.queries.diary import DiaryFilter, LedgerFilter, diary_entry_count, diary_entry_ids, diary_rows

    from app.diary import entries, ledger

    t0 = time.perf_counter()
    ws = bench_workspace()
    report("diary: workspace ready (build or reuse)", time.perf_counter() - t0, "s", None)
    try:
        with ws.session() as s:
            n = s.scalar(select(func.count()).select_from(DiaryEntry).where(DiaryEntry.deleted_at.is_(None)))
            report("diary: entries in the workspace", n, "entries", None)
            names = list(s.scalars(select(Person.name).limit(3)))
            per_query = []
            for q in SEARCHES + names:
                diary_entry_ids(s, DiaryFilter(text=q), limit=50)  # warm the page cache once
                per_query.append(_median_ms(lambda q=q: diary_entry_ids(s, DiaryFilter(text=q), limit=50)))
            report(
                "diary: full-text search, top 50 (median of queries ≥3 chars)",
                statistics.median(per_query),
                "ms",
                100,
            )
            report("diary: full-text search, top 50 (slowest query ≥3 chars)", max(per_query), "ms", None)
            short = [
                _median_ms(lambda q=q: diary_entry_ids(s, DiaryFilter(text=q), limit=50), repeat=3)
                for q in SHORT_SEARCHES
            ]
            report("diary: search of 2-character words (scan), median", statistics.median(short), "ms", None)

            def open_list(
                f: DiaryFilter,
            ) -> None:  # as DiaryListModel: count, first page of ids, first screen
                diary_entry_count(s, f)
                diary_rows(s, diary_entry_ids(s, f, limit=1000)[:60])

            report(
                "diary: open the list, all years (count + first page + first screen)",
                _median_ms(lambda: open_list(DiaryFilter()), 3),
                "ms",
                None,
            )
            recent = DiaryFilter(date_from=dt.date.today() - dt.timedelta(days=92), date_to=dt.date.today())
            report(
                "diary: open the list as the page does (last 3 months)",
                _median_ms(lambda: open_list(recent), 3),
                "ms",
                1000,
            )
            report(
                "diary: list a search (count + first page), median of queries ≥3 chars",
                statistics.median(
                    _median_ms(lambda q=q: open_list(DiaryFilter(text=q)), 3) for q in SEARCHES
                ),
                "ms",
                None,
            )
            cadre = s.scalars(select(User).where(User.roles.like("%cadre%"))).first()
            report(
                "diary: open one cadre's list",
                _median_ms(lambda: open_list(DiaryFilter(cadre_id=cadre.id)), 3),
                "ms",
                300,
            )
            household, head = s.execute(select(Household.id, Household.head_id)).first()
            s.expunge(cadre)
        times = []
        for i in range(5):
            data = entries.EntryInput(
                occurred_at=dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(hours=i + 1),
                kind="入户走访",
                place="家中",
                participants=[entries.ParticipantInput(household, head)],
                situation="基准测试：老人身体良好",
                demands=[entries.DemandInput("医疗", "希望办理慢性病门诊卡")],
            )
            t = time.perf_counter()
            with ws.work(cadre) as w:
                e = entries.save_entry(w, data)
            times.append((time.perf_counter() - t) * 1000)
            with ws.work(cadre) as w:  # leave the workspace as built (a tombstone)
                entries.delete_entry(w, e.id)
        report(
            "diary: save an entry with a demand (commit included), median",
            statistics.median(times),
            "ms",
            200,
        )
        today = dt.date.today()
        target = Path(tempfile.gettempdir()) / "minqing-bench-ledger.xlsx"
        t = time.perf_counter()
        with ws.work() as w:
            rows = ledger.export_ledger(
                w,
                target,
                village_name="张家村",
                f=LedgerFilter(date_from=today - dt.timedelta(days=365), date_to=today),
            )
        report(f"diary: export a year's ledger ({rows} demands)", time.perf_counter() - t, "s", 30)
        target.unlink(missing_ok=True)
    finally:
        ws.close()


if __name__ == "__main__":

    def _print(name, value, unit, target) -> None:
        goal = f"(target {target} {unit})" if target is not None else ""
        print(f"{name:<70} {value:>12.1f} {unit:<8} {goal}")

    run(_print)
