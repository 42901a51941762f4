"""为民实事 figures of one village and month, for the town's monthly 点评会 pack (issue 18, 两评).

Facts, never a score: how many milestones fell due and were done in the month, how many were late at
its end, and the village's projects of that year by the state they had reached at the month's end
(read from their dates, so a past month reads as it was). 村 and 镇 projects alike (docs/projects.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, func, or_, select
from sqlalchemy.orm import Session

from db.models.projects import Project, ProjectMilestone

# the keys of month_facts, in the order a pack prints them
FACT_KEYS = (
    "milestones_due",  # 本月到期的节点
    "milestones_done",  # 本月完成的节点
    "milestones_late",  # 月底仍未完成的到期节点
    "projects_planned",  # 月底处于：计划
    "projects_in_progress",  # 实施中
    "projects_completed",  # 已完成
    "projects_accepted",  # 已验收
)
FACT_LABELS = {
    "milestones_due": "本月到期节点",
    "milestones_done": "本月完成节点",
    "milestones_late": "逾期未完成节点",
    "projects_planned": "计划",
    "projects_in_progress": "实施中",
    "projects_completed": "已完成",
    "projects_accepted": "已验收",
}


def _month_bounds(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    return first, nxt - dt.timedelta(days=1)


def month_facts(session: Session, village_code: str, month: dt.date) -> dict[str, int]:
    """The village's 为民实事 facts of the month that contains ``month`` (:data:`FACT_KEYS`)."""
    first, last = _month_bounds(month)
    live = and_(Project.village_code == village_code, Project.deleted_at.is_(None))
    steps = (
        select(
            func.count().filter(ProjectMilestone.due_on.between(first, last)),
            func.count().filter(ProjectMilestone.done_on.between(first, last)),
            func.count().filter(
                ProjectMilestone.due_on <= last,
                or_(ProjectMilestone.done_on.is_(None), ProjectMilestone.done_on > last),
            ),
        )
        .join(Project, Project.id == ProjectMilestone.project_id)
        .where(live, ProjectMilestone.deleted_at.is_(None))
    )
    due, done, late = session.execute(steps).one()
    states = session.execute(
        select(
            # 计划 at the month's end: not started by then, and entered by then (a project entered in
            # September was no plan of March's; one started in March and entered later counts by its dates)
            func.count().filter(
                or_(Project.started_on.is_(None), Project.started_on > last),
                func.date(Project.created_at) <= last.isoformat(),
            ),
            func.count().filter(
                Project.started_on <= last, or_(Project.completed_on.is_(None), Project.completed_on > last)
            ),
            func.count().filter(
                Project.completed_on <= last, or_(Project.accepted_on.is_(None), Project.accepted_on > last)
            ),
            func.count().filter(Project.accepted_on <= last),
        ).where(live, Project.year == first.year)
    ).one()
    values = (due, done, late, *states)
    return {key: int(v or 0) for key, v in zip(FACT_KEYS, values, strict=True)}
