"""打印帮扶记录: one household's 帮扶记录 on A4 (portrait), for its file and for the household to sign
that it received what is listed: the household, its 帮扶责任人 over time, every record (date, kind,
money or goods, policy, giver, the diary entry it links), the totals and the signature lines."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf.enums import WrapMode
from fpdf.fonts import FontFace
from sqlalchemy import select

from db.models import HouseholdTag

from app.aid import pairs, records, rules
from app.dates import cn_date
from app.errors import UserError
from app.households.checks import get_live
from app.households.tags import hidden_tags
from app.pdf_fonts import FAMILY, CjkPdf
from app.work import Work

FONT = FAMILY
HEAD = FontFace(fill_color=(230, 230, 230))
WIDTHS = (27, 17, 19, 37, 26, 19, 29)  # 174 mm: the page less its margins
HEADINGS = ("日期", "类别", "金额（元）", "物资或帮扶内容", "依据的政策", "帮扶人", "关联日记")


class _AidPDF(CjkPdf):
    def __init__(self, heading: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.heading = heading
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title(heading)
        self.set_creator("民情簿")

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=9)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


ROW_LINES = 12  # the most lines a record's cell takes in the table (a row is never split over pages)


def _in_a_row(pdf: CjkPdf, text: str, width: float, notes: list[str]) -> str:
    """``text`` as a cell of ``width`` mm shows it: whole when it fits in :data:`ROW_LINES` lines, else its
    beginning and a pointer to the 附注 after the table, where it is printed whole (500 characters of
    goods made a row taller than a page, and the print stopped)."""
    inner = width - 2 * 0.8
    if pdf.get_string_width(text) <= inner * (ROW_LINES - 1):
        return text
    notes.append(text)
    cut = text
    pointer = f"…（全文见附注 {len(notes)}）"
    while cut and pdf.get_string_width(cut + pointer) > inner * (ROW_LINES - 3):
        cut = cut[: int(len(cut) * 0.9)]
    return cut + pointer


def print_household_aid(
    work: Work, household_id: str, target: Path, *, unit_name: str, today: dt.date | None = None
) -> int:
    """The household's 帮扶记录 as an A4 PDF at ``target``; returns the number of pages."""
    today = today or dt.date.today()
    target = Path(target)
    if target.suffix.lower() != ".pdf":
        raise UserError(f"文件名要以 .pdf 结尾：{target.name}", field="file")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    household = get_live(work, household_id)
    hidden = hidden_tags(work)
    tags = [
        t
        for t in work.session.scalars(
            select(HouseholdTag.tag)
            .where(HouseholdTag.household_id == household.id, HouseholdTag.deleted_at.is_(None))
            .order_by(HouseholdTag.tag)
        )
        if t not in hidden
    ]
    aid = records.household_aid(work, household.id)
    history = pairs.pair_history(work, household.id)
    heading = f"{unit_name} {household.head_name}户 帮扶记录"
    pdf = _AidPDF(heading)
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, "帮扶记录", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10.5)
    pdf.cell(0, 6, f"{unit_name}　　打印日期：{cn_date(today)}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(2)
    for label, text in (
        ("户主", household.head_name),
        ("组", household.group_name),
        ("住址", household.address),
        ("标签", "、".join(tags) or "无"),
    ):
        pdf.multi_cell(0, 6, f"{label}：{text}", new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    pdf.ln(1)
    pdf.set_font(FONT, size=12)
    pdf.cell(0, 8, "帮扶责任人", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10.5)
    if not history:
        pdf.cell(0, 6, "（还没有结对）", new_x="LMARGIN", new_y="NEXT")
    for p in history:
        span = f"{cn_date(p.start_on)}起" + (
            f"，{cn_date(p.end_on)}解除（{p.end_reason}）" if p.end_on else "，至今"
        )
        pdf.multi_cell(0, 6, f"{p.cadre_name}：{span}", new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    pdf.ln(1)
    pdf.set_font(FONT, size=12)
    total_fen = sum(a.amount_fen or 0 for a in aid)
    pdf.cell(
        0,
        8,
        f"帮扶记录（共 {len(aid)} 次"
        + (f"，资金合计 {rules.yuan_text(total_fen)} 元）" if total_fen else "）"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, size=9)
    if aid:
        with pdf.table(
            col_widths=WIDTHS,
            width=sum(WIDTHS),
            align="LEFT",
            text_align="LEFT",
            line_height=5,
            padding=0.8,
            wrapmode=WrapMode.CHAR,
            headings_style=HEAD,
            repeat_headings=1,
        ) as table:
            head = table.row()
            for h in HEADINGS:
                head.cell(h, align="CENTER")
            notes: list[str] = []  # texts too long for a row (a row cannot go on over a page)
            for a in aid:
                row = table.row()
                row.cell(cn_date(a.given_on))
                row.cell(a.kind)
                row.cell(a.amount_text, align="RIGHT")
                for text, width in (
                    (a.goods + (f"（{a.note}）" if a.note else ""), WIDTHS[3]),
                    (a.policy, WIDTHS[4]),
                ):
                    row.cell(_in_a_row(pdf, text, width, notes))
                row.cell(a.giver_name)
                row.cell(f"{cn_date(a.entry_at)}{a.entry_kind}" if a.entry_at else "")
        if notes:
            pdf.ln(2)
            pdf.set_font(FONT, size=10.5)
            pdf.cell(0, 7, "附注（表中写不下的全文）", new_x="LMARGIN", new_y="NEXT")
            pdf.set_font(FONT, size=9.5)
            for n, text in enumerate(notes, start=1):
                pdf.multi_cell(0, 5, f"{n}. {text}", new_x="LMARGIN", new_y="NEXT", wrapmode=WrapMode.CHAR)
    else:
        pdf.set_font(FONT, size=10.5)
        pdf.cell(0, 6, "（还没有帮扶记录）", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.set_font(FONT, size=10.5)
    pdf.cell(0, 8, "以上帮扶已收到。", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(85, 8, "户主（或家庭成员）签字：")
    pdf.cell(0, 8, "日期：　　年　　月　　日", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(85, 8, "帮扶责任人签字：")
    pdf.cell(0, 8, "日期：　　年　　月　　日", new_x="LMARGIN", new_y="NEXT")
    pdf.save(target)
    return pdf.page_no()
