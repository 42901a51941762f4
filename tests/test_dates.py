"""Chinese dates without leading zeros (issue 16: 2026年8月24日, not 08月24日), written by one function
(app/dates.py) on every paper and screen."""

from __future__ import annotations

import datetime as dt
import os
import re
import stat
from pathlib import Path

from pypdf import PdfReader

from app.dates import cn_date, cn_month_day, cn_time
from app.ledger_book import period_text
from app.recovery_sheet import write_sheet

ROOT = Path(__file__).resolve().parent.parent


def test_the_one_function_writes_no_leading_zeros():
    assert cn_date(dt.date(2026, 8, 4)) == "2026年8月4日" and cn_date(None) == ""
    assert cn_month_day(dt.date(2026, 8, 4)) == "8月4日" and cn_month_day(None) == ""
    assert cn_time(dt.datetime(2026, 8, 4, 9, 5)) == "2026年8月4日 09:05"
    assert period_text(dt.date(2026, 8, 1), dt.date(2026, 8, 31)) == "2026年8月1日至2026年8月31日"


def test_no_code_writes_a_chinese_date_its_own_way():
    """strftime/Qt formats with 月/日 after a zero-padded field, and hand-made 年…月…日 f-strings of a
    date, are left to app/dates.py."""
    padded = re.compile(r"%m月|%d日|MM月|dd日")
    by_hand = re.compile(r"\.year\}年\{[^}]*\.month\}月\{[^}]*\.day\}日")
    found = []
    for path in [*ROOT.glob("app/**/*.py"), *ROOT.glob("ui/**/*.py")]:
        if path == ROOT / "app" / "dates.py":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if padded.search(line) or by_hand.search(line):
                found.append(f"{path.relative_to(ROOT)}:{n}: {line.strip()}")
    assert found == []


def test_the_recovery_sheet_is_dated_without_leading_zeros(tmp_path):
    out = write_sheet(
        tmp_path / "恢复码.pdf", station="张家村", code="ABCD-EFGH", made_on=dt.date(2026, 8, 4)
    )
    text = "".join(p.extract_text() for p in PdfReader(out).pages).replace("\x00", "")
    assert "2026年8月4日生成" in text


def test_the_recovery_sheet_is_its_owners_only_whatever_the_umask(tmp_path):
    old = os.umask(0)
    try:
        out = write_sheet(tmp_path / "恢复码.pdf", station="张家村", code="ABCD-EFGH")
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
