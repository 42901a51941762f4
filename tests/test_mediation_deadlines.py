"""今日待办 of mediation on a fixed clock: one month open, 司法确认 30 days, 履行期限, 回访."""

import datetime as dt

import pytest

from app import todo
from app.mediation import agreement, casefile, deadlines, rules, states

from tests.mediation_helpers import case_in_state, make_mediator, new_case
from tests.sync_support import without_town_rule

D = dt.date


@pytest.fixture
def mediator(village_ws):
    return make_mediator(village_ws)


def _items(ws, user, today, kind):
    with ws.work(user) as w:
        return [i for i in deadlines.todo_items(w, today) if i.kind == kind]


@pytest.mark.parametrize(
    ("accepted", "last_day_within"),
    [
        (D(2026, 1, 31), D(2026, 2, 28)),  # month end, common year
        (D(2024, 1, 31), D(2024, 2, 29)),  # leap year
        (D(2026, 3, 31), D(2026, 4, 30)),
        (D(2026, 12, 15), D(2027, 1, 15)),  # across the year
    ],
)
def test_case_open_longer_than_a_month_is_listed_from_the_day_after(
    village_ws, mediator, accepted, last_day_within
):
    with village_ws.work(mediator) as w:
        new_case(w, accepted_on=accepted)
    assert rules.add_months(accepted, 1) == last_day_within
    assert _items(village_ws, mediator, last_day_within, "case_open_month") == []
    [item] = _items(village_ws, mediator, last_day_within + dt.timedelta(days=1), "case_open_month")
    assert item.severity == "overdue" and "超过一个月" in item.title and item.due == last_day_within


def test_settled_case_is_not_listed_as_open(village_ws, mediator):
    with village_ws.work(mediator) as w:
        case_in_state(w, "调解不成", accepted_on=D(2026, 1, 5))
    assert _items(village_ws, mediator, D(2026, 6, 1), "case_open_month") == []


def test_judicial_confirmation_days_left_warning_from_day_20_expired_after_day_30(village_ws, mediator):
    effective = D(2026, 1, 31)
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "履行中", accepted_on=effective)
        assert casefile.open_case(w, info.id, audit_open=False).agreement.effective_on == effective
    assert rules.judicial_deadline(effective) == D(2026, 3, 2)

    def at(day):
        return _items(village_ws, mediator, effective + dt.timedelta(days=day), "judicial_confirmation")

    [d0] = at(0)
    assert (d0.severity, d0.title.split("：")[1]) == ("normal", "司法确认还剩 30 天")
    [d19] = at(19)
    assert (d19.severity, d19.title.split("：")[1]) == ("normal", "司法确认还剩 11 天")
    [d20] = at(20)
    assert (d20.severity, d20.title.split("：")[1]) == ("warning", "司法确认还剩 10 天")
    [d30] = at(30)
    assert d30.severity == "warning" and "最后一天" in d30.title and d30.due == D(2026, 3, 2)
    [d31] = at(31)
    assert d31.severity == "overdue" and "期限已过" in d31.title
    assert at(31 + deadlines.EXPIRED_SHOWN_DAYS + 1) == []
    with village_ws.work(mediator) as w:
        agreement.apply_judicial_confirmation(w, info.id, applied_on=effective + dt.timedelta(days=5))
    assert at(10) == []


def test_judicial_deadline_counts_february_of_a_leap_year():
    assert rules.judicial_deadline(D(2024, 2, 15)) == D(2024, 3, 16)
    assert rules.judicial_deadline(D(2023, 2, 15)) == D(2023, 3, 17)
    assert rules.judicial_deadline(D(2026, 12, 10)) == D(2027, 1, 9)


def test_oral_agreement_has_no_judicial_confirmation_reminder(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "调解中")
        agreement.save_agreement(w, info.id, kind="口头", reached_on=D(2026, 3, 2), terms="当场赔偿 200 元")
        states.change_state(w, info.id, "调解成功", on_date=D(2026, 3, 2))
    assert _items(village_ws, mediator, D(2026, 3, 10), "judicial_confirmation") == []


