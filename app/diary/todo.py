"""今日待办 from the diary: must-visit events, overdue visits, demands due, the town's replies to
referred demands and closed demands still without the resident's 点评 (the provider named in
:data:`app.todo.TODO_PROVIDERS`). At a town: the demands villages referred to it, by office."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select, text

from db import vocab
from db.models import Demand, Household
from db.queries.diary import ReferralRow, referral_rows

from app.diary.demands import CLOSED, OPEN, TOWN_REPLIED
from app.diary.visits import open_must_visits, overdue_summary
from app.todo import TodoItem
from app.work import Work

MAX_OVERDUE_ITEMS = 15
FEEDBACK_DAYS = 30  # a closed demand is offered for 点评 this long after its closing


def town_items(work: Work, today: dt.date) -> list[TodoItem]:
    """At the town: one line per office with the demands villages referred to it and it has not yet
    answered, oldest first (the town holds no households of its own: no visit reminders)."""
    if work.actor is None:
        return []
    by_office: dict[str, list[ReferralRow]] = {}
    for r in referral_rows(work.session, statuses=(vocab.REFERRED,)):
        by_office.setdefault(r.office, []).append(r)
    items = []
    for office in vocab.TOWN_OFFICES:
        rows = by_office.get(office)
        if not rows:
            continue
        oldest = min((r.referred_on for r in rows if r.referred_on), default=None)
        villages = "、".join(dict.fromkeys(r.village_name for r in rows))
        waited = (today - oldest).days if oldest else 0
        items.append(
            TodoItem(
                "demand_referred",
                f"{office}：村里上报的诉求 {len(rows)} 条待答复",
                f"{villages}；最早 {oldest:%Y-%m-%d} 上报" if oldest else villages,
                oldest,
                "overdue" if waited > 15 else ("warning" if waited > 5 else "normal"),
                "diary",
                f"office:{office}",
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
                f"{ev.group_name} {ev.occurred_on:%m月%d日}发生。{ev.note}".strip(),
                ev.due_on,
                severity,
                "diary",
                ev.household_id,
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
                o.household_id,
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
    for d, head in work.session.execute(q).all()[:MAX_OVERDUE_ITEMS]:
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
            f"{d.closed_on:%m月%d日}办结，下次走访时请群众点评（满意 / 基本满意 / 不满意）",
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
            )
        )
    return items
