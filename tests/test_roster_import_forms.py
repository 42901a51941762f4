"""Excel roster import, issue 15: strict about damage, lenient about form.

出生年月 written as a year and a month (checked against the ID), a household with one bad row left
out or imported without it as the user chooses (service, CLI and wizard), and coded columns checked
against their vocabularies. Every workbook is a real .xlsx written by openpyxl.
"""

import datetime as dt
import json

import openpyxl
import pytest
from sqlalchemy import func, select

from db.models import Household, Person

from app.cli import main as cli_main
from app.households import excel_apply, excel_plan, excel_read

from tests.households_helpers import rid

TODAY = dt.date(2026, 1, 1)
HEADER = ["组", "姓名", "与户主关系", "性别", "身份证号", "出生年月"]


def book(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws.append(header)
    for row in rows:
        ws.append(row)
    wb.save(path)
    return path


def plan_of(ws, path, **kw):
    with ws.work() as w:
        plan = excel_plan.plan_import(w, excel_read.read_sheet(path), today=TODAY, **kw)
        w.session.rollback()
    return plan


def counts(ws):
    with ws.new_session() as s:
        return (
            s.scalar(select(func.count()).select_from(Household)),
            s.scalar(select(func.count()).select_from(Person)),
        )


def reasons(row):
    return " ".join(f"{p.column}|{p.reason}|{p.level}" for p in row.problems)


# -- 出生年月 -----------------------------------------------------------------------------------------
MARCH = dt.date(1965, 3, 12)
OCTOBER = dt.date(1965, 10, 5)
JANUARY = dt.date(1965, 1, 20)


def test_a_year_and_month_in_every_form_is_checked_against_the_full_date_in_the_id(village_ws, tmp_path):
    rows = [
        ["一组", "甲一", "户主", "男", rid(MARCH, 1, "男"), "1965.03"],
        ["一组", "甲二", "户主", "男", rid(MARCH, 2, "男"), "1965年3月"],
        ["一组", "甲三", "户主", "男", rid(MARCH, 3, "男"), "1965-3"],
        [
            "一组",
            "甲四",
            "户主",
            "男",
            rid(MARCH, 4, "男"),
            dt.datetime(1965, 3, 1),
        ],  # Excel's date for 1965-3
        ["一组", "甲五", "户主", "男", rid(MARCH, 5, "男"), 1965.03],  # typed as a number
        ["一组", "甲六", "户主", "男", rid(OCTOBER, 6, "男"), 1965.1],  # 1965.10 typed: Excel keeps 1965.1
        ["一组", "甲七", "户主", "男", rid(JANUARY, 7, "男"), 1965.1],  # 1965.1 typed: January
        ["一组", "甲八", "户主", "男", rid(MARCH, 8, "男"), 1965.1],  # neither reading is March
        ["一组", "甲九", "户主", "男", rid(MARCH, 9, "男"), "1965.04"],
        ["一组", "甲十", "户主", "男", rid(MARCH, 10, "男"), "1965年3月12日"],  # a full date still works
        ["一组", "乙一", "户主", "男", rid(MARCH, 11, "男"), 1965],  # a year alone says too little
    ]
    plan = plan_of(village_ws, book(tmp_path / "年月.xlsx", rows))
    by_row = {r.row: r for r in plan.data_rows}
    for n in range(2, 7):
        assert not by_row[n].invalid, reasons(by_row[n])
        assert by_row[n].member.birth_date == MARCH and by_row[n].member.notes == ""
    assert by_row[7].member.birth_date == OCTOBER and not by_row[7].invalid
    assert by_row[8].member.birth_date == JANUARY and not by_row[8].invalid
    assert by_row[11].member.birth_date == MARCH and not by_row[11].invalid
    (ambiguous,) = by_row[9].problems
    assert (ambiguous.row, ambiguous.column) == (9, "出生年月")
    assert "“1965.1”（1965年1或10月）" in ambiguous.reason and "1965-03-12" in ambiguous.reason
    (mismatch,) = by_row[10].problems
    assert (mismatch.row, mismatch.column) == (10, "出生年月")
    assert mismatch.reason == "出生年月 1965年4月 与身份证号中的出生日期 1965-03-12 不一致，请核对"
    assert "只有年份" in reasons(by_row[12]) and by_row[12].problems[0].column == "出生年月"
    errors = {(e["row"], e["column"]) for e in plan.summary()["errors"]}
    assert errors == {(9, "出生年月"), (10, "出生年月"), (12, "出生年月")}


def test_a_day_1_date_is_a_month_only_in_a_year_month_column(village_ws, tmp_path):
    header = [*HEADER[:-1], "出生日期"]
    rows = [["一组", "甲一", "户主", "男", rid(MARCH, 1, "男"), dt.datetime(1965, 3, 1)]]
    plan = plan_of(village_ws, book(tmp_path / "日期.xlsx", rows, header))
    (row,) = plan.data_rows
    assert row.invalid and "1965-03-01 与身份证号中的 1965-03-12 不一致" in reasons(row)


def test_without_an_id_a_year_and_month_goes_to_the_notes_and_a_bare_1965_1_is_refused(village_ws, tmp_path):
    rows = [
        ["一组", "丙一", "户主", "男", None, "1965.03"],
        ["二组", "丙二", "户主", "女", None, 1965.1],
        ["三组", "丙三", "户主", "女", None, 1958.12],
        ["四组", "丙四", "户主", "女", None, "2030.05"],  # after today
    ]
    path = book(tmp_path / "无证.xlsx", rows)
    plan = plan_of(village_ws, path)
    first, second, third, fourth = plan.data_rows
    assert fourth.invalid and "出生年月 2030年5月 不对：在今天之后" in reasons(fourth)
    assert first.member.birth_date is None and first.member.notes == "出生年月：1965年3月"
    (warning,) = first.problems
    assert (warning.row, warning.column, warning.level) == (2, "出生年月", "warning")
    assert "已把“出生年月：1965年3月”记在备注里" in warning.reason
    assert second.invalid and "分不清是 1965 年 1 月还是 10 月" in reasons(second)
    assert third.member.notes == "出生年月：1958年12月"
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY).summary
    assert (s["new"], s["invalid"]) == (2, 2)
    with village_ws.new_session() as s_:
        stored = dict(s_.execute(select(Person.name, Person.notes)).all())
        assert s_.scalar(select(Person.birth_date).where(Person.name == "丙一")) is None
    assert stored == {"丙一": "出生年月：1965年3月", "丙三": "出生年月：1958年12月"}
    # the same file again changes nothing; an edit made in the program since is kept, the month added once
    with village_ws.work() as w:
        w.session.execute(Person.__table__.update().where(Person.name == "丙三").values(notes="腿脚不便"))
    with village_ws.work() as w:
        again = excel_apply.import_file(w, path, today=TODAY).summary
    assert (again["new"], again["updated"], again["unchanged"]) == (0, 1, 1)
    with village_ws.work() as w:
        third_time = excel_apply.import_file(w, path, today=TODAY).summary
    assert (third_time["updated"], third_time["unchanged"]) == (0, 2)
    with village_ws.new_session() as s_:
        assert (
            s_.scalar(select(Person.notes).where(Person.name == "丙三")) == "腿脚不便\n出生年月：1958年12月"
        )


