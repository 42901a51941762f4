"""Helpers for the 为民实事 tests: a project as a village (or the town) would enter it."""

from __future__ import annotations

import datetime as dt

from app.projects import service
from app.projects.service import MilestoneInput, ProjectInput, ReviewInput

D = dt.date


def road_input(
    demand_ids: list[str], *, village_code: str | None = None, title: str = "三组道路硬化"
) -> ProjectInput:
    return ProjectInput(
        title=title,
        year=2024,
        budget="120,000",
        funding_source="一事一议",
        responsible="张建国",
        content="三组主路硬化 1.2 公里，宽 4 米",
        contact="村委会 0535-1234567",
        village_code=village_code,
        milestones=[
            MilestoneInput("方案公示", D(2024, 3, 10)),
            MilestoneInput("开工", D(2024, 4, 1)),
            MilestoneInput("完工", D(2024, 5, 20)),
        ],
        demand_ids=demand_ids,
    )


def run_to_acceptance(w, project_id: str, *, today: dt.date = D(2024, 6, 30)) -> service.ProjectDetail:
    """计划 → 实施中 → 已完成 → 已验收, every milestone done on its day."""
    detail = service.project_detail(w, project_id)
    service.advance(w, project_id, "实施中", on=D(2024, 3, 15), today=today)
    for m in detail.milestones:
        service.set_milestone_done(w, m.id, m.due_on, today=today)
    service.advance(
        w,
        project_id,
        "已完成",
        on=D(2024, 5, 25),
        done_summary="硬化道路 1.2 公里",
        spent="118500",
        today=today,
    )
    return service.advance(
        w,
        project_id,
        "已验收",
        on=D(2024, 6, 5),
        review=ReviewInput(23, 4, 1, "当面", "路边排水沟还没修", D(2024, 6, 5)),
        today=today,
    )
