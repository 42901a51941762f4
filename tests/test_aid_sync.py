"""帮扶 through real bundles: a village's 帮扶记录 and 帮扶对子 arrive at the town as they were written, and
the authority rule (village-owned, app/ownership.py, docs/bundle-format.md) refuses what a dishonest
village or town could send: aid hung on another village's household, a town creating or changing a
village's aid, a record that breaks the rules the services keep (kind, amount)."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from sqlalchemy import select

from db.models import AidPair, AidRecord, User

from app.aid import pairs, records
from app.aid.records import AidInput
from app.stations import init_station
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import (
    add_household,
    enroll_village,
    forge_bundle,
    open_bundle,
    section_doc,
    synced_rows,
    with_rows,
    without_town_rule,
)

B_CODE, B_NAME = "370681101202", "李家村"
TODAY = dt.date(2024, 6, 1)


def _admin(ws: Workspace) -> User:
    with ws.session() as s:
        code = ws.require_station().code
        user = s.scalars(select(User).where(User.username == "admin", User.village_code == code)).one()
        s.expunge(user)
    return user


@pytest.fixture
def town_of_two(village_ws, town_ws, templates, tmp_path):
    """Village A (张家村) with a household, its aid and a pair; village B (李家村) with a household; both
    imported at the town."""
    enroll_village(village_ws, town_ws, tmp_path)
    b = Workspace.open(tmp_path / "village-b", credentials=ADMIN)
    init_station(
        b,
        kind="village",
        code=B_CODE,
        name=B_NAME,
        town_card=templates["town_card"],
        admin_user="admin",
        admin_password=ADMIN_PASSWORD,
    )
    enroll_village(b, town_ws, tmp_path)
    stick = tmp_path / "stick"
    stick.mkdir()
    ha = add_household(village_ws, "张建国", ("张小红",))
    admin = _admin(village_ws)
    with village_ws.work(admin) as w:
        rid = records.save_aid(
            w,
            AidInput(ha, TODAY, "资金", amount="800", policy="临时救助", giver_unit="镇民政办"),
            today=TODAY,
        )
        pid = pairs.start_pair(w, ha, admin.id, dt.date(2024, 1, 1), today=TODAY)
    hb = add_household(b, "李桂兰", ("王强",))
    (a_up,) = export_bundles(village_ws, stick)
    (b_up,) = export_bundles(b, stick)
    report = import_bundles(town_ws, [a_up.path, b_up.path])
    assert [x.status for x in report.bundles] == ["imported", "imported"]
    yield village_ws, b, town_ws, stick, a_up.path, ha, hb, rid, pid
    b.close()


def test_aid_and_pairs_arrive_at_the_town_as_written(town_of_two):
    a, _b, town, _stick, _up, _ha, _hb, rid, pid = town_of_two
    village = synced_rows(a, VILLAGE_CODE)
    at_town = synced_rows(town, VILLAGE_CODE)
    assert village["aid_records"] and village["aid_records"] == at_town["aid_records"]
    assert village["aid_pairs"] and village["aid_pairs"] == at_town["aid_pairs"]
    with town.session() as s:
        assert s.get(AidRecord, rid).amount_fen == 80000
        assert s.get(AidPair, pid).end_on is None


def test_an_ended_pair_travels_with_its_history(town_of_two):
    a, _b, town, stick, _up, ha, _hb, _rid, pid = town_of_two
    with a.work(_admin(a)) as w:
        new_pid = pairs.change_pair(w, pid, _second_cadre(w), TODAY, today=TODAY)
    (up,) = export_bundles(a, stick)
    (b,) = import_bundles(town, [up.path]).bundles
    assert b.status == "imported" and not b.counts.get("rejected")
    with town.session() as s:
        rows = s.scalars(select(AidPair).where(AidPair.household_id == ha).order_by(AidPair.start_on)).all()
        assert {p.id for p in rows} == {pid, new_pid}
        assert s.get(AidPair, pid).end_on == TODAY and s.get(AidPair, pid).end_reason == "调整帮扶责任人"
        assert s.get(AidPair, new_pid).end_on is None


def _second_cadre(w) -> str:
    from app import accounts

    return accounts.add_user(
        w, username="cadre2", display_name="李四", password="pass-word-2", roles=["cadre"]
    ).id


def _stamp(a: Workspace, manifest: dict) -> dict:
    me = a.require_station().id
    return {
        "village_code": VILLAGE_CODE,
        "origin_station": me,
        "changed_station": me,
        "version": manifest["counter"]["to"],
        "created_at": "2024-06-01 00:00:00.000000",
        "updated_at": "2024-06-01 00:00:00.000000",
    }


def _aid_row(columns, **values):
    base = {
        "id": str(uuid.uuid4()),
        "given_on": "2024-05-20",
        "kind": "资金",
        "amount_fen": 50000,
        "goods": "",
        "policy": "临时救助",
        "giver_unit": "镇民政办",
        "note": "",
    }
    base.update(values)
    return [base.get(c) for c in columns]


def test_aid_hung_on_another_villages_household_is_refused(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, hb, _rid, _pid = town_of_two
    b_before = synced_rows(town, B_CODE)
    m, sections = open_bundle(a_up, town)
    cols = section_doc(sections, "aid_records")["columns"]
    forged = with_rows(sections, "aid_records", [_aid_row(cols, household_id=hb, **_stamp(a, m))])
    (b,) = import_bundles(town, [forge_bundle(a, town, m, forged, tmp_path / "f.mqb", sequence=2)]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 1
    assert [(r.record_type, r.reason) for r in b.rejections] == [
        ("aid_records", "“所属户”引用了其他村的记录")
    ]
    assert synced_rows(town, B_CODE) == b_before


@pytest.mark.parametrize(
    ("values", "reason"),
    [
        ({"kind": "红包"}, "帮扶记录不合规定：帮扶类别"),
        ({"amount_fen": -500}, "帮扶记录不合规定：金额"),
        ({"amount_fen": "500"}, "（amount_fen）“500”不是整数"),  # (a text where a number belongs: any table)
        ({"kind": "资金", "amount_fen": None}, "资金帮扶请填写金额"),
        ({"giver_unit": ""}, "帮扶人"),
        ({"given_on": "2024-13-40"}, "（given_on）“2024-13-40”不是日期"),
    ],
)
def test_an_aid_record_that_breaks_the_services_rules_is_refused(town_of_two, tmp_path, values, reason):
    a, _b, town, _stick, a_up, ha, _hb, _rid, _pid = town_of_two
    before = synced_rows(town, VILLAGE_CODE)
    m, sections = open_bundle(a_up, town)
    cols = section_doc(sections, "aid_records")["columns"]
    row = _aid_row(cols, household_id=ha, **_stamp(a, m))
    for k, v in values.items():
        row[cols.index(k)] = v
    forged = with_rows(sections, "aid_records", [row])
    (b,) = import_bundles(town, [forge_bundle(a, town, m, forged, tmp_path / "f.mqb", sequence=2)]).bundles
    assert b.counts["rejected"] == 1, b.rejections
    (r,) = b.rejections
    assert r.record_type == "aid_records" and reason in r.reason, r.reason
    assert synced_rows(town, VILLAGE_CODE)["aid_records"] == before["aid_records"]


def test_a_pair_ending_before_it_began_is_refused(town_of_two, tmp_path):
    a, _b, town, _stick, a_up, _ha, _hb, _rid, pid = town_of_two
    m, sections = open_bundle(a_up, town)
    doc = section_doc(sections, "aid_pairs")
    cols = doc["columns"]
    row = list(doc["rows"][0])
    row[cols.index("end_on")] = "2023-01-01"
    row[cols.index("end_reason")] = "已脱困"
    m["counter"]["to"] += 1  # a later change of the same pair
    row[cols.index("version")] = m["counter"]["to"]
    forged = with_rows(sections, "aid_pairs", [row], replace=True)
    (b,) = import_bundles(town, [forge_bundle(a, town, m, forged, tmp_path / "p.mqb", sequence=2)]).bundles
    assert b.counts["rejected"] == 1 and "早于结对日期" in b.rejections[0].reason
    with town.session() as s:
        assert s.get(AidPair, pid).end_on is None


def test_a_town_sending_aid_rows_down_is_refused_at_the_village(town_of_two):
    """A dishonest town (its program edited around the services) creates a 帮扶记录 for the village and
    changes the village's own: the village refuses both in its 下发包 and keeps what it had."""
    a, _b, town, stick, _up, ha, _hb, rid, _pid = town_of_two
    before = synced_rows(a, VILLAGE_CODE)
    with without_town_rule(), town.session() as s:
        s.get(AidRecord, rid).amount_fen = 9_900_000
        s.add(
            AidRecord(
                household_id=ha,
                village_code=VILLAGE_CODE,
                given_on=TODAY,
                kind="物资",
                goods="镇里补录的大米",
                policy="",
                giver_unit="镇政府",
                note="",
            )
        )
    downs = [r for r in export_bundles(town, stick) if VILLAGE_CODE in r.path.name]
    (b,) = import_bundles(a, [downs[0].path]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 2 and b.counts["new"] == 0
    reasons = sorted(r.reason for r in b.rejections)
    assert any("乡镇不能新建本村的记录" in x for x in reasons), reasons
    assert any("乡镇只能填写自己的处理和答复" in x for x in reasons), reasons
    assert synced_rows(a, VILLAGE_CODE) == before


def test_a_villages_first_bundle_with_an_aid_record_that_breaks_the_rules_is_refused(
    village_ws, town_ws, tmp_path
):
    """A first import takes a fast path (every row new, made by the sender): 帮扶's rules still apply to
    each of its rows, as to a later bundle's."""
    enroll_village(village_ws, town_ws, tmp_path)
    ha = add_household(village_ws, "张建国", ("张小红",))
    with village_ws.work(_admin(village_ws)) as w:
        records.save_aid(
            w,
            AidInput(ha, TODAY, "资金", amount="800", policy="临时救助", giver_unit="镇民政办"),
            today=TODAY,
        )
    stick = tmp_path / "stick"
    stick.mkdir()
    (up,) = export_bundles(village_ws, stick)
    m, sections = open_bundle(up.path, town_ws)
    doc = section_doc(sections, "aid_records")
    (row,) = doc["rows"]
    row[doc["columns"].index("kind")] = "红包"
    forged = with_rows(sections, "aid_records", [row], replace=True)
    (b,) = import_bundles(town_ws, [forge_bundle(village_ws, town_ws, m, forged, tmp_path / "f.mqb")]).bundles
    assert b.counts["rejected"] == 1, b.rejections
    (r,) = b.rejections
    assert r.record_type == "aid_records" and "帮扶类别" in r.reason
    assert synced_rows(town_ws, VILLAGE_CODE)["aid_records"] == []