def test_performance_deadline_warned_a_week_before_and_overdue_after(village_ws, mediator):
    with village_ws.work(mediator) as w:
        case_in_state(w, "履行中", accepted_on=D(2024, 2, 14))  # deadline 15 days later: 2024-02-29
    deadline = D(2024, 2, 29)
    assert _items(village_ws, mediator, deadline - dt.timedelta(days=8), "performance_deadline") == []
    [w] = _items(village_ws, mediator, deadline - dt.timedelta(days=7), "performance_deadline")
    assert w.severity == "warning" and "7 天内" in w.title
    [o] = _items(village_ws, mediator, D(2024, 3, 1), "performance_deadline")
    assert o.severity == "overdue" and "已过 1 天" in o.title


def test_follow_up_due_after_performance(village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "履行完毕", accepted_on=D(2026, 1, 30))  # visit planned 2026-03-01
    due = D(2026, 3, 1)
    assert _items(village_ws, mediator, due - dt.timedelta(days=4), "follow_up_due") == []
    [w] = _items(village_ws, mediator, due - dt.timedelta(days=3), "follow_up_due")
    assert w.severity == "warning" and w.due == due
    [today] = _items(village_ws, mediator, due, "follow_up_due")
    assert "今天应回访" in today.title
    [o] = _items(village_ws, mediator, due + dt.timedelta(days=2), "follow_up_due")
    assert o.severity == "overdue" and "逾期 2 天" in o.title
    with village_ws.work(mediator) as w:
        casefile.record_follow_up(
            w,
            info.id,
            visited_on=due,
            visitor="李调解",
            performance="已履行完毕",
            satisfaction="满意",
        )
    assert _items(village_ws, mediator, due + dt.timedelta(days=2), "follow_up_due") == []


def test_cadres_without_the_case_permission_get_no_case_reminders(village_ws, mediator):
    cadre = make_mediator(village_ws, "ganbu", roles=("cadre",))
    with village_ws.work(mediator) as w:
        new_case(w, accepted_on=D(2026, 1, 2))
    with village_ws.work(cadre) as w:
        assert todo.collect(w, D(2026, 6, 1)) == []
    with village_ws.work(mediator) as w:
        assert [i.kind for i in todo.collect(w, D(2026, 6, 1))] == ["case_open_month"]


def test_town_staff_see_cases_escalated_to_the_town_until_they_record_the_outcome(town_ws):
    from db.models import MediationCase

    from tests.conftest import VILLAGE_CODE

    staff = make_mediator(town_ws, "zhen", roles=("town_staff",))
    with without_town_rule(), town_ws.session(staff.id) as s:  # as the village's bundle brings it
        row = MediationCase(
            village_code=VILLAGE_CODE,
            case_year=2026,
            case_seq=2,
            case_number="（2026）张家人调字第 2 号",
            title="三户排水纠纷",
            accepted_on=D(2026, 3, 2),
            source="排查发现",
            dispute_type="邻里",
            state="上报",
            state_on=D(2026, 3, 20),
            outcome="上报",
            escalated_to="乡镇",
            escalated_on=D(2026, 3, 20),
            escalation_reason="涉及三户",
        )
        s.add(row)
    with town_ws.work(staff) as w:
        [item] = deadlines.todo_items(w, D(2026, 3, 21))
        assert item.kind == "case_escalated" and "上报：（2026）张家人调字第 2 号" in item.title
        assert (item.due, item.severity) == (D(2026, 4, 20), "normal")  # a month after the escalation
        states.record_town_handling(
            w,
            row.id,
            handling="镇司法所调解",
            outcome="调解成功",
            handled_on=D(2026, 3, 25),
            agreement_kind="口头",
        )
    with town_ws.work(staff) as w:
        assert deadlines.todo_items(w, D(2026, 3, 26)) == []
