"""人民调解工作统计: the work a committee did in a period, per committee, in the standard layout.

The definitions are written down in ``docs/mediation-statistics.md`` (section 人民调解工作统计); in short:

- 受理: cases accepted in the period (a 不予受理 registration is not one).
- 调解成功 / 调解不成 / 终止调解: cases concluded in the period (the day of that step in the case's
  history), whenever they were accepted. 上报: cases escalated in the period.
- 在调: cases open (受理 or 调解中) at the period's end, read from each case's history.
- At a town, the town committee's own row: its own cases, plus its handling of the cases villages
  escalated to it: 接收上报 (not 受理: the village accepted the dispute and counts it) on the day of the
  escalation, concluded on the day the town recorded 调解成功 / 调解不成 (with the agreement's form and
  amount the town recorded), 上报 when it passed the case on to the county. So the 合计 counts every
  dispute's 受理 once.

Every figure is a whole number (money in 分) under a fixed key (:data:`COLUMNS`), so a frozen report
(:mod:`app.mediation.frozen`) stores exactly what was shown and two reports compare key by key.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import ColumnElement, and_, case, func, or_, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from db.models import Agreement, CaseTransition, MediationCase, Screening, ScreeningItem

from app import charts
from app.mediation import rules
from app.work import Work

Figures = dict[str, int]

# (key, label) of every figure, in the order of the standard layout (the frozen report stores these keys).
RESULT_COLUMNS = (
    ("accepted", "受理"),
    ("received", "接收上报"),
    ("succeeded", "调解成功"),
    ("failed", "调解不成"),
    ("terminated", "终止调解"),
    ("in_progress", "在调"),
    ("escalated", "上报"),
    ("rejected", "不予受理"),
)
AGREEMENT_COLUMNS = (
    ("written", "书面协议"),
    ("oral", "口头协议"),
    ("judicial_applied", "申请司法确认"),
    ("judicial_confirmed", "司法确认"),
    ("performed", "履行"),
    ("amount_fen", "涉及金额（元）"),
    ("people", "涉及人数"),
)
TYPE_COLUMNS = tuple((f"type:{t}", t) for t in rules.NATIONAL_TYPES)
SOURCE_COLUMNS = tuple((f"source:{s}", s) for s in rules.OFFICIAL_SOURCES)
PREVENTION_COLUMNS = (
    ("screenings", "排查次数"),
    ("zero_reports", "零报告"),
    ("found", "排查发现纠纷"),
    ("prevented", "预防纠纷"),
    ("prevent_suicide", "防止民间纠纷引起自杀（件）"),
    ("prevent_suicide_people", "防止民间纠纷引起自杀（人）"),
    ("prevent_criminal", "防止转化为刑事案件（件）"),
    ("prevent_criminal_people", "防止转化为刑事案件（人）"),
    ("prevent_petition", "防止群体性上访（件）"),
    ("prevent_petition_people", "防止群体性上访（人）"),
    ("prevent_fight", "防止群体性械斗（件）"),
    ("prevent_fight_people", "防止群体性械斗（人）"),
)
COLUMNS = RESULT_COLUMNS + AGREEMENT_COLUMNS + TYPE_COLUMNS + SOURCE_COLUMNS + PREVENTION_COLUMNS
KEYS = tuple(k for k, _label in COLUMNS)
LABELS = dict(COLUMNS)

# The four 防止 items: (key, the case's flag, the case's number of people).
_RISKS = (
    ("prevent_suicide", MediationCase.risk_suicide, MediationCase.risk_suicide_people),
    ("prevent_criminal", MediationCase.risk_criminal, MediationCase.risk_criminal_people),
    ("prevent_petition", MediationCase.risk_petition, MediationCase.risk_petition_people),
    ("prevent_fight", MediationCase.risk_fight, MediationCase.risk_fight_people),
)
CONCLUDED_STATES = rules.CONCLUDED
_STEP_KEY = {rules.SUCCEEDED: "succeeded", rules.FAILED: "failed", rules.TERMINATED: "terminated"}
_TOWN_KEY = {"调解成功": "succeeded", "调解不成": "failed", "转县处理": "escalated"}


def empty() -> Figures:
    return dict.fromkeys(KEYS, 0)


def concluded(f: Figures) -> int:
    """调解成功 + 调解不成 + 终止调解 (cases concluded in the period)."""
    return f.get("succeeded", 0) + f.get("failed", 0) + f.get("terminated", 0)


def _percent(part: int, whole: int) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(Decimal("0.01"), ROUND_HALF_UP)


def success_rate(f: Figures) -> Decimal | None:
    """调解成功 ÷ cases concluded in the period × 100 (two decimals, half up); None when none concluded."""
    return _percent(f.get("succeeded", 0), concluded(f))


def success_rate_of_accepted(f: Figures) -> Decimal | None:
    """调解成功 ÷ 受理 × 100, the seed's way (meaningful for a whole year); None when nothing was accepted.
    At the town committee's row the cases it received from villages (接收上报) count with its 受理; the
    合计 has none (those disputes are counted in the villages' 受理)."""
    return _percent(f.get("succeeded", 0), f.get("accepted", 0) + f.get("received", 0))


def rate_text(rate: Decimal | None) -> str:
    return f"{rate}%" if rate is not None else "—"


def value_text(key: str, value: int) -> str:
    if key == "amount_fen":
        return f"{Decimal(value) / 100:,.2f}"
    return str(value)


def add(a: Figures, b: Figures) -> Figures:
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def month_bounds(year: int, month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


MAX_FIGURE = 10**12  # no real figure comes near (money in 分 included)


def parse_frozen(text: object) -> tuple[Figures, Figures] | None:
    """The month's and the year's figures of a frozen report's stored JSON, or None when it is not what
    :func:`app.mediation.frozen.freeze` writes (a bundle is hostile until checked): every known key a whole
    number from 0 to :data:`MAX_FIGURE`; unknown keys are left out."""
    import json

    if not isinstance(text, str) or len(text) > 100_000:
        return None
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        return None
    if not isinstance(data, dict):
        return None
    out = []
    for part in ("month", "year"):
        given = data.get(part)
        if not isinstance(given, dict):
            return None
        f = empty()
        for key in KEYS:
            value = given.get(key, 0)
            if type(value) is not int or not 0 <= value <= MAX_FIGURE:
                return None
            f[key] = value
        out.append(f)
    return out[0], out[1]


def official_type(dispute_type: str) -> str:
    """A local type (e.g. 村务管理) counts as 其他 in the 15 national columns."""
    return dispute_type if dispute_type in rules.NATIONAL_TYPES else "其他"


@dataclass
class Committees:
    """The figures of each committee (village code, or the town's own code) for one period."""

    start: dt.date | None
    end: dt.date | None
    rows: dict[str, Figures] = field(default_factory=dict)
    # Per village: its cases the town concluded with 调解成功 in the period (其中乡镇调解成功).
    town_succeeded: dict[str, int] = field(default_factory=dict)
    # The program's own categories, for the CLI and the 台账's 统计 sheet (local types kept apart).
    raw_types: dict[str, dict[str, int]] = field(default_factory=dict)
    raw_sources: dict[str, dict[str, int]] = field(default_factory=dict)

    def row(self, code: str) -> Figures:
        if code not in self.rows:
            self.rows[code] = empty()
        return self.rows[code]

    def total(self, codes: Iterable[str] | None = None) -> Figures:
        out = empty()
        for code, f in self.rows.items():
            if codes is None or code in codes:
                out = add(out, f)
        return out


def _rejected_on() -> ColumnElement[dt.date]:
    """The day a case was recorded as 不予受理 (its step in the case's history; an older record without
    the step: its 受理日期)."""
    step = (
        select(func.max(CaseTransition.on_date))
        .where(
            CaseTransition.case_id == MediationCase.id,
            CaseTransition.to_state == rules.REJECTED,
            CaseTransition.deleted_at.is_(None),
        )
        .scalar_subquery()
    )
    return func.coalesce(step, MediationCase.accepted_on)


def counted_as_accepted() -> ColumnElement[bool]:
    """A registration counts as 受理 in its month unless it was recorded as 不予受理 within that same
    month. One refused in a later month was a 受理 of a month already over, and stays one: a month's
    figures do not change with later handling (docs/mediation-statistics.md); the 不予受理 counts in
    the month it was recorded."""
    month = func.substr(MediationCase.accepted_on, 1, 7)
    return or_(
        func.coalesce(MediationCase.outcome, "") != rules.REJECTED,
        func.substr(_rejected_on(), 1, 7) != month,
    )


def _between(
    column: InstrumentedAttribute[dt.date] | InstrumentedAttribute[dt.date | None] | ColumnElement[dt.date],
    start: dt.date | None,
    end: dt.date | None,
) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = [column.is_not(None)]
    if start is not None:
        cond.append(column >= start)
    if end is not None:
        cond.append(column <= end)
    return cond


def compute(
    session: Session,
    start: dt.date | None,
    end: dt.date | None,
    *,
    codes: Iterable[str] | None = None,
    town_code: str | None = None,
) -> Committees:
    """Every committee's figures for ``start``..``end`` (both inclusive; either may be open).

    ``codes``: only these units' own records (None: all). ``town_code``: at a town, also the town
    committee's handling of the cases escalated to it, in the row of ``town_code``."""
    out = Committees(start, end)
    only = list(codes) if codes is not None else None
    live = MediationCase.deleted_at.is_(None)

    def mine(column: InstrumentedAttribute[str]) -> list[ColumnElement[bool]]:
        return [column.in_(only)] if only is not None else []

    # 受理 (not 不予受理 in the month it was registered), by type and source; 涉及人数
    not_rejected = counted_as_accepted()
    for code, dtype, source, n, people in session.execute(
        select(
            MediationCase.village_code,
            MediationCase.dispute_type,
            MediationCase.source,
            func.count(),
            func.coalesce(func.sum(MediationCase.people_count), 0),
        )
        .where(live, not_rejected, *_between(MediationCase.accepted_on, start, end))
        .where(*mine(MediationCase.village_code))
        .group_by(MediationCase.village_code, MediationCase.dispute_type, MediationCase.source)
    ):
        f = out.row(code)
        f["accepted"] += n
        f["people"] += people
        f[f"type:{official_type(dtype)}"] += n
        f[f"source:{rules.OFFICIAL_SOURCE_OF.get(source, '申请调解')}"] += n
        raw = out.raw_types.setdefault(code, {})
        raw[dtype] = raw.get(dtype, 0) + n
        rs = out.raw_sources.setdefault(code, {})
        rs[source] = rs.get(source, 0) + n
    for code, n in session.execute(
        select(MediationCase.village_code, func.count())
        .where(live, MediationCase.outcome == rules.REJECTED, *_between(_rejected_on(), start, end))
        .where(*mine(MediationCase.village_code))
        .group_by(MediationCase.village_code)
    ):
        out.row(code)["rejected"] += n

    # concluded and escalated in the period: the day of the step in the case's history (read from the
    # covering index ix_mediation_transition_step; deleted cases left out through ix_mediation_case_deleted)
    deleted_cases = select(MediationCase.id).where(MediationCase.deleted_at.is_not(None))
    steps = [
        CaseTransition.deleted_at.is_(None),
        CaseTransition.case_id.not_in(deleted_cases),
        *_between(CaseTransition.on_date, start, end),
        *mine(CaseTransition.village_code),
    ]
    for code, state, n in session.execute(
        select(
            CaseTransition.village_code,
            CaseTransition.to_state,
            func.count(func.distinct(CaseTransition.case_id)),
        )
        .where(*steps, CaseTransition.to_state.in_((*CONCLUDED_STATES, rules.ESCALATED)))
        .group_by(CaseTransition.village_code, CaseTransition.to_state)
    ):
        out.row(code)["escalated" if state == rules.ESCALATED else _STEP_KEY[state]] += n
    # of the successes: the agreement's form and amount, and the risks prevented
    succeeded = (
        select(CaseTransition.case_id)
        .where(*steps, CaseTransition.to_state == rules.SUCCEEDED)
        .distinct()
        .subquery()
    )
    for code, kind, n, *risks in session.execute(
        select(MediationCase.village_code, MediationCase.agreement_kind, func.count(), *_risk_sums())
        .join(succeeded, succeeded.c.case_id == MediationCase.id)
        .group_by(MediationCase.village_code, MediationCase.agreement_kind)
    ):
        f = out.row(code)
        _add_risks(f, risks)
        if kind == "书面":
            f["written"] += n
        elif kind == "口头":
            f["oral"] += n
    for code, amount in session.execute(
        select(Agreement.village_code, func.coalesce(func.sum(Agreement.amount_fen), 0))
        .join(succeeded, succeeded.c.case_id == Agreement.case_id)
        .where(Agreement.deleted_at.is_(None))
        .group_by(Agreement.village_code)
    ):
        out.row(code)["amount_fen"] += amount or 0

    for key, column, model_code in (
        ("performed", Agreement.performed_on, Agreement.village_code),
        ("judicial_applied", MediationCase.judicial_applied_on, MediationCase.village_code),
        ("judicial_confirmed", MediationCase.judicial_confirmed_on, MediationCase.village_code),
    ):
        q = select(model_code, func.count()).where(*_between(column, start, end), *mine(model_code))
        if key == "performed":
            q = q.join(MediationCase, MediationCase.id == Agreement.case_id).where(
                Agreement.deleted_at.is_(None)
            )
        for code, n in session.execute(q.where(live).group_by(model_code)):
            out.row(code)[key] += n

    # 排查: rounds (定期 and 不定期), 零报告, disputes found, disputes prevented
    for code, n, found, zero in session.execute(
        select(
            Screening.village_code,
            func.count(),
            func.coalesce(func.sum(Screening.found_count), 0),
            func.coalesce(func.sum(case((Screening.found_count == 0, 1), else_=0)), 0),
        )
        .where(Screening.deleted_at.is_(None), *_between(Screening.round_date, start, end))
        .where(*mine(Screening.village_code))
        .group_by(Screening.village_code)
    ):
        f = out.row(code)
        f["screenings"] += n
        f["found"] += found
        f["zero_reports"] += zero
    for code, n in session.execute(
        select(ScreeningItem.village_code, func.count())
        .join(Screening, Screening.id == ScreeningItem.screening_id)
        .where(
            ScreeningItem.deleted_at.is_(None),
            Screening.deleted_at.is_(None),
            ScreeningItem.disposition == rules.PREVENTED,
            *_between(Screening.round_date, start, end),
            *mine(ScreeningItem.village_code),
        )
        .group_by(ScreeningItem.village_code)
    ):
        out.row(code)["prevented"] += n

    # 在调 at the period's end: the state of each case on that day. A case whose last step (state_on) is on or
    # before the end was then in the state it is in now; only the cases changed after the end are looked
    # up in their history (the last step on or before the end). The village is compared as ``village_code || ''``
    # so that SQLite (which has no statistics here) reads the covering indexes ix_mediation_case_state_at /
    # ix_mediation_case_changed instead of the per-village list index, which at a village matches every case.
    at_town = and_(
        MediationCase.escalated_to == "乡镇",
        or_(MediationCase.town_handled_on.is_(None), *([MediationCase.town_handled_on > end] if end else [])),
    )
    # sent back by the town (退回村调委会) by the end and not taken up again yet: the village's to mediate
    sent_back = and_(
        MediationCase.escalated_to == "乡镇",
        MediationCase.town_outcome == rules.SENT_BACK,
        *([MediationCase.town_handled_on <= end] if end else []),
    )
    waiting = case((at_town, 1), (sent_back, 2), else_=0)
    wanted_states = (*rules.OPEN_STATES, rules.ESCALATED)
    unit = [(MediationCase.village_code + "").in_(only)] if only is not None else []
    settled: list[ColumnElement[bool]] = [live, *unit, MediationCase.state.in_(wanted_states)]
    if end is not None:
        settled += [MediationCase.accepted_on <= end, MediationCase.state_on <= end]
    open_at_end = list(
        session.execute(
            select(MediationCase.village_code, MediationCase.state, waiting, func.count())
            .where(*settled)
            .group_by(MediationCase.village_code, MediationCase.state, waiting)
        )
    )
    if end is not None:
        changed_later = (
            select(MediationCase.id)
            .where(live, *unit, MediationCase.accepted_on <= end, MediationCase.state_on > end)
            .scalar_subquery()
        )
        last = (
            select(
                CaseTransition.case_id,
                CaseTransition.to_state,
                func.row_number()
                .over(
                    partition_by=CaseTransition.case_id,
                    order_by=(CaseTransition.on_date.desc(), CaseTransition.at.desc()),
                )
                .label("n"),
            )
            .where(
                CaseTransition.deleted_at.is_(None),
                CaseTransition.on_date <= end,
                CaseTransition.case_id.in_(changed_later),
            )
            .subquery()
        )
        open_at_end += list(
            session.execute(
                select(MediationCase.village_code, last.c.to_state, waiting, func.count())
                .join(MediationCase, MediationCase.id == last.c.case_id)
                .where(last.c.n == 1, last.c.to_state.in_(wanted_states))
                .group_by(MediationCase.village_code, last.c.to_state, waiting)
            )
        )
    for code, state, where, n in open_at_end:
        if state in rules.OPEN_STATES or where == 2:
            out.row(code)["in_progress"] += n
        elif where == 1 and town_code is not None and code != town_code:
            out.row(town_code)["in_progress"] += n

    if town_code is not None:
        _town_committee(session, out, start, end, town_code)
    return out


def _add_risks(f: Figures, risks: list[int] | tuple[int, ...]) -> None:
    for i, (key, _flag, _people) in enumerate(_RISKS):
        f[key] += risks[2 * i] or 0
        f[f"{key}_people"] += risks[2 * i + 1] or 0


def _risk_sums() -> list[ColumnElement[int]]:
    """件 and 人 of each of the four risks, as sums over the selected cases."""
    out: list[ColumnElement[int]] = []
    for _key, flag, people in _RISKS:
        out += [func.sum(case((flag, 1), else_=0)), func.sum(case((flag, people), else_=0))]
    return out


def _town_committee(
    session: Session, out: Committees, start: dt.date | None, end: dt.date | None, town_code: str
) -> None:
    """The town committee's handling of the cases villages escalated to it: 接收上报 (their 受理, type,
    source and people stay in the village's row), its outcomes, and of its successes the agreement's
    form and amount and the risks prevented."""
    live = MediationCase.deleted_at.is_(None)
    town = out.row(town_code)
    for (n,) in session.execute(
        select(func.count(func.distinct(CaseTransition.case_id)))
        .join(MediationCase, MediationCase.id == CaseTransition.case_id)
        .where(
            live,
            CaseTransition.deleted_at.is_(None),
            CaseTransition.to_state == rules.ESCALATED,
            MediationCase.escalated_to == "乡镇",
            MediationCase.village_code != town_code,
            *_between(CaseTransition.on_date, start, end),
        )
    ):
        town["received"] += n
    risk_sums = _risk_sums()
    for code, outcome, kind, n, amount, *risks in session.execute(
        select(
            MediationCase.village_code,
            MediationCase.town_outcome,
            MediationCase.town_agreement_kind,
            func.count(),
            func.coalesce(func.sum(MediationCase.town_amount_fen), 0),
            *risk_sums,
        )
        .where(
            live,
            MediationCase.village_code != town_code,
            MediationCase.town_outcome.in_(tuple(_TOWN_KEY)),
            *_between(MediationCase.town_handled_on, start, end),
        )
        .group_by(MediationCase.village_code, MediationCase.town_outcome, MediationCase.town_agreement_kind)
    ):
        town[_TOWN_KEY[outcome or ""]] += n
        if outcome == "调解成功":
            _add_risks(town, risks)
            if kind == "书面":
                town["written"] += n
            elif kind == "口头":
                town["oral"] += n
            town["amount_fen"] += amount or 0
            out.town_succeeded[code] = out.town_succeeded.get(code, 0) + n


def monthly_series(
    session: Session, year: int, *, codes: Iterable[str] | None = None, town_code: str | None = None
) -> dict[str, list[tuple[int, int]]]:
    """For the chart: per committee, (受理, 结案) for each month of ``year`` (结案 = 调解成功 + 不成 + 终止,
    at the town also its conclusions of escalated cases, which stay the villages' 受理)."""
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    only = list(codes) if codes is not None else None
    out: dict[str, list[list[int]]] = {}

    def slot(code: str, month: str) -> list[int]:
        months = out.setdefault(code, [[0, 0] for _ in range(12)])
        return months[int(month) - 1]

    live = MediationCase.deleted_at.is_(None)
    month_of = func.strftime("%m", MediationCase.accepted_on)
    q = (
        select(MediationCase.village_code, month_of, func.count())
        .where(live, MediationCase.accepted_on.between(start, end))
        .where(counted_as_accepted())
        .group_by(MediationCase.village_code, month_of)
    )
    if only is not None:
        q = q.where(MediationCase.village_code.in_(only))
    for code, month, n in session.execute(q):
        slot(code, month)[0] += n
    step_month = func.strftime("%m", CaseTransition.on_date)
    q = (
        select(CaseTransition.village_code, step_month, func.count(func.distinct(CaseTransition.case_id)))
        .join(MediationCase, MediationCase.id == CaseTransition.case_id)
        .where(
            live,
            CaseTransition.deleted_at.is_(None),
            CaseTransition.to_state.in_(CONCLUDED_STATES),
            CaseTransition.on_date.between(start, end),
        )
        .group_by(CaseTransition.village_code, step_month)
    )
    if only is not None:
        q = q.where(CaseTransition.village_code.in_(only))
    for code, month, n in session.execute(q):
        slot(code, month)[1] += n
    if town_code is not None:
        handled_month = func.strftime("%m", MediationCase.town_handled_on)
        for month, n in session.execute(
            select(handled_month, func.count())
            .where(
                live,
                MediationCase.village_code != town_code,
                MediationCase.town_outcome.in_(("调解成功", "调解不成")),
                MediationCase.town_handled_on.between(start, end),
            )
            .group_by(handled_month)
        ):
            slot(town_code, month)[1] += n
    return {code: [(a, c) for a, c in months] for code, months in out.items()}


CASE_SERIES = (charts.Series("受理", "#4a7ebb"), charts.Series("结案", "#70a845"))


def cases_chart(work: Work, year: int) -> charts.MonthChart:
    """受理 and 结案 (调解成功、不成、终止) by month of ``year``: at a town 全镇合计 (every committee, the
    town's own included) then each village in code order; at a village its own committee."""
    town = work.is_town
    series = monthly_series(
        work.session,
        year,
        codes=None if town else [work.unit_code],
        town_code=work.unit_code if town else None,
    )
    data: dict[str, list[tuple[int, ...]]] = {code: list(months) for code, months in series.items()}
    units = (
        charts.village_units(work.session, (c for c in data if c != work.unit_code))
        if town
        else [(work.unit_code, work.station.name)]
    )
    return charts.build(
        "受理与结案", "件", year, CASE_SERIES, data, town=town, units=units, extra_in_total=[work.unit_code]
    )
