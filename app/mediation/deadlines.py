"""今日待办 for mediation: every date is computed from ``today`` (a fixed clock in tests).

- 案件超过一个月未结: a case still 受理/调解中 one calendar month after acceptance (2002 MoJ rules);
  1月31日 受理 → due 2月28日 (29日 in a leap year), overdue from the day after.
- 司法确认: 30 days from the agreement's effective date (Art. 33), shown as days left; a warning
  from day 20, expired after day 30; until the parties applied or the case is archived.
- 履行期限: an agreement in 履行中 with a deadline: warning from 7 days before, overdue after.
- 回访: a planned visit, warning from 3 days before its date, overdue after.
- At a town, 上报乡镇的案件: one calendar month from the escalation to record the town's handling; a
  warning in the last 7 days, overdue after (``docs/town-todo.md``).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from db.models import Agreement, FollowUp, MediationCase, Station

from app import accounts
from app.mediation import rules
from app.todo import TodoItem
from app.work import Work

PAGE = "mediation"
PERFORMANCE_WARN_DAYS = 7
FOLLOW_UP_WARN_DAYS = 3
TOWN_WARN_DAYS = 7  # an escalated case turns yellow this many days before the town's deadline
EXPIRED_SHOWN_DAYS = 7  # an expired 司法确认 window stays on the list this long, then drops off
SUCCESS_STATES = (rules.SUCCEEDED, rules.PERFORMING, rules.PERFORMED, rules.VISITED)


def _live_cases(village_code: str | None) -> Select[MediationCase]:
    q = select(MediationCase).where(MediationCase.deleted_at.is_(None))
    if village_code:
        q = q.where(MediationCase.village_code == village_code)
    return q


def open_too_long(session: Session, today: dt.date, village_code: str | None = None) -> list[TodoItem]:
    items = []
    # Everything accepted on or after this day is within its month.
    q = _live_cases(village_code).where(
        MediationCase.state.in_(rules.OPEN_STATES), MediationCase.accepted_on < today
    )
    for case in session.scalars(q):
        due = rules.add_months(case.accepted_on, 1)
        if today > due:
            items.append(
                TodoItem(
                    "case_open_month",
                    f"{case.case_number} {case.title}：受理已超过一个月未结",
                    f"受理于 {case.accepted_on:%Y-%m-%d}，应在 {due:%Y-%m-%d} 前调结，"
                    f"已超 {(today - due).days} 天",
                    due,
                    "overdue",
                    PAGE,
                    case.id,
                )
            )
    return items


def judicial_confirmation(
    session: Session, today: dt.date, village_code: str | None = None
) -> list[TodoItem]:
    items = []
    q = (
        select(MediationCase, Agreement)
        .join(Agreement, Agreement.case_id == MediationCase.id)
        .where(
            MediationCase.deleted_at.is_(None),
            Agreement.deleted_at.is_(None),
            Agreement.kind == "书面",
            Agreement.effective_on.is_not(None),
            Agreement.effective_on <= today,
            Agreement.effective_on >= today - dt.timedelta(days=rules.JUDICIAL_DAYS + EXPIRED_SHOWN_DAYS),
            MediationCase.judicial_applied_on.is_(None),
            MediationCase.state.in_(SUCCESS_STATES),
        )
    )
    if village_code:
        q = q.where(MediationCase.village_code == village_code)
    for case, ag in session.execute(q):
        assert ag.effective_on is not None, "the query keeps agreements in effect only"
        day = (today - ag.effective_on).days
        deadline = rules.judicial_deadline(ag.effective_on)
        left = rules.JUDICIAL_DAYS - day
        if day > rules.JUDICIAL_DAYS:
            severity, title = (
                "overdue",
                f"{case.case_number}：司法确认申请期限已过（{deadline:%Y-%m-%d} 截止）",
            )
        else:
            severity = "warning" if day >= rules.JUDICIAL_WARN_FROM_DAY else "normal"
            title = (
                f"{case.case_number}：司法确认还剩 {left} 天"
                if left
                else f"{case.case_number}：今天是申请司法确认的最后一天"
            )
        items.append(
            TodoItem(
                "judicial_confirmation",
                title,
                f"{case.title}；协议 {ag.effective_on:%Y-%m-%d} 生效，当事人可在 30 日内共同申请司法确认",
                deadline,
                severity,
                PAGE,
                case.id,
            )
        )
    return items


def performance_due(session: Session, today: dt.date, village_code: str | None = None) -> list[TodoItem]:
    items = []
    q = (
        select(MediationCase, Agreement)
        .join(Agreement, Agreement.case_id == MediationCase.id)
        .where(
            MediationCase.deleted_at.is_(None),
            Agreement.deleted_at.is_(None),
            MediationCase.state == rules.PERFORMING,
            Agreement.performance_deadline.is_not(None),
            Agreement.performance_deadline <= today + dt.timedelta(days=PERFORMANCE_WARN_DAYS),
        )
    )
    if village_code:
        q = q.where(MediationCase.village_code == village_code)
    for case, ag in session.execute(q):
        deadline = ag.performance_deadline
        assert deadline is not None, "the query keeps agreements with a deadline only"
        if today > deadline:
            severity, title = "overdue", f"{case.case_number}：协议履行期限已过 {(today - deadline).days} 天"
        else:
            severity, title = (
                "warning",
                f"{case.case_number}：协议应在 {(deadline - today).days} 天内履行完毕",
            )
        items.append(
            TodoItem(
                "performance_deadline",
                title,
                f"{case.title}；履行期限 {deadline:%Y-%m-%d}，请督促履行",
                deadline,
                severity,
                PAGE,
                case.id,
            )
        )
    return items


def follow_ups_due(session: Session, today: dt.date, village_code: str | None = None) -> list[TodoItem]:
    items = []
    q = (
        select(MediationCase, FollowUp)
        .join(FollowUp, FollowUp.case_id == MediationCase.id)
        .where(
            MediationCase.deleted_at.is_(None),
            FollowUp.deleted_at.is_(None),
            FollowUp.visited_on.is_(None),
            MediationCase.state != rules.ARCHIVED,
            FollowUp.due_on.is_not(None),
            FollowUp.due_on <= today + dt.timedelta(days=FOLLOW_UP_WARN_DAYS),
        )
    )
    if village_code:
        q = q.where(MediationCase.village_code == village_code)
    for case, f in session.execute(q):
        assert f.due_on is not None, "the query keeps planned visits only"
        if today > f.due_on:
            severity, title = "overdue", f"{case.case_number}：回访已逾期 {(today - f.due_on).days} 天"
        else:
            left = (f.due_on - today).days
            severity, title = (
                "warning",
                (f"{case.case_number}：{left} 天后应回访" if left else f"{case.case_number}：今天应回访"),
            )
        items.append(
            TodoItem(
                "follow_up_due",
                title,
                f"{case.title}；协议 {f.agreement_number}，当事人 {f.parties}",
                f.due_on,
                severity,
                PAGE,
                case.id,
            )
        )
    return items


def todo_items(work: Work, today: dt.date) -> list[TodoItem]:
    """The 今日待办 provider. Cases are shown only to those who may see them."""
    session, user = work.session, work.actor
    if not accounts.can(user, "see_cases"):
        return []
    # A village sees its own cases; the town sees what villages escalated (their outcome is the town's to record).
    if work.is_town:
        return escalated_to_town(work, today)
    village_code = work.unit_code
    return (
        open_too_long(session, today, village_code)
        + judicial_confirmation(session, today, village_code)
        + performance_due(session, today, village_code)
        + follow_ups_due(session, today, village_code)
    )


def town_deadline(escalated_on: dt.date) -> dt.date:
    """The day the town should have settled a case escalated to it: one calendar month after the
    escalation (the 2002 rules' month, counted again by the town's committee from when the case reached
    it; ``docs/town-todo.md``)."""
    return rules.add_months(escalated_on, 1)


def escalated_to_town(work: Work, today: dt.date) -> list[TodoItem]:
    """Cases villages escalated to the town and it has not yet recorded its handling, by their deadline:
    overdue after it, a warning in its last :data:`TOWN_WARN_DAYS` days. The escalation day is the
    village's, but never later than the day the town imported it (a date typed ahead cannot push the
    deadline away)."""
    from app.sync.overdue import arrival_day

    session = work.session
    q = _live_cases(None).where(
        MediationCase.state == rules.ESCALATED,
        MediationCase.town_outcome.is_(None),
        MediationCase.escalated_to == "乡镇",
    )
    names = dict(
        session.execute(
            select(Station.code, Station.name).where(Station.kind == "village").order_by(Station.enrolled_at)
        ).all()
    )
    items = []
    for c in session.scalars(q):
        escalated = c.escalated_on or c.accepted_on  # (always set with the state; an old row may lack it)
        arrived = arrival_day(work, c.changed_station, c.version)
        if arrived is not None and arrived < escalated:
            escalated = arrived
        due = town_deadline(escalated)
        left = (due - today).days
        if left < 0:
            severity, when = "overdue", f"已超过处理期限 {-left} 天"
        elif left == 0:
            severity, when = "warning", "今天是处理期限"
        else:
            severity = "warning" if left <= TOWN_WARN_DAYS else "normal"
            when = f"还剩 {left} 天"
        village = names.get(c.village_code, c.village_code)
        items.append(
            TodoItem(
                "case_escalated",
                f"{village}上报：{c.case_number} {c.title}",
                f"{when}（{escalated:%Y-%m-%d} 上报，应在 {due:%Y-%m-%d} 前处理）。上报理由：{c.escalation_reason}",
                due,
                severity,
                PAGE,
                c.id,
            )
        )
    return items
