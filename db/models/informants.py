"""群众工作信息员: residents of the roster appointed for a 组 to report what they see (docs/informants.md).

An informant has no account: a cadre writes their reports down as diary entries of kind 信息员报告
(``diary_entry.informant_id``). The name and phone are the person's in the roster, never typed again.
Appointments change over time: ending one keeps it (``end_on``), the history stays.
"""

import datetime as dt

from sqlalchemy import Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord


class Informant(SyncedRecord, Base):
    """群众工作信息员: ``person_id`` appointed for ``group_name`` from ``start_on``; current while
    ``end_on`` is empty. Village-owned: written by the village's station only (app/ownership.py)."""

    __tablename__ = "informant"
    __record_type__ = "informants"
    __label__ = "群众工作信息员"

    person_id: Mapped[str] = mapped_column(ForeignKey("person.id"), index=True)
    group_name: Mapped[str] = mapped_column(String(30), index=True)  # the 组 they report on
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(Text, default="")
    note: Mapped[str] = mapped_column(Text, default="")


__all__ = ["Informant"]
