"""The state machine of a case at work: a step to another state with its preconditions (parties and a
mediator before mediation, an agreement before success, the required file items before archiving …), the
steps legal from a state, and the town's handling of a case escalated to it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable

from sqlalchemy import select

from db.models import CaseMediator, MediationCase
from db.models import FollowUp as FollowUpRow

from app import accounts, audit
from app.errors import UserError
from app.mediation import capacity, recusal, rules
from app.mediation.agreement import case_agreement, missing_signatures
from app.mediation.casefile import FOLLOW_UP_AFTER_DAYS, checklist, plan_follow_up_if_none
from app.mediation.info import CaseInfo, actor_name, plain, require_text, yuan_to_fen
from app.mediation.registration import add_transition, case_for_edit, case_row, live_rows, party_rows
from app.work import Work


# -- the state machine ---------------------------------------------------------------------------
def change_state(
    work: Work,
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

    - 不予受理: ``reasons`` (e.g. a party clearly refuses mediation before it begins: Art. 17, 不得调解;
      the case is not counted as 受理). 终止: ``reasons``; only a mediation under way is ended
      (a party asks to end it, Art. 23(二); it cannot succeed, Art. 26).
    - 调解不成: ``reasons`` and the ``routes`` explained (诉讼, 仲裁, 行政).
    - 上报: ``escalate_to`` (乡镇/县) and ``reasons``.
    - 调解成功: an agreement is on file; 开始履行 / 履行完毕 need it in effect.
    - 已归档: the required file items, ``volume_no``, ``filed_by``, ``retention`` (立卷日期 = ``on_date``).
    """
    accounts.require(work.actor, "see_cases")
    row = case_for_edit(work, case_id)
    source = row.state
    if not rules.is_legal(source, target):
        raise UserError(rules.refusal(source, target), field="state")
    if on_date < row.state_on:
        raise UserError(f"日期不能早于上一步的日期（{row.state_on:%Y-%m-%d}）", field="on_date")
    reasons = (reasons or "").strip()
    note = reasons
    ag = case_agreement(work.session, case_id)
    if target == rules.IN_MEDIATION:
        if source == rules.ESCALATED and row.town_outcome != rules.SENT_BACK:
            raise UserError("只有乡镇已把案件退回村调委会，才能继续调解", field="state")
        ps = party_rows(work.session, case_id)
        if len(ps) < 2:
            raise UserError("请先登记至少两方当事人，再开始调解", field="parties")
        if not live_rows(work.session, CaseMediator, case_id):
            raise UserError("请先指定调解员，再开始调解", field="mediators")
        capacity.require_guardians(work.session, row, ps, "开始调解")
        recusal.require_none_open(work.session, case_id, "开始调解")
    elif target in (rules.REJECTED, rules.TERMINATED):
        require_text(
            reasons,
            "不予受理的理由（如一方当事人明确拒绝调解）"
            if target == rules.REJECTED
            else "终止调解的理由（如调解中当事人要求终止调解）",
            "reasons",
        )
        row.end_reason = reasons
    elif target == rules.FAILED:
        require_text(reasons, "调解不成的原因", "reasons")
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
        require_text(reasons, "上报的理由", "reasons")
        row.escalated_to = escalate_to
        row.escalation_reason = reasons
        row.escalated_on = on_date
        row.town_handling, row.town_outcome, row.town_outcome_note = "", None, ""
        row.town_handler, row.town_handled_on = None, None
        row.town_agreement_kind, row.town_amount_fen = None, 0
        note = f"上报{escalate_to}：{reasons}"
    elif target == rules.SUCCEEDED:
        recusal.require_none_open(work.session, case_id, "记为调解成功")
        if ag is None:
            raise UserError(
                "请先在“协议”页填写调解协议（书面协议书或口头协议），再记为调解成功", field="agreement"
            )
    elif target in (rules.PERFORMING, rules.PERFORMED) and source == rules.SUCCEEDED:
        if ag is None or ag.effective_on is None:
            missing = "、".join(missing_signatures(work.session, ag)) if ag else "协议"
            raise UserError(f"协议尚未生效，还缺：{missing}", field="agreement")
    if target == rules.PERFORMED:
        if ag is not None:
            ag.performed_on = on_date
        plan_follow_up_if_none(work.session, row, ag, on_date + dt.timedelta(days=FOLLOW_UP_AFTER_DAYS))
    elif target == rules.VISITED:
        done = [f for f in live_rows(work.session, FollowUpRow, case_id) if f.visited_on is not None]
        if not done:
            raise UserError("请先在“回访”页填写回访记录", field="follow_ups")
    elif target == rules.ARCHIVED:
        if source == rules.ESCALATED and not row.town_outcome:
            raise UserError("乡镇尚未反馈处理结果，暂不能归档", field="state")
        _check_archive(work, row, volume_no, filed_by, retention)
        assert volume_no is not None and filed_by is not None, "_check_archive refuses them empty"
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
    add_transition(work.session, row, source, target, on_date, work.actor, note)
    audit.record(
        work.session,
        work.actor,
        "case.state",
        table="mediation_case",
        record_id=row.id,
        fields=["state"],
        detail=f"{source}→{target}",
    )
    return plain(CaseInfo, row)


def legal_actions(state: str) -> list[rules.Transition]:
    return rules.next_states(state)


