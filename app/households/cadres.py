"""联系干部 and 包片干部: who can be one, assigning them to a household (with history), the village
secretary named on the contact card, and marking contact cards (联系卡) delivered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select

from db import vocab
from db.models import CadreAssignment, Household, User

from app import audit
from app.errors import UserError
from app.households.checks import get_live, require_edit
from app.work import Work

CADRE_ROLES = vocab.CADRE_ROLES  # stored as these values (db/vocab.py)
ROLE_FIELDS = {vocab.CONTACT_CADRE: "contact", vocab.AREA_CADRE: "area"}  # the editor's field for each


@dataclass(frozen=True)
class CadreView:
    role: str
    cadre_id: str
    name: str
    phone: str | None
    start_on: dt.date
    end_on: dt.date | None


# -- cadres -------------------------------------------------------------------------------------
def cadres(work: Work) -> list[User]:
    """Active users who can be a contact or area cadre (村干部, also admins who do the work)."""
    users = work.session.scalars(
        select(User).where(User.deleted_at.is_(None), User.active.is_(True)).order_by(User.display_name)
    ).all()
    return [u for u in users if u.role_set & {"cadre", "admin", "mediator"}]


def assign_cadre(work: Work, household_id: str, role: str, cadre_id: str | None, *, on: dt.date) -> bool:
    """Make ``cadre_id`` the household's contact/area cadre from ``on`` (None: nobody); history is kept."""
    require_edit(work)
    if role not in CADRE_ROLES:
        raise ValueError(role)
    session = work.session
    household = get_live(work, household_id)
    if cadre_id is not None:
        cadre = session.get(User, cadre_id)
        if cadre is None or cadre.deleted_at is not None or not cadre.active:
            raise UserError(f"{role}：这个账号不存在或已停用", field=ROLE_FIELDS[role])
    current = session.scalars(
        select(CadreAssignment).where(
            CadreAssignment.household_id == household.id,
            CadreAssignment.role == role,
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
    ).all()
    if cadre_id is not None and [c.cadre_id for c in current] == [cadre_id]:
        return False
    for c in current:
        c.end_on = on
    if cadre_id is not None:
        session.add(CadreAssignment(household_id=household.id, cadre_id=cadre_id, role=role, start_on=on))
    audit.record(
        session,
        work.actor,
        f"household.{role}_cadre",
        table="household",
        record_id=household.id,
        fields=[f"{role}_cadre"],
    )
    return True


def cadre_views(work: Work, household_id: str) -> list[CadreView]:
    rows = work.session.execute(
        select(CadreAssignment, User)
        .join(User, User.id == CadreAssignment.cadre_id)
        .where(CadreAssignment.household_id == household_id, CadreAssignment.deleted_at.is_(None))
        .order_by(CadreAssignment.start_on, CadreAssignment.created_at)
    ).all()
    return [CadreView(a.role, u.id, u.display_name, u.phone, a.start_on, a.end_on) for a, u in rows]


# -- contact cards delivered ---------------------------------------------------------------------
def mark_cards_delivered(work: Work, household_ids: Iterable[str], on: dt.date) -> int:
    """联系卡已送达 on ``on`` for the given households; returns how many changed."""
    require_edit(work)
    session = work.session
    n = 0
    ids = list(household_ids)
    for start in range(0, len(ids), 500):
        for h in session.scalars(
            select(Household).where(
                Household.id.in_(ids[start : start + 500]), Household.deleted_at.is_(None)
            )
        ):
            if h.card_delivered_on != on:
                h.card_delivered_on = on
                n += 1
    if n:
        audit.record(
            session,
            work.actor,
            "household.card_delivered",
            table="household",
            fields=["card_delivered_on"],
            detail=f"{n} 户",
        )
    return n


def set_card_delivered(work: Work, household_id: str, on: dt.date | None) -> bool:
    """One household's 联系卡 delivered on ``on``, or not delivered (None: a delivery marked by
    mistake is taken back), with the checks and the audit of :func:`mark_cards_delivered`; returns
    whether it changed."""
    require_edit(work)
    household = get_live(work, household_id)
    if household.card_delivered_on == on:
        return False
    household.card_delivered_on = on
    audit.record(
        work.session,
        work.actor,
        "household.card_delivered",
        table="household",
        record_id=household.id,
        fields=["card_delivered_on"],
        detail=None if on is not None else "撤销送达",
    )
    return True


def village_secretary(work: Work) -> User | None:
    """The village secretary for the card: a user whose 职务 contains 书记, else the first admin."""
    users = work.session.scalars(
        select(User).where(User.deleted_at.is_(None), User.active.is_(True)).order_by(User.created_at)
    ).all()
    for u in users:
        if u.title and "书记" in u.title and "副书记" not in u.title:
            return u
    for u in users:
        if u.title and "书记" in u.title:
            return u
    return next((u for u in users if "admin" in u.role_set), None)
