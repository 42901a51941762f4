"""为民实事: the year's list (by village and state), a project's linked demands, the demands a project
may take up (picked from the 民情台账), and the figures of a month (docs/projects.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, case, func, literal, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement
from sqlalchemy.sql.selectable import ScalarSelect

from db import vocab
from db.models import Demand, DiaryEntry, Household
from db.models.projects import PROJECT_STATES, Project, ProjectDemand, ProjectMilestone


@dataclass(frozen=True)
class ProjectRow:
    id: str
    village_code: str
    scope: str
    year: int
    title: str
    state: str
    budget_fen: int
    spent_fen: int | None
    funding_source: str
    responsible: str
    demands: int
    milestones: int
    milestones_done: int
    next_due: dt.date | None  # the earliest milestone not yet done
    completed_on: dt.date | None
    accepted_on: dt.date | None
    review: tuple[int, int, int]  # 满意, 基本满意, 不满意


_STATE_ORDER = case(
    {s: i for i, s in enumerate(PROJECT_STATES)}, value=Project.state, else_=len(PROJECT_STATES)
)


def project_rows(
    session: Session, *, year: int | None = None, village_code: str | None = None, state: str | None = None
) -> list[ProjectRow]:
    """Live projects, by village code, then state (计划 first), then title: never by any figure."""
    demands = (
        select(ProjectDemand.project_id, func.count().label("n"))
        .join(Demand, Demand.id == ProjectDemand.demand_id)
        .where(ProjectDemand.deleted_at.is_(None), Demand.deleted_at.is_(None))
        .group_by(ProjectDemand.project_id)
        .subquery()
    )
    steps = (
        select(
            ProjectMilestone.project_id,
            func.count().label("n"),
            func.count(ProjectMilestone.done_on).label("done"),
            func.min(case((ProjectMilestone.done_on.is_(None), ProjectMilestone.due_on))).label("next_due"),
        )
        .where(ProjectMilestone.deleted_at.is_(None))
        .group_by(ProjectMilestone.project_id)
        .subquery()
    )
    q = (
        select(
            Project,
            func.coalesce(demands.c.n, 0),
            func.coalesce(steps.c.n, 0),
            func.coalesce(steps.c.done, 0),
            steps.c.next_due,
        )
        .outerjoin(demands, demands.c.project_id == Project.id)
        .outerjoin(steps, steps.c.project_id == Project.id)
        .where(Project.deleted_at.is_(None))
    )
    if year is not None:
        q = q.where(Project.year == year)
    if village_code is not None:
        q = q.where(Project.village_code == village_code)
    if state:
        q = q.where(Project.state == state)
    q = q.order_by(Project.village_code, _STATE_ORDER, Project.title, Project.id)
    out = []
    for p, n_demands, n_steps, n_done, next_due in session.execute(q):
        out.append(
            ProjectRow(
                p.id,
                p.village_code,
                p.scope,
                p.year,
                p.title,
                p.state,
                p.budget_fen,
                p.spent_fen,
                p.funding_source,
                p.responsible,
                n_demands,
                n_steps,
                n_done,
                next_due,
                p.completed_on,
                p.accepted_on,
                (p.review_satisfied, p.review_basic, p.review_dissatisfied),
            )
        )
    return out


def project_years(session: Session) -> list[int]:
    """The years that have projects, newest first."""
    return list(
        session.scalars(
            select(Project.year).where(Project.deleted_at.is_(None)).distinct().order_by(Project.year.desc())
        )
    )


@dataclass(frozen=True)
class DemandPick:
    id: str
    village_code: str
    heard_on: dt.date
    household: str
    group_name: str
    category: str
    content: str
    status: str
    project_id: str | None  # the live project it already feeds
    project_title: str


def _live_link() -> ColumnElement[bool]:
    return and_(ProjectDemand.demand_id == Demand.id, ProjectDemand.deleted_at.is_(None))


def demand_picks(
    session: Session,
    village_code: str,
    *,
    text: str = "",
    include_closed: bool = False,
    ids: list[str] | None = None,
    limit: int = 500,
) -> list[DemandPick]:
    """The village's live demands, newest first, with the project each already feeds (if any). ``text``
    matches the content, the category or the household head."""
    q = (
        select(
            Demand.id,
            Demand.village_code,
            DiaryEntry.occurred_at,
            Household.head_name,
            Household.group_name,
            Demand.category,
            Demand.content,
            Demand.status,
            Project.id,
            Project.title,
        )
        .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
        .outerjoin(Household, Household.id == Demand.household_id)
        .outerjoin(ProjectDemand, _live_link())
        .outerjoin(Project, and_(Project.id == ProjectDemand.project_id, Project.deleted_at.is_(None)))
        .where(Demand.deleted_at.is_(None))
    )
    if ids is not None:
        # Found by their ids. The village is checked of those rows only: as a plain equality SQLite would
        # walk the village's index instead, every demand of the village (170 000 at 100 000 households,
        # a quarter of a second), since it cannot know that one code covers them all (no statistics).
        # ``|| ''`` makes the test an expression, which no index serves.
        q = q.where(Demand.id.in_(ids), Demand.village_code.concat("") == village_code)
    else:
        q = q.where(Demand.village_code == village_code)
        if not include_closed:
            q = q.where(Demand.status != vocab.CLOSED)
        text = text.strip()
        if text:
            like = f"%{text}%"
            q = q.where(
                or_(Demand.content.like(like), Demand.category.like(like), Household.head_name.like(like))
            )
    q = q.order_by(DiaryEntry.occurred_at.desc(), Demand.id).limit(limit)
    return [
        DemandPick(did, vc, at.date(), head or "", group or "", cat, content, status, pid, title or "")
        for did, vc, at, head, group, cat, content, status, pid, title in session.execute(q)
    ]


def project_of_demands(session: Session, demand_ids: list[str]) -> dict[str, tuple[str, str, str]]:
    """Demand id → (project id, title, state) of the live project it feeds."""
    if not demand_ids:
        return {}
    q = (
        select(ProjectDemand.demand_id, Project.id, Project.title, Project.state)
        .join(Project, Project.id == ProjectDemand.project_id)
        .where(
            ProjectDemand.demand_id.in_(demand_ids),
            ProjectDemand.deleted_at.is_(None),
            Project.deleted_at.is_(None),
        )
    )
    return {d: (p, t, s) for d, p, t, s in session.execute(q)}


def project_text_column() -> ScalarSelect[str]:
    """The 民情台账's 为民实事 column for a row of ``demand``: 《title》（state） of the live project the
    demand feeds, or NULL (a scalar subquery, one index lookup per row)."""
    return (
        select(literal("《") + Project.title + "》（" + Project.state + "）")
        .join(ProjectDemand, ProjectDemand.project_id == Project.id)
        .where(
            ProjectDemand.demand_id == Demand.id,
            ProjectDemand.deleted_at.is_(None),
            Project.deleted_at.is_(None),
        )
        .limit(1)
        .scalar_subquery()
    )


def year_counts(rows: list[ProjectRow]) -> dict[str, dict[str, int]]:
    """Village code → state → number of projects (every state present, villages in code order)."""
    out: dict[str, dict[str, int]] = {}
    for r in rows:
        out.setdefault(r.village_code, dict.fromkeys(PROJECT_STATES, 0))[r.state] += 1
    return dict(sorted(out.items()))
