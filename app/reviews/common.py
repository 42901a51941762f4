"""两评's periods and shared rules: a month ``2026-11``, a half-year ``2026H1``, who may do what.

A month is a ``datetime.date``, the month's first day; a half-year is ``2026H1`` (1 January – 30 June)
or ``2026H2`` (1 July – 31 December). Nothing here scores or ranks a cadre (docs/reviews.md).
"""

from __future__ import annotations

import datetime as dt
import re

from app.accounts import can
from app.codes import to_halfwidth
from app.errors import UserError
from app.ownership import period_problem
from app.work import Work

# the word a 驻村干部's 职务 carries (驻村干部, 驻村第一书记, 驻村工作队员): the cadres the ballots are for
RESIDENT_CADRE_WORD = "驻村"
_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")


def parse_month(text: str, *, field: str = "month") -> dt.date:
    """``2026-11`` → 2026-11-01, or a Chinese refusal naming the field."""
    m = _MONTH.match((text or "").strip())
    if not m or not 2000 <= int(m.group(1)) <= 2100 or not 1 <= int(m.group(2)) <= 12:
        raise UserError(f"月份“{text}”应写成 2026-11 这样的年-月", field=field)
    return dt.date(int(m.group(1)), int(m.group(2)), 1)


def month_key(month: dt.date) -> str:
    return f"{month.year}-{month.month:02d}"


def month_label(month: dt.date) -> str:
    return f"{month.year}年{month.month}月"


def key_label(key: str) -> str:
    """A stored month ``2026-11`` as the screen says it: 2026年11月."""
    return month_label(parse_month(key))


def month_end(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)


def parse_period(text: str, *, field: str = "period") -> str:
    """``2026H1`` / ``2026h2`` → ``2026H1``, or a Chinese refusal naming the field."""
    period = to_halfwidth(text or "").strip().upper()  # ２０２４Ｈ１ typed with a Chinese IME is 2024H1
    problem = period_problem(period)
    if problem:
        raise UserError(f"{problem}（填的是“{text}”）", field=field)
    return period


def period_dates(period: str) -> tuple[dt.date, dt.date]:
    year = int(period[:4])
    if period.endswith("H1"):
        return dt.date(year, 1, 1), dt.date(year, 6, 30)
    return dt.date(year, 7, 1), dt.date(year, 12, 31)


def period_label(period: str) -> str:
    return f"{period[:4]}年{'上' if period.endswith('H1') else '下'}半年"


def period_of(day: dt.date) -> str:
    return f"{day.year}H{1 if day.month <= 6 else 2}"


def last_period(today: dt.date) -> str:
    """The half-year that ended last (the one residents evaluate now)."""
    if today.month <= 6:
        return f"{today.year - 1}H2"
    return f"{today.year}H1"


def require_town(work: Work, what: str) -> None:
    if not work.is_town:
        raise UserError(f"{what}由乡镇工作站办理，村工作站只能查看乡镇下发的决定")


def require_village(work: Work, what: str) -> None:
    if work.is_town:
        raise UserError(f"{what}在村工作站录入（评议票在村里发放和收回），乡镇只能查看")


def require_reviews(work: Work) -> None:
    """Recording meetings, decisions and tallies: an administrator or town staff."""
    if not can(work.actor, "manage_reviews"):
        raise UserError("您的账号没有这项权限：点评会和群众评议由管理员或乡镇工作人员录入")


def pinyin_key(name: str) -> tuple[str, str]:
    """Alphabetical order of a name (by its pinyin, then the characters): never by a result."""
    from app.pinyin import sort_key

    return sort_key(name), name or ""
