"""联系卡 PDF: text extractable, font embedded, page count, QR dials the contact cadre, delivery marked."""

import datetime as dt
import json
import shutil
import subprocess
from pathlib import Path

import pytest
import segno
from pypdf import PdfReader
from sqlalchemy import select

from db import vocab
from db.models import Household, User

from app.cli import main as cli_main
from app.errors import UserError
from app.households import cadres
from app.households.contact_cards import card_households, expected_pages, write_cards

from tests.households_helpers import add_user, household

ARTEFACTS = Path(__file__).resolve().parent.parent / "build" / "test-artefacts"


@pytest.fixture
def village_with_cards(village_ws, village_admin):
    secretary = add_user(village_ws, "shuji", ["cadre"], title="村党支部书记", phone="13700001111")
    contact = add_user(village_ws, "lianxi", ["cadre"], title="村委委员", phone="13811112222")
    area = add_user(village_ws, "baopian", ["cadre"], title="一组组长", phone="13922223333")
    ids = []
    for i, name in enumerate(
        ["堃喆", "犇淼", "赟玥", "张三", "李四", "王五", "赵六", "钱七", "孙八", "周九"]
    ):
        h = household(
            village_ws, village_admin, "欧阳" + name if i == 0 else name, group="一组" if i < 6 else "二组"
        )
        ids.append(h.id)
        with village_ws.work(village_admin) as w:
            cadres.assign_cadre(w, h.id, vocab.CONTACT_CADRE, contact.id, on=dt.date(2026, 1, 1))
            cadres.assign_cadre(w, h.id, vocab.AREA_CADRE, area.id, on=dt.date(2026, 1, 1))
    return village_ws, ids, secretary


def test_sheet_of_cards_has_the_names_phones_and_embedded_font(village_with_cards, tmp_path):
    ws, ids, _ = village_with_cards
    out = tmp_path / "cards.pdf"
    with ws.work() as w:
        pages = write_cards(w, card_households(w), out).pages
    reader = PdfReader(out)
    assert pages == len(reader.pages) == expected_pages(10) == 2
    text = reader.pages[0].extract_text().replace("\x00", "")  # pypdf pads CID text with NULs
    for expected in (
        "群众联系卡",
        "欧阳堃喆",
        "犇淼",
        "联系干部",
        "LIANXI",
        "13811112222",
        "包片干部",
        "13922223333",
        "村党支部书记",
        "SHUJI",
        "13700001111",
        "一组1号",
    ):
        assert expected in text, expected
    fonts = [f.get_object() for page in reader.pages for f in page["/Resources"]["/Font"].values()]
    descriptor = fonts[0]["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
    assert "NotoSerif" in str(fonts[0]["/BaseFont"])
    assert any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(out, ARTEFACTS / "contact-cards.pdf")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(out), str(ARTEFACTS / "contact-cards")],
        check=True,
    )
    assert list(ARTEFACTS.glob("contact-cards*.png"))


def test_one_card_per_page_and_a_group_only(village_with_cards, tmp_path):
    ws, ids, _ = village_with_cards
    with ws.work() as w:
        group_ids = card_households(w, group_name="二组")
        assert len(group_ids) == 4
        pages = write_cards(w, group_ids, tmp_path / "one.pdf", one_per_page=True).pages
        selection = card_households(w, ids=[ids[3], ids[0]])
    reader = PdfReader(tmp_path / "one.pdf")
    assert pages == len(reader.pages) == 4
    # one card to an A4 page (any office printer), not card-sized pages
    for page in reader.pages:
        width, height = (float(v) * 25.4 / 72 for v in page.mediabox[2:])
        assert (round(width), round(height)) == (210, 297)
    assert "群众联系卡" in reader.pages[0].extract_text().replace("\x00", "")
    assert selection == [ids[3], ids[0]]  # roster order: 张 (U+5F20) before 欧 (U+6B27)


def test_qr_code_squares_are_exactly_the_dark_modules():
    """Each run of dark modules grown down over the rows with the same run: together the rectangles
    cover every dark module once and no light one (segno's own matrix is the reference)."""
    from app.households.contact_cards import _qr_squares

    for data in ("tel:13811112222", "tel:13700001111", "tel:0535-1234567", "tel:" + "1" * 40):
        matrix = segno.make(data, error="m").matrix
        n, squares = _qr_squares(data)
        covered: list[tuple[int, int]] = []
        for c, r, w, h in squares:
            covered += [(r + dr, c + dc) for dr in range(h) for dc in range(w)]
        dark = [(r, c) for r, row in enumerate(matrix) for c, v in enumerate(row) if v]
        assert n == len(matrix)
        assert sorted(covered) == sorted(dark)  # no module twice, none missing, none light
        assert len(squares) < len(dark) / 2  # rectangles, not one square per module


