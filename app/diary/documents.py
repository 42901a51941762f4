"""打印民情日记: one cadre's entries for one month as a PDF, one entry a block with a signature line,
for villages where residents sign on paper (the signed sheets are then photographed and attached);
and 打印本条: one entry on its own A4 page for the resident's paper signature. The text a resident
acknowledges (:func:`app.diary.entries.entry_sections`) is the same on screen (the signing dialog) and on paper."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from fpdf import FPDF
from sqlalchemy import select

from db.models import DiaryEntry, User

from app.dates import cn_date, cn_time
from app.diary import acknowledgement, entries
from app.diary.entries import entry_sections  # the text on screen is the text on paper
from app.errors import UserError
from app.pdf_fonts import FAMILY, CjkPdf
from app.work import Work

FONT = FAMILY
PROGRESS_EVERY = 20  # entries drawn between two progress reports of a month's print


@dataclass(frozen=True)
class PrintedDiary:
    path: Path
    entries: int
    pages: int


class _DiaryPDF(CjkPdf):
    def __init__(self, heading: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.heading = heading
        self.set_margins(18, 16, 18)
        self.set_auto_page_break(True, margin=18)
        self.set_title(heading)
        self.set_creator("民情簿")

    def header(self) -> None:
        self.set_font(FONT, size=9)
        self.set_text_color(90)
        self.cell(0, 5, self.heading, align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_text_color(0)
        self.ln(2)

    def footer(self) -> None:
        self.set_y(-13)
        self.set_font(FONT, size=9)
        self.cell(0, 5, f"第 {self.page_no()} 页 / 共 {{nb}} 页", align="C")


def _field(pdf: FPDF, label: str, text: str) -> None:
    if not text:
        return
    pdf.set_font(FONT, size=10.5)
    pdf.multi_cell(0, 6, f"{label}：{text}", new_x="LMARGIN", new_y="NEXT")


def _block(pdf: CjkPdf, n: int, e: entries.EntryDetail, signature_png: bytes | None) -> None:
    pdf.set_font(FONT, size=12)
    when = cn_time(e.occurred_at)
    pdf.cell(0, 8, f"{n}. {when}  {e.kind_label}  {e.place}".rstrip(), new_x="LMARGIN", new_y="NEXT")
    for label, text in entry_sections(e):
        _field(pdf, label, text)
    for a in e.amendments:
        _field(pdf, f"补记（{cn_date(a.amended_at)}）", a.text)
    pdf.ln(2)
    pdf.set_font(FONT, size=10.5)
    ack = e.acknowledgement
    y = pdf.get_y()
    if ack is not None and ack.signed:
        pdf.cell(
            0,
            7,
            f"群众签字：{ack.signer_name}（{ack.signer_relation or '本人'}，{ack.method_label}，"
            f"{cn_time(ack.signed_at)}）",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if signature_png:
            pdf.picture(signature_png, x=pdf.w - pdf.r_margin - 45, y=y - 4, h=12)
    else:
        if ack is not None:
            _field(pdf, f"曾拒签（{cn_date(ack.signed_at)}）", ack.refusal_reason)
        pdf.cell(
            0,
            7,
            "群众签字：________________   与户主关系：__________   日期：____年__月__日",
            new_x="LMARGIN",
            new_y="NEXT",
        )
    pdf.cell(0, 7, f"记录干部：{e.cadre_name}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    pdf.set_draw_color(160)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.set_draw_color(0)
    pdf.ln(4)


def month_bounds(year: int, month: int) -> tuple[dt.datetime, dt.datetime]:
    if not 1 <= month <= 12:
        raise UserError("月份请填 1 到 12", field="month")
    start = dt.datetime(year, month, 1)
    end = dt.datetime(year + (month == 12), month % 12 + 1, 1)
    return start, end


def print_month(
    work: Work,
    target: Path,
    *,
    cadre_id: str,
    year: int,
    month: int,
    village_name: str,
    progress: Callable[[int, int, str], None] | None = None,
) -> PrintedDiary:
    """The cadre's entries of the month, oldest first. Refuses an empty month (nothing to sign).
    ``progress(done, total, text)`` is called as the entries are drawn (it may raise to stop: then
    nothing is written)."""
    session = work.session
    cadre = session.get(User, cadre_id)
    if cadre is None:
        raise UserError("请选择干部", field="cadre")
    start, end = month_bounds(year, month)
    ids = list(
        session.scalars(
            select(DiaryEntry.id)
            .where(
                DiaryEntry.cadre_id == cadre_id,
                DiaryEntry.deleted_at.is_(None),
                DiaryEntry.occurred_at >= start,
                DiaryEntry.occurred_at < end,
            )
            .order_by(DiaryEntry.occurred_at)
        )
    )
    if not ids:
        raise UserError(f"{cadre.display_name} 在 {year} 年 {month} 月没有民情日记，无需打印", field="month")
    pdf = _DiaryPDF(f"{village_name}  民情日记  {cadre.display_name}  {year}年{month}月")
    pdf.add_page()
    pdf.set_font(FONT, size=16)
    pdf.cell(0, 10, f"民情日记（{year}年{month}月）", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=10.5)
    pdf.cell(
        0,
        7,
        f"{village_name}    记录干部：{cadre.display_name}    共 {len(ids)} 篇",
        align="C",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.ln(3)
    page_height = pdf.h - pdf.t_margin - pdf.b_margin
    # An entry that would not fit on the rest of the page starts a new one (unless it is longer than a
    # page): its height is measured by drawing it first on a scratch page of the same layout. (fpdf2's
    # offset_rendering measured it in the document itself by copying the whole document, its font
    # included, twice an entry: 0.2 s an entry, a month of a busy cadre's 200 entries took half a minute.)
    scratch = _DiaryPDF(pdf.heading)
    scratch.set_auto_page_break(False)
    scratch.add_page()
    try:
        for n, entry_id in enumerate(ids, start=1):
            if progress is not None and n % PROGRESS_EVERY == 1:
                progress(n - 1, len(ids), f"正在生成民情日记（{n - 1}/{len(ids)} 篇）")
            e = entries.entry_detail(work, entry_id)
            png = acknowledgement.signature_image(work, entry_id) if e.read_only else None
            scratch.set_y(scratch.t_margin)
            _block(scratch, n, e, png)
            height = scratch.get_y() - scratch.t_margin
            if pdf.get_y() + height > pdf.page_break_trigger and height < page_height - 20:
                pdf.add_page()
            _block(pdf, n, e, png)
    except BaseException:  # stopped (取消) or failed: nothing is written
        pdf.discard()
        raise
    finally:
        scratch.discard()
    return PrintedDiary(pdf.save(target), len(ids), pdf.page_no())


def print_entry(work: Work, target: Path, entry_id: str, *, village_name: str) -> PrintedDiary:
    """打印本条: one entry on an A4 page (more when it is long) with the household, the date, the cadre,
    its text and a signature line, for the resident to sign on paper. The photo of the signed sheet is
    then attached as the acknowledgement (纸质签字)."""
    e = entries.entry_detail(work, entry_id)
    signature = acknowledgement.signature_image(work, entry_id) if e.read_only else None
    pdf = _DiaryPDF(f"{village_name}  民情日记  {e.cadre_name}")
    pdf.add_page()
    pdf.set_font(FONT, size=18)
    pdf.cell(0, 12, "民情日记", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=11)
    pdf.cell(0, 7, f"{village_name}    记录干部：{e.cadre_name}", align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    heads = "、".join(
        dict.fromkeys(
            f"{p.head_name}户（{p.group_name}）" if p.group_name else f"{p.head_name}户"
            for p in e.participants
        )
    )
    for label, text in (
        ("所属户", heads),
        ("时间", cn_time(e.occurred_at)),
        ("方式", e.kind_label),
        ("地点", e.place),
    ):
        if text:
            _line(pdf, label, text)
    pdf.ln(2)
    for label, text in entry_sections(e):
        _line(pdf, label, text)
    for a in e.amendments:
        _line(pdf, f"补记（{cn_date(a.amended_at)}）", a.text)
    if pdf.get_y() > pdf.h - pdf.b_margin - 60:  # the signature block stays whole, on the last page
        pdf.add_page()
    pdf.ln(8)
    pdf.set_font(FONT, size=12)
    ack = e.acknowledgement
    if ack is not None and ack.signed:
        y = pdf.get_y()
        pdf.multi_cell(
            0,
            8,
            f"群众签字：{ack.signer_name}（{ack.signer_relation or '本人'}，{ack.method_label}，"
            f"{cn_time(ack.signed_at)}）",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        if signature:
            pdf.picture(signature, x=pdf.w - pdf.r_margin - 50, y=y - 4, h=14)
    else:
        pdf.multi_cell(0, 8, "以上内容我已看过（或听读过），情况属实。", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(6)
        pdf.cell(
            0,
            10,
            "群众签字（或按手印）：____________________    与户主关系：____________",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        pdf.ln(3)
        pdf.cell(0, 10, "日期：________年______月______日", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(6)
    pdf.cell(0, 10, f"记录干部：{e.cadre_name}    签字：____________________", new_x="LMARGIN", new_y="NEXT")
    return PrintedDiary(pdf.save(target), 1, pdf.page_no())


def _line(pdf: FPDF, label: str, text: str) -> None:
    """A labelled paragraph in reading size (the single-entry sheet is read by the resident)."""
    pdf.set_font(FONT, size=12)
    pdf.multi_cell(0, 7.5, f"{label}：{text}", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
