"""帮扶台账: every 帮扶记录 of a period as a 台账 workbook (the one writer, app/ledger_book.py), and a
second sheet with the village view (each household of a tag with its aid over the last 12 months, in
the roster's order). Exported on the command line by ``python -m app aid export`` (app/aid/cli.py)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import ColumnElement, select

from db.models import AidRecord, DiaryEntry, Household, User

from app import audit
from app.aid import view
from app.dates import cn_date, cn_time
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, check_target, period_text, village_names
from app.work import Work

COLUMNS = [
    ("帮扶日期", 11),
    ("户主", 9),
    ("村民小组", 9),
    ("帮扶类别", 9),
    ("金额（元）", 11),
    ("物资或帮扶内容", 30),
    ("依据的政策", 18),
    ("帮扶人或单位", 14),
    ("关联的民情日记", 22),
    ("备注", 20),
]
VIEW_COLUMNS = [
    "户主",
    "村民小组",
    "帮扶责任人",
    "近12个月次数",
    "近12个月金额（元）",
    "帮扶类别及次数",
    "最近一次",
]


def _rows(
    work: Work, date_from: dt.date | None, date_to: dt.date | None, names: dict[str, str] | None
) -> Iterator[list[object]]:
    conds: list[ColumnElement[bool]] = [AidRecord.deleted_at.is_(None)]
    if date_from:
        conds.append(AidRecord.given_on >= date_from)
    if date_to:
        conds.append(AidRecord.given_on <= date_to)
    if not work.is_town:
        conds.append(AidRecord.village_code == work.unit_code)
    q = (
        select(
            AidRecord,
            Household.head_name,
            Household.group_name,
            User.display_name,
            DiaryEntry.occurred_at,
            DiaryEntry.kind,
        )
        .join(Household, Household.id == AidRecord.household_id)
        .outerjoin(User, User.id == AidRecord.giver_user_id)
        .outerjoin(DiaryEntry, DiaryEntry.id == AidRecord.entry_id)
        .where(*conds)
        .order_by(AidRecord.village_code, AidRecord.given_on, Household.group_name, Household.head_name)
    )
    for a, head, group, giver, entry_at, entry_kind in work.session.execute(q):
        values: list[object] = [
            a.given_on,
            head,
            group,
            a.kind,
            a.amount_fen / 100 if a.amount_fen else None,
            a.goods,
            a.policy,
            giver or a.giver_unit,
            f"{cn_time(entry_at)} {entry_kind}" if entry_at else "",
            a.note,
        ]
        yield ([names.get(a.village_code, a.village_code)] if names is not None else []) + values


def export_aid(
    work: Work,
    target: Path,
    *,
    unit_name: str,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    tag: str | None = view.DEFAULT_TAG,
    today: dt.date | None = None,
) -> int:
    """The 帮扶台账 of the period at ``target``; returns the number of records written. The second
    sheet is the village view for ``tag`` (``view.ALL_HOUSEHOLDS``: every household; None: no second
    sheet) over the 12 months up to ``today``."""
    target = check_target(target)
    today = today or dt.date.today()
    names = village_names(work)
    book = LedgerBook(
        "帮扶台账",
        f"{unit_name}帮扶台账  {period_text(date_from, date_to)}  导出日期 {cn_date(today)}",
        ([VILLAGE_COLUMN] if names is not None else []) + COLUMNS,
        frozen_columns=1 if names is not None else 0,
    )
    if tag is not None:
        rows = view.village_view(work, tag=tag, until=today)
        since, until = view.window(today)
        title = f"{tag}近12个月帮扶（{cn_date(since)}至{cn_date(until)}，按名册顺序）"
        head = (["村"] if names is not None else []) + VIEW_COLUMNS
        lines: list[list[object]] = [[title], list(head)]
        for r in rows:
            village: list[object] = [names.get(r.village_code, r.village_code)] if names is not None else []
            lines.append(
                village
                + [
                    r.head_name,
                    r.group_name,
                    r.responsible,
                    r.count,
                    r.amount_fen / 100,
                    r.kinds_text,
                    r.last_given_on,
                ]
            )
        book.add_sheet(
            "各户帮扶", lines, widths=([12] if names is not None else []) + [10, 9, 14, 12, 16, 28, 12]
        )
    return audit.exported(work, "帮扶台账", target, book.save(target, _rows(work, date_from, date_to, names)))