# -- a household with a bad row -------------------------------------------------------------------
HEAD = rid(dt.date(1960, 5, 1), 1, "男")
WIFE = rid(dt.date(1962, 6, 2), 2, "女")
SON = rid(dt.date(1988, 7, 3), 3, "男")
DAUGHTER = rid(dt.date(1990, 8, 4), 4, "女")
GRANDSON = rid(dt.date(2012, 9, 5), 5, "男")
OTHER = rid(dt.date(1970, 1, 6), 6, "男")


def six_rows(tmp_path, *, bad_head=False):
    """The report's case: six rows, one household of five with one bad cell, and one more household."""
    rows = [
        ["一组", "张大山", "户主", "男", HEAD, "1960.05" if not bad_head else "1960.07"],
        ["一组", "李春花", "配偶", "女", WIFE, "1962.06"],
        ["一组", "张小山", "子", "男", SON, "1988.07"],
        ["一组", "张小花", "女", "女", DAUGHTER, "1990.09"],  # the ID says August
        ["一组", "张豆豆", "孙子", "男", GRANDSON, "2012.09"],
        ["二组", "王二", "户主", "男", OTHER, "1970.01"],
    ]
    return book(tmp_path / "六行.xlsx", rows)


def test_one_bad_cell_leaves_its_household_out_whole_and_says_where(village_ws, tmp_path):
    path = six_rows(tmp_path)
    plan = plan_of(village_ws, path)
    (damaged,) = plan.damaged_households
    assert damaged.describe() == "一组 张大山 户（第 2–6 行）"
    assert [r.row for r in damaged.bad_rows] == [5] and damaged.can_keep_rest and damaged.skipped
    (problem,) = plan.errors()
    assert (problem.row, problem.column) == (5, "出生年月") and "1990-08-04" in problem.reason
    assert [r.outcome for r in plan.data_rows] == ["skipped"] * 3 + ["invalid", "skipped", "new"]
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY).summary
    assert (s["new"], s["invalid"], s["skipped"]) == (1, 1, 4)
    assert s["damaged_households"] == [
        {"household": "一组 张大山 户（第 2–6 行）", "bad_rows": [5], "choice": "skip", "imported": False}
    ]
    assert counts(village_ws) == (1, 1)  # nothing of 张大山's household, not even its head


