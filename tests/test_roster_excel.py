"""Excel roster import/export: ugly real-world workbooks, idempotence, round trip, CLI."""

import datetime as dt
import json
import os

import openpyxl
import pytest
from sqlalchemy import func, select

from db.models import Household, Person

from app.cli import main as cli_main
from app.errors import UserError
from app.households import excel_apply, excel_export, excel_plan, excel_read

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.households_helpers import rid

HEAD_ID = rid(dt.date(1962, 3, 8), 5, "男")
WIFE_ID = rid(dt.date(1964, 7, 20), 8, "女")
SON_ID = rid(dt.date(1990, 1, 2), 11, "男")
OTHER_HEAD_ID = rid(dt.date(1958, 11, 30), 21, "男")
THIRD_ID = rid(dt.date(1975, 6, 6), 33, "男")


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if c.isascii() and c.isalnum() else c for c in text)


def ugly_workbook(path):
    """A roster as villages keep them: merged titles, header on row 3, every classic kind of damage."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "花名册"
    ws["A1"] = "东城镇张家村村民花名册"
    ws.merge_cells("A1:J1")
    ws["A2"] = "填报单位：张家村委会　　　填报日期：2024年3月"
    ws.merge_cells("A2:J2")
    ws.append(
        [
            "序号",
            "户主姓名",
            " 姓 名 ",
            "与户主关系",
            "性别",
            "公民身份号码",
            "出生日期",
            "联系电话",
            "村民小组",
            "家庭住址",
        ]
    )
    rows = [
        [1, "王建国", "王建国", "户主", "男", HEAD_ID, dt.date(1962, 3, 8), 13800001234.0, "一组", "一组5号"],
        [
            2,
            "王建国",
            "李秀英",
            "配偶",
            "女",
            _fullwidth(WIFE_ID[:-1]) + WIFE_ID[-1].lower(),
            "1964-07-20",
            "139 0000 1111",
            "一组",
            "一组5号",
        ],
        [3, "王建国", "  王  磊 ", "子", "男", SON_ID, 32875, None, "一组", "一组5号"],  # Excel serial date
        [
            4,
            "王建国",
            "王小二",
            "子",
            "男",
            1.10105194912e17,
            None,
            None,
            "一组",
            "一组5号",
        ],  # ID as a number
        [None] * 10,  # a blank line
        [
            5,
            "王建国",
            "李秀英",
            "配偶",
            "女",
            _fullwidth(WIFE_ID[:-1]) + WIFE_ID[-1].lower(),
            "1964-07-20",
            "139 0000 1111",
            "一组",
            "一组5号",
        ],  # a duplicate row
        [6, "王建国", "王建国", "户主", "男", OTHER_HEAD_ID, "1958/11/30", "0535-6612345", "二组", "二组9号"],
        [
            7,
            "王建国",
            "王芳",
            "女",
            "女",
            "370681199002020000",
            None,
            None,
            "二组",
            "二组9号",
        ],  # rounded: ...000
        [8, "赵四", "赵四", "户主", "男", THIRD_ID, "1975年6月6日", "12345", "三组", "三组1号"],  # bad phone
        [9, "钱五", "钱小五", "子", "男", None, None, None, "三组", "三组2号"],  # no head row above
        ["合计", None, "10人", None, None, None, None, None, None, None],
    ]
    for r in rows:
        ws.append(r)
    wb.save(path)
    return path


@pytest.fixture
def ugly(tmp_path):
    return ugly_workbook(tmp_path / "花名册.xlsx")


def _counts(ws):
    with ws.session() as s:
        return (
            s.scalar(select(func.count()).select_from(Household)),
            s.scalar(select(func.count()).select_from(Person)),
        )


def test_header_under_merged_titles_is_found_and_columns_mapped(ugly):
    sheet = excel_read.read_sheet(ugly)
    assert excel_read.detect_header(sheet.rows) == 2
    mapping = excel_read.auto_mapping(sheet.rows[2])
    assert mapping == {
        1: "head_name",
        2: "name",
        3: "relation",
        4: "sex",
        5: "id_number",
        6: "birth_date",
        7: "phone",
        8: "group_name",
        9: "address",
    }


def test_every_kind_of_damage_is_detected_never_repaired(village_ws, ugly):
    with village_ws.work() as w:
        plan = excel_plan.plan_import(w, excel_read.read_sheet(ugly), today=dt.date(2026, 1, 1))
    by_row = {r.row: r for r in plan.data_rows}
    assert sorted(by_row) == [4, 5, 6, 7, 9, 10, 11, 12, 13]  # blank line (8) and total row (14) left out
    assert any("合计" in n for n in plan.notes) and any("空行" in n for n in plan.notes)
    assert [by_row[n].compared for n in (4, 5, 6, 10)] == ["new"] * 4
    # their households have a bad row: left out whole unless the user chooses otherwise
    assert [by_row[n].outcome for n in (4, 5, 6, 10)] == ["skipped"] * 4
    assert by_row[5].member.id_number == WIFE_ID  # full-width digits and lowercase x normalised
    assert by_row[4].member.phone == "13800001234"  # phone stored as a float
    assert by_row[5].member.phone == "13900001111"
    assert by_row[6].member.name == "王磊" and by_row[6].member.birth_date == dt.date(
        1990, 1, 2
    )  # serial date
    assert by_row[10].member.birth_date == dt.date(1958, 11, 30)

    def reasons(n):
        return " ".join(p.reason for p in by_row[n].problems)

    assert by_row[7].outcome == "invalid" and "存成了数字" in reasons(7)
    assert by_row[9].outcome == "invalid" and "重复行" in reasons(9)
    assert by_row[11].outcome == "invalid" and "000" in reasons(11)
    assert by_row[12].outcome == "invalid" and "电话" in reasons(12)
    assert by_row[13].outcome == "invalid" and "户主行" in reasons(13)
    errors = plan.summary()["errors"]
    assert {(e["row"], e["column"]) for e in errors} >= {
        (7, "公民身份号码"),
        (12, "联系电话"),
        (11, "公民身份号码"),
    }
    # Same-name heads in different 组 are two households.
    heads = [hh for hh in plan.households if hh.head_row and hh.head_row.member.name == "王建国"]
    assert [hh.head_row.fields["group_name"] for hh in heads] == ["一组", "二组"]
    assert [len(hh.rows) for hh in heads] == [4, 2]


def test_import_writes_valid_rows_in_one_go_and_second_import_changes_nothing(village_ws, ugly, tmp_path):
    with village_ws.work() as w:
        result = excel_apply.import_file(
            w, ugly, errors_out=tmp_path / "errors.xlsx", today=dt.date(2026, 1, 1), keep_rest=True
        )
    s = result.summary
    assert (s["rows"], s["new"], s["updated"], s["unchanged"], s["invalid"]) == (9, 4, 0, 0, 5)
    assert _counts(village_ws) == (2, 4)
    errors = openpyxl.load_workbook(tmp_path / "errors.xlsx").active
    header = [c.value for c in errors[1]]
    assert header[-2:] == ["错误原因", "原行号"] and header[2] == " 姓 名 "
    # the bad rows, and the head rows of the households imported without them (to regroup on re-import)
    assert [r[-1] for r in errors.iter_rows(min_row=2, values_only=True)] == [4, 7, 9, 10, 11, 12, 13]
    with village_ws.session() as session:
        versions = sorted(session.scalars(select(Person.version)))
    with village_ws.work() as w:
        again = excel_apply.import_file(w, ugly, today=dt.date(2026, 1, 1), keep_rest=True).summary
    assert (again["new"], again["updated"], again["unchanged"], again["invalid"]) == (0, 0, 4, 5)
    with village_ws.session() as session:
        assert sorted(session.scalars(select(Person.version))) == versions
    assert _counts(village_ws) == (2, 4)


def test_a_changed_cell_updates_only_that_person(village_ws, ugly):
    with village_ws.work() as w:
        excel_apply.import_file(w, ugly, today=dt.date(2026, 1, 1), keep_rest=True)
    wb = openpyxl.load_workbook(ugly)
    wb.active["H5"] = "13911112222"  # 李秀英's phone
    wb.save(ugly)
    with village_ws.work() as w:
        s = excel_apply.import_file(w, ugly, today=dt.date(2026, 1, 1), keep_rest=True).summary
    assert (s["new"], s["updated"], s["unchanged"]) == (0, 1, 3)
    with village_ws.session() as session:
        assert session.scalar(select(Person.phone).where(Person.name == "李秀英")) == "13911112222"


def test_unreadable_file_changes_nothing_and_says_why(village_ws, tmp_path):
    bad = tmp_path / "坏文件.xlsx"
    bad.write_bytes(b"PK\x03\x04 this is not really a workbook")
    before = _counts(village_ws)
    with pytest.raises(UserError, match="无法读取 坏文件.xlsx"), village_ws.work() as w:
        excel_apply.import_file(w, bad)
    with pytest.raises(UserError, match="找不到文件"), village_ws.work() as w:
        excel_apply.import_file(w, tmp_path / "nope.xlsx")
    assert _counts(village_ws) == before


def test_export_then_import_changes_nothing_with_masked_and_full_ids(
    village_ws, village_admin, ugly, tmp_path
):
    with village_ws.work() as w:
        excel_apply.import_file(w, ugly, today=dt.date(2026, 1, 1), keep_rest=True)
    out = tmp_path / "台账.xlsx"
    with village_ws.work(village_admin) as w:
        assert excel_export.export_roster(w, out, village_name="张家村") == 4
    wb = openpyxl.load_workbook(out)
    sheet = wb.active
    assert "户籍台账" in sheet["A1"].value and sheet.freeze_panes == "A3"
    header = [c.value for c in sheet[2]]
    id_col = header.index("身份证号")
    first = [c for c in sheet[3]]
    assert first[id_col].value == HEAD_ID[:6] + "********" + HEAD_ID[-4:] and first[id_col].data_type == "s"
    assert isinstance(first[header.index("出生日期")].value, dt.datetime)
    assert header[0] == "序号" and first[0].value == 1  # the 台账 writer counts the rows
    assert sheet.column_dimensions[openpyxl.utils.get_column_letter(id_col + 1)].width > 15
    with village_ws.work() as w:
        s = excel_apply.import_file(w, out, today=dt.date(2026, 1, 1)).summary
    assert (s["rows"], s["new"], s["updated"], s["unchanged"], s["invalid"]) == (4, 0, 0, 4, 0)
    full = tmp_path / "台账-完整.xlsx"
    with village_ws.work(village_admin) as w:
        excel_export.export_roster(w, full, full_id=True)
    assert openpyxl.load_workbook(full).active.cell(3, id_col + 1).value == HEAD_ID
    with village_ws.work() as w:
        s = excel_apply.import_file(w, full, today=dt.date(2026, 1, 1)).summary
    assert (s["new"], s["updated"], s["unchanged"], s["invalid"]) == (0, 0, 4, 0)


def test_full_id_export_needs_the_permission(village_ws, tmp_path):
    from app import accounts

    with village_ws.work(None) as w:
        cadre = accounts.add_user(w, username="c", display_name="C", password="secret-1", roles=["cadre"])
        w.session.expunge(cadre)
    with pytest.raises(UserError, match="权限"), village_ws.work(cadre) as w:
        excel_export.export_roster(w, tmp_path / "x.xlsx", full_id=True)


def test_cli_import_json_and_exit_codes(village_ws, ugly, tmp_path, capsys, monkeypatch):
    data_dir = str(village_ws.root)
    village_ws.close()
    code = cli_main(["households", "import", "--data-dir", data_dir, str(ugly), "--dry-run", "--json"])
    out = json.loads(capsys.readouterr().out)
    assert code == 1
    assert set(out) == {
        "rows",
        "new",
        "updated",
        "unchanged",
        "invalid",
        "skipped",
        "errors",
        "warnings",
        "damaged_households",
    }
    assert (out["rows"], out["new"], out["invalid"], out["skipped"]) == (9, 0, 5, 4)  # nothing half-imported
    assert [(h["bad_rows"], h["imported"]) for h in out["damaged_households"]] == [
        ([7], False),
        ([11], False),
        ([12], False),
    ]
    assert set(out["errors"][0]) == {"row", "column", "reason"}
    assert _counts_dir(data_dir) == (0, 0)  # dry run wrote nothing
    errors = tmp_path / "errors.xlsx"
    assert cli_main(["households", "import", "--data-dir", data_dir, str(ugly), "--errors", str(errors)]) == 1
    out = capsys.readouterr().out
    assert (
        errors.exists() and "新增 0" in out and "一组 王建国 户（第 4–7 行）：第 7 行有错，整户未导入" in out
    )
    assert "--keep-rest" in out
    assert _counts_dir(data_dir) == (0, 0)
    assert (
        cli_main(
            [
                "households",
                "import",
                "--data-dir",
                data_dir,
                str(ugly),
                "--errors",
                str(errors),
                "--keep-rest",
            ]
        )
        == 1
    )
    out = capsys.readouterr().out
    assert "新增 4" in out and "第 7 行有错，已导入其余成员" in out
    export = tmp_path / "export.xlsx"
    assert cli_main(["households", "export", "--data-dir", data_dir, str(export)]) == 0
    capsys.readouterr()
    assert cli_main(["households", "import", "--data-dir", data_dir, str(export), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["unchanged"] == 4
    for name in ("MINQING_USER", "MINQING_PASSWORD"):  # no account, no data (and no full IDs)
        monkeypatch.delenv(name)
    assert cli_main(["households", "export", "--data-dir", data_dir, str(export), "--full-id"]) == 1
    assert "需要登录" in capsys.readouterr().err
    os.environ["HH_TEST_PW"] = ADMIN_PASSWORD
    try:
        assert (
            cli_main(
                [
                    "households",
                    "export",
                    "--data-dir",
                    data_dir,
                    str(export),
                    "--full-id",
                    "--user",
                    "admin",
                    "--password-env",
                    "HH_TEST_PW",
                    "--json",
                ]
            )
            == 0
        )
    finally:
        del os.environ["HH_TEST_PW"]
    assert json.loads(capsys.readouterr().out)["full_id"] is True
    with pytest.raises(SystemExit) as usage:
        cli_main(["households", "import", "--data-dir", data_dir])
    assert usage.value.code == 2


def _counts_dir(data_dir):
    from app.workspace import Workspace

    ws = Workspace.open(data_dir, create=False, credentials=ADMIN)
    try:
        return _counts(ws)
    finally:
        ws.close()


def test_a_roster_exported_elsewhere_imports_once_and_again_changes_nothing(
    village_ws, village_admin, ugly, tmp_path
):
    """Another station's roster (its own system ids) makes new households here; importing the same
    workbook again finds them by the head's resident ID instead of making them a second time."""
    from app.stations import init_station
    from app.workspace import Workspace

    from tests.conftest import ADMIN_PASSWORD, VILLAGE_CODE

    with village_ws.work() as w:
        excel_apply.import_file(w, ugly, today=dt.date(2026, 1, 1), keep_rest=True)
    full = tmp_path / "台账-完整.xlsx"
    with village_ws.work(village_admin) as w:
        excel_export.export_roster(w, full, full_id=True)
    other = Workspace.open(tmp_path / "other")
    init_station(
        other,
        kind="village",
        code=VILLAGE_CODE,
        name="张家村",
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    try:
        with other.work() as w:
            first = excel_apply.import_file(w, full, today=dt.date(2026, 1, 1)).summary
        assert (first["new"], first["invalid"]) == (4, 0)
        with other.work() as w:
            again = excel_apply.import_file(w, full, today=dt.date(2026, 1, 1)).summary
        assert (again["new"], again["updated"], again["unchanged"], again["invalid"]) == (0, 0, 4, 0)
    finally:
        other.close()


def test_a_workbook_named_for_the_other_kind_is_read_by_what_it_holds(village_ws, ugly, tmp_path):
    """An .xlsx saved as .xls (or the other way) by a cadre renaming files: not “damaged”."""
    renamed = tmp_path / "名册.xls"
    renamed.write_bytes(ugly.read_bytes())
    with village_ws.work() as w:
        s = excel_apply.import_file(
            w, renamed, dry_run=True, today=dt.date(2026, 1, 1), keep_rest=True
        ).summary
    assert (s["rows"], s["new"]) == (9, 4)


def test_the_error_rows_never_go_over_the_roster_read(village_ws, ugly, tmp_path):
    before = ugly.read_bytes()
    with pytest.raises(UserError, match="就是要导入的名册") as err, village_ws.work() as w:
        excel_apply.import_file(w, ugly, errors_out=ugly, today=dt.date(2026, 1, 1))
    assert err.value.field == "errors" and ugly.read_bytes() == before and _counts(village_ws) == (0, 0)
    with village_ws.work() as w:
        result = excel_apply.import_file(w, ugly, errors_out=tmp_path / "错误行", today=dt.date(2026, 1, 1))
    assert result.errors_path == tmp_path / "错误行.xlsx" and openpyxl.load_workbook(result.errors_path)


@pytest.mark.parametrize("said", ["本人", "户主本人", "户主（本人）"])
def test_a_head_written_as_himself_is_the_head(village_ws, tmp_path, said):
    """户口簿 and other programs write the head's own row 本人: every household had “no 户主 row”."""
    path = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["组", "住址", "姓名", "与户主关系", "身份证号"])
    wb.active.append(["一组", "一组8号", "王建国", said, rid(dt.date(1965, 3, 4), 1, "男")])
    wb.active.append(["一组", "一组8号", "李秀英", "配偶", rid(dt.date(1967, 8, 12), 2, "女")])
    wb.save(path)
    with village_ws.work() as w:
        s = excel_apply.import_file(w, path, today=dt.date(2026, 1, 1)).summary
    assert (s["new"], s["invalid"], s["skipped"]) == (2, 0, 0)
    with village_ws.session() as session:
        assert session.scalar(select(Household.head_name)) == "王建国"


