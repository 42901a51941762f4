"""统计报表 figures on a hand-built village (and a town with two villages) with known answers."""

from __future__ import annotations

import datetime as dt

import pytest

from db.models import Household, Person, Station

from app import accounts, reports
from app.errors import UserError

from tests.reports_helpers import TODAY, build_village
from tests.sync_support import without_town_rule

D = dt.date
MARCH = reports.period_for("month", TODAY)


@pytest.fixture
def village(village_ws, village_admin):
    return build_village(village_ws, village_admin)


def test_period_is_the_calendar_unit_containing_today():
    assert reports.period_for("month", D(2024, 2, 10)) == reports.Period(D(2024, 2, 1), D(2024, 2, 29))
    assert reports.period_for("quarter", D(2024, 11, 30)) == reports.Period(D(2024, 10, 1), D(2024, 12, 31))
    assert reports.period_for("quarter", D(2024, 5, 1)) == reports.Period(D(2024, 4, 1), D(2024, 6, 30))
    assert reports.period_for("year", D(2023, 7, 7)) == reports.Period(D(2023, 1, 1), D(2023, 12, 31))
    assert (
        reports.period_for("custom", TODAY, D(2024, 1, 5), D(2024, 1, 9)).label == "2024-01-05 至 2024-01-09"
    )
    with pytest.raises(UserError, match="开始日期晚于结束日期"):
        reports.period_for("custom", TODAY, D(2024, 2, 1), D(2024, 1, 1))


def test_village_figures_are_counted_from_what_was_entered(village, village_admin):
    ws, _cadre, _mediator = village
    with ws.work(village_admin) as w:
        r = reports.compute(w, MARCH, today=TODAY)
    assert not r.town and len(r.villages) == 1 and r.totals is r.villages[0]
    f = r.totals
    assert (f.village_code, f.village_name) == ("370681101201", "张家村")
    assert (f.households, f.persons) == (3, 5)  # 王五 deleted; 张三丰's dead member not 在册
    assert {k: v for k, v in f.tags.items() if v} == {"困难户": 2, "低保": 1, "残疾": 1}
    assert (f.with_contact_cadre, f.cards_delivered, f.cards_delivered_in_period) == (2, 2, 1)
    assert (f.contact_coverage, f.card_coverage) == ("66.7%", "66.7%")
    assert f.visits == 3 and f.households_visited == 2  # February and the deleted entry left out
    assert f.visits_by_kind == {
        "入户走访": 2,
        "电话联系": 1,
        "来访接待": 0,
        "集中接访": 0,
        "信息员报告": 0,
        "其他": 0,
    }
    assert f.demands == 3
    assert f.demands_by_status == {"待办": 1, "已上报乡镇": 0, "乡镇已答复": 0, "已答复": 1, "已办结": 1}
    assert f.demands_feedback == {"满意": 0, "基本满意": 0, "不满意": 0, "未点评": 1}
    assert {k: v for k, v in f.demands_by_category.items() if v} == {"医疗": 2, "住房": 1}
    assert f.demands_overdue == 1  # 慢性病卡 due 3-12 still open; 漏雨 replied but due 3-25
    m = f.mediation
    assert (m.accepted, m.succeeded, m.in_progress) == (2, 1, 1) and str(
        m.success_rate
    ) == "100.00"  # 1 of 1 concluded (成功 ÷ 结案)
    assert str(m.success_rate_of_accepted) == "50.00"


def test_overdue_depends_on_the_day_it_is_asked(village, village_admin):
    ws = village[0]
    with ws.work(village_admin) as w:
        assert reports.compute(w, MARCH, today=D(2024, 3, 12)).totals.demands_overdue == 0
        assert reports.compute(w, MARCH, today=D(2024, 3, 26)).totals.demands_overdue == 2


def test_other_periods_count_other_records(village, village_admin):
    ws = village[0]
    with ws.work(village_admin) as w:
        feb = reports.compute(w, reports.period_for("month", D(2024, 2, 1)), today=TODAY).totals
        q1 = reports.compute(w, reports.period_for("quarter", TODAY), today=TODAY).totals
    assert (feb.visits, feb.demands, feb.demands_overdue, feb.cards_delivered_in_period) == (1, 1, 1, 0)
    assert feb.households == 3  # the roster is a snapshot, the same for every period
    assert feb.mediation.accepted == 1 and feb.mediation.succeeded == 1
    assert (q1.visits, q1.demands, q1.households_visited, q1.mediation.accepted) == (4, 4, 3, 3)


def test_cadre_sees_no_case_figures_and_mediator_no_sensitive_tags(village):
    ws, cadre, mediator = village
    with ws.work(cadre) as w:
        as_cadre = reports.compute(w, MARCH, today=TODAY)
    with ws.work(mediator) as w:
        as_mediator = reports.compute(w, MARCH, today=TODAY)
    assert as_cadre.totals.mediation is None and not as_cadre.mediation_shown
    assert as_cadre.sensitive_shown and as_cadre.totals.tags["残疾"] == 1
    assert not as_mediator.sensitive_shown and as_mediator.totals.mediation.accepted == 2
    assert not {"残疾", "留守儿童", "失亲儿童", "刑满释放", "社区矫正"} & set(as_mediator.totals.tags)
    assert as_mediator.totals.tags["困难户"] == 2


def test_town_has_one_row_per_village_and_totals(town_ws):
    """Records that reached the town in bundles keep their village's code; two enrolled villages."""
    ws = town_ws
    with without_town_rule(), ws.work(None) as w:  # (written here as the bundles would bring them)
        s = w.session
        admin = accounts.authenticate(w, "admin", "admin-pass-1")
        s.expunge(admin)
        s.add_all(
            [
                Station(kind="village", code="370681101202", name="李家村", town_code="370681101"),
                Station(kind="village", code="370681101201", name="张家村", town_code="370681101"),
                Station(kind="village", code="370681101203", name="新建村", town_code="370681101"),
            ]
        )
        for code, heads in (("370681101201", ("张一", "张二", "张三")), ("370681101202", ("李一",))):
            for head in heads:
                h = Household(head_name=head, group_name="一组", village_code=code)
                s.add(h)
                s.flush()
                s.add(Person(household_id=h.id, name=head, relation="户主", village_code=code))
        s.flush()
        s.get(Household, s.query(Household.id).filter_by(head_name="李一").scalar()).card_delivered_on = D(
            2024, 3, 3
        )
    with ws.work(admin) as w:
        r = reports.compute(w, MARCH, today=TODAY)
    assert r.town
    assert [
        (v.village_code, v.village_name, v.households, v.persons, v.cards_delivered) for v in r.villages
    ] == [
        ("370681101201", "张家村", 3, 3, 0),
        ("370681101202", "李家村", 1, 1, 1),
        ("370681101203", "新建村", 0, 0, 0),
    ]
    t = r.totals
    assert (t.village_name, t.households, t.persons, t.cards_delivered, t.cards_delivered_in_period) == (
        "合计",
        4,
        4,
        1,
        1,
    )
    assert t.mediation is not None and t.mediation.accepted == 0 and t.mediation.success_rate is None
