"""Building mediation cases in tests: a mediator, two parties, and a case driven to any state."""

from __future__ import annotations

import datetime as dt

from db.models import MediationCase

from app import accounts
from app.mediation import agreement, casefile, meetings, registration, rules, states

D = dt.date


def make_mediator(ws, username: str = "tiaojie", roles=("mediator",)):
    with ws.work(None) as w:
        user = accounts.add_user(
            w, username=username, display_name="李调解", password="pass-word-1", roles=roles
        )
        w.session.flush()
        w.session.expunge(user)
    return user


def new_case(
    w,
    *,
    accepted_on=D(2026, 3, 2),
    title="张三与李四宅基地纠纷",
    source="当事人申请",
    dispute_type="房屋宅基地",
    parties=True,
    **kw,
):
    info = registration.register_case(
        w, title=title, accepted_on=accepted_on, source=source, dispute_type=dispute_type, **kw
    )
    if parties:
        registration.add_party(
            w, info.id, role="申请人", name="张三", sex="男", phone="13905351234", address="张家村二组"
        )
        registration.add_party(w, info.id, role="被申请人", name="李四", sex="男", address="张家村三组")
        registration.add_mediator(w, info.id, user_id=w.actor.id, is_lead=True)
    return info


def tick_required(w, case_id):
    for spec in rules.CASE_FILE_ITEMS:
        if spec.required:
            casefile.set_file_item(w, case_id, spec.key, present=True, pages=1)


def sign_party(w, agreement_id, party_id, day):
    """One party's 按指印 on the agreement."""
    return agreement.sign(
        w,
        document_table="mediation_agreement",
        document_id=agreement_id,
        signer_role="当事人",
        signer_name="",
        party_id=party_id,
        signed_on=day,
        method="按指印",
    )


def sign_all(w, agreement_id, case_id, day):
    for p in registration.parties(w, case_id):
        sign_party(w, agreement_id, p.id, day)
    agreement.sign(
        w,
        document_table="mediation_agreement",
        document_id=agreement_id,
        signer_role="调解员",
        signer_name=w.actor.display_name,
        signed_on=day,
    )
    agreement.sign(
        w,
        document_table="mediation_agreement",
        document_id=agreement_id,
        signer_role="委员会",
        signer_name="",
        signed_on=day,
    )


def step(w, case_id, target, day):
    """Do what ``target`` needs first, then move there (one legal step)."""
    row = w.session.get(MediationCase, case_id)
    kw = {}
    if target == rules.SUCCEEDED:
        ag = agreement.save_agreement(
            w,
            case_id,
            kind="书面",
            reached_on=day,
            facts="宅基地界址争议",
            issues="围墙位置",
            terms="李四拆除越界围墙 0.5 米",
            amount=1200,
            performance_deadline=day + dt.timedelta(days=15),
        )
        sign_all(w, ag.id, case_id, day)
    elif target in (rules.REJECTED, rules.TERMINATED):
        kw["reasons"] = "一方当事人明确拒绝调解"
    elif target == rules.FAILED:
        kw.update(reasons="双方分歧过大", routes=["诉讼", "行政"])
    elif target == rules.ESCALATED:
        kw.update(reasons="涉及多户，需要乡镇协调", escalate_to="乡镇")
    elif target == rules.VISITED:
        casefile.record_follow_up(
            w, case_id, visited_on=day, visitor="李调解", performance="已履行", satisfaction="满意"
        )
    elif target == rules.ARCHIVED:
        tick_required(w, case_id)
        kw.update(volume_no="2026-001", filed_by="李调解", retention="长期")
        if row.state == rules.ESCALATED:
            row.town_outcome, row.town_handling = (
                "调解成功",
                "镇司法所组织调解，达成协议",
            )  # as the town bundle brings it
    if target == rules.IN_MEDIATION and row.state == rules.ESCALATED:
        row.town_outcome, row.town_handling = "退回村调委会", "请村调委会继续调解"
    return states.change_state(w, case_id, target, on_date=day, **kw)


# A path from 受理 to each state (through legal steps).
PATHS = {
    rules.ACCEPTED: [],
    rules.IN_MEDIATION: [rules.IN_MEDIATION],
    rules.SUCCEEDED: [rules.IN_MEDIATION, rules.SUCCEEDED],
    rules.FAILED: [rules.IN_MEDIATION, rules.FAILED],
    rules.TERMINATED: [rules.IN_MEDIATION, rules.TERMINATED],
    rules.REJECTED: [rules.REJECTED],
    rules.PERFORMING: [rules.IN_MEDIATION, rules.SUCCEEDED, rules.PERFORMING],
    rules.PERFORMED: [rules.IN_MEDIATION, rules.SUCCEEDED, rules.PERFORMED],
    rules.VISITED: [rules.IN_MEDIATION, rules.SUCCEEDED, rules.PERFORMED, rules.VISITED],
    rules.ARCHIVED: [rules.REJECTED, rules.ARCHIVED],
    rules.ESCALATED: [rules.ESCALATED],
}


def case_in_state(w, state, *, accepted_on=D(2026, 3, 2), **kw):
    info = new_case(w, accepted_on=accepted_on, **kw)
    day = accepted_on
    for target in PATHS[state]:
        if target == rules.IN_MEDIATION:
            registration.record_rights_notice(w, info.id, given_on=day)
        info = step(w, info.id, target, day)
        if target == rules.IN_MEDIATION:
            meetings.add_meeting(w, info.id, held_at=dt.datetime.combine(day, dt.time(9)), place="村调解室")
    return info
