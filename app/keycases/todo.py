"""今日待办 of a 包案领导: the 包案 they lead with no contact within the interval (a local setting,
:data:`app.keycases.cases.DEFAULT_CONTACT_DAYS` days unless changed). A contact is a diary entry linked
to the 包案 or one that met its household. A reminder for the leader, never a score (docs/keycases.md)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select

from db.models import DiaryEntry, DiaryParticipant, Household, KeyCase, KeyCaseLink, KeyCaseMember

from app.dates import cn_date
from app.keycases import cases
from app.todo import TodoItem
from app.work import Work


def last_contacts(work: Work, case_ids: list[str]) -> dict[str, dt.date]:
    """包案 id → the day of the latest diary entry linked to it or meeting its household."""
    session = work.session
    out: dict[str, dt.date] = {}

    def note(case_id: str, at: dt.datetime | None) -> None:
        if at is not None and (case_id not in out or at.date() > out[case_id]):
            out[case_id] = at.date()

    for start in range(0, len(case_ids), 500):
        chunk = case_ids[start : start + 500]
        for case_id, at in session.execute(
            select(KeyCaseLink.keycase_id, func.max(DiaryEntry.occurred_at))
            .join(DiaryEntry, DiaryEntry.id == KeyCaseLink.target_id)
            .where(
                KeyCaseLink.keycase_id.in_(chunk),
                KeyCaseLink.target_table == "diary_entry",
                KeyCaseLink.deleted_at.is_(None),
                DiaryEntry.deleted_at.is_(None),
            )
            .group_by(KeyCaseLink.keycase_id)
        ):
            note(case_id, at)
        for case_id, at in session.execute(
            select(KeyCase.id, func.max(DiaryEntry.occurred_at))
            .join(DiaryParticipant, DiaryParticipant.household_id == KeyCase.household_id)
            .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
            .where(
                KeyCase.id.in_(chunk),
                DiaryParticipant.deleted_at.is_(None),
                DiaryEntry.deleted_at.is_(None),
            )
            .group_by(KeyCase.id)
        ):
            note(case_id, at)
    return out


def todo_items(work: Work, today: dt.date) -> list[TodoItem]:
    if work.actor is None or not cases.may_see(work):
        return []
    session = work.session
    led = session.execute(
        select(KeyCase, Household.head_name)
        .join(KeyCaseMember, KeyCaseMember.keycase_id == KeyCase.id)
        .join(Household, Household.id == KeyCase.household_id)
        .where(
            KeyCaseMember.user_id == work.actor.id,
            KeyCaseMember.role == cases.LEADER,
            KeyCaseMember.until_on.is_(None),
            KeyCaseMember.deleted_at.is_(None),
            KeyCase.deleted_at.is_(None),
            KeyCase.state != cases.CLOSED,
        )
    ).all()
    if not led:
        return []
    days = cases.contact_days(work)
    limit = today - dt.timedelta(days=days)
    contacts = last_contacts(work, [kc.id for kc, _n in led])
    items = []
    for kc, head in led:
        last = contacts.get(kc.id)
        since = last or kc.opened_on
        if since > limit:
            continue
        waited = (today - since).days
        detail = (
            f"上次联系 {cn_date(last)}，已 {waited} 天"
            if last
            else f"{cn_date(kc.opened_on)}开立以来没有联系记录"
        )
        items.append(
            TodoItem(
                kind="keycase_no_contact",
                title=f"包案久未联系：{head}户 {kc.title}",
                detail=f"{detail}（间隔 {days} 天）",
                due=since + dt.timedelta(days=days),
                severity="warning",
                page="keycases",
                record_id=kc.id,
            )
        )
    return items
