"""A roster saved as CSV (exported by another system, or saved from Excel or WPS) imports as its workbook
would: UTF-8 with or without a BOM, GBK, Excel's tab-separated "Unicode 文本"; and a hostile or broken
one is refused in Chinese, naming its line, before anything is written (app/households/excel_read.py)."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest
from sqlalchemy import func, select

from db.models import Household, Person

from app.errors import UserError
from app.excel import MAX_COLUMNS, MAX_ROWS
from app.households import excel_plan, excel_read
from app.households.excel_apply import import_file

from tests.households_helpers import rid

TODAY = dt.date(2026, 6, 1)
HEAD_ID = rid(dt.date(1962, 3, 8), 5, "男")
WIFE_ID = rid(dt.date(1964, 7, 20), 8, "女")
OTHER_ID = rid(dt.date(1958, 11, 30), 21, "男")
# the roster as another system writes it: a title, a blank line, the header, then the rows (an ID kept as
# text with ="…", one rounded by a spreadsheet to 1.10105E+17, a quoted address holding the separator)
ROWS = list(
    __import__("csv").reader(
        f"""东城镇张家村村民花名册,,,,,,,,
,,,,,,,,
户主姓名,姓名,与户主关系,性别,公民身份号码,出生日期,联系电话,村民小组,家庭住址
王建国,王建国,户主,男,{HEAD_ID},1962/3/8,13800001234,一组,一组5号
王建国,李秀英,配偶,女,="{WIFE_ID}",1964-07-20,139 0000 1111,一组,一组5号
王建国,王小二,子,男,1.10105E+17,,,一组,一组5号
张三,张三,户主,男,{OTHER_ID},,"0535-6612345, 13912345678",二组,"二组7号,东院"
""".splitlines()
    )
)


def _csv(path, encoding: str = "utf-8-sig", delimiter: str = ",", rows=ROWS):
    import csv
    import io

    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerows(rows)
    path.write_bytes(out.getvalue().encode(encoding))
    return path


def _members(ws, data) -> list[tuple]:
    with ws.work() as w:
        plan = excel_plan.plan_import(w, data, today=TODAY)
    return [
        (
            r.outcome,
            None
            if r.member is None
            else (r.member.name, r.member.id_number, r.member.birth_date, r.member.phone),
        )
        for r in plan.data_rows
    ]


@pytest.mark.parametrize(
    ("encoding", "delimiter", "suffix"),
    [("utf-8-sig", ",", ".csv"), ("utf-8", ",", ".csv"), ("gb18030", ",", ".csv"), ("utf-16", "\t", ".txt")],
    ids=["utf8-bom", "utf8", "gbk", "unicode-text"],
)
def test_a_csv_roster_reads_as_its_workbook_does(village_ws, tmp_path, encoding, delimiter, suffix):
    book = tmp_path / "花名册.xlsx"
    wb = openpyxl.Workbook()
    for row in ROWS:
        wb.active.append([v.removeprefix('="').removesuffix('"') if v.startswith('="') else v for v in row])
    wb.save(book)
    path = _csv(tmp_path / f"花名册{suffix}", encoding, delimiter)
    assert excel_read.sheet_names(path) == ["花名册"]
    data = excel_read.read_sheet(path)
    assert data.rows[3][4] == HEAD_ID and data.rows[4][4] == WIFE_ID  # every digit, ="…" unwrapped
    members = _members(village_ws, data)
    assert members == _members(village_ws, excel_read.read_sheet(book))
    # (王小二's ID was rounded: his household waits, whole, unless imported without him by choice)
    assert [m[0] for m in members] == ["skipped", "skipped", "invalid", "new"]
    assert members[1][1] == ("李秀英", WIFE_ID, dt.date(1964, 7, 20), "13900001111")


def test_a_gbk_csv_roster_is_imported_and_its_bad_row_is_said(village_ws, tmp_path):
    path = _csv(tmp_path / "花名册.csv", "gb18030")
    with village_ws.work() as w:
        result = import_file(w, path, keep_rest=True, errors_out=tmp_path / "错误行.xlsx", today=TODAY)
    assert result.summary["new"] == 3 and result.summary["invalid"] == 1
    with village_ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Household)) == 2
        assert s.scalar(select(func.count()).select_from(Person)) == 3
        assert s.scalar(select(Household.address).where(Household.head_name == "张三")) == "二组7号,东院"
    errors = openpyxl.load_workbook(result.errors_path).active
    bad = [row for row in errors.iter_rows(min_row=2, values_only=True)]
    assert len(bad) == 2 and "王小二" in bad[1] and "数字" in str(bad[1])  # with the household's head row


def _hostile(path, case: str):
    if case == "wide":
        return _csv(path, rows=[["姓名"] * 3, ["x"] * (MAX_COLUMNS + 1)])
    if case == "long":
        path.write_bytes(b"\xe5\xa7\x93\xe5\x90\x8d\n" + b"a\n" * MAX_ROWS)
    elif case == "nul":
        path.write_bytes("姓名,身份证号\n张三\x00,1\n".encode())
    elif case == "open-quote":  # a quote never closed: the rest of the file is one field
        path.write_bytes(('姓名,身份证号\n"张三,' + "字" * 200_000 + "\n").encode())
    elif case == "cells":  # within the rows and the columns, and 40 MB of cells all the same
        from app.households.excel_read import MAX_CSV_CELLS

        line = ",".join(["x"] * 100) + "\n"
        path.write_bytes(("姓名\n" + line * (MAX_CSV_CELLS // 100 + 1)).encode())
    elif case == "encoding":
        path.write_bytes(b"\xa1\xff\xfe\xfd,\xa1\xff\n")
    return path


@pytest.mark.parametrize(
    ("case", "words"),
    [
        ("wide", "第 2 行太宽"),
        ("long", "太长"),
        ("nul", "空字符"),
        ("open-quote", "读不出"),
        ("encoding", "编码"),
        ("cells", "万格"),
    ],
)
def test_a_hostile_csv_is_refused_in_chinese_and_nothing_is_written(village_ws, tmp_path, case, words):
    path = _hostile(tmp_path / "名册.csv", case)
    with pytest.raises(UserError) as caught, village_ws.work() as w:
        import_file(w, path, today=TODAY)
    assert words in caught.value.message and path.name in caught.value.message
    with village_ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_a_csv_has_one_sheet_and_a_workbook_named_csv_is_read_as_a_workbook(tmp_path):
    path = _csv(tmp_path / "名册.csv")
    with pytest.raises(UserError) as caught:
        excel_read.read_sheet(path, "Sheet2")
    assert "只有一张表" in caught.value.message
    renamed = tmp_path / "其实是工作簿.csv"
    wb = openpyxl.Workbook()
    wb.active.title = "户籍"
    wb.active.append(["姓名", "身份证号"])
    wb.save(renamed)
    assert excel_read.sheet_names(renamed) == ["户籍"]


def test_the_import_wizard_reads_a_csv_roster(qtbot, village_ws, village_admin, tmp_path):
    from ui.context import AppContext
    from ui.households.import_wizard import ImportWizard

    path = _csv(tmp_path / "户籍导出.csv", "gb18030")
    wizard = ImportWizard(AppContext(village_ws, village_admin))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.file_page._load_sheets()
    assert wizard.file_page.sheet.currentText() == "户籍导出" and not wizard.file_page.error.text()
    wizard.next()  # read in the background; the page moves on when it is read
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.mapping_page, timeout=10_000)
    assert wizard.mapping_page.header_row.value() == 3  # under the title and the blank line
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.preview_page, timeout=10_000)
    assert wizard.preview_page.model.rowCount() == 4


def test_control_characters_pasted_into_a_roster_never_stop_its_error_workbook(village_ws, tmp_path):
    """A vertical tab (a manual line break pasted from a word processor) in a CSV's name: openpyxl refused
    the error workbook with an English traceback. The characters XML does not allow are left out of it."""
    rows = [
        ["组", "户主姓名", "姓名", "与户主关系", "身份证号"],
        ["一组", "王建国", "王建国", "户主", HEAD_ID],
        ["一组", "王建国", "李\x0b秀\x1b英", "配偶", "12345"],
    ]
    path = _csv(tmp_path / "名册.csv", rows=rows)
    with village_ws.work() as w:
        result = import_file(w, path, dry_run=True, errors_out=tmp_path / "错误行.xlsx", today=TODAY)
    sheet = openpyxl.load_workbook(result.errors_path).active
    names = [row[2] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert names == ["王建国", "李秀英"]


def test_storable_keeps_every_character_a_cell_can_hold():
    from app.excel import storable

    assert storable("a\tb\nc\rd") == "a\tb\nc\rd" and storable("李\x00\x08\x0b\x0c\x0e\x1f秀") == "李秀"
    assert storable(12) == 12 and storable(None) is None
