"""调解案件: registration, parties, mediators, the state machine, sessions, agreements, signatures,
follow-up visits, the case-file checklist and archiving.

Every function takes the session and the acting user; reading or changing a case needs the
``see_cases`` permission (调解员, 管理员, 乡镇工作人员). Opening a case file is audited.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import settings
from db.base import derived_id, utcnow
from db.models import (
    Agreement,
    Attachment,
    CaseFileItem,
    CaseMediator,
    CaseParty,
    CaseTransition,
    MediationCase,
    Person,
    Screening,
    SessionRecord,
    Signature,
    User,
)
from db.models import FollowUp as FollowUpRow

from app import accounts, attachments, audit
from app.errors import UserError
from app.lookup import require_live
from app.mediation import rules
from app.ownership import require_own_record

SETTING_PREFIX = "mediation.case_prefix"
SETTING_LOCAL_TYPES = "mediation.local_types"
FOLLOW_UP_AFTER_DAYS = 30  # a visit is planned this long after the agreement was performed


def link_id(kind: str, parent_id: str, *parts: str) -> str:
    """The same link made on two stations gets the same id (name-based, beside its parent)."""
    return derived_id(parent_id, kind, *parts)


# -- plain results -------------------------------------------------------------------------------
def _plain(cls, obj):
    return cls(**{f.name: getattr(obj, f.name) for f in fields(cls)})


@dataclass(frozen=True)
class CaseInfo:
    id: str
    village_code: str
    case_year: int
    case_seq: int
    case_number: str
    title: str
    accepted_on: dt.date
    source: str
    source_record_id: str | None
    dispute_type: str
    complexity: str
    people_count: int
    amount_fen: int
    facts: str
    requests: str
    risk_criminal: bool
    risk_criminal_people: int
    risk_petition: bool
    risk_petition_people: int
    risk_suicide: bool
    risk_suicide_people: int
    registrar: str
    state: str
    state_on: dt.date
    outcome: str | None
    agreement_kind: str | None
    rights_notice_on: dt.date | None
    rights_notice_by: str | None
    rights_notice_method: str | None
    failure_reasons: str
    failure_routes: str
    end_reason: str
    escalated_to: str | None
    escalation_reason: str
    escalated_on: dt.date | None
    town_handling: str
    town_outcome: str | None
    town_outcome_note: str
    town_handler: str | None
    town_handled_on: dt.date | None
    judicial_applied_on: dt.date | None
    judicial_note: str
    volume_no: str | None
    filed_by: str | None
    filed_on: dt.date | None
    retention: str | None

    @property
    def amount_yuan(self) -> Decimal:
        return fen_to_yuan(self.amount_fen)


@dataclass(frozen=True)
class PartyInfo:
    id: str
    role: str
    kind: str
    person_id: str | None
    name: str
    sex: str | None
    ethnicity: str | None
    birth_date: dt.date | None
    id_number: str | None
    occupation: str | None
    phone: str | None
    address: str
    representative: str | None
    representative_title: str | None
    sort_order: int

    def age_on(self, day: dt.date) -> int | None:
        if self.birth_date is None:
            return None
        b = self.birth_date
        return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


@dataclass(frozen=True)
class MediatorInfo:
    id: str
    user_id: str | None
    name: str
    is_lead: bool


@dataclass(frozen=True)
class TransitionInfo:
    id: str
    from_state: str | None
    to_state: str
    on_date: dt.date
    at: dt.datetime
    by_user_id: str | None
    by_name: str
    note: str


@dataclass(frozen=True)
class SessionInfo:
    id: str
    seq: int
    held_at: dt.datetime
    place: str
    subject: str
    participants: str
    parties_present: str
    statements: str
    verification: str
    risk_notice: str
    result: str
    result_detail: str
    mediator_name: str
    recorder_name: str


@dataclass(frozen=True)
class AgreementInfo:
    id: str
    kind: str
    number: str
    reached_on: dt.date
    facts: str
    issues: str
    responsibilities: str
    terms: str
    performance_manner: str
    performance_deadline: dt.date | None
    amount_fen: int
    recorder: str
    effective_on: dt.date | None
    performed_on: dt.date | None


@dataclass(frozen=True)
class SignatureInfo:
    id: str
    document_table: str
    document_id: str
    signer_role: str
    party_id: str | None
    signer_name: str
    method: str
    signed_on: dt.date
    attachment_id: str | None


@dataclass(frozen=True)
class FollowUpInfo:
    id: str
    agreement_number: str
    due_on: dt.date | None
    visited_on: dt.date | None
    visitor: str
    parties: str
    subject: str
    performance: str
    satisfaction: str | None
    attitude_changes: str
    new_dispute_signs: str
    measures: str


@dataclass(frozen=True)
class FileItemInfo:
    key: str
    title: str
    required: bool
    present: bool
    auto: bool  # the program holds this document (it can print it)
    pages: int
    note: str


@dataclass(frozen=True)
class CaseFile:
    """Everything of one case, for the case screen and the printed documents."""

    case: CaseInfo
    parties: list[PartyInfo]
    mediators: list[MediatorInfo]
    transitions: list[TransitionInfo]
    sessions: list[SessionInfo]
    agreement: AgreementInfo | None
    signatures: list[SignatureInfo]
    follow_ups: list[FollowUpInfo]
    items: list[FileItemInfo]
    committee_name: str


# -- helpers ------------------------------------------------------------------------------------
def yuan_to_fen(value: object, *, field: str = "amount") -> int:
    """12.5 / "12.50" / "1,200" → 分; refuses negative and non-numbers with a message."""
    if value is None or value == "":
        return 0
    try:
        amount = Decimal(str(value).replace(",", "").replace("，", "").strip())
    except InvalidOperation:
        raise UserError(
            f"金额“{value}”不是数字，请填写元为单位的数字，如 1200 或 350.50", field=field
        ) from None
    if amount < 0:
        raise UserError("金额不能为负数", field=field)
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def _actor_name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def _require_text(value: str | None, label: str, field: str) -> str:
    value = (value or "").strip()
    if not value:
        raise UserError(f"请填写{label}", field=field)
    return value


def committee_name(session: Session) -> str:
    from db.models import Station

    station = session.scalars(select(Station).where(Station.is_local.is_(True))).first()
    return f"{station.name}人民调解委员会" if station is not None else "人民调解委员会"


def case_prefix(session: Session) -> str:
    """The 字号 of case numbers: set by the committee, by default the village name without 村."""
    from db.models import Station

    stored = settings.get(session, SETTING_PREFIX, None)
    if stored:
        return stored
    station = session.scalars(select(Station).where(Station.is_local.is_(True))).first()
    name = station.name if station is not None else ""
    return name[:-1] if name.endswith("村") and len(name) > 1 else name


def set_case_prefix(session: Session, user: User | None, prefix: str) -> None:
    accounts.require(user, "see_cases")
    prefix = (prefix or "").strip()
    if not prefix or len(prefix) > 10 or any(c in prefix for c in "()（）第号 "):
        raise UserError("字号请填 1 到 10 个字，不含括号、空格和“第”“号”，如“张家”", field="prefix")
    settings.put(session, SETTING_PREFIX, prefix)


def dispute_types(session: Session) -> list[str]:
    """The 15 national types, then the committee's own (本地类型, e.g. 村务管理)."""
    local = settings.get(session, SETTING_LOCAL_TYPES, list(rules.DEFAULT_LOCAL_TYPES))
    return list(rules.NATIONAL_TYPES) + [t for t in local if t not in rules.NATIONAL_TYPES]