def test_printed_qr_code_reads_as_the_contact_cadres_number(village_with_cards, tmp_path):
    """The card as printed (the PDF drawn at 150 dpi) is read by a QR reader: it dials the contact cadre."""
    import zxingcpp
    from PIL import Image

    ws, ids, _ = village_with_cards
    out = tmp_path / "cards.pdf"
    with ws.work() as w:
        write_cards(w, [ids[0]], out, one_per_page=True)
    subprocess.run(
        ["pdftoppm", "-png", "-r", "150", "-singlefile", str(out), str(tmp_path / "page")], check=True
    )
    found = zxingcpp.read_barcodes(Image.open(tmp_path / "page.png"))
    assert [(b.format, b.text) for b in found] == [(zxingcpp.BarcodeFormat.QRCode, "tel:13811112222")]


def test_cards_report_progress_and_a_stop_writes_nothing(village_with_cards, tmp_path):
    from app.households import contact_cards

    ws, ids, _ = village_with_cards
    seen: list[tuple[int, int]] = []
    with ws.work() as w:
        write_cards(w, ids, tmp_path / "cards.pdf", progress=lambda d, t, _text: seen.append((d, t)))
    assert seen[0] == (0, 10) and seen[-1] == (10, 10)

    class Stop(Exception):
        pass

    def stop(done: int, total: int, _text: str) -> None:
        if done == total:  # the last report comes before the file is written
            raise Stop()

    out = tmp_path / "stopped.pdf"
    out.write_bytes(b"an earlier paper")
    with ws.work() as w, pytest.raises(Stop):
        write_cards(w, ids, out, progress=stop)
    assert out.read_bytes() == b"an earlier paper"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["cards.pdf", "stopped.pdf"]
    assert contact_cards.PROGRESS_EVERY <= 100  # a village of thousands hears from it every few seconds


def test_cli_prints_cards_and_marks_them_delivered(village_with_cards, tmp_path, capsys):
    ws, ids, _ = village_with_cards
    data_dir = str(ws.root)
    out = tmp_path / "c.pdf"
    assert (
        cli_main(
            [
                "households",
                "cards",
                "--data-dir",
                data_dir,
                str(out),
                "--group",
                "一组",
                "--mark-delivered",
                "2026-03-05",
                "--json",
            ]
        )
        == 0
    )
    result = json.loads(capsys.readouterr().out)
    assert (result["households"], result["pages"], result["marked"]) == (6, 1, 6)
    with ws.session() as s:
        delivered = dict(s.execute(select(Household.head_name, Household.card_delivered_on)).all())
    assert delivered["张三"] == dt.date(2026, 3, 5) and delivered["赵六"] is None


def test_cards_to_a_full_stick_keep_the_earlier_file_and_say_so_in_chinese(
    village_with_cards, tmp_path, capsys
):
    ws, _ids, _ = village_with_cards
    stick = tmp_path / "stick"
    stick.mkdir()
    out = stick / "联系卡.pdf"
    out.write_bytes(b"last month's cards")
    (stick / ".联系卡.pdf.part").symlink_to("/dev/full")  # every write there fails with ENOSPC
    assert cli_main(["households", "cards", "--data-dir", str(ws.root), str(out)]) == 1
    err = capsys.readouterr().err
    assert "已满" in err and "Traceback" not in err
    assert out.read_bytes() == b"last month's cards"
    assert [p.name for p in stick.iterdir()] == ["联系卡.pdf"]  # nothing half written is left


def test_every_pdf_is_written_whole_or_not_at_all():
    """Every paper goes through CjkPdf.save (a hidden part file, then renamed): no module writes a
    PDF straight to its target, where a full stick would leave half a file over the last good one."""
    root = Path(__file__).resolve().parent.parent / "app"
    writers = [
        str(p.relative_to(root)) for p in root.rglob("*.py") if ".output(" in p.read_text(encoding="utf-8")
    ]
    assert writers == ["pdf_fonts.py"]


def test_households_without_a_contact_cadre_get_no_card_and_are_counted(
    village_with_cards, village_admin, tmp_path
):
    ws, ids, _ = village_with_cards
    lone = household(ws, village_admin, "冯无干部", group="一组")
    out = tmp_path / "cards.pdf"
    with ws.work() as w:
        printed = write_cards(w, card_households(w), out)
    assert (printed.cards, printed.skipped) == (10, 1)
    assert lone.id not in printed.household_ids
    text = "".join(p.extract_text() for p in PdfReader(out).pages).replace("\x00", "")
    assert "冯无干部" not in text and "（未指定）" not in text.split("包片干部")[0]
    assert "1 户还没有联系干部" in printed.message(out)
    with ws.work() as w, pytest.raises(UserError, match="都还没有联系干部"):
        write_cards(w, [lone.id], tmp_path / "none.pdf")
    assert not (tmp_path / "none.pdf").exists()


