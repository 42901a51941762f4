"""调解案件的登记: the committee's settings (字号 of case numbers, local dispute types), registering a
case (also from a screening round), editing the registration, parties, mediators and the rights-and-duties
notice; and the lookups the other parts of a case use (the case, the case when this station may change
it, a case's live rows, its parties, the history row of a state change).

Every service takes the unit of work (:class:`app.work.Work`) first; the lookups the other parts of a
case use take its session. Reading or changing a case needs the ``see_cases`` permission (调解员, 管理员,
乡镇工作人员).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from db import settings
from db.base import utcnow
from db.models import (
    Agreement,
    CaseFileItem,
    CaseMediator,
    CaseParty,
    CaseTransition,
    FollowUp,
    MediationCase,
    Person,
    Recusal,
    Screening,
    SessionRecord,
    Signature,
    User,
)

from app import accounts, audit
from app.errors import UserError
from app.lookup import require_live
from app.mediation import capacity, conflicts, law, rules
from app.mediation.info import (
    CaseInfo,
    MediatorInfo,
    PartyInfo,
    actor_name,
    link_id,
    plain,
    require_text,
    yuan_to_fen,
)
from app.ownership import require_own_record
from app.work import Work

SETTING_PREFIX = "mediation.case_prefix"
SETTING_LOCAL_TYPES = "mediation.local_types"

# The rows that belong to a case (``case_id``), as :func:`live_rows` loads them.
C = TypeVar(
    "C",
    Agreement,
    CaseFileItem,
    CaseMediator,
    CaseParty,
    CaseTransition,
    FollowUp,
    Recusal,
    SessionRecord,
    Signature,
)


# -- the committee's settings --------------------------------------------------------------------
def committee_name(session: Session) -> str:
    from db.models import Station

    station = session.scalars(select(Station).where(Station.is_local.is_(True))).first()
    return f"{station.name}人民调解委员会" if station is not None else "人民调解委员会"


def case_prefix(session: Session) -> str:
    """The 字号 of case numbers: set by the committee, by default the village name without 村."""
    from db.models import Station

    stored: str | None = settings.get(session, SETTING_PREFIX, None)
    if stored:
        return stored
    station = session.scalars(select(Station).where(Station.is_local.is_(True))).first()
    name = station.name if station is not None else ""
    return name[:-1] if name.endswith("村") and len(name) > 1 else name


def set_case_prefix(work: Work, prefix: str) -> None:
    accounts.require(work.actor, "see_cases")
    prefix = (prefix or "").strip()
    if not prefix or len(prefix) > 10 or any(c in prefix for c in "()（）第号 "):
        raise UserError("字号请填 1 到 10 个字，不含括号、空格和“第”“号”，如“张家”", field="prefix")
    settings.put(work.session, SETTING_PREFIX, prefix)


def dispute_types(work: Work) -> list[str]:
    """The 15 national types, then the committee's own (本地类型, e.g. 村务管理)."""
    local: list[str] = settings.get(work.session, SETTING_LOCAL_TYPES, list(rules.DEFAULT_LOCAL_TYPES))
    return list(rules.NATIONAL_TYPES) + [t for t in local if t not in rules.NATIONAL_TYPES]


# -- the case and its rows, for every part of a case ---------------------------------------------------
def case_row(session: Session, case_id: str) -> MediationCase:
    return require_live(session, MediationCase, case_id, "找不到这个调解案件（可能已被删除）")


def case_for_edit(work: Work, case_id: str) -> MediationCase:
    """The case, when this station may change it: a village's cases are read-only at the town, which
    records only its own handling of an escalated case (:func:`app.mediation.states.record_town_handling`)."""
    row = case_row(work.session, case_id)
    require_own_record(work, row, f"案件 {row.case_number}")
    return row


# One statement per model and order, the case a parameter: SQLAlchemy keys a statement it is given again
# at once, where building and keying a new one cost about as much as running it (0.2 ms against 0.11 ms
# for a case's parties; a case's registration, hearing and filing read its rows some 60 times).
_LIVE_ROWS: dict[tuple[type, tuple[str, ...]], Any] = {}


