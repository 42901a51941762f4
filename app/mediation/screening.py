"""矛盾纠纷排查: screening rounds, monthly or half-monthly; a round that found nothing is a 零报告."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from db import settings
from db.models import Screening

from app import accounts, audit
from app.errors import UserError
from app.work import Work

SETTING_PERIOD = "mediation.screening_period"
PERIODS = ("月", "半月")  # 每月一次 / 每半月一次


@dataclass(frozen=True)
class ScreeningInfo:
    id: str
    round_date: dt.date
    period_kind: str
    period_label: str
    screeners: str
    place: str
    found_count: int
    findings: str
    measures: str

    @property
    def is_zero_report(self) -> bool:
        return self.found_count == 0


def _info(row: Screening) -> ScreeningInfo:
    return ScreeningInfo(
        row.id,
        row.round_date,
        row.period_kind,
        row.period_label,
        row.screeners,
        row.place,
        row.found_count,
        row.findings,
        row.measures,
    )


def screening_period(work: Work) -> str:
    period: str = settings.get(work.session, SETTING_PERIOD, "月")
    return period


def set_screening_period(work: Work, period: str) -> None:
    accounts.require(work.actor, "see_cases")
    if period not in PERIODS:
        raise UserError("排查周期请选择“月”（每月一次）或“半月”（每半月一次）", field="period")
    settings.put(work.session, SETTING_PERIOD, period)


def period_label(day: dt.date, period: str) -> str:
    """2026年11月, or 2026年11月上半月 / 下半月 (the 16th starts the second half)."""
    if period == "半月":
        return f"{day.year}年{day.month}月{'上' if day.day <= 15 else '下'}半月"
    return f"{day.year}年{day.month}月"


def record_screening(
    work: Work,
    *,
    round_date: dt.date,
    screeners: str,
    place: str,
    found_count: int,
    findings: str = "",
    measures: str = "",
) -> ScreeningInfo:
    """One round. ``found_count`` 0 is a 零报告 (it counts as a round). One round per period."""
    accounts.require(work.actor, "see_cases")
    if found_count < 0:
        raise UserError("发现纠纷数不能为负数", field="found_count")
    if not (screeners or "").strip():
        raise UserError("请填写排查人", field="screeners")
    if not (place or "").strip():
        raise UserError("请填写排查地点或范围（如“全村一至六组”）", field="place")
    if found_count > 0 and not (findings or "").strip():
        raise UserError("发现了纠纷，请简要写明发现的情况", field="findings")
    period = screening_period(work)
    label = period_label(round_date, period)
    village_code = work.unit_code
    clash = work.session.scalars(
        select(Screening).where(
            Screening.village_code == village_code,
            Screening.period_label == label,
            Screening.deleted_at.is_(None),
        )
    ).first()
    if clash is not None:
        raise UserError(
            f"{label}已经有一次排查记录（{clash.round_date:%Y-%m-%d}），请修改那一次而不是重复登记",
            field="round_date",
        )
    row = Screening(
        village_code=village_code,
        round_date=round_date,
        period_kind=period,
        period_label=label,
        screeners=screeners.strip(),
        place=place.strip(),
        found_count=found_count,
        findings=(findings or "").strip() or ("本期未发现矛盾纠纷（零报告）" if found_count == 0 else ""),
        measures=(measures or "").strip(),
    )
    work.session.add(row)
    work.session.flush()
    audit.record(
        work.session, work.actor, "screening.add", table="screening", record_id=row.id, fields=["found_count"]
    )
    return _info(row)


def list_screenings(work: Work, *, year: int | None = None) -> list[ScreeningInfo]:
    q = select(Screening).where(Screening.deleted_at.is_(None))
    if year is not None:
        q = q.where(
            Screening.round_date >= dt.date(year, 1, 1), Screening.round_date <= dt.date(year, 12, 31)
        )
    return [_info(r) for r in work.session.scalars(q.order_by(Screening.round_date.desc()))]