def test_cli_says_how_many_households_were_skipped(village_with_cards, village_admin, tmp_path, capsys):
    ws, ids, _ = village_with_cards
    lone = household(ws, village_admin, "冯无干部", group="一组")
    out = tmp_path / "c.pdf"
    args = ["households", "cards", "--data-dir", str(ws.root), str(out), "--one-per-page"]
    assert cli_main([*args, "--mark-delivered", "2026-03-05"]) == 0
    said = capsys.readouterr().out
    assert "已生成 10 户的联系卡，共 10 页" in said and "1 户还没有联系干部，未生成联系卡" in said
    assert len(PdfReader(out).pages) == 10
    with ws.session() as s:
        assert s.get(Household, lone.id).card_delivered_on is None  # no card, not delivered
    assert cli_main([*args, "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["skipped_without_contact_cadre"] == 1


def _text_runs(page) -> list[tuple[str, float, float]]:
    """(text, x in mm, font size) of each run of text drawn on ``page``."""
    runs: list[tuple[str, float, float]] = []

    def visit(text, cm, tm, _font, size):
        if text.strip("\x00 \n"):
            runs.append((text.replace("\x00", ""), (tm[4] * cm[0] + cm[4]) * 25.4 / 72, size * tm[0]))

    page.extract_text(visitor_text=visit)
    return runs


def test_a_long_address_or_name_stays_on_its_own_card(village_with_cards, tmp_path):
    """A 户籍 address written out in full (the roster allows 200 characters) ran off the card and over
    the next one, and a long 户主 line did too. Each line is set smaller to fit, a long address takes two
    lines, and what still does not fit is cut with "…": no text passes its card's right edge."""
    from app.households.contact_cards import CARD_W, COLS, GAP
    from app.pdf_fonts import FAMILY, CjkPdf

    ws, ids, _ = village_with_cards
    address = (
        "山东省烟台市莱州市某某镇某某村第三村民小组东大街与河西路交叉口往北二百米路西第七排第十二号院" * 4
    )[:200]
    medium = "山东省烟台市莱州市沙河镇西杜家村一组二十三号院东厢房"  # a 户籍 address: one smaller line
    with ws.work() as w:
        first, second = w.session.get(Household, ids[0]), w.session.get(Household, ids[1])
        first.address, first.head_name, first.group_name = address, "欧阳" + "某" * 48, "第十三村民小组" * 4
        second.address = medium
    out = tmp_path / "cards.pdf"
    with ws.work() as w:
        write_cards(w, card_households(w), out)
    measure = CjkPdf()
    left = (210 - COLS * CARD_W - (COLS - 1) * GAP) / 2
    rights = [left + c * (CARD_W + GAP) + CARD_W for c in range(COLS)]
    runs = [
        run
        for page in PdfReader(out).pages
        for run in _text_runs(page)
        if "沿裁切线" not in run[0]  # (the sheet's own heading)
    ]
    widths = []
    try:
        for text, _x, size in runs:
            measure.set_font(FAMILY, size=size)
            widths.append(measure.get_string_width(text))
    finally:
        measure.discard()  # (its font file closed: a measuring document is never saved)
    for (text, x, size), width in zip(runs, widths, strict=True):
        right = next(r for r in rights if x < r)
        assert x + width <= right - 1.5, (text, x, size)  # inside its border
    drawn = "".join(t for t, _x, _s in runs)
    assert address[:20] in drawn and "…" in drawn and medium in drawn


def test_a_refused_mark_delivered_writes_no_cards(village_with_cards, tmp_path, capsys):
    """A date not written right, a day to come, or an account that may not mark: refused in Chinese
    before a card is printed, so no PDF is left to be taken for a run that worked."""
    ws, _ids, _ = village_with_cards
    out = tmp_path / "c.pdf"
    args = ["households", "cards", "--data-dir", str(ws.root), str(out), "--mark-delivered"]
    for day, said in (("2026-12-1", "格式不对，请写成 2026-01-31"), ("2026-02-30", "不存在")):
        with pytest.raises(SystemExit) as stop:
            cli_main([*args, day])
        err = capsys.readouterr().err
        assert stop.value.code == 2 and said in err and "Traceback" not in err
    future = dt.date.today() + dt.timedelta(days=3)
    assert cli_main([*args, future.isoformat()]) == 1
    assert "还没到" in capsys.readouterr().err
    assert not out.exists()
    with ws.session() as s:
        assert (
            s.scalars(
                select(Household.card_delivered_on).where(Household.card_delivered_on.is_not(None))
            ).all()
            == []
        )


def test_a_cadre_whose_account_was_stopped_is_on_no_card_and_the_households_are_listed_as_without(
    village_with_cards, village_admin, tmp_path
):
    from db.queries.households import NO_CONTACT_CADRE, RosterFilter, roster_ids

    from app import accounts

    ws, ids, _ = village_with_cards
    with ws.session() as s:
        lianxi = s.scalar(select(User.id).where(User.username == "lianxi"))
    with ws.work(village_admin) as w:
        accounts.set_active(w, lianxi, False)  # left the village committee
    with ws.work() as w, pytest.raises(UserError, match="这 10 户都还没有联系干部"):
        write_cards(w, card_households(w), tmp_path / "cards.pdf")  # none dials the stopped account's phone
    with ws.session() as s:
        assert sorted(roster_ids(s, RosterFilter(contact_cadre_id=NO_CONTACT_CADRE))) == sorted(ids)
