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
from db.models import Household

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


def test_qr_code_dials_the_contact_cadre():
    qr = segno.make("tel:13811112222", error="m")
    # The card draws segno's matrix; decoding needs a camera, so check the payload the card encodes.
    from app.households import contact_cards

    calls = []

    class Recorder:
        def set_fill_color(self, *a):
            pass

        def rect(self, *a, **k):
            calls.append(a)

    contact_cards._qr(Recorder(), "tel:13811112222", 0, 0, 24)
    dark = sum(1 for row in qr.matrix for v in row if v)
    assert 0 < len(calls) - 1 <= dark


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
