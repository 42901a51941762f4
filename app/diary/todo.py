"""今日待办 from the diary: must-visit events, overdue visits and demands due (the provider named in
:data:`app.todo.TODO_PROVIDERS`)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from db.models import Demand, Household

from app.diary.demands import OPEN
from app.diary.visits import open_must_visits, overdue_households
from app.todo import TodoItem
from app.work import Work

MAX_OVERDUE_ITEMS = 15


def todo_items(work: Work, today: dt.date) -> list[TodoItem]:
    """Must-visit events and overdue visits of the user's households, and demands due that the user
    handles. The administrator sees must-visits of households without a contact cadre and one line
    per cadre with overdue households (a reminder of who to call, not a ranking)."""
    session, user = work.session, work.actor
    if user is None:
        return []
    items: list[TodoItem] = []
    is_admin = "admin" in user.role_set
    # A cadre reads only their own events and households; the administrator reads every household
    # once (their own list and the per-cadre counts come out of the same pass).
    for ev in open_must_visits(work, cadre_id=None if is_admin else user.id):
        if ev.cadre_id != user.id and not (is_admin and ev.cadre_id is None):
            continue
        severity = "overdue" if ev.due_on < today else "warning"
        items.append(
            TodoItem(
                "must_visit",
                f"必访：{ev.head_name}家（{ev.kind_label}）",
                f"{ev.group_name} {ev.occurred_on:%m月%d日}发生。{ev.note}".strip(),
                ev.due_on,
                severity,
                "diary",
                ev.household_id,
            )
        )
    every = overdue_households(work, today) if is_admin else []
    overdue = (
        [o for o in every if o.cadre_id == user.id]
        if is_admin
        else overdue_households(work, today, cadre_id=user.id)
    )
    for o in overdue[:MAX_OVERDUE_ITEMS]:
        last = f"上次走访 {o.last_visit:%Y-%m-%d}" if o.last_visit else "还没有走访记录"
        items.append(
            TodoItem(
                "overdue_visit",
                f"该走访了：{o.head_name}家（{o.group_name}）",
                f"{last}，按每 {o.interval_months} 个月走访一次",
                o.due_on,
                "normal",
                "diary",
                o.household_id,
            )
        )
    if len(overdue) > MAX_OVERDUE_ITEMS:
        items.append(
            TodoItem(
                "overdue_visit",
                f"另有 {len(overdue) - MAX_OVERDUE_ITEMS} 户到了走访时间",
                "在民情日记页按户查看",
                None,
                "normal",
                "diary",
            )
        )
    if is_admin:
        per_cadre: dict[tuple[str, str], int] = {}
        for o in every:
            if o.cadre_id and o.cadre_id != user.id:
                per_cadre[(o.cadre_id, o.cadre_name)] = per_cadre.get((o.cadre_id, o.cadre_name), 0) + 1
            elif not o.cadre_id:
                per_cadre[("", "（未分配联系干部）")] = per_cadre.get(("", "（未分配联系干部）"), 0) + 1
        for (cid, name), n in sorted(per_cadre.items(), key=lambda kv: kv[0][1]):
            items.append(
                TodoItem(
                    "overdue_visit",
                    f"{name} 联系的 {n} 户到了走访时间",
                    "提醒走访，不作考核排名",
                    None,
                    "normal",
                    "diary",
                    cid or None,
                )
            )
    soon = today + dt.timedelta(days=3)
    due = session.execute(
        select(Demand, Household.head_name)
        .join(Household, Household.id == Demand.household_id, isouter=True)
        .where(
            Demand.deleted_at.is_(None),
            Demand.status == OPEN,
            Demand.responsible_id == user.id,
            Demand.due_on.is_not(None),
            Demand.due_on <= soon,
        )
        .order_by(Demand.due_on)
    ).all()
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
    if len(due) > MAX_OVERDUE_ITEMS:
        items.append(
            TodoItem(
                "demand_due",
                f"另有 {len(due) - MAX_OVERDUE_ITEMS} 条诉求到了答复期限",
                "在民情台账里勾选“只看逾期”查看",
                None,
                "warning",
                "diary",
            )
        )
    return items
