"""调解协议: the agreement of a case (书面 or 口头), the signatures on it and on meeting records, who has
still to sign, the agreement's effective date derived from them, and the parties' application for
judicial confirmation (司法确认).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from db.base import utcnow
from db.models import Agreement, CaseParty, SessionRecord, Signature

from app import accounts, attachments, audit
from app.errors import UserError
from app.mediation import capacity, law, recusal, rules
from app.mediation.info import (
    AgreementInfo,
    CaseInfo,
    SignatureInfo,
    link_id,
    plain,
    require_text,
    yuan_to_fen,
)
from app.mediation.registration import case_for_edit, committee_name, party_rows
from app.work import Work


# -- signatures ---------------------------------------------------------------------------------
def sign(
    work: Work,
    *,
    document_table: str,
    document_id: str,
    signer_role: str,
    signer_name: str,
    signed_on: dt.date,
    method: str = "纸质签字",
    party_id: str | None = None,
    png: bytes | None = None,
) -> SignatureInfo:
    """Record a signature (签名板 with its PNG, or paper signed / fingerprint / seal).

    On an agreement, every signature re-derives the agreement's effective date.
    """
    accounts.require(work.actor, "see_cases")
    doc: Agreement | SessionRecord | None
    if document_table == "mediation_agreement":
        doc = work.session.get(Agreement, document_id)
    elif document_table == "mediation_session":
        doc = work.session.get(SessionRecord, document_id)
    else:
        raise ValueError(document_table)
    if doc is None or doc.deleted_at is not None:
        raise UserError("找不到要签名的文书")
    case = case_for_edit(work, doc.case_id)
    if case.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再签名")
    if signer_role not in rules.SIGNER_ROLES:
        raise UserError(f"签名人身份请选择：{'、'.join(rules.SIGNER_ROLES)}", field="signer_role")
    if method not in rules.SIGN_METHODS:
        raise UserError(f"签名方式请选择：{'、'.join(rules.SIGN_METHODS)}", field="method")
    if signer_role == "当事人":
        party = work.session.get(CaseParty, party_id) if party_id else None
        if party is None or party.case_id != case.id or party.deleted_at is not None:
            raise UserError("请选择签名的当事人", field="party_id")
        problem = capacity.missing_guardian(party, case.accepted_on)
        if problem:
            raise UserError(f"{problem}，由法定代理人签名", field="party_id")
        # A party without full capacity signs through its 法定代理人 (民法典 Art. 20–23).
        signer_name = party.guardian_name or party.name
    if signer_role == "委员会":
        method = "盖章"
        signer_name = signer_name or committee_name(work.session)
    signer_name = require_text(signer_name, "签名人姓名", "signer_name")
    if method == "签名板" and not png:
        raise UserError("签名板签名没有收到签名图像，请重新签名，或改选“纸质签字”", field="png")
    if isinstance(doc, Agreement):
        # a mediator a party asked to step aside does not sign it into effect (docs/mediation-law.md)
        recusal.require_none_open(work.session, case.id, "签署协议")
    if isinstance(doc, Agreement) and signed_on < doc.reached_on:
        raise UserError(f"签名日期不能早于协议达成日期（{doc.reached_on:%Y-%m-%d}）", field="signed_on")
    sig_id = link_id("signature", document_id, signer_role, party_id or signer_name)
    sig = work.session.get(Signature, sig_id)
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
        work.session.add(sig)
    sig.deleted_at = None
    sig.signer_name = signer_name
    sig.method = method
    sig.signed_on = signed_on
    if png:
        sig.attachment_id = attachments.attach_bytes(
            work,
            "mediation_signature",
            sig_id,
            png,
            f"签名-{signer_name}.png",
            mime="image/png",
        ).id
    else:
        sig.attachment_id = None
    work.session.flush()
    if isinstance(doc, Agreement):
        _derive_effective(work.session, doc)
    return plain(SignatureInfo, sig)


# built once, the document a parameter (see registration.live_rows)
_SIGNATURES = (
    select(Signature)
    .where(Signature.document_id == bindparam("document_id"), Signature.deleted_at.is_(None))
    .order_by(Signature.signed_on, Signature.created_at)
)


def signatures(session: Session, document_id: str) -> list[Signature]:
    return list(session.scalars(_SIGNATURES, {"document_id": document_id}))


def missing_signatures(session: Session, agreement: Agreement) -> list[str]:
    """Who still has to sign a written agreement (Art. 29): every party, a mediator, the committee seal."""
    sigs = signatures(session, agreement.id)
    signed_parties = {s.party_id for s in sigs if s.signer_role == "当事人"}
    missing = [
        f"当事人{p.name}" + (f"的法定代理人{p.guardian_name}" if p.guardian_name else "")
        for p in party_rows(session, agreement.case_id)
        if p.id not in signed_parties
    ]
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
        party_ids = {p.id for p in party_rows(session, agreement.case_id)}
        dates = [s.signed_on for s in sigs if s.signer_role == "当事人" and s.party_id in party_ids]
        dates.append(min(s.signed_on for s in sigs if s.signer_role == "调解员"))
        dates.append(min(s.signed_on for s in sigs if s.signer_role == "委员会"))
        effective = max(dates)
    if agreement.effective_on != effective:
        agreement.effective_on = effective


# -- agreement ---------------------------------------------------------------------------------
def save_agreement(
    work: Work,
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
    performance_place: str = "",
    amount: object = 0,
    recorder: str = "",
) -> AgreementInfo:
    """协议书 (书面, Art. 29) or 口头协议 (Art. 28/30). One per case; saving again edits it (signatures
    made on an earlier text are kept only if the text did not change)."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state not in (rules.IN_MEDIATION, rules.SUCCEEDED):
        raise UserError(f"案件处于“{row.state}”状态，只有调解中或刚调解成功的案件才能填写协议")
    if kind not in ("书面", "口头"):
        raise UserError("协议形式请选择“书面”或“口头”", field="kind")
    capacity.require_guardians(work.session, row, party_rows(work.session, case_id), "填写协议")
    recusal.require_none_open(work.session, case_id, "填写协议")
    terms = require_text(terms, "协议内容" if kind == "书面" else "口头协议的内容", "terms")
    if kind == "书面":
        facts = require_text(facts, "纠纷主要事实", "facts")
        issues = require_text(issues, "争议事项", "issues")
    if reached_on < row.accepted_on:
        raise UserError("协议日期不能早于受理日期", field="reached_on")
    if len((performance_place or "").strip()) > 200:
        raise UserError("履行地点最多 200 个字", field="performance_place")
    if performance_deadline is not None and performance_deadline < reached_on:
        raise UserError("履行期限不能早于协议日期", field="performance_deadline")
    agreement_id = link_id("agreement", case_id)
    ag = work.session.get(Agreement, agreement_id)
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
        performance_place=(performance_place or "").strip(),
        amount_fen=yuan_to_fen(amount),
        recorder=recorder.strip(),
    )
    if ag is None:
        ag = Agreement(village_code=row.village_code, case_id=case_id, **values)
        ag.id = agreement_id
        work.session.add(ag)
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
                "performance_place",
                "amount_fen",
                "kind",
            )
        )
        for k, v in values.items():
            if getattr(ag, k) != v:
                setattr(ag, k, v)
        ag.deleted_at = None
        if text_changed:
            for s in signatures(work.session, ag.id):
                s.deleted_at = utcnow()
    work.session.flush()
    _derive_effective(work.session, ag)
    row.agreement_kind = kind
    return plain(AgreementInfo, ag)


