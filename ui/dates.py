"""Python dates ↔ Qt dates, written once. Times are kept to the minute, as every form shows them."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QDateTime, QTime
from PySide6.QtWidgets import QDateEdit, QWidget


def qdate(d: dt.date | None) -> QDate:
    """None gives today: an empty date field starts there."""
    return QDate(d.year, d.month, d.day) if d is not None else QDate.currentDate()


def pydate(q: QDate) -> dt.date:
    return dt.date(q.year(), q.month(), q.day())


def qdatetime(t: dt.datetime) -> QDateTime:
    return QDateTime(qdate(t.date()), QTime(t.hour, t.minute))


def pydatetime(q: QDateTime) -> dt.datetime:
    """To the minute (seconds are never shown, so never kept)."""
    d, t = q.date(), q.time()
    return dt.datetime(d.year(), d.month(), d.day(), t.hour(), t.minute())


def date_edit(
    value: dt.date | None = None, parent: QWidget | None = None, fmt: str = "yyyy-MM-dd"
) -> QDateEdit:
    """A date field with the calendar popup, showing ``value`` (today when None)."""
    w = QDateEdit(qdate(value), parent)
    w.setCalendarPopup(True)
    w.setDisplayFormat(fmt)
    return w


def date_of(w: QDateEdit) -> dt.date:
    return pydate(w.date())


def local_time(value: dt.datetime | None) -> str:
    """A stored time (UTC, naive or aware) as people read it: local time, to the minute."""
    if value is None:
        return "—"
    aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return aware.astimezone().strftime("%Y-%m-%d %H:%M")
