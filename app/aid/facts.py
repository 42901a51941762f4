"""帮扶's facts of one month for one village, for the town's monthly 点评会 pack (issue 18, 两评): plain
counts, never a score or a rate (docs/aid.md).

Keys of :func:`month_facts`:

| key | what |
|---|---|
| ``aid_records`` | 帮扶记录 given in the month |
| ``aided_households`` | households aided in the month (each once) |
| ``aid_amount_fen`` | money given in the month, in 分 |
| ``aid_pairs_started`` | 帮扶对子 started in the month |
| ``aid_pairs_ended`` | 帮扶对子 ended in the month (脱困, 调整 …) |
| ``aid_pairs_open`` | 帮扶对子 in place at the month's end |
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from db.queries.aid import month_counts

FACT_LABELS = {
    "aid_records": "帮扶记录（次）",
    "aided_households": "受帮扶户（户）",
    "aid_amount_fen": "帮扶资金（分）",
    "aid_pairs_started": "新结帮扶对子（对）",
    "aid_pairs_ended": "解除帮扶对子（对）",
    "aid_pairs_open": "月末帮扶对子（对）",
}


def month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of the month ``month`` falls in."""
    first = month.replace(day=1)
    nxt = first.replace(year=first.year + (first.month == 12), month=first.month % 12 + 1)
    return first, nxt - dt.timedelta(days=1)


def month_facts(session: Session, village_code: str, month: dt.date) -> dict[str, int]:
    """The village's 帮扶 in the month of ``month`` (any day of it): the keys above, each an int."""
    first, last = month_bounds(month)
    return month_counts(session, village_code, first, last)
