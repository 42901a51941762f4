"""群众联系卡: the contact card posted in every home, as a PDF.

A card names the household head and address, the contact cadre (联系干部), the area cadre (包片干部)
and the village secretary with their phones, the station's service phone, and carries a QR code
that dials the contact cadre (``tel:``, made by segno and drawn as vector squares so it prints
sharp). Cards come eight to an A4 sheet with cut marks, or one card per A4 page (drawn at twice the
size, with cut marks: any office printer takes it). A household without a contact cadre gets no card
(the card says "有事请找联系干部"): it is skipped and counted, to be given a cadre first. Where the
household's 组 has a 群众工作信息员 serving on the day of printing, the card names them too, with their
phone from the roster (docs/informants.md).
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import segno
from fpdf import FPDF
from fpdf.drawing_primitives import Transform
from sqlalchemy import select

from db import vocab
from db.models import CadreAssignment, Household, Station, User
from db.queries.households import RosterFilter, roster_ids
from db.queries.informants import group_informants

from app import audit
from app.errors import UserError
from app.households.cadres import village_secretary
from app.pdf_fonts import FAMILY, CjkPdf
from app.work import Work

CARD_W, CARD_H = 93.0, 63.0  # mm
GAP = 4.0
COLS, ROWS = 2, 4
PER_SHEET = COLS * ROWS
A4_W, A4_H = 210.0, 297.0
FONT = FAMILY
ONE_PER_PAGE_SCALE = 2.0  # a card alone on an A4 page: 186 × 126 mm
PROGRESS_EVERY = 50  # cards drawn between two progress reports (a whole village: a few seconds)
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class CardPerson:
    name: str
    phone: str | None


@dataclass(frozen=True)
class CardData:
    household_id: str
    head_name: str
    group_name: str
    address: str
    contact: CardPerson | None
    area: CardPerson | None
    secretary: CardPerson | None
    service_phone: str | None
    village_name: str
    informant: CardPerson | None = None  # the 组's 群众工作信息员 on the day of printing


def card_households(
    work: Work,
    *,
    group_name: str | None = None,
    not_delivered: bool = False,
    ids: Sequence[str] | None = None,
) -> list[str]:
    """Households to print, in roster order: a selection (``ids``), a 组, or the whole village."""
    if ids is not None:
        wanted = set(ids)
        return [i for i in roster_ids(work.session, RosterFilter()) if i in wanted]
    return roster_ids(work.session, RosterFilter(group_name=group_name, card_not_delivered=not_delivered))


def card_data(work: Work, household_ids: Sequence[str], *, today: dt.date | None = None) -> list[CardData]:
    """What each household's card says; the service phone and the village name are this station's; the
    信息员 is the one serving the household's 组 on ``today``."""
    session = work.session
    today = today or dt.date.today()
    station = session.get(Station, work.station.id)
    assert station is not None, "the unit of work's station is a row of this database"
    secretary = village_secretary(work)
    sec = CardPerson(secretary.display_name, secretary.phone) if secretary else None
    out: list[CardData] = []
    ids = list(household_ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        households = {h.id: h for h in session.scalars(select(Household).where(Household.id.in_(part)))}
        cadres: dict[tuple[str, str], CardPerson] = {}
        for a, u in session.execute(
            select(CadreAssignment, User)
            .join(User, User.id == CadreAssignment.cadre_id)
            .where(
                CadreAssignment.household_id.in_(part),
                CadreAssignment.end_on.is_(None),
                CadreAssignment.deleted_at.is_(None),
                User.active.is_(True),  # a card never names or dials a cadre whose account was stopped
            )
            .order_by(CadreAssignment.start_on)
        ):
            cadres[(a.household_id, a.role)] = CardPerson(u.display_name, u.phone)
        informants = group_informants(session, {h.group_name for h in households.values()}, today)
        for hid in part:
            h = households.get(hid)
            if h is None:
                continue
            out.append(
                CardData(
                    h.id,
                    h.head_name,
                    h.group_name,
                    h.address,
                    cadres.get((hid, vocab.CONTACT_CADRE)),
                    cadres.get((hid, vocab.AREA_CADRE)),
                    sec,
                    station.service_phone,
                    station.name,
                    CardPerson(*informants[h.group_name]) if h.group_name in informants else None,
                )
            )
    return out


@dataclass(frozen=True)
class CardsPrinted:
    """What a print run made: the cards, the PDF's pages, the households left out (no contact cadre)."""

    cards: int
    pages: int
    skipped: int
    household_ids: tuple[str, ...]  # the households that got a card (to mark delivered)

    def message(self, path: Path | str) -> str:
        skipped = (
            f"；{self.skipped} 户还没有联系干部，未生成联系卡（请先指定联系干部）" if self.skipped else ""
        )
        return f"已生成 {self.cards} 户的联系卡，共 {self.pages} 页：{path}{skipped}"


class _CardPdf(CjkPdf):
    def __init__(self) -> None:
        super().__init__(unit="mm", format="A4")
        self.set_auto_page_break(False)
        self.set_margins(0, 0, 0)
        self.set_creator("民情簿 minqing")
        self.set_title("群众联系卡")


@functools.lru_cache(maxsize=512)
def _qr_squares(data: str) -> tuple[int, tuple[tuple[int, int, int, int], ...]]:
    """The QR code of ``data``: its modules per side, and its dark modules as rectangles (column, row,
    width, height, in modules): each run of dark modules in a row, grown down over the rows below
    that have the same run. Made once per number: a village's cards name a few dozen cadres, and
    choosing a code's mask (segno tries all eight) was most of the time of printing them."""
    matrix = segno.make(data, error="m").matrix
    n = len(matrix)
    done: list[tuple[int, int, int, int]] = []
    growing: dict[tuple[int, int], int] = {}  # (first column, width) → the row the rectangle starts in
    for r, row in enumerate(matrix):
        runs = set()
        c = 0
        while c < n:
            if row[c]:
                start = c
                while c < n and row[c]:
                    c += 1
                runs.add((start, c - start))
            else:
                c += 1
        for run, top in list(growing.items()):
            if run not in runs:
                done.append((run[0], top, run[1], r - top))
                del growing[run]
        for run in runs:
            growing.setdefault(run, r)
    done.extend((run[0], top, run[1], n - top) for run, top in growing.items())
    return n, tuple(sorted(done, key=lambda sq: (sq[1], sq[0])))


def _qr(pdf: FPDF, data: str, x: float, y: float, size: float) -> None:
    """The QR code as filled squares (vector, so it prints sharp at any size)."""
    n, squares = _qr_squares(data)
    quiet = 1
    module = size / (n + 2 * quiet)
    pdf.set_fill_color(255, 255, 255)
    pdf.rect(x, y, size, size, style="F")
    pdf.set_fill_color(0, 0, 0)
    left, top = x + quiet * module, y + quiet * module
    for c, r, w, h in squares:
        pdf.rect(left + c * module, top + r * module, w * module, h * module, style="F")


def _person_line(role: str, p: CardPerson | None) -> str:
    if p is None:
        return f"{role}：（未指定）"
    return f"{role}：{p.name}  {p.phone or ''}".rstrip()


def _draw_card(pdf: FPDF, card: CardData, x: float, y: float) -> None:
    pdf.set_draw_color(150, 40, 40)
    pdf.set_line_width(0.4)
    pdf.rect(x + 1.5, y + 1.5, CARD_W - 3, CARD_H - 3)
    # Title band.
    pdf.set_fill_color(178, 34, 34)
    pdf.rect(x + 1.5, y + 1.5, CARD_W - 3, 10, style="F")
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, size=13)
    pdf.set_xy(x + 4, y + 2.5)
    pdf.cell(CARD_W - 8, 8, "群众联系卡", align="L")
    pdf.set_font(FONT, size=8)
    pdf.set_xy(x + 4, y + 2.5)
    pdf.cell(CARD_W - 8, 8, card.village_name, align="R")
    pdf.set_text_color(0, 0, 0)
    # Household.
    width = CARD_W - 8
    head = f"户主：{card.head_name}    {card.group_name}"
    _shrink_to(pdf, head, width, 10.5, 7.5)
    pdf.set_xy(x + 4, y + 14)
    pdf.cell(width, 6, _cut_to(pdf, head, width))
    address = f"住址：{card.address}"
    if _shrink_to(pdf, address, width, 8.5, 7):
        pdf.set_xy(x + 4, y + 20)
        pdf.cell(width, 5, address)
    else:  # a long address (a 户籍 one, written out in full): two smaller lines above the cadres
        pdf.set_font(FONT, size=6.5)
        lines = pdf.multi_cell(width, 2.8, address, dry_run=True, output="LINES")
        assert isinstance(lines, list), "output=LINES gives the lines"
        if len(lines) > 2:
            lines = [lines[0], _cut_to(pdf, "".join(lines[1:]), width)]
        for i, text in enumerate(lines):
            pdf.set_xy(x + 4, y + 19.8 + i * 2.9)
            pdf.cell(width, 2.8, text)
    # Cadres, the QR at the right.
    qr_size = 24.0
    text_w = CARD_W - 8 - qr_size - 2
    lines = [
        _person_line("联系干部", card.contact),
        _person_line("包片干部", card.area),
        _person_line("村党支部书记", card.secretary),
        *([_person_line("本组信息员", card.informant)] if card.informant else []),
        f"服务电话：{card.service_phone or '（未设置）'}",
    ]
    # five lines (with the 信息员) sit a little closer, above the card's foot line
    step = 6.0 if len(lines) <= 4 else 5.2
    for i, line in enumerate(lines):
        size = 8.5
        pdf.set_font(FONT, size=size)
        while pdf.get_string_width(line) > text_w and size > 6:  # a long name stays off the QR code
            size -= 0.5
            pdf.set_font(FONT, size=size)
        pdf.set_xy(x + 4, y + 27 + i * step)
        pdf.cell(text_w, step - 0.5, line)
    qx, qy = x + CARD_W - 4 - qr_size, y + 25.5
    if card.contact is not None and card.contact.phone:
        _qr(pdf, f"tel:{card.contact.phone}", qx, qy, qr_size)
        pdf.set_font(FONT, size=6)
        pdf.set_xy(qx - 2, qy + qr_size + 0.2)
        pdf.cell(qr_size + 4, 3, "扫码拨打联系干部", align="C")
    pdf.set_font(FONT, size=7)
    pdf.set_text_color(120, 120, 120)
    pdf.set_xy(x + 4, y + CARD_H - 8)
    pdf.cell(text_w, 4, "有事请找联系干部 · 请将此卡贴于家中显眼处")
    pdf.set_text_color(0, 0, 0)


