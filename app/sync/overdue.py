"""上报包逾期的村: at a town, the villages it has heard nothing from for too long (今日待办).

A village's last bundle is dated by the day the village wrote it, but never later than the day the town
imported it: a village laptop whose clock runs ahead cannot hide that it has gone quiet. A village that
never sent one counts from the day the town enrolled it. Revoked stations are left out (a village whose
laptop was replaced counts from its new station's enrollment, or its newest bundle of either). Overdue:
more than :func:`app.preferences.bundle_overdue_days` days (a town preference, default 35) since then.
Definition and reasons: ``docs/town-todo.md``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from db.models import ReceivedBundle, Station

from app import accounts, preferences
from app.todo import TodoItem
from app.work import Work

PAGE = "sync"


def local_day(moment: dt.datetime) -> dt.date:
    """A stored UTC time as the local calendar day."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone().date()


def arrival_day(work: Work, changed_station: str, version: int) -> dt.date | None:
    """The day this station imported the bundle that brought a record's current version (None when it was
    not brought by a bundle): a date a village typed on the record cannot be later than this at the town."""
    imported = work.session.scalar(
        select(ReceivedBundle.imported_at)
        .where(
            ReceivedBundle.sender_station == changed_station,
            ReceivedBundle.counter_from <= version,
            ReceivedBundle.counter_to >= version,
        )
        .order_by(ReceivedBundle.imported_at)
        .limit(1)
    )
    return local_day(imported) if imported is not None else None


@dataclass(frozen=True)
class QuietVillage:
    station_id: str  # the active station (the 上报与同步 board's row)
    code: str
    name: str
    since: dt.date  # the last bundle's day, or the enrollment day when none came
    last_seq: int | None  # the newest bundle's number, None when none came
    days: int  # today − since


def quiet_villages(work: Work, today: dt.date, limit_days: int | None = None) -> list[QuietVillage]:
    """Enrolled, not revoked villages with no bundle for more than ``limit_days`` days (the town's
    preference when not given), the longest silent first."""
    if not work.is_town:
        return []
    session = work.session
    limit = preferences.bundle_overdue_days(work) if limit_days is None else limit_days
    stations = list(
        session.scalars(
            select(Station)
            .where(Station.is_local.is_(False), Station.kind == "village")
            .order_by(Station.code, Station.enrolled_at)
        )
    )
    by_code: dict[str, list[Station]] = {}
    for st in stations:
        by_code.setdefault(st.code, []).append(st)
    newest: dict[str, tuple[dt.date, int]] = {}
    ids = {st.id: st.code for st in stations}
    if ids:
        rows = session.execute(
            select(
                ReceivedBundle.sender_station,
                ReceivedBundle.seq,
                ReceivedBundle.created_at,
                ReceivedBundle.imported_at,
            ).where(ReceivedBundle.sender_station.in_(list(ids)))
        )
        for sender, number, written, imported in rows:
            day = local_day(min(written, imported))
            code = ids[sender]
            if code not in newest or (day, number) > newest[code]:
                newest[code] = (day, number)
    out = []
    for code, members in by_code.items():
        active = [st for st in members if st.revoked_at is None]
        if not active:
            continue  # every laptop of this village revoked: nothing to wait for until a new one is enrolled
        station = active[-1]
        enrolled = min(local_day(st.enrolled_at or st.created_at) for st in active)
        last = newest.get(code)
        # a bundle older than the active laptop's enrollment came from a revoked one: count from the enrollment
        since: dt.date = enrolled
        seq: int | None = None
        if last and last[0] >= enrolled:
            since, seq = last
        days = (today - since).days
        if days > limit:
            out.append(QuietVillage(station.id, code, station.name, since, seq, days))
    return sorted(out, key=lambda q: (q.since, q.code))


def todo_items(work: Work, today: dt.date) -> list[TodoItem]:
    """The 今日待办 provider (town only, for those who handle 上报与同步)."""
    if not work.is_town or not accounts.can(work.actor, "sync"):
        return []
    limit = preferences.bundle_overdue_days(work)
    items = []
    for q in quiet_villages(work, today, limit):
        if q.last_seq is None:
            detail = f"{q.since:%Y-%m-%d} 登记后还没有收到上报包（已 {q.days} 天）"
        else:
            detail = f"最近一包是第 {q.last_seq} 号（{q.since:%Y-%m-%d}），已 {q.days} 天没有新包"
        items.append(
            TodoItem(
                "bundle_overdue",
                f"{q.name}：{q.days} 天没有上报包",
                f"{detail}；超过 {limit} 天算逾期，请联系村里送 U 盘",
                q.since + dt.timedelta(days=limit),
                "overdue",
                PAGE,
                q.station_id,
            )
        )
    return items