def test_a_household_imported_without_its_bad_row_then_completed_from_the_error_workbook(
    village_ws, tmp_path
):
    path = six_rows(tmp_path)
    errors = tmp_path / "错误行.xlsx"
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY, keep_rest=True, errors_out=errors).summary
    assert (s["new"], s["invalid"], s["skipped"]) == (5, 1, 0)
    assert s["damaged_households"][0]["imported"] is True
    with village_ws.new_session() as s_:
        assert set(s_.scalars(select(Person.name))) == {"张大山", "李春花", "张小山", "张豆豆", "王二"}
    sheet = openpyxl.load_workbook(errors).active
    rows = list(sheet.iter_rows(min_row=2, values_only=True))
    assert [r[-1] for r in rows] == [
        2,
        5,
    ]  # the head row comes along, so the fixed member finds her household
    assert "无需修改" in rows[0][-2] and "出生年月" in rows[1][-2]
    sheet.cell(3, 6).value = "1990.08"  # the clerk fixes the month
    sheet.delete_cols(7, 2)
    sheet.parent.save(errors)
    with village_ws.work() as w:
        again = excel_apply.import_file(w, errors, today=TODAY).summary
    assert (again["new"], again["unchanged"], again["invalid"], again["skipped"]) == (1, 1, 0, 0)
    with village_ws.new_session() as s_:
        daughter = s_.scalars(select(Person).where(Person.name == "张小花")).one()
        head = s_.scalars(select(Household).where(Household.head_name == "张大山")).one()
        assert daughter.household_id == head.id and daughter.birth_date == dt.date(1990, 8, 4)


def test_the_choice_is_per_household_with_shortcuts_for_all(village_ws, tmp_path):
    rows = [
        ["一组", "甲", "户主", "男", rid(dt.date(1960, 1, 1), 1, "男"), None],
        ["一组", "甲妻", "配偶", "女", "12345", None],  # bad ID
        ["二组", "乙", "户主", "男", rid(dt.date(1961, 1, 1), 2, "男"), None],
        ["二组", "乙子", "子", "男", rid(dt.date(1990, 1, 1), 3, "男"), "1991.01"],  # mismatch
        ["三组", "丙", "户主", "男", rid(dt.date(1962, 1, 1), 4, "男"), "1962.02"],  # bad head
        ["三组", "丙妻", "配偶", "女", rid(dt.date(1963, 1, 1), 5, "女"), None],
    ]
    path = book(tmp_path / "三户.xlsx", rows)
    plan = plan_of(village_ws, path)
    first, second, third = plan.damaged_households
    assert not third.can_keep_rest  # a household cannot be imported without its head
    plan.choose(first, excel_plan.KEEP_REST)
    assert [r.outcome for r in plan.data_rows] == [
        "new",
        "invalid",
        "skipped",
        "invalid",
        "invalid",
        "skipped",
    ]
    plan.choose_all(excel_plan.KEEP_REST)
    assert [hh.skipped for hh in (first, second, third)] == [False, False, True]
    plan.choose_all(excel_plan.SKIP)
    assert plan.count("new") == 0
    plan.choose(second.key, excel_plan.KEEP_REST)  # by key: what the wizard carries to its second plan
    with village_ws.work() as w:
        again = excel_plan.plan_import(w, excel_read.read_sheet(path), today=TODAY, choices=plan.choices())
        excel_apply.apply_import(w, again)
    with village_ws.new_session() as s:
        assert set(s.scalars(select(Person.name))) == {"乙"}