def live_rows(session: Session, model: type[C], case_id: str, *order: Any) -> list[C]:
    key = (model, tuple(map(str, order)))
    statement = _LIVE_ROWS.get(key)
    if statement is None:
        statement = _LIVE_ROWS[key] = (
            select(model)
            .where(model.case_id == bindparam("case_id"), model.deleted_at.is_(None))
            .order_by(*order)
        )
    return list(session.scalars(statement, {"case_id": case_id}))


def parties(work: Work, case_id: str) -> list[CaseParty]:
    return party_rows(work.session, case_id)


def party_rows(session: Session, case_id: str) -> list[CaseParty]:
    return live_rows(session, CaseParty, case_id, CaseParty.sort_order, CaseParty.created_at)


def add_transition(
    session: Session,
    row: MediationCase,
    source: str | None,
    target: str,
    on_date: dt.date,
    user: User | None,
    note: str,
) -> None:
    """The history row of a state change (registration writes the first, :mod:`app.mediation.states` the rest)."""
    session.add(
        CaseTransition(
            village_code=row.village_code,
            case_id=row.id,
            from_state=source,
            to_state=target,
            on_date=on_date,
            at=utcnow(),
            by_user_id=user.id if user else None,
            by_name=actor_name(user),
            note=note,
        )
    )


# -- registration -------------------------------------------------------------------------------
def next_case_seq(session: Session, village_code: str, year: int) -> int:
    """N of the next case number: sequential per year per committee; deleted cases keep their N."""
    top = session.scalar(
        select(func.max(MediationCase.case_seq)).where(
            MediationCase.village_code == village_code, MediationCase.case_year == year
        )
    )
    return (top or 0) + 1


def register_case(
    work: Work,
    *,
    title: str,
    accepted_on: dt.date,
    source: str,
    dispute_type: str,
    complexity: str = "简单",
    people_count: int = 2,
    amount: object = 0,
    facts: str = "",
    requests: str = "",
    source_record_id: str | None = None,
    risk_criminal_people: int = 0,
    risk_petition_people: int = 0,
    risk_suicide_people: int = 0,
    risk_fight_people: int = 0,
    registrar: str | None = None,
) -> CaseInfo:
    """受理登记: numbers the case and puts it in state 受理. A risk flag is set by its number of people."""
    accounts.require(work.actor, "see_cases")
    title = require_text(title, "纠纷名称（如“张三与李四宅基地纠纷”）", "title")
    if source not in rules.SOURCES:
        raise UserError(f"纠纷来源“{source}”不在列表中，请选择：{'、'.join(rules.SOURCES)}", field="source")
    if dispute_type not in dispute_types(work):
        raise UserError(
            f"纠纷类型“{dispute_type}”不在列表中，请从列表选择或先在设置里添加本地类型", field="dispute_type"
        )
    if complexity not in rules.COMPLEXITIES:
        raise UserError(f"难易程度请选择：{'、'.join(rules.COMPLEXITIES)}", field="complexity")
    if people_count < 1:
        raise UserError("涉及人数至少 1 人", field="people_count")
    for label, n, field in (
        ("民转刑", risk_criminal_people, "risk_criminal_people"),
        ("群体性上访", risk_petition_people, "risk_petition_people"),
        ("自杀", risk_suicide_people, "risk_suicide_people"),
        ("群体性械斗", risk_fight_people, "risk_fight_people"),
    ):
        if n < 0:
            raise UserError(f"可能{label}的人数不能为负数", field=field)
    village_code = work.unit_code
    seq = next_case_seq(work.session, village_code, accepted_on.year)
    row = MediationCase(
        village_code=village_code,
        case_year=accepted_on.year,
        case_seq=seq,
        case_number=rules.case_number(accepted_on.year, case_prefix(work.session), seq),
        title=title,
        accepted_on=accepted_on,
        source=source,
        source_record_id=source_record_id,
        dispute_type=dispute_type,
        complexity=complexity,
        people_count=people_count,
        amount_fen=yuan_to_fen(amount),
        facts=facts.strip(),
        requests=requests.strip(),
        risk_criminal=risk_criminal_people > 0,
        risk_criminal_people=risk_criminal_people,
        risk_petition=risk_petition_people > 0,
        risk_petition_people=risk_petition_people,
        risk_suicide=risk_suicide_people > 0,
        risk_suicide_people=risk_suicide_people,
        risk_fight=risk_fight_people > 0,
        risk_fight_people=risk_fight_people,
        registrar=(registrar or actor_name(work.actor)).strip(),
        state=rules.ACCEPTED,
        state_on=accepted_on,
    )
    work.session.add(row)
    work.session.flush()
    add_transition(work.session, row, None, rules.ACCEPTED, accepted_on, work.actor, "受理登记")
    audit.record(
        work.session,
        work.actor,
        "case.register",
        table="mediation_case",
        record_id=row.id,
        fields=["case_number", "source", "dispute_type"],
    )
    return plain(CaseInfo, row)


