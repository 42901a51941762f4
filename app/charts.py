"""图表: figures by month over a year, drawn the same way on screen, on paper and in a workbook.

A :class:`MonthChart` is small multiples: one panel per unit (the town's total first, then each village
in village-code order — never ordered by a figure: no rankings), each panel 12 months of one or more bar
series (走访; 听取 and 办结; 受理 and 结案). Each panel has its own scale, with its largest value written
at the top of the axis, so a small village's months are as readable as the town's.

:func:`layout` turns a chart into plain drawing steps (rectangles, lines, text) in an abstract unit;
the window paints them with QPainter (``ui/charts.py``), :func:`draw_pdf` draws them with fpdf2 in the
PDFs made here (headless: the CLI and the tests need no screen), and :func:`add_to_workbook` writes the
same figures as a data table with native Excel bar charts (openpyxl) beside it.

QtCharts (PySide6-Addons) was measured and not used: the Addons wheel is 175 MB (438 MB unpacked, the
Essentials the program uses are 234 MB), QtCharts pulls in QtOpenGL, QtOpenGLWidgets and libGL that
``build.spec`` leaves out, and it could not draw into the headless PDFs anyway.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Station

if TYPE_CHECKING:  # fpdf and openpyxl load when a chart is drawn, not with the module (the bundle
    # importer reads the monthly report's figures through app.mediation.monthly, which imports this)
    from fpdf import FPDF
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

MONTHS = 12
TOTAL_NAME = "全镇合计"


@dataclass(frozen=True)
class Series:
    label: str
    color: str  # "#rrggbb"


@dataclass
class Panel:
    """One unit's 12 months; ``months[m][s]`` is series ``s`` in month ``m + 1``."""

    name: str
    months: list[tuple[int, ...]]

    def total(self, series: int) -> int:
        return sum(m[series] for m in self.months)


@dataclass
class MonthChart:
    title: str  # 走访记录
    unit: str  # 篇 / 条 / 件
    year: int
    series: tuple[Series, ...]
    panels: list[Panel] = field(default_factory=list)

    @property
    def heading(self) -> str:
        return f"{self.year}年各月{self.title}（{self.unit}）"


def empty_months(n_series: int) -> list[tuple[int, ...]]:
    return [(0,) * n_series for _ in range(MONTHS)]


def summed(name: str, panels: Iterable[Panel], n_series: int) -> Panel:
    months = [list(m) for m in empty_months(n_series)]
    for p in panels:
        for i, m in enumerate(p.months):
            for s, v in enumerate(m):
                months[i][s] += v
    return Panel(name, [tuple(m) for m in months])


def village_units(session: Session, codes_with_data: Iterable[str]) -> list[tuple[str, str]]:
    """(code, name) of a town's villages in village-code order: every enrolled village station, and any
    other village code that has figures (a revoked station's data stays counted)."""
    stations = {st.code: st for st in session.scalars(select(Station))}
    codes = {c for c, st in stations.items() if st.kind == "village" and st.revoked_at is None}
    codes |= {c for c in codes_with_data if c not in stations or stations[c].kind == "village"}
    return [(c, stations[c].name if c in stations else c) for c in sorted(codes)]


def build(
    title: str,
    unit: str,
    year: int,
    series: Sequence[Series],
    data: dict[str, list[tuple[int, ...]]],
    *,
    town: bool,
    units: Sequence[tuple[str, str]],
    extra_in_total: Iterable[str] = (),
) -> MonthChart:
    """A chart of ``data`` (code → 12 months): at a town 全镇合计 (the villages and ``extra_in_total``,
    e.g. the town's own committee) then each of ``units``; at a village its one unit."""
    n = len(series)
    chart = MonthChart(title, unit, year, tuple(series))
    panels = [Panel(name, list(data.get(code, empty_months(n)))) for code, name in units]
    if town:
        extra = [Panel(code, data[code]) for code in extra_in_total if code in data]
        chart.panels.append(summed(TOTAL_NAME, [*panels, *extra], n))
    chart.panels += panels
    return chart


# -- layout: one drawing for every renderer ------------------------------------------------------------
CELL_W, CELL_H, LEGEND_H, MARGIN = 250.0, 118.0, 26.0, 8.0
TEXT_SIZE = 12.0  # the size of the text, in the layout's unit
DIGIT_W = TEXT_SIZE * 0.62  # a digit's width at that size (at most, in the fonts the program draws with)
NAME_CHARS = 8  # a longer unit name is cut (with …) so the panel's heading stays inside it
AXIS_COLOR, GRID_COLOR, TEXT_COLOR, LABEL_COLOR = "#888888", "#bbbbbb", "#222222", "#666666"


@dataclass(frozen=True)
class Rect:
    x: float
    y: float
    w: float
    h: float
    fill: str | None = None  # None: an outline in GRID_COLOR


@dataclass(frozen=True)
class Line:
    x1: float
    y1: float
    x2: float
    y2: float
    color: str = AXIS_COLOR


@dataclass(frozen=True)
class Text:
    x: float
    y: float  # top of the text box
    w: float
    h: float
    text: str
    align: str = "L"  # L / R / C
    color: str = TEXT_COLOR


