"""The printed monthly diary: Chinese text extractable, the font embedded, a signature line per entry."""

import datetime as dt

import pytest
from pypdf import PdfReader

from app.diary import acknowledgement, entries
from app.diary.documents import print_month
from app.errors import UserError

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input


def test_month_prints_each_entry_with_a_signature_line(village_ws, tmp_path):
    cadre = add_cadre(village_ws)
    hid, pid, _ = add_household(village_ws, "张三丰")
    with village_ws.work(cadre) as w:
        for day in range(1, 13):
            e = entries.save_entry(
                w,
                entry_input(
                    hid,
                    pid,
                    when=dt.datetime(2024, 3, day, 9),
                    situation=f"第{day}次走访，老人独居，腿脚不便，子女在外务工。" * 3,
                    demands=[("医疗", "希望办理慢性病门诊卡")],
                ),
                now=NOW,
            )
        entries.save_entry(
            w,
            entry_input(hid, pid, when=dt.datetime(2024, 4, 2, 9), situation="四月的一篇"),
            now=dt.datetime(2024, 4, 3),
        )
        acknowledgement.acknowledge(w, e.id, method="拒签", refusal_reason="外出未归")
    target = tmp_path / "diary.pdf"
    with village_ws.work() as w:
        printed = print_month(w, target, cadre_id=cadre.id, year=2024, month=3, village_name="张家村")
    assert printed.entries == 12 and printed.pages >= 2
    reader = PdfReader(target)
    assert len(reader.pages) == printed.pages
    # pypdf reads fpdf2's ToUnicode map for the CFF font as UTF-16 code units with NULs in between
    # (pdftotext reads it cleanly); drop the NULs rather than depend on one reader's quirk.
    text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")
    assert "民情日记（2024年3月）" in text and "张三丰" in text and "慢性病门诊卡" in text
    assert text.count("群众签字") == 12 and "四月的一篇" not in text
    assert "曾拒签" in text and "外出未归" in text
    # dates as written on paper (app/dates.py): 2024年3月1日 09:00, never 2024年03月01日
    assert "2024年3月1日 09:00" in text and "03月" not in text and "2024-03" not in text
    fonts = reader.pages[0]["/Resources"]["/Font"]
    assert any("NotoSerif" in str(f.get_object()["/BaseFont"]) for f in fonts.values())
    with village_ws.work() as w, pytest.raises(UserError, match="没有民情日记"):
        print_month(w, tmp_path / "x.pdf", cadre_id=cadre.id, year=2024, month=5, village_name="张家村")
