"""两评's own line of the 点评会 pack (a :data:`app.reviews.pack.PACK_FACTS` entry): how the decisions of
the previous month's meeting addressed to the village stand. Facts, not a score."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db.models import ReviewDecision

from app.reviews.common import month_end, month_key


def month_facts(session: Session, village_code: str, month: dt.date) -> dict[str, int]:
    """The decisions of the meeting that reviewed the month before ``month``: how many, how many the
    village reported done by the end of ``month``, and how many are still open."""
    before = (month.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    last_day = month_end(month)
    total, done = session.execute(
        select(
            func.count(),
            func.count().filter(ReviewDecision.done_on.is_not(None), ReviewDecision.done_on <= last_day),
        ).where(
            ReviewDecision.village_code == village_code,
            ReviewDecision.month == month_key(before),
            ReviewDecision.deleted_at.is_(None),
        )
    ).one()
    if not total:
        return {}
    return {"决定（项）": int(total), "已报落实": int(done), "尚未落实": int(total) - int(done)}
