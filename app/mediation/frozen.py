"""The monthly 人民调解工作统计 as it is filed: frozen, sent, consolidated at the town.

- "生成本月报表" (:func:`freeze`) stores the committee's figures of the month and of the year to date
  (:mod:`app.mediation.monthly`) as a synced record (``mediation_report``): who, when, every figure.
  It is never recomputed; "重新生成" stores the next edition and keeps the old ones.
- A village's frozen reports travel to the town in its bundle like any of its records; the sync layer
  refuses a changed frozen report (``app.ownership.FROZEN_TABLES``).
- The report (:func:`report`) shows, per committee, the newest frozen edition; when the figures the
  station holds now differ, the row says so and lists each difference (frozen → now) instead of
  replacing the frozen figures. A village with no frozen report is marked 未报送 and shown with the
  figures the station holds. At a town: one row per village in code order, the town committee's own
  row, and the total of the rows.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field

from sqlalchemy import func, select

from db.models import MonthlyReport, Station

from app import accounts, audit
from app.errors import UserError
from app.mediation import monthly
from app.mediation.info import actor_name
from app.work import Work

FORMAT = 1  # of the stored figures

SENT, NOT_SENT, CHANGED, LIVE = "已报送", "未报送", "报送后有变动", "未生成"


@dataclass(frozen=True)
class FrozenInfo:
    id: str
    village_code: str
    year: int
    month: int
    edition: int
    frozen_at: dt.datetime
    frozen_by: str
    note: str
    month_figures: monthly.Figures
    year_figures: monthly.Figures

    @property
    def label(self) -> str:
        return f"第 {self.edition} 版，{self.frozen_at:%Y-%m-%d %H:%M} {self.frozen_by}"


@dataclass
class ReportRow:
    code: str
    name: str
    kind: str  # village | town | total
    month: monthly.Figures
    year: monthly.Figures
    status: str  # 已报送 / 未报送 / 报送后有变动 / 未生成 (at the station itself) / "" (the total)
    frozen: FrozenInfo | None = None
    # "本月 受理" → (frozen, now): the figures that changed after freezing
    changes: dict[str, tuple[int, int]] = field(default_factory=dict)
    # the same by (本月 | 本年累计, figure key), for marking the changed cells
    changed_keys: dict[tuple[str, str], tuple[int, int]] = field(default_factory=dict)
    town_succeeded_month: int = 0  # at a town: this village's escalated cases it concluded with 调解成功
    town_succeeded_year: int = 0

    def change_lines(self) -> list[str]:
        """Each figure changed after freezing: "本月 受理 1→2" (money in 元)."""
        out = []
        for label, (was, now) in self.changes.items():
            if "金额" in label:
                out.append(
                    f"{label} {monthly.value_text('amount_fen', was)}→{monthly.value_text('amount_fen', now)}"
                )
            else:
                out.append(f"{label} {was}→{now}")
        return out

    @property
    def status_text(self) -> str:
        if self.status == CHANGED:
            lines = self.change_lines()
            more = f" 等 {len(lines)} 项" if len(lines) > 6 else ""
            return f"{CHANGED}（{'；'.join(lines[:6])}{more}）"
        if self.status == SENT and self.frozen:
            return f"{SENT}（{self.frozen.label}）"
        return self.status


@dataclass
class MonthlyReportView:
    year: int
    month: int
    unit_code: str
    unit_name: str
    town: bool
    rows: list[ReportRow]  # villages in code order, then the town committee (at a town)
    total: ReportRow | None  # at a town

    @property
    def title(self) -> str:
        return f"人民调解工作统计表（{self.year}年{self.month}月）"

    @property
    def all_rows(self) -> list[ReportRow]:
        return self.rows + ([self.total] if self.total else [])


def _info(row: MonthlyReport) -> FrozenInfo | None:
    """The stored report, or None when its figures cannot be read (the sync layer refuses such a row;
    this is the last line)."""
    figures = monthly.parse_frozen(row.figures)
    if figures is None:
        return None
    return FrozenInfo(
        row.id,
        row.village_code,
        row.year,
        row.month,
        row.edition,
        row.frozen_at,
        row.frozen_by,
        row.note,
        figures[0],
        figures[1],
    )


def _check_month(year: int, month: int) -> None:
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise UserError("请选择正确的年份和月份", field="month")


def live_figures(work: Work, year: int, month: int) -> tuple[monthly.Committees, monthly.Committees]:
    """The month's and the year-to-date's figures of every committee this station holds."""
    start, end = monthly.month_bounds(year, month)
    town_code = work.unit_code if work.is_town else None
    codes = None if work.is_town else [work.unit_code]
    this_month = monthly.compute(work.session, start, end, codes=codes, town_code=town_code)
    to_date = monthly.compute(work.session, dt.date(year, 1, 1), end, codes=codes, town_code=town_code)
    return this_month, to_date


def editions(work: Work, year: int, month: int, village_code: str | None = None) -> list[FrozenInfo]:
    """Every frozen edition of a committee's report for the month, newest first."""
    accounts.require(work.actor, "see_cases")
    code = village_code or work.unit_code
    rows = work.session.scalars(
        select(MonthlyReport)
        .where(
            MonthlyReport.deleted_at.is_(None),
            MonthlyReport.village_code == code,
            MonthlyReport.year == year,
            MonthlyReport.month == month,
        )
        .order_by(MonthlyReport.edition.desc(), MonthlyReport.frozen_at.desc())
    )
    return [info for r in rows if (info := _info(r)) is not None]


