"""户籍 benchmarks: 100 000-household demo, search as you type, opening the roster, Excel import/export.

python -m bench.run households
"""

from __future__ import annotations

import os
import random
import statistics
import tempfile
import time
from pathlib import Path

HOUSEHOLDS = int(os.environ.get("MINQING_BENCH_HOUSEHOLDS", "100000"))
IMPORT_TRIALS = 3


def _typing_times(session, word: str) -> list[tuple[float, float, str]]:
    """Per keystroke as the roster page does it: re-query only when the effective search changed, and
    show the first window (roster_window: its keys, then the rows of those lines, roster_rows). Beside each, the raw limit: the search index alone giving
    the first window of its hits for the same phrase (FTS5, no join, no order)."""
    from db.queries.households import RosterFilter, _search_match, effective_terms, roster_rows, roster_window

    from ui.models.lazy import LazyIdModel

    ROW_WINDOW = LazyIdModel.ROW_WINDOW

    out, last = [], None
    for i in range(1, len(word) + 1):
        text = word[:i]
        t = time.perf_counter()
        terms = effective_terms(text)
        if terms != last:
            window = roster_window(session, RosterFilter(text=text))
            roster_rows(session, window.keys[:ROW_WINDOW])  # the rows the lazy model fetches first
            last = terms
        program = (time.perf_counter() - t) * 1000
        raw = 0.0
        match = _search_match(text)
        if match is not None:
            t = time.perf_counter()
            session.connection().exec_driver_sql(
                "SELECT rowid FROM fts_household WHERE fts_household MATCH ? LIMIT 60", (match,)
            ).fetchall()
            raw = (time.perf_counter() - t) * 1000
        out.append((program, raw, text))
    return out


SURNAMES = "张王李刘陈杨赵黄周吴"
GIVEN = "明华伟芳英"


CARD_TRIALS = 3


