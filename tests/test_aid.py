"""帮扶 (issue 18): records, pairs over time, the village view, the month's facts, the 台账, the print, the
command line, the statistics key and the demo — real SQLite, real files, real PDFs and workbooks."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

import openpyxl
import pytest
from pypdf import PdfReader
from sqlalchemy import select

from db.models import AidPair, AidRecord, AuditLog, DiaryEntry, DiaryParticipant, Household, HouseholdTag

from app import accounts
from app.aid import facts, pairs, records, rules, view
from app.aid.documents import print_household_aid
from app.aid.ledger import export_aid
from app.aid.records import AidInput
from app.diary import entries
from app.errors import UserError
from app.households import checks, roster, tags

from tests.conftest import VILLAGE_CODE

TODAY = dt.date(2024, 6, 1)
D = dt.date


def _household(w, head: str, group: str = "一组", tag_names: tuple[str, ...] = ()) -> str:
    hid = roster.create_household(
        w,
        checks.HouseholdInput(
            group_name=group, address=f"{group}8号", members=[checks.MemberInput(name=head, relation="户主")]
        ),
        today=TODAY,
    ).id
    if tag_names:
        tags.set_tags(w, hid, list(tag_names))
    return hid


def _entry(w, hid: str, when: dt.datetime, text: str = "入户走访，了解生活困难") -> str:
    h = w.session.get(Household, hid)
    return entries.save_entry(
        w,
        entries.EntryInput(
            occurred_at=when,
            kind="入户走访",
            participants=[entries.ParticipantInput(hid, h.head_id)],
            situation=text,
        ),
        now=when + dt.timedelta(hours=1),
    ).id


def _aid(w, hid: str, on: dt.date, kind: str = "资金", amount: str = "500", **kw) -> str:
    values = {"giver_unit": "镇民政办", "policy": "临时救助"} | kw
    return records.save_aid(w, AidInput(hid, on, kind, amount=amount, **values), today=TODAY)


# -- records ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("typed", "fen"),
    [("1200", 120000), ("350.50", 35050), ("1,200", 120000), ("１２００元", 120000), (" ", None), ("", None)],
)
def test_amounts_as_typed_become_fen(typed, fen):
    assert rules.parse_amount(typed) == fen


@pytest.mark.parametrize(
    ("typed", "words"),
    [("abc", "不是数字"), ("-5", "大于 0"), ("0", "大于 0"), ("2000000", "太大"), ("1.005", "分")],
)
def test_a_bad_amount_is_refused_naming_the_field(typed, words):
    with pytest.raises(UserError) as e:
        rules.parse_amount(typed)
    assert e.value.field == "amount" and e.value.message.startswith("金额：") and words in e.value.message


def test_a_record_is_saved_audited_and_listed_newest_first(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "王秀英", tag_names=("低保",))
        eid = _entry(w, hid, dt.datetime(2024, 5, 10, 9, 0))
        first = _aid(
            w,
            hid,
            D(2024, 3, 1),
            "物资",
            amount="",
            goods="大米 2 袋",
            giver_user_id=village_admin.id,
            giver_unit="",
        )
        second = _aid(w, hid, D(2024, 5, 10), entry_id=eid)
    with village_ws.work(village_admin) as w:
        listed = records.household_aid(w, hid)
        assert [a.id for a in listed] == [second, first]
        assert listed[0].amount_fen == 50000 and listed[0].amount_text == "500"
        assert listed[0].giver_name == "镇民政办" and listed[1].giver_name == village_admin.display_name
        assert listed[0].entry_label == "2024年5月10日 09:00 入户走访"
        actions = w.session.scalars(select(AuditLog.action).where(AuditLog.table_name == "aid_record")).all()
        assert sorted(actions) == ["aid.add", "aid.add"]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"kind": "资金", "amount": ""}, "amount", "资金帮扶请填写金额"),
        ({"kind": "物资", "amount": "", "goods": ""}, "goods", "物资帮扶请写明"),
        ({"kind": "红包"}, "kind", "帮扶类别"),
        ({"giver_unit": ""}, "giver", "帮扶人"),
        ({"giver_user_id": "x"}, "giver", "帮扶人"),  # both a cadre and a unit
        ({"given_on": None}, "given_on", "帮扶日期"),
        ({"given_on": D(2024, 6, 2)}, "given_on", "今天之后"),
        ({"policy": "政" * 101}, "policy", "依据的政策"),
    ],
)
def test_what_a_record_must_say_is_refused_by_field_and_nothing_is_saved(
    village_ws, village_admin, change, field, words
):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "李桂兰")
    values = {
        "household_id": hid,
        "given_on": D(2024, 5, 1),
        "kind": "资金",
        "amount": "300",
        "giver_unit": "村委会",
    }
    with pytest.raises(UserError) as e, village_ws.work(village_admin) as w:
        records.save_aid(w, AidInput(**(values | change)), today=TODAY)
    assert e.value.field == field and words in e.value.message
    with village_ws.work(village_admin) as w:
        assert records.household_aid(w, hid) == []


def test_the_linked_entry_must_be_one_of_that_households(village_ws, village_admin):
    """The diary entry is picked from the household's entries: another household's is refused."""
    with village_ws.work(village_admin) as w:
        mine, other = _household(w, "张建国"), _household(w, "李四")
        their_entry = _entry(w, other, dt.datetime(2024, 5, 2, 10, 0))
        my_entry = _entry(w, mine, dt.datetime(2024, 5, 3, 10, 0))
        assert [c.id for c in records.household_entries(w, mine)] == [my_entry]
    with pytest.raises(UserError) as e, village_ws.work(village_admin) as w:
        _aid(w, mine, D(2024, 5, 2), entry_id=their_entry)
    assert e.value.field == "entry_id" and "没有走访这一户" in e.value.message


def test_a_record_is_changed_then_deleted_softly(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "赵大娘")
        rid = _aid(w, hid, D(2024, 5, 1))
        records.save_aid(
            w,
            AidInput(hid, D(2024, 5, 1), "资金", amount="650", giver_unit="镇民政办", policy="临时救助"),
            rid,
            today=TODAY,
        )
        assert records.aid_detail(w, rid).amount_fen == 65000
        records.delete_aid(w, rid)
    with village_ws.session() as s:
        row = s.get(AidRecord, rid)
        assert row is not None and row.deleted_at is not None  # soft: the deletion travels
    with village_ws.work(village_admin) as w:
        assert records.household_aid(w, hid) == []


def test_a_giver_from_another_village_or_a_change_to_another_household_is_refused(village_ws, village_admin):
    from db.models import User

    with village_ws.session() as s:  # an account of another village (as a bundle once brought one)
        stranger = User(
            username="x", display_name="外村干部", roles="cadre", village_code="370681101299", active=True
        )
        s.add(stranger)
        s.flush()
        stranger_id = stranger.id
    with village_ws.work(village_admin) as w:
        hid, other = _household(w, "甲"), _household(w, "乙")
        rid = _aid(w, hid, D(2024, 5, 1))
    with pytest.raises(UserError) as e, village_ws.work(village_admin) as w:
        _aid(w, hid, D(2024, 5, 2), giver_user_id=stranger_id, giver_unit="")
    assert e.value.field == "giver" and "本村或本镇" in e.value.message
    with pytest.raises(UserError) as e, village_ws.work(village_admin) as w:
        records.save_aid(
            w, AidInput(other, D(2024, 5, 1), "资金", amount="500", giver_unit="镇民政办"), rid, today=TODAY
        )
    assert e.value.field == "household_id"
    with village_ws.work(village_admin) as w:
        assert records.aid_detail(w, rid).household_id == hid


def test_only_cadres_and_admins_record_aid(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "钱二")
        accounts.add_user(
            w, username="med", display_name="调解员甲", password="pass-word-1", roles=["mediator"]
        )
    with village_ws.work(None) as w:
        mediator = accounts.authenticate(w, "med", "pass-word-1")
        w.session.expunge(mediator)
    with pytest.raises(UserError) as e, village_ws.work(mediator) as w:
        _aid(w, hid, D(2024, 5, 1))
    assert "没有这项权限" in e.value.message


# -- pairs over time --------------------------------------------------------------------------------------
def test_pairs_change_over_time_and_keep_their_history(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "孙老汉", tag_names=("特困",))
        other = accounts.add_user(
            w, username="c2", display_name="李干部", password="pass-word-2", roles=["cadre"]
        ).id
        first = pairs.start_pair(w, hid, village_admin.id, D(2023, 1, 1), today=TODAY)
        with pytest.raises(UserError) as again:
            pairs.start_pair(w, hid, village_admin.id, D(2023, 2, 1), today=TODAY)
        assert again.value.field == "cadre_id"
        second = pairs.change_pair(w, first, other, D(2024, 3, 1), "工作调整", today=TODAY)
        with pytest.raises(UserError) as early:
            pairs.end_pair(w, second, D(2024, 2, 1), "已脱困", today=TODAY)
        assert early.value.field == "end_on"
        with pytest.raises(UserError) as no_reason:
            pairs.end_pair(w, second, D(2024, 5, 1), "  ", today=TODAY)
        assert no_reason.value.field == "end_reason"
        pairs.end_pair(w, second, D(2024, 5, 20), "已脱困", today=TODAY)
        with pytest.raises(UserError):
            pairs.end_pair(w, second, D(2024, 5, 21), "已脱困", today=TODAY)
    with village_ws.work(village_admin) as w:
        history = pairs.pair_history(w, hid)
    assert [(p.cadre_name, p.start_on, p.end_on, p.end_reason) for p in history] == [
        (village_admin.display_name, D(2023, 1, 1), D(2024, 3, 1), "工作调整"),
        ("李干部", D(2024, 3, 1), D(2024, 5, 20), "已脱困"),
    ]
    with village_ws.session() as s:  # ended, never deleted
        assert s.scalar(select(AidPair.deleted_at).where(AidPair.id == first)) is None


# -- the village view ---------------------------------------------------------------------------------------
def test_the_village_view_lists_a_tags_households_in_the_rosters_order_with_twelve_months_of_aid(
    village_ws, village_admin
):
    with village_ws.work(village_admin) as w:
        b = _household(w, "陈二", "二组", ("低保",))
        a = _household(w, "王一", "一组", ("低保", "残疾"))
        c = _household(w, "张三", "一组", ("低保",))  # nothing in 12 months: shown all the same
        _household(w, "不困难", "一组")
        _aid(w, a, D(2024, 5, 1), "资金", "300")
        _aid(w, a, D(2023, 6, 2), "物资", "", goods="棉被")  # the first day of the 12 months
        _aid(w, a, D(2023, 6, 1), "资金", "9999")  # a day too early: left out
        _aid(w, b, D(2024, 1, 5), "医疗", "1500.5")
        _aid(w, b, D(2024, 2, 5), "资金", "100")
        _aid(w, c, D(2022, 1, 1), "资金", "100")
        pairs.start_pair(w, a, village_admin.id, D(2023, 1, 1), today=TODAY)
        expected_order = [
            h
            for h in w.session.scalars(
                select(Household.id)
                .where(Household.id.in_([a, b, c]))
                .order_by(Household.group_name, Household.head_name)
            )
        ]
        rows = view.village_view(w, tag="低保", until=TODAY)
    assert [r.household_id for r in rows] == expected_order
    by = {r.household_id: r for r in rows}
    assert (by[a].count, by[a].amount_fen, by[a].kinds, by[a].last_given_on) == (
        2,
        30000,
        {"物资": 1, "资金": 1},
        D(2024, 5, 1),
    )
    assert by[a].kinds_text == "物资 1、资金 1"  # the kinds' fixed order, never by size
    assert by[a].responsible == village_admin.display_name
    assert (by[b].count, by[b].amount_fen, by[b].kinds_text) == (2, 160050, "资金 1、医疗 1")
    assert (by[c].count, by[c].amount_fen, by[c].responsible, by[c].last_given_on) == (0, 0, "", None)
    with village_ws.work(village_admin) as w:
        assert len(view.village_view(w, tag=view.ALL_HOUSEHOLDS, until=TODAY)) == 4
        assert [r.household_id for r in view.village_view(w, tag="残疾", until=TODAY)] == [a]


def test_the_view_is_in_the_same_order_as_the_roster(village_ws, village_admin):
    from db.queries.households import RosterFilter, roster_ids

    with village_ws.work(village_admin) as w:
        for head, group in (("周", "十组"), ("吴", "二组"), ("郑", "一组"), ("冯", "二组"), ("王", "一组")):
            _household(w, head, group, ("困难户",))
        rows = view.village_view(w, tag="困难户", until=TODAY)
        assert [r.household_id for r in rows] == roster_ids(w.session, RosterFilter(tag="困难户"))


def test_the_view_keeps_a_value_many_rows_share_once(village_ws, village_admin):
    """SQLite hands every row its own copy of a text: the view keeps the village's code, a 组, a kind, a
    day and a cadre's name once, however many of the tag's households show it (the 帮扶 screen holds its
    rows while it is shown: issue 17's peak memory)."""
    with village_ws.work(village_admin) as w:
        ids = [_household(w, head, "三组", ("低保",)) for head in ("赵一", "钱二", "孙三")]
        for hid in ids:
            _aid(w, hid, D(2024, 3, 8), "物资", "", goods="米面油")
            pairs.start_pair(w, hid, village_admin.id, D(2023, 1, 1), today=TODAY)
        rows = view.village_view(w, tag="低保", until=TODAY)
    assert len(rows) == 3 and len({r.household_id for r in rows}) == 3
    first = rows[0]
    for r in rows[1:]:
        assert r.village_code is first.village_code and r.group_name is first.group_name
        assert r.last_given_on is first.last_given_on and r.responsible is first.responsible
        assert next(iter(r.kinds)) is next(iter(first.kinds))
    assert (first.group_name, first.kinds, first.last_given_on) == ("三组", {"物资": 1}, D(2024, 3, 8))


def test_a_sensitive_tag_is_refused_to_a_role_that_may_not_see_it(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        accounts.add_user(
            w, username="med", display_name="调解员甲", password="pass-word-1", roles=["mediator"]
        )
        assert "残疾" in view.tag_choices(w)
    with village_ws.work(None) as w:
        mediator = accounts.authenticate(w, "med", "pass-word-1")
        w.session.expunge(mediator)
    with village_ws.work(mediator) as w:
        assert "残疾" not in view.tag_choices(w) and view.tag_choices(w)[0] == "低保"
        with pytest.raises(UserError) as e:
            view.village_view(w, tag="残疾", until=TODAY)
    assert e.value.field == "tag"


def test_the_twelve_months_end_on_the_day_chosen():
    assert view.window(D(2024, 6, 1)) == (D(2023, 6, 2), D(2024, 6, 1))
    assert view.window(D(2024, 2, 29)) == (D(2023, 3, 1), D(2024, 2, 29))


# -- the month's facts for the 点评会 ---------------------------------------------------------------------
def test_month_facts_count_the_villages_aid_and_pairs_of_that_month(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        a, b = _household(w, "甲"), _household(w, "乙")
        _aid(w, a, D(2024, 5, 1), "资金", "200")
        _aid(w, a, D(2024, 5, 31), "资金", "300.5")
        _aid(w, b, D(2024, 5, 15), "物资", "", goods="米面油")
        _aid(w, b, D(2024, 4, 30), "资金", "999")
        gone = _aid(w, b, D(2024, 5, 20), "资金", "999")
        records.delete_aid(w, gone)
        p = pairs.start_pair(w, a, village_admin.id, D(2024, 1, 1), today=TODAY)
        pairs.end_pair(w, p, D(2024, 5, 10), "已脱困", today=TODAY)
        pairs.start_pair(w, b, village_admin.id, D(2024, 5, 12), today=TODAY)
        got = facts.month_facts(w.session, VILLAGE_CODE, D(2024, 5, 17))
    assert got == {
        "aid_records": 3,
        "aided_households": 2,
        "aid_amount_fen": 50050,
        "aid_pairs_started": 1,
        "aid_pairs_ended": 1,
        "aid_pairs_open": 1,
    }
    assert all(type(v) is int for v in got.values())
    with village_ws.work(village_admin) as w:
        assert facts.month_facts(w.session, "370681101299", D(2024, 5, 1))["aid_records"] == 0
        assert facts.month_facts(w.session, VILLAGE_CODE, D(2024, 12, 3))["aid_pairs_open"] == 1


def test_month_bounds_cover_december_and_february():
    assert facts.month_bounds(D(2024, 12, 9)) == (D(2024, 12, 1), D(2024, 12, 31))
    assert facts.month_bounds(D(2024, 2, 1)) == (D(2024, 2, 1), D(2024, 2, 29))


# -- 台账, print, command line, stats, demo ---------------------------------------------------------------------
def test_the_ledger_workbook_lists_every_record_and_the_view_and_keeps_typed_text_text(
    village_ws, village_admin, tmp_path
):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "刘大姐", tag_names=("低保",))
        eid = _entry(w, hid, dt.datetime(2024, 5, 10, 9, 0))
        _aid(w, hid, D(2024, 5, 10), "资金", "1200", entry_id=eid)
        _aid(w, hid, D(2024, 5, 12), "物资", "", goods='=HYPERLINK("http://x")', policy="+1")
        n = export_aid(w, tmp_path / "帮扶台账.xlsx", unit_name="张家村", tag="低保", today=TODAY)
    assert n == 2
    wb = openpyxl.load_workbook(tmp_path / "帮扶台账.xlsx")
    sheet = wb["帮扶台账"]
    assert "张家村帮扶台账" in sheet["A1"].value
    assert [c.value for c in sheet[2]][:6] == [
        "序号",
        "帮扶日期",
        "户主",
        "村民小组",
        "帮扶类别",
        "金额（元）",
    ]
    first, second = [list(r) for r in sheet.iter_rows(min_row=3, values_only=True)]
    assert (
        first[1] == dt.datetime(2024, 5, 10)
        and first[5] == 1200
        and first[9] == "2024年5月10日 09:00 入户走访"
    )
    assert (
        second[6] == '=HYPERLINK("http://x")' and sheet.cell(4, 7).data_type == "s"
    )  # text, never a formula
    view_sheet = wb["各户帮扶"]
    lines = list(view_sheet.iter_rows(values_only=True))
    assert "低保近12个月帮扶" in lines[0][0]
    assert lines[2][:5] == ("刘大姐", "一组", None, 2, 1200)


def test_the_household_print_is_an_a4_pdf_with_its_records_and_signature_lines(
    village_ws, village_admin, tmp_path
):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "钟伟堃", tag_names=("低保",))
        pairs.start_pair(w, hid, village_admin.id, D(2023, 1, 1), today=TODAY)
        eid = _entry(w, hid, dt.datetime(2024, 5, 10, 9, 0))
        _aid(w, hid, D(2024, 5, 10), "资金", "1200", entry_id=eid)
        for n in range(40):  # a second page, headings repeated
            _aid(
                w,
                hid,
                D(2024, 1, 1) + dt.timedelta(days=n),
                "物资",
                "",
                goods=f"大米 {n + 1} 袋、食用油 1 桶",
                policy="春节走访慰问",
            )
        pages = print_household_aid(w, hid, tmp_path / "帮扶记录.pdf", unit_name="张家村", today=TODAY)
    reader = PdfReader(tmp_path / "帮扶记录.pdf")
    assert pages == len(reader.pages) >= 2
    box = reader.pages[0].mediabox
    assert (round(float(box.width) * 25.4 / 72), round(float(box.height) * 25.4 / 72)) == (210, 297)
    text = "".join(p.extract_text() for p in reader.pages).replace("\x00", "")  # pypdf pads CID text
    for words in (
        "帮扶记录",
        "钟伟堃",
        "低保",
        "共 41 次",
        "资金合计 1,200 元",
        "临时救助",
        "大米 40 袋",
        "户主（或家庭成员）签字",
        "帮扶责任人签字",
        village_admin.display_name,
    ):
        assert words in text, words
    assert (
        reader.pages[1].extract_text().replace("\x00", "").count("物资或帮扶内容") == 1
    )  # the headings on the next page


def test_the_print_refuses_a_file_name_that_is_not_a_pdf(village_ws, village_admin, tmp_path):
    with pytest.raises(UserError) as e, village_ws.work(village_admin) as w:
        print_household_aid(w, _household(w, "甲"), tmp_path / "x.docx", unit_name="张家村")
    assert e.value.field == "file"


def _cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parent.parent,
        check=False,
    )


