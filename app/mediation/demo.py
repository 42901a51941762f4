"""Demo step: a year of screening rounds (some 零报告) and mediation cases in every state, with the
kind of text a village mediation committee writes. Deterministic for ``demo.rng``."""

from __future__ import annotations

import contextlib
import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from db.models import Person, User
from db.stamping import versions_ahead

from app import accounts
from app.demo import DemoRun
from app.mediation import (
    agreement,
    capacity,
    casefile,
    frozen,
    law,
    meetings,
    recusal,
    registration,
    rules,
    screening,
    states,
)
from app.mediation.info import CaseInfo, MediatorInfo
from app.work import Work
from app.workspace import Workspace

# (type, title pattern, facts, requests, agreement terms, amount range in 元)
SCENARIOS = (
    (
        "邻里",
        "{a}与{b}排水沟纠纷",
        "{b}家翻修院子时把排水沟改道，雨水流进{a}家菜地，两家多次争吵。",
        "{a}要求{b}恢复原排水沟走向。",
        "{b}于十日内将排水沟恢复原走向，并赔偿{a}菜地损失{m}元。",
        (200, 800),
    ),
    (
        "房屋宅基地",
        "{a}与{b}宅基地界址纠纷",
        "{b}翻建院墙时越过两家界址约半米，{a}认为占用了自家宅基地。",
        "{a}要求{b}拆除越界院墙，恢复原界址。",
        "{b}拆除越界部分院墙，双方以村里丈量的界桩为准，互不再越界。",
        (0, 0),
    ),
    (
        "婚姻家庭",
        "{a}与{b}赡养纠纷",
        "{a}年过七旬，{b}等子女对赡养费分担意见不一，老人生活费时常没有着落。",
        "{a}要求子女按月给付赡养费。",
        "{b}等子女每人每月给付{a}赡养费{m}元，每月五日前交付。",
        (200, 500),
    ),
    (
        "损害赔偿",
        "{a}与{b}鸡苗被咬死赔偿纠纷",
        "{b}家的狗跑进{a}家鸡舍，咬死鸡苗三十余只。",
        "{a}要求{b}赔偿鸡苗损失。",
        "{b}赔偿{a}鸡苗损失{m}元，并将狗拴养。",
        (300, 900),
    ),
    (
        "合同",
        "{a}与{b}农机作业款纠纷",
        "{a}为{b}收割小麦，作业款双方对亩数有争议，款项一直未结。",
        "{a}要求{b}支付作业款。",
        "双方按村里复量的亩数结算，{b}支付{a}作业款{m}元。",
        (1500, 6000),
    ),
    (
        "山林土地",
        "{a}与{b}承包地边界纠纷",
        "两家承包地相邻，{b}耕种时多犁了{a}家地头两垄。",
        "{a}要求{b}退还多种的土地。",
        "以一九九八年二轮承包时的地界为准，{b}退还多种的两垄，本季收成归{b}，折价补偿{a}{m}元。",
        (300, 1200),
    ),
    (
        "劳动争议",
        "{a}与{b}务工工资纠纷",
        "{a}在{b}的建筑队干活两个月，工资尚有部分未付。",
        "{a}要求{b}结清拖欠的工资。",
        "{b}于月底前一次性支付{a}工资{m}元。",
        (3000, 12000),
    ),
    (
        "道路交通事故",
        "{a}与{b}三轮车剐蹭纠纷",
        "{b}驾驶三轮车在村道上与{a}的电动车剐蹭，{a}腿部擦伤。",
        "{a}要求{b}赔偿医药费和误工费。",
        "{b}赔偿{a}医药费、误工费共计{m}元，当场付清。",
        (500, 3000),
    ),
    (
        "村务管理",
        "{a}与村民小组土地补偿款分配纠纷",
        "{a}认为本组土地补偿款分配方案漏算了其家庭人口。",
        "{a}要求按实际人口重新核算补偿款。",
        "村民小组复核后补发{a}补偿款{m}元，分配方案张榜公示。",
        (2000, 8000),
    ),
)
SURNAMES_FALLBACK = (
    "张建国",
    "李秀英",
    "王德福",
    "赵桂兰",
    "刘志强",
    "陈玉梅",
    "杨树林",
    "孙凤英",
    "周长海",
    "吴淑珍",
)
OUTSIDE_MEDIATORS = ("李德明（乡贤）", "周律师", "赵老支书")
PLACES = ("村委会调解室", "村民{a}家中", "村综治中心", "纠纷现场")
REJECT_REASONS = ("该纠纷已由人民法院受理，依法不予受理，已告知当事人。", law.REJECT_REASON)
FAIL_REASONS = ("双方对赔偿数额分歧过大，经多次调解仍未达成一致。", "被申请人坚持己见，不接受调解方案。")
FINDINGS = (
    "三组两户因宅基地界址发生口角，已安排调解员上门了解。",
    "五组一户老人反映子女赡养费不到位。",
    "二组有村民因收割作业款发生争执。",
    "一组两户因排水问题多次争吵，存在激化苗头。",
)
ITEM_FATES = (
    (rules.REGISTERED, ""),
    (rules.SETTLED_ON_SPOT, ""),
    (rules.PREVENTED, ""),
    (rules.REFERRED, "镇派出所"),
)
SCREENERS = ("村调委会主任、各组调解信息员", "调解员、网格员", "村调委会全体委员")
SCOPES = ("全村一至六组", "全村各村民小组及重点户", "一至三组、五组")