HEADER = ["组", "户编号", "住址", "姓名", "与户主关系", "身份证号"]
WANG = [
    ["一组", "001", "一组1号", "王建国", "户主", rid(dt.date(1960, 3, 5), 1, "男")],
    ["一组", "001", "一组1号", "李秀英", "配偶", rid(dt.date(1962, 7, 9), 2, "女")],
    ["一组", "001", "一组1号", "王小明", "子", rid(dt.date(1988, 1, 20), 3, "男")],
]
ZHAO = [["一组", "002", "一组2号", "赵德福", "户主", rid(dt.date(1955, 11, 30), 4, "男")]]


def _book(path, rows, header=HEADER):
    wb = openpyxl.Workbook()
    wb.active.append(header)
    for row in rows:
        wb.active.append(row)
    wb.save(path)
    return path


def _households(ws):
    with ws.session() as s:
        found = s.execute(select(Household.household_no, Household.head_name, Household.id)).all()
        heads = dict(
            s.execute(
                select(Person.household_id, func.count())
                .where(Person.relation == "户主")
                .group_by(Person.household_id)
            ).all()
        )
    return sorted((no, head, heads.get(hid, 0)) for no, head, hid in found)


def _import(ws, path):
    with ws.work() as w:
        return excel_apply.import_file(w, path, today=dt.date(2026, 1, 1)).summary


