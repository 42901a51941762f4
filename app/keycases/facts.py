"""The month's 包案 facts of one village for the town's 点评会 pack (issue 18, 两评): counts only, never a
ranking. ``在办`` is the 包案 open at the month's end (opened by then, not 已销号 by then; 申请销号 ones
included, and also counted under ``申请销号`` when the application was pending at the month's end)."""

from __future__ import annotations

import calendar
import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from db.models import KeyCase, KeyCaseTransition

from app.keycases.cases import CLOSING


def _month_end(month: dt.date) -> tuple[dt.date, dt.date]:
    first = month.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def month_facts(session: Session, village_code: str, month: dt.date) -> dict[str, int]:
    """``在办`` (open at the month's end), ``申请销号`` (of those, awaiting approval then), ``本月新立``,
    ``本月销号`` (closed within the month)."""
    first, last = _month_end(month)
    opened = session.execute(
        select(KeyCase.id, KeyCase.opened_on, KeyCase.closed_on).where(
            KeyCase.village_code == village_code, KeyCase.deleted_at.is_(None), KeyCase.opened_on <= last
        )
    ).all()
    open_ids = [rid for rid, _o, closed in opened if closed is None or closed > last]
    closing = 0
    if open_ids:
        state_at: dict[str, str] = {}
        for start in range(0, len(open_ids), 500):
            for case_id, to_state in session.execute(
                select(KeyCaseTransition.keycase_id, KeyCaseTransition.to_state)
                .where(
                    KeyCaseTransition.keycase_id.in_(open_ids[start : start + 500]),
                    KeyCaseTransition.deleted_at.is_(None),
                    KeyCaseTransition.on_date <= last,
                )
                .order_by(KeyCaseTransition.on_date, KeyCaseTransition.created_at)
            ):
                state_at[case_id] = to_state
        closing = sum(1 for s in state_at.values() if s == CLOSING)
    return {
        "在办": len(open_ids),
        "申请销号": closing,
        "本月新立": sum(1 for _r, o, _c in opened if o >= first),
        "本月销号": sum(1 for _r, _o, c in opened if c is not None and first <= c <= last),
    }


__all__ = ["month_facts"]
