"""调解统计 for any period; the definitions are written down in docs/mediation-statistics.md.

Screenings count by their round date. Cases count by their **acceptance date** (a cohort): of the
cases accepted in the period, how many succeeded, failed or are still being mediated, as of now.
So 受理 = 调解成功 + 调解不成 + 在调 + 上报, and the success rate never exceeds 100 %.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import ColumnElement, case, func, select
from sqlalchemy.orm import InstrumentedAttribute

from db.models import Agreement, MediationCase, Screening

from app.mediation import rules
from app.work import Work


@dataclass
class Prevented:
    cases: int = 0  # 件
    people: int = 0  # 人


@dataclass
class MediationStats:
    date_from: dt.date | None
    date_to: dt.date | None
    screenings: int = 0  # 排查次数
    found: int = 0  # 排查发现纠纷数
    zero_reports: int = 0  # 零报告次数
    accepted: int = 0  # 受理
    succeeded: int = 0  # 调解成功
    failed: int = 0  # 调解不成 (incl. 终止)
    in_progress: int = 0  # 在调
    escalated: int = 0  # 上报
    rejected: int = 0  # 不予受理 (not part of 受理)
    amount_fen: int = 0  # 协议涉及金额
    by_type: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    prevented_criminal: Prevented = field(default_factory=Prevented)  # 防止民转刑
    prevented_petition: Prevented = field(default_factory=Prevented)  # 防止群体性上访
    prevented_suicide: Prevented = field(default_factory=Prevented)  # 防止因纠纷引起自杀

    @property
    def success_rate(self) -> Decimal | None:
        """调解成功 / 受理 × 100, two decimals (half up); None when nothing was accepted."""
        if not self.accepted:
            return None
        return (Decimal(self.succeeded) * 100 / Decimal(self.accepted)).quantize(
            Decimal("0.01"), ROUND_HALF_UP
        )

    @property
    def amount(self) -> Decimal:
        return (Decimal(self.amount_fen) / 100).quantize(Decimal("0.01"))

    def as_json(self) -> dict[str, Any]:
        """Exactly the keys of the CLI (``cases stats --json``)."""
        rate = self.success_rate
        return {
            "screenings": self.screenings,
            "found": self.found,
            "zero_reports": self.zero_reports,
            "accepted": self.accepted,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "in_progress": self.in_progress,
            "success_rate": float(rate) if rate is not None else None,
            "amount": float(self.amount),
            "by_type": self.by_type,
            "by_source": self.by_source,
        }

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows for the printed and Excel statistics."""
        rate = self.success_rate
        p = self
        return [
            ("排查次数", str(p.screenings)),
            ("排查发现纠纷数", str(p.found)),
            ("零报告次数", str(p.zero_reports)),
            ("受理", str(p.accepted)),
            ("调解成功", str(p.succeeded)),
            ("调解不成", str(p.failed)),
            ("在调", str(p.in_progress)),
            ("上报", str(p.escalated)),
            ("不予受理", str(p.rejected)),
            ("调解成功率", f"{rate}%" if rate is not None else "—（本期无受理）"),
            ("协议涉及金额（元）", f"{p.amount:,.2f}"),
            ("防止民转刑", f"{p.prevented_criminal.cases} 件 {p.prevented_criminal.people} 人"),
            ("防止群体性上访", f"{p.prevented_petition.cases} 件 {p.prevented_petition.people} 人"),
            ("防止因纠纷引起自杀", f"{p.prevented_suicide.cases} 件 {p.prevented_suicide.people} 人"),
        ]


def _between(
    column: InstrumentedAttribute[dt.date], date_from: dt.date | None, date_to: dt.date | None
) -> list[ColumnElement[bool]]:
    cond: list[ColumnElement[bool]] = []
    if date_from is not None:
        cond.append(column >= date_from)
    if date_to is not None:
        cond.append(column <= date_to)
    return cond


def compute(
    work: Work,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    village_code: str | None = None,
) -> MediationStats:
    """Figures for ``date_from``..``date_to`` (both inclusive; either may be open)."""
    session = work.session
    s = MediationStats(date_from, date_to)
    sq = select(
        func.count(),
        func.coalesce(func.sum(Screening.found_count), 0),
        func.coalesce(func.sum(case((Screening.found_count == 0, 1), else_=0)), 0),
    ).where(Screening.deleted_at.is_(None), *_between(Screening.round_date, date_from, date_to))
    if village_code:
        sq = sq.where(Screening.village_code == village_code)
    s.screenings, s.found, s.zero_reports = session.execute(sq).one()

    cohort = [MediationCase.deleted_at.is_(None), *_between(MediationCase.accepted_on, date_from, date_to)]
    if village_code:
        cohort.append(MediationCase.village_code == village_code)
    accepted = [*cohort, func.coalesce(MediationCase.outcome, "") != "不予受理"]
    s.rejected = (
        session.scalar(
            select(func.count())
            .select_from(MediationCase)
            .where(*cohort, MediationCase.outcome == "不予受理")
        )
        or 0
    )
    for outcome, n in session.execute(
        select(MediationCase.outcome, func.count()).where(*accepted).group_by(MediationCase.outcome)
    ):
        s.accepted += n
        if outcome == "成功":
            s.succeeded += n
        elif outcome in ("不成", "终止"):
            s.failed += n
        elif outcome == "上报":
            s.escalated += n
        else:
            s.in_progress += n
    s.by_type = {
        t: n
        for t, n in session.execute(
            select(MediationCase.dispute_type, func.count())
            .where(*accepted)
            .group_by(MediationCase.dispute_type)
            .order_by(func.count().desc(), MediationCase.dispute_type)
        )
    }
    order = {name: i for i, name in enumerate(rules.SOURCES)}
    by_source = dict(
        session.execute(
            select(MediationCase.source, func.count()).where(*accepted).group_by(MediationCase.source)
        ).all()
    )
    s.by_source = dict(sorted(by_source.items(), key=lambda kv: order.get(kv[0], 99)))
    succeeded = [*accepted, MediationCase.outcome == "成功"]
    s.amount_fen = (
        session.scalar(
            select(func.coalesce(func.sum(Agreement.amount_fen), 0))
            .join(MediationCase, MediationCase.id == Agreement.case_id)
            .where(*succeeded, Agreement.deleted_at.is_(None))
        )
        or 0
    )
    row = session.execute(
        select(
            func.coalesce(func.sum(case((MediationCase.risk_criminal, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((MediationCase.risk_criminal, MediationCase.risk_criminal_people), else_=0)), 0
            ),
            func.coalesce(func.sum(case((MediationCase.risk_petition, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((MediationCase.risk_petition, MediationCase.risk_petition_people), else_=0)), 0
            ),
            func.coalesce(func.sum(case((MediationCase.risk_suicide, 1), else_=0)), 0),
            func.coalesce(
                func.sum(case((MediationCase.risk_suicide, MediationCase.risk_suicide_people), else_=0)), 0
            ),
        ).where(*succeeded)
    ).one()
    s.prevented_criminal = Prevented(row[0], row[1])
    s.prevented_petition = Prevented(row[2], row[3])
    s.prevented_suicide = Prevented(row[4], row[5])
    return s
