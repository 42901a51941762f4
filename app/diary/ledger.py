"""民情台账: derived from the diary, never typed twice. Every demand with its household, date, content,
category, handling, reply, status and responsible person; the diary itself as a 台账 workbook.

Excel, one title row, a frozen header, 序号, dates as dates, and whether the resident acknowledged;
exported on the command line by ``python -m app diary export`` and ``python -m app ledger export``
(:mod:`app.diary.cli`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import Demand, DiaryEntry
from db.queries.diary import (
    DiaryFilter,
    LedgerFilter,
    LedgerRow,
    diary_entry_ids,
    diary_rows,
    ledger_count,
    ledger_stream,
)

from app import audit
from app.dates import cn_date
from app.errors import UserError
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, Row, check_target, period_text, village_names
from app.work import Work

Progress = Callable[[int, int, str], None]


def _no_progress(done: int, total: int, text: str = "") -> None:
    return None


def ack_label(method: str | None) -> str:
    return method or "未签字"


def ledger(work: Work, f: LedgerFilter | None = None) -> list[LedgerRow]:
    """The ledger's rows in order (newest demand first)."""
    return list(ledger_stream(work.session, f))


LEDGER_COLUMNS = [
    ("日期", 11),
    ("户主", 9),
    ("村民小组", 9),
    ("诉求类别", 10),
    ("诉求内容", 36),
    ("责任人", 9),
    ("办理期限", 11),
    ("办理情况", 30),
    ("答复内容", 30),
    ("答复日期", 11),
    ("答复人", 9),
    ("办理状态", 9),
    ("上报乡镇及乡镇答复", 30),
    ("办结日期", 11),
    ("群众点评", 20),
    ("是否逾期", 9),
    ("群众签字认可", 12),
    ("转为调解案件", 12),
    ("为民实事", 24),
]


def _require_order(date_from: dt.date | None, date_to: dt.date | None) -> None:
    if date_from and date_to and date_from > date_to:
        raise UserError("开始日期晚于结束日期，请对调后重试", field="date_from")


def export_ledger(
    work: Work,
    target: Path,
    *,
    village_name: str,
    f: LedgerFilter | None = None,
    today: dt.date | None = None,
    progress: Progress = _no_progress,
) -> int:
    """民情台账 workbook; returns the number of demands written. Overdue demands are shaded."""
    session = work.session
    target = check_target(target)
    today = today or dt.date.today()
    f = f or LedgerFilter()
    _require_order(f.date_from, f.date_to)
    total = ledger_count(session, f)
    status = f"（{f.status}）" if f.status else ""
    names = village_names(work)
    book = LedgerBook(
        "民情台账",
        f"{village_name}民情台账{status}  {period_text(f.date_from, f.date_to)}  导出日期 {cn_date(today)}",
        ([VILLAGE_COLUMN] if names is not None else []) + LEDGER_COLUMNS,
        frozen_columns=1 if names is not None else 0,
    )
    return audit.exported(
        work, "民情台账", target, book.save(target, _ledger_rows(session, f, total, today, progress, names))
    )


def _ledger_rows(
    session: Session,
    f: LedgerFilter,
    total: int,
    today: dt.date,
    progress: Progress,
    names: dict[str, str] | None,
) -> Iterator[Row]:
    n = 0
    for r in ledger_stream(session, f, descending=False):
        n += 1
        overdue = r.overdue(today)
        yield (
            [
                *(() if names is None else (names.get(r.village_code, r.village_code),)),
                r.heard_at.date(),
                r.household,
                r.group_name,
                r.category,
                r.content,
                r.responsible,
                r.due_on,
                r.handling,
                r.reply,
                r.replied_on,
                r.replied_by or "",
                r.status,
                r.town_text,
                r.closed_on,
                r.feedback_text,
                "逾期" if overdue else "",
                ack_label(r.acknowledged),
                "是" if r.mediation_case_id else "",
                r.project,
            ],
            overdue,
        )
        if n % 500 == 0:
            progress(n, max(total, n), f"已写入 {n} 条诉求")
    progress(n, max(total, n), f"已写入 {n} 条诉求")


DIARY_COLUMNS = [
    ("日期", 11),
    ("时间", 7),
    ("方式", 9),
    ("走访干部", 9),
    ("走访对象（户主）", 14),
    ("见到的群众", 14),
    ("地点", 16),
    ("陪同干部", 10),
    ("家庭情况", 30),
    ("困难问题", 26),
    ("群众诉求", 30),
    ("办理情况", 26),
    ("后续计划", 20),
    ("计划日期", 11),
    ("群众签字认可", 12),
    ("签字后补记", 10),
]


def export_diary(
    work: Work,
    target: Path,
    *,
    village_name: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    f: DiaryFilter | None = None,
    today: dt.date | None = None,
    progress: Progress = _no_progress,
) -> int:
    """民情日记台账 workbook, one row per entry, oldest first; returns the number of entries written."""
    session = work.session
    target = check_target(target)
    today = today or dt.date.today()
    f = f or DiaryFilter()
    f.date_from, f.date_to = date_from or f.date_from, date_to or f.date_to
    _require_order(f.date_from, f.date_to)
    ids = diary_entry_ids(session, f, descending=False)
    names = village_names(work)
    book = LedgerBook(
        "民情日记",
        f"{village_name}民情日记台账  {period_text(f.date_from, f.date_to)}  导出日期 {cn_date(today)}",
        ([VILLAGE_COLUMN] if names is not None else []) + DIARY_COLUMNS,
        frozen_columns=1 if names is not None else 0,
    )
    return audit.exported(
        work, "民情日记", target, book.save(target, _diary_rows(session, ids, progress, names))
    )


def _diary_rows(
    session: Session, ids: list[str], progress: Progress, names: dict[str, str] | None
) -> Iterator[Row]:
    n = 0
    for i in range(0, len(ids), 500):
        part = ids[i : i + 500]
        rows = diary_rows(session, part)
        entries = {e.id: e for e in session.scalars(select(DiaryEntry).where(DiaryEntry.id.in_(part)))}
        demands: dict[str, list[str]] = {}
        for d in session.scalars(
            select(Demand)
            .where(Demand.entry_id.in_(part), Demand.deleted_at.is_(None))
            .order_by(Demand.position, Demand.created_at)
        ):
            demands.setdefault(d.entry_id, []).append(f"{d.category}：{d.content}（{d.status}）")
        for entry_id in part:
            r, e = rows[entry_id], entries[entry_id]
            n += 1
            yield [
                *(() if names is None else (names.get(r.village_code, r.village_code),)),
                r.occurred_at.date(),
                r.occurred_at.strftime("%H:%M"),
                r.kind,
                r.cadre_name,
                r.households,
                r.persons,
                e.place,
                e.companions,
                e.situation,
                e.difficulties,
                "\n".join(demands.get(entry_id, [])),
                e.actions,
                e.follow_up,
                e.follow_up_on,
                ack_label(r.ack_method),
                "有" if r.amended else "",
            ]
        progress(min(i + 500, len(ids)), len(ids), f"已写入 {n} 篇日记")
