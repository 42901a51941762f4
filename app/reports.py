"""统计报表: figures derived from what was entered once (户籍, 民情日记, 诉求, 调解), never typed.

"Enter once, report everywhere" (DOMAIN.md): every number here is counted from records that already
exist. Central policy forbids quotas, rankings and scores, so nothing here is per cadre, nothing is
ordered by performance and nothing is scored: a village station sees its own figures, a town station
one row per village (in village-code order) plus the totals.

Definitions (what the page and the tests rely on):
- 户数 / 在册人口: live households and the 在册 persons in them, as of now (the roster is a snapshot,
  not a period figure). 标签: households carrying each tag; sensitive tags only when the user may see them.
- 有联系干部的户: households with a current contact-cadre assignment (no end date). 联系卡已送达: households
  with a delivery date; 本期送达: those whose delivery date lies in the period.
- 走访记录: diary entries whose date lies in the period, by kind; 走访到的户: distinct households met in them.
- 诉求: demands heard in the period (the entry's date), by status and category; 逾期: of those, the ones
  not closed whose due date is before ``today`` (the same rule as the 民情台账).
- 群众点评: of those demands, the closed ones by the resident's verdict (满意 / 基本满意 / 不满意) and
  未点评 (closed, no verdict yet). Counted per village and town only: a verdict is the resident's view of
  how a matter was handled, never a score of a cadre (docs/referral.md).
- 调解: :func:`app.mediation.stats.compute` for the period (the work done in it); for a past calendar
  month, a committee's frozen monthly report where it generated one, as the 人民调解月报 shows it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Row, Select, and_, case, column, distinct, func, select, table, text, union
from sqlalchemy.orm import Session

from db import diary_derived, vocab
from db.models import (
    CadreAssignment,
    Demand,
    DiaryParticipant,
    Household,
    HouseholdTag,
    MediationCase,
    Person,
    Screening,
    Station,
)

from app import charts
from app.accounts import can
from app.diary import demands, entries
from app.errors import UserError
from app.households.tags import BUILTIN_TAGS, sensitive_tags
from app.mediation.monthly import cases_chart
from app.mediation.stats import MediationStats
from app.mediation.stats import compute as mediation_compute
from app.work import Work

NO_FEEDBACK = "未点评"
FEEDBACK_KEYS = [*vocab.FEEDBACK_VERDICTS, NO_FEEDBACK]

PERIOD_KINDS = {"month": "本月", "quarter": "本季度", "year": "本年", "custom": "自定义"}


@dataclass(frozen=True)
class Period:
    start: dt.date
    end: dt.date  # inclusive

    @property
    def label(self) -> str:
        return f"{self.start:%Y-%m-%d} 至 {self.end:%Y-%m-%d}"

    def start_dt(self) -> dt.datetime:
        return dt.datetime.combine(self.start, dt.time())

    def end_dt(self) -> dt.datetime:  # exclusive
        return dt.datetime.combine(self.end + dt.timedelta(days=1), dt.time())


def period_for(kind: str, today: dt.date, start: dt.date | None = None, end: dt.date | None = None) -> Period:
    """本月 / 本季度 / 本年 containing ``today`` (whole calendar units), or custom dates (both inclusive)."""
    if kind == "month":
        first = today.replace(day=1)
        nxt = (first + dt.timedelta(days=32)).replace(day=1)
        return Period(first, nxt - dt.timedelta(days=1))
    if kind == "quarter":
        q_month = (today.month - 1) // 3 * 3 + 1
        first = dt.date(today.year, q_month, 1)
        nxt = dt.date(today.year + 1, 1, 1) if q_month == 10 else dt.date(today.year, q_month + 3, 1)
        return Period(first, nxt - dt.timedelta(days=1))
    if kind == "year":
        return Period(dt.date(today.year, 1, 1), dt.date(today.year, 12, 31))
    if kind == "custom":
        if start is None or end is None:
            raise UserError("请选择起止日期", field="start")
        if start > end:
            raise UserError("开始日期晚于结束日期，请对调后重试", field="start")
        return Period(start, end)
    raise ValueError(kind)


@dataclass
class Figures:
    """One village's figures for a period (or the totals of several villages)."""

    village_code: str
    village_name: str
    households: int = 0  # 户数
    persons: int = 0  # 在册人口
    tags: dict[str, int] = field(default_factory=dict)  # 标签 → 户数 (only tags the user may see)
    with_contact_cadre: int = 0  # 有联系干部的户
    cards_delivered: int = 0  # 联系卡已送达
    cards_delivered_in_period: int = 0  # 本期送达
    visits: int = 0  # 走访记录 (diary entries)
    visits_by_kind: dict[str, int] = field(default_factory=dict)  # 方式（中文） → 篇
    households_visited: int = 0  # 走访到的户
    demands: int = 0  # 诉求
    demands_by_status: dict[str, int] = field(default_factory=dict)  # 待办 / 已答复 / 已办结
    demands_by_category: dict[str, int] = field(default_factory=dict)
    demands_overdue: int = 0  # 逾期（未办结且已过办理期限）
    demands_feedback: dict[str, int] = field(default_factory=dict)  # 满意 / 基本满意 / 不满意 / 未点评
    mediation: MediationStats | None = None  # None when the user may not see cases

    @staticmethod
    def percent(part: int, whole: int) -> str:
        return f"{part * 100 / whole:.1f}%" if whole else "—"

    @property
    def contact_coverage(self) -> str:
        return self.percent(self.with_contact_cadre, self.households)

    @property
    def card_coverage(self) -> str:
        return self.percent(self.cards_delivered, self.households)


