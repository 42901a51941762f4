"""两评 (docs/reviews.md): the town's monthly 驻村工作点评会 with its decisions, and the residents' half-yearly
群众评议 of the 驻村干部 as tallied from the paper ballots.

- :class:`ReviewMeeting` is the town's own record (``village_code`` = the town's 9-digit code): it stays
  at the town.
- :class:`ReviewDecision` is written by the town for one village (``village_code`` = that village; a
  decision "to all" is one row per village) and travels down in the town's 下发包. The village writes only
  its completion (``done_on``, ``done_note``, ``done_by``), which travels back up (``app/ownership.py``).
  ``meeting_id`` names the town's meeting, which the village does not hold: no foreign key, and the
  meeting's month and day are carried on the decision so the village can say which meeting it was.
- :class:`CadreReview` is the village's record: one cadre's tally for one half-year (``period`` 2026H1).
"""

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord


class ReviewMeeting(SyncedRecord, Base):
    """驻村工作点评会: one meeting of the town for one month, its minutes (纪要)."""

    __tablename__ = "review_meeting"
    __record_type__ = "review_meetings"
    __label__ = "点评会纪要"
    __table_args__ = (Index("ix_review_meeting_month", "village_code", "month"),)

    month: Mapped[str] = mapped_column(String(7))  # the month reviewed, "2026-11"
    held_on: Mapped[dt.date] = mapped_column(Date)  # 会议日期
    place: Mapped[str] = mapped_column(String(100), default="")
    attendees: Mapped[str] = mapped_column(Text, default="")  # 参会人员, names as written
    minutes: Mapped[str] = mapped_column(Text, default="")  # 会议纪要


class ReviewDecision(SyncedRecord, Base):
    """点评会决定 addressed to one village (or to all: one row per village, ``to_all``)."""

    __tablename__ = "review_decision"
    __record_type__ = "review_decisions"
    __label__ = "点评会决定"
    __table_args__ = (Index("ix_review_decision_meeting", "meeting_id", "seq"),)

    meeting_id: Mapped[str] = mapped_column(String(36))  # the town's review_meeting (not held at a village)
    month: Mapped[str] = mapped_column(String(7))  # the meeting's month, as the village reads it
    held_on: Mapped[dt.date] = mapped_column(Date)  # the meeting's day
    seq: Mapped[int] = mapped_column(Integer, default=1)  # 第 N 项决定 of the meeting
    to_all: Mapped[bool] = mapped_column(Boolean, default=False)  # addressed to every village
    text: Mapped[str] = mapped_column(Text)  # 决定内容
    due_on: Mapped[dt.date | None] = mapped_column(Date)  # 完成时限 (optional)
    # the village's part: its completion note (落实情况)
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    done_note: Mapped[str] = mapped_column(Text, default="")
    done_by: Mapped[str | None] = mapped_column(ForeignKey("user.id"))


class CadreReview(SyncedRecord, Base):
    """群众评议 of one 驻村干部 for one half-year, as counted from the collected paper ballots."""

    __tablename__ = "cadre_review"
    __record_type__ = "cadre_reviews"
    __label__ = "群众评议"
    __table_args__ = (Index("ix_cadre_review_cadre_period", "cadre_id", "period"),)

    cadre_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    period: Mapped[str] = mapped_column(String(6))  # "2026H1" / "2026H2"
    ballots_issued: Mapped[int] = mapped_column(Integer, default=0)  # 发出
    ballots_returned: Mapped[int] = mapped_column(Integer, default=0)  # 收回
    satisfied: Mapped[int] = mapped_column(Integer, default=0)  # 满意
    basically_satisfied: Mapped[int] = mapped_column(Integer, default=0)  # 基本满意
    dissatisfied: Mapped[int] = mapped_column(Integer, default=0)  # 不满意
    invalid: Mapped[int] = mapped_column(Integer, default=0)  # 无效票 (none or several boxes ticked)
    counted_on: Mapped[dt.date] = mapped_column(Date)  # 计票日期
    counted_by: Mapped[str] = mapped_column(String(100), default="")  # 计票人, names as written
    comments: Mapped[str] = mapped_column(Text, default="")  # 群众意见摘录
