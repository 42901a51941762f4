"""Excel in: a workbook is checked for its size, extent and inflation before any reader allocates for it,
and text is cut to what the records hold, with a message on the row."""

from __future__ import annotations

import datetime as dt
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

ROOT = Path(__file__).resolve().parent.parent


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
    village_ws.close()
    r = subprocess.run(
        [sys.executable, "-m", "app", "households", "import", "--data-dir", str(village_ws.root), str(book)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
    )
    assert r.returncode == 1 and "Traceback" not in r.stdout + r.stderr
    assert "太宽" in r.stdout + r.stderr


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