def _shrink_to(pdf: FPDF, text: str, width: float, size: float, smallest: float) -> bool:
    """Set the font from ``size`` down (by half points) to the first size at which ``text`` fits
    ``width``; False (at ``smallest``) when none does."""
    pdf.set_font(FONT, size=size)
    while pdf.get_string_width(text) > width:
        if size <= smallest:
            return False
        size -= 0.5
        pdf.set_font(FONT, size=size)
    return True


def _cut_to(pdf: FPDF, text: str, width: float) -> str:
    """``text`` at the current font, cut with "…" to fit ``width`` (a card is a card's size: what does
    not fit is in the roster, never drawn over the next card)."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _cut_marks(pdf: FPDF, x: float, y: float, w: float, h: float) -> None:
    """Short marks outside each corner, in the gap between cards, to cut along."""
    pdf.set_draw_color(0, 0, 0)
    pdf.set_line_width(0.15)
    length, off = 3.0, 0.8
    for cx, dx in ((x, -1), (x + w, 1)):
        for cy, dy in ((y, -1), (y + h, 1)):
            pdf.line(cx + dx * off, cy, cx + dx * (off + length), cy)
            pdf.line(cx, cy + dy * off, cx, cy + dy * (off + length))


def _draw_cards(
    pdf: FPDF, cards: Sequence[CardData], one_per_page: bool, step: Callable[[int], None]
) -> None:
    if one_per_page:
        s = ONE_PER_PAGE_SCALE
        left, top = (A4_W - CARD_W * s) / 2, 24.0
        for i, card in enumerate(cards):
            step(i)
            pdf.add_page()
            with pdf.transform(Transform.scaling(s, s).translate(left, top)):
                _draw_card(pdf, card, 0, 0)
            _cut_marks(pdf, left, top, CARD_W * s, CARD_H * s)
            pdf.set_font(FONT, size=9)
            pdf.set_text_color(120, 120, 120)
            pdf.set_xy(left, top - 10)
            pdf.cell(CARD_W * s, 5, "群众联系卡  沿裁切线剪下，贴于家中显眼处", align="C")
            pdf.set_text_color(0, 0, 0)
        return
    left = (A4_W - COLS * CARD_W - (COLS - 1) * GAP) / 2
    top = (A4_H - ROWS * CARD_H - (ROWS - 1) * GAP) / 2
    for i, card in enumerate(cards):
        step(i)
        slot = i % PER_SHEET
        if slot == 0:
            pdf.add_page()
            pdf.set_font(FONT, size=7)
            pdf.set_text_color(120, 120, 120)
            pdf.set_xy(left, 4)
            pdf.cell(A4_W - 2 * left, 4, f"群众联系卡  第 {i // PER_SHEET + 1} 页  沿裁切线剪开", align="C")
            pdf.set_text_color(0, 0, 0)
        col, row = slot % COLS, slot // COLS
        x, y = left + col * (CARD_W + GAP), top + row * (CARD_H + GAP)
        _draw_card(pdf, card, x, y)
        _cut_marks(pdf, x, y, CARD_W, CARD_H)


def render_cards(
    cards: Sequence[CardData],
    out: Path | str,
    *,
    one_per_page: bool = False,
    progress: Progress | None = None,
) -> int:
    """Write the PDF (A4 pages); returns its page count. ``progress(done, total, text)`` is called as
    the cards are drawn (it may raise to stop: then nothing is written)."""
    pdf = _CardPdf()
    total = len(cards)

    def step(done: int) -> None:
        if progress is not None and done % PROGRESS_EVERY == 0:
            progress(done, total, f"正在生成联系卡（{done}/{total}）")

    try:
        _draw_cards(pdf, cards, one_per_page, step)
        if progress is not None:
            progress(total, total, f"正在写入 PDF（{total} 张联系卡）")
    except BaseException:  # stopped (取消) or failed: nothing is written
        pdf.discard()
        raise
    pdf.save(out)
    return pdf.pages_count


def write_cards(
    work: Work,
    household_ids: Sequence[str],
    out: Path | str,
    *,
    one_per_page: bool = False,
    today: dt.date | None = None,
    progress: Progress | None = None,
) -> CardsPrinted:
    """Cards for the given households (in that order) to ``out``. Households without a contact cadre
    are left out and counted; when none is left, nothing is written. ``progress``: see
    :func:`render_cards`."""
    data = card_data(work, household_ids, today=today)
    cards = [c for c in data if c.contact is not None]
    skipped = len(data) - len(cards)
    if not cards:
        raise UserError(
            f"这 {skipped} 户都还没有联系干部，联系卡上“有事请找联系干部”无人可找；请先在户籍里指定联系干部"
            if skipped
            else "没有符合条件的户"
        )
    pages = render_cards(cards, out, one_per_page=one_per_page, progress=progress)
    audit.exported(work, "联系卡", out, len(cards))
    return CardsPrinted(len(cards), pages, skipped, tuple(c.household_id for c in cards))


def expected_pages(n_cards: int, *, one_per_page: bool = False) -> int:
    return n_cards if one_per_page else -(-n_cards // PER_SHEET)
