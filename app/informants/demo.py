"""Demo step: 群众工作信息员 for several 组 (one 组 with a past informant, for the history) and their
信息员报告 in the diary, some with a demand (one of them referred to the town, as any other demand).

A handful of rows whatever the size of the village: the informants are read from the roster with one
indexed query per 组, and the entries written with the diary's bulk path (triggers set aside, the
full-text and derived rows written after), so ``demo --households 100000`` stays as fast as before."""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from sqlalchemy import insert, select

from db import diary_derived, vocab
from db.base import new_id
from db.diary_fulltext import index_new_entries, triggers_set_aside
from db.models import (
    CadreAssignment,
    Demand,
    DiaryEntry,
    DiaryParticipant,
    Household,
    Informant,
    Person,
    User,
)
from db.queries.households import group_names
from db.stamping import stamp_new_rows

from app.demo import DemoRun
from app.diary.entries import participant_id
from app.workspace import Workspace

GROUPS_WITH_INFORMANTS = 6
REPORTS = [
    (
        "{head}家老人这几天没见出门，邻居敲门也没人应，请村里去看看。",
        "",
        "民生保障",
        "请干部上门看望独居老人",
    ),
    ("组里东头的路灯坏了半个月，晚上出行不方便。", "", "基础设施", "路灯损坏希望维修"),
    (
        "{head}家和邻居因为排水沟的事吵起来了，怕闹大。",
        "邻里纠纷，双方情绪激动",
        "矛盾纠纷",
        "排水纠纷请村里协调",
    ),
    ("组里自来水这两天水压很低，做饭都接不上水。", "", "基础设施", "自来水水压低"),
    ("{head}家孩子初中毕业后在家待着，家长着急想让他学门手艺。", "", "就业", "孩子想参加技能培训"),
    ("刮大风后{head}家院墙裂了，有倒塌的危险。", "院墙开裂", "住房", "院墙开裂希望帮助查看"),
    ("组里几户反映今年的耕地地力补贴还没到账。", "", "政策咨询", "咨询耕地地力保护补贴发放时间"),
    ("{head}家老人住院了，家里只有老伴一个人。", "", "", ""),
    ("组里最近有陌生人上门推销保健品，老人容易上当。", "", "", ""),
]
WAYS = ("电话", "村群众工作室", "信息员家中")


