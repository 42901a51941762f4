"""统计报表 on paper and in Excel: the 各村汇总 table of a period and the year's month charts.

The printed pack (A4 landscape): the title, unit and period, the 各村汇总 table (villages in code order,
then 合计; a village station its own line), the notes on how each figure is counted, 制表人 and 制表日期,
then the charts of the year (走访记录; 诉求听取与办结; 调解受理与结案 for those who may see cases), the
town's total first and each village in code order. The workbook goes through the 台账 writer
(:class:`app.ledger_book.LedgerBook`): the table on the first sheet, the charts' figures with Excel bar
charts on a sheet 图表, and the notes. Nothing is ranked: rows and panels never follow a figure.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from pathlib import Path

from app import charts, reports
from app.dates import cn_date
from app.errors import UserError

# width on paper (mm) of each column; the rest share what is left
WIDTHS = {"村": 26, "联系干部覆盖": 15, "调解成功率": 15}
PAPER_HEADINGS = {
    "有联系干部的户": "有联系\n干部的户",
    "联系干部覆盖": "联系干部\n覆盖",
    "联系卡已送达": "联系卡\n已送达",
    "走访到的户": "走访到\n的户",
    "调解成功率": "调解\n成功率",
    "调解成功": "调解\n成功",
    "走访记录": "走访\n记录",
    "在册人口": "在册\n人口",
    "本期送达": "本期\n送达",
}
NOTES = (
    "户数、在册人口、有联系干部的户和联系卡已送达为当前在册情况；其余按统计期间："
    "走访记录为期间内的民情日记篇数，诉求为期间内听取的诉求（按日记日期）及其现在的办理状态，"
    "逾期为未办结且已过办理期限的诉求；受理为期间内受理的调解案件，调解成功率 = 调解成功 ÷ 本期结案。",
    "图表为全年各月：走访记录按日记日期；诉求“听取”按日记日期，“办结”按办结日期；调解“受理”按受理日期，"
    "“结案”（调解成功、不成、终止）按结案日期。各图按本图最大数定刻度。",
)
TOWN_NOTE = "各村按村代码顺序，合计在后；图表全镇合计在前，各村按村代码顺序。不排名次。"


def notes(report: reports.Report, with_charts: bool) -> list[str]:
    out = [NOTES[0], *((NOTES[1],) if with_charts else ())]
    if report.town:
        out.append(TOWN_NOTE)
    return out


def title_of(unit_name: str) -> str:
    return f"{unit_name}民情工作统计报表"


def print_summary(
    report: reports.Report,
    target: Path | str,
    *,
    unit_name: str,
    year_charts: Sequence[charts.MonthChart] = (),
    made_by: str = "",
    printed_on: dt.date | None = None,
) -> int:
    """The 各村汇总 table of ``report`` and ``year_charts`` as an A4 landscape PDF; returns its pages."""
    # fpdf2 loads when a PDF is made, not with the screen that shows these figures (docs/architecture.md)
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    from app.pdf_sheet import FONT, LandscapeSheet

    head_style, total_style = FontFace(fill_color=(230, 230, 230)), FontFace(fill_color=(245, 245, 245))
    target = Path(target)
    if target.suffix.lower() != ".pdf":
        raise UserError(f"打印文件名要以 .pdf 结尾：{target.name}", field="file")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    day = printed_on or dt.date.today()
    title = title_of(unit_name)
    pdf = LandscapeSheet(title)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 10, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(150, 7, f"单位：{unit_name}")
    pdf.cell(
        0,
        7,
        f"统计期间：{cn_date(report.period.start)}至{cn_date(report.period.end)}",
        align="R",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, size=10.5)
    pdf.cell(0, 7, "各村汇总" if report.town else "本村汇总", new_x="LMARGIN", new_y="NEXT")
    columns = reports.summary_columns(report)
    fixed = sum(WIDTHS.get(h, 0) for h, _g in columns)
    rest = int((pdf.epw - fixed) / max(1, sum(1 for h, _g in columns if h not in WIDTHS)) * 10) / 10
    widths = [WIDTHS.get(h, rest) for h, _g in columns]
    pdf.set_font(FONT, size=8)
    with pdf.table(
        col_widths=widths,
        width=sum(widths),
        align="LEFT",
        text_align="CENTER",
        line_height=4.6,
        padding=0.8,
        wrapmode=WrapMode.CHAR,
        headings_style=head_style,
        repeat_headings=1,
    ) as table:
        head = table.row()
        for h, _g in columns:
            head.cell(PAPER_HEADINGS.get(h, h))
        for f in reports.summary_rows(report):
            total = report.town and f is report.totals
            line = table.row(style=total_style if total else None)
            for n, (_h, get) in enumerate(columns):
                line.cell(str(get(f)), align="LEFT" if n == 0 else "RIGHT")
    pdf.ln(2)
    pdf.set_font(FONT, size=8)
    for note in notes(report, bool(year_charts)):
        pdf.multi_cell(0, 4.5, note, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    pdf.ln(3)
    pdf.set_font(FONT, size=10.5)
    pdf.cell(90, 8, f"制表人：{made_by or '　' * 6}")
    pdf.cell(90, 8, "审核人：" + "　" * 6)
    pdf.cell(0, 8, f"制表日期：{cn_date(day)}", new_x="LMARGIN", new_y="NEXT")
    for chart in year_charts:
        if pdf.will_page_break(50):
            pdf.add_page()
        pdf.ln(3)
        charts.draw_pdf(pdf, chart, FONT)
    pdf.save(target)
    return pdf.pages_count


def export_summary(
    report: reports.Report,
    target: Path | str,
    *,
    unit_name: str,
    year_charts: Sequence[charts.MonthChart] = (),
    today: dt.date | None = None,
) -> int:
    """The 各村汇总 table as a workbook through the 台账 writer (figures as numbers), with the charts'
    figures and Excel charts on a sheet 图表; returns the number of table rows."""
    from app.ledger_book import LedgerBook, check_target  # openpyxl loads when a workbook is made

    target = check_target(target)
    today = today or dt.date.today()
    columns = reports.summary_columns(report)
    period = f"{cn_date(report.period.start)}至{cn_date(report.period.end)}"
    book = LedgerBook(
        "各村汇总" if report.town else "本村汇总",
        f"{title_of(unit_name)}  {period}  导出日期 {today:%Y-%m-%d}",
        [(h, 16 if n == 0 else max(8, len(h) * 2 + 2)) for n, (h, _g) in enumerate(columns)],
        frozen_columns=1,
    )
    if year_charts:
        book.add_chart_sheet("图表", list(year_charts))
    book.add_sheet(
        "说明",
        [["说明"], ["统计期间", period], *(["口径", n] for n in notes(report, bool(year_charts)))],
        widths=(12, 120),
    )

    def rows() -> Iterator[list[object]]:
        for f in reports.summary_rows(report):
            yield [get(f) for _h, get in columns]

    return book.save(target, rows())
