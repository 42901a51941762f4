"""今日待办 and 统计报表 at village-with-100 000-households scale (about 500 000 diary entries), the worst
case (issue 17): the administrator's 今日待办 (every household's visit reminder and the per-cadre counts)
and the report's figures for a month and for the year, as the home page and the report page compute them.
Each is run RUNS times; the table gives the WORST run (the target applies to it) and the median.

Uses the startup bench's full demo workspace (every demo step; made once into bench/out/, see
``bench.bench_startup.demo_workspace``), opened with the demo administrator. The machine is shared, so a
raw yardstick is measured in the same run: SQLite alone counting the roster's keys
(``SELECT count(*), sum(length(id)) FROM household``, from its key index, through the same encrypted
connection) — how fast the database answers at that moment.
Run alone: ``python -m bench.run reports``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

TARGET_MS = 1000  # computed when the page is shown: within a second
RUNS = 5


def _timed(fn) -> list[float]:
    times = []
    for _ in range(RUNS):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return times


def run(report) -> None:
    from app import accounts, demo, reports, todo
    from app.workspace import Workspace

    from bench.bench_startup import OUT, demo_workspace

    OUT.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(demo_workspace(report), create=False, credentials=demo.DEMO_ADMIN)
    try:
        with ws.work(None) as w:
            admin = accounts.first_active_admin(w)
            w.session.expunge(admin)
        today = dt.date.today()

        def yardstick() -> None:
            with ws.engine.connect() as c:
                c.exec_driver_sql("SELECT count(*), sum(length(id)) FROM household").one()

        raw = _timed(yardstick)
        report(
            "raw yardstick: SQLite counting the roster's keys (SELECT count(*), sum(length(id)) FROM household), "
            "worst",
            max(raw),
            "ms",
            None,
        )

        def todo_ready() -> None:
            with ws.work(admin) as w:
                todo.collect(w, today)

        times = _timed(todo_ready)
        report("今日待办 ready, administrator, worst of 5", max(times), "ms", TARGET_MS)
        report("今日待办 ready, administrator, median of 5", statistics.median(times), "ms", None)
        for kind in ("month", "year"):
            period = reports.period_for(kind, today)
            got: list[reports.Report] = []

            def figures(period=period, got=got) -> None:
                with ws.work(admin) as w:
                    got.append(reports.compute(w, period, today=today))

            times = _timed(figures)
            r = got[-1]
            label = {"month": "统计报表, the month's figures", "year": "统计报表, the year's figures"}[kind]
            report(
                f"{label} ({r.totals.visits} visits, {r.totals.demands} demands), worst of 5",
                max(times),
                "ms",
                TARGET_MS,
            )
            report(f"{label}, median of 5", statistics.median(times), "ms", None)
    finally:
        ws.close()
