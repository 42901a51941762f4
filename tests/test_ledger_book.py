"""The one 台账 writer (app.ledger_book): title, frozen header, 序号, dates as dates, IDs as text, highlighted
rows, extra sheets, nothing typed ever a formula, and no half-written file when the rows fail."""

import datetime as dt

import pytest
from openpyxl import load_workbook

from app.errors import UserError
from app.ledger_book import LedgerBook, check_target, period_text

COLUMNS = [("姓名", 10), ("身份证号", 22), ("日期", 12), ("金额", 8), ("备注", 30)]


def _book(**kw):
    return LedgerBook("台账", "张家村测试台账", COLUMNS, text_columns=("身份证号",), **kw)


def test_title_header_numbering_and_types(tmp_path):
    target = tmp_path / "t.xlsx"
    rows = [
        ["张三", "370681199001011234", dt.date(2026, 8, 24), 550, '=HYPERLINK("http://x","点我")'],
        (["李四", 370681199001011235, dt.datetime(2026, 8, 25, 9, 30), 1.5, "很长的备注" * 6], True),
    ]
    assert _book().save(target, rows) == 2
    wb = load_workbook(target)
    ws = wb["台账"]
    assert ws["A1"].value == "张家村测试台账" and "A1:F1" in {str(r) for r in ws.merged_cells.ranges}
    assert [c.value for c in ws[2]] == ["序号", "姓名", "身份证号", "日期", "金额", "备注"]
    assert ws.freeze_panes == "A3" and ws.auto_filter.ref == "A2:F2"
    assert [ws.cell(3, 1).value, ws.cell(4, 1).value] == [1, 2]
    # a formula typed by a user is text, and stays exactly what was typed
    assert ws["F3"].data_type == "s" and ws["F3"].value == '=HYPERLINK("http://x","点我")'
    # an ID is text even when it came as a number, and is formatted as text
    assert ws["C4"].value == "370681199001011235" and ws["C4"].number_format == "@"
    assert ws["D3"].value.date() == dt.date(2026, 8, 24) and ws["D3"].number_format == "yyyy-mm-dd"
    assert ws["D4"].value == dt.datetime(2026, 8, 25, 9, 30)
    assert ws["E3"].value == 550 and ws["E4"].value == 1.5
    assert ws["B4"].fill.fgColor.rgb.endswith("FCE4D6") and not ws["B3"].fill.fgColor.rgb.endswith("FCE4D6")
    assert ws["F4"].alignment.wrap_text


def test_frozen_columns_keep_the_number_with_them_and_an_extra_sheet_is_literal(tmp_path):
    target = tmp_path / "t.xlsx"
    book = _book(frozen_columns=1)
    book.add_sheet("统计", [["统计表"], ["统计期间", "=1+1"], ["开始", dt.date(2026, 1, 1)]], widths=(12, 20))
    book.save(target, [["王五", "1", None, None, ""]])
    wb = load_workbook(target)
    assert wb.sheetnames == ["台账", "统计"]
    assert wb["台账"].freeze_panes == "C3"
    stats = wb["统计"]
    assert stats["B2"].data_type == "s" and stats["B2"].value == "=1+1"
    assert stats["B3"].number_format == "yyyy-mm-dd"
    assert wb["台账"].max_row == 3  # the rows went into the ledger sheet only


def test_an_unnumbered_sheet_has_no_serial_column(tmp_path):
    target = tmp_path / "t.xlsx"
    LedgerBook("名册", "名册", COLUMNS, numbered=False).save(target, [["赵六", "x", None, 1, ""]])
    ws = load_workbook(target)["名册"]
    assert ws.cell(2, 1).value == "姓名" and ws.cell(3, 1).value == "赵六"


def test_failed_rows_leave_no_file(tmp_path):
    target = tmp_path / "t.xlsx"

    def rows():
        yield ["张三", "1", None, 1, ""]
        raise RuntimeError("cancelled")

    with pytest.raises(RuntimeError):
        _book().save(target, rows())
    assert list(tmp_path.iterdir()) == []


def test_targets_and_periods(tmp_path):
    with pytest.raises(UserError, match="xlsx"):
        check_target(tmp_path / "a.csv")
    with pytest.raises(UserError, match="不存在"):
        check_target(tmp_path / "none" / "a.xlsx")
    assert period_text(dt.date(2026, 8, 1), dt.date(2026, 8, 24)) == "2026年8月1日至2026年8月24日"
    assert period_text(None, None) == "全部"


def _sheet_texts(target) -> dict[str, str]:
    """Each text cell of the ledger sheet as the file holds it (read from its XML, not through a
    reader that might cut it): reference → text."""
    import zipfile
    from xml.etree import ElementTree

    ns = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    with zipfile.ZipFile(target) as z:
        root = ElementTree.fromstring(z.read("xl/worksheets/sheet1.xml"))
    return {c.get("r"): "".join(t.text or "" for t in c.iter(f"{ns}t")) for c in root.iter(f"{ns}c")}


def test_a_text_longer_than_a_cell_of_excel_holds_is_cut_saying_so(tmp_path):
    """A 民情日记 pasted from a long document (40 000 characters) made a cell Excel does not hold: it
    called the whole workbook damaged and offered to repair it. The cell keeps what fits and says the
    rest is in the program; a text that fits, even to the last character, is written whole."""
    from app.excel import CELL_LIMIT, CUT_NOTE, fit_cell_text

    target = tmp_path / "t.xlsx"
    long_text = "走访了解情况，" * 6000  # 42 000 characters
    rare = "𠀀" * 20000  # 20 000 characters of CJK Extension B: 40 000 UTF-16 units, as Excel counts
    exact = "情" * CELL_LIMIT
    _book().save(
        target,
        [["张三", "1", None, 1, long_text], ["李四", "2", None, 2, rare], ["王五", "3", None, 3, exact]],
    )
    texts = _sheet_texts(target)
    for ref, whole in (("F3", long_text), ("F4", rare)):
        cut = texts[ref]
        assert len(cut.encode("utf-16-le")) // 2 <= CELL_LIMIT and cut.endswith(CUT_NOTE)
        assert whole.startswith(cut[: -len(CUT_NOTE)]) and len(cut) > 16000
    assert "\ufffd" not in texts["F4"]  # no character cut in half
    assert texts["F5"] == exact and texts["B3"] == "张三"
    assert fit_cell_text("短") == "短"
