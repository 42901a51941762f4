"""矛盾纠纷排查调处台账: one row per case, plus a statistics sheet (openpyxl)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select

from db.models import Agreement, CaseMediator, CaseParty, MediationCase

from app.ledger_book import LedgerBook, check_target, period_text
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
    ("协议形式", 8),
    ("协议生效日期", 12),
    ("协议金额（元）", 12),
    ("履行情况", 10),
    ("防止民转刑（人）", 10),
    ("防止群体性上访（人）", 12),
    ("防止自杀（人）", 10),
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
    q = select(MediationCase).where(MediationCase.deleted_at.is_(None))
    if date_from is not None:
        q = q.where(MediationCase.accepted_on >= date_from)
    if date_to is not None:
        q = q.where(MediationCase.accepted_on <= date_to)
    cases = list(work.session.scalars(q.order_by(MediationCase.accepted_on, MediationCase.case_seq)))
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
        f"矛盾纠纷排查调处台账  {period_text(date_from, date_to)}  导出日期 {dt.date.today():%Y-%m-%d}",
        COLUMNS,
        frozen_columns=1,  # 案件编号 stays in view
    )
    st = mstats.compute(work, date_from, date_to)
    stats_rows: list[list[object]] = [["矛盾纠纷排查调处统计"], ["统计期间", period_text(date_from, date_to)]]
    stats_rows += [[label, value] for label, value in st.lines()]
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
                ag.kind if ag else "",
                ag.effective_on if ag else None,
                ag.amount_fen / 100 if ag else None,
                performance,
                c.risk_criminal_people if c.risk_criminal and c.outcome == "成功" else None,
                c.risk_petition_people if c.risk_petition and c.outcome == "成功" else None,
                c.risk_suicide_people if c.risk_suicide and c.outcome == "成功" else None,
                town,
                c.volume_no or "",
                c.filed_on,
            ]
            if progress is not None and n % 500 == 0:
                progress(n, len(cases), f"已写 {n} 件")

    return book.save(target, rows())
