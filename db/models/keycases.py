"""干部联户包案: a key petition case (重点信访案件) paired with a 包案领导 and a 工作班子 (docs/keycases.md).

A 包案 concerns one household (and, when known, one person of it) and so belongs to that household's
village (``village_code``). It is opened either by the village or by its town: ``owner_unit`` is the
unit that opened it and alone may change it (the village's 12-digit code, or the town's 9 digits).
A town-opened 包案 reaches the village in the town's 下发包; a village-opened one goes up in its 上报包
(app/ownership.py, docs/bundle-format.md). Every row of a 包案 (its people, its plan's revisions, its
links, its state history) carries the same ``owner_unit``.

Nothing is overwritten: the 包案领导 and the 工作班子 are dated rows (``from_on`` … ``until_on``), the
化解方案 is a new revision per change, and each state change is a row of its own.
"""

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord


class KeyCase(SyncedRecord, Base):
    """包案: the case, its 责任部门, 稳控措施, the steps of whichever 四到位 apply, its state and 销号."""

    __tablename__ = "keycase"
    __record_type__ = "keycases"
    __label__ = "联户包案"

    owner_unit: Mapped[str] = mapped_column(String(12), index=True)  # the opening unit (village or town)
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"))
    title: Mapped[str] = mapped_column(String(100))  # 案由, one line
    summary: Mapped[str] = mapped_column(Text, default="")  # 基本案情
    opened_on: Mapped[dt.date] = mapped_column(Date, index=True)
    department: Mapped[str] = mapped_column(String(100), default="")  # 责任部门
    stabilization: Mapped[str] = mapped_column(Text, default="")  # 稳控措施
    # 四到位: the steps of each one that applies ("" = does not apply)
    steps_solve: Mapped[str] = mapped_column(Text, default="")  # 解决问题到位
    steps_educate: Mapped[str] = mapped_column(Text, default="")  # 疏导教育到位
    steps_aid: Mapped[str] = mapped_column(Text, default="")  # 帮扶救助到位
    steps_law: Mapped[str] = mapped_column(Text, default="")  # 依法处置到位
    state: Mapped[str] = mapped_column(String(10), default="在办", index=True)  # 在办 | 申请销号 | 已销号
    close_reason: Mapped[str] = mapped_column(Text, default="")  # 销号理由
    close_approver: Mapped[str] = mapped_column(String(100), default="")  # 批准人 (name and unit)
    resident_view: Mapped[str] = mapped_column(Text, default="")  # 群众意见, where there is one
    closed_on: Mapped[dt.date | None] = mapped_column(Date, index=True)


class KeyCaseMember(SyncedRecord, Base):
    """包案领导 or a member of the 工作班子, from one day until another (``until_on`` None: still on it).

    ``user_id`` is the account when the person has one here (a soft reference: a town cadre's account
    exists at the town, not at the village); ``name`` and ``unit`` are always written, so the village
    reads who leads a town-opened 包案 without the town's accounts."""

    __tablename__ = "keycase_member"
    __record_type__ = "keycase_members"
    __label__ = "包案领导与工作班子"

    owner_unit: Mapped[str] = mapped_column(String(12))
    keycase_id: Mapped[str] = mapped_column(ForeignKey("keycase.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # 包案领导 | 工作班子
    user_id: Mapped[str | None] = mapped_column(String(36), index=True)
    name: Mapped[str] = mapped_column(String(50))
    unit: Mapped[str] = mapped_column(String(100), default="")  # 单位/职务, e.g. 东城镇党委副书记
    from_on: Mapped[dt.date] = mapped_column(Date)
    until_on: Mapped[dt.date | None] = mapped_column(Date)
    end_note: Mapped[str] = mapped_column(Text, default="")  # why the pairing ended


class KeyCasePlan(SyncedRecord, Base):
    """化解方案, one row per revision (1, 2, …): who wrote it and when; the newest is in force."""

    __tablename__ = "keycase_plan"
    __record_type__ = "keycase_plans"
    __label__ = "化解方案"

    owner_unit: Mapped[str] = mapped_column(String(12))
    keycase_id: Mapped[str] = mapped_column(ForeignKey("keycase.id"), index=True)
    revision: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    written_at: Mapped[dt.datetime] = mapped_column(DateTime)
    author_name: Mapped[str] = mapped_column(String(50), default="")


class KeyCaseLink(SyncedRecord, Base):
    """A diary entry, demand or mediation case the 包案 points to (picked, never retyped).

    Its id is derived from (包案, table, record): linking again revives the same row."""

    __tablename__ = "keycase_link"
    __record_type__ = "keycase_links"
    __label__ = "包案关联记录"

    owner_unit: Mapped[str] = mapped_column(String(12))
    keycase_id: Mapped[str] = mapped_column(ForeignKey("keycase.id"), index=True)
    target_table: Mapped[str] = mapped_column(String(30))  # diary_entry | demand | mediation_case
    target_id: Mapped[str] = mapped_column(String(36), index=True)


class KeyCaseTransition(SyncedRecord, Base):
    """One step of the state history: 开立 (from ""), 在办 → 申请销号 → 已销号, or back to 在办."""

    __tablename__ = "keycase_transition"
    __record_type__ = "keycase_transitions"
    __label__ = "包案状态记录"

    owner_unit: Mapped[str] = mapped_column(String(12))
    keycase_id: Mapped[str] = mapped_column(ForeignKey("keycase.id"), index=True)
    from_state: Mapped[str] = mapped_column(String(10), default="")
    to_state: Mapped[str] = mapped_column(String(10))
    on_date: Mapped[dt.date] = mapped_column(Date)
    by_name: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(Text, default="")


__all__ = ["KeyCase", "KeyCaseLink", "KeyCaseMember", "KeyCasePlan", "KeyCaseTransition"]