def test_the_command_line_exports_prints_counts_and_tells_the_facts(village_ws, village_admin, tmp_path):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "吴大爷", tag_names=("五保",))
        _aid(w, hid, D(2024, 5, 3), "资金", "400")
    root = village_ws.root
    village_ws.close()
    out = _cli(root, "aid", "export", str(tmp_path / "a.xlsx"), "--tag", "五保", "--json")
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["aid_records"] == 1 and (tmp_path / "a.xlsx").is_file()
    out = _cli(root, "aid", "print", str(tmp_path / "a.pdf"), "--household", hid)
    assert out.returncode == 0 and "帮扶记录" in out.stdout and (tmp_path / "a.pdf").is_file()
    out = _cli(root, "aid", "facts", "--month", "2024-05", "--json")
    assert out.returncode == 0 and json.loads(out.stdout)["aid_amount_fen"] == 40000
    out = _cli(root, "aid", "facts", "--month", "2024-05", "--village", "370681101299")
    assert out.returncode == 1 and "只能查看本村" in out.stdout + out.stderr
    out = _cli(root, "aid", "facts", "--month", "2024-5x")
    assert out.returncode == 2 and "月份" in out.stderr
    out = _cli(root, "stats", "--json")
    counts = json.loads(out.stdout)["counts"][VILLAGE_CODE]
    assert counts["aid_records"] == 1 and counts["aid_pairs"] == 0


