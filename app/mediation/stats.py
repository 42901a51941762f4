"""调解统计 for any period; the definitions are written down in docs/mediation-statistics.md.

The work done in the period (:mod:`app.mediation.monthly`), not a cohort: 受理 counts the cases accepted
in the period; 调解成功 / 不成 / 终止 the cases concluded in it, whenever accepted; 在调 the cases still open
at its end. The success rate is 调解成功 ÷ cases concluded in the period.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from app.mediation import monthly, rules
from app.mediation.frozen import ReportRow
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
    received: int = 0  # 接收上报: at the town committee's own row, the cases villages escalated to it
    succeeded: int = 0  # 调解成功
    failed: int = 0  # 调解不成
    terminated: int = 0  # 终止调解
    in_progress: int = 0  # 在调
    escalated: int = 0  # 上报
    rejected: int = 0  # 不予受理 (not part of 受理)
    amount_fen: int = 0  # 协议涉及金额
    by_type: dict[str, int] = field(default_factory=dict)
    by_source: dict[str, int] = field(default_factory=dict)
    prevented_criminal: Prevented = field(default_factory=Prevented)  # 防止民转刑
    prevented_petition: Prevented = field(default_factory=Prevented)  # 防止群体性上访
    prevented_suicide: Prevented = field(default_factory=Prevented)  # 防止因纠纷引起自杀
    prevented_fight: Prevented = field(default_factory=Prevented)  # 防止群体性械斗
    prevented: int = 0  # 预防纠纷 (排查发现事项 marked 预防)
    figures: dict[str, int] = field(default_factory=dict)  # the standard layout's keys (monthly.KEYS)
    # Shown from a frozen monthly report (app.mediation.frozen): which one, and the figures the station
    # holds now where they differ from it (key → now); empty when the figures are the live ones.
    frozen_label: str = ""
    live_now: dict[str, int] = field(default_factory=dict)

    def cell(self, key: str) -> str:
        """A figure as a table shows it: "6（现 7）" when the frozen report's figure differs from now."""
        value = self.figures.get(key, 0)
        return f"{value}（现 {self.live_now[key]}）" if key in self.live_now else str(value)

    @property
    def concluded(self) -> int:
        return self.succeeded + self.failed + self.terminated

    @property
    def success_rate(self) -> Decimal | None:
        """调解成功 ÷ cases concluded in the period × 100, two decimals (half up); None when none concluded."""
        return monthly.success_rate(
            {"succeeded": self.succeeded, "failed": self.failed, "terminated": self.terminated}
        )

    @property
    def success_rate_of_accepted(self) -> Decimal | None:
        """调解成功 ÷ 受理 × 100 (the seed's way, for a whole year); None when nothing was accepted."""
        return monthly.success_rate_of_accepted(
            {"succeeded": self.succeeded, "accepted": self.accepted, "received": self.received}
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
            "terminated": self.terminated,
            "concluded": self.concluded,
            "in_progress": self.in_progress,
            "escalated": self.escalated,
            "rejected": self.rejected,
            "success_rate": float(rate) if rate is not None else None,
            "success_rate_of_accepted": float(r2)
            if (r2 := self.success_rate_of_accepted) is not None
            else None,
            "amount": float(self.amount),
            "by_type": self.by_type,
            "by_source": self.by_source,
        }

    def lines(self) -> list[tuple[str, str]]:
        """(label, value) rows for the printed and Excel statistics."""
        rate = self.success_rate
        p = self
        source = []
        if p.frozen_label:
            source.append(("数字来源", p.frozen_label))
            if p.live_now:
                changed = "；".join(
                    f"{monthly.LABELS[k]} {monthly.value_text(k, p.figures.get(k, 0))}→{monthly.value_text(k, v)}"
                    for k, v in p.live_now.items()
                )
                source.append(("生成后有变动（报表数→现有数）", changed))
        return source + [
            ("排查次数", str(p.screenings)),
            ("排查发现纠纷数", str(p.found)),
            ("零报告次数", str(p.zero_reports)),
            ("受理", str(p.accepted)),
            *([("接收村上报", str(p.received))] if p.received else []),
            ("调解成功", str(p.succeeded)),
            ("调解不成", str(p.failed)),
            ("终止调解", str(p.terminated)),
            ("在调（期末）", str(p.in_progress)),
            ("上报", str(p.escalated)),
            ("不予受理", str(p.rejected)),
            ("调解成功率（成功÷结案）", f"{rate}%" if rate is not None else "—（本期无结案）"),
            ("成功÷受理", monthly.rate_text(p.success_rate_of_accepted)),
            ("协议涉及金额（元）", f"{p.amount:,.2f}"),
            ("预防纠纷", str(p.prevented)),
            ("防止民间纠纷引起自杀", f"{p.prevented_suicide.cases} 件 {p.prevented_suicide.people} 人"),
            ("防止转化为刑事案件", f"{p.prevented_criminal.cases} 件 {p.prevented_criminal.people} 人"),
            ("防止群体性上访", f"{p.prevented_petition.cases} 件 {p.prevented_petition.people} 人"),
            ("防止群体性械斗", f"{p.prevented_fight.cases} 件 {p.prevented_fight.people} 人"),
        ]