def freeze(
    work: Work, year: int, month: int, *, today: dt.date, now: dt.datetime | None = None, note: str = ""
) -> FrozenInfo:
    """生成本月报表 (or 重新生成): the station's own committee's figures of ``year``-``month``, frozen.

    A month that has not begun cannot be reported. A second edition needs the reason (``note``); the
    earlier editions stay as they were."""
    accounts.require(work.actor, "see_cases")
    _check_month(year, month)
    if (year, month) > (today.year, today.month):
        raise UserError(f"{year}年{month}月还没有到，不能生成这个月的报表", field="month")
    code = work.unit_code
    top = work.session.scalar(
        select(func.max(MonthlyReport.edition)).where(
            MonthlyReport.deleted_at.is_(None),
            MonthlyReport.village_code == code,
            MonthlyReport.year == year,
            MonthlyReport.month == month,
        )
    )
    note = (note or "").strip()
    if top and not note:
        raise UserError(
            f"{year}年{month}月的报表已经生成过（第 {top} 版）；重新生成请写明原因（如“补录了 2 件案件”）",
            field="note",
        )
    this_month, to_date = live_figures(work, year, month)
    figures = {
        "format": FORMAT,
        "month": this_month.row(code),
        "year": to_date.row(code),
    }
    row = MonthlyReport(
        village_code=code,
        year=year,
        month=month,
        edition=(top or 0) + 1,
        frozen_at=(now or dt.datetime.now()).replace(microsecond=0),
        frozen_by=actor_name(work.actor),
        frozen_by_user_id=work.actor.id if work.actor else None,
        figures=json.dumps(figures, ensure_ascii=False, sort_keys=True),
        note=note,
    )
    work.session.add(row)
    work.session.flush()
    info = _info(row)
    assert info is not None, "freeze writes what parse_frozen reads"
    audit.record(
        work.session,
        work.actor,
        "mediation_report.freeze",
        table="mediation_report",
        record_id=row.id,
        fields=["figures"],
        detail=f"{year}年{month}月 第{row.edition}版",
    )
    return info


def _latest(work: Work, year: int, month: int) -> dict[str, FrozenInfo]:
    out: dict[str, FrozenInfo] = {}
    for r in work.session.scalars(
        select(MonthlyReport)
        .where(MonthlyReport.deleted_at.is_(None), MonthlyReport.year == year, MonthlyReport.month == month)
        .order_by(MonthlyReport.edition, MonthlyReport.frozen_at)
    ):
        info = _info(r)
        if info is not None:
            out[r.village_code] = info  # the newest edition last
    return out


def _compare(
    frozen: FrozenInfo, month_now: monthly.Figures, year_now: monthly.Figures
) -> dict[tuple[str, str], tuple[int, int]]:
    changes: dict[tuple[str, str], tuple[int, int]] = {}
    for period, was, now in (
        ("本月", frozen.month_figures, month_now),
        ("本年累计", frozen.year_figures, year_now),
    ):
        for key in monthly.KEYS:
            if was.get(key, 0) != now.get(key, 0):
                changes[(period, key)] = (was.get(key, 0), now.get(key, 0))
    return changes


def _row(
    code: str,
    name: str,
    kind: str,
    frozen: FrozenInfo | None,
    month_now: monthly.Figures,
    year_now: monthly.Figures,
    own: bool,
) -> ReportRow:
    if frozen is None:
        return ReportRow(code, name, kind, month_now, year_now, LIVE if own else NOT_SENT)
    keyed = _compare(frozen, month_now, year_now)
    changes = {f"{period} {monthly.LABELS[key]}": v for (period, key), v in keyed.items()}
    return ReportRow(
        code,
        name,
        kind,
        frozen.month_figures,
        frozen.year_figures,
        CHANGED if changes else SENT,
        frozen,
        changes,
        keyed,
    )


def report(work: Work, year: int, month: int) -> MonthlyReportView:
    """The month's report as this station files it (a village: its own row; a town: every village in
    code order, its own committee and the total)."""
    accounts.require(work.actor, "see_cases")
    _check_month(year, month)
    this_month, to_date = live_figures(work, year, month)
    latest = _latest(work, year, month)
    names = {code: name for code, name in work.session.execute(select(Station.code, Station.name))}
    own = work.unit_code
    unit_name = work.station.name
    if not work.is_town:
        row = _row(own, unit_name, "village", latest.get(own), this_month.row(own), to_date.row(own), True)
        return MonthlyReportView(year, month, own, unit_name, False, [row], None)
    villages = set(
        work.session.scalars(
            select(Station.code).where(Station.kind == "village", Station.revoked_at.is_(None))
        )
    )
    villages |= {c for c in (*this_month.rows, *to_date.rows, *latest) if c != own}
    rows = []
    for code in sorted(villages):
        r = _row(
            code,
            names.get(code, code),
            "village",
            latest.get(code),
            this_month.row(code),
            to_date.row(code),
            False,
        )
        r.town_succeeded_month = this_month.town_succeeded.get(code, 0)
        r.town_succeeded_year = to_date.town_succeeded.get(code, 0)
        rows.append(r)
    rows.append(
        _row(own, f"{unit_name}调委会", "town", latest.get(own), this_month.row(own), to_date.row(own), True)
    )
    total = ReportRow(own, "合计", "total", monthly.empty(), monthly.empty(), "")
    for r in rows:
        total.month = monthly.add(total.month, r.month)
        total.year = monthly.add(total.year, r.year)
        total.town_succeeded_month += r.town_succeeded_month
        total.town_succeeded_year += r.town_succeeded_year
    # a case a village escalated to the town is one dispute, accepted once (in the village's row): the
    # town committee's 接收上报 is no 受理 of the 合计 (docs/mediation-statistics.md)
    total.month["received"] = total.year["received"] = 0
    return MonthlyReportView(year, month, own, unit_name, True, rows, total)
