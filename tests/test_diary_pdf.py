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


def _month_of_long_entries(village_ws, count: int):
    cadre = add_cadre(village_ws)
    hid, pid, _ = add_household(village_ws, "张三丰")
    with village_ws.work(cadre) as w:
        for n in range(count):
            entries.save_entry(
                w,
                entry_input(
                    hid,
                    pid,
                    when=dt.datetime(2024, 3, 1 + n % 14, 8 + n // 14),
                    # entries of different lengths, so that page ends fall in different places
                    situation=f"第{n + 1}次走访，老人独居，腿脚不便，子女在外务工。" * (3 + n % 7),
                    demands=[("医疗", "希望办理慢性病门诊卡")],
                ),
                now=dt.datetime(2024, 3, 31),
            )
    return cadre


def test_an_entry_that_fits_on_a_page_is_never_split_across_two(village_ws, tmp_path):
    import re

    cadre = _month_of_long_entries(village_ws, 30)
    target = tmp_path / "diary.pdf"
    with village_ws.work() as w:
        printed = print_month(w, target, cadre_id=cadre.id, year=2024, month=3, village_name="张家村")
    assert printed.entries == 30 and printed.pages >= 5
    pages = [p.extract_text().replace("\x00", "") for p in PdfReader(target).pages]
    started = [len(re.findall(r"\d+\. 2024年3月\d+日", page)) for page in pages]
    signed = [page.count("群众签字") for page in pages]
    assert started == signed  # each entry's heading and its signature line are on the same page
    assert sum(started) == 30


def test_a_months_print_reports_progress_and_a_stop_writes_nothing(village_ws, tmp_path):
    from app.diary import documents

    cadre = _month_of_long_entries(village_ws, 45)
    seen: list[tuple[int, int]] = []
    with village_ws.work() as w:
        print_month(
            w,
            tmp_path / "ok.pdf",
            cadre_id=cadre.id,
            year=2024,
            month=3,
            village_name="张家村",
            progress=lambda d, t, _text: seen.append((d, t)),
        )
    assert seen == [(n, 45) for n in range(0, 45, documents.PROGRESS_EVERY)]

    def stop(done: int, _total: int, _text: str) -> None:
        if done:
            raise KeyboardInterrupt  # 取消, as the window's progress box raises it

    target = tmp_path / "stopped.pdf"
    target.write_bytes(b"last month")
    with village_ws.work() as w, pytest.raises(KeyboardInterrupt):
        print_month(w, target, cadre_id=cadre.id, year=2024, month=3, village_name="张家村", progress=stop)
    assert target.read_bytes() == b"last month"
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_file()) == ["ok.pdf", "stopped.pdf"]
