"""Small rosters for diary tests: a cadre, households with persons, tags and contact cadres."""

from __future__ import annotations

import datetime as dt

from db import vocab
from db.models import CadreAssignment, Household, HouseholdTag, Person

from app import accounts
from app.diary.entries import DemandInput, EntryInput, ParticipantInput

NOW = dt.datetime(2024, 3, 15, 16, 30)


def add_cadre(ws, name="王建国", username="wjg"):
    with ws.work(None) as w:
        user = accounts.add_user(
            w, username=username, display_name=name, password="secret-1", roles=["cadre"]
        )
        w.session.flush()
        w.session.expunge(user)
    return user


def add_household(ws, head="张三丰", members=(), group="二组", tags=(), cadre_id=None, created=None):
    with ws.session() as s:
        h = Household(head_name=head, group_name=group, address=f"{group}{head}家")
        s.add(h)
        s.flush()
        head_p = Person(household_id=h.id, name=head, relation="户主")
        s.add(head_p)
        others = [Person(household_id=h.id, name=m, relation="配偶") for m in members]
        s.add_all(others)
        for t in tags:
            s.add(HouseholdTag(household_id=h.id, tag=t))
        if cadre_id:
            s.add(
                CadreAssignment(
                    household_id=h.id,
                    cadre_id=cadre_id,
                    role=vocab.CONTACT_CADRE,
                    start_on=dt.date(2020, 1, 1),
                )
            )
        s.flush()
        if created is not None:
            h.created_at = created
        return h.id, head_p.id, [p.id for p in others]


def entry_input(
    household_id,
    person_id=None,
    *,
    when=NOW,
    kind="入户走访",
    situation="老人腿脚不便，独自居住",
    demands=(),
):
    return EntryInput(
        occurred_at=when,
        kind=kind,
        place="张三丰家中",
        participants=[ParticipantInput(household_id, person_id)],
        situation=situation,
        difficulties="冬季取暖困难",
        actions="当场讲解了低保政策",
        demands=[
            DemandInput(category=c, content=t, due_on=when.date() + dt.timedelta(days=10)) for c, t in demands
        ],
    )