def case_from_screening(
    work: Work,
    screening_id: str,
    *,
    title: str,
    dispute_type: str,
    item_id: str | None = None,
    **kwargs: Any,
) -> CaseInfo:
    """A dispute found in a screening round becomes a case in one step (source 排查发现); the round's item
    (``item_id``) is marked 登记为案件 and points to the case."""
    screening = require_live(work.session, Screening, screening_id, "找不到这次排查记录")
    if screening.found_count < 1:
        raise UserError(
            "这次排查是零报告（未发现纠纷），请先把发现的纠纷数改为至少 1 起", field="found_count"
        )
    kwargs.setdefault("accepted_on", screening.round_date)
    kwargs.setdefault("facts", screening.findings)
    info = register_case(
        work,
        title=title,
        source="排查发现",
        dispute_type=dispute_type,
        source_record_id=screening.id,
        **kwargs,
    )
    if item_id is not None:
        from app.mediation.screening import link_case  # (screening does not import this module)

        link_case(work, item_id, info.id, screening_id=screening.id)
    return info


_EDITABLE = (
    "title",
    "source",
    "source_record_id",
    "dispute_type",
    "complexity",
    "people_count",
    "facts",
    "requests",
    "registrar",
)


def update_case(work: Work, case_id: str, **changes: Any) -> CaseInfo:
    """Edit the registration (not the number or accepted date). Amount in 元, risk flags by people."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，登记内容不能再修改")
    changed = []
    for key, value in changes.items():
        if key == "amount":
            value, key = yuan_to_fen(value), "amount_fen"
        elif key in (
            "risk_criminal_people",
            "risk_petition_people",
            "risk_suicide_people",
            "risk_fight_people",
        ):
            if value < 0:
                raise UserError("人数不能为负数", field=key)
            flag = key.removesuffix("_people")
            if getattr(row, flag) != (value > 0):
                setattr(row, flag, value > 0)
        elif key not in _EDITABLE:
            raise TypeError(f"not an editable case field: {key}")
        if key == "title":
            value = require_text(value, "纠纷名称", "title")
        if key == "source" and value not in rules.SOURCES:
            raise UserError(f"纠纷来源请选择：{'、'.join(rules.SOURCES)}", field="source")
        if key == "dispute_type" and value not in dispute_types(work):
            raise UserError(f"纠纷类型“{value}”不在列表中", field="dispute_type")
        if key == "complexity" and value not in rules.COMPLEXITIES:
            raise UserError(f"难易程度请选择：{'、'.join(rules.COMPLEXITIES)}", field="complexity")
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    if changed:
        audit.record(
            work.session, work.actor, "case.update", table="mediation_case", record_id=row.id, fields=changed
        )
    return plain(CaseInfo, row)


# -- parties and mediators ------------------------------------------------------------------------
KNOWN_PARTIES = 300  # the outside parties a new one is offered from: the newest, one each


@dataclass(frozen=True)
class KnownParty:
    """An outside person or organisation of an earlier case, as the form offers it again (the ID masked:
    :func:`add_party` takes the full one from ``party_id`` while the form still shows the mask)."""

    party_id: str  # the newest case party row of them
    kind: str
    name: str
    sex: str | None
    ethnicity: str | None
    birth_date: dt.date | None
    id_masked: str
    occupation: str | None
    phone: str | None
    address: str
    representative: str | None
    representative_title: str | None
    case_number: str

    @property
    def label(self) -> str:
        """王五　李家庄3组　13900001111　案号（2026）张家人调字第 12 号: two of one name told apart."""
        return "　".join(
            x
            for x in (self.name, self.address, self.phone or "", self.id_masked, f"案号{self.case_number}")
            if x
        )


def known_outside_parties(work: Work) -> list[KnownParty]:
    """The outside parties (not from the roster) of this station's earlier cases, newest first, each person
    or organisation once (by its ID number, else by kind, name and address): a neighbouring village's
    resident or a company in several disputes is typed once. At most :data:`KNOWN_PARTIES`."""
    accounts.require(work.actor, "see_cases")
    from app.codes import mask_resident_id

    columns = (
        CaseParty.id,
        CaseParty.kind,
        CaseParty.name,
        CaseParty.sex,
        CaseParty.ethnicity,
        CaseParty.birth_date,
        CaseParty.id_number,
        CaseParty.occupation,
        CaseParty.phone,
        CaseParty.address,
        CaseParty.representative,
        CaseParty.representative_title,
        MediationCase.case_number,
    )
    rows = work.session.execute(
        select(*columns)
        .join(MediationCase, MediationCase.id == CaseParty.case_id)
        .where(
            CaseParty.person_id.is_(None),
            CaseParty.deleted_at.is_(None),
            CaseParty.village_code == work.unit_code,
            MediationCase.deleted_at.is_(None),
        )
        .order_by(CaseParty.created_at.desc(), CaseParty.id)
        .limit(KNOWN_PARTIES * 4)  # (the newest rows: a person in many cases is one of several)
    )
    out: dict[tuple[str, ...], KnownParty] = {}
    for r in rows:
        key = ("id", r.id_number) if r.id_number else ("name", r.kind, r.name, r.address)
        if key in out:
            continue
        out[key] = KnownParty(
            r.id,
            r.kind,
            r.name,
            r.sex,
            r.ethnicity,
            r.birth_date,
            mask_resident_id(r.id_number),
            r.occupation,
            r.phone,
            r.address,
            r.representative,
            r.representative_title,
            r.case_number or "",
        )
        if len(out) >= KNOWN_PARTIES:
            break
    return list(out.values())


def add_party(
    work: Work,
    case_id: str,
    *,
    role: str,
    person_id: str | None = None,
    kind: str = "个人",
    name: str = "",
    sex: str | None = None,
    ethnicity: str | None = None,
    birth_date: dt.date | None = None,
    id_number: str | None = None,
    occupation: str | None = None,
    phone: str | None = None,
    address: str = "",
    representative: str | None = None,
    representative_title: str | None = None,
    guardian_person_id: str | None = None,
    guardian_name: str | None = None,
    guardian_relation: str | None = None,
    guardian_id_number: str | None = None,
    guardian_phone: str | None = None,
    same_as: str | None = None,
) -> PartyInfo:
    """A party from the roster (``person_id``: the person's fields are copied as they are today) or an
    outside person or organisation (单位 needs its representative). ``same_as``: the outside party of an
    earlier case the form was filled from (:func:`known_outside_parties`); an ID number still masked as
    it was offered is that party's.

    A person may be given a 法定代理人 (``guardian_*``: from the roster by ``guardian_person_id``, or
    typed in); one who was under 18 on the acceptance date (by the ID or the birth date) must be."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再添加当事人")
    _require_parties_open(work.session, case_id, "追加")
    if role not in rules.PARTY_ROLES:
        raise UserError(f"当事人身份请选择：{'、'.join(rules.PARTY_ROLES)}", field="role")
    if kind not in rules.PARTY_KINDS:
        raise UserError("当事人类别请选择“个人”或“单位”", field="kind")
    party_id = None
    existing: CaseParty | None = None
    if person_id is not None:
        person = require_live(
            work.session, Person, person_id, "名册中找不到这个人，请重新查找", field="person_id"
        )
        from db.models import Household

        household = work.session.get(Household, person.household_id)
        kind = "个人"
        name, sex, ethnicity, birth_date = person.name, person.sex, person.ethnicity, person.birth_date
        id_number, occupation, phone = person.id_number, person.occupation, person.phone
        if household is not None and not address:
            address = household.address or household.group_name
        party_id = link_id("party", case_id, person_id)
        existing = work.session.get(CaseParty, party_id)
        if existing is not None and existing.deleted_at is None:
            raise UserError(f"{name} 已经是本案当事人", field="person_id")
    name = require_text(name, "当事人姓名或单位名称", "name")
    if kind == "单位" and not (representative or "").strip():
        raise UserError("单位当事人请填写法定代表人或负责人（代表人）", field="representative")
    if phone and person_id is None:
        from app.codes import InvalidPhone, normalize_phone

        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise UserError(f"联系电话：{exc}", field="phone") from None
    if same_as is not None and person_id is None:
        id_number = _offered_id_number(work, row, same_as, id_number, name)
    if id_number and person_id is None:
        from app.codes import InvalidResidentId, parse_resident_id

        try:
            rid = parse_resident_id(id_number)
            id_number, birth_date = rid.number, birth_date or rid.birth_date
            sex = sex or rid.sex
        except InvalidResidentId as exc:
            raise UserError(f"身份证号：{exc}", field="id_number") from None
    guardian = None
    wanted = (guardian_person_id, guardian_name, guardian_relation, guardian_id_number, guardian_phone)
    if kind == "个人" and any((v or "").strip() for v in wanted):
        guardian = capacity.check_guardian(
            work.session,
            accepted_on=row.accepted_on,
            party_person_id=person_id,
            party_id_number=id_number,
            person_id=guardian_person_id,
            name=guardian_name,
            relation=guardian_relation,
            id_number=guardian_id_number,
            phone=guardian_phone,
        )
    elif kind == "个人":
        age = capacity.minor_age(id_number, birth_date, row.accepted_on)
        if age is not None:
            raise UserError(
                f"{name}受理时未满十八周岁（{max(age, 0)} 岁），应由法定代理人代理参加调解"
                f"（{law.CAPACITY.citation}）：请填写法定代理人的姓名和与当事人的关系",
                field="guardian_name",
            )
    conflicts.refuse_party_who_mediates(
        work.session,
        row,
        name=name,
        person_id=person_id,
        id_number=id_number,
        guardian_person_id=guardian.person_id if guardian else None,
        guardian_id_number=guardian.id_number if guardian else None,
    )
    if existing is not None:  # a roster person removed earlier and added again
        existing.deleted_at = None
        existing.role = role
        capacity.apply_guardian(existing, guardian)
        return plain(PartyInfo, existing)
    order = (
        work.session.scalar(select(func.count()).select_from(CaseParty).where(CaseParty.case_id == case_id))
        or 0
    )
    party = CaseParty(
        village_code=row.village_code,
        case_id=case_id,
        role=role,
        kind=kind,
        person_id=person_id,
        name=name,
        sex=sex,
        ethnicity=ethnicity,
        birth_date=birth_date,
        id_number=id_number or None,
        occupation=occupation,
        phone=phone or None,
        address=address or "",
        representative=(representative or "").strip() or None,
        representative_title=(representative_title or "").strip() or None,
        sort_order=order,
    )
    if party_id is not None:
        party.id = party_id
    capacity.apply_guardian(party, guardian)
    work.session.add(party)
    work.session.flush()
    audit.record(
        work.session,
        work.actor,
        "case.party.add",
        table="mediation_party",
        record_id=party.id,
        fields=["role", "name"],
    )
    return plain(PartyInfo, party)


