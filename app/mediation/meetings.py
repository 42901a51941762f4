"""调解记录: the meetings of a mediation (调解, one record each, numbered per case), held only while the
case is 调解中 and only after the rights-and-duties notice was given. "Session" in this code is the
database session; a mediation session is a meeting.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from db.models import MediationCase, SessionRecord

from app import accounts
from app.errors import UserError
from app.mediation import recusal, rules
from app.mediation.info import SessionInfo, actor_name, plain, require_text
from app.mediation.registration import case_for_edit
from app.work import Work


def add_meeting(
    work: Work,
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
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    if row.state != rules.IN_MEDIATION:
        raise UserError(f"案件处于“{row.state}”状态，只有“调解中”的案件才能记录调解；请先点“开始调解”")
    if row.rights_notice_on is None:
        raise UserError(
            "请先记录已向当事人告知权利义务（当事人权利义务告知书）：在卷宗的“登记”页按“记录已告知权利义务”，"
            "再记录调解",
            field="rights_notice",
        )
    if held_at.date() < row.rights_notice_on:
        raise UserError(
            f"调解时间早于权利义务告知日期（{row.rights_notice_on:%Y-%m-%d}），请先告知再调解",
            field="held_at",
        )
    recusal.require_none_open(work.session, case_id, "记录调解")
    if result not in rules.SESSION_RESULTS:
        raise UserError(f"调解结果请选择：{'、'.join(rules.SESSION_RESULTS)}", field="result")
    seq = (
        work.session.scalar(select(func.max(SessionRecord.seq)).where(SessionRecord.case_id == case_id)) or 0
    ) + 1
    rec = SessionRecord(
        village_code=row.village_code,
        case_id=case_id,
        seq=seq,
        held_at=held_at,
        place=require_text(place, "调解地点", "place"),
        subject=subject or row.title,
        participants=participants,
        parties_present=parties_present,
        statements=statements,
        verification=verification,
        risk_notice=risk_notice,
        result=result,
        result_detail=result_detail,
        mediator_name=mediator_name or actor_name(work.actor),
        recorder_name=recorder_name,
    )
    work.session.add(rec)
    work.session.flush()
    return plain(SessionInfo, rec)


# What a new 调解记录 starts with when nothing earlier says otherwise.
DEFAULT_PLACE = "村委会调解室"
REMEMBERED = ("place", "participants", "risk_notice", "recorder_name")
RECENT_MEETINGS = 50  # the committee's meetings a first meeting's place is taken from


def meeting_defaults(work: Work, case_id: str) -> dict[str, str]:
    """What a new 调解记录 of ``case_id`` starts with, so that it is typed once: the place, those taking
    part, the 风险告知 and the 记录人 of the case's last meeting; for its first, the place, 风险告知 and
    记录人 of this committee's last meeting in any case (the same words, the same clerk), and the place it meets
    in most of late (the same room: not the last place, which may be another case's party's home).
    Each can be changed in the form; nothing is written here. The agreement's 记录人 starts as these."""
    accounts.require(work.actor, "see_cases")
    village = work.session.scalar(select(MediationCase.village_code).where(MediationCase.id == case_id))
    columns = [getattr(SessionRecord, name) for name in REMEMBERED]
    live = SessionRecord.deleted_at.is_(None)
    last = work.session.execute(
        select(*columns)
        .where(live, SessionRecord.case_id == case_id)
        .order_by(SessionRecord.seq.desc())
        .limit(1)
    ).first()
    if last is not None:
        return {name: value or "" for name, value in zip(REMEMBERED, last, strict=True)}
    recent = work.session.execute(
        select(*columns)
        .where(live, SessionRecord.village_code == village)
        .order_by(SessionRecord.held_at.desc(), SessionRecord.id)
        .limit(RECENT_MEETINGS)
    ).all()
    found = dict(zip(REMEMBERED, recent[0], strict=True)) if recent else {}
    # the room the committee meets in most, not the last place (村民马斌宇家中: another case's party's home)
    places = Counter(r[0] for r in recent if r[0])  # (newest first: a tie goes to the newer)
    usual = max(places, key=places.__getitem__, default="")
    return {
        "place": usual or DEFAULT_PLACE,
        "participants": "",  # another case's people
        "risk_notice": found.get("risk_notice") or "",
        "recorder_name": found.get("recorder_name") or "",
    }
