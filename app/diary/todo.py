"""今日待办 from the diary: must-visit events, overdue visits, demands due, the town's replies to
referred demands and closed demands still without the resident's 点评 (the provider named in
:data:`app.todo.TODO_PROVIDERS`). Each item names exactly what it opens (``ui.diary.page.DiaryPage.show_record``):
``household:<id>`` the diary of that household, ``cadre:<id>`` that cadre's entries, a demand's id the
demand, ``office:<科室>`` the town's list of one office. At a town: the demands villages referred to it, by office."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, func, select, text

from db import vocab
from db.models import Demand, Household
from db.queries.diary import oldest_referrals

from app.dates import cn_month_day
from app.diary.demands import CLOSED, OPEN, TOWN_REPLIED
from app.diary.visits import open_must_visits, overdue_summary
from app.todo import TodoItem
from app.work import Work

MAX_OVERDUE_ITEMS = 15
FEEDBACK_DAYS = 30  # a closed demand is offered for 点评 this long after its closing
MAX_REFERRED_PER_OFFICE = 10  # the town's 今日待办 lists this many per office, then "另有 N 条"
TOWN_REPLY_DAYS = 15  # the town's own target for answering a referred demand (not a law)
TOWN_REPLY_WARN_DAYS = 5


def town_items(work: Work, today: dt.date) -> list[TodoItem]:
    """At the town: the demands villages referred to it and it has not yet answered, one line each under
    its office (``TodoItem.group``), oldest first, at most :data:`MAX_REFERRED_PER_OFFICE` per office and
    then a line opening that office's list. Each is due :data:`TOWN_REPLY_DAYS` days after its referral
    (yellow after :data:`TOWN_REPLY_WARN_DAYS`; ``docs/town-todo.md``). The town holds no households of
    its own: no visit reminders."""
    if work.actor is None:
        return []
    from app.sync.overdue import arrival_day

    by_office, waiting = oldest_referrals(
        work.session, status=vocab.REFERRED, per_office=MAX_REFERRED_PER_OFFICE
    )
    shown = [r.id for rows in by_office.values() for r in rows]
    arrival: dict[str, dt.date | None] = {}
    for demand_id, station, version in work.session.execute(
        select(Demand.id, Demand.changed_station, Demand.version).where(Demand.id.in_(shown))
    ):
        arrival[demand_id] = arrival_day(work, station, version)
    # the ones not listed that have waited too long, so that the heading counts them all (it said 80 of 313)
    late_unshown = dict(
        work.session.execute(
            select(Demand.referred_office, func.count())
            .where(
                Demand.deleted_at.is_(None),
                Demand.status == vocab.REFERRED,
                Demand.referred_on < today - dt.timedelta(days=TOWN_REPLY_DAYS),
                Demand.id.not_in(shown),
            )
            .group_by(Demand.referred_office)
        ).all()
    )
    items = []
    for office in vocab.TOWN_OFFICES:
        rows = by_office.get(office, [])
        for r in rows:
            referred = r.referred_on
            arrived = arrival.get(r.id)
            if referred is not None and arrived is not None and arrived < referred:
                referred = arrived  # a date typed ahead by the village cannot shorten the town's wait
            waited = (today - referred).days if referred else 0
            due = referred + dt.timedelta(days=TOWN_REPLY_DAYS) if referred else None
            who = f"{r.village_name} {r.household}".strip()
            items.append(
                TodoItem(
                    "demand_referred",
                    f"{who}：{r.content[:24]}",
                    f"{r.referred_on:%Y-%m-%d} {r.referred_by}上报，已等 {waited} 天。{r.note}"
                    if r.referred_on
                    else r.note,
                    due,
                    "overdue"
                    if waited > TOWN_REPLY_DAYS
                    else ("warning" if waited > TOWN_REPLY_WARN_DAYS else "normal"),
                    "diary",
                    f"referral:{r.id}",
                    office,
                )
            )
        more = waiting.get(office, 0) - len(rows)
        if more > 0:
            late = late_unshown.get(office, 0)
            items.append(
                TodoItem(
                    "demand_referred",
                    f"另有 {more} 条上报{office}的诉求待答复" + (f"（其中 {late} 条已逾期）" if late else ""),
                    "打开这个科室的全部上报诉求",
                    None,
                    "normal",
                    "diary",
                    f"office:{office}",
                    office,
                    count=more,
                    overdue_count=late,
                )
            )
    return items


def todo_items(work: Work, today: dt.date) -> list[TodoItem]:
    """Must-visit events and overdue visits of the user's households, and demands due that the user
    handles. The administrator sees must-visits of households without a contact cadre and one line
    per cadre with overdue households (a reminder of who to call, not a ranking)."""
    session, user = work.session, work.actor
    if user is None:
        return []
    if work.is_town:
        return town_items(work, today)
    items: list[TodoItem] = []
    is_admin = "admin" in user.role_set
    # A cadre reads only their own events and households; the administrator reads every household
    # once (their own list and the per-cadre counts come out of the same pass).
    for ev in open_must_visits(work, cadre_id=user.id, unassigned_too=is_admin):
        if ev.cadre_id != user.id and not (is_admin and ev.cadre_id is None):
            continue
        severity = "overdue" if ev.due_on < today else "warning"
        items.append(
            TodoItem(
                "must_visit",
                f"必访：{ev.head_name}家（{ev.kind_label}）",
                f"{ev.group_name} {cn_month_day(ev.occurred_on)}发生。{ev.note}".strip(),
                ev.due_on,
                severity,
                "diary",
                f"household:{ev.household_id}",
            )
        )
    # The counts per cadre and the user's first few, from the stored visit state (not the diary).
    summary = overdue_summary(
        work, today, first_of=user.id, limit=MAX_OVERDUE_ITEMS, cadre_id=None if is_admin else user.id
    )
    for o in summary.first:
        last = f"上次走访 {o.last_visit:%Y-%m-%d}" if o.last_visit else "还没有走访记录"
        items.append(
            TodoItem(
                "overdue_visit",
                f"该走访了：{o.head_name}家（{o.group_name}）",
                f"{last}，按每 {o.interval_months} 个月走访一次",
                o.due_on,
                "normal",
                "diary",
                f"household:{o.household_id}",
            )
        )
    mine = summary.per_cadre.get(user.id, 0)
    if mine > MAX_OVERDUE_ITEMS:
        items.append(
            TodoItem(
                "overdue_visit",
                f"另有 {mine - MAX_OVERDUE_ITEMS} 户到了走访时间",
                "在民情日记页按户查看",
                None,
                "normal",
                "diary",
                count=mine - MAX_OVERDUE_ITEMS,
            )
        )
    if is_admin:
        per_cadre: dict[tuple[str, str], int] = {}
        for cid, n in summary.per_cadre.items():
            if cid and cid != user.id:
                key = (cid, summary.cadre_names.get(cid, ""))
            elif not cid:
                key = ("", "（未分配联系干部）")
            else:
                continue
            per_cadre[key] = per_cadre.get(key, 0) + n
        for (cid, name), n in sorted(per_cadre.items(), key=lambda kv: kv[0][1]):
            items.append(
                TodoItem(
                    "overdue_visit",
                    f"{name} 联系的 {n} 户到了走访时间",
                    "提醒走访，不作考核排名",
                    None,
                    "normal",
                    "diary",
                    f"cadre:{cid}" if cid else None,
                )
            )
    soon = today + dt.timedelta(days=3)
    due = session.execute(due_demands_query(user.id, soon)).all()
    for d, head in due[:MAX_OVERDUE_ITEMS]:
        assert d.due_on is not None, "the query asks only for demands with a due date"
        severity = "overdue" if d.due_on < today else "warning"
        items.append(
            TodoItem(
                "demand_due",
                f"诉求待答复：{head or ''} {d.content[:24]}",
                f"{d.category}，期限 {d.due_on:%Y-%m-%d}",
                d.due_on,
                severity,
                "diary",
                d.id,
            )
        )
    items.extend(_town_replies(work, is_admin))
    items.extend(_feedback_wanted(work, today, is_admin))
    if len(due) > MAX_OVERDUE_ITEMS:
        items.append(
            TodoItem(
                "demand_due",
                f"另有 {len(due) - MAX_OVERDUE_ITEMS} 条诉求到了答复期限",
                "在民情台账里勾选“只看逾期”查看",
                None,
                "warning",
                "diary",
                count=len(due) - MAX_OVERDUE_ITEMS,
            )
        )
    return items


def _town_replies(work: Work, is_admin: bool) -> list[TodoItem]:
    """The town answered a demand the village referred: answer the resident (the responsible cadre's;
    the administrator sees every one)."""
    assert work.actor is not None, "checked by the caller"
    q = (
        select(Demand, Household.head_name)
        .join(Household, Household.id == Demand.household_id, isouter=True)
        .where(Demand.deleted_at.is_(None), Demand.status == TOWN_REPLIED)
        .order_by(Demand.town_replied_on, Demand.id)
    )
    if not is_admin:
        q = q.where(Demand.responsible_id == work.actor.id)
    items = []
    rows = work.session.execute(q).all()
    for d, head in rows[:MAX_OVERDUE_ITEMS]:
        what = f"已转报{d.town_forwarded_to}" if d.town_reply_kind == vocab.TOWN_FORWARDED else "乡镇已答复"
        items.append(
            TodoItem(
                "demand_town_replied",
                f"{what}，请答复群众：{head or ''} {d.content[:20]}",
                f"{d.referred_office}：{d.town_reply[:40]}",
                d.town_replied_on,
                "warning",
                "diary",
                d.id,
            )
        )
    if len(rows) > MAX_OVERDUE_ITEMS:  # (the rest are not dropped without a word)
        more = len(rows) - MAX_OVERDUE_ITEMS
        items.append(
            TodoItem(
                "demand_town_replied",
                f"另有 {more} 条乡镇已答复的诉求等着答复群众",
                "在民情台账里按办理状态“乡镇已答复”查看",
                None,
                "warning",
                "diary",
                count=more,
            )
        )
    return items


def _feedback_wanted(work: Work, today: dt.date, is_admin: bool) -> list[TodoItem]:
    """Demands closed in the last 30 days without the resident's 点评: ask at the next visit."""
    assert work.actor is not None, "checked by the caller"
    # the few closed lately without 点评, from their partial index (migration 0015) by name: the planner,
    # left alone, walks every closed demand by status
    mine = "" if is_admin else "AND responsible_id = :me "
    ids = list(
        work.session.scalars(
            text(
                "SELECT id FROM demand INDEXED BY ix_demand_closed_without_feedback "
                f"WHERE status = '{CLOSED}' AND feedback_verdict IS NULL AND deleted_at IS NULL "
                f"AND closed_on >= :since {mine}ORDER BY closed_on, id"
            ),
            {"since": (today - dt.timedelta(days=FEEDBACK_DAYS)).isoformat()}
            | ({} if is_admin else {"me": work.actor.id}),
        )
    )
    total = len(ids)
    rows = work.session.execute(
        select(Demand, Household.head_name)
        .join(Household, Household.id == Demand.household_id, isouter=True)
        .where(Demand.id.in_(ids[:MAX_OVERDUE_ITEMS]))
        .order_by(Demand.closed_on, Demand.id)
    ).all()
    items = [
        TodoItem(
            "demand_feedback",
            f"请群众点评：{head or ''} {d.content[:20]}",
            f"{cn_month_day(d.closed_on)}办结，下次走访时请群众点评（满意 / 基本满意 / 不满意）",
            None,
            "normal",
            "diary",
            d.id,
        )
        for d, head in rows
    ]
    if total > MAX_OVERDUE_ITEMS:
        items.append(
            TodoItem(
                "demand_feedback",
                f"另有 {total - MAX_OVERDUE_ITEMS} 条办结的诉求还没有群众点评",
                "在民情台账里选“已办结”查看，点评在“群众点评…”里记",
                None,
                "normal",
                "diary",
                count=total - MAX_OVERDUE_ITEMS,
            )
        )
    return items


def due_demands_query(user_id: str, soon: dt.date) -> Select[Demand, str]:
    """The user's open demands due by ``soon``, soonest first, with their households' heads. Walked
    through the user's own demands (``ix_demand_responsible_id``): the planner took the status index,
    which reads every open demand of the village, 18 000 at 100 000 households, for 0.19 s of the
    今日待办 of an administrator responsible for none. The status is compared as ``status || ''``, which
    no index serves, so that the planner takes the user's (the busiest cadre's 12 600 read no slower)."""
    return (
        select(Demand, Household.head_name)
        .join(Household, Household.id == Demand.household_id, isouter=True)
        .where(
            Demand.deleted_at.is_(None),
            Demand.status.concat("") == OPEN,
            Demand.responsible_id == user_id,
            Demand.due_on.is_not(None),
            Demand.due_on <= soon,
        )
        .order_by(Demand.due_on)
    )
