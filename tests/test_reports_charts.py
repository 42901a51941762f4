"""统计报表's charts by month, the 各村汇总 table on paper and in Excel, and the 村 column of town exports."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl
import pytest
from pypdf import PdfReader

from app import accounts, charts, reports, reports_output
from app.workspace import Workspace

from ui.context import AppContext
from ui.reports import ReportsPage

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.reports_helpers import TODAY, build_village
from tests.sync_support import DEMO_TODAY

D = dt.date
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")


def _months_of(year: int):
    for m in range(1, 13):
        start = D(year, m, 1)
        end = (start + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        yield m, reports.Period(start, end)


def test_each_months_bar_is_the_reports_figure_for_that_month(village_ws, village_admin):
    build_village(village_ws, village_admin)
    with village_ws.work(village_admin) as w:
        visits, heard, cases = reports.year_charts(w, 2024)
        by_month = {m: reports.compute(w, p, today=TODAY) for m, p in _months_of(2024)}
        name = w.station.name
    assert [c.title for c in (visits, heard, cases)] == ["走访记录", "诉求听取与办结", "受理与结案"]
    for chart in (visits, heard, cases):
        assert [p.name for p in chart.panels] == [name]  # a village: its own figures only, no total
    for m, r in by_month.items():
        f = r.totals
        assert visits.panels[0].months[m - 1] == (f.visits,), m
        assert heard.panels[0].months[m - 1][0] == f.demands, m
        assert cases.panels[0].months[m - 1][0] == f.mediation.accepted, m
    assert sum(m[0] for m in visits.panels[0].months) >= 4  # Feb and March are not empty
    closed = sum(m[1] for m in heard.panels[0].months)
    assert closed == 1  # the one demand closed (by its closing date)


def test_a_cadre_sees_no_case_chart(village_ws, village_admin):
    _ws, cadre, _mediator = build_village(village_ws, village_admin)
    with village_ws.work(cadre) as w:
        assert [c.title for c in reports.year_charts(w, 2024)] == ["走访记录", "诉求听取与办结"]


@pytest.fixture
def town(two_villages):
    ws = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    with ws.work(None) as w:
        admin = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(admin)
    yield ws, admin
    ws.close()


def _town_page(qtbot, ws, admin) -> ReportsPage:
    page = ReportsPage(AppContext(ws, admin))
    qtbot.addWidget(page)
    page.today = DEMO_TODAY
    page.resize(1366, 700)
    page.show()
    page.set_period("year")
    return page


def test_town_charts_put_the_total_first_then_villages_in_code_order(qtbot, town):
    ws, admin = town
    page = _town_page(qtbot, ws, admin)
    assert [page.chart_tabs.tabText(i) for i in range(page.chart_tabs.count())] == [
        "走访记录",
        "诉求听取与办结",
        "受理与结案",
    ]
    for title in ("走访记录", "诉求听取与办结", "受理与结案"):
        chart = page.show_chart(title)
        assert page.chart_view.panels == ["全镇合计", "张家村", "李家村"]
        total, *villages = chart.panels
        for m in range(12):  # the total is the sum of the villages (and, for cases, the town's own)
            assert all(
                total.months[m][s] >= sum(v.months[m][s] for v in villages) for s in range(len(chart.series))
            )
        if title != "受理与结案":
            assert total.months == [
                tuple(sum(v.months[m][s] for v in villages) for s in range(len(chart.series)))
                for m in range(12)
            ]
    visits = page.show_chart("走访记录")
    assert sum(p.total(0) for p in visits.panels[1:]) > 0  # the demo villages' diaries arrived
    view = page.chart_view
    assert page.chart_note.text().startswith("全镇合计在前，各村按村代码顺序，不排名次")
    assert view.height() >= charts.height_for(visits, view.width())  # every panel drawn in full
    assert page.chart_view.grab_image(1000).height() > 0

    page.chart_year.setValue(2019)  # another year: the same units, nothing in them
    assert page.chart_view.panels == ["全镇合计", "张家村", "李家村"]
    assert all(p.total(0) == 0 for p in page.charts[0].panels)


def test_town_prints_the_table_and_the_charts_and_exports_them(qtbot, town, tmp_path):
    ws, admin = town
    page = _town_page(qtbot, ws, admin)
    task = page.print_to(tmp_path / "报表.pdf")
    qtbot.waitUntil(lambda: task.finished, timeout=10000)
    assert page.export_status.text().startswith("已生成"), page.export_status.text()
    reader = PdfReader(tmp_path / "报表.pdf")
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # A4 landscape
    first = reader.pages[0].extract_text().replace("\x00", "")
    for words in ("民情工作统计报表", "各村汇总", "张家村", "李家村", "合计", "制表人", "调解成功率"):
        assert words in first, words
    text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
    year = page.report.period.end.year
    for words in (
        f"{year}年各月走访记录（篇）",
        f"{year}年各月诉求听取与办结（条）",
        f"{year}年各月受理与结案（件）",
    ):
        assert words in text, words
    assert text.index("全镇合计") < text.index("张家村", text.index("全镇合计")) < text.rindex("李家村")

    task = page.export_summary_to(tmp_path / "报表.xlsx")
    qtbot.waitUntil(lambda: task.finished, timeout=10000)
    assert page.export_status.text().startswith("已导出汇总表（3 行）"), page.export_status.text()
    book = openpyxl.load_workbook(tmp_path / "报表.xlsx")
    assert book.sheetnames == ["各村汇总", "图表", "说明"]
    sheet = book["各村汇总"]
    header = [c.value for c in sheet[2]]
    assert header[:3] == ["序号", "村", "户数"] and header[-1] == "调解成功率"
    rows = [dict(zip(header, r, strict=True)) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert [r["村"] for r in rows] == ["张家村", "李家村", "合计"]
    model = page.villages_model
    for n, r in enumerate(rows):  # the same figures as the table on screen, as numbers
        assert str(r["户数"]) == model.index(n, 1).data() and isinstance(r["户数"], int)
        assert str(r["走访记录"]) == model.index(n, 7).data()
    charts_sheet = [r for r in book["图表"].iter_rows(values_only=True) if any(v is not None for v in r)]
    assert charts_sheet[0][0] == f"{year}年各月走访记录（篇）" and charts_sheet[2][:2] == ("全镇合计", "走访")
    with zipfile.ZipFile(tmp_path / "报表.xlsx") as z:
        assert len([n for n in z.namelist() if n.startswith("xl/charts/chart")]) == 9  # 3 charts × 3 units


def test_a_village_prints_its_own_line_without_a_total(qtbot, village_ws, village_admin, tmp_path):
    build_village(village_ws, village_admin)
    page = ReportsPage(AppContext(village_ws, village_admin))
    qtbot.addWidget(page)
    page.today = TODAY
    page.resize(1366, 700)
    page.show()
    page.set_period("month")
    with village_ws.work(village_admin) as w:
        name = w.station.name
    assert page.chart_year.value() == 2024 and page.chart_view.panels == [name]
    assert "全镇" not in page.chart_note.text()
    task = page.print_to(tmp_path / "村.pdf")
    qtbot.waitUntil(lambda: task.finished, timeout=10000)
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "村.pdf").pages).replace("\x00", "")
    assert "本村汇总" in text and "合计" not in text and "2024年各月走访记录" in text
    with pytest.raises(Exception, match="pdf"):
        with village_ws.work(village_admin) as w:
            r = reports.compute(w, reports.period_for("month", TODAY), today=TODAY)
        reports_output.print_summary(r, tmp_path / "报表.txt", unit_name="张家村")


def test_every_town_export_of_diaries_ledgers_cases_and_the_roster_has_a_village_column(town, tmp_path):
    from app.diary.ledger import export_diary, export_ledger
    from app.households.excel_export import export_roster
    from app.mediation.ledger import export_ledger as export_cases

    ws, admin = town
    with ws.work(admin) as w:
        export_diary(w, tmp_path / "日记.xlsx", village_name="东城镇")
        export_ledger(w, tmp_path / "台账.xlsx", village_name="东城镇")
        export_cases(w, tmp_path / "案件.xlsx")
        export_roster(w, tmp_path / "户籍.xlsx", village_name="东城镇")
    for name in ("日记", "台账", "案件", "户籍"):
        sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").worksheets[0]
        assert [c.value for c in sheet[2]][:2] == ["序号", "村"], name
        villages = [r[1] for r in sheet.iter_rows(min_row=3, values_only=True)]
        assert set(villages) == {"张家村", "李家村"}, name
        if name in ("案件", "户籍"):  # grouped by village in code order (the diary's are by date)
            assert villages == sorted(villages, key=["张家村", "李家村"].index), name


def test_a_villages_own_exports_have_no_village_column(village_ws, village_admin, tmp_path):
    from app.diary.ledger import export_diary, export_ledger
    from app.households.excel_export import export_roster

    build_village(village_ws, village_admin)
    with village_ws.work(village_admin) as w:
        export_diary(w, tmp_path / "日记.xlsx", village_name="张家村")
        export_ledger(w, tmp_path / "台账.xlsx", village_name="张家村")
        export_roster(w, tmp_path / "户籍.xlsx", village_name="张家村")
    for name in ("日记", "台账", "户籍"):
        sheet = openpyxl.load_workbook(tmp_path / f"{name}.xlsx").worksheets[0]
        assert "村" not in [c.value for c in sheet[2]], name


def test_a_hostile_village_name_stays_text_and_inside_its_panel(tmp_path):
    """A village's name comes from its station card: in the workbook it is text, never a formula, and on
    paper or screen a long one is cut so it stays inside its panel."""
    chart = charts.MonthChart("走访记录", "篇", 2024, reports.VISIT_SERIES)
    chart.panels = [
        charts.Panel('=HYPERLINK("http://x","点我")', charts.empty_months(1)),
        charts.Panel("一个名字特别特别特别长的村民委员会", [(3,)] * 12),
    ]
    heads = [s for s in charts.layout(chart, 1000) if isinstance(s, charts.Text) and "走访 " in s.text]
    assert heads[1].text == "一个名字特别特…  走访 36"
    from app.ledger_book import LedgerBook

    book = LedgerBook("表", "标题", [("村", 10)])
    book.add_chart_sheet("图表", [chart])
    book.save(tmp_path / "图表.xlsx", [])
    sheet = openpyxl.load_workbook(tmp_path / "图表.xlsx")["图表"]
    cell = sheet["A3"]
    assert cell.value.startswith("=HYPERLINK") and cell.data_type == "s"


@pytest.mark.parametrize("top", [7, 999, 42661, 1234567])
def test_the_number_at_the_top_of_the_axis_fits_before_the_axis(qtbot, top):
    """A village of 100 000 households visits some 40 000 times a month: the axis's top number, in the
    font the screen draws with, lies whole inside its panel and left of the bars."""
    from PySide6.QtGui import QFont, QFontMetricsF
    from PySide6.QtWidgets import QApplication

    chart = charts.MonthChart("走访记录", "篇", 2026, reports.VISIT_SERIES)
    chart.panels = [charts.Panel("张家村", [(top,)] + [(1,)] * 11)]
    steps = charts.layout(chart, 1000)
    panel = next(s for s in steps if isinstance(s, charts.Rect) and s.fill is None)
    label = next(s for s in steps if isinstance(s, charts.Text) and s.text == str(top))
    axis = next(s for s in steps if isinstance(s, charts.Line))
    font = QFont(QApplication.font())
    font.setPixelSize(int(charts.TEXT_SIZE))
    needed = QFontMetricsF(font).horizontalAdvance(str(top))
    assert label.w >= needed, (label.w, needed)
    from app.pdf_fonts import FAMILY, CjkPdf

    pdf, k = CjkPdf(), 0.27  # on paper (draw_pdf's scale), right-aligned inside fpdf2's cell margin
    try:
        pdf.set_font(FAMILY, size=charts.TEXT_SIZE * k * charts.PT_PER_MM * 0.92)
        assert label.w >= pdf.get_string_width(str(top)) / k + pdf.c_margin / k, label
    finally:
        pdf.discard()
    assert label.x >= panel.x and label.x + label.w <= axis.x1, (label, axis)
    bars = [s for s in steps if isinstance(s, charts.Rect) and s.fill is not None and s.y > panel.y]
    assert min(b.x for b in bars) >= axis.x1 and max(b.x + b.w for b in bars) <= panel.x + panel.w


@pytest.mark.parametrize("top", [7, 42661])
def test_the_month_labels_never_run_into_each_other_on_screen_or_paper(qtbot, top):
    """Under the axis the quarters' first months, 1月 4月 7月 10月; measured in the screen's font and in
    the PDF's (with the room fpdf2 keeps inside a cell), no two overlap and none leaves the panel."""
    from PySide6.QtGui import QFont, QFontMetricsF
    from PySide6.QtWidgets import QApplication

    from app.pdf_fonts import FAMILY, CjkPdf

    chart = charts.MonthChart("走访记录", "篇", 2026, reports.VISIT_SERIES)
    chart.panels = [charts.Panel("张家村", [(top,)] * 12)]
    steps = charts.layout(chart, 1000)
    panel = next(s for s in steps if isinstance(s, charts.Rect) and s.fill is None)
    labels = [
        s for s in steps if isinstance(s, charts.Text) and s.text.endswith("月") and s.text[:-1].isdigit()
    ]
    assert [s.text for s in labels] == ["1月", "4月", "7月", "10月"]
    font = QFont(QApplication.font())
    font.setPixelSize(int(charts.TEXT_SIZE))
    screen = QFontMetricsF(font)
    pdf, k = CjkPdf(), 0.27  # draw_pdf's scale
    try:
        pdf.set_font(FAMILY, size=charts.TEXT_SIZE * k * charts.PT_PER_MM * 0.92)
        for width_of, inset in (
            (screen.horizontalAdvance, 0.0),
            (lambda text: pdf.get_string_width(text) / k, pdf.c_margin / k),
        ):
            spans = [(s.x + inset, s.x + inset + width_of(s.text)) for s in labels]
            for (_a, end), (start, _b) in zip(spans, spans[1:], strict=False):
                assert end <= start, spans
            assert spans[-1][1] <= panel.x + panel.w, spans
    finally:
        pdf.discard()