@dataclass
class Report:
    period: Period
    today: dt.date
    town: bool  # a town station: ``villages`` has one row per village
    villages: list[Figures]
    totals: Figures
    sensitive_shown: bool
    mediation_shown: bool


def _by_village(rows: Iterable[Row[str, int]]) -> dict[str, int]:
    return {code: n for code, n in rows}


def _nested(rows: Iterable[Row[str, str, int]]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for code, key, n in rows:
        out.setdefault(code, {})[key] = n
    return out


def _ordered(counts: dict[str, int], order: list[str]) -> dict[str, int]:
    """Known keys in their vocabulary order (zeros kept, so a table has stable columns), others after."""
    out = {k: counts.get(k, 0) for k in order}
    out.update({k: v for k, v in sorted(counts.items()) if k not in out})
    return out


def _village_names(session: Session) -> dict[str, str]:
    names = {st.code: st.name for st in session.scalars(select(Station))}
    return names


def _chunks(ids: list[str], size: int = 500) -> list[list[str]]:
    return [ids[i : i + size] for i in range(0, len(ids), size)]


def _of_dead(
    session: Session, dead: list[str], counts: Select[str, int], household_id: Any
) -> dict[str, int]:
    """``counts`` (village, n) of the rows of the deleted households ``dead``, looked up by household."""
    out: dict[str, int] = {}
    for chunk in _chunks(dead):
        for code, n in session.execute(
            counts.where(household_id.in_(chunk)).group_by(counts.selected_columns[0])
        ):
            out[code] = out.get(code, 0) + n
    return out


def _minus(total: dict[str, int], part: dict[str, int]) -> dict[str, int]:
    return {k: n - part.get(k, 0) for k, n in total.items() if n - part.get(k, 0)}


def _sum(dicts: list[dict[str, int]]) -> dict[str, int]:
    out: dict[str, int] = {}
    for d in dicts:
        for k, v in d.items():
            out[k] = out.get(k, 0) + v
    return out


# The period figures of the diary are read from its derived data (db/diary_derived.py, kept by the
# diary's write paths and the bundle importer), never from every diary row: per-day counts summed over
# the period's days, and the households met per calendar year / quarter / month.
_entry_day, _demand_day = diary_derived.ENTRY_DAY, diary_derived.DEMAND_DAY
_household_met = table(
    "derived_household_met", column("period"), column("village_code"), column("household_id")
)
_entry_fact = table("derived_entry_fact", column("entry_id"), column("village_code"), column("day"))


def _days(period: Period) -> tuple[str, str]:
    return period.start.isoformat(), period.end.isoformat()


def _visits(session: Session, period: Period) -> dict[str, dict[str, int]]:
    """走访记录 per village and 方式: live entries whose day lies in the period."""
    first, last = _days(period)
    return _nested(
        session.execute(
            select(_entry_day.c.village_code, _entry_day.c.kind, func.sum(_entry_day.c.n))
            .where(_entry_day.c.day.between(first, last))
            .group_by(_entry_day.c.village_code, _entry_day.c.kind)
            .having(func.sum(_entry_day.c.n) > 0)
        )
    )


def calendar_parts(start: dt.date, end: dt.date) -> tuple[list[str], list[tuple[dt.date, dt.date]]]:
    """``start``..``end`` (inclusive) as whole calendar years ``2026``, quarters ``2026-Q1`` and months
    ``2026-03`` (the periods of ``derived_household_met``), and the days left over at either end."""
    keys: list[str] = []
    days: list[tuple[dt.date, dt.date]] = []
    day = start
    while day <= end:
        month_end = (day.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
        if day.day != 1 or month_end > end:  # part of a month: days up to the month's end (or ``end``)
            last = min(month_end, end)
            days.append((day, last))
            day = last + dt.timedelta(days=1)
            continue
        year_end = dt.date(day.year, 12, 31)
        q_first_month = (day.month - 1) // 3 * 3 + 1
        quarter_end = (
            dt.date(day.year, 12, 31)
            if q_first_month == 10
            else dt.date(day.year, q_first_month + 3, 1) - dt.timedelta(days=1)
        )
        if day.month == 1 and year_end <= end:
            keys.append(f"{day.year}")
            day = year_end + dt.timedelta(days=1)
        elif day.month == q_first_month and quarter_end <= end:
            keys.append(f"{day.year}-Q{(day.month + 2) // 3}")
            day = quarter_end + dt.timedelta(days=1)
        else:
            keys.append(f"{day:%Y-%m}")
            day = month_end + dt.timedelta(days=1)
    return keys, days


def _households_visited(session: Session, period: Period) -> dict[str, int]:
    """走访到的户 per village: distinct households met by a live entry of the period. A calendar month,
    quarter or year is one index range of ``derived_household_met``; a custom period adds the households
    of the entries of its odd days at either end (counted once)."""
    keys, days = calendar_parts(period.start, period.end)
    met = _household_met
    if len(keys) == 1 and not days:
        return _by_village(
            session.execute(
                select(met.c.village_code, func.count())
                .where(met.c.period == keys[0])
                .group_by(met.c.village_code)
            )
        )
    parts: list[Select[Any]] = []
    if keys:
        parts.append(select(met.c.village_code, met.c.household_id).where(met.c.period.in_(keys)))
    for first, last in days:
        parts.append(
            select(_entry_fact.c.village_code, DiaryParticipant.household_id)
            .select_from(_entry_fact)
            .join(DiaryParticipant, DiaryParticipant.entry_id == _entry_fact.c.entry_id)
            .where(
                _entry_fact.c.day.between(first.isoformat(), last.isoformat()),
                DiaryParticipant.deleted_at.is_(None),
            )
        )
    both = union(*parts).subquery()  # UNION: each (village, household) once
    return _by_village(
        session.execute(select(both.c.village_code, func.count()).group_by(both.c.village_code))
    )


def _demands(
    session: Session, period: Period, today: dt.date
) -> tuple[dict[str, dict[str, int]], dict[str, dict[str, int]], dict[str, int], dict[str, dict[str, int]]]:
    """诉求 of the period per village: by status, by category, overdue (not closed, due before ``today``)
    and 群众点评 of the closed ones — from the per-day counts, in one pass."""
    first, last = _days(period)
    d = _demand_day
    overdue_flag = case(
        (and_(d.c.status != demands.CLOSED, d.c.due_on != "", d.c.due_on < today.isoformat()), 1), else_=0
    )
    by_status: dict[str, dict[str, int]] = {}
    by_category: dict[str, dict[str, int]] = {}
    overdue: dict[str, int] = {}
    feedback: dict[str, dict[str, int]] = {}
    for code, status, category, late, verdict, n in session.execute(
        select(d.c.village_code, d.c.status, d.c.category, overdue_flag, d.c.verdict, func.sum(d.c.n))
        .where(d.c.day.between(first, last))
        .group_by(d.c.village_code, d.c.status, d.c.category, overdue_flag, d.c.verdict)
        .having(func.sum(d.c.n) > 0)
    ):
        n = int(n)
        per_status, per_category = by_status.setdefault(code, {}), by_category.setdefault(code, {})
        per_status[status] = per_status.get(status, 0) + n
        per_category[category] = per_category.get(category, 0) + n
        overdue[code] = overdue.get(code, 0) + (n if late else 0)
        if status == demands.CLOSED:
            said = feedback.setdefault(code, {})
            key = verdict if verdict in vocab.FEEDBACK_VERDICTS else NO_FEEDBACK
            said[key] = said.get(key, 0) + n
    return by_status, by_category, overdue, feedback


def compute(work: Work, period: Period, *, today: dt.date) -> Report:
    """All figures of the 统计报表 for ``period`` as ``work.actor`` may see them; ``today`` fixes what
    counts as overdue."""
    session, user = work.session, work.actor
    town = work.is_town
    show_sensitive = can(user, "see_sensitive_tags")
    show_cases = can(user, "see_cases")
    hidden = set() if show_sensitive else set(sensitive_tags(session)) | {t for t, s in BUILTIN_TAGS if s}

    live_h = Household.deleted_at.is_(None)
    households = _by_village(
        session.execute(
            select(Household.village_code, func.count()).where(live_h).group_by(Household.village_code)
        )
    )
    # 在册人口, 标签 and 有联系干部的户 count the rows of live households: every live row from an index
    # alone, less those of the (few) deleted households, read from theirs — never a household row per row
    dead = list(session.scalars(select(Household.id).where(Household.deleted_at.is_not(None))))
    in_person = (Person.deleted_at.is_(None), Person.status == "在册")
    persons = _minus(
        _by_village(
            session.execute(
                select(Person.village_code, func.count()).where(*in_person).group_by(Person.village_code)
            )
        ),
        _of_dead(
            session, dead, select(Person.village_code, func.count()).where(*in_person), Person.household_id
        ),
    )
    tag_counts = select(
        HouseholdTag.village_code, HouseholdTag.tag, func.count(distinct(HouseholdTag.household_id))
    ).where(HouseholdTag.deleted_at.is_(None))
    tags_dead: dict[str, dict[str, int]] = {}
    for chunk in _chunks(dead):
        for code, tag, n in session.execute(
            tag_counts.where(HouseholdTag.household_id.in_(chunk)).group_by(
                HouseholdTag.village_code, HouseholdTag.tag
            )
        ):
            per = tags_dead.setdefault(code, {})
            per[tag] = per.get(tag, 0) + n
    tags = {
        code: _minus(counts, tags_dead.get(code, {}))
        for code, counts in _nested(
            session.execute(tag_counts.group_by(HouseholdTag.village_code, HouseholdTag.tag))
        ).items()
    }
    contact_counts = select(
        CadreAssignment.village_code, func.count(distinct(CadreAssignment.household_id))
    ).where(
        CadreAssignment.deleted_at.is_(None),
        CadreAssignment.role == vocab.CONTACT_CADRE,
        CadreAssignment.end_on.is_(None),
    )
    contact = _minus(
        _by_village(session.execute(contact_counts.group_by(CadreAssignment.village_code))),
        _of_dead(session, dead, contact_counts, CadreAssignment.household_id),
    )
    delivered = _by_village(
        session.execute(
            select(Household.village_code, func.count())
            .where(live_h, Household.card_delivered_on.is_not(None))
            .group_by(Household.village_code)
        )
    )
    delivered_now = _by_village(  # from the index alone (the planner would take the dates' index)
        session.execute(
            text(
                "SELECT village_code, count(*) FROM household INDEXED BY ix_household_live_village_card "
                "WHERE deleted_at IS NULL AND card_delivered_on BETWEEN :first AND :last GROUP BY village_code"
            ),
            {"first": period.start.isoformat(), "last": period.end.isoformat()},
        )
    )

    visits = _visits(session, period)
    visited = _households_visited(session, period)
    by_status, by_category, overdue, feedback = _demands(session, period, today)

    codes = set(households) | set(visits) | set(by_status)
    if show_cases:
        for model, column in ((MediationCase, MediationCase.accepted_on), (Screening, Screening.round_date)):
            codes |= set(
                session.scalars(
                    select(model.village_code)
                    .distinct()
                    .where(model.deleted_at.is_(None), column.between(period.start, period.end))
                )
            )
    if town:
        codes |= set(
            session.scalars(
                select(Station.code).where(Station.kind == "village", Station.revoked_at.is_(None))
            )
        )
    else:
        codes = {work.unit_code}
    names = _village_names(session)
    kinds = list(entries.KINDS)
    categories = demands.demand_categories(work)
    tag_order = [t for t, _s in BUILTIN_TAGS]

    def visible(counts: dict[str, int]) -> dict[str, int]:
        return {k: v for k, v in counts.items() if k not in hidden}

    villages = []
    for code in sorted(codes):
        f = Figures(code, names.get(code, code))
        f.households = households.get(code, 0)
        f.persons = persons.get(code, 0)
        f.tags = visible(_ordered(tags.get(code, {}), [t for t in tag_order if t not in hidden]))
        f.with_contact_cadre = contact.get(code, 0)
        f.cards_delivered = delivered.get(code, 0)
        f.cards_delivered_in_period = delivered_now.get(code, 0)
        by_kind = _ordered(visits.get(code, {}), kinds)
        f.visits_by_kind = by_kind
        f.visits = sum(by_kind.values())
        f.households_visited = visited.get(code, 0)
        statuses = _ordered(by_status.get(code, {}), list(demands.STATUSES))
        f.demands_by_status = statuses
        f.demands = sum(statuses.values())
        f.demands_by_category = _ordered(by_category.get(code, {}), categories)
        f.demands_overdue = overdue.get(code, 0)
        f.demands_feedback = _ordered(feedback.get(code, {}), FEEDBACK_KEYS)
        if show_cases:
            f.mediation = mediation_compute(work, period.start, period.end, village_code=code)
        villages.append(f)

    if town:
        totals = Figures(work.unit_code, "合计")
        for name in (
            "households",
            "persons",
            "with_contact_cadre",
            "cards_delivered",
            "cards_delivered_in_period",
            "visits",
            "households_visited",
            "demands",
            "demands_overdue",
        ):
            setattr(totals, name, sum(getattr(v, name) for v in villages))
        totals.tags = _ordered(_sum([v.tags for v in villages]), [t for t in tag_order if t not in hidden])
        totals.visits_by_kind = _ordered(_sum([v.visits_by_kind for v in villages]), list(entries.KINDS))
        totals.demands_by_status = _ordered(
            _sum([v.demands_by_status for v in villages]), list(demands.STATUSES)
        )
        totals.demands_by_category = _ordered(_sum([v.demands_by_category for v in villages]), categories)
        totals.demands_feedback = _ordered(_sum([v.demands_feedback for v in villages]), FEEDBACK_KEYS)
        if show_cases:
            totals.mediation = mediation_compute(work, period.start, period.end)
    else:
        totals = villages[0]
    if show_cases:
        _frozen_mediation(work, period, today, villages, totals)
    return Report(period, today, town, villages, totals, show_sensitive, show_cases)


def _frozen_mediation(
    work: Work, period: Period, today: dt.date, villages: list[Figures], totals: Figures
) -> None:
    """A past calendar month shows the mediation figures as the 人民调解月报 does: a committee that
    generated its report with the frozen figures (marked, and where the live figures differ, with both),
    the others live (docs/mediation-statistics.md)."""
    from app.mediation import frozen, stats

    start, end = period.start, period.end
    if start.day != 1 or end != monthly_end(start) or end >= today:
        return
    view = frozen.report(work, start.year, start.month)
    if not any(r.frozen for r in view.rows):
        return
    rows = {r.code: r for r in view.rows}
    for f in villages:
        row = rows.get(f.village_code)
        if row is not None and row.frozen is not None:
            f.mediation = stats.from_frozen_report(row, start, end)
    if view.total is not None:
        t = stats.from_frozen_report(view.total, start, end, whole_town=True)
        # the 合计 as the station's data give it now: the frozen sum plus each changed row's difference
        for r in view.rows:
            for (part, key), (was, now) in r.changed_keys.items():
                if part == "本月" and key != "received":
                    t.live_now[key] = t.live_now.get(key, t.figures.get(key, 0)) + now - was
        t.live_now = {k: v for k, v in t.live_now.items() if v != t.figures.get(k, 0)}
        totals.mediation = t


def monthly_end(first: dt.date) -> dt.date:
    return (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


# -- 各村汇总: the columns of the table on screen, on paper and in Excel -----------------------------------
def _rate(f: Figures) -> str:
    rate = f.mediation.success_rate if f.mediation else None
    return f"{rate}%" if rate is not None else "—"


def _case(key: str) -> Callable[[Figures], object]:
    """A mediation figure: a number, or "6（现 7）" for a past month's frozen report where the station's
    figures differ now."""

    def value(f: Figures) -> object:
        if f.mediation is None:
            return ""
        cell = f.mediation.cell(key)
        return int(cell) if cell.isdigit() else cell

    return value


# (header, value of a Figures row); the mediation columns only for roles that may see cases.
BASE_COLUMNS: tuple[tuple[str, Callable[[Figures], object]], ...] = (
    ("村", lambda f: f.village_name),
    ("户数", lambda f: f.households),
    ("在册人口", lambda f: f.persons),
    ("有联系干部的户", lambda f: f.with_contact_cadre),
    ("联系干部覆盖", lambda f: f.contact_coverage),
    ("联系卡已送达", lambda f: f.cards_delivered),
    ("本期送达", lambda f: f.cards_delivered_in_period),
    ("走访记录", lambda f: f.visits),
    ("走访到的户", lambda f: f.households_visited),
    ("诉求", lambda f: f.demands),
    ("待办", lambda f: f.demands_by_status.get("待办", 0)),
    # 交办: referred to the town and not yet answered to the resident (已上报乡镇 + 乡镇已答复)
    ("交办中", lambda f: f.demands_by_status.get("已上报乡镇", 0) + f.demands_by_status.get("乡镇已答复", 0)),
    ("已答复", lambda f: f.demands_by_status.get("已答复", 0)),
    ("已办结", lambda f: f.demands_by_status.get("已办结", 0)),
    ("逾期", lambda f: f.demands_overdue),
)
CASE_COLUMNS: tuple[tuple[str, Callable[[Figures], object]], ...] = (
    ("受理", _case("accepted")),
    ("调解成功", _case("succeeded")),
    ("在调", _case("in_progress")),
    ("调解成功率", _rate),
)


def summary_columns(report: Report) -> tuple[tuple[str, Callable[[Figures], object]], ...]:
    return BASE_COLUMNS + (CASE_COLUMNS if report.mediation_shown else ())


def summary_rows(report: Report) -> list[Figures]:
    """The villages in code order, then 合计 (a town); a village station's one row."""
    return list(report.villages) + ([report.totals] if report.town else [])


# -- 图表: by month over a year --------------------------------------------------------------------------
VISIT_SERIES = (charts.Series("走访", "#4a7ebb"),)
DEMAND_SERIES = (charts.Series("听取", "#d9822b"), charts.Series("办结", "#70a845"))


def _month_counts(
    rows: Iterable[Row[str, str, int]], slot: int, n_series: int, out: dict[str, list[list[int]]]
) -> None:
    for code, month, n in rows:
        months = out.setdefault(code, [[0] * n_series for _ in range(12)])
        months[int(month) - 1][slot] += n


def year_charts(work: Work, year: int) -> list[charts.MonthChart]:
    """走访记录 (diary entries by their date), 诉求 听取 (by the entry's date) and 办结 (by the closing date),
    and — for roles that may see cases — 调解 受理 and 结案, by month of ``year``; at a town 全镇合计 then
    each village in code order, at a village its own figures."""
    session = work.session
    start = dt.datetime(year, 1, 1)
    end = dt.datetime(year + 1, 1, 1)
    first, last = f"{year:04d}-01-01", f"{year:04d}-12-31"
    # From the per-day counts (db/diary_derived.py): at most 366 days × villages × 方式 rows, never every entry.
    e, d = _entry_day, _demand_day
    visits: dict[str, list[list[int]]] = {}
    _month_counts(
        session.execute(
            select(e.c.village_code, func.substr(e.c.day, 6, 2), func.sum(e.c.n))
            .where(
                e.c.day.between(first, last), *([] if work.is_town else [e.c.village_code == work.unit_code])
            )
            .group_by(e.c.village_code, func.substr(e.c.day, 6, 2))
        ),
        0,
        1,
        visits,
    )
    heard: dict[str, list[list[int]]] = {}
    _month_counts(
        session.execute(
            select(d.c.village_code, func.substr(d.c.day, 6, 2), func.sum(d.c.n))
            .where(
                d.c.day.between(first, last), *([] if work.is_town else [d.c.village_code == work.unit_code])
            )
            .group_by(d.c.village_code, func.substr(d.c.day, 6, 2))
        ),
        0,
        2,
        heard,
    )
    closed_month = func.strftime("%m", Demand.closed_on)
    _month_counts(
        session.execute(
            select(Demand.village_code, closed_month, func.count())
            .where(
                Demand.deleted_at.is_(None),
                Demand.status == demands.CLOSED,
                Demand.closed_on.between(start.date(), (end - dt.timedelta(days=1)).date()),
                *([] if work.is_town else [Demand.village_code == work.unit_code]),
            )
            .group_by(Demand.village_code, closed_month)
        ),
        1,
        2,
        heard,
    )
    if work.is_town:
        units = charts.village_units(session, set(visits) | set(heard))
    else:
        units = [(work.unit_code, work.station.name)]

    def as_tuples(data: dict[str, list[list[int]]]) -> dict[str, list[tuple[int, ...]]]:
        return {code: [tuple(m) for m in months] for code, months in data.items()}

    out = [
        charts.build("走访记录", "篇", year, VISIT_SERIES, as_tuples(visits), town=work.is_town, units=units),
        charts.build(
            "诉求听取与办结", "条", year, DEMAND_SERIES, as_tuples(heard), town=work.is_town, units=units
        ),
    ]
    if can(work.actor, "see_cases"):
        out.append(cases_chart(work, year))
    return out
