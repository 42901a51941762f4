"""Who may not mediate a case: a party, a party's 法定代理人, or someone living in a party's household
(a relative in the same 户). Checked both ways: when a mediator is added (or replaces one after a
回避 request) and when a party is added to a case that already has its mediators.

A mediator is known as a resident by the roster person picked for them (``CaseMediator.person_id``),
or, for an account of this station, by the roster person with the account's name and phone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import CaseMediator, CaseParty, MediationCase, Person, Recusal, User

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


def _conflict(session: Session, mediator: Person, mediator_name: str, party: _PartyLike) -> str | None:
    """Why ``mediator`` may not mediate a case with ``party`` (Chinese), or None."""
    if party.person_id == mediator.id or (
        party.id_number and mediator.id_number and party.id_number == mediator.id_number
    ):
        return f"{mediator_name}是本案当事人，不能担任本案的调解员"
    if party.guardian_person_id == mediator.id or (
        party.guardian_id_number and mediator.id_number and party.guardian_id_number == mediator.id_number
    ):
        return f"{mediator_name}是当事人{party.name}的法定代理人，不能担任本案的调解员"
    if party.person_id:
        other = session.get(Person, party.person_id)
        if other is not None and other.household_id == mediator.household_id:
            return (
                f"{mediator_name}与当事人{party.name}同住一户，是当事人的家庭成员，"
                "不能担任本案的调解员，应当回避"
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
    mediator = session.get(Person, person_id)
    if mediator is None:
        return
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
        person = session.get(Person, m.person_id)
        if person is None:
            continue
        reason = _conflict(session, person, f"调解员{m.name}", probe)
        if reason:
            raise UserError(
                f"{reason}：请先在“当事人”页为调解员{m.name}办理回避、更换调解员",
                field="person_id",
            )
