"""公示: the A4 sheet a village posts on its notice board for a 为民实事 (docs/projects.md), in type big
enough to read standing in front of the board.

Two sheets: at planning (计划公示: what will be done, for which of the residents' demands, the budget
and its source, who is responsible, the milestones, where to give opinions) and at completion (完成公示:
what was done, the money spent against the budget, the milestones with the days they were done, the
residents' 点评 once accepted, a photo, where to give opinions). The demands are shown by what was
asked, never by who asked (a notice board is public)."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select

from db.models import Station
from db.models.projects import ACCEPTED, COMPLETED, TOWN_SCOPE

from app import attachments
from app.dates import cn_date, cn_month_day
from app.errors import UserError
from app.pdf_fonts import FAMILY, CjkPdf
from app.projects.service import ProjectDetail, money_text, project_detail
from app.work import Work

FONT = FAMILY
PLAN, DONE = "plan", "done"
NOTICE_DAYS = 7  # 公示期
BODY = 15  # pt: readable from a step away
LINE = 8.6  # mm per body line


def _day(day: dt.date | None, year: int) -> str:
    """A milestone's day in the table: 8月7日 within the project's year (the heading names it)."""
    if day is None:
        return ""
    return cn_month_day(day) if day.year == year else cn_date(day)


def default_kind(detail: ProjectDetail) -> str:
    return DONE if detail.state in (COMPLETED, ACCEPTED) else PLAN


class _Sheet(CjkPdf):
    def __init__(self, title: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.set_margins(20, 18, 20)
        self.set_auto_page_break(True, margin=18)
        self.set_title(title)
        self.set_creator("民情簿")

    def footer(self) -> None:
        if self.page_no() > 1 or self.pages_count > 1:
            self.set_y(-12)
            self.set_font(FONT, size=10)
            self.cell(0, 5, f"第 {self.page_no()} 页", align="C")


def _publisher(work: Work, detail: ProjectDetail) -> str:
    """Who posts the notice: the village committee, or the town government for a 镇 project."""
    if detail.scope == TOWN_SCOPE:
        me = work.session.scalars(select(Station).where(Station.is_local.is_(True))).first()
        town = (me.name if me is not None and me.kind == "town" else (me.town_name if me else "")) or "乡镇"
        return f"{town}人民政府"
    return f"{detail.village_name}村民委员会"


def _demand_lines(detail: ProjectDetail) -> list[str]:
    """What the residents asked for, grouped: 门前道路硬化（3 户）. No names on a public board."""
    asked = Counter(d.content.strip() for d in detail.demands)
    return [f"{text}（{n} 户）" if n > 1 else text for text, n in asked.most_common()]


def _label_block(pdf: FPDF, label: str, text: str) -> None:
    pdf.set_font(FONT, size=BODY)
    pdf.multi_cell(0, LINE, f"{label}：{text}", align="L", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1.5)


def _table(
    pdf: FPDF,
    head: tuple[str, ...],
    rows: list[tuple[str, ...]],
    widths: tuple[int, ...],
    width: float | None = None,
) -> None:
    pdf.set_font(FONT, size=BODY - 1)
    with pdf.table(
        width=width or pdf.epw,
        align="LEFT",
        col_widths=widths,
        line_height=LINE - 0.6,
        text_align=("LEFT",) + ("CENTER",) * (len(head) - 1),
        first_row_as_headings=False,
    ) as table:
        hr = table.row()
        for h in head:
            hr.cell(h)
        for r in rows:
            row = table.row()
            for value in r:
                row.cell(value)
    pdf.ln(3)


def write_notice(
    work: Work, project_id: str, target: Path | str, *, kind: str | None = None, today: dt.date | None = None
) -> Path:
    """The 公示 sheet as a PDF at ``target``. ``kind``: :data:`PLAN` or :data:`DONE` (default: by the
    project's state); a completion notice needs a completed project."""
    detail = project_detail(work, project_id)
    kind = kind or default_kind(detail)
    if kind not in (PLAN, DONE):
        raise UserError("公示只有计划公示和完成公示两种", field="kind")
    if kind == DONE and detail.state not in (COMPLETED, ACCEPTED):
        raise UserError(f"这项实事现在是“{detail.state}”，完成后才能打印完成公示", field="kind")
    today = today or dt.date.today()
    heading = "为民实事计划公示" if kind == PLAN else "为民实事完成情况公示"
    pdf = _Sheet(f"{detail.title}{heading}")
    pdf.add_page()
    pdf.set_font(FONT, size=26)
    pdf.cell(0, 14, heading, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=14)
    scope = "镇级" if detail.scope == TOWN_SCOPE else "村级"
    pdf.cell(
        0, 8, f"{detail.village_name}  {detail.year}年度（{scope}）", align="C", new_x="LMARGIN", new_y="NEXT"
    )
    pdf.ln(4)
    pdf.set_font(FONT, size=20)
    pdf.multi_cell(0, 11, detail.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(3)
    asked = _demand_lines(detail)
    if kind == PLAN:
        if detail.content:
            _label_block(pdf, "建设内容", detail.content)
        if asked:
            _label_block(pdf, f"回应群众诉求（{len(detail.demands)} 条）", "；".join(asked))
        _label_block(pdf, "预算金额", detail.budget_text)
        _label_block(pdf, "资金来源", detail.funding_source)
        _label_block(pdf, "责任人", detail.responsible)
        if detail.milestones:
            pdf.set_font(FONT, size=BODY)
            pdf.cell(0, LINE, "实施计划：", new_x="LMARGIN", new_y="NEXT")
            _table(
                pdf,
                ("节点", "计划完成日期"),
                [(m.title, _day(m.due_on, detail.year)) for m in detail.milestones],
                (100, 70),
            )
        ask = "公示期间，群众对项目内容、预算和实施计划有意见或建议的"
    else:
        _label_block(pdf, "完成情况", detail.done_summary)
        _label_block(pdf, "工期", f"{cn_date(detail.started_on)}开工，{cn_date(detail.completed_on)}完成")
        _label_block(
            pdf,
            "资金使用",
            f"预算{detail.budget_text}，实际支出{money_text(detail.spent_fen)}（资金来源：{detail.funding_source}）",
        )
        _label_block(pdf, "责任人", detail.responsible)
        if asked:
            _label_block(pdf, f"回应群众诉求（{len(detail.demands)} 条）", "；".join(asked))
        photo = _photo_bytes(work, detail)
        top = pdf.get_y()
        if detail.milestones:
            pdf.set_font(FONT, size=BODY)
            pdf.cell(0, LINE, "节点完成情况：", new_x="LMARGIN", new_y="NEXT")
            _table(
                pdf,
                ("节点", "计划日期", "完成日期"),
                [
                    (m.title, _day(m.due_on, detail.year), _day(m.done_on, detail.year))
                    for m in detail.milestones
                ],
                (40, 36, 36) if photo else (70, 50, 50),
                width=pdf.epw - PHOTO_WIDTH - 4 if photo else None,
            )
        if photo is not None:  # beside the milestones: the notice stays one sheet
            bottom = _place_photo(pdf, photo, pdf.l_margin + pdf.epw - PHOTO_WIDTH, top + 2)
            pdf.set_y(max(pdf.get_y(), bottom + 3))
        if detail.state == ACCEPTED:
            _label_block(pdf, "验收日期", cn_date(detail.accepted_on))
            review = (
                f"满意{detail.review_satisfied}人，基本满意{detail.review_basic}人，"
                f"不满意{detail.review_dissatisfied}人（{detail.review_method}收集，{cn_date(detail.review_on)}）"
            )
            if detail.review_words:
                review += f"。群众意见：{detail.review_words}"
            _label_block(pdf, "群众点评", review)
        ask = "群众对工程质量和资金使用有意见的"
    # the day it goes up is not counted (as for every period counted in days in civil law), so 7 days from
    # 3月1日 run to 3月8日
    days = f"{cn_date(today)}至{cn_date(today + dt.timedelta(days=NOTICE_DAYS))}"
    where = detail.contact or f"{detail.village_name}村民委员会或群众工作室"
    pdf.ln(2)
    pdf.set_font(FONT, size=BODY)
    pdf.multi_cell(0, LINE, f"公示期：{days}。{ask}，请向{where}反映。", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(8)
    pdf.set_font(FONT, size=BODY)
    pdf.cell(0, LINE, f"{_publisher(work, detail)}（盖章）", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.cell(0, LINE, cn_date(today), align="R", new_x="LMARGIN", new_y="NEXT")
    target = Path(target)
    if target.suffix.lower() != ".pdf":
        raise UserError(f"文件名要以 .pdf 结尾：{target.name}", field="file")
    if not target.parent.is_dir():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    return pdf.save(target)


PHOTO_WIDTH = 56  # mm


def _photo_bytes(work: Work, detail: ProjectDetail) -> bytes | None:
    """The newest photo of the work whose content is on this station."""
    for info in reversed(detail.photos):
        data = attachments.load_blob(work.session.connection(), work.paths.attachments, info.sha256)
        if data is not None:
            return data
    return None


def _place_photo(pdf: CjkPdf, data: bytes, x: float, y: float) -> float:
    """The photo at (x, y), :data:`PHOTO_WIDTH` wide; returns its bottom (``y`` when it cannot be read)."""
    info = pdf.picture(data, x=x, y=y, w=PHOTO_WIDTH)
    return y if info is None else y + float(info.rendered_height)