def generate(ws: Workspace, demo: DemoRun) -> dict[str, int]:
    assert ws.engine is not None, "the demo runs in an open workspace"
    rng = random.Random(f"{demo.seed}-informants")
    today = demo.today
    ctx = ws.stamp_context()
    with ws.engine.connect() as conn:
        from sqlalchemy.orm import Session

        with Session(bind=conn) as s:
            groups = group_names(s)[:GROUPS_WITH_INFORMANTS]
        cadres = list(
            conn.scalars(select(User.id).where(User.deleted_at.is_(None), User.roles.like("%cadre%")))
        )
        picks: dict[
            str, list[tuple[str, str]]
        ] = {}  # 组 → [(person id, household id)] residents with a phone
        heads: dict[str, list[tuple[str, str]]] = {}  # 组 → [(household id, head name)]
        area: dict[str, str] = {}
        for g in groups:
            # driven by the 组's households in the roster's index order (a 100 000-household village:
            # a few hundred rows read per 组, never the whole person table)
            first = [
                (hid, head)
                for hid, head in conn.execute(
                    select(Household.id, Household.head_name)
                    .where(Household.group_name == g, Household.deleted_at.is_(None))
                    .order_by(Household.head_name)
                    .limit(200)
                )
            ]
            heads[g] = first[:30]
            order = {hid: n for n, (hid, _head) in enumerate(first)}
            adult = today - dt.timedelta(days=30 * 365)
            # the persons by their household (the household_id index); the rest is sifted here, since
            # the planner would otherwise walk the partial index of every live 在册 person
            found = sorted(
                (order[hid], name, pid)
                for pid, hid, name, status, phone, birth, gone in conn.execute(
                    select(
                        Person.id,
                        Person.household_id,
                        Person.name,
                        Person.status,
                        Person.phone,
                        Person.birth_date,
                        Person.deleted_at,
                    ).where(Person.household_id.in_(list(order)))
                )
                if status == "在册" and phone and birth is not None and birth < adult and gone is None
            )
            picks[g] = [(pid, first[n][0]) for n, _name, pid in found[:8]]
            cadre = conn.scalar(
                select(CadreAssignment.cadre_id)
                .where(
                    CadreAssignment.household_id.in_([hid for hid, _head in heads[g]]),
                    CadreAssignment.role == vocab.AREA_CADRE,
                    CadreAssignment.end_on.is_(None),
                    CadreAssignment.deleted_at.is_(None),
                )
                .order_by(CadreAssignment.household_id)
                .limit(1)
            )
            if cadre:
                area[g] = cadre
    if not cadres:
        return {"informants": 0, "informant_reports": 0}
    informants: list[dict[str, Any]] = []
    terms: list[tuple[str, str, dt.date, dt.date]] = []  # (informant id, 组, first day, last day)
    for n, g in enumerate(groups):
        people = picks[g]
        if not people:
            continue
        start = today - dt.timedelta(days=rng.randint(250, 600))
        if n == 1 and len(people) > 1:  # a past informant, for the history: ended, a successor since
            old_id = new_id(ctx.station_id)
            old_end = start + dt.timedelta(days=rng.randint(60, 120))
            informants.append(
                {
                    "id": old_id,
                    "person_id": people[1][0],
                    "group_name": g,
                    "start_on": start - dt.timedelta(days=400),
                    "end_on": old_end,
                    "end_reason": "外出务工，不再担任",
                    "note": "",
                }
            )
            terms.append((old_id, g, start - dt.timedelta(days=400), old_end))
            start = old_end
        iid = new_id(ctx.station_id)
        informants.append(
            {
                "id": iid,
                "person_id": people[0][0],
                "group_name": g,
                "start_on": start,
                "end_on": None,
                "end_reason": "",
                "note": "组里老党员，热心，熟悉各家情况" if n == 0 else "",
            }
        )
        terms.append((iid, g, start, today))
    entries: list[dict[str, Any]] = []
    parts: list[dict[str, Any]] = []
    demands: list[dict[str, Any]] = []
    referred = False
    for iid, g, begun, last in terms:
        for _ in range(rng.randint(3, 5) if last == today else 2):
            span = (last - max(begun, last - dt.timedelta(days=300))).days
            if span < 1:
                continue
            day = last - dt.timedelta(days=rng.randint(0, span))
            if day >= today:
                day = today - dt.timedelta(days=1)
            text, difficulty, category, demand = rng.choice(REPORTS)
            hid, head = rng.choice(heads[g]) if heads[g] else (None, "")
            about_household = hid is not None and "{head}" in text
            eid = new_id(ctx.station_id)
            cadre = area.get(g) or rng.choice(cadres)
            entries.append(
                {
                    "id": eid,
                    "cadre_id": cadre,
                    "occurred_at": dt.datetime.combine(
                        day, dt.time(rng.randint(7, 20), rng.choice((0, 15, 30, 45)))
                    ),
                    "kind": vocab.INFORMANT_REPORT,
                    "informant_id": iid,
                    "place": rng.choice(WAYS),
                    "companions": "",
                    "situation": text.format(head=head),
                    "difficulties": difficulty,
                    "actions": "已记下，转告联系干部跟进。",
                    "follow_up": "",
                    "follow_up_on": None,
                }
            )
            if hid is not None and about_household:
                parts.append(
                    {
                        "id": participant_id(eid, hid, None),
                        "entry_id": eid,
                        "household_id": hid,
                        "person_id": None,
                    }
                )
            if category:
                status = vocab.OPEN
                extra: dict[str, Any] = {}
                if not referred and category in ("基础设施", "住房"):
                    referred = True
                    status = vocab.REFERRED
                    extra = {
                        "referred_office": "村镇建设办" if category == "住房" else "农业农村办",
                        "referral_note": "信息员反映，村里核实后需镇里安排",
                        "referred_on": min(day + dt.timedelta(days=2), today),
                        "referred_by": "村管理员",
                    }
                demands.append(
                    {
                        "entry_id": eid,
                        "household_id": hid if about_household else None,
                        "position": 0,
                        "category": category,
                        "content": demand,
                        "responsible_id": cadre,
                        "due_on": day + dt.timedelta(days=15),
                        "status": status,
                        "referred_office": None,
                        "referral_note": "",
                        "referred_on": None,
                        "referred_by": None,
                        **extra,
                    }
                )
    with ws.engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA defer_foreign_keys=ON")
        stamp_new_rows(conn, ctx, informants)
        if informants:
            conn.execute(insert(Informant), informants)
        with triggers_set_aside(conn), diary_derived.triggers_set_aside(conn):
            for model, rows in ((DiaryEntry, entries), (DiaryParticipant, parts), (Demand, demands)):
                if rows:
                    stamp_new_rows(conn, ctx, rows)
                    conn.execute(insert(model), rows)
            index_new_entries(conn, [e["id"] for e in entries])
            diary_derived.refresh_written(conn, entries=[e["id"] for e in entries])
    return {"informants": len(informants), "informant_reports": len(entries)}
