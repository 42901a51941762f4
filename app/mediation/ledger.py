"""矛盾纠纷排查调处台账: one row per case, plus a statistics sheet (openpyxl).

A period's ledger lists the cases accepted in it and those concluded in it (调解成功, 调解不成 or 终止 on a
day in the period, whenever accepted), so the period's figures can be checked against it row by row: each
row carries its 结案日期. A town's ledger has a 村 column.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import func, select

from db.models import Agreement, CaseMediator, CaseParty, CaseTransition, MediationCase, Station

from app import audit
from app.dates import cn_date
from app.ledger_book import LedgerBook, check_target, period_text
from app.mediation import rules
from app.mediation import stats as mstats
from app.work import Work

COLUMNS = (
    ("案件编号", 24),
    ("纠纷名称", 30),
    ("受理日期", 12),
    ("纠纷来源", 10),
    ("纠纷类型", 10),
    ("难易程度", 9),
    ("涉及人数", 8),
    ("涉及金额（元）", 12),
    ("申请人", 16),
    ("被申请人", 16),
    ("调解员", 14),
    ("简要案情", 40),
    ("状态", 9),
    ("调解结果", 9),
    ("结案日期", 12),
    ("协议形式", 8),
    ("协议生效日期", 12),
    ("协议金额（元）", 12),
    ("履行情况", 10),
    ("防止民转刑（人）", 10),
    ("防止群体性上访（人）", 12),
    ("防止自杀（人）", 10),
    ("防止群体性械斗（人）", 12),
    ("上报/乡镇处理结果", 16),
    ("卷号", 12),
    ("归档日期", 12),
)


def _names(rows: dict[str, list[str]], case_id: str) -> str:
    return "、".join(rows.get(case_id, []))


def export_ledger(
    work: Work,
    target: Path | str,
    *,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> int:
    """Write the workbook (:class:`app.ledger_book.LedgerBook`); returns the number of case rows."""
    target = check_target(target)
    concluded_on = _concluded_on(work)
    q = select(MediationCase).where(MediationCase.deleted_at.is_(None))
    in_period = []
    if date_from is not None:
        in_period.append(MediationCase.accepted_on >= date_from)
    if date_to is not None:
        in_period.append(MediationCase.accepted_on <= date_to)
    cases = list(
        work.session.scalars(
            q.order_by(MediationCase.village_code, MediationCase.accepted_on, MediationCase.case_seq)
        )
    )
    if in_period:

        def wanted(c: MediationCase) -> bool:
            day = concluded_on.get(c.id)
            return _within(c.accepted_on, date_from, date_to) or (
                day is not None and _within(day, date_from, date_to)
            )

        cases = [c for c in cases if wanted(c)]
    at_town = work.is_town
    names = (
        {code: name for code, name in work.session.execute(select(Station.code, Station.name))}
        if at_town
        else {}
    )
    applicants: dict[str, list[str]] = {}
    respondents: dict[str, list[str]] = {}
    for case_id, role, name in work.session.execute(
        select(CaseParty.case_id, CaseParty.role, CaseParty.name)
        .where(CaseParty.deleted_at.is_(None))
        .order_by(CaseParty.sort_order)
    ):
        (applicants if role == "申请人" else respondents if role == "被申请人" else {}).setdefault(
            case_id, []
        ).append(name)
    mediators: dict[str, list[str]] = {}
    for case_id, name in work.session.execute(
        select(CaseMediator.case_id, CaseMediator.name).where(CaseMediator.deleted_at.is_(None))
    ):
        mediators.setdefault(case_id, []).append(name)
    agreements = {
        a.case_id: a for a in work.session.scalars(select(Agreement).where(Agreement.deleted_at.is_(None)))
    }

    book = LedgerBook(
        "台账",
        f"矛盾纠纷排查调处台账  {period_text(date_from, date_to)}  导出日期 {cn_date(dt.date.today())}",
        ((("村", 12),) if at_town else ()) + COLUMNS,
        frozen_columns=2 if at_town else 1,  # (村 and) 案件编号 stay in view
    )
    st = mstats.compute(work, date_from, date_to)
    stats_rows: list[list[object]] = [["矛盾纠纷排查调处统计"], ["统计期间", period_text(date_from, date_to)]]
    stats_rows += [[label, value] for label, value in st.lines()]
    stats_rows += [
        ["说明", "受理按受理日期；成功、不成、终止按结案日期（见台账“结案日期”列）；在调为期末仍在调解的件数"]
    ]
    stats_rows += [[], ["按纠纷类型", "受理（件）"], *([k, v] for k, v in st.by_type.items())]
    stats_rows += [[], ["按纠纷来源", "受理（件）"], *([k, v] for k, v in st.by_source.items())]
    book.add_sheet("统计", stats_rows, widths=(22, 26))

    def rows() -> Iterator[list[object]]:
        for n, c in enumerate(cases, start=1):
            ag = agreements.get(c.id)
            result = {
                "成功": "调解成功",
                "不成": "调解不成",
                "终止": "终止调解",
                "不予受理": "不予受理",
                "上报": "上报",
            }.get(c.outcome or "", "在调")
            performance = (
                "已履行"
                if c.state in ("履行完毕", "已回访") or (ag and ag.performed_on)
                else ("履行中" if c.state == "履行中" else "")
            )
            town = ""
            if c.escalated_to:
                town = f"上报{c.escalated_to}" + (f"：{c.town_outcome}" if c.town_outcome else "（待处理）")
            yield [
                *((names.get(c.village_code, c.village_code),) if at_town else ()),
                c.case_number,
                c.title,
                c.accepted_on,
                c.source,
                c.dispute_type,
                c.complexity,
                c.people_count,
                c.amount_fen / 100,
                _names(applicants, c.id),
                _names(respondents, c.id),
                _names(mediators, c.id),
                c.facts,
                c.state,
                result,
                concluded_on.get(c.id),
                ag.kind if ag else "",
                ag.effective_on if ag else None,
                ag.amount_fen / 100 if ag else None,
                performance,
                c.risk_criminal_people if c.risk_criminal and c.outcome == "成功" else None,
                c.risk_petition_people if c.risk_petition and c.outcome == "成功" else None,
                c.risk_suicide_people if c.risk_suicide and c.outcome == "成功" else None,
                c.risk_fight_people if c.risk_fight and c.outcome == "成功" else None,
                town,
                c.volume_no or "",
                c.filed_on,
            ]
            if progress is not None and n % 500 == 0:
                progress(n, len(cases), f"已写 {n} 件")

    return audit.exported(work, "矛盾纠纷排查调处台账", target, book.save(target, rows()))


def _within(day: dt.date, date_from: dt.date | None, date_to: dt.date | None) -> bool:
    return (date_from is None or day >= date_from) and (date_to is None or day <= date_to)


def _concluded_on(work: Work) -> dict[str, dt.date]:
    """Case id → the day it was concluded (its last step to 调解成功, 调解不成 or 终止)."""
    rows = work.session.execute(
        select(CaseTransition.case_id, func.max(CaseTransition.on_date))
        .where(
            CaseTransition.deleted_at.is_(None),
            CaseTransition.to_state.in_(rules.CONCLUDED),
        )
        .group_by(CaseTransition.case_id)
    )
    return {case_id: day for case_id, day in rows}
