"""卷宗: follow-up visits (回访), the case-file checklist (卷内目录) with the documents the program holds
itself, attachments (scans, evidence), and opening the whole case file (audited).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy.orm import Session

from db.models import (
    Agreement,
    Attachment,
    CaseFileItem,
    CaseMediator,
    CaseTransition,
    MediationCase,
    Recusal,
    SessionRecord,
    Signature,
)
from db.models import FollowUp as FollowUpRow

from app import accounts, attachments, audit
from app.errors import UserError
from app.mediation import rules
from app.mediation.agreement import case_agreement
from app.mediation.info import (
    AgreementInfo,
    CaseFile,
    CaseInfo,
    FileItemInfo,
    FollowUpInfo,
    MediatorInfo,
    PartyInfo,
    RecusalInfo,
    SessionInfo,
    SignatureInfo,
    TransitionInfo,
    link_id,
    plain,
    require_text,
)
from app.mediation.registration import case_for_edit, case_row, committee_name, live_rows, party_rows
from app.work import Work

FOLLOW_UP_AFTER_DAYS = 30  # a visit is planned this long after the agreement was performed


# -- follow-ups ---------------------------------------------------------------------------------
def plan_follow_up_if_none(
    session: Session, row: MediationCase, ag: Agreement | None, due_on: dt.date
) -> None:
    if any(f.visited_on is None for f in live_rows(session, FollowUpRow, row.id)):
        return
    names = "、".join(p.name for p in party_rows(session, row.id))
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
    work: Work,
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
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    ag = case_agreement(work.session, case_id)
    if ag is None:
        raise UserError("回访对应调解协议，本案还没有协议")
    if visited_on < ag.reached_on:
        raise UserError("回访日期不能早于协议日期", field="visited_on")
    if satisfaction not in rules.SATISFACTION:
        raise UserError(f"当事人满意度请选择：{'、'.join(rules.SATISFACTION)}", field="satisfaction")
    f = None
    if follow_up_id is not None:
        f = work.session.get(FollowUpRow, follow_up_id)
    if f is None:
        f = next(
            (
                x
                for x in live_rows(work.session, FollowUpRow, case_id, FollowUpRow.due_on)
                if x.visited_on is None
            ),
            None,
        )
    if f is None:
        f = FollowUpRow(
            village_code=row.village_code,
            case_id=case_id,
            agreement_number=ag.number,
            parties="、".join(p.name for p in party_rows(work.session, case_id)),
        )
        work.session.add(f)
    f.agreement_number = ag.number
    f.visited_on = visited_on
    f.visitor = require_text(visitor, "回访人", "visitor")
    f.subject = subject
    f.performance = require_text(performance, "协议履行情况", "performance")
    f.satisfaction = satisfaction
    f.attitude_changes = attitude_changes
    f.new_dispute_signs = new_dispute_signs
    f.measures = measures
    work.session.flush()
    return plain(FollowUpInfo, f)


# -- the case file checklist (卷内目录) ------------------------------------------------------------------
def _auto_items(session: Session, row: MediationCase) -> set[str]:
    """Documents the program itself holds (and prints) for this case."""
    have = {"application"}
    if row.rights_notice_on is not None:
        have.add("rights_notice")
    if live_rows(session, SessionRecord, row.id):
        have.add("session_record")
    if case_agreement(session, row.id) is not None:
        have.add("agreement")
    if any(f.visited_on for f in live_rows(session, FollowUpRow, row.id)):
        have.add("follow_up")
    return have


def checklist(work: Work, case_id: str) -> list[FileItemInfo]:
    row = case_row(work.session, case_id)
    stored = {i.item_key: i for i in live_rows(work.session, CaseFileItem, case_id)}
    auto = _auto_items(work.session, row)
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
    work: Work,
    case_id: str,
    key: str,
    *,
    present: bool,
    pages: int = 0,
    note: str = "",
) -> None:
    """Tick a paper document as in the file (id derived from case and item: one row per item)."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，卷内目录不能再改")
    if key not in rules.FILE_ITEM_KEYS:
        raise ValueError(key)
    if pages < 0:
        raise UserError("页数不能为负数", field="pages")
    item_id = link_id("file_item", case_id, key)
    item = work.session.get(CaseFileItem, item_id)
    if item is None:
        item = CaseFileItem(village_code=row.village_code, case_id=case_id, item_key=key)
        item.id = item_id
        work.session.add(item)
    item.deleted_at = None
    item.present, item.pages, item.note = present, pages, note.strip()


def attach_to_case(
    work: Work,
    case_id: str,
    path: Path | str,
    *,
    note: str | None = None,
) -> attachments.AttachmentInfo:
    """A scan or a piece of evidence for the case file, stored in the workspace by its hash."""
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state == rules.ARCHIVED:
        raise UserError("案件已归档，不能再添加附件")
    info = attachments.attach_file(work, "mediation_case", case_id, path, note=note)
    stored = work.session.get(Attachment, info.id)
    assert stored is not None, "attach_file has just stored it"
    stored.village_code = row.village_code
    audit.record(
        work.session,
        work.actor,
        "case.attach",
        table="mediation_case",
        record_id=case_id,
        fields=["attachment"],
    )
    return info


def case_attachments(work: Work, case_id: str) -> list[attachments.AttachmentInfo]:
    accounts.require(work.actor, "see_cases")
    return attachments.list_attachments(work, "mediation_case", case_id)


# -- reading ---------------------------------------------------------------------------------------
def open_case(work: Work, case_id: str, *, audit_open: bool = True) -> CaseFile:
    """The whole case file; only for 调解员, 管理员, 乡镇工作人员, and the opening is audited."""
    accounts.require(work.actor, "see_cases")
    row = case_row(work.session, case_id)
    if audit_open:
        audit.record(work.session, work.actor, "case.open", table="mediation_case", record_id=row.id)
    ag = case_agreement(work.session, case_id)
    sigs = live_rows(work.session, Signature, case_id, Signature.signed_on, Signature.created_at)
    return CaseFile(
        case=plain(CaseInfo, row),
        parties=[plain(PartyInfo, p) for p in party_rows(work.session, case_id)],
        mediators=[
            plain(MediatorInfo, m)
            for m in live_rows(work.session, CaseMediator, case_id, CaseMediator.created_at)
        ],
        transitions=[
            plain(TransitionInfo, t)
            for t in live_rows(
                work.session, CaseTransition, case_id, CaseTransition.at, CaseTransition.created_at
            )
        ],
        sessions=[
            plain(SessionInfo, s) for s in live_rows(work.session, SessionRecord, case_id, SessionRecord.seq)
        ],
        agreement=plain(AgreementInfo, ag) if ag else None,
        signatures=[plain(SignatureInfo, s) for s in sigs],
        follow_ups=[
            plain(FollowUpInfo, f)
            for f in live_rows(work.session, FollowUpRow, case_id, FollowUpRow.visited_on, FollowUpRow.due_on)
        ],
        items=checklist(work, case_id),
        committee_name=committee_name(work.session),
        recusals=[
            plain(RecusalInfo, r)
            for r in live_rows(work.session, Recusal, case_id, Recusal.requested_on, Recusal.created_at)
        ],
    )
