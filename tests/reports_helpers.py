"""A hand-built village for the 统计报表 tests: known households, visits, demands and cases in March 2024."""

from __future__ import annotations

import datetime as dt

from db.models import CadreAssignment, Household, Person

from app.diary import demands, entries
from app.diary.entries import DemandInput, EntryInput, ParticipantInput

from tests.diary_helpers import add_cadre, add_household
from tests.mediation_helpers import case_in_state, make_mediator

D = dt.date
TODAY = D(2024, 3, 20)
NOW = dt.datetime(2024, 3, 20, 18, 0)


def _entry(ws, cadre, household_id, when, kind="入户走访", demands=()):
    data = EntryInput(
        occurred_at=when,
        kind=kind,
        place="村民家中",
        participants=[ParticipantInput(household_id)],
        situation="家中老人身体不好",
        demands=[DemandInput(category=c, content=t, due_on=due) for c, t, due in demands],
    )
    with ws.work(cadre) as w:
        return entries.save_entry(w, data, now=NOW)


def build_village(ws, village_admin):
    """Three households on the roster (a fourth deleted), visits and demands in and around March 2024."""
    cadre = add_cadre(ws)
    h1, _p1, (dead, _alive) = add_household(
        ws, "张三丰", members=("李秀英", "张小红"), tags=("困难户", "残疾"), cadre_id=cadre.id
    )
    h2, _p2, _ = add_household(ws, "李四", members=("王桂兰",), tags=("困难户", "低保"), cadre_id=cadre.id)
    h3, _p3, _ = add_household(ws, "王五")
    h4, _p4, _ = add_household(ws, "赵六", cadre_id=cadre.id)
    with ws.session(village_admin.id) as s:
        s.get(Person, dead).status = "已故"
        s.get(Household, h1).card_delivered_on = D(2024, 3, 5)
        s.get(Household, h2).card_delivered_on = D(2023, 12, 1)
        s.get(Household, h3).deleted_at = dt.datetime(2024, 3, 1)
        assignment = s.query(CadreAssignment).filter_by(household_id=h2).one()
        assignment.end_on = D(2024, 1, 31)  # 李四 has no contact cadre any more
    e1 = _entry(
        ws,
        cadre,
        h1,
        dt.datetime(2024, 3, 2, 9),
        demands=[("医疗", "办理慢性病卡", D(2024, 3, 12)), ("住房", "屋顶漏雨", D(2024, 3, 25))],
    )
    e2 = _entry(
        ws,
        cadre,
        h1,
        dt.datetime(2024, 3, 10, 15),
        kind="电话联系",
        demands=[("医疗", "报销进度", D(2024, 3, 15))],
    )
    _entry(ws, cadre, h2, dt.datetime(2024, 3, 18, 10))
    _entry(
        ws, cadre, h4, dt.datetime(2024, 2, 28, 10), demands=[("教育", "助学金", D(2024, 3, 1))]
    )  # February
    gone = _entry(ws, cadre, h4, dt.datetime(2024, 3, 19, 10), demands=[("就业", "找工作", D(2024, 3, 19))])
    with ws.work(cadre) as w:
        housing = e1.demands[1].id
        demands.reply_demand(
            w, housing, reply="已报镇危房改造", replied_on=D(2024, 3, 6), replied_by="王建国", today=TODAY
        )
        medical = e2.demands[0].id
        demands.reply_demand(
            w, medical, reply="已催办", replied_on=D(2024, 3, 11), replied_by="王建国", today=TODAY
        )
        demands.close_demand(w, medical, closed_on=D(2024, 3, 14), today=TODAY, handling="镇医保办已办结报销")
        entries.delete_entry(w, gone.id)
    mediator = make_mediator(ws)
    with ws.work(mediator) as w:
        case_in_state(w, "调解成功", accepted_on=D(2024, 3, 4))
        case_in_state(w, "调解中", accepted_on=D(2024, 3, 8), title="王五与赵六邻里纠纷", dispute_type="邻里")
        case_in_state(w, "调解成功", accepted_on=D(2024, 2, 20), title="二月的案件")
    return ws, cadre, mediator