def test_a_household_split_off_in_the_roster_never_takes_over_the_old_one(village_ws, tmp_path):
    """分户 written in the roster (王小明 now heads 003, found through his ID in 001): refused on his row
    with what to do; 001 stays 王建国's, with one 户主."""
    _import(village_ws, _book(tmp_path / "a.xlsx", WANG + ZHAO))
    split = WANG[:2] + ZHAO + [["一组", "003", "一组8号", "王小明", "户主", WANG[2][5]]]
    s = _import(village_ws, _book(tmp_path / "b.xlsx", split))
    assert s["invalid"] == 1 and any(
        "分户的，请先在户籍里把要分出去的成员迁到新户" in e["reason"] for e in s["errors"]
    )
    assert _households(village_ws) == [("001", "王建国", 1), ("002", "赵德福", 1)]


@pytest.mark.parametrize("with_ids", [True, False])
def test_a_group_renumbered_keeps_each_family_in_its_household(village_ws, tmp_path, with_ids):
    """一组 numbered anew (001 → 002, 002 → 003): 王建国's rows now carry 赵德福's old number."""
    cut = (lambda r: r) if with_ids else (lambda r: r[:5])
    header = HEADER if with_ids else HEADER[:5]
    _import(village_ws, _book(tmp_path / "a.xlsx", [cut(r) for r in WANG + ZHAO], header))
    renumbered = [cut([r[0], "002", *r[2:]]) for r in WANG] + [cut([ZHAO[0][0], "003", *ZHAO[0][2:]])]
    s = _import(village_ws, _book(tmp_path / "b.xlsx", renumbered, header))
    assert (s["new"], s["invalid"]) == (0, 0)
    assert _households(village_ws) == [("002", "王建国", 1), ("003", "赵德福", 1)]
    with village_ws.session() as session:
        assert session.scalar(select(func.count()).select_from(Person)) == 4  # nobody copied