def test_an_existing_household_with_a_bad_row_is_left_untouched_or_updated_without_it(village_ws, tmp_path):
    path = six_rows(tmp_path)
    with village_ws.work() as w:
        excel_apply.import_file(w, path, today=TODAY, keep_rest=True)
    with village_ws.new_session() as s:
        before = dict(s.execute(select(Person.name, Person.version)).all())
    wb = openpyxl.load_workbook(path)
    wb.active["B3"] = "李春华"  # a changed name in a household that still has its bad row
    wb.save(path)
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY).summary
    assert (s["updated"], s["skipped"]) == (0, 4)
    with village_ws.new_session() as s_:
        assert dict(s_.execute(select(Person.name, Person.version)).all()) == before
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY, keep_rest=True).summary
    assert (s["updated"], s["new"], s["invalid"]) == (1, 0, 1)
    with village_ws.new_session() as s_:
        assert "李春华" in set(s_.scalars(select(Person.name)))


def test_a_bad_head_row_leaves_the_household_out_even_when_the_rest_is_asked_for(village_ws, tmp_path):
    path = six_rows(tmp_path, bad_head=True)
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY, keep_rest=True).summary
    assert (s["new"], s["invalid"], s["skipped"]) == (1, 2, 3)
    assert counts(village_ws) == (1, 1)


def test_cli_leaves_a_damaged_household_out_unless_told_to_keep_the_rest(village_ws, tmp_path, capsys):
    path = six_rows(tmp_path)
    data_dir = str(village_ws.root)
    village_ws.close()
    assert cli_main(["households", "import", "--data-dir", data_dir, str(path)]) == 1
    out = capsys.readouterr().out
    assert "整户跳过 4" in out and "一组 张大山 户（第 2–6 行）：第 5 行有错，整户未导入" in out
    assert "第 5 行〔出生年月〕出生年月 1990年9月 与身份证号中的出生日期 1990-08-04 不一致" in out
    assert cli_main(["households", "import", "--data-dir", data_dir, str(path), "--keep-rest", "--json"]) == 1
    s = json.loads(capsys.readouterr().out)
    assert (s["new"], s["unchanged"], s["skipped"]) == (4, 1, 0)


# -- coded columns against their vocabularies ----------------------------------------------------
def test_coded_columns_say_row_column_value_and_what_is_allowed(village_ws, tmp_path):
    header = ["组", "姓名", "家庭关系", "民族", "户类别"]
    rows = [
        ["一组", "甲", "户主", "汉族", "低保"],
        ["一组", "甲妻", "老婆", "汉", None],
        ["二组", "乙", "户 主", "汉人", None],  # spaces typed to align are form; 汉人 is not a 民族
        ["三组", "丙", "户主", "蒙古", "有钱户"],
        ["四组", "丁", "户主", "维吾尔族", None],
    ]
    plan = plan_of(village_ws, book(tmp_path / "代码.xlsx", rows, header))
    by_row = {r.row: r for r in plan.data_rows}
    (relation,) = by_row[3].problems  # said, kept: the household form takes any relation too
    assert (relation.row, relation.column, relation.level) == (3, "家庭关系", "warning")
    assert relation.reason.startswith("与户主关系“老婆”不在常用的值中（户主、配偶、子、女")
    assert not by_row[3].invalid and by_row[3].member.relation == "老婆"
    (nation,) = by_row[4].problems
    assert (nation.row, nation.column) == (
        4,
        "民族",
    ) and "民族“汉人”不是 56 个民族的名称之一" in nation.reason
    assert by_row[4].member.relation == "户主"
    (tag,) = by_row[5].problems
    assert (tag.row, tag.column) == (5, "户类别")
    assert "标签“有钱户”不在标签列表中；可填：困难户、特困、低保" in tag.reason
    assert not by_row[2].invalid and not by_row[6].invalid
    assert by_row[5].member.ethnicity == "蒙古"


