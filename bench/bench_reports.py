"""统计报表 at village-with-100 000-households scale (about 500 000 diary entries): the figures for a
month and for a year, as the page computes them when it is shown. Uses the startup bench's full demo
workspace (every demo step; made once into bench/out/, see ``bench.bench_startup.demo_workspace``).
Run alone: ``python -m bench.run reports``.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

TARGET_MS = 1000  # the page is computed when shown: within a second


def run(report) -> None:
    from app import accounts, reports
    from app.workspace import Workspace

    from bench.bench_startup import OUT, demo_workspace

    OUT.mkdir(parents=True, exist_ok=True)
    ws = Workspace.open(demo_workspace(report), create=False)
    try:
        with ws.work(None) as w:
            admin = accounts.first_active_admin(w)
            w.session.expunge(admin)
        today = dt.date.today()
        for kind in ("month", "year"):
            period = reports.period_for(kind, today)
            times = []
            for _ in range(3):
                with ws.work(admin) as w:
                    t = time.perf_counter()
                    r = reports.compute(w, period, today=today)
                    times.append((time.perf_counter() - t) * 1000)
            report(
                f"figures for {reports.PERIOD_KINDS[kind]} ({r.totals.visits} visits, {r.totals.demands} demands), "
                "median of 3",
                statistics.median(times),
                "ms",
                TARGET_MS,
            )
    finally:
        ws.close()