def test_same_name_heads_of_one_group_are_told_apart_by_address_or_refused_never_added_again(
    village_ws, tmp_path
):
    header = ["组", "住址", "姓名", "与户主关系"]
    two = [["一组", "一组东头", "王伟", "户主"], ["一组", "一组东头", "刘芳", "配偶"]]
    two += [["一组", "一组西头", "王伟", "户主"], ["一组", "一组西头", "陈静", "配偶"]]
    path = _book(tmp_path / "a.xlsx", two, header)
    assert _import(village_ws, path)["new"] == 4
    again = _import(village_ws, path)
    assert (again["new"], again["unchanged"]) == (0, 4)  # the addresses tell them apart
    same_place = [[r[0], "一组", *r[2:]] for r in two]
    s = _import(village_ws, _book(tmp_path / "b.xlsx", same_place, header))
    assert s["new"] == 0 and s["invalid"] == 2  # (the second head's row, the same as the first, is a repeat)
    assert (
        "本组有 2 户的户主都叫王伟" in s["errors"][0]["reason"]
        and "身份证号或户编号" in s["errors"][0]["reason"]
    )
    with village_ws.session() as session:
        assert session.scalar(select(func.count()).select_from(Household)) == 2


def test_an_old_fifteen_digit_id_and_the_eighteen_digit_one_it_became_are_one_person(
    village_ws, village_admin, tmp_path
):
    from app.households import checks, roster

    old = "370681600305041"  # 李四, registered with his old number
    new = "37068119600305041X"
    _import(village_ws, _book(tmp_path / "a.xlsx", [["一组", "005", "一组5号", "李四", "户主", old]]))
    elsewhere = [["二组", "001", "二组1号", "张三", "户主", rid(dt.date(1985, 1, 2), 7, "男")]]
    elsewhere.append(["二组", "001", "二组1号", "李四", "父亲", new])
    s = _import(village_ws, _book(tmp_path / "b.xlsx", elsewhere))
    assert any("身份证号已登记在一组 李四 户" in e["reason"] for e in s["errors"])  # not 李四 twice
    with village_ws.work(village_admin) as w, pytest.raises(UserError, match="身份证号已登记在一组 李四 户"):
        roster.create_household(
            w,
            checks.HouseholdInput(
                group_name="三组",
                address="三组1号",
                members=[checks.MemberInput("李四", "户主", id_number=new)],
            ),
        )
    same = _import(village_ws, _book(tmp_path / "c.xlsx", [["一组", "005", "一组5号", "李四", "户主", new]]))
    assert (same["new"], same["updated"], same["invalid"]) == (0, 1, 0)  # 换发新证: his number is updated
    with village_ws.session() as session:
        assert session.scalars(select(Person.id_number)).all() == [new]


