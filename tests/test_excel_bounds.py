"""Excel in: a workbook is checked for its size, extent and inflation before any reader allocates for it,
and text is cut to what the records hold, with a message on the row."""

from __future__ import annotations

import datetime as dt
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest
from sqlalchemy import select

from db.models import Household

from app.errors import UserError
from app.households import excel_apply

from tests.households_helpers import rid

ROOT = Path(__file__).resolve().parent.parent
HEAD_ID = rid(dt.date(1962, 3, 8), 5, "男")
OTHER_HEAD_ID = rid(dt.date(1958, 11, 30), 21, "男")


def _roster(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组", "户主姓名", "姓名", "与户主关系", "住址"])
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


def _rewrite_part(path: Path, part: str, change) -> None:
    with zipfile.ZipFile(path) as z:
        items = [(i, z.read(i)) for i in z.infolist()]
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for info, data in items:
            z.writestr(info.filename, change(data) if info.filename == part else data)


def test_a_small_file_with_one_cell_at_xfd1048576_is_refused_before_reading(village_ws, tmp_path):
    book = _roster(tmp_path / "far.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    wb = openpyxl.load_workbook(book)
    wb.active["XFD1048576"] = "x"
    wb.save(book)
    assert book.stat().st_size < 10_000
    with pytest.raises(UserError) as err, village_ws.work() as w:
        excel_apply.import_file(w, book, dry_run=True)
    assert "太宽" in err.value.message or "太长" in err.value.message


def test_a_far_cell_behind_a_small_declared_dimension_is_found_too(village_ws, tmp_path):
    book = _roster(tmp_path / "hidden.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    _rewrite_part(
        book,
        "xl/worksheets/sheet1.xml",
        lambda xml: xml.replace(
            b"</row></sheetData>",
            b'</row><row r="900000"><c r="B900000" t="inlineStr"><is><t>x</t></is></c></row></sheetData>',
        ),
    )
    assert b'ref="A1:E2"' in zipfile.ZipFile(book).read("xl/worksheets/sheet1.xml")
    with pytest.raises(UserError) as err, village_ws.work() as w:
        excel_apply.import_file(w, book, dry_run=True)
    assert "太长" in err.value.message and "900000" in err.value.message


def test_a_zip_bomb_is_refused_before_it_is_inflated(village_ws, tmp_path):
    book = _roster(tmp_path / "bomb.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    with zipfile.ZipFile(book, "a", zipfile.ZIP_DEFLATED) as z:
        z.writestr("xl/media/padding.bin", b"\0" * (30 * 1024 * 1024))
    assert book.stat().st_size < 1024 * 1024
    with pytest.raises(UserError) as err, village_ws.work() as w:
        excel_apply.import_file(w, book, dry_run=True)
    assert "解压后异常地大" in err.value.message


def test_the_command_line_refuses_the_far_cell_in_chinese(village_ws, tmp_path):
    book = _roster(tmp_path / "far.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    wb = openpyxl.load_workbook(book)
    wb.active["XFD1048576"] = "x"
    wb.save(book)
    assert "太宽" in _refused_on_the_command_line(village_ws, book)


def _refused_on_the_command_line(ws, book: Path) -> str:
    """``households import`` of ``book`` in a fresh process: refused (exit 1), in Chinese; its output."""
    ws.close()
    r = subprocess.run(
        [sys.executable, "-m", "app", "households", "import", "--data-dir", str(ws.root), str(book)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr
    return r.stdout + r.stderr


def test_text_longer_than_the_record_holds_is_cut_with_a_message_on_the_row(village_ws, tmp_path):
    long_address = "很" * 32_767
    book = _roster(tmp_path / "long.xlsx", [["一组", "张三", "张三", "户主", long_address]])
    with village_ws.work() as w:
        result = excel_apply.import_file(w, book, today=dt.date(2026, 1, 1))
    assert result.summary["new"] == 1 and result.summary["invalid"] == 0
    with village_ws.new_session() as s:
        (address,) = s.scalars(select(Household.address)).all()
    assert address == "很" * 200
    (warning,) = result.summary["warnings"]
    assert warning["row"] == 2 and "有 32767 字，超过 200 字的上限，只导入了前 200 字" in warning["reason"]


def _households(ws) -> int:
    with ws.work() as w:
        return len(w.session.scalars(select(Household.id)).all())


def test_a_damaged_sheet_is_refused_instead_of_read_with_a_cell_missing(village_ws, tmp_path):
    book = _roster(
        tmp_path / "damaged.xlsx",
        [["一组", "张三", "张三", "户主", "一组1号"], ["一组", "张三", "李四", "妻", "一组1号"]],
    )
    _rewrite_part(  # one cell's tag broken, as a cut-off save or a bad sector leaves it
        book, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b'<c r="E2"', b'<c<<< r="E2"', 1)
    )
    from python_calamine import CalamineWorkbook

    # the premise: the fast reader reads on past the damage, without the cell
    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_index(0).to_python()
    assert len(rows) == 3 and "一组1号" not in rows[1] and rows[2][4] == "一组1号"
    with pytest.raises(UserError) as err, village_ws.work() as w:
        excel_apply.import_file(w, book)
    assert "已损坏" in err.value.message and "xl/worksheets/sheet1.xml" in err.value.message
    assert _households(village_ws) == 0


def _with_shared_strings(path: Path) -> Path:
    """The workbook with its texts in a shared-strings part, as Excel saves them (openpyxl writes them
    into the cells)."""
    texts: list[bytes] = []

    def shared(m: re.Match[bytes]) -> bytes:
        texts.append(m.group(2))
        return m.group(1) + b' t="s"><v>' + str(len(texts) - 1).encode() + b"</v></c>"

    with zipfile.ZipFile(path) as z:
        items = {i.filename: z.read(i) for i in z.infolist()}
    sheet = "xl/worksheets/sheet1.xml"
    items[sheet] = re.sub(
        rb'(<c r="[A-Z]+\d+") t="inlineStr"><is><t>(.*?)</t></is></c>', shared, items[sheet]
    )
    items["xl/sharedStrings.xml"] = (
        b'<?xml version="1.0" encoding="UTF-8"?><sst xmlns="http://schemas.openxmlformats.org/'
        b'spreadsheetml/2006/main">' + b"".join(b"<si><t>" + t + b"</t></si>" for t in texts) + b"</sst>"
    )
    items["[Content_Types].xml"] = items["[Content_Types].xml"].replace(
        b"</Types>",
        b'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-'
        b'officedocument.spreadsheetml.sharedStrings+xml"/></Types>',
    )
    rels = "xl/_rels/workbook.xml.rels"
    items[rels] = items[rels].replace(
        b"</Relationships>",
        b'<Relationship Id="rIdStrings" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
        b'relationships/sharedStrings" Target="sharedStrings.xml"/></Relationships>',
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in items.items():
            z.writestr(name, data)
    return path


def test_damaged_shared_strings_are_refused_too(village_ws, tmp_path):
    book = _with_shared_strings(
        _roster(tmp_path / "strings.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    )
    with village_ws.work() as w:  # whole, it reads and imports as before
        assert excel_apply.import_file(w, book, dry_run=True).summary["new"] == 1
    _rewrite_part(book, "xl/sharedStrings.xml", lambda xml: xml.replace(b"<si><t>", b"<si><t", 1))
    with pytest.raises(UserError) as err, village_ws.work() as w:
        excel_apply.import_file(w, book, dry_run=True)
    assert "xl/sharedStrings.xml" in err.value.message


def test_a_part_that_declares_entities_is_refused(village_ws, tmp_path):
    book = _roster(tmp_path / "entities.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    _with_shared_strings(book)
    doctype = b'<?xml version="1.0"?><!DOCTYPE sst [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;">]>'
    _rewrite_part(
        book,
        "xl/sharedStrings.xml",
        lambda xml: doctype + xml.split(b"?>", 1)[1].replace("一组1号".encode(), b"&b;"),
    )
    with pytest.raises(UserError) as err, village_ws.work() as w:
        excel_apply.import_file(w, book, dry_run=True)
    assert "已损坏" in err.value.message and "xl/sharedStrings.xml" in err.value.message


def test_the_command_line_refuses_a_damaged_sheet_in_chinese(village_ws, tmp_path):
    book = _roster(tmp_path / "damaged.xlsx", [["一组", "张三", "张三", "户主", "一组1号"]])
    _rewrite_part(book, "xl/worksheets/sheet1.xml", lambda xml: xml.replace(b"<c ", b"<c<", 1))
    out = _refused_on_the_command_line(village_ws, book)
    assert "已损坏" in out and "Excel 会提示修复" in out


def test_an_excel_error_in_an_imported_column_makes_its_row_bad_not_empty(village_ws, tmp_path):
    book = tmp_path / "lookup.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组", "户主姓名", "姓名", "与户主关系", "身份证号"])
    ws.append(["一组", "张三", "张三", "户主", "placeholder-1"])
    ws.append(["一组", "王五", "王五", "户主", rid(dt.date(1980, 5, 1), 12, "男")])
    ws.append([None, None, None, None, "placeholder-2"])
    wb.save(book)
    lookup = b'<c r="E2" t="e"><f>VLOOKUP(C2,Sheet2!A:B,2,FALSE)</f><v>#N/A</v></c>'  # as Excel saves it
    _rewrite_part(
        book,
        "xl/worksheets/sheet1.xml",
        lambda xml: re.sub(rb'<c r="E2"[^>]*>.*?</c>', lookup, xml).replace(
            re.search(rb'<c r="E4"[^>]*>.*?</c>', xml).group(0), b'<c r="E4" t="e"><v>#REF!</v></c>'
        ),
    )
    from python_calamine import CalamineWorkbook

    rows = CalamineWorkbook.from_path(str(book)).get_sheet_by_index(0).to_python()
    assert rows[1][4] == "" and rows[3] == [""] * 5  # the premise: the reader gives the error as empty
    with village_ws.work() as w:
        result = excel_apply.import_file(w, book)
    problems = [e["reason"] for e in result.summary["errors"] if e["row"] == 2]
    assert result.summary["new"] == 1 and any("#N/A" in p and "身份证号" in p for p in problems)
    assert any("第 4 行只有 Excel 的错误值（#REF!）" in n for n in result.notes)
    with village_ws.work() as w:
        assert set(w.session.scalars(select(Household.head_name))) == {"王五"}


def test_error_cells_are_found_whatever_the_order_of_attributes_and_only_in_cells():
    from app.excel import error_cells

    book = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        b'<sheet name="A&amp;B" sheetId="1" r:id="rId7"/><sheet name="C" sheetId="2" r:id="rId8"/></sheets></workbook>'
    )
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId7" Type="x" Target="/xl/worksheets/s9.xml"/>'
        b'<Relationship Id="rId8" Type="x" Target="worksheets/s10.xml"/></Relationships>'
    )
    sheet = (
        b'<worksheet><sheetData><row r="1"><c r="A1" s="1"><v>1</v></c><x format="e"/>'
        b'<c t="e" r="B1"><v>#N/A</v></c><c  r="C12"\n t="e"><f>1/0</f><v>#DIV/0!</v></c></row></sheetData></worksheet>'
    )
    parts = [
        ("xl/workbook.xml", book),
        ("xl/_rels/workbook.xml.rels", rels),
        ("xl/worksheets/s9.xml", sheet),
        ("xl/worksheets/s10.xml", b'<worksheet><c r="A1" format="e"><v>1</v></c></worksheet>'),
    ]
    assert error_cells(parts, "A&B") == [(1, 2, "#N/A"), (12, 3, "#DIV/0!")]
    assert error_cells(parts, "C") == [] and error_cells(parts, "none") == []


def _one_sheet_book(sheet: bytes) -> list[tuple[str, bytes]]:
    """The XML parts of a workbook of one sheet named S (as app.excel.check_workbook returns them)."""
    book = (
        b'<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://'
        b'schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets>'
        b'<sheet name="S" sheetId="1" r:id="rId1"/></sheets></workbook>'
    )
    rels = (
        b'<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        b'<Relationship Id="rId1" Type="x" Target="worksheets/sheet1.xml"/></Relationships>'
    )
    return [
        ("xl/workbook.xml", book),
        ("xl/_rels/workbook.xml.rels", rels),
        ("xl/worksheets/sheet1.xml", sheet),
    ]


def test_a_sheet_of_error_values_is_refused_whole_without_looking_at_each(monkeypatch):
    from app import excel
    from app.excel import error_cells

    monkeypatch.setattr(excel, "MAX_ERROR_CELLS", 3)
    cells = b"".join(b'<c r="A%d" t="e"><v>#N/A</v></c>' % n for n in range(1, 5))
    parts = _one_sheet_book(cells)
    with pytest.raises(UserError) as err:
        error_cells(parts, "S")
    assert "3 个以上" in err.value.message
    parts[2] = ("xl/worksheets/sheet1.xml", cells[: cells.rindex(b"<c ")])
    assert len(error_cells(parts, "S")) == 3


def test_a_folder_given_for_the_workbook_is_named_as_one(village_ws, tmp_path):
    with pytest.raises(UserError, match="是文件夹，不是 Excel 文件"), village_ws.work() as w:
        excel_apply.import_file(w, tmp_path, dry_run=True)


def test_a_formula_the_file_holds_no_result_of_is_found_like_an_error_value():
    """A workbook written by a program that does not calculate keeps the formula alone; the reader gives
    the cell as empty. Excel, WPS and LibreOffice keep the result (<v>), or say the result is empty text."""
    from app.excel import NO_VALUE, error_cells

    sheet = (
        b"<worksheet><sheetData><row>"
        b'<c r="A1"><f>"3706"&amp;"1"</f><v /></c>'  # openpyxl: the formula, an empty value
        b'<c r="B1"><f>E2</f></c>'  # no value at all
        b'<c r="C1" t="str"><f>""</f><v></v></c>'  # Excel: a formula whose result is empty text
        b'<c r="D1"><f>ROW()</f><v>1</v></c>'  # Excel: the result kept
        b'<c r="E1"><f t="shared" ref="E1:E3" si="0">ROW()</f><v>1</v></c>'
        b'<c r="E2"><f t="shared" si="0"/><v>2</v></c>'  # a shared formula's follower, with its result
        b'<c r="E3"><f t="shared" si="0"/></c>'  # ... without
        b'<c r="F1" t="e"><f>1/0</f><v>#DIV/0!</v></c>'
        b'</row></sheetData><autoFilter ref="A1:F3"><filterColumn colId="0"/></autoFilter></worksheet>'
    )
    parts = _one_sheet_book(sheet)
    assert error_cells(parts, "S") == [
        (1, 1, NO_VALUE),
        (1, 2, NO_VALUE),
        (1, 6, "#DIV/0!"),
        (3, 5, NO_VALUE),
    ]


def test_ids_written_as_formulas_without_results_make_their_rows_bad_not_empty(village_ws, tmp_path):
    """Before, two persons were imported without an ID, and no word said."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组", "户主姓名", "姓名", "与户主关系", "身份证号"])
    ws.append(["一组", "王建国", "王建国", "户主", f'="{HEAD_ID[:14]}"&"{HEAD_ID[14:]}"'])
    ws.append(["一组", "王建国", "李秀英", "配偶", "=E2"])
    ws.append(["二组", "张三", "张三", "户主", OTHER_HEAD_ID])
    wb.save(tmp_path / "formulas.xlsx")
    with village_ws.work() as w:
        result = excel_apply.import_file(w, tmp_path / "formulas.xlsx")
    problems = [p["reason"] for p in result.summary["errors"]]
    assert result.summary["new"] == 1 and result.summary["invalid"] == 2
    assert len(problems) == 2 and all("公式" in p and "计算结果" in p for p in problems)
    with village_ws.work() as w:
        assert set(w.session.scalars(select(Household.head_name))) == {"张三"}
