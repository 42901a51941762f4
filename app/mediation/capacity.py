"""民事行为能力 of a party: who must act through a 法定代理人 (民法典 Art. 20–23, see docs/mediation-law.md).

A natural person under 18 on the case's acceptance date is a minor; the resident ID or the birth date
shows it (either is enough). Such a party is added only with a 法定代理人, and a case whose minor party
has none (an older record) cannot start mediation, record an agreement or be signed until one is given.
An adult without full capacity may be given a 法定代理人 as well (optional: the program cannot tell).
"""

from __future__ import annotations

import contextlib
import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from db.models import CaseParty, MediationCase, Person

from app import audit
from app.errors import UserError
from app.lookup import require_live
from app.mediation import law

ADULT_AGE = 18
GUARDIAN_RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "兄", "姐", "其他监护人")


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birth_dates(id_number: str | None, birth_date: dt.date | None) -> list[dt.date]:
    """The birth dates the party's record shows: from the resident ID and the typed birth date."""
    from app.codes import InvalidResidentId, parse_resident_id

    out = []
    if id_number:
        with contextlib.suppress(InvalidResidentId):  # an ID that does not parse shows no birth date
            out.append(parse_resident_id(id_number).birth_date)
    if birth_date is not None:
        out.append(birth_date)
    return out


def minor_age(id_number: str | None, birth_date: dt.date | None, on: dt.date) -> int | None:
    """The age on ``on`` when the ID or the birth date shows a minor (the younger reading), else None."""
    ages = [age_on(b, on) for b in birth_dates(id_number, birth_date)]
    young = [a for a in ages if a < ADULT_AGE]
    return min(young) if young else None


def missing_guardian(party: Any, accepted_on: dt.date) -> str | None:
    """Why this party needs a 法定代理人 it does not have (Chinese), or None."""
    if party.kind != "个人" or (party.guardian_name or "").strip():
        return None
    age = minor_age(party.id_number, party.birth_date, accepted_on)
    if age is None:
        return None
    return (
        f"当事人{party.name}受理时未满十八周岁（{max(age, 0)} 岁），应由法定代理人代理参加调解"
        f"（{law.CAPACITY.citation}），请填写其法定代理人"
    )


def require_guardians(session: Session, case: MediationCase, parties: list[CaseParty], doing: str) -> None:
    """Refuse ``doing`` (开始调解, 填写协议 …) while a minor party has no 法定代理人."""
    for p in parties:
        problem = missing_guardian(p, case.accepted_on)
        if problem:
            raise UserError(f"{problem}，再{doing}", field="guardian_name")


@dataclass(frozen=True)
class Guardian:
    """The checked 法定代理人 of one party, as stored on the party's row."""

    person_id: str | None
    name: str
    relation: str
    id_number: str | None
    phone: str | None


def check_guardian(
    session: Session,
    *,
    accepted_on: dt.date,
    party_person_id: str | None,
    party_id_number: str | None,
    person_id: str | None = None,
    name: str | None = None,
    relation: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
) -> Guardian:
    """A 法定代理人 from the roster (``person_id``: name, ID and phone copied) or typed in; an adult,
    not the party; the relation said. Every refusal names the field."""
    from app.codes import InvalidPhone, InvalidResidentId, normalize_phone, parse_resident_id

    birth: dt.date | None = None
    if person_id:
        person = require_live(
            session, Person, person_id, "名册中找不到这位法定代理人，请重新查找", field="guardian_person_id"
        )
        name, birth = person.name, person.birth_date
        id_number = person.id_number or id_number
        phone = person.phone or phone
        if party_person_id and person_id == party_person_id:
            raise UserError("法定代理人不能是当事人本人", field="guardian_person_id")
    name = (name or "").strip()
    if not name:
        raise UserError("请填写法定代理人的姓名", field="guardian_name")
    if len(name) > 50:
        raise UserError("法定代理人姓名太长（最多 50 个字）", field="guardian_name")
    relation = (relation or "").strip()
    if not relation:
        raise UserError(
            f"请填写法定代理人与当事人的关系（如{'、'.join(GUARDIAN_RELATIONS[:3])}）",
            field="guardian_relation",
        )
    if len(relation) > 20:
        raise UserError("与当事人关系最多 20 个字", field="guardian_relation")
    id_number = (id_number or "").strip() or None
    if id_number:
        try:
            id_number = parse_resident_id(id_number).number
        except InvalidResidentId as exc:
            raise UserError(f"法定代理人身份证号：{exc}", field="guardian_id_number") from None
        if party_id_number and id_number == party_id_number:
            raise UserError("法定代理人不能是当事人本人（身份证号相同）", field="guardian_id_number")
    phone = (phone or "").strip() or None
    if phone and not person_id:
        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise UserError(f"法定代理人联系电话：{exc}", field="guardian_phone") from None
    young = minor_age(id_number, birth, accepted_on)
    if young is not None:
        raise UserError(
            f"法定代理人{name}受理时只有 {max(young, 0)} 岁，法定代理人须是成年人", field="guardian_name"
        )
    return Guardian(person_id or None, name, relation, id_number, phone)


def apply_guardian(party: CaseParty, guardian: Guardian | None) -> None:
    party.guardian_person_id = guardian.person_id if guardian else None
    party.guardian_name = guardian.name if guardian else None
    party.guardian_relation = guardian.relation if guardian else None
    party.guardian_id_number = guardian.id_number if guardian else None
    party.guardian_phone = guardian.phone if guardian else None


def record_guardian_change(session: Session, user: Any, party: CaseParty) -> None:
    audit.record(
        session,
        user,
        "case.party.guardian",
        table="mediation_party",
        record_id=party.id,
        fields=["guardian_name", "guardian_relation", "guardian_id_number", "guardian_phone"],
    )
