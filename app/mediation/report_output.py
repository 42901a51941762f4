"""The monthly 人民调解工作统计表 on paper (A4 landscape PDF) and in Excel (through the 台账 writer).

Both show what :func:`app.mediation.frozen.report` gives: per committee (villages in code order, the town
committee, 合计) a 本月 line and a 本年累计 line, in three tables of the standard layout (受理与调处,
纠纷类型, 来源、排查与防止), with each row's 报送 state and, for a row changed after freezing, its
differences. The paper form ends with 填报人, 审核人, 填报日期 and 单位（盖章）.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from app import charts
from app.dates import cn_date, cn_month_day
from app.errors import UserError
from app.mediation import frozen, monthly

Getter = Callable[[frozen.ReportRow, monthly.Figures, bool], str]


class _Num:
    """The figure ``key`` as text (a callable :data:`Getter` that names its key)."""

    def __init__(self, key: str) -> None:
        self.key = key

    def __call__(self, _r: frozen.ReportRow, f: monthly.Figures, _y: bool) -> str:
        return monthly.value_text(self.key, f.get(self.key, 0))


def _num(key: str) -> Getter:
    return _Num(key)


def key_of(get: Getter) -> str | None:
    """The figure key a column shows (None for a derived one: the rates)."""
    if isinstance(get, _Num):
        return get.key
    return "escalated" if get is _escalated else None


def _escalated(r: frozen.ReportRow, f: monthly.Figures, year: bool) -> str:
    """上报, with (at a town) how many of this village's escalated cases the town concluded with 调解成功."""
    n = f.get("escalated", 0)
    done = r.town_succeeded_year if year else r.town_succeeded_month
    return f"{n}（乡镇调结{done}）" if done else str(n)


def _rate(_r: frozen.ReportRow, f: monthly.Figures, _y: bool) -> str:
    return monthly.rate_text(monthly.success_rate(f))


def _rate_accepted(_r: frozen.ReportRow, f: monthly.Figures, _y: bool) -> str:
    return monthly.rate_text(monthly.success_rate_of_accepted(f))


# (heading, width in mm on paper, value) of each table; the first two columns (单位, 期间) are added.
TABLES: tuple[tuple[str, tuple[tuple[str, float, Getter], ...]], ...] = (
    (
        "表一　受理与调处",
        (
            ("受理", 10, _num("accepted")),
            ("接收上报", 11, _num("received")),
            ("调解成功", 11, _num("succeeded")),
            ("调解不成", 11, _num("failed")),
            ("终止调解", 11, _num("terminated")),
            ("在调（期末）", 13, _num("in_progress")),
            ("上报", 16, _escalated),
            ("不予受理", 11, _num("rejected")),
            ("成功率（成功÷结案）", 15, _rate),
            ("成功÷受理", 14, _rate_accepted),
            ("书面协议", 10, _num("written")),
            ("口头协议", 10, _num("oral")),
            ("申请司法确认", 13, _num("judicial_applied")),
            ("司法确认", 10, _num("judicial_confirmed")),
            ("履行", 9, _num("performed")),
            ("涉及金额（元）", 20, _num("amount_fen")),
            ("涉及人数", 10, _num("people")),
        ),
    ),
    ("表二　纠纷类型（件）", tuple((label, 14.3, _num(key)) for key, label in monthly.TYPE_COLUMNS)),
    (
        "表三　来源、排查与防止",
        (
            *((label, 15, _num(key)) for key, label in monthly.SOURCE_COLUMNS),
            ("排查次数", 12, _num("screenings")),
            ("零报告", 11, _num("zero_reports")),
            ("排查发现纠纷", 13, _num("found")),
            ("预防纠纷", 12, _num("prevented")),
            ("防止民间纠纷引起自杀 件", 17, _num("prevent_suicide")),
            ("人", 10, _num("prevent_suicide_people")),
            ("防止转化为刑事案件 件", 17, _num("prevent_criminal")),
            ("人", 10, _num("prevent_criminal_people")),
            ("防止群体性上访 件", 17, _num("prevent_petition")),
            ("人", 10, _num("prevent_petition_people")),
            ("防止群体性械斗 件", 17, _num("prevent_fight")),
            ("人", 10, _num("prevent_fight_people")),
        ),
    ),
)
NAME_WIDTH, PERIOD_WIDTH = 28, 13
# Where a heading breaks on paper (between words, never inside one: "调解/成功", not "调解成/功").
PAPER_HEADINGS = {
    "接收上报": "接收\n上报",
    "调解成功": "调解\n成功",
    "调解不成": "调解\n不成",
    "终止调解": "终止\n调解",
    "在调（期末）": "在调\n（期末）",
    "不予受理": "不予\n受理",
    "成功率（成功÷结案）": "成功率\n成功÷结案",
    "成功÷受理": "成功÷\n受理",
    "书面协议": "书面\n协议",
    "口头协议": "口头\n协议",
    "申请司法确认": "申请\n司法确认",
    "司法确认": "司法\n确认",
    "涉及金额（元）": "涉及金额\n（元）",
    "涉及人数": "涉及\n人数",
    "婚姻家庭": "婚姻\n家庭",
    "房屋宅基地": "房屋\n宅基地",
    "生产经营": "生产\n经营",
    "损害赔偿": "损害\n赔偿",
    "山林土地": "山林\n土地",
    "征地拆迁": "征地\n拆迁",
    "环境污染": "环境\n污染",
    "劳动争议": "劳动\n争议",
    "道路交通事故": "道路交通\n事故",
    "接受委托移送": "接受委托\n移送",
    "排查次数": "排查\n次数",
    "排查发现纠纷": "排查发现\n纠纷",
    "预防纠纷": "预防\n纠纷",
    "防止民间纠纷引起自杀 件": "防止引起\n自杀（件）",
    "防止转化为刑事案件 件": "防止转化\n刑事（件）",
    "防止群体性上访 件": "防止群体\n上访（件）",
    "防止群体性械斗 件": "防止群体\n械斗（件）",
    "人": "人",
}