def _offered_id_number(
    work: Work, row: MediationCase, same_as: str, id_number: str | None, name: str
) -> str | None:
    """The ID number of the earlier outside party ``same_as`` when ``id_number`` is still its mask (a
    number typed over it is the one typed); that party must be one this station's cases have, and of the
    same name (a form filled from 王五 and changed to 王六 does not give 王六 王五's number)."""
    if not id_number or "*" not in id_number:
        return id_number
    from app.codes import mask_resident_id

    source = work.session.get(CaseParty, same_as)
    if (
        source is None
        or source.deleted_at is not None
        or source.person_id is not None
        or source.village_code != row.village_code
        or mask_resident_id(source.id_number) != id_number.strip()
        or source.name != name
    ):
        raise UserError(
            "身份证号：请填写完整的身份证号（带 * 的号码只能沿用先前案件中同一当事人的）", field="id_number"
        )
    return source.id_number


def set_guardian(
    work: Work,
    party_id: str,
    *,
    person_id: str | None = None,
    name: str | None = None,
    relation: str | None = None,
    id_number: str | None = None,
    phone: str | None = None,
) -> PartyInfo:
    """Give a person party a 法定代理人 (from the roster by ``person_id``, or typed in), or change it.
    Without a name or a roster person the 法定代理人 is removed, which a minor party may not be."""
    accounts.require(work.actor, "see_cases")
    party = require_live(work.session, CaseParty, party_id, "找不到这个当事人")
    row = case_for_edit(work, party.case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，当事人不能再修改")
    if party.kind != "个人":
        raise UserError("单位当事人由其代表人参加调解，不需要法定代理人", field="guardian_name")
    guardian = None
    if person_id or (name or "").strip():
        guardian = capacity.check_guardian(
            work.session,
            accepted_on=row.accepted_on,
            party_person_id=party.person_id,
            party_id_number=party.id_number,
            person_id=person_id,
            name=name,
            relation=relation,
            id_number=id_number,
            phone=phone,
        )
    else:
        age = capacity.minor_age(party.id_number, party.birth_date, row.accepted_on)
        if age is not None:
            raise UserError(
                f"{party.name}受理时未满十八周岁，法定代理人不能去掉，只能更换", field="guardian_name"
            )
    if guardian is not None:
        conflicts.refuse_party_who_mediates(
            work.session,
            row,
            name=party.name,
            person_id=None,
            id_number=None,
            guardian_person_id=guardian.person_id,
            guardian_id_number=guardian.id_number,
        )
    capacity.apply_guardian(party, guardian)
    capacity.record_guardian_change(work.session, work.actor, party)
    return plain(PartyInfo, party)


def remove_party(work: Work, party_id: str) -> None:
    accounts.require(work.actor, "see_cases")
    party = require_live(work.session, CaseParty, party_id, "找不到这个当事人")
    if case_for_edit(work, party.case_id).state not in rules.OPEN_STATES:
        raise UserError("调解已有结果，当事人不能再移除")
    _require_parties_open(work.session, party.case_id, "移除")
    party.deleted_at = utcnow()


def _require_parties_open(session: Session, case_id: str, action: str) -> None:
    """The parties of an agreement that is signed or in effect are the ones who agreed (Art. 29/30): a
    party added later has agreed to nothing, and the agreement would stay "in effect" without them."""
    ag = session.get(Agreement, link_id("agreement", case_id))
    if ag is None or ag.deleted_at is not None:
        return
    if ag.kind == "口头":
        raise UserError(
            f"口头协议已于 {ag.reached_on:%Y-%m-%d} 达成，当事人不能再{action}；"
            "如有新的当事人，请另行受理登记"
        )
    signed = session.scalar(
        select(func.count())
        .select_from(Signature)
        .where(Signature.document_id == ag.id, Signature.deleted_at.is_(None))
    )
    if ag.effective_on is not None or signed:
        raise UserError(
            f"调解协议书已{'生效' if ag.effective_on is not None else '有人签名'}，当事人不能再{action}："
            "协议只约束签了名的各方。确需增减当事人的，请先修改协议内容，写明各方的权利义务，保存后"
            "（已有签名随之作废）再增减当事人，并由各方重新签名"
        )


NAMED_MEDIATORS = 100


def named_mediators(work: Work) -> list[str]:
    """The outside mediators (乡贤, a lawyer, a retired judge: no account here) named in this station's
    cases, the most recently named first, each once: the committee invites the same few again."""
    accounts.require(work.actor, "see_cases")
    names: dict[str, None] = {}
    for name in work.session.scalars(
        select(CaseMediator.name)
        .where(
            CaseMediator.user_id.is_(None),
            CaseMediator.deleted_at.is_(None),
            CaseMediator.village_code == work.unit_code,
        )
        .order_by(CaseMediator.created_at.desc())
        .limit(NAMED_MEDIATORS * 20)
    ):
        names.setdefault(name, None)
        if len(names) >= NAMED_MEDIATORS:
            break
    return list(names)


def add_mediator(
    work: Work,
    case_id: str,
    *,
    user_id: str | None = None,
    name: str = "",
    is_lead: bool = False,
    person_id: str | None = None,
) -> MediatorInfo:
    """A mediator: a user of this station (by id) or a named outsider (e.g. a 乡贤 or lawyer), who may
    be picked from the roster (``person_id``). A mediator who is a party, a party's 法定代理人 or lives
    in a party's household is refused (:mod:`app.mediation.conflicts`)."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再添加调解员")
    mediator_id = None
    existing = None
    if person_id is not None:
        person = require_live(
            work.session, Person, person_id, "名册中找不到这位调解员，请重新查找", field="person_id"
        )
        name = name or person.name
    if user_id is not None:
        mediator_user = work.session.get(User, user_id)
        if mediator_user is None:
            raise UserError("找不到这个账号", field="user_id")
        name = mediator_user.display_name
        person_id = person_id or conflicts.person_of_user(work.session, mediator_user)
        mediator_id = link_id("mediator", case_id, user_id)
        existing = work.session.get(CaseMediator, mediator_id)
        if existing is not None and existing.deleted_at is None:
            raise UserError(f"{name} 已是本案调解员", field="user_id")
    name = require_text(name, "调解员姓名", "name")
    conflicts.refuse_mediator(work.session, row, name=name, person_id=person_id, mediator_id=mediator_id)
    if existing is not None:
        existing.deleted_at = None
        existing.is_lead = is_lead
        existing.person_id = person_id
        return plain(MediatorInfo, existing)
    m = CaseMediator(
        village_code=row.village_code,
        case_id=case_id,
        user_id=user_id,
        name=name,
        is_lead=is_lead,
        person_id=person_id,
    )
    if mediator_id is not None:
        m.id = mediator_id
    work.session.add(m)
    work.session.flush()
    return plain(MediatorInfo, m)


def remove_mediator(work: Work, mediator_id: str) -> None:
    accounts.require(work.actor, "see_cases")
    m = work.session.get(CaseMediator, mediator_id)
    if m is None or m.deleted_at is not None:
        raise UserError("找不到这个调解员")
    case_for_edit(work, m.case_id)
    m.deleted_at = utcnow()


# -- rights notice -------------------------------------------------------------------------------
def record_rights_notice(
    work: Work,
    case_id: str,
    *,
    given_on: dt.date,
    given_by: str | None = None,
    method: str = "书面告知",
) -> CaseInfo:
    """权利义务告知: must be recorded as given before any session record."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state not in rules.OPEN_STATES:
        raise UserError(f"案件处于“{row.state}”状态，不需要再告知权利义务")
    if given_on < row.accepted_on:
        raise UserError("告知日期不能早于受理日期", field="given_on")
    row.rights_notice_on = given_on
    row.rights_notice_by = (given_by or actor_name(work.actor)).strip()
    row.rights_notice_method = method
    return plain(CaseInfo, row)