def test_an_exported_roster_still_imports_unchanged(village_ws, village_admin, tmp_path):
    """The vocabularies accept everything the program itself writes (汉 as the household form does)."""
    from app.households import excel_export

    rows = [
        ["一组", "甲", "户主", "男", rid(MARCH, 1, "男"), "1965.03"],
        ["一组", "甲妻", "配偶", "女", None, "1966.04"],
    ]
    with village_ws.work() as w:
        excel_apply.import_file(w, book(tmp_path / "a.xlsx", rows), today=TODAY)
    with village_ws.work() as w:
        w.session.execute(Person.__table__.update().values(ethnicity="汉"))
    out = tmp_path / "导出.xlsx"
    with village_ws.work(village_admin) as w:
        excel_export.export_roster(w, out)
    with village_ws.work() as w:
        s = excel_apply.import_file(w, out, today=TODAY).summary
    assert (s["rows"], s["unchanged"], s["invalid"]) == (2, 2, 0), s


@pytest.mark.parametrize("text", ["1965.3", "1965/03", "1965年03月", "196503", "１９６５．０３"])
def test_year_month_text_forms(text):
    value = excel_read.parse_birth(text)
    assert isinstance(value, excel_read.YearMonth) and (value.year, value.months) == (1965, (3,))


def test_year_month_numbers_keep_the_digits_excel_kept():
    assert excel_read.parse_birth(1965.03).months == (3,)
    assert excel_read.parse_birth(1965.12).months == (12,)
    assert excel_read.parse_birth(1965.1).months == (1, 10)
    with pytest.raises(excel_read.CellError, match="月份应为"):
        excel_read.parse_birth(1965.13)
    with pytest.raises(excel_read.CellError, match="只有年份"):
        excel_read.parse_birth("1965")
    assert excel_read.parse_birth(dt.datetime(1965, 3, 1)) == dt.date(1965, 3, 1)  # 出生日期: a date
    assert excel_read.parse_birth(dt.datetime(1965, 3, 1), year_month_column=True).months == (3,)
    assert excel_read.parse_birth(32875) == dt.date(1990, 1, 2)  # an Excel serial is still a date


# -- the wizard -----------------------------------------------------------------------------------------
def _wizard_at_preview(qtbot, ctx, path):
    from ui.households.import_wizard import ImportWizard

    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.file_page._load_sheets()
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.mapping_page, timeout=10_000)
    wizard.next()
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.preview_page, timeout=10_000)
    return wizard


def _finish(qtbot, wizard):
    wizard.preview_page.validatePage()
    qtbot.waitUntil(lambda: wizard.task is not None and wizard.task.finished, timeout=10_000)
    assert wizard.task.error is None, wizard.task.error
    return wizard.result_summary


def _two_damaged(tmp_path):
    rows = [
        ["一组", "张大山", "户主", "男", HEAD, "1960.05"],
        ["一组", "李春花", "配偶", "女", WIFE, "1962.06"],
        ["一组", "张小花", "女", "女", DAUGHTER, "1990.09"],  # the ID says August
        ["二组", "王二", "户主", "男", OTHER, "1970.01"],
        ["二组", "王小二", "子", "男", SON, "老大"],
        ["三组", "赵三", "户主", "男", GRANDSON, "2012.10"],  # bad head: the household can only be skipped
        ["三组", "赵三妻", "配偶", "女", None, None],
    ]
    return book(tmp_path / "两户.xlsx", rows)


