"""群众工作信息员台账: every informant, serving and past, with the 组, the phone from the roster, the
term and the last report (the reports themselves are diary entries of kind 信息员报告: the diary's own
台账 carries them). Written through the one 台账 writer (app/ledger_book.py); a town's has a 村 column."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from app import audit
from app.dates import cn_date
from app.informants.appointments import informant_list
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, Row, check_target, village_names
from app.work import Work

COLUMNS = [
    ("组", 9),
    ("信息员", 10),
    ("联系电话", 14),
    ("任职日期", 11),
    ("任期结束", 11),
    ("结束原因", 20),
    ("最近一次报告", 12),
    ("备注", 24),
]


def export_informants(
    work: Work, target: Path | str, *, village_name: str, today: dt.date | None = None
) -> int:
    """The 台账 workbook; returns how many informants it lists."""
    target = check_target(target)
    today = today or dt.date.today()
    names = village_names(work)
    rows = informant_list(work)
    book = LedgerBook(
        "信息员台账",
        f"{village_name}群众工作信息员台账  导出日期 {cn_date(today)}",
        ([VILLAGE_COLUMN] if names is not None else []) + COLUMNS,
        text_columns=["联系电话"],
        frozen_columns=1 if names is not None else 0,
    )

    def data() -> Iterator[Row]:
        for r in rows:
            yield [
                *(() if names is None else (names.get(r.village_code, r.village_code),)),
                r.group_name,
                r.name,
                r.phone,
                r.start_on,
                r.end_on,
                r.end_reason,
                r.last_report,
                r.note,
            ]

    return audit.exported(work, "信息员台账", target, book.save(target, data()))
