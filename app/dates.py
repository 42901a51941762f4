"""Dates as Chinese papers and screens write them: 2026年8月24日, no leading zeros (never 08月24日).

The one place a date becomes Chinese text: every printed or exported paper (the mediation papers, the
diary print, the 台账 titles, the monthly report, the recovery sheet) and the window's Chinese dates use
these. (Dates inside a spreadsheet stay real dates; date fields keep their yyyy-MM-dd.)
"""

from __future__ import annotations

import datetime as dt


def cn_date(day: dt.date | dt.datetime | None) -> str:
    """2026年8月24日; "" for no date."""
    if day is None:
        return ""
    return f"{day.year}年{day.month}月{day.day}日"


def cn_month_day(day: dt.date | dt.datetime | None) -> str:
    """8月24日 (within the year at hand); "" for no date."""
    if day is None:
        return ""
    return f"{day.month}月{day.day}日"


def cn_time(at: dt.datetime) -> str:
    """2026年8月24日 09:05 (the time of day keeps its two digits, as a clock shows it)."""
    return f"{cn_date(at)} {at:%H:%M}"


def local_offset() -> dt.timedelta:
    """The computer's local time minus UTC, to the minute (stored times are UTC; people read local)."""
    utc = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    return dt.timedelta(minutes=round((dt.datetime.now() - utc).total_seconds() / 60))
