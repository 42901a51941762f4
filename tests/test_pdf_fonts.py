"""A character beyond the bundled font (CJK Extension B on) is drawn with the computer's font for it, or
printed as □: never left out of a name or an address (app/pdf_fonts.py). Real PDFs, read back with pypdf."""

from __future__ import annotations

from pathlib import Path

from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from pypdf import PdfReader

from app import pdf_fonts
from app.pdf_fonts import FAMILY, CjkPdf
from app.recovery_sheet import write_sheet

RARE = "\U00020000"  # 𠀀, Extension B: not in Noto Serif SC


def _ext_b_font(path: Path) -> Path:
    """A TrueType font with one glyph, a square, for U+20000 (as SimSun-ExtB has it, among others)."""
    fb = FontBuilder(1000, isTTF=True)
    fb.setupGlyphOrder([".notdef", "square"])
    fb.setupCharacterMap({0x20000: "square"})
    pen = TTGlyphPen(None)
    for x, y in ((100, 0), (100, 800), (900, 800), (900, 0)):
        (pen.moveTo if x == 100 and y == 0 else pen.lineTo)((x, y))
    pen.closePath()
    square = pen.glyph()
    fb.setupGlyf({".notdef": TTGlyphPen(None).glyph(), "square": square})
    fb.setupHorizontalMetrics({".notdef": (1000, 0), "square": (1000, 100)})
    fb.setupHorizontalHeader(ascent=880, descent=-120)
    fb.setupNameTable({"familyName": "MinqingTestExtB", "styleName": "Regular"})
    fb.setupOS2(sTypoAscender=880, usWinAscent=880, usWinDescent=120)
    fb.setupPost()
    fb.save(str(path))
    return path


def _write(path: Path, text: str) -> CjkPdf:
    pdf = CjkPdf(unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font(FAMILY, size=14)
    pdf.cell(0, 10, text, new_x="LMARGIN", new_y="NEXT")
    pdf.multi_cell(0, 8, f"住址：{text}")
    pdf.output(str(path))
    return pdf


def _text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\x00", "")


def test_a_character_no_font_has_is_printed_as_a_box_never_left_out(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_fonts, "rare_font_paths", lambda: [])
    pdf = _write(tmp_path / "box.pdf", f"九组{RARE}号")
    assert "九组□号" in _text(tmp_path / "box.pdf") and "九组号" not in _text(tmp_path / "box.pdf")
    assert pdf.missing_characters == {RARE}


def test_a_character_beyond_the_bundled_font_is_drawn_with_the_computers_font(monkeypatch, tmp_path):
    font = _ext_b_font(tmp_path / "extb.ttf")
    monkeypatch.setattr(pdf_fonts, "rare_font_paths", lambda: [font])
    pdf = _write(tmp_path / "drawn.pdf", f"王{RARE}")
    assert f"王{RARE}" in _text(tmp_path / "drawn.pdf") and pdf.missing_characters == set()
    fonts = {
        str(f.get_object()["/BaseFont"])
        for page in PdfReader(tmp_path / "drawn.pdf").pages
        for f in page["/Resources"]["/Font"].values()
    }
    assert any("MinqingTestExtB" in f for f in fonts) and any("NotoSerif" in f for f in fonts)


def test_a_document_without_such_characters_does_not_look_for_another_font(monkeypatch, tmp_path):
    looked = []
    monkeypatch.setattr(pdf_fonts, "rare_font_paths", lambda: looked.append(1) or [])
    pdf = _write(tmp_path / "plain.pdf", "张三丰 䶮 堃")  # Extension A and the common block: the bundled font
    assert looked == [] and pdf.missing_characters == set()
    assert "张三丰 䶮 堃" in _text(tmp_path / "plain.pdf")


def test_a_station_name_beyond_the_font_shows_on_the_recovery_sheet(monkeypatch, tmp_path):
    monkeypatch.setattr(pdf_fonts, "rare_font_paths", lambda: [])
    write_sheet(tmp_path / "sheet.pdf", station=f"{RARE}家村", code="ABCD-EFGH")
    assert "□家村" in _text(tmp_path / "sheet.pdf")