def _case(session: Session, case_id: str) -> MediationCase:
    return require_live(session, MediationCase, case_id, "找不到这个调解案件（可能已被删除）")


def _case_for_edit(session: Session, case_id: str) -> MediationCase:
    """The case, when this station may change it: a village's cases are read-only at the town, which
    records only its own handling of an escalated case (:func:`record_town_handling`)."""
    row = _case(session, case_id)
    require_own_record(session, row, f"案件 {row.case_number}")
    return row


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
    session: Session,
    user: User | None,
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
    registrar: str | None = None,
) -> CaseInfo:
    """受理登记: numbers the case and puts it in state 受理. A risk flag is set by its number of people."""
    accounts.require(user, "see_cases")
    title = _require_text(title, "纠纷名称（如“张三与李四宅基地纠纷”）", "title")
    if source not in rules.SOURCES:
        raise UserError(f"纠纷来源“{source}”不在列表中，请选择：{'、'.join(rules.SOURCES)}", field="source")
    if dispute_type not in dispute_types(session):
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
    ):
        if n < 0:
            raise UserError(f"可能{label}的人数不能为负数", field=field)
    village_code = session.info["stamp"].village_code
    seq = next_case_seq(session, village_code, accepted_on.year)
    row = MediationCase(
        village_code=village_code,
        case_year=accepted_on.year,
        case_seq=seq,
        case_number=rules.case_number(accepted_on.year, case_prefix(session), seq),
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
        registrar=(registrar or _actor_name(user)).strip(),
        state=rules.ACCEPTED,
        state_on=accepted_on,
    )
    session.add(row)
    session.flush()
    _add_transition(session, row, None, rules.ACCEPTED, accepted_on, user, "受理登记")
    audit.record(
        session,
        user,
        "case.register",
        table="mediation_case",
        record_id=row.id,
        fields=["case_number", "source", "dispute_type"],
    )
    return _plain(CaseInfo, row)


def case_from_screening(
    session: Session, user: User | None, screening_id: str, *, title: str, dispute_type: str, **kwargs
) -> CaseInfo:
    """A dispute found in a screening round becomes a case in one step (source 排查发现)."""
    screening = require_live(session, Screening, screening_id, "找不到这次排查记录")
    if screening.found_count < 1:
        raise UserError(
            "这次排查是零报告（未发现纠纷），请先把发现的纠纷数改为至少 1 起", field="found_count"
        )
    kwargs.setdefault("accepted_on", screening.round_date)
    kwargs.setdefault("facts", screening.findings)
    return register_case(
        session,
        user,
        title=title,
        source="排查发现",
        dispute_type=dispute_type,
        source_record_id=screening.id,
        **kwargs,
    )


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


