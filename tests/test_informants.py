"""群众工作信息员 (issue 18): appointed from the roster for a 组, with history; their reports are diary
entries of kind 信息员报告 naming them (serving on the entry's day), whose demands flow as any other;
the list with the last report, the 台账, the contact card, stats, and sync with its authority rule."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from openpyxl import load_workbook
from pypdf import PdfReader
from sqlalchemy import select

from db.models import DiaryEntry, Informant, Person, User
from db.queries.diary import DiaryFilter, diary_entry_ids

from app import accounts
from app.diary import drafts, entries, referral
from app.errors import UserError
from app.households.contact_cards import write_cards
from app.informants import appointments
from app.informants.ledger import export_informants
from app.stats import live_counts
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.informants_helpers import NOW, TODAY, D, appoint, report, village
from tests.sync_support import (
    SECOND_VILLAGE,
    export_one,
    forge_bundle,
    open_bundle,
    section_doc,
    synced_rows,
    with_rows,
    without_town_rule,
)


def test_an_informant_is_picked_from_the_roster_and_one_serves_a_group_at_a_time(village_ws, village_admin):
    _cadre, people = village(village_ws)
    wang = appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 1, 1), "组里老党员")
    assert (wang.name, wang.group_name, wang.phone, wang.serving, wang.last_report) == (
        "王秀英",
        "二组",
        "13912345678",  # the person's own phone, from the roster
        True,
        None,
    )
    li = appoint(village_ws, village_admin, people["李国强"][1], "三组", D(2024, 2, 1))
    assert li.phone == "0535-6612345"  # no phone of his own: the household's first
    refusals = [
        (("", "二组", D(2024, 3, 1)), "person"),
        ((people["钱已迁"][1], "三组", D(2024, 3, 1)), "person"),  # moved away
        ((people["赵大山"][1], "九组", D(2024, 3, 1)), "group_name"),  # no such 组 in the roster
        ((people["赵大山"][1], "二组", D(2024, 3, 1)), "group_name"),  # 二组 has one already
        ((people["王秀英"][1], "三组", D(2024, 3, 1)), "person"),  # she serves 二组
        ((people["赵大山"][1], "", D(2024, 3, 1)), "group_name"),
        ((people["赵大山"][1], "二组", None), "start_on"),
    ]
    for (pid, group, start), field in refusals:
        with pytest.raises(UserError) as err:
            appoint(village_ws, village_admin, pid, group, start)
        assert err.value.field == field, err.value.message
        assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)
    # ending keeps the history; the successor may start on the handover day
    with village_ws.work(village_admin) as w:
        ended = appointments.end_appointment(w, wang.id, D(2024, 4, 30), reason="外出务工", today=TODAY)
    assert (ended.end_on, ended.end_reason, ended.serving) == (D(2024, 4, 30), "外出务工", False)
    with pytest.raises(UserError, match="已于"), village_ws.work(village_admin) as w:
        appointments.end_appointment(w, wang.id, D(2024, 5, 1), today=TODAY)
    zhao = appoint(village_ws, village_admin, people["赵大山"][1], "二组", D(2024, 4, 30))
    assert zhao.phone == ""
    with village_ws.work(village_admin) as w:
        assert [r.name for r in appointments.informant_list(w, include_ended=False)] == ["赵大山", "李国强"]
        assert [r.name for r in appointments.informant_list(w)] == ["赵大山", "王秀英", "李国强"]
        assert [r.name for r in appointments.serving(w, D(2024, 4, 30))] == ["赵大山", "王秀英", "李国强"]
        assert [r.name for r in appointments.serving(w, D(2024, 1, 15))] == ["王秀英"]


def test_a_report_names_an_informant_serving_on_its_day(village_ws, village_admin):
    _cadre, people = village(village_ws)
    wang = appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 3, 1))
    hid = people["赵大山"][0]
    for data, part in (
        (report(None), "请选择是哪位信息员"),
        (report(wang.id, dt.datetime(2024, 2, 20, 9, 0)), "起才担任信息员"),
        (report("no-such-informant"), "找不到这位信息员"),
    ):
        with pytest.raises(UserError) as err, village_ws.work(village_admin) as w:
            entries.save_entry(w, data, now=NOW)
        assert err.value.field == "informant" and part in err.value.message
    with village_ws.work(village_admin) as w:
        e = entries.save_entry(w, report(wang.id, household_id=hid), now=NOW)  # about a household
        bare = entries.save_entry(w, report(wang.id, dt.datetime(2024, 5, 2, 8, 0)), now=NOW)  # about the 组
    assert (e.kind, e.informant_id, e.informant_name) == ("信息员报告", wang.id, "王秀英（二组）")
    assert [p.head_name for p in e.participants] == ["赵大山"] and bare.participants == []
    # an entry of another kind names no informant, whatever the form sent
    with village_ws.work(village_admin) as w:
        other = report(wang.id, household_id=hid)
        other.kind = "电话联系"
        phone = entries.save_entry(w, other, now=NOW)
    assert phone.informant_id is None and phone.informant_name == ""
    # the term cannot end before a report; a past report outlives the term
    with pytest.raises(UserError, match="以后还有 1 篇"), village_ws.work(village_admin) as w:
        appointments.end_appointment(w, wang.id, D(2024, 5, 15), today=TODAY)
    with village_ws.work(village_admin) as w:
        appointments.end_appointment(w, wang.id, D(2024, 5, 31), today=TODAY)
    with pytest.raises(UserError, match="任期已于2024年5月31日结束"), village_ws.work(village_admin) as w:
        entries.save_entry(w, report(wang.id, dt.datetime(2024, 6, 1, 9, 0)), now=NOW)
    with village_ws.work(village_admin) as w:  # an old report stays editable: she served on its day
        entries.save_entry(w, report(wang.id, household_id=hid), entry_id=e.id, now=NOW)
        assert [r.last_report for r in appointments.informant_list(w)] == [D(2024, 5, 31)]
        assert diary_entry_ids(w.session, DiaryFilter(informant_id=wang.id)) == [e.id, bare.id]
    with pytest.raises(UserError, match="不能删除"), village_ws.work(village_admin) as w:
        appointments.remove_informant(w, wang.id)
    # a half-typed report kept as a draft comes back with its informant
    assert (
        drafts.draft_to_entry(json.loads(json.dumps(drafts.entry_to_draft(report(wang.id))))).informant_id
        == wang.id
    )


def test_a_demand_heard_from_an_informant_is_referred_like_any_other(village_ws, village_admin):
    _cadre, people = village(village_ws)
    wang = appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 3, 1))
    with village_ws.work(village_admin) as w:
        e = entries.save_entry(w, report(wang.id, demands=[("基础设施", "路灯损坏希望维修")]), now=NOW)
        (d,) = e.demands
        assert d.status == "待办"
        info = referral.refer_demand(
            w, d.id, office="农业农村办", note="信息员反映，需镇里安排", referred_on=TODAY, today=TODAY
        )
    assert info.status == "已上报乡镇" and info.referred_office == "农业农村办"


def test_a_mistaken_appointment_is_removed_and_a_cadre_without_the_right_cannot_appoint(
    village_ws, village_admin
):
    _cadre, people = village(village_ws)
    wang = appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 3, 1))
    with village_ws.work(village_admin) as w:
        appointments.remove_informant(w, wang.id)
        assert appointments.informant_list(w) == []
    with village_ws.work(None) as w:
        mediator = accounts.add_user(
            w, username="tjy", display_name="调解员", password="secret-1", roles=["mediator"]
        )
        w.session.flush()
        w.session.expunge(mediator)
    with pytest.raises(UserError, match="没有这项权限"):
        appoint(village_ws, mediator, people["王秀英"][1], "二组", D(2024, 3, 1))


def test_the_contact_card_of_a_household_in_the_group_names_its_informant(
    village_ws, village_admin, tmp_path
):
    cadre, people = village(village_ws)
    from tests.diary_helpers import add_household as add

    with village_ws.session() as s:
        s.get(User, cadre.id).phone = "13700001234"
    ids = [
        add(village_ws, head, group=group, cadre_id=cadre.id)[0]
        for head, group in (("周家", "二组"), ("吴家", "三组"))
    ]
    appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 3, 1))
    out = tmp_path / "cards.pdf"
    with village_ws.work(village_admin) as w:
        printed = write_cards(w, ids, out, today=TODAY)
    assert printed.cards == 2
    text = PdfReader(str(out)).pages[0].extract_text().replace("\x00", "")  # pypdf pads CID text with NULs
    assert "本组信息员：王秀英  13912345678" in text
    assert text.count("本组信息员") == 1  # 三组 has none: its card has the four lines as before
    assert text.count("服务电话") == 2
    # a long name and a landline are set smaller, never over the QR code: the line keeps to its width
    with village_ws.session() as s:
        s.get(Person, people["王秀英"][1]).name = "阿卜杜热合曼·买买提江"
        s.get(Person, people["王秀英"][1]).phone = "0535-66123456"
    with village_ws.work(village_admin) as w:
        write_cards(w, ids, out, today=TODAY)
    sizes = []

    def visit(text, _cm, tm, _font, size):
        if "本组信息员" in text.replace("\x00", ""):
            sizes.append(size * tm[0])

    page = PdfReader(str(out)).pages[0]
    assert "本组信息员：阿卜杜热合曼·买买提江  0535-66123456" in page.extract_text(
        visitor_text=visit
    ).replace("\x00", "")
    assert sizes and all(6 <= s < 8.5 for s in sizes), sizes
    # on a day before her term the card names nobody
    with village_ws.work(village_admin) as w:
        write_cards(w, ids, out, today=D(2024, 2, 1))
    assert "信息员" not in PdfReader(str(out)).pages[0].extract_text().replace("\x00", "")


def test_the_informants_ledger_lists_every_term_with_the_last_report(village_ws, village_admin, tmp_path):
    _cadre, people = village(village_ws)
    wang = appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 3, 1), "热心")
    with village_ws.work(village_admin) as w:
        entries.save_entry(w, report(wang.id), now=NOW)
        appointments.end_appointment(w, wang.id, D(2024, 5, 31), reason="外出务工", today=TODAY)
    appoint(village_ws, village_admin, people["赵大山"][1], "二组", D(2024, 6, 1))
    out = tmp_path / "信息员.xlsx"
    with village_ws.work(village_admin) as w:
        assert export_informants(w, out, village_name="张家村", today=TODAY) == 2
    ws = load_workbook(out).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[0][0] == "张家村群众工作信息员台账  导出日期 2024年6月1日"
    assert rows[1] == (
        "序号",
        "组",
        "信息员",
        "联系电话",
        "任职日期",
        "任期结束",
        "结束原因",
        "最近一次报告",
        "备注",
    )
    assert rows[2][:4] == (1, "二组", "赵大山", None) or rows[2][:3] == (1, "二组", "赵大山")
    assert rows[3][1:8] == (
        "二组",
        "王秀英",
        "13912345678",
        dt.datetime(2024, 3, 1),
        dt.datetime(2024, 5, 31),
        "外出务工",
        dt.datetime(2024, 5, 31),
    )
    assert ws["D4"].data_type == "s"  # the phone is text


def test_the_command_line_exports_the_ledger_and_stats_count_informants(village_ws, village_admin, tmp_path):
    from app.cli import main

    _cadre, people = village(village_ws)
    appoint(village_ws, village_admin, people["王秀英"][1], "二组", D(2024, 3, 1))
    with village_ws.session() as s:
        assert live_counts(s)[VILLAGE_CODE]["informants"] == 1
    root = village_ws.root
    village_ws.close()
    out = tmp_path / "台账.xlsx"
    assert main(["informants", "export", str(out), "--data-dir", str(root)]) == 0
    assert load_workbook(out).active["C3"].value == "王秀英"


# -- sync ------------------------------------------------------------------------------------------------
def _admin(ws: Workspace) -> User:
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


@pytest.fixture
def stations(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    first = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    yield town, first
    first.close()
    town.close()


def _resident(ws, group=None) -> str:
    with ws.new_session() as s:
        taken = set(s.scalars(select(Informant.person_id)))
        q = select(Person.id).where(Person.status == "在册", Person.deleted_at.is_(None)).order_by(Person.id)
        return next(p for p in s.scalars(q) if p not in taken)


def test_informants_and_their_reports_travel_to_the_town(stations, tmp_path):
    town, village_ws = stations
    admin = _admin(village_ws)
    with village_ws.work(admin) as w:
        serving = appointments.informant_list(w, include_ended=False)
        inf = serving[0]
        appointments.end_appointment(w, inf.id, D(2024, 6, 1), reason="身体原因", today=D(2024, 6, 1))
        e = entries.save_entry(
            w, report(inf.id, dt.datetime(2024, 6, 1, 8, 0)), now=dt.datetime(2024, 6, 1, 9, 0)
        )
    stick = tmp_path / "stick"
    stick.mkdir()
    (b,) = import_bundles(town, [export_one(village_ws, stick)]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 0
    for record_type in ("informants", "diary_entries"):
        assert (
            synced_rows(town, VILLAGE_CODE)[record_type] == synced_rows(village_ws, VILLAGE_CODE)[record_type]
        )
    with town.new_session() as s:
        assert s.get(Informant, inf.id).end_reason == "身体原因"
        assert s.get(DiaryEntry, e.id).informant_id == inf.id  # the new column came along
    clerk = _admin(town)
    with town.work(clerk) as w:
        rows = appointments.informant_list(w, village_code=VILLAGE_CODE)
        assert inf.id in {r.id for r in rows}
        assert {r.village_code for r in appointments.informant_list(w)} == {VILLAGE_CODE, SECOND_VILLAGE[0]}
        with pytest.raises(UserError, match="乡镇工作站"):
            appointments.appoint(w, appointments.Appointment(inf.person_id, inf.group_name, D(2024, 6, 1)))


def test_an_informant_who_lives_in_another_village_is_refused(stations, tmp_path):
    """A 张家村 bundle whose informant is a 李家村 resident (the town holds that person): refused."""
    town, village_ws = stations
    admin = _admin(village_ws)
    with village_ws.work(admin) as w:
        mine = appointments.informant_list(w, include_ended=False)[0]
        appointments.end_appointment(w, mine.id, D(2024, 6, 1), today=D(2024, 6, 1))
    stick = tmp_path / "stick"
    stick.mkdir()
    up = export_one(village_ws, stick)
    m, sections = open_bundle(up, town)
    doc = section_doc(sections, "informants")
    cols = doc["columns"]
    with town.new_session() as s:
        theirs = s.scalars(select(Person.id).where(Person.village_code == SECOND_VILLAGE[0])).first()
    row = dict(zip(cols, next(r for r in doc["rows"] if r[cols.index("id")] == mine.id), strict=True))
    row.update(person_id=theirs)
    forged = forge_bundle(
        village_ws,
        town,
        m,
        with_rows(sections, "informants", [[row[c] for c in cols]], replace=True),
        stick / "f.mqb",
    )
    (b,) = import_bundles(town, [forged]).bundles
    assert [(r.record_type, r.record_id, r.reason) for r in b.rejections] == [
        ("informants", mine.id, "“人员”引用了其他村的记录")
    ]
    with town.new_session() as s:
        assert s.get(Informant, mine.id) is None or s.get(Informant, mine.id).person_id != theirs


def test_a_report_naming_another_villages_informant_is_refused(stations, tmp_path):
    """A 张家村 bundle whose 信息员报告 names a 李家村 informant (the town holds that one): refused."""
    town, village_ws = stations
    admin = _admin(village_ws)
    with village_ws.work(admin) as w:
        inf = appointments.informant_list(w, include_ended=False)[0]
        e = entries.save_entry(
            w, report(inf.id, dt.datetime(2024, 5, 31, 8, 0)), now=dt.datetime(2024, 6, 1, 9, 0)
        )
    stick = tmp_path / "stick"
    stick.mkdir()
    m, sections = open_bundle(export_one(village_ws, stick), town)
    doc = section_doc(sections, "diary_entries")
    cols = doc["columns"]
    with town.new_session() as s:
        theirs = s.scalars(select(Informant.id).where(Informant.village_code == SECOND_VILLAGE[0])).first()
    rows = [list(r) for r in doc["rows"]]
    for r in rows:
        if r[cols.index("id")] == e.id:
            r[cols.index("informant_id")] = theirs
    forged = forge_bundle(
        village_ws, town, m, with_rows(sections, "diary_entries", rows, replace=True), stick / "f.mqb"
    )
    (b,) = import_bundles(town, [forged]).bundles
    assert [
        (r.record_type, r.record_id, r.reason) for r in b.rejections if r.record_type == "diary_entries"
    ] == [("diary_entries", e.id, "“信息员”引用了其他村的记录")]


def test_a_town_that_sends_an_informant_down_is_refused_at_the_village(stations, tmp_path):
    town, village_ws = stations
    stick = tmp_path / "stick"
    stick.mkdir()
    import_bundles(town, [export_one(village_ws, stick)])
    person = _resident(village_ws)
    with without_town_rule(), town.session() as s:  # a dishonest town writes around the services
        s.add(
            Informant(village_code=VILLAGE_CODE, person_id=person, group_name="一组", start_on=D(2024, 6, 1))
        )
    from app.sync.export import export_bundles

    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    (got,) = import_bundles(village_ws, [down.path]).bundles
    assert [(r.record_type, r.reason) for r in got.rejections] == [("informants", "乡镇不能新建本村的记录")]
    with village_ws.new_session() as s:
        assert s.scalars(select(Informant).where(Informant.person_id == person)).first() is None
    json.dumps([r.reason for r in got.rejections], ensure_ascii=False)
