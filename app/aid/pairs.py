"""帮扶对子: a household's 帮扶责任人 over time. Starting a pair adds a dated row; ending one (脱困,
工作调整 …) sets its end date and reason; changing the responsible cadre ends one pair and starts
another on the same day. Nothing is deleted, so who looked after the household, and when, stays
(“针对生活困难家庭脱困…等变动情况，及时调整…对子”, docs/aid.md)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select

from db.models import AidPair, User

from app import audit
from app.aid import rules
from app.aid.records import check_cadre, own_household, require_write
from app.errors import UserError
from app.lookup import require_live
from app.ownership import require_own_record
from app.work import Work


@dataclass(frozen=True)
class PairView:
    id: str
    household_id: str
    cadre_id: str
    cadre_name: str
    start_on: dt.date
    end_on: dt.date | None
    end_reason: str

    @property
    def is_open(self) -> bool:
        return self.end_on is None


def start_pair(
    work: Work, household_id: str, cadre_id: str | None, on: dt.date | None, *, today: dt.date | None = None
) -> str:
    """Pair ``cadre_id`` with the household from ``on``; returns the pair's id."""
    require_write(work)
    today = today or dt.date.today()
    household = own_household(work, household_id)
    if not cadre_id:
        raise UserError("帮扶责任人：请选择一名干部", field="cadre_id")
    check_cadre(work, cadre_id, field="cadre_id", label="帮扶责任人")
    rules.check_pair_dates(on, None, today)
    assert on is not None
    session = work.session
    already = session.scalars(
        select(AidPair.id).where(
            AidPair.household_id == household.id,
            AidPair.cadre_id == cadre_id,
            AidPair.end_on.is_(None),
            AidPair.deleted_at.is_(None),
        )
    ).first()
    if already is not None:
        raise UserError("帮扶责任人：这名干部已经是这一户的帮扶责任人", field="cadre_id")
    # once at a time: a pair of the same two that had not ended by ``on`` (the history would show the
    # cadre paired twice over the same days)
    overlapping = session.scalar(
        select(func.max(AidPair.end_on)).where(
            AidPair.household_id == household.id,
            AidPair.cadre_id == cadre_id,
            AidPair.deleted_at.is_(None),
            AidPair.end_on > on,
        )
    )
    if overlapping is not None:
        raise UserError(
            f"结对日期：这名干部与这一户的上一次结对到 {overlapping:%Y-%m-%d} 才解除，"
            "新的结对日期不能早于那一天",
            field="start_on",
        )
    pair = AidPair(household_id=household.id, cadre_id=cadre_id, start_on=on, end_reason="")
    session.add(pair)
    session.flush()
    audit.record(
        session, work.actor, "aid.pair_start", table="aid_pair", record_id=pair.id, fields=["cadre_id"]
    )
    return pair.id


def end_pair(
    work: Work, pair_id: str, on: dt.date | None, reason: str, *, today: dt.date | None = None
) -> None:
    """End the pair on ``on`` for ``reason`` (已脱困, 工作调整 …); the row stays as history."""
    require_write(work)
    today = today or dt.date.today()
    pair = require_live(work.session, AidPair, pair_id, "找不到这个帮扶对子，请刷新")
    require_own_record(work, pair, "这个帮扶对子")
    if pair.end_on is not None:
        raise UserError(f"这个帮扶对子已于 {pair.end_on:%Y-%m-%d} 解除", field="end_on")
    reason = " ".join(reason.split())
    if not reason:
        raise UserError("解除原因：请填写，如“已脱困”或“工作调整”", field="end_reason")
    if len(reason) > rules.MAX_TEXT:
        raise UserError(f"解除原因：最多 {rules.MAX_TEXT} 个字", field="end_reason")
    if on is None:
        raise UserError("解除日期：请填写", field="end_on")
    if on > today:
        raise UserError(f"解除日期：{on:%Y-%m-%d} 在今天之后", field="end_on")
    rules.check_pair_dates(pair.start_on, on, today)
    pair.end_on, pair.end_reason = on, reason
    audit.record(
        work.session,
        work.actor,
        "aid.pair_end",
        table="aid_pair",
        record_id=pair.id,
        fields=["end_on", "end_reason"],
    )


def change_pair(
    work: Work,
    pair_id: str,
    cadre_id: str | None,
    on: dt.date | None,
    reason: str = "调整帮扶责任人",
    *,
    today: dt.date | None = None,
) -> str:
    """Another 帮扶责任人 from ``on``: the pair ends that day and a new one starts (one unit of work)."""
    pair = require_live(work.session, AidPair, pair_id, "找不到这个帮扶对子，请刷新")
    if cadre_id == pair.cadre_id:
        raise UserError("帮扶责任人：请选择另一名干部", field="cadre_id")
    household_id = pair.household_id
    end_pair(work, pair_id, on, reason, today=today)
    return start_pair(work, household_id, cadre_id, on, today=today)


def pair_history(work: Work, household_id: str) -> list[PairView]:
    """The household's pairs, open and ended, oldest first."""
    rows = work.session.execute(
        select(AidPair, User.display_name)
        .join(User, User.id == AidPair.cadre_id)
        .where(AidPair.household_id == household_id, AidPair.deleted_at.is_(None))
        .order_by(AidPair.start_on, AidPair.created_at)
    ).all()
    return [
        PairView(p.id, p.household_id, p.cadre_id, name, p.start_on, p.end_on, p.end_reason)
        for p, name in rows
    ]