@contextlib.contextmanager
def _rows_held(session: Session) -> Iterator[None]:
    """The session keeps every row it loads or writes until the step ends. Its identity map holds rows
    weakly: the services hand back values (CaseInfo …), so a case's row was dropped after each call and
    read and decrypted again by the next (7 000 loads of 530 cases); held, ``session.get`` finds it."""
    held: list[object] = []

    def hold(_session: Session, instance: object) -> None:
        held.append(instance)

    events = (("loaded_as_persistent", hold), ("pending_to_persistent", hold))
    for name, fn in events:
        event.listen(session, name, fn)
    try:
        yield
    finally:
        for name, fn in events:
            event.remove(session, name, fn)
        held.clear()


def _mediator(ws: Workspace) -> User:
    with ws.work(None) as w:
        s = w.session
        user = s.scalars(select(User).where(User.username == "tiaojie")).first()
        if user is None:
            user = accounts.add_user(
                w,
                username="tiaojie",
                display_name="王秀英",
                password="minqing",
                roles=["mediator"],
                title="村调委会主任",
            )
            s.flush()
        s.expunge(user)
    return user


@dataclass(frozen=True)
class _Resident:
    id: str  # "" when the roster is empty (a plain name)
    name: str
    birth_date: dt.date | None
    household_id: str | None
    relation: str = ""
    sex: str | None = None

    def born_by(self, day: dt.date, years: int) -> bool:
        """Was this resident ``years`` old or older on ``day`` (as :func:`capacity.age_on` counts)? Yes
        when the birth date is not known. A comparison of (year, month, day), no age computed: the pools
        of a 100 000-household demo ask it some two million times."""
        b = self.birth_date
        return b is None or (b.year, b.month, b.day) <= (day.year - years, day.month, day.day)


def _names(ws: Workspace, demo: DemoRun) -> list[_Resident]:
    """Residents from the roster; plain names when the roster is empty."""
    ids = demo.shared.get("person_ids")
    with ws.session() as s:
        q = select(
            Person.id, Person.name, Person.birth_date, Person.household_id, Person.relation, Person.sex
        ).where(Person.deleted_at.is_(None), Person.status == "在册")
        if ids:
            q = q.where(Person.id.in_(ids[:2000]))
        rows = list(s.execute(q.order_by(Person.id).limit(2000)))
    if rows:
        return [_Resident(*row) for row in rows]
    return [_Resident("", n, None, None) for n in SURNAMES_FALLBACK]


_Pools = dict[dt.date, tuple[list[_Resident], list[_Resident], list[_Resident]]]


def _pools(
    people: list[_Resident], on: dt.date, kept: _Pools
) -> tuple[list[_Resident], list[_Resident], list[_Resident]]:
    """The adults, the elders (60 or older) and the children with a household among ``people`` on ``on``,
    worked out once per day into ``kept`` (a 100 000-household demo registers 2 500 cases on some 330 days)."""
    if on not in kept:
        adults = [r for r in people if r.born_by(on, capacity.ADULT_AGE)] or people
        elders = [r for r in adults if r.born_by(on, 60) and r.birth_date is not None] or adults
        children = [r for r in people if not r.born_by(on, capacity.ADULT_AGE) and r.household_id]
        kept[on] = (adults, elders, children)
    return kept[on]


