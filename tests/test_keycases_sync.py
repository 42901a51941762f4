"""联户包案 across sync: a village-opened 包案 goes up in the 上报包; a town-opened one is the town's and
comes down in the 下发包; each side's rows are refused from the other (app/ownership.py, the
"Authority" table of docs/bundle-format.md)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Household, KeyCase, KeyCaseMember, KeyCasePlan, User

from app import accounts, todo
from app.errors import UserError
from app.keycases import cases
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, TOWN_CODE, VILLAGE_CODE
from tests.keycases_helpers import case_input
from tests.sync_support import (
    SECOND_VILLAGE,
    export_one,
    forge_bundle,
    open_bundle,
    section_doc,
    synced_rows,
    with_rows,
)


def _admin(ws: Workspace) -> User:
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


@pytest.fixture
def stations(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    second = Workspace.open(two_villages["second"], create=False, credentials=ADMIN)
    yield town, village, second
    second.close()
    village.close()
    town.close()


def _household(ws: Workspace, code: str = VILLAGE_CODE) -> str:
    with ws.session() as s:
        return s.scalars(
            select(Household.id)
            .where(Household.village_code == code, Household.deleted_at.is_(None))
            .order_by(Household.id)
        ).first()


def _stick(tmp_path):
    stick = tmp_path / "stick"
    stick.mkdir(exist_ok=True)
    return stick


def test_a_village_case_goes_up_and_the_town_reads_but_cannot_change_it(stations, tmp_path):
    town, village, _second = stations
    stick = _stick(tmp_path)
    with village.work(_admin(village)) as w:
        case_id = cases.open_case(w, case_input(_household(village)))
        cases.revise_plan(w, case_id, "第二版方案", now=dt.datetime(2024, 5, 1, 9))
    (up,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert up.status == "imported" and up.counts["rejected"] == 0
    clerk = _admin(town)
    with town.work(clerk) as w:
        d = cases.case_detail(w, case_id)
        assert d.owner_label == "村里开立" and not d.editable and "乡镇只能查看" in d.why_read_only
        assert [p.revision for p in d.plans] == [1, 2]
        assert case_id in [r.id for r in cases.list_cases(w)]
        with pytest.raises(UserError) as refused:
            cases.revise_plan(w, case_id, "乡镇改的方案")
        assert "只能查看" in refused.value.message
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)


def test_a_town_case_comes_down_and_the_village_reads_but_cannot_change_it(stations, tmp_path):
    town, village, _second = stations
    stick = _stick(tmp_path)
    clerk = _admin(town)
    household_id = _household(town)
    with town.work(clerk) as w:
        town_cadre = accounts.add_user(
            w,
            username="liuzq",
            display_name="刘志强",
            password="secret-1",
            roles=["town_staff"],
            title="党委副书记",
        )
        w.session.flush()
        town_cadre_id = town_cadre.id
        choices = cases.people_choices(w, VILLAGE_CODE)
        assert {c.user_id for c in choices} >= {town_cadre_id}
        case_id = cases.open_case(
            w,
            case_input(household_id, cases.PersonRef("", user_id=town_cadre_id)),
            now=dt.datetime(2024, 3, 1, 9),
        )
        entry = next(c for c in cases.link_choices(w, case_id) if c.table == "diary_entry")
        cases.link_record(w, case_id, "diary_entry", entry.target_id)
        with w.session.no_autoflush:
            row = w.session.get(KeyCase, case_id)
            assert (row.owner_unit, row.village_code) == (TOWN_CODE, VILLAGE_CODE)
    # the town cadre leading it finds it in the town's 今日待办 once no diary entry met the household lately
    with town.work(None) as w:
        leader = w.session.get(User, town_cadre_id)
        w.session.expunge(leader)
    with town.work(leader) as w:
        (item,) = [i for i in todo.collect(w, dt.date(2030, 1, 1)) if i.kind == "keycase_no_contact"]
        assert item.record_id == case_id and item.page == "keycases"
    from ui.home import TOWN_SECTIONS

    assert "keycase_no_contact" in dict(TOWN_SECTIONS)
    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    assert down.counts["keycases"] == 1 and down.counts["keycase_links"] == 1
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 0, b.rejections
    admin = _admin(village)
    with village.work(admin) as w:
        d = cases.case_detail(w, case_id)
        # the town's cadre has no account at the village: the name and unit the town wrote are shown
        assert d.leader.person.label == "刘志强（党委副书记）"
        assert d.owner_label == "乡镇开立" and not d.editable and "村里只能查看" in d.why_read_only
        assert [ln.target_id for ln in d.links] == [entry.target_id]
        with pytest.raises(UserError) as refused:
            cases.request_close(w, case_id, reason="村里想销号", on=dt.date(2024, 5, 1))
        assert "由乡镇开立" in refused.value.message
    # the town's later change comes down as an update; the village's next bundle carries none of it
    with town.work(clerk) as w:
        cases.request_close(w, case_id, reason="已息诉罢访", on=dt.date(2024, 5, 1))
        cases.approve_close(w, case_id, approver="王立新（镇信访办）", on=dt.date(2024, 5, 2))
    (down2,) = export_bundles(town, stick, village=VILLAGE_CODE)
    (b2,) = import_bundles(village, [down2.path]).bundles
    assert b2.counts["rejected"] == 0 and b2.counts["conflicts"] == 0
    with village.work(admin) as w:
        assert cases.case_detail(w, case_id).state == "已销号"
    up = export_one(village, stick)
    _m, sections = open_bundle(up, town)
    assert section_doc(sections, "keycases")["rows"] == []
    (b3,) = import_bundles(town, [up]).bundles
    assert b3.counts["rejected"] == 0
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)


def test_the_town_opens_cases_only_for_its_villages_households(stations):
    town, _village, _second = stations
    clerk = _admin(town)
    from tests.sync_support import without_town_rule

    with without_town_rule(), town.session() as s:  # a household of another town's village, held here
        alien = Household(head_name="外镇户", group_name="一组", village_code="370681102201")
        s.add(alien)
        s.flush()
        alien_id = alien.id
    for household_id in (alien_id, "no-such-household"):
        with pytest.raises(UserError) as refused, town.work(clerk) as w:
            cases.open_case(w, case_input(household_id))
        assert refused.value.field == "household"


def _town_case_at_village(town: Workspace, village: Workspace, stick) -> str:
    with town.work(_admin(town)) as w:
        case_id = cases.open_case(w, case_input(_household(town)), now=dt.datetime(2024, 3, 1, 9))
    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    import_bundles(village, [down.path])
    return case_id


def test_a_village_sending_a_change_of_the_towns_case_is_refused(stations, tmp_path):
    town, village, _second = stations
    stick = _stick(tmp_path)
    case_id = _town_case_at_village(town, village, stick)
    # a dishonest village program writes into the town's 包案 and its plan, past the service
    with village.session() as s:
        s.get(KeyCase, case_id).department = "村里改的部门"
        plan = s.scalars(select(KeyCasePlan).where(KeyCasePlan.keycase_id == case_id)).one()
        forged = KeyCasePlan(
            keycase_id=case_id,
            owner_unit=VILLAGE_CODE,
            revision=2,
            text="村里加的方案",
            written_at=dt.datetime(2024, 5, 1),
        )
        s.add(forged)
        s.flush()
        forged_id, plan_id = forged.id, plan.id
    (b,) = import_bundles(town, [export_one(village, stick)]).bundles
    reasons = {r.record_id: r.reason for r in b.rejections}
    assert "由乡镇开立" in reasons[case_id]
    assert "由乡镇开立" in reasons[forged_id]
    with town.session() as s:
        assert s.get(KeyCase, case_id).department == "镇国土所"
        assert s.get(KeyCasePlan, forged_id) is None and s.get(KeyCasePlan, plan_id).revision == 1


def test_a_village_cannot_take_over_the_towns_case_by_rewriting_its_owner(stations, tmp_path):
    town, village, _second = stations
    stick = _stick(tmp_path)
    case_id = _town_case_at_village(town, village, stick)
    with village.session() as s:
        row = s.get(KeyCase, case_id)
        row.owner_unit = VILLAGE_CODE
        row.department = "村里改的部门"
    (b,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert any(r.record_id == case_id and "开立单位不能改变" in r.reason for r in b.rejections)
    with town.session() as s:
        assert s.get(KeyCase, case_id).owner_unit == TOWN_CODE


def test_a_case_for_another_villages_household_is_refused(stations, tmp_path):
    town, village, second = stations
    stick = _stick(tmp_path)
    with village.work(_admin(village)) as w:
        case_id = cases.open_case(w, case_input(_household(village)))
    up = export_one(village, stick)
    m, sections = open_bundle(up, town)
    doc = section_doc(sections, "keycases")
    cols = doc["columns"]
    (row,) = [r for r in doc["rows"] if r[cols.index("id")] == case_id]
    row[cols.index("household_id")] = _household(town, SECOND_VILLAGE[0])  # 李家村's household
    forged = forge_bundle(
        village, town, m, with_rows(sections, "keycases", doc["rows"], replace=True), tmp_path / "f.mqb"
    )
    (b,) = import_bundles(town, [forged]).bundles
    assert any(r.record_id == case_id and "其他村" in r.reason for r in b.rejections)
    with town.session() as s:
        assert s.get(KeyCase, case_id) is None


def test_the_town_cannot_send_down_a_change_of_a_villages_case(stations, tmp_path):
    town, village, _second = stations
    stick = _stick(tmp_path)
    with village.work(_admin(village)) as w:
        case_id = cases.open_case(w, case_input(_household(village)))
    import_bundles(town, [export_one(village, stick)])
    # a dishonest town program changes the village's 包案 and adds a 包案领导 to it, past the rule
    from tests.sync_support import without_town_rule

    with without_town_rule(), town.session() as s:
        s.get(KeyCase, case_id).department = "乡镇改的部门"
        member = KeyCaseMember(
            keycase_id=case_id,
            owner_unit=TOWN_CODE,
            village_code=VILLAGE_CODE,
            role="包案领导",
            name="镇里指定",
            from_on=dt.date(2024, 5, 1),
        )
        s.add(member)
        s.flush()
        member_id = member.id
    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    (b,) = import_bundles(village, [down.path]).bundles
    reasons = {r.record_id: r.reason for r in b.rejections}
    assert "由村里开立" in reasons[case_id] and "由村里开立" in reasons[member_id]
    with village.session() as s:
        assert s.get(KeyCase, case_id).department == "镇国土所" and s.get(KeyCaseMember, member_id) is None


def test_the_town_rule_refuses_an_orm_write_into_a_villages_case_and_takes_the_towns_own(stations, tmp_path):
    town, village, _second = stations
    stick = _stick(tmp_path)
    with village.work(_admin(village)) as w:
        case_id = cases.open_case(w, case_input(_household(village)))
    import_bundles(town, [export_one(village, stick)])
    with pytest.raises(UserError) as refused, town.work(_admin(town)) as w:
        row = w.session.get(KeyCase, case_id)
        row.owner_unit = TOWN_CODE  # a takeover: the owner before the change was the village
        w.session.flush()
    assert "乡镇工作站不能录入或修改村里的联户包案" in str(refused.value)
