"""为民实事台账: the year's projects through the one 台账 writer, by village (code order) and state, with a
second sheet counting each village's projects per state. Facts, never ranked (docs/projects.md)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from db.models.projects import PROJECT_STATES
from db.queries.projects import ProjectRow, project_rows, year_counts

from app import audit
from app.dates import cn_date
from app.errors import UserError
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, Row, check_target, village_names
from app.mediation.info import fen_to_yuan
from app.work import Work

YEAR_COLUMNS = [
    ("项目名称", 26),
    ("范围", 6),
    ("状态", 8),
    ("预算（元）", 12),
    ("资金来源", 14),
    ("责任人", 9),
    ("回应诉求（条）", 9),
    ("节点（已完成/共）", 10),
    ("下一节点日期", 12),
    ("完成日期", 11),
    ("实际支出（元）", 12),
    ("验收日期", 11),
    ("群众点评", 26),
]


def review_text(r: ProjectRow) -> str:
    if r.accepted_on is None:
        return ""
    satisfied, basic, dissatisfied = r.review
    return f"满意 {satisfied}，基本满意 {basic}，不满意 {dissatisfied}"


def export_year(
    work: Work,
    target: Path | str,
    *,
    year: int,
    unit_name: str,
    state: str | None = None,
    today: dt.date | None = None,
) -> int:
    """The year's 为民实事 as a workbook; returns the number of projects written."""
    target = check_target(target)
    if state is not None and state not in PROJECT_STATES:
        raise UserError(f"状态请选：{'、'.join(PROJECT_STATES)}", field="state")
    today = today or dt.date.today()
    rows = project_rows(work.session, year=year, state=state)
    names = village_names(work)
    which = f"（{state}）" if state else ""
    book = LedgerBook(
        "为民实事",
        f"{unit_name}{year}年为民实事台账{which}  导出日期 {cn_date(today)}",
        ([VILLAGE_COLUMN] if names is not None else []) + YEAR_COLUMNS,
        frozen_columns=1 if names is not None else 0,
    )
    counts = year_counts(rows)
    summary: list[list[object]] = [["村", *PROJECT_STATES, "合计"]]
    for code, per_state in counts.items():
        label = (names or {}).get(code, code) if names is not None else unit_name
        summary.append([label, *per_state.values(), sum(per_state.values())])
    book.add_sheet("按村按状态", summary, widths=[14, *[9] * (len(PROJECT_STATES) + 1)])
    return audit.exported(work, "为民实事台账", target, book.save(target, _rows(rows, names)))


def _rows(rows: list[ProjectRow], names: dict[str, str] | None) -> Iterator[Row]:
    for r in rows:
        yield [
            *(() if names is None else (names.get(r.village_code, r.village_code),)),
            r.title,
            r.scope,
            r.state,
            float(fen_to_yuan(r.budget_fen)),
            r.funding_source,
            r.responsible,
            r.demands,
            f"{r.milestones_done}/{r.milestones}",
            r.next_due,
            r.completed_on,
            float(fen_to_yuan(r.spent_fen)) if r.spent_fen is not None else None,
            r.accepted_on,
            review_text(r),
        ]
