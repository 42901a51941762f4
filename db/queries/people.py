"""Finding persons as you type: by name, pinyin (full or initials), ID suffix or phone."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql import Select

from db.models import Household, Person
from db.queries.words import escape_like


@dataclass(frozen=True)
class PersonHit:
    id: str
    household_id: str
    name: str
    relation: str
    sex: str | None
    birth_date: dt.date | None
    id_number: str | None
    phone: str | None
    group_name: str
    address: str
    head_name: str
    status: str


def hit_query() -> Select[*tuple[Any, ...]]:
    """The columns of a :class:`PersonHit`, in its field order, person joined to household."""
    return select(
        Person.id,
        Person.household_id,
        Person.name,
        Person.relation,
        Person.sex,
        Person.birth_date,
        Person.id_number,
        Person.phone,
        Household.group_name,
        Household.address,
        Household.head_name,
        Person.status,
    ).join(Household, Household.id == Person.household_id)


def hits(session: Session, q: Select[*tuple[Any, ...]]) -> list[PersonHit]:
    """The rows of ``q`` (a :func:`hit_query`) as PersonHits."""
    rows: list[Any] = list(session.execute(q))  # in PersonHit's field order
    return [PersonHit(*row) for row in rows]


def find_persons(
    session: Session,
    text: str,
    *,
    limit: int = 20,
    include_inactive: bool = False,
    village_code: str | None = None,
) -> list[PersonHit]:
    """Persons matching ``text``; pinyin matches any reading (曾 by z and c)."""
    text = (text or "").strip()
    if not text:
        return []
    q = hit_query().where(Person.deleted_at.is_(None), Household.deleted_at.is_(None))
    if not include_inactive:
        q = q.where(Person.status == "在册")
    if village_code:
        q = q.where(Person.village_code == village_code)
    lowered = text.lower().replace(" ", "")
    esc = escape_like(lowered)
    if re.fullmatch(r"[a-z]+", lowered):
        q = q.where(
            or_(
                Person.name_initials.like(f"{esc}%", escape="\\"),
                Person.name_initials.like(f"% {esc}%", escape="\\"),
                Person.name_pinyin.like(f"{esc}%", escape="\\"),
                Person.name_pinyin.like(f"% {esc}%", escape="\\"),
            )
        )
    elif re.fullmatch(r"[\dxX]+", lowered):
        q = q.where(
            or_(
                Person.id_number.like(f"%{esc.upper()}", escape="\\"),
                Person.phone.like(f"%{esc}%", escape="\\"),
            )
        )
    else:
        q = q.where(Person.name.like(f"%{escape_like(text)}%", escape="\\"))
    q = q.order_by(Person.name).limit(limit)
    return hits(session, q)
