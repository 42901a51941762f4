"""A character beyond the bundled font (CJK Extension B on) is drawn with the computer's font for it, or
printed as □: never left out of a name or an address (app/pdf_fonts.py). Real PDFs, read back with pypdf."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from fontTools.fontBuilder import FontBuilder
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fpdf import FPDF
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


def _png_header(width: int, height: int) -> bytes:
    """A PNG that says it is width × height (1 bit a pixel) and holds one row: what a picture bomb looks
    like to a reader before it unpacks it."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    row = zlib.compress(b"\0" * (1 + (width + 7) // 8))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", row) + chunk(b"IEND", b"")


def _small_png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("L", (40, 20), 0).save(out, format="PNG")
    return out.getvalue()


def test_a_picture_that_cannot_be_read_or_would_unpack_too_large_is_left_out(tmp_path):
    pdf = CjkPdf(unit="mm", format="A4")
    pdf.add_page()
    assert pdf.picture(b"not a picture", x=10, y=10, h=9) is None
    assert pdf.picture(_png_header(20_000, 20_000), x=10, y=30, h=9) is None  # 400 million pixels
    assert pdf.picture(_small_png()[:30], x=10, y=50, h=9) is None  # cut short
    placed = pdf.picture(_small_png(), x=10, y=70, h=9)
    assert placed is not None and round(placed.rendered_height) == 9
    pdf.output(str(tmp_path / "pictures.pdf"))
    images = [x for page in PdfReader(tmp_path / "pictures.pdf").pages for x in page.images]
    assert len(images) == 1


def test_the_diary_prints_with_a_damaged_signature_leaving_its_line_for_a_hand(village_ws, tmp_path):
    import datetime as dt

    from app.diary import acknowledgement, entries
    from app.diary.documents import print_month

    from tests.diary_helpers import NOW, add_cadre, add_household, entry_input

    cadre = add_cadre(village_ws)
    hid, pid, _ = add_household(village_ws, "张三丰")
    with village_ws.work(cadre) as w:
        for day, picture in ((1, b"not a picture"), (2, _png_header(20_000, 20_000)), (3, _small_png())):
            e = entries.save_entry(w, entry_input(hid, pid, when=dt.datetime(2024, 3, day, 9)), now=NOW)
            acknowledgement.acknowledge(
                w, e.id, method="当场签字", signer_name="张三丰", signature_png=picture
            )
    with village_ws.work() as w:
        printed = print_month(
            w, tmp_path / "diary.pdf", cadre_id=cadre.id, year=2024, month=3, village_name="张家村"
        )
    assert printed.entries == 3
    assert _text(tmp_path / "diary.pdf").count("群众签字") == 3
    assert sum(len(p.images) for p in PdfReader(tmp_path / "diary.pdf").pages) == 1


# -- 避头尾: where a Chinese line may break ----------------------------------------------------------------
def _lines(pdf: CjkPdf, width: float, text: str, **kwargs) -> list[str]:
    return pdf.multi_cell(width, 6, text, dry_run=True, output="LINES", **kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [{}, {"wrapmode": "CHAR"}, {"wrapmode": "CHAR", "padding": 1.5}],
    ids=["word-mode-no-spaces", "char-mode", "table-cell-padding"],
)
def test_no_printed_line_starts_with_closing_or_ends_with_opening_punctuation(kwargs):
    """Every place a break can fall: the text moved one character at a time past the line's end, with
    a single closing mark, a pair (。” at a quotation's end), an opening mark and a bracketed clause."""
    pdf = CjkPdf(unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font(FAMILY, size=11)
    width = pdf.get_string_width("字" * 20) + 2 * pdf.c_margin + 2 * (1.5 if "padding" in kwargs else 0) + 0.3
    pieces = ("。", "。”", "（第三十三条）", "“好”，", "……", "：“", "》、《")
    for piece in pieces:
        for n in range(12, 26):
            text = "字" * n + piece + "后文" * 12
            lines = _lines(pdf, width, text, **kwargs)
            plain = FPDF.multi_cell(pdf, width, 6, text, dry_run=True, output="LINES", **kwargs)
            assert "".join(lines) == text  # nothing lost or added
            assert len(lines) <= len(plain) + 1
            for line in lines[1:]:
                assert line[0] not in pdf_fonts.NO_LINE_START, (piece, n, lines)
            for line in lines[:-1]:
                assert line[-1] not in pdf_fonts.NO_LINE_END, (piece, n, lines)
    pdf.discard()


def test_a_run_of_punctuation_longer_than_a_line_is_broken_anyway_and_nothing_is_lost():
    pdf = CjkPdf(unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font(FAMILY, size=11)
    width = pdf.get_string_width("字" * 4) + 2 * pdf.c_margin
    for text in ("。" * 30, "字" + "）" * 9, "（" * 9 + "字", "字字" + "“" * 3 + "字"):
        lines = _lines(pdf, width, text, wrapmode="CHAR")
        assert "".join(lines) == text and all(lines)
    pdf.discard()


def test_a_printed_agreement_paragraph_reads_back_without_a_line_starting_with_a_full_stop(tmp_path):
    pdf = CjkPdf(unit="mm", format="A4")
    pdf.add_page()
    pdf.set_font(FAMILY, size=11)
    width = pdf.get_string_width("字" * 20) + 2 * pdf.c_margin + 0.3
    text = "双方自愿达成如下协议" + "甲" * 10 + "。" + "乙方于本协议签订之日起十日内一次性支付赔偿款。"
    pdf.multi_cell(width, 7, text, wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "p.pdf"))
    lines = [line for line in _text_lines(tmp_path / "p.pdf") if line.strip()]
    assert "".join(lines) == text and len(lines) == 3
    assert not any(line.startswith("。") for line in lines)


def _text_lines(path: Path) -> list[str]:
    return "\n".join(p.extract_text() for p in PdfReader(path).pages).replace("\x00", "").split("\n")
