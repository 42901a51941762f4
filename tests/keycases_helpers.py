"""A village with a 上访户 household, a cadre and one 包案 (for the keycases tests)."""

from __future__ import annotations

import datetime as dt

from app.diary import entries
from app.keycases import cases

from tests.diary_helpers import add_cadre, add_household, entry_input

OPENED = dt.date(2024, 3, 1)


def case_input(household_id: str, leader: cases.PersonRef | None = None, **over) -> cases.KeyCaseInput:
    values = dict(
        household_id=household_id,
        title="宅基地界址争议多次上访",
        summary="与邻户争执三年",
        opened_on=OPENED,
        leader=leader or cases.PersonRef("李书记", "东城镇"),
        team=[cases.PersonRef("张海", "村网格员")],
        plan="一、重新勘测界址；二、召开协调会。",
        department="镇国土所",
        stabilization="包案领导每月见面一次",
        steps={"steps_solve": "核实诉求，合理部分限期解决", "steps_educate": "讲清政策"},
    )
    values.update(over)
    return cases.KeyCaseInput(**values)


def village_with_case(ws, admin):
    """(cadre, household id, person id, case id): the cadre leads the 包案 of 张三丰's household."""
    cadre = add_cadre(ws)
    household_id, person_id, _ = add_household(ws, tags=("上访户",))
    with ws.work(admin) as w:
        case_id = cases.open_case(
            w,
            case_input(household_id, cases.PersonRef("", user_id=cadre.id), person_id=person_id),
            now=dt.datetime(2024, 3, 1, 9, 0),
        )
    return cadre, household_id, person_id, case_id


def visit(ws, actor, household_id, when: dt.datetime, *, situation="包案回访，了解思想动态") -> str:
    with ws.work(actor) as w:
        return entries.save_entry(w, entry_input(household_id, when=when, situation=situation), now=when).id