Step = Rect | Line | Text


def per_line(width: float) -> int:
    return max(1, int((width - MARGIN) // CELL_W))


def height_for(chart: MonthChart, width: float) -> float:
    lines = -(-max(1, len(chart.panels)) // per_line(width))
    return LEGEND_H + lines * CELL_H


def layout(chart: MonthChart, width: float) -> list[Step]:
    """Drawing steps for ``chart`` in a box ``width`` wide (unit: a screen pixel at 100 %)."""
    steps: list[Step] = [Text(MARGIN, 2, 220, 16, chart.heading)]
    x = MARGIN + 230
    for s in chart.series:
        steps.append(Rect(x, 5, 10, 10, s.color))
        label_w = 16 + TEXT_SIZE * len(s.label)
        steps.append(Text(x + 14, 2, label_w, 16, s.label))
        x += 14 + label_w + 12
    per = per_line(width)
    for n, panel in enumerate(chart.panels):
        row, col = divmod(n, per)
        steps += _panel(chart, panel, MARGIN + col * CELL_W, LEGEND_H + row * CELL_H, CELL_W - 12, CELL_H - 8)
    return steps


def _panel(chart: MonthChart, panel: Panel, x: float, y: float, w: float, h: float) -> list[Step]:
    out: list[Step] = [Rect(x, y, w, h)]
    totals = " · ".join(f"{s.label} {panel.total(i)}" for i, s in enumerate(chart.series))
    name = panel.name if len(panel.name) <= NAME_CHARS else panel.name[: NAME_CHARS - 1] + "…"
    out.append(Text(x + 4, y + 3, w - 8, 16, f"{name}  {totals}"))
    top = max([1, *(v for m in panel.months for v in m)])
    # the number at the top of the axis, right-aligned before it: as wide as its digits (a village of
    # 100 000 households visits 40 000 times a month; five digits in the old 22 ran out of the panel)
    axis = max(22.0, DIGIT_W * len(str(top)) + 2)
    px, py, pw, ph = x + axis + 4, y + 28, w - axis - 10, h - 46
    out.append(Text(x + 1, py - 6, axis, 14, str(top), "R", LABEL_COLOR))
    out.append(Line(px, py, px + 3, py))
    out.append(Line(px, py + ph, px + pw, py + ph))
    slot = pw / MONTHS
    n = max(1, len(chart.series))
    bar = max(1.5, (slot - 3) / n)
    for i, months in enumerate(panel.months):
        bx = px + i * slot + 1.5
        for s, (value, series) in enumerate(zip(months, chart.series, strict=False)):
            bh = ph * value / top
            if bh > 0:
                out.append(Rect(bx + s * bar, py + ph - bh, bar, bh, series.color))
        if i % 3 == 0:  # the quarters' first months (a 12月 at the axis's end ran into 10月 on paper)
            out.append(Text(bx - 4, py + ph + 2, slot + 12, 14, f"{i + 1}月", "L", LABEL_COLOR))
    return out


# -- PDF (fpdf2) ---------------------------------------------------------------------------------------
def _rgb(color: str) -> tuple[int, int, int]:
    c = color.lstrip("#")
    return int(c[0:2], 16), int(c[2:4], 16), int(c[4:6], 16)


PT_PER_MM = 72 / 25.4


def draw_pdf(pdf: FPDF, chart: MonthChart, font: str, *, scale: float = 0.27) -> None:
    """Draw ``chart`` at the current position across the page's printable width (``scale`` mm per
    layout unit), leaving the position under it; a row of panels that does not fit starts a new page
    (with the heading again), and a row never splits."""
    width = pdf.epw / scale
    per = per_line(width)
    rows = [chart.panels[i : i + per] for i in range(0, len(chart.panels), per)] or [[]]
    first = True
    for part in rows:
        need = (LEGEND_H if first else 0) + CELL_H
        if pdf.will_page_break(need * scale):
            pdf.add_page()
            first = True  # the heading again on a new page
        piece = MonthChart(chart.title, chart.unit, chart.year, chart.series, part)
        steps = layout(piece, width)
        if not first:
            steps = [s for s in steps if not _is_legend(s)]
            offset = -LEGEND_H
        else:
            offset = 0.0
        top = pdf.get_y()
        _draw(pdf, steps, pdf.l_margin, top + offset * scale, scale, font)
        pdf.set_y(top + ((LEGEND_H if first else 0) + CELL_H) * scale)
        first = False


def draw_pdf_side_by_side(
    pdf: FPDF, singles: Sequence[MonthChart], font: str, *, scale: float = 0.33
) -> None:
    """One panel of each chart side by side on one line (a village's 走访, 诉求 and 调解 of the 点评会 pack,
    ``app/reviews``): each chart's legend (its series' colours) above its panel, which is named by the
    chart's title. Leaves the position under the line."""
    if not singles:
        return
    if pdf.will_page_break((LEGEND_H + CELL_H) * scale):
        pdf.add_page()
    top = pdf.get_y()
    box = CELL_W + MARGIN
    for n, chart in enumerate(singles):
        panel = chart.panels[0] if chart.panels else Panel(chart.title, empty_months(len(chart.series)))
        piece = MonthChart(
            chart.title, chart.unit, chart.year, chart.series, [Panel(chart.title, panel.months)]
        )
        steps = layout(piece, box)
        shifted: list[Step] = []
        for s in steps[1:]:  # the heading's text left out: the panel names the chart
            if isinstance(s, Rect | Text) and s.y < LEGEND_H:
                s = (
                    Rect(s.x - 230, s.y, s.w, s.h, s.fill)
                    if isinstance(s, Rect)
                    else Text(s.x - 230, s.y, s.w, s.h, s.text, s.align, s.color)
                )
            shifted.append(s)
        shifted.insert(
            0, Text(MARGIN + 120, 2, 120, 16, f"{chart.unit}，{chart.year}年各月", "R", LABEL_COLOR)
        )
        _draw(pdf, shifted, pdf.l_margin + n * box * scale, top, scale, font)
    pdf.set_y(top + (LEGEND_H + CELL_H) * scale)


def _is_legend(step: Step) -> bool:
    return isinstance(step, Rect | Text) and step.y < LEGEND_H


def _draw(pdf: FPDF, steps: list[Step], x0: float, y0: float, k: float, font: str) -> None:
    size_pt = TEXT_SIZE * k * PT_PER_MM * 0.92
    pdf.set_font(font, size=size_pt)
    for s in steps:
        if isinstance(s, Rect):
            if s.fill is None:
                pdf.set_draw_color(*_rgb(GRID_COLOR))
                pdf.set_line_width(0.2)
                pdf.rect(x0 + s.x * k, y0 + s.y * k, s.w * k, s.h * k)
            else:
                pdf.set_fill_color(*_rgb(s.fill))
                pdf.rect(x0 + s.x * k, y0 + s.y * k, s.w * k, s.h * k, style="F")
        elif isinstance(s, Line):
            pdf.set_draw_color(*_rgb(s.color))
            pdf.set_line_width(0.2)
            pdf.line(x0 + s.x1 * k, y0 + s.y1 * k, x0 + s.x2 * k, y0 + s.y2 * k)
        else:
            pdf.set_text_color(*_rgb(s.color))
            pdf.set_xy(x0 + s.x * k, y0 + s.y * k)
            pdf.cell(s.w * k, s.h * k, s.text, align=s.align)
    pdf.set_text_color(0)
    pdf.set_draw_color(0)
    pdf.set_fill_color(255)


# -- workbook (openpyxl) -------------------------------------------------------------------------------
def table_rows(chart: MonthChart) -> list[list[object]]:
    """The chart's figures as rows: a heading, a header, then per unit one row per series."""
    rows: list[list[object]] = [[chart.heading], ["单位", "项目", *(f"{m}月" for m in range(1, 13)), "全年"]]
    for p in chart.panels:
        for s, series in enumerate(chart.series):
            values = [m[s] for m in p.months]
            rows.append([p.name, series.label, *values, sum(values)])
    return rows


def add_to_workbook(ws: WriteOnlyWorksheet, charts: Sequence[MonthChart]) -> list[list[object]]:
    """The rows to write into ``ws`` (call before writing them), with one Excel bar chart per unit and
    chart anchored to the right of the figures (column R on), three to a line."""
    from openpyxl.chart import BarChart, Reference

    rows: list[list[object]] = []
    chart_row = 1
    for chart in charts:
        start = len(rows) + 1  # 1-based row of this chart's heading
        block = table_rows(chart)
        rows += [*block, []]
        n_series = len(chart.series)
        for k, panel in enumerate(chart.panels):
            first = start + 2 + k * n_series
            bars = BarChart()
            bars.type = "col"
            bars.title = f"{panel.name} {chart.year}年{chart.title}"
            bars.y_axis.title = chart.unit
            bars.height, bars.width = 7, 12  # cm
            bars.x_axis.delete = bars.y_axis.delete = False  # openpyxl 3.1 hides the axes otherwise
            top = max([1, *(v for m in panel.months for v in m)])
            bars.y_axis.majorUnit = max(1, -(-top // 5))  # whole numbers: these are counts
            bars.y_axis.scaling.min = 0
            data = Reference(ws, min_col=2, max_col=14, min_row=first, max_row=first + n_series - 1)
            bars.add_data(data, from_rows=True, titles_from_data=True)
            bars.set_categories(Reference(ws, min_col=3, max_col=14, min_row=start + 1, max_row=start + 1))
            for s, series in enumerate(chart.series):
                bars.series[s].graphicalProperties.solidFill = series.color.lstrip("#")
                bars.series[s].graphicalProperties.line.solidFill = series.color.lstrip("#")
            line, col = divmod(k, 3)
            anchor_col = ["R", "Z", "AH"][col]
            ws.add_chart(bars, f"{anchor_col}{chart_row + line * 14}")  # type: ignore[misc]  # the write-only sheet borrows Worksheet.add_chart
        chart_row += -(-max(1, len(chart.panels)) // 3) * 14
    return rows