def update_case(session: Session, user: User | None, case_id: str, **changes) -> CaseInfo:
    """Edit the registration (not the number or accepted date). Amount in 元, risk flags by people."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，登记内容不能再修改")
    changed = []
    for key, value in changes.items():
        if key == "amount":
            value, key = yuan_to_fen(value), "amount_fen"
        elif key in ("risk_criminal_people", "risk_petition_people", "risk_suicide_people"):
            if value < 0:
                raise UserError("人数不能为负数", field=key)
            flag = key.removesuffix("_people")
            if getattr(row, flag) != (value > 0):
                setattr(row, flag, value > 0)
        elif key not in _EDITABLE:
            raise TypeError(f"not an editable case field: {key}")
        if key == "title":
            value = _require_text(value, "纠纷名称", "title")
        if key == "source" and value not in rules.SOURCES:
            raise UserError(f"纠纷来源请选择：{'、'.join(rules.SOURCES)}", field="source")
        if key == "dispute_type" and value not in dispute_types(session):
            raise UserError(f"纠纷类型“{value}”不在列表中", field="dispute_type")
        if key == "complexity" and value not in rules.COMPLEXITIES:
            raise UserError(f"难易程度请选择：{'、'.join(rules.COMPLEXITIES)}", field="complexity")
        if getattr(row, key) != value:
            setattr(row, key, value)
            changed.append(key)
    if changed:
        audit.record(session, user, "case.update", table="mediation_case", record_id=row.id, fields=changed)
    return _plain(CaseInfo, row)


# -- parties and mediators ------------------------------------------------------------------------
def add_party(
    session: Session,
    user: User | None,
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
) -> PartyInfo:
    """A party from the roster (``person_id``: the person's fields are copied as they are today) or an
    outside person or organisation (单位 needs its representative)."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再添加当事人")
    if role not in rules.PARTY_ROLES:
        raise UserError(f"当事人身份请选择：{'、'.join(rules.PARTY_ROLES)}", field="role")
    if kind not in rules.PARTY_KINDS:
        raise UserError("当事人类别请选择“个人”或“单位”", field="kind")
    party_id = None
    if person_id is not None:
        person = require_live(session, Person, person_id, "名册中找不到这个人，请重新查找", field="person_id")
        from db.models import Household

        household = session.get(Household, person.household_id)
        kind = "个人"
        name, sex, ethnicity, birth_date = person.name, person.sex, person.ethnicity, person.birth_date
        id_number, occupation, phone = person.id_number, person.occupation, person.phone
        if household is not None and not address:
            address = household.address or household.group_name
        party_id = link_id("party", case_id, person_id)
        existing = session.get(CaseParty, party_id)
        if existing is not None:
            if existing.deleted_at is None:
                raise UserError(f"{name} 已经是本案当事人", field="person_id")
            existing.deleted_at = None
            existing.role = role
            return _plain(PartyInfo, existing)
    name = _require_text(name, "当事人姓名或单位名称", "name")
    if kind == "单位" and not (representative or "").strip():
        raise UserError("单位当事人请填写法定代表人或负责人（代表人）", field="representative")
    if phone and person_id is None:
        from app.codes import InvalidPhone, normalize_phone

        try:
            phone = normalize_phone(phone)
        except InvalidPhone as exc:
            raise UserError(f"联系电话：{exc}", field="phone") from None
    if id_number and person_id is None:
        from app.codes import InvalidResidentId, parse_resident_id

        try:
            rid = parse_resident_id(id_number)
            id_number, birth_date = rid.number, birth_date or rid.birth_date
            sex = sex or rid.sex
        except InvalidResidentId as exc:
            raise UserError(f"身份证号：{exc}", field="id_number") from None
    order = (
        session.scalar(select(func.count()).select_from(CaseParty).where(CaseParty.case_id == case_id)) or 0
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
    session.add(party)
    session.flush()
    audit.record(
        session, user, "case.party.add", table="mediation_party", record_id=party.id, fields=["role", "name"]
    )
    return _plain(PartyInfo, party)


def remove_party(session: Session, user: User | None, party_id: str) -> None:
    accounts.require(user, "see_cases")
    party = require_live(session, CaseParty, party_id, "找不到这个当事人")
    if _case_for_edit(session, party.case_id).state not in rules.OPEN_STATES:
        raise UserError("调解已有结果，当事人不能再移除")
    party.deleted_at = utcnow()


def add_mediator(
    session: Session,
    user: User | None,
    case_id: str,
    *,
    user_id: str | None = None,
    name: str = "",
    is_lead: bool = False,
) -> MediatorInfo:
    """A mediator: a user of this station (by id) or a named outsider (e.g. a 乡贤 or lawyer)."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    mediator_id = None
    if user_id is not None:
        mediator_user = session.get(User, user_id)
        if mediator_user is None:
            raise UserError("找不到这个账号", field="user_id")
        name = mediator_user.display_name
        mediator_id = link_id("mediator", case_id, user_id)
        existing = session.get(CaseMediator, mediator_id)
        if existing is not None:
            if existing.deleted_at is None:
                raise UserError(f"{name} 已是本案调解员", field="user_id")
            existing.deleted_at = None
            existing.is_lead = is_lead
            return _plain(MediatorInfo, existing)
    name = _require_text(name, "调解员姓名", "name")
    m = CaseMediator(
        village_code=row.village_code, case_id=case_id, user_id=user_id, name=name, is_lead=is_lead
    )
    if mediator_id is not None:
        m.id = mediator_id
    session.add(m)
    session.flush()
    return _plain(MediatorInfo, m)


def remove_mediator(session: Session, user: User | None, mediator_id: str) -> None:
    accounts.require(user, "see_cases")
    m = session.get(CaseMediator, mediator_id)
    if m is None or m.deleted_at is not None:
        raise UserError("找不到这个调解员")
    _case_for_edit(session, m.case_id)
    m.deleted_at = utcnow()


def _live(session: Session, model, case_id: str, *order) -> list:
    return list(
        session.scalars(
            select(model).where(model.case_id == case_id, model.deleted_at.is_(None)).order_by(*order)
        )
    )


def parties(session: Session, case_id: str) -> list[CaseParty]:
    return _live(session, CaseParty, case_id, CaseParty.sort_order, CaseParty.created_at)


# -- rights notice and sessions -----------------------------------------------------------------
def record_rights_notice(
    session: Session,
    user: User | None,
    case_id: str,
    *,
    given_on: dt.date,
    given_by: str | None = None,
    method: str = "书面告知",
) -> CaseInfo:
    """权利义务告知: must be recorded as given before any session record."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state not in rules.OPEN_STATES:
        raise UserError(f"案件处于“{row.state}”状态，不需要再告知权利义务")
    if given_on < row.accepted_on:
        raise UserError("告知日期不能早于受理日期", field="given_on")
    row.rights_notice_on = given_on
    row.rights_notice_by = (given_by or _actor_name(user)).strip()
    row.rights_notice_method = method
    return _plain(CaseInfo, row)


def add_session(
    session: Session,
    user: User | None,
    case_id: str,
    *,
    held_at: dt.datetime,
    place: str,
    subject: str = "",
    participants: str = "",
    parties_present: str = "",
    statements: str = "",
    verification: str = "",
    risk_notice: str = "",
    result: str = "继续调解",
    result_detail: str = "",
    mediator_name: str = "",
    recorder_name: str = "",
) -> SessionInfo:
    """调解记录. Refused until the rights-and-duties notice is recorded as given (on or before the day)."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state != rules.IN_MEDIATION:
        raise UserError(f"案件处于“{row.state}”状态，只有“调解中”的案件才能记录调解；请先点“开始调解”")
    if row.rights_notice_on is None:
        raise UserError(
            "请先记录已向当事人告知权利义务（当事人权利义务告知书），再记录调解", field="rights_notice"
        )
    if held_at.date() < row.rights_notice_on:
        raise UserError(
            f"调解时间早于权利义务告知日期（{row.rights_notice_on:%Y-%m-%d}），请先告知再调解",
            field="held_at",
        )
    if result not in rules.SESSION_RESULTS:
        raise UserError(f"调解结果请选择：{'、'.join(rules.SESSION_RESULTS)}", field="result")
    seq = (
        session.scalar(select(func.max(SessionRecord.seq)).where(SessionRecord.case_id == case_id)) or 0
    ) + 1
    rec = SessionRecord(
        village_code=row.village_code,
        case_id=case_id,
        seq=seq,
        held_at=held_at,
        place=_require_text(place, "调解地点", "place"),
        subject=subject or row.title,
        participants=participants,
        parties_present=parties_present,
        statements=statements,
        verification=verification,
        risk_notice=risk_notice,
        result=result,
        result_detail=result_detail,
        mediator_name=mediator_name or _actor_name(user),
        recorder_name=recorder_name,
    )
    session.add(rec)
    session.flush()
    return _plain(SessionInfo, rec)


# -- signatures ---------------------------------------------------------------------------------
def sign(
    session: Session,
    user: User | None,
    *,
    document_table: str,
    document_id: str,
    signer_role: str,
    signer_name: str,
    signed_on: dt.date,
    method: str = "纸质签字",
    party_id: str | None = None,
    png: bytes | None = None,
    attachments_dir: Path | None = None,
) -> SignatureInfo:
    """Record a signature (签名板 with its PNG, or paper signed / fingerprint / seal).

    On an agreement, every signature re-derives the agreement's effective date.
    """
    accounts.require(user, "see_cases")
    if document_table == "mediation_agreement":
        doc = session.get(Agreement, document_id)
    elif document_table == "mediation_session":
        doc = session.get(SessionRecord, document_id)
    else:
        raise ValueError(document_table)
    if doc is None or doc.deleted_at is not None:
        raise UserError("找不到要签名的文书")
    case = _case_for_edit(session, doc.case_id)
    if case.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再签名")
    if signer_role not in rules.SIGNER_ROLES:
        raise UserError(f"签名人身份请选择：{'、'.join(rules.SIGNER_ROLES)}", field="signer_role")
    if method not in rules.SIGN_METHODS:
        raise UserError(f"签名方式请选择：{'、'.join(rules.SIGN_METHODS)}", field="method")
    if signer_role == "当事人":
        party = session.get(CaseParty, party_id) if party_id else None
        if party is None or party.case_id != case.id or party.deleted_at is not None:
            raise UserError("请选择签名的当事人", field="party_id")
        signer_name = party.name
    if signer_role == "委员会":
        method = "盖章"
        signer_name = signer_name or committee_name(session)
    signer_name = _require_text(signer_name, "签名人姓名", "signer_name")
    if method == "签名板" and not png:
        raise UserError("签名板签名没有收到签名图像，请重新签名，或改选“纸质签字”", field="png")
    if isinstance(doc, Agreement) and signed_on < doc.reached_on:
        raise UserError(f"签名日期不能早于协议达成日期（{doc.reached_on:%Y-%m-%d}）", field="signed_on")
    sig_id = link_id("signature", document_id, signer_role, party_id or signer_name)
    sig = session.get(Signature, sig_id)
    if sig is None:
        sig = Signature(
            village_code=case.village_code,
            case_id=case.id,
            document_table=document_table,
            document_id=document_id,
            signer_role=signer_role,
            party_id=party_id,
        )
        sig.id = sig_id
        session.add(sig)
    sig.deleted_at = None
    sig.signer_name = signer_name
    sig.method = method
    sig.signed_on = signed_on
    if png:
        if attachments_dir is None:
            raise ValueError("attachments_dir is needed to store a signature image")
        sig.attachment_id = attachments.attach_bytes(
            session,
            attachments_dir,
            "mediation_signature",
            sig_id,
            png,
            f"签名-{signer_name}.png",
            mime="image/png",
        ).id
    else:
        sig.attachment_id = None
    session.flush()
    if isinstance(doc, Agreement):
        _derive_effective(session, doc)
    return _plain(SignatureInfo, sig)


def signatures(session: Session, document_id: str) -> list[Signature]:
    return list(
        session.scalars(
            select(Signature)
            .where(Signature.document_id == document_id, Signature.deleted_at.is_(None))
            .order_by(Signature.signed_on, Signature.created_at)
        )
    )


def missing_signatures(session: Session, agreement: Agreement) -> list[str]:
    """Who still has to sign a written agreement (Art. 29): every party, a mediator, the committee seal."""
    sigs = signatures(session, agreement.id)
    signed_parties = {s.party_id for s in sigs if s.signer_role == "当事人"}
    missing = [f"当事人{p.name}" for p in parties(session, agreement.case_id) if p.id not in signed_parties]
    if not any(s.signer_role == "调解员" for s in sigs):
        missing.append("调解员")
    if not any(s.signer_role == "委员会" for s in sigs):
        missing.append("调解委员会印章")
    return missing


def _derive_effective(session: Session, agreement: Agreement) -> None:
    """书面: the day of the last required signature once all are there (Art. 29); 口头: the day reached (Art. 30)."""
    if agreement.kind == "口头":
        effective = agreement.reached_on
    elif missing_signatures(session, agreement):
        effective = None
    else:
        sigs = signatures(session, agreement.id)
        party_ids = {p.id for p in parties(session, agreement.case_id)}
        dates = [s.signed_on for s in sigs if s.signer_role == "当事人" and s.party_id in party_ids]
        dates.append(min(s.signed_on for s in sigs if s.signer_role == "调解员"))
        dates.append(min(s.signed_on for s in sigs if s.signer_role == "委员会"))
        effective = max(dates)
    if agreement.effective_on != effective:
        agreement.effective_on = effective


# -- agreement ---------------------------------------------------------------------------------
def save_agreement(
    session: Session,
    user: User | None,
    case_id: str,
    *,
    kind: str,
    reached_on: dt.date,
    terms: str,
    facts: str = "",
    issues: str = "",
    responsibilities: str = "",
    performance_manner: str = "",
    performance_deadline: dt.date | None = None,
    amount: object = 0,
    recorder: str = "",
) -> AgreementInfo:
    """协议书 (书面, Art. 29) or 口头协议 (Art. 28/30). One per case; saving again edits it (signatures
    made on an earlier text are kept only if the text did not change)."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state not in (rules.IN_MEDIATION, rules.SUCCEEDED):
        raise UserError(f"案件处于“{row.state}”状态，只有调解中或刚调解成功的案件才能填写协议")
    if kind not in ("书面", "口头"):
        raise UserError("协议形式请选择“书面”或“口头”", field="kind")
    terms = _require_text(terms, "协议内容" if kind == "书面" else "口头协议的内容", "terms")
    if kind == "书面":
        facts = _require_text(facts, "纠纷主要事实", "facts")
        issues = _require_text(issues, "争议事项", "issues")
    if reached_on < row.accepted_on:
        raise UserError("协议日期不能早于受理日期", field="reached_on")
    if performance_deadline is not None and performance_deadline < reached_on:
        raise UserError("履行期限不能早于协议日期", field="performance_deadline")
    agreement_id = link_id("agreement", case_id)
    ag = session.get(Agreement, agreement_id)
    values = dict(
        kind=kind,
        number=row.case_number,
        reached_on=reached_on,
        facts=facts.strip(),
        issues=issues.strip(),
        responsibilities=responsibilities.strip(),
        terms=terms,
        performance_manner=performance_manner.strip(),
        performance_deadline=performance_deadline,
        amount_fen=yuan_to_fen(amount),
        recorder=recorder.strip(),
    )
    if ag is None:
        ag = Agreement(village_code=row.village_code, case_id=case_id, **values)
        ag.id = agreement_id
        session.add(ag)
    else:
        text_changed = any(
            getattr(ag, k) != v
            for k, v in values.items()
            if k
            in (
                "facts",
                "issues",
                "responsibilities",
                "terms",
                "performance_manner",
                "performance_deadline",
                "amount_fen",
                "kind",
            )
        )
        for k, v in values.items():
            if getattr(ag, k) != v:
                setattr(ag, k, v)
        ag.deleted_at = None
        if text_changed:
            for s in signatures(session, ag.id):
                s.deleted_at = utcnow()
    session.flush()
    _derive_effective(session, ag)
    row.agreement_kind = kind
    return _plain(AgreementInfo, ag)


def _agreement(session: Session, case_id: str) -> Agreement | None:
    ag = session.get(Agreement, link_id("agreement", case_id))
    return ag if ag is not None and ag.deleted_at is None else None


def apply_judicial_confirmation(
    session: Session, user: User | None, case_id: str, *, applied_on: dt.date, note: str = ""
) -> CaseInfo:
    """当事人已申请司法确认 (Art. 33): the 30-day reminder stops."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    ag = _agreement(session, case_id)
    if ag is None or ag.effective_on is None:
        raise UserError("协议尚未生效，不能申请司法确认")
    if applied_on < ag.effective_on:
        raise UserError("申请日期不能早于协议生效日期", field="applied_on")
    row.judicial_applied_on = applied_on
    row.judicial_note = note.strip()
    return _plain(CaseInfo, row)


# -- the state machine ---------------------------------------------------------------------------
def _add_transition(
    session: Session,
    row: MediationCase,
    source: str | None,
    target: str,
    on_date: dt.date,
    user: User | None,
    note: str,
) -> None:
    session.add(
        CaseTransition(
            village_code=row.village_code,
            case_id=row.id,
            from_state=source,
            to_state=target,
            on_date=on_date,
            at=utcnow(),
            by_user_id=user.id if user else None,
            by_name=_actor_name(user),
            note=note,
        )
    )


def change_state(
    session: Session,
    user: User | None,
    case_id: str,
    target: str,
    *,
    on_date: dt.date,
    reasons: str = "",
    routes: tuple[str, ...] | list[str] = (),
    escalate_to: str | None = None,
    volume_no: str | None = None,
    filed_by: str | None = None,
    retention: str | None = None,
) -> CaseInfo:
    """Move a case to ``target``; illegal steps and missing preconditions are refused with the reason.

    - 不予受理 / 终止: ``reasons`` (终止: e.g. 一方当事人明确拒绝调解, Art. 17).
    - 调解不成: ``reasons`` and the ``routes`` explained (诉讼, 仲裁, 行政).
    - 上报: ``escalate_to`` (乡镇/县) and ``reasons``.
    - 调解成功: an agreement is on file; 开始履行 / 履行完毕 need it in effect.
    - 已归档: the required file items, ``volume_no``, ``filed_by``, ``retention`` (立卷日期 = ``on_date``).
    """
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    source = row.state
    if not rules.is_legal(source, target):
        raise UserError(rules.refusal(source, target), field="state")
    if on_date < row.state_on:
        raise UserError(f"日期不能早于上一步的日期（{row.state_on:%Y-%m-%d}）", field="on_date")
    reasons = (reasons or "").strip()
    note = reasons
    ag = _agreement(session, case_id)
    if target == rules.IN_MEDIATION:
        if source == rules.ESCALATED and row.town_outcome != "退回村调委会":
            raise UserError("只有乡镇已把案件退回村调委会，才能继续调解", field="state")
        ps = parties(session, case_id)
        if len(ps) < 2:
            raise UserError("请先登记至少两方当事人，再开始调解", field="parties")
        if not _live(session, CaseMediator, case_id):
            raise UserError("请先指定调解员，再开始调解", field="mediators")
    elif target in (rules.REJECTED, rules.TERMINATED):
        _require_text(
            reasons,
            "不予受理的理由" if target == rules.REJECTED else "终止调解的理由（如一方明确拒绝调解）",
            "reasons",
        )
        row.end_reason = reasons
    elif target == rules.FAILED:
        _require_text(reasons, "调解不成的原因", "reasons")
        routes = [r for r in routes if r]
        bad = [r for r in routes if r not in rules.FAILURE_ROUTES]
        if bad or not routes:
            raise UserError("请勾选已向当事人告知的其他解决途径：诉讼、仲裁、行政", field="routes")
        row.failure_reasons = reasons
        row.failure_routes = ",".join(r for r in rules.FAILURE_ROUTES if r in routes)
        note = f"{reasons}（已告知途径：{'、'.join(routes)}）"
    elif target == rules.ESCALATED:
        if escalate_to not in rules.ESCALATION_TARGETS:
            raise UserError("请选择上报到乡镇还是县", field="escalate_to")
        _require_text(reasons, "上报的理由", "reasons")
        row.escalated_to = escalate_to
        row.escalation_reason = reasons
        row.escalated_on = on_date
        row.town_handling, row.town_outcome, row.town_outcome_note = "", None, ""
        row.town_handler, row.town_handled_on = None, None
        note = f"上报{escalate_to}：{reasons}"
    elif target == rules.SUCCEEDED:
        if ag is None:
            raise UserError(
                "请先在“协议”页填写调解协议（书面协议书或口头协议），再记为调解成功", field="agreement"
            )
    elif target in (rules.PERFORMING, rules.PERFORMED) and source == rules.SUCCEEDED:
        if ag is None or ag.effective_on is None:
            missing = "、".join(missing_signatures(session, ag)) if ag else "协议"
            raise UserError(f"协议尚未生效，还缺：{missing}", field="agreement")
    if target == rules.PERFORMED:
        if ag is not None:
            ag.performed_on = on_date
        _plan_follow_up_if_none(session, row, ag, on_date + dt.timedelta(days=FOLLOW_UP_AFTER_DAYS))
    elif target == rules.VISITED:
        done = [f for f in _live(session, FollowUpRow, case_id) if f.visited_on is not None]
        if not done:
            raise UserError("请先在“回访”页填写回访记录", field="follow_ups")
    elif target == rules.ARCHIVED:
        if source == rules.ESCALATED and not row.town_outcome:
            raise UserError("乡镇尚未反馈处理结果，暂不能归档", field="state")
        _check_archive(session, row, volume_no, filed_by, retention)
        row.volume_no, row.filed_by, row.filed_on, row.retention = (
            volume_no.strip(),
            filed_by.strip(),
            on_date,
            retention,
        )
        note = f"卷号 {row.volume_no}，立卷人 {row.filed_by}，保管期限 {retention}"
    row.state = target
    row.state_on = on_date
    if target in rules.OUTCOME_OF:
        row.outcome = rules.OUTCOME_OF[target]
    elif target == rules.IN_MEDIATION and source == rules.ESCALATED:
        row.outcome = None
    _add_transition(session, row, source, target, on_date, user, note)
    audit.record(
        session,
        user,
        "case.state",
        table="mediation_case",
        record_id=row.id,
        fields=["state"],
        detail=f"{source}→{target}",
    )
    return _plain(CaseInfo, row)


def legal_actions(state: str) -> list[rules.Transition]:
    return rules.next_states(state)


def _check_archive(
    session: Session, row: MediationCase, volume_no: str | None, filed_by: str | None, retention: str | None
) -> None:
    missing = [i.title for i in checklist(session, row.id) if i.required and not i.present]
    if missing:
        raise UserError(
            f"卷宗还缺必备材料：{'、'.join(missing)}；请在“卷宗”页补齐并勾选后再归档", field="items"
        )
    _require_text(volume_no, "卷号", "volume_no")
    _require_text(filed_by, "立卷人", "filed_by")
    if retention not in rules.RETENTIONS:
        raise UserError(f"保管期限请选择：{'、'.join(rules.RETENTIONS)}", field="retention")


# -- town handling of an escalated case -----------------------------------------------------------------
def record_town_handling(
    session: Session,
    user: User | None,
    case_id: str,
    *,
    handling: str,
    outcome: str,
    handled_on: dt.date,
    note: str = "",
) -> CaseInfo:
    """The town's handling and outcome of a case escalated to it, on the same record (flows back down)."""
    accounts.require(user, "see_cases")
    row = _case(session, case_id)
    if len(session.info["stamp"].village_code) != 9:
        raise UserError("乡镇的处理结果只能在乡镇工作站填写")
    if row.state != rules.ESCALATED:
        raise UserError(f"案件处于“{row.state}”状态，未上报到乡镇，不能填写乡镇处理结果")
    if outcome not in rules.TOWN_OUTCOMES:
        raise UserError(f"处理结果请选择：{'、'.join(rules.TOWN_OUTCOMES)}", field="outcome")
    if row.escalated_on and handled_on < row.escalated_on:
        raise UserError("处理日期不能早于上报日期", field="handled_on")
    row.town_handling = _require_text(handling, "乡镇的处理情况", "handling")
    row.town_outcome = outcome
    row.town_outcome_note = note.strip()
    row.town_handler = _actor_name(user)
    row.town_handled_on = handled_on
    audit.record(
        session,
        user,
        "case.town_handling",
        table="mediation_case",
        record_id=row.id,
        fields=["town_handling", "town_outcome"],
    )
    return _plain(CaseInfo, row)


# -- follow-ups ---------------------------------------------------------------------------------
def _plan_follow_up_if_none(
    session: Session, row: MediationCase, ag: Agreement | None, due_on: dt.date
) -> None:
    if any(f.visited_on is None for f in _live(session, FollowUpRow, row.id)):
        return
    names = "、".join(p.name for p in parties(session, row.id))
    session.add(
        FollowUpRow(
            village_code=row.village_code,
            case_id=row.id,
            agreement_number=ag.number if ag else row.case_number,
            due_on=due_on,
            parties=names,
            subject="回访协议履行情况",
        )
    )


def record_follow_up(
    session: Session,
    user: User | None,
    case_id: str,
    *,
    visited_on: dt.date,
    visitor: str,
    performance: str,
    satisfaction: str,
    subject: str = "回访协议履行情况",
    attitude_changes: str = "",
    new_dispute_signs: str = "",
    measures: str = "",
    follow_up_id: str | None = None,
) -> FollowUpInfo:
    """回访记录, tied to the agreement number; completes the planned visit (or the given one)."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    ag = _agreement(session, case_id)
    if ag is None:
        raise UserError("回访对应调解协议，本案还没有协议")
    if visited_on < ag.reached_on:
        raise UserError("回访日期不能早于协议日期", field="visited_on")
    if satisfaction not in rules.SATISFACTION:
        raise UserError(f"当事人满意度请选择：{'、'.join(rules.SATISFACTION)}", field="satisfaction")
    f = None
    if follow_up_id is not None:
        f = session.get(FollowUpRow, follow_up_id)
    if f is None:
        f = next(
            (x for x in _live(session, FollowUpRow, case_id, FollowUpRow.due_on) if x.visited_on is None),
            None,
        )
    if f is None:
        f = FollowUpRow(
            village_code=row.village_code,
            case_id=case_id,
            agreement_number=ag.number,
            parties="、".join(p.name for p in parties(session, case_id)),
        )
        session.add(f)
    f.agreement_number = ag.number
    f.visited_on = visited_on
    f.visitor = _require_text(visitor, "回访人", "visitor")
    f.subject = subject
    f.performance = _require_text(performance, "协议履行情况", "performance")
    f.satisfaction = satisfaction
    f.attitude_changes = attitude_changes
    f.new_dispute_signs = new_dispute_signs
    f.measures = measures
    session.flush()
    return _plain(FollowUpInfo, f)


# -- the case file checklist (卷内目录) ------------------------------------------------------------------
def _auto_items(session: Session, row: MediationCase) -> set[str]:
    """Documents the program itself holds (and prints) for this case."""
    have = {"application"}
    if row.rights_notice_on is not None:
        have.add("rights_notice")
    if _live(session, SessionRecord, row.id):
        have.add("session_record")
    if _agreement(session, row.id) is not None:
        have.add("agreement")
    if any(f.visited_on for f in _live(session, FollowUpRow, row.id)):
        have.add("follow_up")
    return have


def checklist(session: Session, case_id: str) -> list[FileItemInfo]:
    row = _case(session, case_id)
    stored = {i.item_key: i for i in _live(session, CaseFileItem, case_id)}
    auto = _auto_items(session, row)
    required = rules.required_items(row.outcome)
    out = []
    for spec in rules.CASE_FILE_ITEMS:
        item = stored.get(spec.key)
        out.append(
            FileItemInfo(
                spec.key,
                spec.title,
                spec.key in required,
                bool(item and item.present) or spec.key in auto,
                spec.key in auto,
                item.pages if item else 0,
                item.note if item else "",
            )
        )
    return out


def set_file_item(
    session: Session,
    user: User | None,
    case_id: str,
    key: str,
    *,
    present: bool,
    pages: int = 0,
    note: str = "",
) -> None:
    """Tick a paper document as in the file (id derived from case and item: one row per item)."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，卷内目录不能再改")
    if key not in rules.FILE_ITEM_KEYS:
        raise ValueError(key)
    if pages < 0:
        raise UserError("页数不能为负数", field="pages")
    item_id = link_id("file_item", case_id, key)
    item = session.get(CaseFileItem, item_id)
    if item is None:
        item = CaseFileItem(village_code=row.village_code, case_id=case_id, item_key=key)
        item.id = item_id
        session.add(item)
    item.deleted_at = None
    item.present, item.pages, item.note = present, pages, note.strip()


