"""The 点评会 pack for 30 villages (issue 18: ≤ 10 s): a town that imported 30 villages' real bundles, each a
village of HOUSEHOLDS households with a year of diaries, demands, screenings and cases made by the demo steps
of every feature (about ENTRIES_PER_YEAR diary entries a year: some 400 in the month the pack reviews).

The town is built once (several minutes) into ``bench/out/reviews-town`` and reused (delete the folder to
build it again; ``MINQING_BENCH_VILLAGES`` makes fewer villages). Measured, RUNS times each, the worst against
the target: the whole command's work (the figures of every village from ``app.reports``, the year's charts,
the registry's facts, the PDF written), and its two halves. The raw yardstick in the same run: fpdf2 alone
writing the same number of A4 landscape pages of plain text in the same font (a page of Chinese text per
village, the font subset and the file written) — what any PDF of that size costs on this machine now.
Run alone: ``python -m bench.run reviews``.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import statistics
import tempfile
import time
from pathlib import Path

VILLAGES = int(os.environ.get("MINQING_BENCH_VILLAGES", "30"))
HOUSEHOLDS = 1500
ENTRIES_PER_YEAR = 5000
TOWN_CODE = "370681101"
TODAY = dt.date(2024, 12, 5)
MONTH = dt.date(2024, 11, 1)
ADMIN = ("admin", "bench-pass-1")
RUNS = 3
TARGET_S = 10.0


def town_workspace(report) -> Path:
    """The cached town (built when missing): its data dir."""
    from app import demo
    from app.stations import init_station
    from app.sync.enrollment import enroll, export_card
    from app.sync.export import export_bundles
    from app.sync.importer import import_bundles
    from app.workspace import Workspace

    from bench.run import OUT_DIR

    root = OUT_DIR / f"reviews-town-{VILLAGES}"
    marker = root / "bench-ready"
    if marker.exists():
        return root / "town"
    shutil.rmtree(root, ignore_errors=True)
    root.mkdir(parents=True)
    started = time.perf_counter()
    town = Workspace.open(root / "town")
    init_station(
        town, kind="town", code=TOWN_CODE, name="东城镇", admin_user=ADMIN[0], admin_password=ADMIN[1]
    )
    card = export_card(town, root / "town-card.json")
    with tempfile.TemporaryDirectory(prefix="minqing-bench-reviews-") as tmp:
        stick = Path(tmp) / "stick"
        stick.mkdir()
        bundles = []
        for n in range(VILLAGES):
            v = Workspace.open(Path(tmp) / f"v{n}")
            init_station(
                v,
                kind="village",
                code=f"{TOWN_CODE}{201 + n:03d}",
                name=f"第{n + 1}村",
                town_card=card,
                admin_user=ADMIN[0],
                admin_password=ADMIN[1],
            )
            demo.run(
                v,
                households=HOUSEHOLDS,
                seed=n + 1,
                today=TODAY,
                sizes={"diary_entries": ENTRIES_PER_YEAR, "mediation_cases": 120, "unique_signatures": 1},
            )
            enroll(town, export_card(v, Path(tmp) / f"card{n}.json"))
            (result,) = export_bundles(v, stick)
            bundles.append(result.path)
            v.close()
        imported = import_bundles(town, bundles)
        assert all(b.status == "imported" for b in imported.bundles)
    town.close()
    marker.write_text("ok", encoding="utf-8")
    report("building the 30-village town (once, cached)", time.perf_counter() - started, "s", None)
    return root / "town"


def _yardstick(pages: int, target: Path) -> None:
    """fpdf2 alone: ``pages`` A4 landscape pages of Chinese text in the project's font, written."""
    from app.pdf_sheet import FONT, LandscapeSheet

    pdf = LandscapeSheet("yardstick")
    line = "走访记录入户走访电话联系来访接待听取诉求待办交办中已答复已办结逾期满意基本满意不满意排查受理调解成功在调"
    for n in range(pages):
        pdf.add_page()
        pdf.set_font(FONT, size=10)
        for k in range(30):
            pdf.cell(0, 5.5, f"{n + 1}.{k + 1} {line} {n * 31 + k}", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(target))


def run(report) -> None:
    from app import accounts
    from app.reviews import documents, pack
    from app.workspace import Workspace

    town_dir = town_workspace(report)
    ws = Workspace.open(town_dir, create=False, credentials=ADMIN)
    out = Path(tempfile.mkdtemp(prefix="minqing-bench-pack-"))
    try:
        with ws.work(None) as w:
            admin = accounts.first_active_admin(w)
            w.session.expunge(admin)
        facts_s, pdf_s, total_s, yard_s = [], [], [], []
        pages = 0
        built = None
        for i in range(RUNS):
            t0 = time.perf_counter()
            with ws.work(admin) as w:
                built = pack.build(w, MONTH, today=TODAY)
            t1 = time.perf_counter()
            pages = documents.print_pack(built, out / f"pack-{i}.pdf", made_by="镇管理员")
            t2 = time.perf_counter()
            facts_s.append(t1 - t0)
            pdf_s.append(t2 - t1)
            total_s.append(t2 - t0)
            y0 = time.perf_counter()
            _yardstick(pages, out / f"yard-{i}.pdf")
            yard_s.append(time.perf_counter() - y0)
        assert built is not None
        visits = sum(
            dict(g.items).get("走访记录（篇）", 0)
            for s in built.sections
            for g in s.groups
            if g.title == "走访"
        )
        report(
            f"点评会 pack, {len(built.sections)} villages ({visits} visits in the month), {pages} pages, worst of {RUNS}",
            max(total_s),
            "s",
            TARGET_S,
        )
        report("点评会 pack, median", statistics.median(total_s), "s", None)
        report(
            "  of which the figures, charts and registry facts (median)",
            statistics.median(facts_s),
            "s",
            None,
        )
        report("  of which the PDF (median)", statistics.median(pdf_s), "s", None)
        report(
            f"raw yardstick: fpdf2 writing {pages} pages of Chinese text, same font (median)",
            statistics.median(yard_s),
            "s",
            None,
        )
        report("pack PDF ÷ yardstick", statistics.median(pdf_s) / statistics.median(yard_s), "×", None)
        report("pack size", (out / "pack-0.pdf").stat().st_size / 1e6, "MB", None)
    finally:
        ws.close()
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

    def _print(name, value, unit, target):
        print(f"{name:<80} {value:>10.3f} {unit:<3} {target if target is not None else ''}")

    run(_print)