def _contact_cards(ws, admin, root: Path, report) -> None:
    """群众联系卡 for the whole village (every household with a contact cadre, eight to a sheet), as the
    roster page prints them, beside the raw limit: fpdf2 alone writing the same number of pages with
    the same lines of text in the same font (no QR code, no frames: the library's own floor)."""
    from fpdf import FPDF

    from app.households.contact_cards import card_data, card_households, write_cards
    from app.paths import cjk_font_path

    def raw_cards(lines: list[list[str]]) -> float:
        t = time.perf_counter()
        pdf = FPDF(unit="mm", format="A4")
        pdf.set_auto_page_break(False)
        pdf.add_font("cjk", "", str(cjk_font_path()))
        for i, card in enumerate(lines):
            if i % 8 == 0:
                pdf.add_page()
            x, y = 10 + (i % 2) * 97, 10 + (i % 8 // 2) * 67
            for n, line in enumerate(card):
                pdf.set_font("cjk", size=8.5)
                pdf.set_xy(x, y + n * 6)
                pdf.cell(60, 5, line)
        pdf.output(str(root / "raw-cards.pdf"))
        return time.perf_counter() - t

    with ws.work(admin) as w:
        ids = card_households(w)
        data = [c for c in card_data(w, ids) if c.contact is not None]
        lines = [
            [
                "群众联系卡",
                c.village_name,
                f"户主：{c.head_name}    {c.group_name}",
                f"住址：{c.address}",
                *(f"{p.name} {p.phone}" for p in (c.contact, c.area, c.secretary, c.informant) if p),
                "有事请找联系干部 · 请将此卡贴于家中显眼处",
            ]
            for c in data
        ]
        times, raws = [], []
        for _ in range(CARD_TRIALS):
            raws.append(raw_cards(lines))
            t = time.perf_counter()
            printed = write_cards(w, ids, root / "cards.pdf", progress=lambda *_: None)
            times.append(time.perf_counter() - t)
    report(
        f"contact cards, whole village ({printed.cards} cards, {printed.pages} pages), median of {CARD_TRIALS}",
        statistics.median(times),
        "s",
        None,
    )
    report("contact cards, whole village, worst", max(times), "s", None)
    report("  per card (median)", statistics.median(times) / printed.cards * 1000, "ms", None)
    report(
        f"raw limit: fpdf2 alone, the same pages of the cards' text lines, median of {CARD_TRIALS}",
        statistics.median(raws),
        "s",
        None,
    )
    report(
        "contact cards ÷ raw limit (medians)", statistics.median(times) / statistics.median(raws), "×", None
    )


def run(report) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from sqlalchemy import func, select

    from db.models import Household, Person

    from app.accounts import authenticate
    from app.demo import ensure_demo_station
    from app.demo import run as run_demo
    from app.households.excel_apply import import_file
    from app.households.excel_export import export_roster
    from app.pinyin import name_keys
    from app.stations import init_station
    from app.workspace import Workspace

    with tempfile.TemporaryDirectory(prefix="minqing-bench-households-") as tmp:
        root = Path(tmp)
        ws = ensure_demo_station(root / "big")
        t = time.perf_counter()
        run_demo(
            ws, households=HOUSEHOLDS, seed=1, steps=["households"]
        )  # the roster; diary/cases: bench_startup
        report(f"demo households step, {HOUSEHOLDS} households", time.perf_counter() - t, "s", 60)

        with ws.session() as s:
            rng = random.Random(2)
            heads = (
                s.execute(
                    select(Household.head_name).where(func.length(Household.head_name) == 3).limit(2000)
                )
                .scalars()
                .all()
            )
            numbers = (
                s.execute(select(Person.id_number).where(Person.id_number.is_not(None)).limit(2000))
                .scalars()
                .all()
            )
            phones = (
                s.execute(select(Person.phone).where(func.length(Person.phone) == 11).limit(2000))
                .scalars()
                .all()
            )
            samples = {
                "surname (1 character)": list(SURNAMES),
                "given-name character": list(GIVEN),
                "name (3 characters)": [rng.choice(heads) for _ in range(5)],
                "pinyin initials": [
                    name_keys(n)[1].split()[0] for n in (rng.choice(heads) for _ in range(5))
                ],
                "phone, 1-11 digits": [rng.choice(phones) for _ in range(3)],
                "ID, 1-18 digits": [rng.choice(numbers) for _ in range(3)],
                "ID suffix": [rng.choice(numbers)[-4:] for _ in range(5)],
            }
            # as the window does once open and after building a page: what lives as long as the program
            # stays out of the garbage collector's full passes (a pass over all of it, 40-60 ms, fell on
            # one keystroke of the list)
            from ui.main_window import freeze_long_lived

            freeze_long_lived()
            every: list[tuple[float, float, str]] = []
            for kind, words in samples.items():
                keys = [k for w in words for k in _typing_times(s, w)]
                every += keys
                times = [k[0] for k in keys]
                report(
                    f"search as you type: {kind} (median per keystroke)", statistics.median(times), "ms", 50
                )
                slow = max(keys)
                print(f"    slowest keystroke of {kind}: {slow[2]!r}")
                report(f"search as you type: {kind} (slowest keystroke)", slow[0], "ms", 50)
            slow = max(every)
            raw = max(k[1] for k in every)
            print(f"    slowest keystroke of all: {slow[2]!r}")
            report("search as you type: slowest keystroke of all", slow[0], "ms", 50)
            report("search as you type: raw limit, FTS5 first 60 hits alone (slowest)", raw, "ms", None)
            report("search as you type: slowest keystroke ÷ raw limit", slow[0] / max(raw, 1e-3), "×", None)

        # Opening the roster page (offscreen Qt) on the big village.
        from PySide6.QtWidgets import QApplication

        from ui.context import AppContext
        from ui.households.page import HouseholdsPage

        app = QApplication.instance() or QApplication([])
        with ws.work(None) as w:
            admin = authenticate(w, "admin", "minqing")
            w.session.expunge(admin)
        ctx = AppContext(ws, admin)
        t = time.perf_counter()
        page = HouseholdsPage(ctx)
        page.resize(1366, 700)
        page.show()
        page.refresh()
        app.processEvents()
        report(f"open roster page, {HOUSEHOLDS} households", (time.perf_counter() - t) * 1000, "ms", 1000)
        report("roster rows loaded after opening", page.model.loaded_rows, "rows", None)
        page.close()
        ws.close()

        # A 10 000-row roster workbook: export a ~3 000-household village, import it into an empty one.
        small = ensure_demo_station(root / "small")
        run_demo(small, households=2950, seed=4)
        with small.work(None) as w:
            admin = authenticate(w, "admin", "minqing")
            w.session.expunge(admin)
        t = time.perf_counter()
        with small.work(admin) as w:
            rows = export_roster(w, root / "roster.xlsx", full_id=True, village_name="张家村")
        report(f"export roster workbook ({rows} rows)", time.perf_counter() - t, "s", None)
        _contact_cards(small, admin, root, report)
        small.close()
        # Imported into a fresh village IMPORT_TRIALS times, each beside the raw limit: python-calamine
        # reading the same file into Python values (what the import's own reading starts from).
        from python_calamine import CalamineWorkbook

        def calamine_read() -> float:
            t = time.perf_counter()
            CalamineWorkbook.from_path(str(root / "roster.xlsx")).get_sheet_by_index(0).to_python()
            return time.perf_counter() - t

        imports, raws = [], [calamine_read()]
        for n in range(IMPORT_TRIALS):
            fresh = Workspace.open(root / f"fresh-{n}")
            init_station(fresh, kind="village", code="370681101201", name="张家村")
            t = time.perf_counter()
            with fresh.work() as w:
                result = import_file(w, root / "roster.xlsx")
            imports.append(time.perf_counter() - t)
            raws.append(calamine_read())
            if n == 0:
                t = time.perf_counter()
                with fresh.work() as w:
                    again = import_file(w, root / "roster.xlsx")
                assert again.summary["unchanged"] == result.summary["new"]
                again_seconds = time.perf_counter() - t
            fresh.close()
        rows = result.summary["rows"]
        report(
            f"import roster workbook ({rows} rows, new)",  # the median of IMPORT_TRIALS
            statistics.median(imports),
            "s",
            10,
        )
        report("import roster workbook, worst", max(imports), "s", None)
        report("import the same workbook again (all unchanged)", again_seconds, "s", 10)
        report(
            f"raw limit: python-calamine reads the same file, median of {len(raws)}",
            statistics.median(raws),
            "s",
            None,
        )
        report(
            "roster import speed ÷ calamine's raw read (medians)",
            statistics.median(raws) / statistics.median(imports),
            "×",
            (">=", 0.25),
        )
