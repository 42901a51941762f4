"""包案工作单: one 包案 on A4 (portrait): the 五个一, the 四到位, the linked records, the 化解方案's revisions
and the state history, with signature lines, for the file and for the 包案领导. Only roles that may see
sensitive tags print it (docs/keycases.md)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from fpdf import FPDF

from app.dates import cn_date, cn_time
from app.errors import UserError
from app.keycases import cases
from app.pdf_fonts import FAMILY, CjkPdf
from app.work import Work

FONT = FAMILY
LABEL_W = 32


class _Sheet(CjkPdf):
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
        self.cell(0, 5, f"{self.heading}  第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


def _section(pdf: FPDF, title: str) -> None:
    pdf.ln(2)
    pdf.set_font(FONT, size=12)
    pdf.set_fill_color(230, 236, 245)
    pdf.cell(0, 8, title, fill=True, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10.5)


def _row(pdf: FPDF, label: str, text: str) -> None:
    """A labelled row with a border: the label cell as tall as the wrapped text beside it. A text taller
    than what is left of the page goes on over the next pages, each part boxed with its label (续) (a
    化解方案 of 2 000 characters left a blank page and a label box running off the paper)."""
    width = pdf.w - pdf.l_margin - pdf.r_margin - LABEL_W
    lines = pdf.multi_cell(width, 6, text or "—", dry_run=True, output="LINES")
    assert isinstance(lines, list), "output=LINES gives the lines"
    lines = lines or [""]
    page_lines = int((pdf.page_break_trigger - pdf.t_margin) // 6)
    if len(lines) <= page_lines and pdf.get_y() + 6 * len(lines) > pdf.page_break_trigger:
        pdf.add_page()  # (it fits on a page of its own: not split)
    first = True
    while lines:
        room = int((pdf.page_break_trigger - pdf.get_y()) // 6)
        if room < 2:
            pdf.add_page()
            continue
        part, lines = lines[:room], lines[room:]
        height = 6 * len(part)
        x, y = pdf.get_x(), pdf.get_y()
        pdf.multi_cell(
            LABEL_W, height, label if first else f"{label}（续）", border=1, new_x="RIGHT", new_y="TOP"
        )
        pdf.set_xy(x + LABEL_W, y)
        pdf.multi_cell(width, 6, "\n".join(part), border=1, new_x="LMARGIN", new_y="NEXT")
        first = False


def print_case(work: Work, case_id: str, target: Path, *, unit_name: str) -> int:
    """Write the sheet to ``target``; returns its number of pages."""
    cases.require_see(work)
    target = Path(target)
    if target.suffix.lower() != ".pdf":
        raise UserError(f"文件名要以 .pdf 结尾：{target.name}", field="file")
    if not target.parent.exists():
        raise UserError(f"文件夹 {target.parent} 不存在，请先建立或换一个位置", field="file")
    d = cases.case_detail(work, case_id)
    pdf = _Sheet(f"{d.village_name}联户包案工作单")
    pdf.alias_nb_pages()
    pdf.add_page()
    pdf.set_font(FONT, size=17)
    pdf.cell(0, 11, "联户包案工作单", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10)
    pdf.cell(
        0,
        6,
        f"{d.village_name}　{d.owner_label}　开立日期：{cn_date(d.opened_on)}　状态：{d.state}",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    _section(pdf, "一、基本情况")
    _row(pdf, "户", d.household)
    _row(pdf, "当事人", d.person_name)
    _row(pdf, "案由", d.title)
    _row(pdf, "基本案情", d.summary)
    _section(pdf, "二、五个一")
    leader = d.leader
    _row(pdf, "包案领导", f"{leader.person.label}（{cn_date(leader.from_on)}起）" if leader else "")
    _row(pdf, "工作班子", "、".join(m.person.label for m in d.team))
    plan = d.plan
    _row(
        pdf,
        "化解方案",
        f"{plan.text}\n（第 {plan.revision} 版，{plan.author_name} {cn_time(plan.written_at)}）"
        if plan
        else "",
    )
    _row(pdf, "责任部门", d.department)
    _row(pdf, "稳控措施", d.stabilization)
    changes = [m for m in d.members if m.until_on is not None]
    if changes:
        _row(
            pdf,
            "人员调整",
            "\n".join(
                f"{m.role} {m.person.label}：{cn_date(m.from_on)}至{cn_date(m.until_on)}"
                + (f"（{m.end_note}）" if m.end_note else "")
                for m in changes
            ),
        )
    _section(pdf, "三、四到位")
    for col, name, when in cases.FOUR:
        steps = d.steps.get(col, "")
        _row(pdf, name, steps if steps else f"不适用（适用于{when}）")
    if len(d.plans) > 1:
        _section(pdf, "四、化解方案修订记录")
        for p in d.plans[:-1]:
            _row(pdf, f"第 {p.revision} 版", f"{p.text}\n（{p.author_name} {cn_time(p.written_at)}）")
    _section(pdf, "五、关联记录" if len(d.plans) > 1 else "四、关联记录")
    if d.links:
        for ln in d.links:
            _row(pdf, f"{ln.kind}", f"{cn_date(ln.when)} {ln.text}".strip())
    else:
        _row(pdf, "关联记录", "（尚未关联民情日记、诉求或调解案件）")
    _section(pdf, "六、状态记录" if len(d.plans) > 1 else "五、状态记录")
    for s in d.history:
        step = f"{s.from_state} → {s.to_state}" if s.from_state else f"开立（{s.to_state}）"
        _row(
            pdf,
            cn_date(s.on_date),
            f"{step}　{s.by_name}" + (f"\n{s.note}" if s.note and s.note != cases.OPENED else ""),
        )
    if d.state != cases.OPEN or d.close_reason:
        _row(pdf, "销号理由", d.close_reason)
        _row(pdf, "批准人", d.close_approver)
        _row(pdf, "群众意见", d.resident_view)
        _row(pdf, "销号日期", cn_date(d.closed_on))
    pdf.ln(10)
    pdf.set_font(FONT, size=11)
    if pdf.get_y() + 20 > pdf.page_break_trigger:
        pdf.add_page()
    pdf.cell(
        0,
        8,
        "包案领导（签字）：__________________　　日期：____年____月____日",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.cell(
        0,
        8,
        "责任部门（盖章）：__________________　　日期：____年____月____日",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font(FONT, size=9)
    pdf.set_text_color(90)
    pdf.cell(0, 8, f"{unit_name}打印于{cn_date(dt.date.today())}", align="R", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0)
    pdf.save(target)
    return pdf.pages_count
