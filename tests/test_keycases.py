"""干部联户包案 at a village: the 五个一 and 四到位, history kept (leader, team, plan, states), 销号 with
reason and approver, who sees it, the 包案领导's 今日待办 and the month's facts for the 点评会 pack."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from db.models import KeyCase, KeyCaseMember, KeyCasePlan

from app import todo
from app.errors import UserError
from app.keycases import cases
from app.keycases.facts import month_facts
from app.keycases.todo import todo_items

from tests.households_helpers import add_user
from tests.keycases_helpers import OPENED, case_input, village_with_case, visit
from tests.sync_support import content_dump


def test_a_case_holds_the_five_ones_and_the_four_in_place(village_ws, village_admin):
    cadre, household_id, person_id, case_id = village_with_case(village_ws, village_admin)
    with village_ws.work(village_admin) as w:
        d = cases.case_detail(w, case_id)
    assert d.leader.person.name == "王建国" and d.leader.person.user_id == cadre.id
    assert [m.person.label for m in d.team] == ["张海（村网格员）"]
    assert d.plan.revision == 1 and d.plan.text.startswith("一、重新勘测")
    assert (d.department, d.stabilization) == ("镇国土所", "包案领导每月见面一次")
    assert d.four_applied == [("解决问题到位", "核实诉求，合理部分限期解决"), ("疏导教育到位", "讲清政策")]
    assert d.state == "在办" and d.owner_label == "村里开立" and d.editable
    assert d.person_name == "张三丰" and d.household.startswith("张三丰户")
    assert [(s.from_state, s.to_state) for s in d.history] == [("", "在办")]


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"title": " "}, "title", "案由"),
        ({"department": ""}, "department", "责任部门"),
        ({"stabilization": ""}, "stabilization", "稳控措施"),
        ({"plan": ""}, "plan", "化解方案"),
        ({"team": []}, "team", "工作班子"),
        ({"steps": {}}, "steps", "四到位"),
        ({"steps": {"steps_magic": "x"}}, "steps", "四到位"),
        ({"leader": cases.PersonRef("")}, "leader", "包案领导"),
        ({"opened_on": dt.date(2999, 1, 1)}, "opened_on", "开立日期"),
    ],
)
def test_bad_input_names_the_field_and_changes_nothing(village_ws, village_admin, change, field, words):
    from tests.diary_helpers import add_household

    household_id, _p, _o = add_household(village_ws)
    before = content_dump(village_ws)
    with pytest.raises(UserError) as refused, village_ws.work(village_admin) as w:
        cases.open_case(
            w, case_input(household_id, **{"leader": cases.PersonRef("李书记", "东城镇"), **change})
        )
    assert refused.value.field == field and words in refused.value.message
    assert content_dump(village_ws) == before


def test_leader_team_and_plan_changes_are_dated_rows_not_overwrites(village_ws, village_admin):
    cadre, _h, _p, case_id = village_with_case(village_ws, village_admin)
    with village_ws.work(village_admin) as w:
        cases.revise_plan(
            w, case_id, "一、重新勘测；二、协调会；三、引导确权裁决。", now=dt.datetime(2024, 4, 1, 10)
        )
        cases.change_leader(
            w,
            case_id,
            cases.PersonRef("刘志强", "东城镇党委副书记"),
            on=dt.date(2024, 4, 10),
            note="分工调整",
        )
        grid = next(m for m in cases.case_detail(w, case_id).team)
        cases.end_member(w, grid.id, on=dt.date(2024, 4, 20), note="调往他村")
        cases.add_team_member(w, case_id, cases.PersonRef("", user_id=cadre.id), on=dt.date(2024, 4, 20))
        d = cases.case_detail(w, case_id)
    assert [p.revision for p in d.plans] == [1, 2] and d.plan.text.endswith("引导确权裁决。")
    assert all(p.author_name == "村管理员" for p in d.plans)
    leaders = [(m.person.name, m.from_on, m.until_on, m.end_note) for m in d.members if m.role == "包案领导"]
    assert leaders == [
        ("王建国", OPENED, dt.date(2024, 4, 10), "分工调整"),
        ("刘志强", dt.date(2024, 4, 10), None, ""),
    ]
    assert d.leader.person.label == "刘志强（东城镇党委副书记）"
    assert [m.person.name for m in d.team] == ["王建国"]
    assert any(m.person.name == "张海" and m.until_on == dt.date(2024, 4, 20) for m in d.members)
    with village_ws.session() as s:
        assert s.scalar(select(func.count()).select_from(KeyCaseMember)) == 4
        assert s.scalar(select(func.count()).select_from(KeyCasePlan)) == 2


def test_closing_needs_a_reason_and_an_approver_and_keeps_the_state_history(village_ws, village_admin):
    _c, _h, _p, case_id = village_with_case(village_ws, village_admin)
    with pytest.raises(UserError) as no_request, village_ws.work(village_admin) as w:
        cases.approve_close(w, case_id, approver="王主任", on=dt.date(2024, 5, 1))
    assert "申请销号" in no_request.value.message
    with pytest.raises(UserError) as no_reason, village_ws.work(village_admin) as w:
        cases.request_close(w, case_id, reason=" ", on=dt.date(2024, 5, 1))
    assert no_reason.value.field == "close_reason"
    with village_ws.work(village_admin) as w:
        cases.request_close(w, case_id, reason="已达成协议，息诉罢访", on=dt.date(2024, 5, 1))
        cases.return_to_open(w, case_id, note="协议尚未履行", on=dt.date(2024, 5, 3))
        cases.request_close(w, case_id, reason="协议已履行，息诉罢访", on=dt.date(2024, 5, 20))
    with pytest.raises(UserError) as no_approver, village_ws.work(village_admin) as w:
        cases.approve_close(w, case_id, approver="", on=dt.date(2024, 5, 21))
    assert no_approver.value.field == "close_approver"
    with village_ws.work(village_admin) as w:
        cases.approve_close(
            w,
            case_id,
            approver="王立新（镇信访办主任）",
            resident_view="满意，不再上访",
            on=dt.date(2024, 5, 21),
        )
        d = cases.case_detail(w, case_id)
    assert (d.state, d.closed_on, d.close_approver, d.resident_view) == (
        "已销号",
        dt.date(2024, 5, 21),
        "王立新（镇信访办主任）",
        "满意，不再上访",
    )
    assert d.close_reason == "协议已履行，息诉罢访"
    assert [s.to_state for s in d.history] == ["在办", "申请销号", "在办", "申请销号", "已销号"]
    assert not d.editable and "已销号" in d.why_read_only
    with pytest.raises(UserError), village_ws.work(village_admin) as w:
        cases.revise_plan(w, case_id, "改")


def test_links_point_to_the_households_records_and_never_another_villages(village_ws, village_admin):
    cadre, household_id, _p, case_id = village_with_case(village_ws, village_admin)
    entry_id = visit(village_ws, cadre, household_id, dt.datetime(2024, 3, 5, 10))
    with village_ws.work(village_admin) as w:
        choices = cases.link_choices(w, case_id)
        assert [c.target_id for c in choices if c.table == "diary_entry"] == [entry_id]
        cases.link_record(w, case_id, "diary_entry", entry_id)
        cases.link_record(w, case_id, "diary_entry", entry_id)  # twice: one link
        (link,) = cases.case_detail(w, case_id).links
        assert link.kind == "民情日记" and link.when == dt.date(2024, 3, 5)
        cases.unlink_record(w, link.id)
        assert cases.case_detail(w, case_id).links == ()
        cases.link_record(w, case_id, "diary_entry", entry_id)  # the same row revived
        assert len(cases.case_detail(w, case_id).links) == 1
        with pytest.raises(UserError) as bad:
            cases.link_record(w, case_id, "household", household_id)
        assert bad.value.field == "links"


def test_a_role_without_sensitive_tags_sees_no_case(village_ws, village_admin):
    _c, _h, _p, case_id = village_with_case(village_ws, village_admin)
    mediator = add_user(village_ws, "tiaojie", ["mediator"])
    with village_ws.work(mediator) as w:
        for call in (
            lambda: cases.list_cases(w),
            lambda: cases.case_detail(w, case_id),
            lambda: cases.count_by_state(w),
            lambda: cases.link_choices(w, case_id),
        ):
            with pytest.raises(UserError) as refused:
                call()
            assert "敏感" in refused.value.message
        assert todo_items(w, dt.date(2024, 6, 1)) == []
    with village_ws.work(village_admin) as w:
        assert [r.id for r in cases.list_cases(w)] == [case_id]


def test_the_leaders_todo_names_cases_without_contact_in_the_interval(village_ws, village_admin):
    cadre, household_id, _p, case_id = village_with_case(village_ws, village_admin)
    assert "app.keycases.todo:todo_items" in todo.TODO_PROVIDERS
    with village_ws.work(cadre) as w:
        (item,) = [i for i in todo.collect(w, dt.date(2024, 4, 15)) if i.kind == "keycase_no_contact"]
        assert item.record_id == case_id and item.page == "keycases"
        assert "开立以来没有联系记录" in item.detail and "30 天" in item.detail
        assert todo_items(w, dt.date(2024, 3, 20)) == []  # within the interval of the opening
    with village_ws.work(village_admin) as w:  # the admin leads nothing
        assert todo_items(w, dt.date(2024, 4, 15)) == []
    visit(village_ws, cadre, household_id, dt.datetime(2024, 4, 10, 9))
    with village_ws.work(cadre) as w:
        assert todo_items(w, dt.date(2024, 4, 15)) == []
        (late,) = todo_items(w, dt.date(2024, 5, 20))
        assert "上次联系 2024年4月10日" in late.detail
    with village_ws.work(village_admin) as w:
        cases.set_contact_days(w, 60)
        with pytest.raises(UserError) as bad:
            cases.set_contact_days(w, 0)
        assert bad.value.field == "contact_days"
    with village_ws.work(cadre) as w:
        assert todo_items(w, dt.date(2024, 5, 20)) == []
    # a new 包案领导: the case leaves the old one's list and joins the new one's
    other = add_user(village_ws, "lisi", ["cadre"])
    with village_ws.work(village_admin) as w:
        cases.change_leader(w, case_id, cases.PersonRef("", user_id=other.id), on=dt.date(2024, 5, 1))
    with village_ws.work(cadre) as w:
        assert todo_items(w, dt.date(2024, 8, 1)) == []
    with village_ws.work(other) as w:
        assert [i.record_id for i in todo_items(w, dt.date(2024, 8, 1))] == [case_id]


def test_a_linked_entry_counts_as_contact_too(village_ws, village_admin):
    cadre, _h, _p, case_id = village_with_case(village_ws, village_admin)
    from tests.diary_helpers import add_household

    other_household, _p2, _o = add_household(village_ws, head="李大嘴")
    entry_id = visit(
        village_ws, cadre, other_household, dt.datetime(2024, 4, 10, 9), situation="在镇信访办见面"
    )
    with village_ws.work(village_admin) as w:
        cases.link_record(w, case_id, "diary_entry", entry_id)
    with village_ws.work(cadre) as w:
        assert todo_items(w, dt.date(2024, 4, 15)) == []


def test_month_facts_count_open_at_month_end_and_closed_in_the_month(village_ws, village_admin):
    _c, household_id, _p, first = village_with_case(village_ws, village_admin)
    code = village_ws.require_station().code
    with village_ws.work(village_admin) as w:
        second = cases.open_case(
            w, case_input(household_id, cases.PersonRef("刘志强", "镇"), opened_on=dt.date(2024, 4, 10))
        )
        cases.request_close(w, first, reason="息诉罢访", on=dt.date(2024, 4, 25))
        cases.approve_close(w, first, approver="王主任", on=dt.date(2024, 5, 3))
        cases.request_close(w, second, reason="已解决", on=dt.date(2024, 5, 30))
    with village_ws.session() as s:
        assert month_facts(s, code, dt.date(2024, 2, 1)) == {
            "在办": 0,
            "申请销号": 0,
            "本月新立": 0,
            "本月销号": 0,
        }
        assert month_facts(s, code, dt.date(2024, 3, 1)) == {
            "在办": 1,
            "申请销号": 0,
            "本月新立": 1,
            "本月销号": 0,
        }
        assert month_facts(s, code, dt.date(2024, 4, 15)) == {
            "在办": 2,
            "申请销号": 1,
            "本月新立": 1,
            "本月销号": 0,
        }
        assert month_facts(s, code, dt.date(2024, 5, 1)) == {
            "在办": 1,
            "申请销号": 1,
            "本月新立": 0,
            "本月销号": 1,
        }
        assert month_facts(s, "370681101299", dt.date(2024, 5, 1))["在办"] == 0
        s.get(KeyCase, second).deleted_at = dt.datetime(2024, 6, 1)
        s.flush()
        assert month_facts(s, code, dt.date(2024, 5, 1))["在办"] == 0


def test_people_without_an_account_named_before_are_offered_with_their_unit(village_ws, village_admin):
    """A town leader who leads several 包案, an officer on several teams: their name and unit were typed
    for every case."""
    cadre, household_id, _p, case_id = village_with_case(village_ws, village_admin)
    with village_ws.work(village_admin) as w:
        cases.change_leader(
            w,
            case_id,
            cases.PersonRef("刘志强", "东城镇党委副书记"),
            on=dt.date(2024, 4, 10),
            note="分工调整",
        )
        cases.add_team_member(w, case_id, cases.PersonRef("赵民警", "东城派出所"), on=dt.date(2024, 4, 11))
        # named again later with a new unit, and a typed name that is an account's: the account stands
        grid = next(m for m in cases.case_detail(w, case_id).team if m.person.name == "张海")
        cases.end_member(w, grid.id, on=dt.date(2024, 4, 12), note="换届")
        cases.add_team_member(w, case_id, cases.PersonRef("张海", "村网格长"), on=dt.date(2024, 4, 12))
        cases.add_team_member(
            w, case_id, cases.PersonRef(cadre.display_name, "手写"), on=dt.date(2024, 4, 13)
        )
        choices = cases.people_choices(w)
    accounts = [c for c in choices if c.user_id]
    typed = [c for c in choices if not c.user_id]
    assert choices[: len(accounts)] == accounts and cadre.id in {
        c.user_id for c in accounts
    }  # accounts first
    assert [(c.name, c.unit) for c in typed] == [
        ("张海", "村网格长"),
        ("赵民警", "东城派出所"),
        ("刘志强", "东城镇党委副书记"),
    ]