def _check_archive(
    work: Work, row: MediationCase, volume_no: str | None, filed_by: str | None, retention: str | None
) -> None:
    missing = [i.title for i in checklist(work, row.id) if i.required and not i.present]
    if missing:
        raise UserError(
            f"卷宗还缺必备材料：{'、'.join(missing)}；请在“卷宗”页补齐并勾选后再归档", field="items"
        )
    require_text(volume_no, "卷号", "volume_no")
    assert volume_no is not None, "require_text refuses it empty"
    taken = work.session.execute(
        select(MediationCase.case_year, MediationCase.case_seq, MediationCase.title).where(
            MediationCase.village_code == row.village_code,
            MediationCase.volume_no == volume_no.strip(),
            MediationCase.id != row.id,
            MediationCase.deleted_at.is_(None),
        )
    ).first()
    if taken is not None:  # two folders on the shelf with one number: one of them is never found again
        raise UserError(
            f"卷号“{volume_no.strip()}”已用于第 {taken.case_year} 年第 {taken.case_seq} 号案件（{taken.title}），"
            "请换一个卷号",
            field="volume_no",
        )
    require_text(filed_by, "立卷人", "filed_by")
    if retention not in rules.RETENTIONS:
        raise UserError(f"保管期限请选择：{'、'.join(rules.RETENTIONS)}", field="retention")


_LAST_NUMBER = re.compile(r"(\d+)(?!.*\d)")


def next_volume_no(work: Work, case_id: str, year: int) -> str:
    """The 卷号 the archiving of ``case_id`` in ``year`` is offered: the village's last 卷号 with its
    last number one higher, its zeros kept (2026-014 → 2026-015, 张调卷〔2026〕9号 → 张调卷〔2026〕10号);
    ``year``-001 for the first of a year (a 卷号 without the year, and its numbering goes on). Never one
    already used. The committee's own numbering is kept; nothing is written."""
    accounts.require(work.actor, "see_cases")
    village = work.session.scalar(select(MediationCase.village_code).where(MediationCase.id == case_id))
    numbers = list(  # the last filed first
        work.session.scalars(
            select(MediationCase.volume_no)
            .where(
                MediationCase.village_code == village,
                MediationCase.volume_no.is_not(None),
                MediationCase.deleted_at.is_(None),
            )
            .order_by(MediationCase.filed_on.desc(), MediationCase.updated_at.desc())
        )
    )
    used, last = set(numbers), (numbers[0] if numbers else None)
    text = _restarted(last.strip(), year) if last and _LAST_NUMBER.search(last) else f"{year}-000"
    for _ in range(1000):  # past numbers typed by hand ahead of the count
        text = _numbered(text, lambda n: n + 1)
        if text not in used:
            return text
    return ""  # a numbering this program cannot follow: the person types it


def _numbered(text: str, change: Callable[[int], int]) -> str:
    """``text`` with its last number changed, its leading zeros kept (014 → 015, 9 → 10)."""
    m = _LAST_NUMBER.search(text)
    assert m is not None, "called on a text with a number"
    digits = m.group(1)
    new = str(change(int(digits)))
    return text[: m.start()] + (new.zfill(len(digits)) if digits.startswith("0") else new) + text[m.end() :]


def _restarted(text: str, year: int) -> str:
    """Last year's 卷号 as the one before this year's first (张调卷〔2025〕31号 → 张调卷〔2026〕0号); a
    卷号 without a year as it is."""
    years = re.findall(r"(?<!\d)(?:19|20)\d\d(?!\d)", text)
    if not years or str(year) in years:
        return text
    at = text.rfind(years[-1])
    text = text[:at] + str(year) + text[at + 4 :]
    m = _LAST_NUMBER.search(text)
    if m is None or m.start() == at:  # the year was its only number
        return f"{year}-000"
    return _numbered(text, lambda _n: 0)


# -- town handling of an escalated case -----------------------------------------------------------------
def record_town_handling(
    work: Work,
    case_id: str,
    *,
    handling: str,
    outcome: str,
    handled_on: dt.date,
    note: str = "",
    agreement_kind: str | None = None,
    amount: object = None,
) -> CaseInfo:
    """The town's handling and outcome of a case escalated to it, on the same record (flows back down).

    With 调解成功 the town also records the agreement's form (``agreement_kind``: 书面 / 口头) and its
    amount in 元 (``amount``, 0 when none), counted in the town committee's row of the monthly report
    (docs/mediation-statistics.md); with any other outcome they are left empty."""
    accounts.require(work.actor, "see_cases")
    row = case_row(work.session, case_id)
    if not work.is_town:
        raise UserError("乡镇的处理结果只能在乡镇工作站填写")
    if row.state != rules.ESCALATED:
        raise UserError(f"案件处于“{row.state}”状态，未上报到乡镇，不能填写乡镇处理结果")
    if outcome not in rules.TOWN_OUTCOMES:
        raise UserError(f"处理结果请选择：{'、'.join(rules.TOWN_OUTCOMES)}", field="outcome")
    if row.escalated_on and handled_on < row.escalated_on:
        raise UserError("处理日期不能早于上报日期", field="handled_on")
    kind, amount_fen = None, 0
    if outcome == "调解成功":
        if agreement_kind not in rules.AGREEMENT_KINDS:
            raise UserError("乡镇调解成功的，请选择协议形式：书面协议或口头协议", field="town_agreement_kind")
        kind = agreement_kind
        amount_fen = yuan_to_fen(amount, field="town_amount")
    row.town_handling = require_text(handling, "乡镇的处理情况", "handling")
    row.town_agreement_kind, row.town_amount_fen = kind, amount_fen
    row.town_outcome = outcome
    row.town_outcome_note = note.strip()
    row.town_handler = actor_name(work.actor)
    row.town_handled_on = handled_on
    audit.record(
        work.session,
        work.actor,
        "case.town_handling",
        table="mediation_case",
        record_id=row.id,
        fields=["town_handling", "town_outcome", "town_agreement_kind", "town_amount_fen"],
    )
    return plain(CaseInfo, row)