def test_at_a_larger_font_size_the_chart_and_its_text_are_drawn_larger(qtbot):
    """A cadre who reads at 特大 sees the charts at 特大 too: their text was a fixed 12 pixels."""
    from PySide6.QtWidgets import QApplication

    from ui.app import apply_font_size
    from ui.charts import MonthChartView

    chart = charts.MonthChart("走访记录", "篇", 2026, reports.VISIT_SERIES)
    chart.panels = [charts.Panel("张家村", [(n * 7,) for n in range(1, 13)])]
    view = MonthChartView()
    qtbot.addWidget(view)
    view.set_chart(chart)

    def drawn_height() -> int:
        image = view.grab_image(1000).toImage()
        white = image.pixel(0, 0)
        rows = [
            y for y in range(image.height()) if any(image.pixel(x, y) != white for x in range(0, 1000, 2))
        ]
        return rows[-1] - rows[0]

    app = QApplication.instance()
    try:
        apply_font_size("标准", app)
        standard, standard_need = drawn_height(), view.heightForWidth(1000)
        apply_font_size("特大", app)
        qtbot.wait(20)  # the font change reaches the view
        large, large_need = drawn_height(), view.heightForWidth(1000)
    finally:
        apply_font_size("标准", app)
    assert large >= 1.3 * standard and large_need >= 1.3 * standard_need
    assert view.minimumHeight() >= large_need - 1  # it asked its layout for the room
