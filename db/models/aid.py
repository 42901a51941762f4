"""帮扶: aid given to households in difficulty, and the 帮扶对子 (帮扶责任人 ↔ household) over time
(docs/aid.md).

Both are village records: the village's station writes them, the town reads them from the 上报包
(app/ownership.py). Deletion is soft, as for every synced record; a pair is never deleted to end it:
its ``end_on`` is set, so the history stays.
"""

import datetime as dt

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord


class AidRecord(SyncedRecord, Base):
    """帮扶记录: one act of aid to one household on one day.

    ``kind`` is one of ``db.vocab.AID_KINDS``; ``amount_fen`` the money in 分 (None: no money), ``goods``
    the goods or what was done, in words; ``policy`` the policy it was given under (临时救助, 低保 …).
    Who gave it: a cadre's account (``giver_user_id``, possibly a town cadre's) or a named unit
    (``giver_unit``: 县民政局, 爱心企业 …), one of the two. ``entry_id`` links the diary entry that tells
    the visit (picked from the household's entries, never retyped)."""

    __tablename__ = "aid_record"
    __record_type__ = "aid_records"
    __label__ = "帮扶记录"
    # A household's aid by date, and a village's aid over a period (the village view, the month's
    # facts), live rows only, from the indexes.
    __table_args__ = (
        Index(
            "ix_aid_record_live_household",
            "household_id",
            "given_on",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        Index(
            "ix_aid_record_live_village_given",
            "village_code",
            "given_on",
            "household_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    given_on: Mapped[dt.date] = mapped_column(Date)
    kind: Mapped[str] = mapped_column(String(10))  # db.vocab.AID_KINDS
    amount_fen: Mapped[int | None] = mapped_column(Integer)  # 金额, in 分
    goods: Mapped[str] = mapped_column(Text, default="")  # 物资或帮扶内容
    policy: Mapped[str] = mapped_column(String(100), default="")  # 依据的政策
    giver_user_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"), index=True)
    giver_unit: Mapped[str] = mapped_column(String(100), default="")  # 帮扶单位
    entry_id: Mapped[str | None] = mapped_column(ForeignKey("diary_entry.id"), index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class AidPair(SyncedRecord, Base):
    """帮扶对子: a 帮扶责任人 (a cadre's account, possibly a town's 驻村干部) for a household from
    ``start_on``; ended (``end_on``, ``end_reason``: 已脱困, 工作调整 …), never deleted, so the history of
    who looked after the household stays. The open one (``end_on`` empty) is current."""

    __tablename__ = "aid_pair"
    __record_type__ = "aid_pairs"
    __label__ = "帮扶对子"
    __table_args__ = (
        Index(
            "ix_aid_pair_open_household",
            "household_id",
            "cadre_id",
            sqlite_where=text("end_on IS NULL AND deleted_at IS NULL"),
        ),
    )

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    cadre_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)  # 帮扶责任人
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
    end_reason: Mapped[str] = mapped_column(String(100), default="")


__all__ = ["AidPair", "AidRecord"]
