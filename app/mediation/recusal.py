"""回避: a party asks for another mediator. The request is recorded, then the committee's decision: a
request is granted by naming the replacement, who takes the place (and the lead, if the mediator led
the mediation) of the one who steps aside. A request about the 调解主持人 (the lead mediator) is always
granted (《人民调解工作若干规定》, see :data:`app.mediation.law.RECUSAL`); one about another mediator
may be refused, with the reason. While a request is open no meeting is recorded and no agreement made.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import CaseMediator, CaseParty, Recusal

from app import accounts, audit
from app.errors import UserError
from app.lookup import require_live
from app.mediation import law, rules
from app.mediation.info import RecusalInfo, actor_name, plain, require_text
from app.mediation.registration import add_mediator, case_for_edit, live_rows
from app.work import Work

GRANTED, REFUSED = "同意回避", "不同意回避"
DECISIONS = (GRANTED, REFUSED)


def recusals(session: Session, case_id: str) -> list[Recusal]:
    return live_rows(session, Recusal, case_id, Recusal.requested_on, Recusal.created_at)


def open_requests(session: Session, case_id: str) -> list[Recusal]:
    return [r for r in recusals(session, case_id) if r.decision is None]


def require_none_open(session: Session, case_id: str, doing: str) -> None:
    """Refuse ``doing`` while a 回避 request waits for the committee's decision."""
    pending = open_requests(session, case_id)
    if pending:
        r = pending[0]
        party = session.get(CaseParty, r.party_id)
        who = party.name if party is not None else "当事人"
        raise UserError(
            f"{who}对调解员{r.mediator_name}提出的回避申请还没有决定，请先在“当事人”页作出决定，再{doing}",
            field="recusal",
        )


def request_recusal(
    work: Work,
    case_id: str,
    *,
    party_id: str,
    mediator_id: str,
    requested_on: dt.date,
    reason: str,
) -> RecusalInfo:
    """A party's request that a mediator step aside (回避), with the party's reason."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state not in rules.OPEN_STATES:
        raise UserError(f"案件处于“{row.state}”状态，调解已有结果，不能再申请回避")
    party = work.session.get(CaseParty, party_id)
    if party is None or party.case_id != case_id or party.deleted_at is not None:
        raise UserError("请选择提出回避申请的当事人", field="party_id")
    mediator = work.session.get(CaseMediator, mediator_id)
    if mediator is None or mediator.case_id != case_id or mediator.deleted_at is not None:
        raise UserError("请选择被申请回避的调解员", field="mediator_id")
    if requested_on < row.accepted_on:
        raise UserError("申请日期不能早于受理日期", field="requested_on")
    reason = require_text(reason, "申请回避的理由", "reason")
    if any(r.mediator_id == mediator_id for r in open_requests(work.session, case_id)):
        raise UserError(f"对调解员{mediator.name}的回避申请已在等待决定", field="mediator_id")
    rec = Recusal(
        village_code=row.village_code,
        case_id=case_id,
        party_id=party_id,
        mediator_id=mediator_id,
        mediator_name=mediator.name,
        requested_on=requested_on,
        reason=reason,
        decision_note="",
    )
    work.session.add(rec)
    work.session.flush()
    audit.record(
        work.session,
        work.actor,
        "case.recusal.request",
        table="mediation_recusal",
        record_id=rec.id,
        fields=["party_id", "mediator_id", "reason"],
    )
    return plain(RecusalInfo, rec)


def decide_recusal(
    work: Work,
    recusal_id: str,
    *,
    decision: str,
    decided_on: dt.date,
    note: str = "",
    replacement_user_id: str | None = None,
    replacement_name: str = "",
    replacement_person_id: str | None = None,
) -> RecusalInfo:
    """The committee's decision. 同意回避: the replacement (an account of this station, or a named
    outsider, perhaps from the roster) becomes a mediator in the place of the one who steps aside, and
    leads if that one led. 不同意回避: the reason, and never for the 调解主持人."""
    accounts.require(work.actor, "see_cases")
    rec = require_live(work.session, Recusal, recusal_id, "找不到这条回避申请")
    row = case_for_edit(work, rec.case_id)
    if rec.decision is not None:
        raise UserError(f"这条回避申请已于 {rec.decided_on:%Y-%m-%d} 作出决定（{rec.decision}）")
    if decision not in DECISIONS:
        raise UserError(f"请选择：{'、'.join(DECISIONS)}", field="decision")
    if decided_on < rec.requested_on:
        raise UserError("决定日期不能早于申请日期", field="decided_on")
    mediator = work.session.get(CaseMediator, rec.mediator_id)
    note = (note or "").strip()
    if decision == REFUSED:
        if mediator is not None and mediator.is_lead and mediator.deleted_at is None:
            raise UserError(
                f"{mediator.name}是本案的调解主持人：{law.quoted(law.RECUSAL)}。请同意回避并指定接替的调解员",
                field="decision",
            )
        rec.decision_note = require_text(note, "不同意回避的理由", "note")
    else:
        if not replacement_user_id and not (replacement_name or "").strip() and not replacement_person_id:
            raise UserError("同意回避，请指定接替的调解员（本站账号或外聘调解员）", field="replacement")
        if replacement_user_id and mediator is not None and replacement_user_id == mediator.user_id:
            raise UserError("接替的调解员不能是申请回避的调解员本人", field="replacement")
        was_lead = bool(mediator is not None and mediator.is_lead and mediator.deleted_at is None)
        if mediator is not None and mediator.deleted_at is None:
            mediator.deleted_at = utcnow()
            mediator.is_lead = False
        rec.decision = decision  # so the one who steps aside cannot be named again as the replacement
        replacement = add_mediator(
            work,
            row.id,
            user_id=replacement_user_id,
            name=replacement_name,
            is_lead=was_lead,
            person_id=replacement_person_id,
        )
        rec.replacement_id = replacement.id
        rec.replacement_name = replacement.name
        rec.decision_note = note
    rec.decision = decision
    rec.decided_on = decided_on
    rec.decided_by = actor_name(work.actor)
    audit.record(
        work.session,
        work.actor,
        "case.recusal.decide",
        table="mediation_recusal",
        record_id=rec.id,
        fields=["decision", "replacement_id"],
        detail=decision,
    )
    return plain(RecusalInfo, rec)


def case_recusals(work: Work, case_id: str) -> list[RecusalInfo]:
    accounts.require(work.actor, "see_cases")
    return [plain(RecusalInfo, r) for r in recusals(work.session, case_id)]
