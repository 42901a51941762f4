"""Demo 包案: a few 上访户 households' key cases with their 五个一 and 四到位, linked to the diary entries,
demands and cases the earlier steps made for those households; one 已销号, one 申请销号, one whose 包案领导
changed, one revised plan, and one its leader has not contacted for a while (so 今日待办 shows it).
Through the service (a handful of records, whatever the number of households)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.models import Household, HouseholdTag, User

from app.demo import DemoRun
from app.keycases import cases
from app.workspace import Workspace

TITLES = (
    ("宅基地界址争议多次到镇上访", "与邻户因宅基地界址争执三年，多次到镇、县上访，要求重新确权。"),
    ("土地征收补偿款分配不满", "认为本户土地征收补偿款少分一人份额，反复到镇政府反映。"),
    ("低保资格取消后反复信访", "去年复核后低保被取消，认为家庭困难未改变，多次电话和上门反映。"),
    ("工伤赔偿久拖未决", "在外务工受伤，与包工头赔偿协商未果，情绪激动，扬言到市里上访。"),
    ("林地承包合同纠纷", "与村集体林地承包合同到期续签有分歧，多次越级反映。"),
    ("房屋漏雨危房改造诉求", "老房漏雨多年，申请危房改造未获批，多次找村镇干部。"),
)
PLANS = (
    "一、会同镇国土所重新勘测界址，现场指界；二、召开有当事双方参加的协调会；三、协调不成引导走确权裁决程序。",
    "一、调取征收补偿分配方案和户籍资料逐项核对；二、由包案领导当面解释政策；三、有误即按程序更正。",
    "一、重新入户核查家庭收入和支出；二、符合条件的按程序重新申报；三、不符合的讲清政策并落实临时救助。",
    "一、协调劳动保障所介入调查；二、联系法律援助中心代理；三、生活困难期间落实临时救助。",
)
DEPARTMENTS = ("镇信访办", "镇国土所", "镇民政办", "镇劳动保障所", "镇林业站", "镇建设办")
STABILIZATION = (
    "包案领导每月至少见面一次，重要节点前专人联系，掌握思想动态；村网格员每周走访。",
    "敏感时段前落实一名村干部专门联系，发现异常及时报告镇信访办。",
)


def _users(ws: Workspace, ids: list[str]) -> list[User]:
    with ws.session() as s:
        users = [u for u in s.scalars(select(User).where(User.id.in_(ids), User.deleted_at.is_(None)))]
        for u in users:
            s.expunge(u)
    order = {uid: i for i, uid in enumerate(ids)}
    return sorted(users, key=lambda u: order[u.id])


def _households(ws: Workspace, wanted: int) -> list[str]:
    """上访户 (then 矛盾纠纷户, then any) households, in a fixed order."""
    with ws.session() as s:
        out: list[str] = []
        for tag in ("上访户", "矛盾纠纷户"):
            out += [
                hid
                for hid in s.scalars(
                    select(HouseholdTag.household_id)
                    .join(Household, Household.id == HouseholdTag.household_id)
                    .where(
                        HouseholdTag.tag == tag,
                        HouseholdTag.deleted_at.is_(None),
                        Household.deleted_at.is_(None),
                    )
                    .order_by(HouseholdTag.household_id)
                    .limit(wanted)
                )
                if hid not in out
            ]
        if len(out) < wanted:  # a small demo may have no 上访户: any households then
            out += [
                hid
                for hid in s.scalars(
                    select(Household.id)
                    .where(Household.deleted_at.is_(None))
                    .order_by(Household.id)
                    .limit(wanted * 2)
                )
                if hid not in out
            ]
        return out[:wanted]


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    rng, today = demo.rng, demo.today
    cadres = _users(ws, list(demo.shared.get("cadre_ids", [])))
    if not cadres:
        return {"keycases": 0}
    wanted = min(len(TITLES), 3 + demo.households // 100)
    household_ids = _households(ws, wanted)
    town_leader = cases.PersonRef("刘志强", "东城镇党委副书记")  # a town cadre without an account here
    made = 0
    for n, household_id in enumerate(household_ids):
        leader_user = cadres[n % len(cadres)]
        actor = leader_user
        title, summary = TITLES[n]
        opened = today - dt.timedelta(days=rng.randint(60, 240))
        leader = town_leader if n == 1 else cases.PersonRef(leader_user.display_name, user_id=leader_user.id)
        team = [cases.PersonRef(c.display_name, user_id=c.id) for c in cadres[n + 1 : n + 3]] or [
            cases.PersonRef("张海", "村网格员")
        ]
        with ws.work(actor) as w:
            case_id = cases.open_case(
                w,
                cases.KeyCaseInput(
                    household_id=household_id,
                    title=title,
                    summary=summary,
                    opened_on=opened,
                    leader=leader,
                    team=team,
                    plan=PLANS[n % len(PLANS)],
                    department=DEPARTMENTS[n % len(DEPARTMENTS)],
                    stabilization=STABILIZATION[n % len(STABILIZATION)],
                    steps={
                        "steps_solve": "核实诉求，合理部分限期解决。" if n % 3 != 2 else "",
                        "steps_educate": "讲清政策法规，包案领导当面释疑，做通思想工作。",
                        "steps_aid": "落实临时救助，帮助申报医疗救助。" if n % 2 == 0 else "",
                        "steps_law": "对违法闹访的，依法依规处置。" if n == 3 else "",
                    },
                ),
                now=dt.datetime.combine(opened, dt.time(9, 0)),
            )
            for choice in cases.link_choices(w, case_id)[:4]:
                cases.link_record(w, case_id, choice.table, choice.target_id)
            if n == 0:
                cases.revise_plan(
                    w,
                    case_id,
                    PLANS[0] + "四、镇国土所测量结果出来后，由包案领导主持第二次协调会。",
                    now=dt.datetime.combine(opened + dt.timedelta(days=30), dt.time(15, 0)),
                )
            if n == 2 and len(cadres) > 1:  # the 包案领导 changed (the first one's row keeps its dates)
                successor = cadres[(n + 1) % len(cadres)]
                cases.change_leader(
                    w,
                    case_id,
                    cases.PersonRef(successor.display_name, user_id=successor.id),
                    on=opened + dt.timedelta(days=45),
                    note="原包案领导调整分工",
                )
            if n == 0:
                cases.request_close(
                    w,
                    case_id,
                    reason="经重新勘测，双方在协调会上确认界址并签字，信访人书面表示息诉罢访。",
                    on=min(today, opened + dt.timedelta(days=50)),
                )
                cases.approve_close(
                    w,
                    case_id,
                    approver="王立新（东城镇信访办主任）",
                    resident_view="对处理结果满意，不再上访。",
                    on=min(today, opened + dt.timedelta(days=55)),
                )
            elif n == 1:
                cases.request_close(
                    w,
                    case_id,
                    reason="补偿款分配经核对无误，已当面解释，信访人表示理解。",
                    on=min(today, opened + dt.timedelta(days=40)),
                )
        made += 1
    return {"keycases": made}
