"""为民实事: the village's and the town's practical projects of the year (docs/projects.md).

A project belongs to one village (``village_code``): a 村 project is the village's own record, a 镇
project is the town's record for that village (written only by the town, sent down in its 下发包; the
village reads it). ``scope`` says which, on the project and on each of its rows, so every row carries
its writer (app/ownership.py, docs/bundle-format.md). Money is in 分.
"""

import datetime as dt

from sqlalchemy import Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord

# -- project.scope: whose project (村: the village's own; 镇: the town's, for that village) --------------
VILLAGE_SCOPE, TOWN_SCOPE = "村", "镇"
PROJECT_SCOPES = (VILLAGE_SCOPE, TOWN_SCOPE)

# -- project.state: 计划 → 实施中 → 已完成 → 已验收, one step at a time --------------------------------------
PLANNED, IN_PROGRESS, COMPLETED, ACCEPTED = "计划", "实施中", "已完成", "已验收"
PROJECT_STATES = (PLANNED, IN_PROGRESS, COMPLETED, ACCEPTED)

# -- project.funding_source: offered in the form (a village may write its own) -------------------------
FUNDING_SOURCES = ("上级财政专项", "财政奖补", "一事一议", "村集体经济", "社会捐助", "群众自筹")


class Project(SyncedRecord, Base):
    """实事项目: what is to be done, for which demands, with what money, by whom, and how far it got."""

    __tablename__ = "project"
    __record_type__ = "projects"
    __label__ = "为民实事"

    scope: Mapped[str] = mapped_column(String(2))  # PROJECT_SCOPES
    year: Mapped[int] = mapped_column(Integer, index=True)  # 年度
    title: Mapped[str] = mapped_column(String(100))
    content: Mapped[str] = mapped_column(Text, default="")  # 建设内容 (the plan)
    budget_fen: Mapped[int] = mapped_column(Integer, default=0)
    funding_source: Mapped[str] = mapped_column(String(100), default="")
    responsible: Mapped[str] = mapped_column(String(50), default="")  # 责任人 (name, as on the 公示)
    contact: Mapped[str] = mapped_column(String(100), default="")  # 意见反馈: where and whom to tell
    state: Mapped[str] = mapped_column(String(10), default=PLANNED, index=True)  # PROJECT_STATES
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    completed_on: Mapped[dt.date | None] = mapped_column(Date)
    done_summary: Mapped[str] = mapped_column(Text, default="")  # 完成情况
    spent_fen: Mapped[int | None] = mapped_column(Integer)  # 实际支出, at completion
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    # 群众点评 at acceptance: the counts per verdict (db.vocab.FEEDBACK_VERDICTS), how they were collected
    # (db.vocab.FEEDBACK_METHODS), the residents' words, the day, who wrote it down. Never a cadre's score.
    review_satisfied: Mapped[int] = mapped_column(Integer, default=0)
    review_basic: Mapped[int] = mapped_column(Integer, default=0)
    review_dissatisfied: Mapped[int] = mapped_column(Integer, default=0)
    review_method: Mapped[str | None] = mapped_column(String(10))
    review_words: Mapped[str] = mapped_column(Text, default="")
    review_on: Mapped[dt.date | None] = mapped_column(Date)
    review_recorded_by: Mapped[str | None] = mapped_column(String(50))


class ProjectMilestone(SyncedRecord, Base):
    """节点: a step of the project with its planned date and the day it was done."""

    __tablename__ = "project_milestone"
    __record_type__ = "project_milestones"
    __label__ = "为民实事的节点"

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    scope: Mapped[str] = mapped_column(String(2))  # the project's
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(100))
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    done_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    note: Mapped[str] = mapped_column(Text, default="")


class ProjectDemand(SyncedRecord, Base):
    """A demand of the 民情台账 the project answers (many demands may feed one road; a demand feeds at
    most one live project)."""

    __tablename__ = "project_demand"
    __record_type__ = "project_demands"
    __label__ = "为民实事回应的诉求"

    project_id: Mapped[str] = mapped_column(ForeignKey("project.id"), index=True)
    demand_id: Mapped[str] = mapped_column(ForeignKey("demand.id"), index=True)
    scope: Mapped[str] = mapped_column(String(2))  # the project's


__all__ = [
    "ACCEPTED",
    "COMPLETED",
    "FUNDING_SOURCES",
    "IN_PROGRESS",
    "PLANNED",
    "PROJECT_SCOPES",
    "PROJECT_STATES",
    "TOWN_SCOPE",
    "VILLAGE_SCOPE",
    "Project",
    "ProjectDemand",
    "ProjectMilestone",
]