def test_the_demo_fills_aid_linked_to_the_households_own_entries(tmp_path):
    from app import demo

    ws = demo.ensure_demo_station(tmp_path / "d")
    try:
        made = demo.run(ws, households=200, seed=3, today=TODAY)
        assert made["aid_records"] > 50 and made["aid_pairs"] > 10
        with ws.session() as s:
            linked = s.execute(
                select(AidRecord.household_id, AidRecord.entry_id, AidRecord.given_on).where(
                    AidRecord.entry_id.is_not(None)
                )
            ).all()
            assert len(linked) > made["aid_records"] // 3
            for hid, eid, on in linked:
                met = s.scalar(
                    select(DiaryParticipant.household_id).where(
                        DiaryParticipant.entry_id == eid, DiaryParticipant.household_id == hid
                    )
                )
                assert met == hid
                assert s.get(DiaryEntry, eid).occurred_at.date() == on
            need = set(
                s.scalars(
                    select(HouseholdTag.household_id).where(
                        HouseholdTag.tag.in_(("低保", "困难户", "特困", "五保", "残疾"))
                    )
                )
            )
            paired = set(s.scalars(select(AidPair.household_id)))
            assert paired == need
            assert s.scalar(select(AidPair.id).where(AidPair.end_on.is_not(None))) is not None  # history
            kinds = set(s.scalars(select(AidRecord.kind)))
            assert kinds <= set(rules.KINDS) and len(kinds) >= 6
        from app.aid.rules import incoming_verdict  # every demo row would pass the importer's rule

        with ws.engine.connect() as conn:
            cols = [c.name for c in AidRecord.__table__.columns]
            for row in conn.exec_driver_sql(f"SELECT {', '.join(cols)} FROM aid_record").fetchall():
                assert incoming_verdict("aid_record", cols, list(row), None) is None, row
    finally:
        ws.close()


def test_the_units_named_before_are_offered_the_last_given_first(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        hid = _household(w, "王一")
        assert records.units_given_by(w) == []
        _aid(w, hid, D(2024, 3, 1), giver_unit="县残联")
        _aid(w, hid, D(2024, 5, 1), giver_unit="镇民政办")
        _aid(w, hid, D(2024, 4, 1), giver_unit="县残联")
        _aid(w, hid, D(2024, 6, 1), giver_unit="", giver_user_id=village_admin.id)  # a cadre: no unit
        gone = _aid(w, hid, D(2024, 5, 20), giver_unit="打错的单位")
        records.delete_aid(w, gone)
        assert records.units_given_by(w) == ["镇民政办", "县残联"]
        for n in range(records.UNITS_OFFERED + 5):
            _aid(w, hid, D(2023, 1, 1) + dt.timedelta(days=n), giver_unit=f"爱心企业{n:02d}")
        offered = records.units_given_by(w)
        assert len(offered) == records.UNITS_OFFERED and offered[:2] == ["镇民政办", "县残联"]