def case_agreement(session: Session, case_id: str) -> Agreement | None:
    ag = session.get(Agreement, link_id("agreement", case_id))
    return ag if ag is not None and ag.deleted_at is None else None


def apply_judicial_confirmation(work: Work, case_id: str, *, applied_on: dt.date, note: str = "") -> CaseInfo:
    """当事人已申请司法确认 (Art. 33): the 30-day reminder stops."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    ag = case_agreement(work.session, case_id)
    if ag is None or ag.effective_on is None:
        raise UserError("协议尚未生效，不能申请司法确认")
    if applied_on < ag.effective_on:
        raise UserError("申请日期不能早于协议生效日期", field="applied_on")
    last_day = rules.judicial_deadline(ag.effective_on)
    if applied_on > last_day:
        raise UserError(
            f"申请日期已过司法确认的申请期限：协议 {ag.effective_on:%Y-%m-%d} 生效，"
            f"{last_day:%Y-%m-%d} 是最后一天（{law.JUDICIAL_CONFIRMATION.citation}：三十日内）。请核对申请日期",
            field="applied_on",
        )
    row.judicial_applied_on = applied_on
    row.judicial_note = note.strip()
    return plain(CaseInfo, row)


def record_judicial_confirmation(
    work: Work, case_id: str, *, confirmed_on: dt.date, note: str = ""
) -> CaseInfo:
    """人民法院裁定确认调解协议有效 (司法确认): the day, after the parties applied."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.judicial_applied_on is None:
        raise UserError("当事人尚未申请司法确认，不能登记确认结果", field="confirmed_on")
    if confirmed_on < row.judicial_applied_on:
        raise UserError("确认日期不能早于申请日期", field="confirmed_on")
    row.judicial_confirmed_on = confirmed_on
    if note.strip():
        row.judicial_note = "；".join(t for t in (row.judicial_note, note.strip()) if t)
    audit.record(
        work.session,
        work.actor,
        "case.judicial_confirmed",
        table="mediation_case",
        record_id=row.id,
        fields=["judicial_confirmed_on"],
    )
    return plain(CaseInfo, row)


def agreement_missing_signatures(work: Work, case_id: str) -> list[str]:
    ag = case_agreement(work.session, case_id)
    return missing_signatures(work.session, ag) if ag is not None else []
