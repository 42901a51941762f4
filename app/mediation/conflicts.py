"""Who may not mediate a case: a party, a party's 法定代理人, or someone living in a party's household
(a relative in the same 户). Checked both ways: when a mediator is added (or replaces one after a
回避 request) and when a party is added to a case that already has its mediators.

A mediator is known as a resident by the roster person picked for them (``CaseMediator.person_id``),
or, for an account of this station, by the roster person with the account's name and phone. Residents
are matched by roster entry and by resident ID (so a party typed in with the mediator's ID, or a resident
entered twice, is the same person), never by name alone; the household is the roster's (entries 在册 in a
live household), found for a typed-in party through the roster entries with the party's resident ID.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import CaseMediator, CaseParty, Household, MediationCase, Person, Recusal, User

from app.errors import UserError


def person_of_user(session: Session, user: User) -> str | None:
    """The roster person an account belongs to: same name and same phone (both needed)."""
    if not user.phone:
        return None
    from app.codes import InvalidPhone, normalize_phone

    try:
        phone = normalize_phone(user.phone)
    except InvalidPhone:
        phone = user.phone
    return session.scalars(
        select(Person.id)
        .where(
            Person.deleted_at.is_(None),
            Person.name == user.display_name,
            Person.phone.in_({phone, user.phone}),
        )
        .order_by(Person.id)
    ).first()


class _PartyLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def person_id(self) -> str | None: ...
    @property
    def id_number(self) -> str | None: ...
    @property
    def guardian_person_id(self) -> str | None: ...
    @property
    def guardian_id_number(self) -> str | None: ...


@dataclass(frozen=True)
class _Probe:
    """A party about to be added."""

    name: str
    person_id: str | None
    id_number: str | None
    guardian_person_id: str | None = None
    guardian_id_number: str | None = None


def _live_parties(session: Session, case_id: str) -> list[CaseParty]:
    return list(
        session.scalars(select(CaseParty).where(CaseParty.case_id == case_id, CaseParty.deleted_at.is_(None)))
    )


def _norm_id(number: str | None) -> str | None:
    """A resident ID as compared: no spaces, capital X (a typed "x" is the same person)."""
    out = "".join((number or "").split()).upper()
    return out or None


@dataclass(frozen=True)
class _Resident:
    """Who someone is in the roster: the person picked and every live roster entry with the same resident
    ID (a resident entered twice, or moved), with the households where those entries live (在册)."""

    person_ids: frozenset[str]
    id_number: str | None
    households: frozenset[str]

    def same(self, other: _Resident) -> bool:
        return bool(self.person_ids & other.person_ids) or (
            self.id_number is not None and self.id_number == other.id_number
        )


def _resident(session: Session, person_id: str | None, id_number: str | None) -> _Resident:
    persons: list[Person] = []
    if person_id:
        p = session.get(Person, person_id)
        if p is not None and p.deleted_at is None:
            persons.append(p)
    number = _norm_id(id_number) or (_norm_id(persons[0].id_number) if persons else None)
    if number:
        persons += session.scalars(
            select(Person).where(
                Person.deleted_at.is_(None),
                func.upper(func.trim(Person.id_number)) == number,
                Person.id != (person_id or ""),
            )
        )
    lived = {p.household_id for p in persons if p.status == "在册"}
    if lived:  # a deleted household is nobody's home
        lived = set(
            session.scalars(
                select(Household.id).where(Household.id.in_(lived), Household.deleted_at.is_(None))
            )
        )
    ids = {p.id for p in persons} | ({person_id} if person_id else set())
    return _Resident(frozenset(ids), number, frozenset(lived))


def _conflict(session: Session, mediator: _Resident, mediator_name: str, party: _PartyLike) -> str | None:
    """Why the resident ``mediator`` may not mediate a case with ``party`` (Chinese), or None.

    Matched by roster entry and by resident ID (never by name alone: two residents may share a name), and
    the household by the roster: the party's entry, or the roster entries with the party's resident ID."""
    who = _resident(session, party.person_id, party.id_number)
    if mediator.same(who):
        by_id = party.person_id not in mediator.person_ids  # the party was typed in, or is another entry
        return (
            f"{mediator_name}是本案当事人{'' if party.name in mediator_name else party.name}"
            f"{'（身份证号相同）' if by_id else ''}，不能担任本案的调解员"
        )
    if party.guardian_person_id or party.guardian_id_number:
        guardian = _resident(session, party.guardian_person_id, party.guardian_id_number)
        if mediator.same(guardian):
            return f"{mediator_name}是当事人{party.name}的法定代理人，不能担任本案的调解员"
    if mediator.households & who.households:
        return (
            f"{mediator_name}与当事人{party.name}同住一户，是当事人的家庭成员，不能担任本案的调解员，应当回避"
        )
    return None


def refuse_mediator(
    session: Session, case: MediationCase, *, name: str, person_id: str | None, mediator_id: str | None = None
) -> None:
    """Refuse a mediator who is a party, a party's 法定代理人, or of a party's household, or who
    stepped aside from this case after a party's 回避 request was granted."""
    stepped_aside = session.scalars(
        select(Recusal).where(
            Recusal.case_id == case.id, Recusal.deleted_at.is_(None), Recusal.decision == "同意回避"
        )
    ).all()
    if any(r.mediator_id == mediator_id or r.mediator_name == name for r in stepped_aside):
        raise UserError(f"{name}已因当事人申请回避退出本案调解，不能再担任本案的调解员", field="mediator")
    if not person_id:
        return
    mediator = _resident(session, person_id, None)
    for party in _live_parties(session, case.id):
        reason = _conflict(session, mediator, name, party)
        if reason:
            raise UserError(reason, field="mediator")


def refuse_party_who_mediates(
    session: Session,
    case: MediationCase,
    *,
    name: str,
    person_id: str | None,
    id_number: str | None,
    guardian_person_id: str | None = None,
    guardian_id_number: str | None = None,
) -> None:
    """Refuse a party who is one of the case's mediators or lives in a mediator's household, or whose
    法定代理人 is a mediator: the mediator is replaced first (回避)."""
    mediators = session.scalars(
        select(CaseMediator).where(
            CaseMediator.case_id == case.id,
            CaseMediator.deleted_at.is_(None),
            CaseMediator.person_id.is_not(None),
        )
    )
    probe = _Probe(name, person_id, id_number, guardian_person_id, guardian_id_number)
    for m in mediators:
        reason = _conflict(session, _resident(session, m.person_id, None), f"调解员{m.name}", probe)
        if reason:
            raise UserError(
                f"{reason}：请先在“当事人”页为调解员{m.name}办理回避、更换调解员",
                field="person_id",
            )