def test_a_hidden_first_sheet_is_not_the_one_read_unless_chosen(village_ws, tmp_path):
    path = tmp_path / "名册.xlsx"
    wb = openpyxl.Workbook()
    old = wb.active
    old.title = "旧名册"
    old.append(HEADER)
    old.append(["一组", "009", "一组9号", "旧户主", "户主", rid(dt.date(1950, 1, 1), 9, "男")])
    old.sheet_state = "hidden"
    now = wb.create_sheet("花名册")
    now.append(HEADER)
    now.append(WANG[0])
    wb.save(path)
    assert excel_read.sheet_names(path) == ["花名册", "旧名册"]  # the wizard's list, the shown one first
    assert _import(village_ws, path)["new"] == 1
    assert _households(village_ws) == [("001", "王建国", 1)]


def test_two_households_with_a_son_of_the_same_name_are_not_a_repeated_row(village_ws, tmp_path):
    header = ["组", "姓名", "与户主关系"]
    rows = [
        ["一组", "王建国", "户主"],
        ["一组", "王磊", "子"],
        ["一组", "王建军", "户主"],
        ["一组", "王磊", "子"],
    ]
    rows.append(["一组", "王磊", "子"])  # typed twice under 王建军: that is a repeat
    s = _import(village_ws, _book(tmp_path / "a.xlsx", rows, header))
    assert (s["new"], s["invalid"]) == (4, 1)
    assert [e["reason"] for e in s["errors"]] == ["与第 5 行内容相同（重复行）"]