def compute(
    work: Work,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
    *,
    village_code: str | None = None,
) -> MediationStats:
    """Figures for ``date_from``..``date_to`` (both inclusive; either may be open): one village's
    (``village_code``), or all this station holds; at a town, the town committee's handling of the
    escalated cases is part of the whole (and of ``village_code`` = the town's own code)."""
    town_code = work.unit_code if work.is_town and village_code in (None, work.unit_code) else None
    codes = [village_code] if village_code else None
    c = monthly.compute(work.session, date_from, date_to, codes=codes, town_code=town_code)
    s = from_figures(c.total(), date_from, date_to, whole_town=work.is_town and not village_code)
    types: dict[str, int] = dict.fromkeys(rules.NATIONAL_TYPES, 0)
    sources: dict[str, int] = {}
    for raw in c.raw_types.values():
        for k, v in raw.items():
            types[k] = types.get(k, 0) + v
    for raw in c.raw_sources.values():
        for k, v in raw.items():
            sources[k] = sources.get(k, 0) + v
    s.by_type = types
    order = {name: i for i, name in enumerate(rules.SOURCES)}
    s.by_source = dict(sorted(sources.items(), key=lambda kv: order.get(kv[0], 99)))
    return s


def from_figures(
    f: monthly.Figures, date_from: dt.date | None, date_to: dt.date | None, *, whole_town: bool = False
) -> MediationStats:
    """The statistics of a committee's figures in the standard layout (live or from a frozen report).
    ``whole_town``: the figures of every committee of a town, where an escalated case is accepted once
    (the village's 受理) and the town committee's 接收上报 is no figure of its own. Types and sources are
    the standard layout's (15 national types, the official three sources)."""
    s = MediationStats(date_from, date_to, figures=dict(f))
    s.screenings, s.found, s.zero_reports = f["screenings"], f["found"], f["zero_reports"]
    s.accepted, s.succeeded, s.failed, s.terminated = (
        f["accepted"],
        f["succeeded"],
        f["failed"],
        f["terminated"],
    )
    # the whole town counts each escalated dispute once, as the village's 受理: no 接收上报 of its own
    s.received = 0 if whole_town else f.get("received", 0)
    if whole_town:
        s.figures["received"] = 0
    s.in_progress, s.escalated, s.rejected = f["in_progress"], f["escalated"], f["rejected"]
    s.amount_fen, s.prevented = f["amount_fen"], f["prevented"]
    s.prevented_criminal = Prevented(f["prevent_criminal"], f["prevent_criminal_people"])
    s.prevented_petition = Prevented(f["prevent_petition"], f["prevent_petition_people"])
    s.prevented_suicide = Prevented(f["prevent_suicide"], f["prevent_suicide_people"])
    s.prevented_fight = Prevented(f["prevent_fight"], f["prevent_fight_people"])
    s.by_type = {t: f.get(f"type:{t}", 0) for t in rules.NATIONAL_TYPES}
    s.by_source = {src: f.get(f"source:{src}", 0) for src in rules.OFFICIAL_SOURCES}
    return s


def from_frozen_report(
    row: ReportRow, date_from: dt.date, date_to: dt.date, *, whole_town: bool = False
) -> MediationStats:
    """A row of the monthly report (:func:`app.mediation.frozen.report`) as statistics: the frozen figures
    where the committee generated its report (marked, with the figures that differ now), else the live
    ones, exactly as the 人民调解月报 shows them."""
    s = from_figures(row.month, date_from, date_to, whole_town=whole_town)
    if row.frozen is not None:
        s.frozen_label = f"{row.frozen.year}年{row.frozen.month}月报表 {row.frozen.label}"
    elif row.kind == "total":
        s.frozen_label = "人民调解月报的合计（已生成报表的村取报表数字）"
    s.live_now = {key: now for (period, key), (_was, now) in row.changed_keys.items() if period == "本月"}
    return s
