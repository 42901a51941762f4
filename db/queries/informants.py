"""群众工作信息员: the list, each informant's last report, and who serves a 组 on a day (read only).

An informant is serving on day ``d`` when ``start_on <= d`` and (``end_on`` is empty or ``d <= end_on``):
the day an appointment ends is its last day (docs/informants.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from db import vocab
from db.models import DiaryEntry, Household, Informant, Person
from db.queries.households import group_sort_key


def serving_on(day: dt.date) -> ColumnElement[bool]:
    """The SQL condition: the informant serves on ``day``."""
    return and_(
        Informant.deleted_at.is_(None),
        Informant.start_on <= day,
        or_(Informant.end_on.is_(None), Informant.end_on >= day),
    )


@dataclass(frozen=True)
class InformantRow:
    id: str
    village_code: str
    person_id: str
    household_id: str
    name: str
    group_name: str
    phone: str  # the person's own phone, else the household's first
    start_on: dt.date
    end_on: dt.date | None
    end_reason: str
    note: str
    last_report: dt.date | None
    reports: int

    @property
    def serving(self) -> bool:
        return self.end_on is None

    def serving_on(self, day: dt.date) -> bool:
        return self.start_on <= day and (self.end_on is None or day <= self.end_on)


def _phone(own: str | None, household_phones: str | None) -> str:
    if own:
        return own
    return (household_phones or "").split(",")[0].strip()


def informant_ids(
    session: Session, *, include_ended: bool = True, village_code: str | None = None
) -> list[str]:
    """The informants in list order: village, 组 (natural order: 二组 before 十组), serving first, newest
    appointment first."""
    q = select(
        Informant.id, Informant.village_code, Informant.group_name, Informant.end_on, Informant.start_on
    )
    q = q.where(Informant.deleted_at.is_(None))
    if not include_ended:
        q = q.where(Informant.end_on.is_(None))
    if village_code:
        q = q.where(Informant.village_code == village_code)
    rows = list(session.execute(q))
    rows.sort(
        key=lambda r: (
            r.village_code,
            group_sort_key(r.group_name),
            r.end_on is not None,
            -r.start_on.toordinal(),
        )
    )
    return [r.id for r in rows]


def last_reports(session: Session, ids: Iterable[str]) -> dict[str, tuple[dt.date, int]]:
    """Informant id → (day of the last 信息员报告 naming them, how many), for those with any."""
    ids = list(ids)
    out: dict[str, tuple[dt.date, int]] = {}
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for iid, last, n in session.execute(
            select(DiaryEntry.informant_id, func.max(DiaryEntry.occurred_at), func.count())
            .where(
                DiaryEntry.informant_id.in_(part),
                DiaryEntry.kind == vocab.INFORMANT_REPORT,
                DiaryEntry.deleted_at.is_(None),
            )
            .group_by(DiaryEntry.informant_id)
        ):
            if iid is not None:  # (the IN list names no NULL)
                out[iid] = (last.date(), n)
    return out


def informant_rows(session: Session, ids: Sequence[str]) -> dict[str, InformantRow]:
    """The rows of ``ids`` (an id gone is left out), in a few batched queries."""
    out: dict[str, InformantRow] = {}
    ids = list(ids)
    reports = last_reports(session, ids)
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        for inf, person, phones in session.execute(
            select(Informant, Person, Household.phones)
            .join(Person, Person.id == Informant.person_id)
            .join(Household, Household.id == Person.household_id)
            .where(Informant.id.in_(part), Informant.deleted_at.is_(None))
        ):
            last, n = reports.get(inf.id, (None, 0))
            out[inf.id] = InformantRow(
                inf.id,
                inf.village_code,
                inf.person_id,
                person.household_id,
                person.name,
                inf.group_name,
                _phone(person.phone, phones),
                inf.start_on,
                inf.end_on,
                inf.end_reason,
                inf.note,
                last,
                n,
            )
    return out


def informants_serving(session: Session, day: dt.date, village_code: str | None = None) -> list[InformantRow]:
    """Who serves on ``day`` (the entry form's choice), in list order."""
    q = select(Informant.id).where(serving_on(day))
    if village_code:
        q = q.where(Informant.village_code == village_code)
    wanted = set(session.scalars(q))
    order = [i for i in informant_ids(session, village_code=village_code) if i in wanted]
    rows = informant_rows(session, order)
    return [rows[i] for i in order if i in rows]


def group_informants(session: Session, groups: Iterable[str], day: dt.date) -> dict[str, tuple[str, str]]:
    """组 → (name, phone) of the informant serving it on ``day`` (the contact card). When a handover day
    has two, the one still serving (no end) is named."""
    groups = set(groups)
    if not groups:
        return {}
    out: dict[str, tuple[str, str]] = {}
    for inf, name, own, phones in session.execute(
        select(Informant, Person.name, Person.phone, Household.phones)
        .join(Person, Person.id == Informant.person_id)
        .join(Household, Household.id == Person.household_id)
        .where(serving_on(day), Informant.group_name.in_(groups))
        .order_by(Informant.end_on.is_(None), Informant.start_on)
    ):
        out[inf.group_name] = (name, _phone(own, phones))  # the open one comes last and wins
    return out
