"""What a case file is made of, as plain frozen results (:class:`CaseInfo`, :class:`PartyInfo` …,
:class:`CaseFile`), and the small value helpers every part of a case uses: the derived id of a link,
money in 元 and 分, a required text, the acting user's name.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field, fields
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import TYPE_CHECKING, TypeVar

from db.base import derived_id
from db.models import User

from app.codes import without_invisible
from app.errors import UserError

if TYPE_CHECKING:
    from _typeshed import DataclassInstance

D = TypeVar("D", bound="DataclassInstance")


def link_id(kind: str, parent_id: str, *parts: str) -> str:
    """The same link made on two stations gets the same id (name-based, beside its parent)."""
    return derived_id(parent_id, kind, *parts)


# -- plain results -------------------------------------------------------------------------------
def plain(cls: type[D], obj: object) -> D:
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
    risk_fight: bool
    risk_fight_people: int
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
    town_agreement_kind: str | None
    town_amount_fen: int
    judicial_applied_on: dt.date | None
    judicial_note: str
    judicial_confirmed_on: dt.date | None
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
    guardian_person_id: str | None = None  # 法定代理人
    guardian_name: str | None = None
    guardian_relation: str | None = None
    guardian_id_number: str | None = None
    guardian_phone: str | None = None

    @property
    def signer(self) -> str:
        """Who signs for this party: the party, or its 法定代理人 (named with the party)."""
        if self.guardian_name:
            return f"{self.guardian_name}（{self.name}的法定代理人）"
        return self.name

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
    person_id: str | None = None


@dataclass(frozen=True)
class RecusalInfo:
    """回避: a party's request for another mediator, the decision and the replacement."""

    id: str
    party_id: str
    mediator_id: str
    mediator_name: str
    requested_on: dt.date
    reason: str
    decision: str | None
    decided_on: dt.date | None
    decided_by: str | None
    decision_note: str
    replacement_id: str | None
    replacement_name: str | None


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
    performance_place: str
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
    recusals: list[RecusalInfo] = field(default_factory=list)


# -- helpers ------------------------------------------------------------------------------------
MAX_YUAN = Decimal(10**10)  # no dispute in a village comes near ten billion 元


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
    if not amount.is_finite():
        raise UserError(f"金额“{value}”不是数字，请填写元为单位的数字，如 1200 或 350.50", field=field)
    if amount < 0:
        raise UserError("金额不能为负数", field=field)
    if amount >= MAX_YUAN:
        raise UserError(f"金额“{value}”过大，请核对（以元为单位）", field=field)
    return int((amount * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def fen_to_yuan(fen: int) -> Decimal:
    return (Decimal(fen) / 100).quantize(Decimal("0.01"))


def actor_name(user: User | None) -> str:
    return user.display_name if user is not None else ""


def require_text(value: str | None, label: str, field: str) -> str:
    """A text the paper needs, without what shows nothing (a name with a right-to-left override would be
    printed backwards on an agreement: app.codes.INVISIBLE)."""
    value = without_invisible(value or "").strip()
    if not value:
        raise UserError(f"请填写{label}", field=field)
    return value
