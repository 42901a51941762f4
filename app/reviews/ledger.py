"""两评台账: the 群众评议 tallies (first sheet, per cadre in pinyin order) and the 点评会 decisions with their
completion (second sheet), through the one 台账 writer (``app/ledger_book.py``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

from app.dates import cn_date
from app.ledger_book import VILLAGE_COLUMN, LedgerBook, check_target
from app.reviews import meetings, tallies
from app.reviews.common import period_label
from app.work import Work

TALLY_COLUMNS = [
    ("被评议干部", 12),
    ("职务", 14),
    ("评议期", 14),
    ("发出", 7),
    ("收回", 7),
    ("满意", 7),
    ("基本满意", 9),
    ("不满意", 8),
    ("无效", 7),
    ("计票日期", 12),
    ("计票人", 18),
    ("扫描件（份）", 9),
    ("群众意见摘录", 50),
]
DECISION_HEAD = [
    "点评会月份",
    "会议日期",
    "第几项",
    "发往",
    "村",
    "决定内容",
    "完成时限",
    "落实日期",
    "落实情况",
    "填写人",
]


def export(
    work: Work, target: Path | str, *, period: str | None = None, today: dt.date | None = None
) -> tuple[int, int]:
    """Write the 两评台账; returns (tallies, decisions) written. What each user may see: a cadre their own
    tallies, the village's administrator and the town all of them."""
    target = check_target(target)
    today = today or dt.date.today()
    town = work.is_town
    rows = tallies.results(work, period)
    decisions = meetings.decisions(work)
    columns = ([VILLAGE_COLUMN] if town else []) + TALLY_COLUMNS
    what = period_label(period) if period else "全部评议期"
    book = LedgerBook(
        "群众评议",
        f"{work.station.name}两评台账  群众评议（{what}）  导出日期 {cn_date(today)}",
        columns,
        frozen_columns=2 if town else 1,
    )
    book.add_sheet(
        "点评会决定",
        [
            [f"{work.station.name}点评会决定及落实情况"],
            DECISION_HEAD,
            *(
                [
                    d.month,
                    d.held_on,
                    d.seq,
                    meetings.ALL_VILLAGES if d.to_all else d.village_name,
                    d.village_name,
                    d.text,
                    d.due_on,
                    d.done_on,
                    d.done_note,
                    d.done_by_name,
                ]
                for d in decisions
            ),
        ],
        widths=(10, 12, 7, 10, 12, 60, 12, 12, 40, 10),
    )

    def data() -> Iterator[list[object]]:
        for t in rows:
            c = t.counts
            yield [
                *([t.village_name] if town else []),
                t.cadre_name,
                t.cadre_title,
                period_label(t.period),
                c["ballots_issued"],
                c["ballots_returned"],
                c["satisfied"],
                c["basically_satisfied"],
                c["dissatisfied"],
                c["invalid"],
                t.counted_on,
                t.counted_by,
                t.scans,
                t.comments,
            ]

    n = book.save(target, data())
    return n, len(decisions)
