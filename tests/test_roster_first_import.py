"""A first roster import (no household and no person here, deleted or not) has nothing to match: the plan
looks none of its keys, numbers or names up. A village whose households are all deleted is not empty:
a re-imported deleted household is still found and refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
from sqlalchemy import event

from app.households import excel_plan, excel_read, roster

from tests.households_helpers import household, rid

TODAY = dt.date(2026, 6, 1)
HEADER = ["户系统编号（请勿修改）", "组", "户主姓名", "姓名", "与户主关系", "身份证号"]


def _book(path: Path, rows: list[list]) -> Path:
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    wb.save(path)
    return path


def _plan(ws, book: Path) -> tuple[excel_plan.ImportPlan, list[str]]:
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    data = excel_read.read_sheet(book, None)
    event.listen(ws.engine, "before_cursor_execute", note)
    try:
        with ws.work() as w:
            plan = excel_plan.plan_import(w, data, today=TODAY)
    finally:
        event.remove(ws.engine, "before_cursor_execute", note)
    return plan, statements


def test_a_first_import_looks_nothing_up_and_every_row_is_new(village_ws, tmp_path):
    keyed = "0190aaaa-0000-7000-8000-000000000001"  # a 户系统编号 of the village that exported the roster
    book = _book(
        tmp_path / "first.xlsx",
        [
            [keyed, "一组", "张三", "张三", "户主", rid(dt.date(1970, 1, 2), 1, "男")],
            [keyed, "一组", "张三", "李四", "配偶", rid(dt.date(1972, 3, 4), 2, "女")],
            ["", "二组", "王五", "王五", "户主", rid(dt.date(1980, 5, 6), 3, "男")],
        ],
    )
    plan, statements = _plan(village_ws, book)
    assert [r.outcome for r in plan.data_rows] == ["new", "new", "new"]
    # the lookups of existing households and persons by key, number, 户编号 or head's name all pass
    # their values as one JSON list: none was made
    assert not [s for s in statements if "json_each" in s]


def test_a_deleted_household_is_still_found_when_it_is_all_the_village_holds(village_ws, tmp_path):
    made = household(village_ws, None, "张三", head_id=rid(dt.date(1970, 1, 2), 1, "男"))
    with village_ws.work() as w:
        roster.delete_household(w, made.id)
    book = _book(
        tmp_path / "again.xlsx",
        [[made.id, "一组", "张三", "张三", "户主", rid(dt.date(1970, 1, 2), 1, "男")]],
    )
    plan, statements = _plan(village_ws, book)
    (row,) = plan.data_rows
    assert row.outcome == "invalid"
    assert [p.reason for p in row.problems] == ["这一户在本村已被删除或属于别的村，不能导入"]
    assert [s for s in statements if "json_each" in s]