def test_wizard_shows_each_damaged_household_and_imports_it_as_chosen(
    qtbot, qtmodeltester, village_ws, village_admin, tmp_path, monkeypatch
):
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QMessageBox

    from ui.context import AppContext

    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    wizard = _wizard_at_preview(qtbot, AppContext(village_ws, village_admin), _two_damaged(tmp_path))
    page = wizard.preview_page
    model = page.damaged_model
    qtmodeltester.check(model)
    assert page.damaged_box.isVisible() and model.rowCount() == 3
    text = [[model.index(r, c).data() for c in range(3)] for r in range(3)]
    assert text[0][0] == "一组 张大山 户（第 2–4 行）"
    assert text[0][1].startswith(
        "第 4 行 张小花：〔出生年月〕出生年月 1990年9月 与身份证号中的出生日期 1990-08-04"
    )
    assert text[1][1].startswith("第 6 行 王小二：〔出生年月〕")
    assert text[2][1].startswith("第 7 行 赵三（户主）：") and text[2][2].startswith(
        "户主行有错，只能整户跳过"
    )
    assert [t[2] for t in text[:2]] == ["整户跳过", "整户跳过"]  # the default: nothing half-imported
    assert "整户跳过 4 行（3 户）" in page.summary.text()
    # the bad member is marked in the rows below, the rest of the household shows it is left out
    rows = page.model
    assert rows.index(2, 1).data() == "有错" and rows.index(0, 1).data() == "整户跳过"
    assert "同户的第 4 行有错，整户跳过" in rows.index(0, 4).data()
    # per household: 张大山's household without its bad member, 王二's left out
    check = model.index(0, 2)
    assert model.flags(model.index(2, 2)) & Qt.ItemFlag.ItemIsUserCheckable == Qt.ItemFlag.NoItemFlags
    assert model.setData(check, Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    assert model.index(0, 2).data() == "导入其余 2 人（不含有错的行）"
    assert rows.index(0, 1).data() == "新增" and "整户跳过 2 行（2 户）" in page.summary.text()
    summary = _finish(qtbot, wizard)
    assert (summary["new"], summary["skipped"], summary["invalid"]) == (2, 2, 3)
    with village_ws.new_session() as s:
        assert set(s.scalars(select(Person.name))) == {"张大山", "李春花"}


def test_wizard_all_households_shortcuts(qtbot, village_ws, village_admin, tmp_path, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    from ui.context import AppContext

    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    path = _two_damaged(tmp_path)
    ctx = AppContext(village_ws, village_admin)
    wizard = _wizard_at_preview(qtbot, ctx, path)
    page = wizard.preview_page
    page.keep_all.click()
    assert [page.damaged_model.index(r, 2).data()[:4] for r in range(3)] == [
        "导入其余",
        "导入其余",
        "户主行有",
    ]
    page.skip_all.click()
    assert _finish(qtbot, wizard)["new"] == 0
    assert counts(village_ws) == (0, 0)  # 全部整户跳过: nothing at all
    wizard = _wizard_at_preview(qtbot, ctx, path)
    wizard.preview_page.keep_all.click()
    summary = _finish(qtbot, wizard)
    assert (summary["new"], summary["skipped"]) == (3, 1)
    with village_ws.new_session() as s:
        assert set(s.scalars(select(Person.name))) == {"张大山", "李春花", "王二"}


def _merged_roster(path):
    """A roster as many villages keep it: a title over the table, and 户号, 组, 户主, 住址 merged down
    over each household's rows."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["张家村户籍花名册"])
    ws.merge_cells("A1:G1")
    ws.append(["户号", "组", "户主", "姓名", "与户主关系", "身份证号", "住址"])
    ws.append([1, "一组", "张三", "张三", "户主", rid(dt.date(1970, 1, 1), 11, "男"), "一组1号"])
    ws.append([None, None, None, "李梅", "配偶", rid(dt.date(1972, 3, 1), 12, "女"), None])
    ws.append([None, None, None, "张小", "子", rid(dt.date(1995, 3, 1), 13, "男"), None])
    ws.append([2, "二组", "王五", "王五", "户主", rid(dt.date(1960, 1, 1), 15, "男"), "二组5号"])
    ws.append([None, None, None, "赵六", "配偶", rid(dt.date(1961, 3, 1), 16, "女"), None])
    for col in "ABCG":
        ws.merge_cells(f"{col}3:{col}5")
        ws.merge_cells(f"{col}6:{col}7")
    wb.save(path)
    return path


def test_cells_merged_down_over_a_household_count_on_each_of_its_rows(village_ws, tmp_path):
    path = _merged_roster(tmp_path / "merged.xlsx")
    sheet = excel_read.read_sheet(path)
    assert sheet.rows[0][1:] == [""] * 6  # the title, merged across, stays in its first column
    assert [r[6] for r in sheet.rows[2:]] == ["一组1号"] * 3 + ["二组5号"] * 2
    with village_ws.work() as w:
        result = excel_apply.import_file(w, path, today=TODAY)
    assert result.summary["new"] == 5 and result.summary["invalid"] == 0
    with village_ws.work() as w:
        got = w.session.execute(
            select(Household.head_name, Household.group_name, Household.address, func.count(Person.id))
            .join(Person, Person.household_id == Household.id)
            .group_by(Household.id)
            .order_by(Household.head_name)
        ).all()
    assert [tuple(g) for g in got] == [("张三", "一组", "一组1号", 3), ("王五", "二组", "二组5号", 2)]


def test_merged_ranges_from_the_file_are_cut_to_the_sheet():
    rows = [["户号", "组"], [1, "一组"], ["", ""], ["", "x"]]
    excel_read.fill_merged_down(
        rows,
        [
            ((1, 0), (1_048_575, 16_383)),  # far beyond the sheet: cut to its rows
            ((1, 1), (3, 1)),  # over a cell that is not empty: that one is kept
            ((99, 0), (200, 0)),  # below the sheet
            ((0, 5), (3, 5)),  # right of it
            ((2, 0), (1, 0)),  # upside down
        ],
    )
    assert rows == [["户号", "组"], [1, "一组"], [1, "一组"], [1, "x"]]


@pytest.mark.parametrize(
    ("cell", "year_month", "expected"),
    [
        (19800501.0, False, dt.date(1980, 5, 1)),  # 19800501 typed into a number cell
        (19800501, True, dt.date(1980, 5, 1)),
        ("19800501", False, dt.date(1980, 5, 1)),
        (196503.0, True, excel_read.YearMonth(1965, (3,), "196503")),  # 196503 typed into a number cell
        (29342.0, False, dt.date(1980, 5, 1)),  # a date cell's serial
    ],
)
def test_dates_typed_as_numbers_read_as_they_show(cell, year_month, expected):
    assert excel_read.parse_birth(cell, year_month_column=year_month) == expected


@pytest.mark.parametrize("cell", [19801301.0, 99999999.0, 196513.0, float("nan"), float("inf"), -1.0, 1.5])
def test_numbers_that_are_no_date_are_refused_in_chinese(cell):
    with pytest.raises(excel_read.CellError) as err:
        excel_read.parse_birth(cell, year_month_column=True)
    assert "日期" in str(err.value) or "年月" in str(err.value)


def test_an_id_kept_text_by_a_quote_or_with_a_multiplication_sign_for_x_is_read():
    number = rid(dt.date(1970, 1, 1), 11, "男")
    x_number = next(
        rid(dt.date(1970, 1, 1), s, "男")
        for s in range(11, 999, 2)
        if rid(dt.date(1970, 1, 1), s, "男").endswith("X")
    )
    assert excel_read.parse_id_cell("'" + number) == number == excel_read.parse_id_cell("`" + number)
    assert excel_read.parse_id_cell(x_number[:17] + "×") == x_number


def test_a_two_level_header_with_cells_merged_down_is_found(village_ws, tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["户号", "组", "家庭成员信息", None, None, "住址"])
    ws.append([None, None, "姓名", "与户主关系", "身份证号", None])
    for cells in ("A1:A2", "B1:B2", "C1:E1", "F1:F2"):
        ws.merge_cells(cells)
    ws.append([7, "三组", "孙七", "户主", rid(dt.date(1966, 1, 1), 31, "男"), "三组7号"])
    wb.save(tmp_path / "two-level.xlsx")
    plan = plan_of(village_ws, tmp_path / "two-level.xlsx")
    assert plan.header_row == 1 and {"household_no", "group_name", "name", "address"} <= set(
        plan.mapping.values()
    )
    assert plan.count("new") == 1


# -- 户编号 by 组 --------------------------------------------------------------------------------------------
NUMBERED = ["户编号", "组", "姓名", "与户主关系", "性别", "身份证号"]


def test_a_number_used_in_every_group_names_a_household_of_each(village_ws, tmp_path):
    """Many villages number each group's households from 1: 001 of 一组 and 001 of 二组 were taken for one
    household with two 户主, and both were left out."""
    rows = [
        ["001", "一组", "张一", "户主", "男", rid(MARCH, 1, "男")],
        ["001", None, "张一妻", "配偶", "女", None],  # (a 组 written on the head row only)
        ["001", "二组", "李二", "户主", "男", rid(OCTOBER, 2, "男")],
        ["002", "二组", "王三", "户主", "男", None],
        ["001", "二组", "李二妻", "配偶", "女", None],  # (a member listed further down)
    ]
    path = book(tmp_path / "按组编号.xlsx", rows, header=NUMBERED)
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=TODAY).summary
    assert (s["new"], s["invalid"], s["skipped"]) == (5, 0, 0), s
    with village_ws.new_session() as session:
        households = {
            (h.group_name, h.household_no, h.head_name): sorted(
                p.name for p in session.scalars(select(Person).where(Person.household_id == h.id))
            )
            for h in session.scalars(select(Household))
        }
    assert households == {
        ("一组", "001", "张一"): ["张一", "张一妻"],
        ("二组", "001", "李二"): ["李二", "李二妻"],
        ("二组", "002", "王三"): ["王三"],
    }
    with village_ws.work() as w:  # the same workbook again: each row is its household's, by 组 and number
        again = excel_apply.import_file(w, path, today=TODAY).summary
    assert (again["unchanged"], again["new"], again["updated"]) == (5, 0, 0), again
    assert counts(village_ws) == (3, 5)


def _numbered_imports(ws, tmp_path, *workbooks) -> dict:
    """Each workbook's rows (户编号 first) imported in turn; the last import's summary."""
    summary: dict = {}
    for n, rows in enumerate(workbooks):
        with ws.work() as w:
            summary = excel_apply.import_file(
                w, book(tmp_path / f"{n}.xlsx", rows, header=NUMBERED), today=TODAY
            ).summary
    return summary


def test_a_household_moved_to_another_group_keeps_its_number_and_is_found_by_its_head(village_ws, tmp_path):
    s = _numbered_imports(
        village_ws,
        tmp_path,
        [["050031", "五组", "赵五", "户主", "男", rid(JANUARY, 5, "男")]],
        [["050031", "六组", "赵五", "户主", "男", rid(JANUARY, 5, "男")]],
    )
    assert (s["updated"], s["new"]) == (1, 0), s
    with village_ws.new_session() as session:
        assert session.scalars(select(Household.group_name)).all() == ["六组"]


def test_the_next_groups_first_household_is_new_not_the_first_groups(village_ws, tmp_path):
    """With one 001 here (一组's), a workbook's 二组 001 was taken for it: 张一's household became 李二's."""
    s = _numbered_imports(
        village_ws,
        tmp_path,
        [["001", "一组", "张一", "户主", "男", rid(MARCH, 1, "男")]],
        [["001", "二组", "李二", "户主", "男", rid(OCTOBER, 2, "男")]],
    )
    assert (s["new"], s["updated"]) == (1, 0), s
    with village_ws.new_session() as session:
        assert sorted(session.execute(select(Household.group_name, Household.head_name)).all()) == [
            ("一组", "张一"),
            ("二组", "李二"),
        ]
