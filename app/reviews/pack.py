"""点评会 pack: the month's facts of every village, made at the town from what the villages sent
(docs/reviews.md). One section per village in village-code order — never ranked, never scored.

Each section has the figures of the 统计报表 for the month, from ``app.reports.compute`` and its columns
(the same definitions, not a second count): visits and households reached; demands heard, referred
(交办中), closed and overdue; the residents' 点评; cases and 排查. Then the facts of every entry of
:data:`PACK_FACTS`, then the village's panels of the year's charts (``app.reports.year_charts``).

:data:`PACK_FACTS` is the registry other practices plug into: ``(title, month_facts)`` where
``month_facts(session, village_code, month) -> dict[str, int]`` (``month`` the month's first day, a
``datetime.date``; the keys are the Chinese labels printed, in the dict's order). One line each; a
practice whose facts only some roles may see adds ``may_see(work) -> bool`` as a third element.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from app import charts, reports
from app.aid import facts as aid_facts
from app.keycases import facts as keycases_facts
from app.keycases.cases import may_see
from app.projects import facts as projects_facts
from app.reviews import facts as reviews_facts
from app.reviews.common import month_end, require_town
from app.work import Work

MonthFacts = Callable[[Session, str, dt.date], dict[str, int]]
PackFacts = tuple[str, MonthFacts] | tuple[str, MonthFacts, Callable[[Work], bool]]


def _aid_month_facts(session: Session, village_code: str, month: dt.date) -> dict[str, int]:
    """帮扶's facts under their Chinese labels, the money in whole 元 (app/aid/facts.py counts in 分)."""
    out: dict[str, int] = {}
    for key, value in aid_facts.month_facts(session, village_code, month).items():
        if key == "aid_amount_fen":
            out["帮扶资金（元）"] = (value + 50) // 100
        else:
            out[aid_facts.FACT_LABELS[key]] = value
    return out


def _projects_month_facts(session: Session, village_code: str, month: dt.date) -> dict[str, int]:
    """为民实事's facts under their Chinese labels (app/projects/facts.py)."""
    facts = projects_facts.month_facts(session, village_code, month)
    return {projects_facts.FACT_LABELS[key]: value for key, value in facts.items()}


# (title, month_facts): the practices' own facts per village, in this order (docs/architecture.md).
PACK_FACTS: list[PackFacts] = [
    ("联户包案", keycases_facts.month_facts, may_see),  # 包案 are sensitive (docs/keycases.md)
    ("帮扶", _aid_month_facts),
    ("为民实事", _projects_month_facts),
    ("上月点评会决定", reviews_facts.month_facts),
]


@dataclass
class FactGroup:
    title: str
    items: list[tuple[str, int | str]]


@dataclass
class VillageSection:
    code: str
    name: str
    groups: list[FactGroup]
    charts: list[charts.MonthChart] = field(default_factory=list)  # the village's own panel of each


@dataclass
class Pack:
    month: dt.date
    today: dt.date
    town_name: str
    sections: list[VillageSection]
    notes: list[str]


def _figure(
    columns: dict[str, Callable[[reports.Figures], object]], f: reports.Figures, header: str
) -> int | str:
    value = columns[header](f)
    return value if isinstance(value, int | str) else str(value)


def village_groups(report: reports.Report, f: reports.Figures) -> list[FactGroup]:
    """The 统计报表's figures of one village for the month, grouped as the meeting reads them."""
    columns = dict(reports.summary_columns(report))
    groups = [
        FactGroup(
            "走访",
            [
                ("走访记录（篇）", f.visits),
                *((f"其中{k}", n) for k, n in f.visits_by_kind.items() if n),
                ("走访到的户", f.households_visited),
            ],
        ),
        FactGroup(
            "诉求",
            [
                ("听取", f.demands),
                ("待办", _figure(columns, f, "待办")),
                ("交办中（上报乡镇）", _figure(columns, f, "交办中")),
                ("已答复", _figure(columns, f, "已答复")),
                ("已办结", _figure(columns, f, "已办结")),
                ("逾期", f.demands_overdue),
            ],
        ),
        FactGroup("群众点评（已办结的诉求）", list(f.demands_feedback.items())),
    ]
    if report.mediation_shown and f.mediation is not None:
        m = f.mediation
        groups.append(
            FactGroup(
                "调解与排查",
                [
                    ("排查（次）", m.screenings),
                    ("排查发现纠纷", m.found),
                    ("受理", _figure(columns, f, "受理")),
                    ("调解成功", _figure(columns, f, "调解成功")),
                    ("在调", _figure(columns, f, "在调")),
                    ("上报乡镇", m.escalated),
                ],
            )
        )
    return groups


def build(work: Work, month: dt.date, *, today: dt.date | None = None) -> Pack:
    """Every village's section for ``month`` (at the town)."""
    require_town(work, "点评会材料")
    today = today or dt.date.today()
    month = month.replace(day=1)
    period = reports.Period(month, month_end(month))
    report = reports.compute(work, period, today=today)
    year = reports.year_charts(work, month.year)
    facts = [(entry[0], entry[1]) for entry in PACK_FACTS if len(entry) == 2 or entry[2](work)]
    sections = []
    for f in report.villages:
        groups = village_groups(report, f)
        for title, fn in facts:
            got = fn(work.session, f.village_code, month)
            if got:
                groups.append(FactGroup(title, list(got.items())))
        own = []
        for chart in year:
            panel = next((p for p in chart.panels if p.name == f.village_name), None)
            if panel is not None:
                own.append(charts.MonthChart(chart.title, chart.unit, chart.year, chart.series, [panel]))
        sections.append(VillageSection(f.village_code, f.village_name, groups, own))
    notes = [
        "各村按村代码顺序排列，只列事实，不排名次、不打分。",
        "数字与“统计报表”同一口径：走访记录为本月的民情日记篇数，走访到的户为本月日记中走访到的不同户数；"
        "诉求为本月听取的诉求（按日记日期）及其现在的办理状态，交办中为上报乡镇尚未答复群众的，"
        "逾期为未办结且已过办理期限的；群众点评为其中已办结诉求的群众评价；受理为本月受理的调解案件。",
        "图表为全年各月，与统计报表的图表相同。",
    ]
    return Pack(month, today, work.station.name, sections, notes)
