"""Case list queries: ids filtered and sorted in SQL, rows fetched a page at a time (lazy table model)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, exists, func, or_, select
from sqlalchemy.orm import Session

from db.models import CaseParty, MediationCase, Screening
from db.queries.words import escape_like

SORT_COLUMNS = {
    "case_number": (MediationCase.case_year, MediationCase.case_seq),
    "title": (MediationCase.title,),
    "accepted_on": (MediationCase.accepted_on, MediationCase.case_seq),
    "dispute_type": (MediationCase.dispute_type,),
    "source": (MediationCase.source,),
    "state": (MediationCase.state,),
    "state_on": (MediationCase.state_on,),
    "village_code": (MediationCase.village_code, MediationCase.case_year, MediationCase.case_seq),
}


@dataclass(frozen=True)
class CaseFilter:
    text: str = ""
    state: str | None = None
    year: int | None = None
    dispute_type: str | None = None
    village_code: str | None = None


@dataclass(frozen=True)
class CaseRow:
    id: str
    case_number: str
    title: str
    accepted_on: dt.date
    dispute_type: str
    source: str
    state: str
    state_on: dt.date
    parties: str
    village_code: str = ""


def case_ids(
    session: Session, flt: CaseFilter = CaseFilter(), *, sort: str = "accepted_on", descending: bool = True
) -> list[str]:
    q = select(MediationCase.id).where(MediationCase.deleted_at.is_(None))
    if flt.state:
        q = q.where(MediationCase.state == flt.state)
    if flt.year:
        q = q.where(MediationCase.case_year == flt.year)
    if flt.dispute_type:
        q = q.where(MediationCase.dispute_type == flt.dispute_type)
    if flt.village_code:
        q = q.where(MediationCase.village_code == flt.village_code)
    text = flt.text.strip()
    if text:
        pattern = f"%{escape_like(text)}%"
        party = exists().where(
            CaseParty.case_id == MediationCase.id,
            CaseParty.deleted_at.is_(None),
            CaseParty.name.like(pattern, escape="\\"),
        )
        q = q.where(
            or_(
                MediationCase.title.like(pattern, escape="\\"),
                MediationCase.case_number.like(pattern, escape="\\"),
                party,
            )
        )
    cols = SORT_COLUMNS[sort]
    order = [c.desc() if descending else c.asc() for c in cols]
    return list(session.scalars(q.order_by(*order, MediationCase.id)))


def case_rows(session: Session, ids: list[str]) -> dict[str, CaseRow]:
    """The rows for ``ids`` (one page of the table), with the parties' names joined."""
    if not ids:
        return {}
    names: dict[str, list[str]] = {}
    for case_id, name in session.execute(
        select(CaseParty.case_id, CaseParty.name)
        .where(CaseParty.case_id.in_(ids), CaseParty.deleted_at.is_(None))
        .order_by(CaseParty.sort_order)
    ):
        names.setdefault(case_id, []).append(name)
    rows = session.execute(
        select(
            MediationCase.id,
            MediationCase.case_number,
            MediationCase.title,
            MediationCase.accepted_on,
            MediationCase.dispute_type,
            MediationCase.source,
            MediationCase.state,
            MediationCase.state_on,
            MediationCase.village_code,
        ).where(MediationCase.id.in_(ids))
    )
    return {r[0]: CaseRow(*r[:8], parties="、".join(names.get(r[0], [])), village_code=r[8]) for r in rows}


def case_years(session: Session, village_code: str | None = None) -> list[int]:
    q = select(MediationCase.case_year).where(MediationCase.deleted_at.is_(None))
    if village_code:
        q = q.where(MediationCase.village_code == village_code)
    return list(session.scalars(q.group_by(MediationCase.case_year).order_by(MediationCase.case_year.desc())))


@dataclass(frozen=True)
class ScreeningRow:
    id: str
    round_date: dt.date
    period_label: str
    screeners: str
    place: str
    found_count: int
    findings: str
    cases: int  # cases registered from this round


def screening_rows(session: Session, year: int | None = None) -> list[ScreeningRow]:
    made = (
        select(func.count())
        .where(MediationCase.source_record_id == Screening.id, MediationCase.deleted_at.is_(None))
        .scalar_subquery()
    )
    q = select(
        Screening.id,
        Screening.round_date,
        case(
            (Screening.round_kind == "不定期", Screening.period_label + "（不定期）"),
            else_=Screening.period_label,
        ),
        Screening.screeners,
        Screening.place,
        Screening.found_count,
        Screening.findings,
        made,
    ).where(Screening.deleted_at.is_(None))
    if year:
        q = q.where(func.strftime("%Y", Screening.round_date) == str(year))
    return [ScreeningRow(*r) for r in session.execute(q.order_by(Screening.round_date.desc()))]