def attach_to_case(
    session: Session,
    user: User | None,
    attachments_dir: Path,
    case_id: str,
    path: Path | str,
    *,
    note: str | None = None,
) -> attachments.AttachmentInfo:
    """A scan or a piece of evidence for the case file, stored in the workspace by its hash."""
    accounts.require(user, "see_cases")
    row = _case_for_edit(session, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再添加附件")
    info = attachments.attach_file(session, attachments_dir, "mediation_case", case_id, path, note=note)
    session.get(Attachment, info.id).village_code = row.village_code
    audit.record(
        session, user, "case.attach", table="mediation_case", record_id=case_id, fields=["attachment"]
    )
    return info


def case_attachments(session: Session, user: User | None, case_id: str) -> list[attachments.AttachmentInfo]:
    accounts.require(user, "see_cases")
    return attachments.list_attachments(session, "mediation_case", case_id)


# -- reading ---------------------------------------------------------------------------------------
def open_case(session: Session, user: User | None, case_id: str, *, audit_open: bool = True) -> CaseFile:
    """The whole case file; only for 调解员, 管理员, 乡镇工作人员, and the opening is audited."""
    accounts.require(user, "see_cases")
    row = _case(session, case_id)
    if audit_open:
        audit.record(session, user, "case.open", table="mediation_case", record_id=row.id)
    ag = _agreement(session, case_id)
    sigs = list(
        session.scalars(
            select(Signature)
            .where(Signature.case_id == case_id, Signature.deleted_at.is_(None))
            .order_by(Signature.signed_on, Signature.created_at)
        )
    )
    return CaseFile(
        case=_plain(CaseInfo, row),
        parties=[_plain(PartyInfo, p) for p in parties(session, case_id)],
        mediators=[
            _plain(MediatorInfo, m) for m in _live(session, CaseMediator, case_id, CaseMediator.created_at)
        ],
        transitions=[
            _plain(TransitionInfo, t)
            for t in _live(session, CaseTransition, case_id, CaseTransition.at, CaseTransition.created_at)
        ],
        sessions=[_plain(SessionInfo, s) for s in _live(session, SessionRecord, case_id, SessionRecord.seq)],
        agreement=_plain(AgreementInfo, ag) if ag else None,
        signatures=[_plain(SignatureInfo, s) for s in sigs],
        follow_ups=[
            _plain(FollowUpInfo, f)
            for f in _live(session, FollowUpRow, case_id, FollowUpRow.visited_on, FollowUpRow.due_on)
        ],
        items=checklist(session, case_id),
        committee_name=committee_name(session),
    )


def agreement_missing_signatures(session: Session, case_id: str) -> list[str]:
    ag = _agreement(session, case_id)
    return missing_signatures(session, ag) if ag is not None else []
