"""两评 on paper (docs/reviews.md): the 点评会 pack (A4 landscape, a cover, one page per village in
village-code order, the meeting's minutes and decisions when recorded) and the 群众评议 ballots (A4
portrait, two to a sheet with a cutting line: the cadre's name, what the diary says the cadre did that
half-year in plain words, the boxes 满意 / 基本满意 / 不满意 and a comment line). Headless fpdf2 with the
project's font, as every print."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace

from app import charts
from app.dates import cn_date
from app.errors import UserError
from app.pdf_fonts import CjkPdf
from app.pdf_sheet import FONT, LandscapeSheet
from app.reviews.common import month_label, period_label
from app.reviews.meetings import DecisionInfo, MeetingInfo
from app.reviews.pack import Pack
from app.reviews.tallies import CadreWork

HEAD = FontFace(fill_color=(235, 235, 235))
CELLS_PER_ROW = 8


def check_pdf_target(target: Path | str) -> Path:
    target = Path(target)
    if target.suffix.lower() != ".pdf":
        raise UserError(f"打印文件名要以 .pdf 结尾：{target.name}", field="file")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    return target


def _save(pdf: CjkPdf, target: Path) -> int:
    pdf.save(target)
    return pdf.pages_count


def pack_title(pack: Pack) -> str:
    return f"{pack.town_name}驻村工作点评会材料（{month_label(pack.month)}）"


def print_pack(
    pack: Pack,
    target: Path | str,
    *,
    meeting: MeetingInfo | None = None,
    decisions: Sequence[DecisionInfo] = (),
    made_by: str = "",
) -> int:
    """The pack as an A4 landscape PDF; returns its pages."""
    target = check_pdf_target(target)
    title = pack_title(pack)
    pdf = LandscapeSheet(title)
    pdf.add_page()
    pdf.set_font(FONT, size=20)
    pdf.ln(20)
    pdf.cell(0, 12, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=12)
    pdf.cell(
        0,
        8,
        f"点评月份：{month_label(pack.month)}　　村数：{len(pack.sections)}　　制作日期：{cn_date(pack.today)}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(8)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, "目录（按村代码顺序）", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    names = "　".join(f"{n + 1}. {s.name}" for n, s in enumerate(pack.sections)) or "本镇还没有登记村工作站"
    pdf.multi_cell(0, 6, names, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    pdf.ln(4)
    pdf.set_font(FONT, size=9)
    for note in pack.notes:
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    pdf.ln(6)
    pdf.set_font(FONT, size=10.5)
    pdf.cell(120, 8, f"制作人：{made_by or '　' * 6}")
    pdf.cell(0, 8, "审核人：" + "　" * 6, new_x="LMARGIN", new_y="NEXT")

    for n, section in enumerate(pack.sections):
        pdf.add_page()
        pdf.set_font(FONT, size=15)
        pdf.cell(
            0,
            9,
            f"{n + 1}. {section.name}（{section.code}）　{month_label(pack.month)}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(1)
        group_w = 34.0
        cell_w = (pdf.epw - group_w) / CELLS_PER_ROW
        pdf.set_font(FONT, size=9)
        with pdf.table(
            col_widths=[group_w, *([cell_w] * CELLS_PER_ROW)],
            width=pdf.epw,
            first_row_as_headings=False,
            text_align="CENTER",
            line_height=5,
            padding=1,
            wrapmode=WrapMode.CHAR,
        ) as table:
            for group in section.groups:
                items = group.items or [("（无）", "")]
                for start in range(0, len(items), CELLS_PER_ROW):
                    part = items[start : start + CELLS_PER_ROW]
                    row = table.row()
                    row.cell(group.title if start == 0 else "", style=HEAD, align="LEFT")
                    for label, value in part:
                        row.cell(f"{label}\n{value}")
                    for _ in range(CELLS_PER_ROW - len(part)):
                        row.cell("")
        pdf.ln(3)
        if section.charts:
            charts.draw_pdf_side_by_side(pdf, section.charts, FONT, scale=0.35)

    if meeting is not None:
        pdf.add_page()
        pdf.set_font(FONT, size=15)
        pdf.cell(0, 9, f"点评会纪要（{month_label(pack.month)}）", new_x="LMARGIN", new_y="NEXT")
        pdf.set_font(FONT, size=10.5)
        pdf.cell(
            0,
            7,
            f"会议日期：{cn_date(meeting.held_on)}　　地点：{meeting.place or '—'}",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if meeting.attendees:
            pdf.multi_cell(
                0, 6, f"参会人员：{meeting.attendees}", new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR
            )
        pdf.ln(2)
        pdf.multi_cell(0, 6, meeting.minutes, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
        if decisions:
            pdf.ln(3)
            pdf.set_font(FONT, size=12)
            pdf.cell(0, 8, "会议决定", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, size=10)
            for line in decision_lines(decisions):
                pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    return _save(pdf, target)


def decision_lines(decisions: Sequence[DecisionInfo]) -> list[str]:
    """One line per decision (a decision to all once), with whom it is for and its time limit."""
    seen: set[int] = set()
    out = []
    for d in decisions:
        if d.seq in seen:
            continue
        seen.add(d.seq)
        due = f"（{cn_date(d.due_on)}前完成）" if d.due_on else ""
        out.append(f"{d.seq}. 〔{d.addressed}〕{d.text}{due}")
    return out


# -- ballots ---------------------------------------------------------------------------------------------
BOX = "□"


class _Portrait(CjkPdf):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(15, 12, 15)
        self.set_auto_page_break(False)
        self.set_title(title)
        self.set_creator("民情簿")


def ballot_title(town_name: str, period: str) -> str:
    return f"{town_name}驻村干部群众评议票（{period_label(period)}）"


def print_ballots(
    works: Sequence[CadreWork], period: str, target: Path | str, *, town_name: str, copies: int = 2
) -> int:
    """``copies`` ballots per cadre, two to an A4 sheet (each cadre starts a sheet); returns the pages."""
    target = check_pdf_target(target)
    if not works:
        raise UserError(
            "没有可评议的驻村干部：请在 设置 → 账号 中把驻村干部的职务填为“驻村干部”（或“驻村第一书记”等含“驻村”的职务）",
            field="cadre",
        )
    if not 1 <= copies <= 500:
        raise UserError("每位干部的评议票份数应在 1 到 500 之间", field="copies")
    title = ballot_title(town_name, period)
    pdf = _Portrait(title)
    half = (297 - 24) / 2
    for w in works:
        for k in range(copies):
            if k % 2 == 0:
                pdf.add_page()
                top = 12.0
            else:
                top = 12 + half
                pdf.set_draw_color(150)
                pdf.set_line_width(0.2)
                pdf.set_dash_pattern(dash=2, gap=2)
                pdf.line(10, top - 2, 200, top - 2)
                pdf.set_dash_pattern()
                pdf.set_font(FONT, size=7)
                pdf.set_text_color(130)
                pdf.set_fill_color(255)
                pdf.rect(92, top - 4.5, 26, 5, style="F")
                pdf.set_xy(92, top - 4.5)
                pdf.cell(26, 5, "沿虚线剪开", align="C")
                pdf.set_text_color(0)
            _ballot(pdf, w, title, top, half - 6)
    return _save(pdf, target)


def _ballot(pdf: FPDF, w: CadreWork, title: str, top: float, height: float) -> None:
    pdf.set_xy(pdf.l_margin, top + 2)
    pdf.set_font(FONT, size=14)
    pdf.cell(0, 8, title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.multi_cell(  # the 职务 last, and wrapped when long (the village's name was cut off the paper)
        0,
        6.5,
        f"被评议干部：{w.name}　　驻在村：{w.village_name}　　职务：{w.title}",
        new_x="LMARGIN",
        new_y="NEXT",
        wrapmode=WrapMode.CHAR,
    )
    pdf.ln(1)
    pdf.set_font(FONT, size=10)
    pdf.cell(0, 6, "这半年民情日记里记下的工作（供您参考）：", new_x="LMARGIN", new_y="NEXT")
    for line in w.lines():
        pdf.multi_cell(0, 5.5, "　" + line, new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    pdf.ln(3)
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 8, "您的评价（只在一个方框内打勾）：", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=14)
    pdf.cell(0, 10, f"　{BOX} 满意　　　　{BOX} 基本满意　　　　{BOX} 不满意", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 8, "意见和建议：", new_x="LMARGIN", new_y="NEXT")
    y = pdf.get_y() + 6
    pdf.set_draw_color(120)
    for _ in range(2):
        pdf.line(pdf.l_margin, y, pdf.l_margin + pdf.epw, y)
        y += 9
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(100)
    pdf.set_xy(pdf.l_margin, top + height - 6)
    pdf.cell(
        0, 5, "不记名。勾选多个方框或不勾选的为无效票。填好后投入评议票箱，由乡镇和村里当众计票。", align="C"
    )
    pdf.set_text_color(0)