def _pick_parties(
    rng: random.Random, people: list[_Resident], kind: str, title: str, on: dt.date, pools: _Pools
) -> tuple[_Resident, _Resident, _Resident | None]:
    """Two parties whose ages fit the dispute: adults (an elder asking for 赡养 is 60 or older); in a
    traffic or damage case the injured one is sometimes a child, with a parent of the household as
    法定代理人 (returned third). Never a minor without one."""
    adults, elders, children = _pools(people, on, pools)
    first_pool = elders if "赡养" in title else adults
    if kind in ("道路交通事故", "损害赔偿") and rng.random() < 0.3:
        if children:
            child = rng.choice(children)
            parents = [
                r
                for r in adults
                if r.household_id == child.household_id
                and r.relation in ("户主", "配偶", "妻", "夫")
                and r.sex
            ]
            if parents:
                other = rng.choice([r for r in adults if r.household_id != child.household_id] or adults)
                return child, other, rng.choice(parents)
    a = rng.choice(first_pool)
    b = rng.choice([r for r in adults if r.id != a.id or not r.id] or adults)
    while b.name == a.name and len(adults) > 1:
        b = rng.choice(adults)
    return a, b, None


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    rng, today = demo.rng, demo.today
    user = _mediator(ws)
    people = _names(ws, demo)
    made = {"screenings": 0, "mediation_cases": 0}
    with ws.work(user) as w, _rows_held(w.session), versions_ahead(w.session):
        # A year of monthly rounds: about a third find nothing (零报告).
        rounds = []
        for back in range(12, 0, -1):
            month_day = rules.add_months(dt.date(today.year, today.month, 1), -back) + dt.timedelta(
                days=rng.randint(2, 12)
            )
            found = 0 if rng.random() < 0.4 else rng.randint(1, 3)
            screeners, place = rng.choice(SCREENERS), rng.choice(SCOPES)
            # what each found dispute became: the first is registered as a case (linked when one is made
            # from this round), the others settled on the spot, prevented, or referred elsewhere
            found_items = [
                screening.ItemInput(text, disposition, referred)
                for text, (disposition, referred) in zip(
                    rng.sample(FINDINGS, min(found, len(FINDINGS))), ITEM_FATES[back % 2 :], strict=False
                )
            ]
            info = screening.record_screening(
                w,
                round_date=month_day,
                screeners=screeners,
                place=place,
                items=found_items,
                measures="逐户登记，明确专人跟进调处。" if found else "",
            )
            rounds.append(info)
            made["screenings"] += 1
            if back == 3:  # a special round before the festival (不定期)
                screening.record_screening(
                    w,
                    round_date=month_day + dt.timedelta(days=10),
                    screeners="村调委会全体委员、驻村工作队",
                    place="外出务工返乡人员较多的三组、五组",
                    round_kind="不定期",
                    items=[
                        screening.ItemInput("返乡人员与邻居因旧债口角，已提前做通工作", rules.PREVENTED),
                        screening.ItemInput("两户因修路占地有怨气，当场讲清政策", rules.SETTLED_ON_SPOT),
                    ],
                    measures="节前专项排查，重点户逐户走到。",
                )
                made["screenings"] += 1
        linked: dict[str, int] = {}
        targets = (
            list(rules.STATES) * 2 + [rules.VISITED, rules.ARCHIVED, rules.IN_MEDIATION, rules.PERFORMING] * 2
        )
        targets += [rules.ARCHIVED] * max(0, demo.households // 40)
        if "mediation_cases" in demo.sizes:  # the same mix of states, as many cases as asked for
            wanted = demo.sizes["mediation_cases"]
            targets = (targets * (wanted // len(targets) + 1))[:wanted]
        recusal_shown = False
        pools: _Pools = {}
        registered_items: set[str] = set()
        plans = []
        for target in targets:
            scenario = rng.choice(SCENARIOS)
            # Open cases are recent; settled and archived ones are older.
            age = (
                rng.randint(3, 25) if target in (rules.ACCEPTED, rules.IN_MEDIATION) else rng.randint(40, 330)
            )
            plans.append((today - dt.timedelta(days=age), target, scenario))
        # registered in the order they were accepted, so that the case numbers follow the acceptance date
        plans.sort(key=lambda plan: plan[0])
        for n, (accepted, target, scenario) in enumerate(plans):
            kind, title, facts, requests, terms, (lo, hi) = scenario
            pa, pb, guardian = _pick_parties(rng, people, kind, title, accepted, pools)
            a, b = pa.name, pb.name
            money = rng.randrange(lo, hi + 1, 50) if hi else 0
            fmt = {"a": a, "b": b, "m": money}
            # A found dispute becomes at most one case each.
            found_in = [r for r in rounds if linked.get(r.id, 0) < r.found_count and r.round_date <= accepted]
            source = "排查发现" if found_in and n % 4 == 0 else rng.choice(rules.SOURCES[:5] + ("民情日记",))
            if source == "排查发现":
                linked[found_in[-1].id] = linked.get(found_in[-1].id, 0) + 1
            risk_fight_people = 15 if n % 23 == 11 else 0
            risk_criminal_people = rng.randint(2, 4) if n % 7 == 3 else 0
            risk_petition_people = rng.randint(10, 25) if n % 11 == 5 else 0
            risk_suicide_people = 1 if n % 19 == 9 else 0
            c = registration.register_case(
                w,
                title=title.format(**fmt),
                accepted_on=accepted,
                source=source,
                source_record_id=found_in[-1].id if source == "排查发现" else None,
                dispute_type=kind,
                complexity=rng.choice(("简单", "简单", "一般", "重大疑难")),
                people_count=rng.randint(2, 6),
                amount=money,
                facts=facts.format(**fmt),
                requests=requests.format(**fmt),
                risk_criminal_people=risk_criminal_people,
                risk_petition_people=risk_petition_people,
                risk_suicide_people=risk_suicide_people,
                risk_fight_people=risk_fight_people,
            )
            if source == "排查发现":  # the round's item to be registered now points to this case
                item = next(
                    (
                        i
                        for i in found_in[-1].items
                        if i.disposition == rules.REGISTERED and i.id not in registered_items
                    ),
                    None,
                )
                if item is not None:
                    screening.link_case(w, item.id, c.id, screening_id=found_in[-1].id)
                    registered_items.add(item.id)
            for role, r in (("申请人", pa), ("被申请人", pb)):
                if r.id and r is pa and guardian is not None:
                    registration.add_party(
                        w,
                        c.id,
                        role=role,
                        person_id=r.id,
                        guardian_person_id=guardian.id,
                        guardian_relation="父亲" if guardian.sex == "男" else "母亲",
                    )
                elif r.id:
                    registration.add_party(w, c.id, role=role, person_id=r.id)
                else:
                    registration.add_party(w, c.id, role=role, name=r.name, address="本村")
            registration.add_mediator(w, c.id, user_id=user.id, is_lead=True)
            if rng.random() < 0.4 or (not recusal_shown and target == rules.SUCCEEDED):
                helper = registration.add_mediator(w, c.id, name=rng.choice(OUTSIDE_MEDIATORS))
                if not recusal_shown:  # a party asks that the invited mediator step aside
                    _recusal(w, c, helper, accepted)
                    recusal_shown = True
            _drive(w, c, target, accepted, today, rng, fmt, terms, money)
            made["mediation_cases"] += 1
            demo.progress(n + 1, len(targets), "生成调解案件")
        # last month's 人民调解工作统计, generated (frozen) as the committee files it
        last_month = today.replace(day=1) - dt.timedelta(days=1)
        if not frozen.editions(w, last_month.year, last_month.month):
            frozen.freeze(
                w,
                last_month.year,
                last_month.month,
                today=today,
                now=dt.datetime.combine(today.replace(day=1), dt.time(9)),
            )
    return made


def _recusal(w: Work, c: CaseInfo, helper: MediatorInfo, day: dt.date) -> None:
    party = registration.parties(w, c.id)[1]
    req = recusal.request_recusal(
        w,
        c.id,
        party_id=party.id,
        mediator_id=helper.id,
        requested_on=day,
        reason=f"{party.name}认为{helper.name}与对方当事人来往密切，担心调解不公，要求更换。",
    )
    replacement = next(n for n in OUTSIDE_MEDIATORS if n != helper.name)
    recusal.decide_recusal(
        w,
        req.id,
        decision=recusal.GRANTED,
        decided_on=day,
        replacement_name=replacement,
        note="经调委会研究，同意更换。",
    )


def _drive(
    w: Work,
    c: CaseInfo,
    target: str,
    accepted: dt.date,
    today: dt.date,
    rng: random.Random,
    fmt: dict[str, object],
    terms: str,
    money: int,
) -> None:
    """Take case ``c`` along the legal path to ``target`` with dated steps before ``today``."""
    assert w.actor is not None, "the demo's cases are worked by its mediator"
    day = accepted

    def later(max_days: int) -> dt.date:
        nonlocal day
        day = min(today, day + dt.timedelta(days=rng.randint(1, max_days)))
        return day

    def go(state: str, **kw: Any) -> None:
        states.change_state(w, c.id, state, on_date=day, **kw)

    if target == rules.ACCEPTED:
        return
    if target == rules.REJECTED or (target == rules.ARCHIVED and rng.random() < 0.1):
        go(rules.REJECTED, reasons=rng.choice(REJECT_REASONS))
        if target == rules.ARCHIVED:
            _archive(w, c, later(10))
        return
    registration.record_rights_notice(w, c.id, given_on=day)
    go(rules.IN_MEDIATION)
    result = (
        "继续调解"
        if target == rules.IN_MEDIATION
        else ("未达成协议" if target in (rules.FAILED, rules.TERMINATED) else "达成协议")
    )
    meetings.add_meeting(
        w,
        c.id,
        held_at=dt.datetime.combine(later(3), dt.time(rng.choice((9, 14, 15)))),
        place=rng.choice(PLACES).format(**fmt),
        participants=f"调解员、{fmt['a']}、{fmt['b']}",
        statements=f"{fmt['a']}陈述了纠纷经过和诉求；{fmt['b']}对部分事实有异议。",
        verification="调解员到现场查看，并向邻居了解情况，基本事实清楚。",
        risk_notice="告知双方不得采取过激行为，调解不成可依法通过诉讼等途径解决。",
        result=result,
        result_detail=terms.format(**fmt) if result == "达成协议" else "",
        recorder_name="刘文书",
    )
    if target == rules.IN_MEDIATION:
        return
    if target == rules.TERMINATED:  # a mediation under way, ended at a party's request
        go(rules.TERMINATED, reasons=f"被申请人在调解中表示不愿继续，{law.TERMINATE_REASON}")
        return
    if target == rules.ESCALATED:
        go(
            rules.ESCALATED,
            escalate_to="乡镇",
            reasons="涉及多户、金额较大，村调委会调解未果，上报镇调委会。",
        )
        return
    if target == rules.FAILED:
        go(rules.FAILED, reasons=rng.choice(FAIL_REASONS), routes=["诉讼", "行政"])
        return
    oral = money < 500 and rng.random() < 0.5
    ag = agreement.save_agreement(
        w,
        c.id,
        kind="口头" if oral else "书面",
        reached_on=day,
        facts="" if oral else "见受理登记。",
        issues="" if oral else "责任划分与赔偿数额。",
        responsibilities="双方各自承担相应责任。",
        terms=terms.format(**fmt),
        performance_manner="当场履行" if oral else "按协议约定履行",
        performance_deadline=None if oral else day + dt.timedelta(days=rng.choice((7, 15, 30))),
        performance_place="调解现场" if oral else "村调解室",
        amount=money,
        recorder="刘文书",
    )
    if not oral:
        sign_day = later(2)
        for p in registration.parties(w, c.id):
            agreement.sign(
                w,
                document_table="mediation_agreement",
                document_id=ag.id,
                signer_role="当事人",
                signer_name="",
                party_id=p.id,
                signed_on=sign_day,
                method=rng.choice(("纸质签字", "按指印")),
            )
        agreement.sign(
            w,
            document_table="mediation_agreement",
            document_id=ag.id,
            signer_role="调解员",
            signer_name=w.actor.display_name,
            signed_on=sign_day,
        )
        agreement.sign(
            w,
            document_table="mediation_agreement",
            document_id=ag.id,
            signer_role="委员会",
            signer_name="",
            signed_on=sign_day,
        )
    go(rules.SUCCEEDED)
    if target == rules.SUCCEEDED:
        return
    if target == rules.PERFORMING and not oral:
        go(rules.PERFORMING)
        return
    if not oral:
        go(rules.PERFORMING)
        later(20)
    go(rules.PERFORMED)
    if target in (rules.PERFORMED, rules.PERFORMING):
        return
    visit = later(30)
    casefile.record_follow_up(
        w,
        c.id,
        visited_on=visit,
        visitor=w.actor.display_name,
        performance="协议已履行完毕。",
        satisfaction=rng.choice(("满意", "满意", "基本满意")),
        attitude_changes="双方关系缓和，见面能打招呼。",
        new_dispute_signs="无",
    )
    go(rules.VISITED)
    if target == rules.ARCHIVED:
        _archive(w, c, later(15))


def _archive(w: Work, c: CaseInfo, day: dt.date) -> None:
    assert w.actor is not None, "the demo's cases are archived by its mediator"
    for key in ("identity", "back_cover", "rights_notice", "session_record"):
        casefile.set_file_item(w, c.id, key, present=True, pages=1)
    states.change_state(
        w,
        c.id,
        rules.ARCHIVED,
        on_date=day,
        volume_no=f"{day.year}-{c.case_seq:03d}",
        filed_by=w.actor.display_name,
        retention="长期",
    )
