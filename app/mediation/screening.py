"""矛盾纠纷排查: screening rounds, 定期 (one per period, monthly or half-monthly) and 不定期 (any number: a
special round before a festival, after a flood). A round lists what it found as items, each with what
became of it (当场化解, 登记为案件 with the case, 移交处理 with to whom, 预防); a round with no item is a
零报告 (rounds recorded before the items existed keep their count and text)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from sqlalchemy import func, select

from db import settings
from db.models import MediationCase, Screening, ScreeningItem

from app import accounts, audit
from app.errors import UserError
from app.lookup import require_live
from app.mediation import rules
from app.work import Work

SETTING_PERIOD = "mediation.screening_period"
PERIODS = ("月", "半月")  # 每月一次 / 每半月一次


@dataclass(frozen=True)
class ItemInput:
    """A dispute a round found, as typed."""

    description: str
    disposition: str  # rules.DISPOSITIONS
    referred_to: str = ""  # 移交处理: to whom
    case_id: str | None = None  # 登记为案件: the case


@dataclass(frozen=True)
class ItemInfo:
    id: str
    seq: int
    description: str
    disposition: str
    referred_to: str
    case_id: str | None


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
    round_kind: str = "定期"
    items: tuple[ItemInfo, ...] = field(default=())

    @property
    def is_zero_report(self) -> bool:
        return self.found_count == 0


def _item(row: ScreeningItem) -> ItemInfo:
    return ItemInfo(row.id, row.seq, row.description, row.disposition, row.referred_to, row.case_id)


def _items(work: Work, screening_id: str) -> list[ScreeningItem]:
    return list(
        work.session.scalars(
            select(ScreeningItem)
            .where(ScreeningItem.screening_id == screening_id, ScreeningItem.deleted_at.is_(None))
            .order_by(ScreeningItem.seq)
        )
    )


def _info(row: Screening, items: Sequence[ScreeningItem] = ()) -> ScreeningInfo:
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
        row.round_kind,
        tuple(_item(i) for i in items),
    )


def _check_item(work: Work, item: ItemInput, n: int) -> ItemInput:
    where = f"第 {n} 项"
    description = (item.description or "").strip()
    if not description:
        raise UserError(f"{where}：请写明发现的纠纷", field="items")
    if item.disposition not in rules.DISPOSITIONS:
        raise UserError(f"{where}：处理情况请选择：{'、'.join(rules.DISPOSITIONS)}", field="items")
    referred = (item.referred_to or "").strip()
    if item.disposition == rules.REFERRED and not referred:
        raise UserError(f"{where}：移交处理的，请写明移交给谁（如“镇派出所”）", field="items")
    case_id = item.case_id or None
    if case_id is not None:
        case = require_live(work.session, MediationCase, case_id, f"{where}：找不到登记的案件")
        if case.village_code != work.unit_code:
            raise UserError(f"{where}：只能关联本村的案件", field="items")
    if item.disposition != rules.REGISTERED:
        case_id = None
    return ItemInput(
        description, item.disposition, referred if item.disposition == rules.REFERRED else "", case_id
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


DEFAULT_PLACE = "全村各村民小组"


def round_defaults(work: Work, screener: str = "") -> dict[str, str]:
    """Who screens and where, as this village's last 定期 round said (the same committee goes round the
    same groups every month): typed once. The first round: ``screener`` (the signed-in user) and
    :data:`DEFAULT_PLACE`."""
    accounts.require(work.actor, "see_cases")
    last = work.session.execute(
        select(Screening.screeners, Screening.place)
        .where(
            Screening.village_code == work.unit_code,
            Screening.round_kind == "定期",
            Screening.deleted_at.is_(None),
        )
        .order_by(Screening.round_date.desc(), Screening.id)
        .limit(1)
    ).first()
    if last is None:
        return {"screeners": screener, "place": DEFAULT_PLACE}
    return {"screeners": last.screeners or screener, "place": last.place or DEFAULT_PLACE}


def record_screening(
    work: Work,
    *,
    round_date: dt.date,
    screeners: str,
    place: str,
    found_count: int | None = None,
    findings: str = "",
    measures: str = "",
    round_kind: str = "定期",
    items: Sequence[ItemInput] = (),
) -> ScreeningInfo:
    """One round. With ``items``, the number found is their number; without, ``found_count`` (0, or no
    item: a 零报告, which counts as a round). One 定期 round per period; 不定期 rounds as many as needed."""
    accounts.require(work.actor, "see_cases")
    if round_kind not in rules.ROUND_KINDS:
        raise UserError("排查类型请选择“定期”或“不定期”", field="round_kind")
    checked = [_check_item(work, item, n) for n, item in enumerate(items, start=1)]
    if checked:
        if found_count not in (None, len(checked)):
            raise UserError(
                f"发现纠纷数（{found_count}）与登记的事项数（{len(checked)}）不一致", field="found_count"
            )
        found_count = len(checked)
        findings = findings or "；".join(i.description for i in checked)
    found_count = found_count or 0
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
    clash = (
        work.session.scalars(
            select(Screening).where(
                Screening.village_code == village_code,
                Screening.period_label == label,
                Screening.round_kind == "定期",
                Screening.deleted_at.is_(None),
            )
        ).first()
        if round_kind == "定期"
        else None
    )
    if clash is not None:
        raise UserError(
            f"{label}已经有一次定期排查（{clash.round_date:%Y-%m-%d}），请修改那一次；"
            "节前、汛后等专项排查请选“不定期”",
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
        round_kind=round_kind,
    )
    work.session.add(row)
    work.session.flush()
    made = []
    for n, item in enumerate(checked, start=1):
        made.append(
            ScreeningItem(
                village_code=village_code,
                screening_id=row.id,
                seq=n,
                description=item.description,
                disposition=item.disposition,
                referred_to=item.referred_to,
                case_id=item.case_id,
            )
        )
    work.session.add_all(made)
    work.session.flush()
    audit.record(
        work.session, work.actor, "screening.add", table="screening", record_id=row.id, fields=["found_count"]
    )
    return _info(row, made)


def add_item(work: Work, screening_id: str, item: ItemInput) -> ScreeningInfo:
    """One more dispute found by a round (the round's count follows its items)."""
    accounts.require(work.actor, "see_cases")
    row = require_live(work.session, Screening, screening_id, "找不到这次排查记录")
    if row.village_code != work.unit_code:
        raise UserError("只能修改本村的排查记录")
    items = _items(work, screening_id)
    checked = _check_item(work, item, len(items) + 1)
    seq = (
        work.session.scalar(select(func.max(ScreeningItem.seq)).where(ScreeningItem.screening_id == row.id))
        or 0
    ) + 1
    new = ScreeningItem(
        village_code=row.village_code,
        screening_id=row.id,
        seq=seq,
        description=checked.description,
        disposition=checked.disposition,
        referred_to=checked.referred_to,
        case_id=checked.case_id,
    )
    work.session.add(new)
    items.append(new)
    row.found_count = max(row.found_count, len(items))
    if row.findings.startswith("本期未发现矛盾纠纷"):
        row.findings = checked.description
    work.session.flush()
    audit.record(
        work.session,
        work.actor,
        "screening.item",
        table="screening_item",
        record_id=new.id,
        fields=["disposition"],
    )
    return _info(row, items)


def link_case(work: Work, item_id: str, case_id: str, *, screening_id: str) -> None:
    """A found dispute registered as a case: the item points to it."""
    item = require_live(work.session, ScreeningItem, item_id, "找不到这个排查发现的事项")
    if item.screening_id != screening_id:
        raise UserError("这个事项不是这次排查发现的", field="item_id")
    if item.village_code != work.unit_code:
        raise UserError("只能修改本村的排查记录")
    item.disposition, item.case_id, item.referred_to = rules.REGISTERED, case_id, ""


def screening_detail(work: Work, screening_id: str) -> ScreeningInfo:
    accounts.require(work.actor, "see_cases")
    row = require_live(work.session, Screening, screening_id, "找不到这次排查记录")
    return _info(row, _items(work, screening_id))


def list_screenings(work: Work, *, year: int | None = None) -> list[ScreeningInfo]:
    q = select(Screening).where(Screening.deleted_at.is_(None))
    if year is not None:
        q = q.where(
            Screening.round_date >= dt.date(year, 1, 1), Screening.round_date <= dt.date(year, 12, 31)
        )
    return [_info(r) for r in work.session.scalars(q.order_by(Screening.round_date.desc()))]
