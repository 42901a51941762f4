"""A small village for the 信息员 and 五联 tests: households in 二组 and 三组 with phones, a cadre."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.models import Household, Person

from app.diary.entries import DemandInput, EntryInput, ParticipantInput
from app.informants import appointments

from tests.diary_helpers import add_cadre, add_household

D = dt.date
TODAY = D(2024, 6, 1)
NOW = dt.datetime(2024, 6, 1, 18, 0)


def village(ws):
    """(cadre, {name: (household id, person id)}): 王秀英 in 二组 (own phone), 李国强 in 三组 (the
    household's phone only), 赵大山 in 二组 (no phone), 钱已迁 moved away."""
    cadre = add_cadre(ws)
    people = {}
    for head, group in (("王秀英", "二组"), ("李国强", "三组"), ("赵大山", "二组"), ("钱已迁", "三组")):
        hid, pid, _ = add_household(ws, head, group=group)
        people[head] = (hid, pid)
    with ws.session() as s:
        s.get(Person, people["王秀英"][1]).phone = "13912345678"
        s.get(Household, people["李国强"][0]).phones = "0535-6612345,13800001111"
        moved = s.get(Person, people["钱已迁"][1])
        moved.status, moved.status_date = "迁出", D(2024, 1, 1)
    return cadre, people


def appoint(ws, user, person_id, group, start, note=""):
    with ws.work(user) as w:
        return appointments.appoint(w, appointments.Appointment(person_id, group, start, note), today=TODAY)


def report(informant_id, when=NOW - dt.timedelta(days=1), *, household_id=None, demands=()):
    return EntryInput(
        occurred_at=when,
        kind="信息员报告",
        place="电话",
        participants=[ParticipantInput(household_id)] if household_id else [],
        situation="组里东头的路灯坏了半个月",
        demands=[DemandInput(c, t, due_on=when.date() + dt.timedelta(days=10)) for c, t in demands],
        informant_id=informant_id,
    )


def person_of(ws, name):
    with ws.session() as s:
        return s.scalars(select(Person.id).where(Person.name == name)).one()