def _period_text(view: frozen.MonthlyReportView) -> str:
    end = monthly.month_bounds(view.year, view.month)[1]
    return f"{view.year}年{view.month}月（本年累计：{view.year}年1月1日至{cn_month_day(end)}）"


def _row_name(r: frozen.ReportRow) -> str:
    return r.name


def _state(r: frozen.ReportRow) -> str:
    if r.kind == "total":
        return ""
    if r.status == frozen.SENT and r.frozen:
        return f"已报送 第{r.frozen.edition}版"
    if r.status == frozen.CHANGED and r.frozen:
        return f"报送后有变动（第{r.frozen.edition}版）"
    return r.status


def print_report(
    view: frozen.MonthlyReportView,
    target: Path | str,
    *,
    filled_by: str = "",
    printed_on: dt.date | None = None,
    chart: charts.MonthChart | None = None,
) -> int:
    """The 统计表 as a PDF at ``target``, with ``chart`` (:func:`monthly.cases_chart`) on a page after
    the signatures; returns its number of pages."""
    # fpdf2 loads when a PDF is made, not with the screen that shows these figures (docs/architecture.md)
    from fpdf.enums import WrapMode
    from fpdf.fonts import FontFace

    from app.pdf_sheet import FONT, LandscapeSheet

    head_style, total_style = FontFace(fill_color=(230, 230, 230)), FontFace(fill_color=(245, 245, 245))
    target = Path(target)
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    day = printed_on or dt.date.today()
    pdf = LandscapeSheet(view.title)
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 10, "人民调解工作统计表", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    unit = f"{view.unit_name}人民调解委员会"
    pdf.cell(150, 7, f"填报单位：{unit}")
    pdf.cell(0, 7, f"统计期间：{_period_text(view)}", align="R", new_x="LMARGIN", new_y="NEXT")
    rows = view.all_rows
    for heading, columns in TABLES:
        if pdf.will_page_break(30):
            pdf.add_page()
        pdf.set_font(FONT, size=10.5)
        pdf.cell(0, 7, heading, new_x="LMARGIN", new_y="NEXT")
        widths = [NAME_WIDTH, PERIOD_WIDTH, *(w for _h, w, _g in columns)]
        with_state = heading.startswith("表一")
        if with_state:
            widths.append(pdf.epw - sum(widths))
        pdf.set_font(FONT, size=7.5)
        with pdf.table(
            col_widths=widths,
            width=sum(widths),
            align="LEFT",
            text_align="CENTER",
            line_height=4.2,
            padding=0.8,
            wrapmode=WrapMode.CHAR,
            headings_style=head_style,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for text in (
                "单位",
                "期间",
                *(h for h, _w, _g in columns),
                *(("报送情况",) if with_state else ()),
            ):
                head.cell(PAPER_HEADINGS.get(text, text))
            for r in rows:
                for is_year in (False, True):
                    f = r.year if is_year else r.month
                    line = table.row(style=total_style if r.kind == "total" else None)
                    line.cell("" if is_year else _row_name(r), align="LEFT")
                    line.cell("本年累计" if is_year else "本月")
                    for _h, _w, get in columns:
                        line.cell(get(r, f, is_year))
                    if with_state:
                        line.cell("" if is_year else _state(r))
        pdf.ln(2)
    pdf.set_font(FONT, size=8)
    pdf.multi_cell(
        0,
        4.5,
        "表三的防止各项：防止民间纠纷引起自杀、防止民间纠纷转化为刑事案件、防止群体性上访、防止群体性械斗"
        "（调解成功的案件中受理时标明该风险的件数和涉及人数）；预防纠纷为排查中登记为“预防”的事项数。",
        new_x="LMARGIN",
        new_y="NEXT",
        wrapmode=WrapMode.CHAR,
    )
    changed = [r for r in rows if r.status == frozen.CHANGED]
    notes = [
        "口径：受理按受理日期；调解成功、调解不成、终止调解按结案日期（不论何时受理）；在调为期末仍在调解的件数；"
        "成功率 = 调解成功 ÷ 本期结案（成功 + 不成 + 终止）。各村数字取其报送（生成）的月报表，未报送的村取本站现有数据。"
    ]
    if view.town:
        notes.append(
            "乡镇调委会一行：本乡镇受理的案件，及各村上报到乡镇的案件（上报之日计“接收上报”，不计受理——"
            "受理已计在村的一行；乡镇调结之日计结果、协议形式和金额）；各村“上报”括号内为其中由乡镇调解成功的件数。"
            "合计为各调委会之和，“接收上报”不计入合计，每件纠纷只计一次受理。"
        )
    for r in changed:
        diff = "；".join(r.change_lines())
        notes.append(f"{r.name}报送后数字有变动（报送数 → 现有数）：{diff}")
    for r in rows:
        if r.status == frozen.NOT_SENT:
            notes.append(f"{r.name}未报送本月报表，表中为本站据已收到的数据统计。")
    pdf.set_font(FONT, size=8)
    for note in notes:
        pdf.multi_cell(0, 4.5, note, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    if pdf.will_page_break(22):
        pdf.add_page()
    pdf.ln(4)
    pdf.set_font(FONT, size=10.5)
    pdf.cell(70, 8, f"填报人：{filled_by or '　' * 6}")
    pdf.cell(70, 8, "审核人：" + "　" * 6)
    pdf.cell(70, 8, f"填报日期：{cn_date(day)}")
    pdf.cell(0, 8, "单位（盖章）", align="R", new_x="LMARGIN", new_y="NEXT")
    if chart is not None:
        pdf.add_page()
        pdf.set_font(FONT, size=12)
        pdf.cell(0, 8, f"附图　{unit}", new_x="LMARGIN", new_y="NEXT")
        charts.draw_pdf(pdf, chart, FONT)
        pdf.set_font(FONT, size=8)
        pdf.multi_cell(
            0,
            4.5,
            "受理按受理日期，结案（调解成功、不成、终止）按结案日期。全镇合计在前，各村按村代码顺序，不排名次。",
            new_x="LMARGIN",
            new_y="NEXT",
            wrapmode=WrapMode.CHAR,
        )
    pdf.save(target)
    return pdf.pages_count


# -- Excel ---------------------------------------------------------------------------------------------
def figure_columns() -> list[tuple[str, int, Getter]]:
    out: list[tuple[str, int, Getter]] = []
    for _heading, columns in TABLES:
        for label, _w, get in columns:
            if label == "人":  # the paper's short "人" columns say which item in Excel
                label = out[-1][0].removesuffix("件") + "人" if out else label
            out.append((label, max(8, min(16, len(label) * 2 + 2)), get))
    return out


def export_report(
    view: frozen.MonthlyReportView, target: Path | str, *, chart: charts.MonthChart | None = None
) -> int:
    """The 统计表 as a workbook (the 台账 writer): one line per committee and period, 村 first, and
    ``chart`` on a sheet 图表 (figures and Excel bar charts); returns the number of lines."""
    from app.ledger_book import LedgerBook, check_target  # openpyxl loads when a workbook is made

    target = check_target(target)
    columns = figure_columns()
    book = LedgerBook(
        "统计表",
        f"{view.title}  填报单位：{view.unit_name}人民调解委员会  导出日期 {cn_date(dt.date.today())}",
        [("村", 16), ("期间", 9), *((label, width) for label, width, _g in columns), ("报送情况", 40)],
        frozen_columns=2,
    )
    notes: list[list[object]] = [["说明"], ["统计期间", _period_text(view)]]
    notes += [
        ["受理", "受理日期在期间内的案件（不含不予受理）"],
        ["调解成功、不成、终止", "结案日期在期间内的案件，不论何时受理"],
        ["接收上报", "乡镇调委会接收的村上报案件（受理计在村的一行，合计中不重复计算）"],
        ["在调", "期末仍在调解（受理或调解中）的件数"],
        ["成功率", "调解成功 ÷ 本期结案（成功 + 不成 + 终止）；“成功÷受理”为另一种算法"],
    ]
    for r in view.all_rows:
        if r.status == frozen.CHANGED:
            notes.append([r.name, "报送后有变动：" + "；".join(r.change_lines())])
    book.add_sheet("说明", notes, widths=(22, 90))
    if chart is not None:
        book.add_chart_sheet("图表", [chart])

    def rows() -> Iterator[list[object]]:
        for r in view.all_rows:
            for is_year in (False, True):
                f = r.year if is_year else r.month
                values: list[object] = [r.name, "本年累计" if is_year else "本月"]
                for _label, _w, get in columns:
                    text = get(r, f, is_year)
                    values.append(_number(text))
                values.append("" if is_year else (r.status_text if r.kind != "total" else ""))
                yield values

    return book.save(target, rows())


def _number(text: str) -> object:
    """A plain figure as a number (so a spreadsheet can add it up); rates and annotated figures stay text."""
    plain = text.replace(",", "")
    if plain.isdigit():
        return int(plain)
    try:
        return float(plain) if plain.count(".") == 1 and plain.replace(".", "").isdigit() else text
    except ValueError:
        return text
