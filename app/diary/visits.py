"""Visits: must-visit events (必访) and what closes them, the visit rhythm (走访周期) and its
settings, last visits, households overdue for a visit, and a household's timeline. Reminders,
never scores."""

from __future__ import annotations

import calendar
import datetime as dt
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Select, case, column, func, literal, or_, select, table
from sqlalchemy.orm import Session

from db import settings, vocab
from db.models import (
    Acknowledgement,
    CadreAssignment,
    DiaryEntry,
    DiaryParticipant,
    Household,
    HouseholdTag,
    MustVisitEvent,
    User,
)

from app import accounts, audit
from app.diary.acknowledgement import SIGNED_METHODS
from app.diary.common import clean, require_writer
from app.diary.entries import HOME_VISIT
from app.errors import UserError
from app.lookup import require_live
from app.work import Work

# -- vocabularies ----------------------------------------------------------------------------------
MUST_VISIT_KINDS = vocab.MUST_VISIT_KINDS  # 住院, 老人去世 …: stored as they read

# Days from the event to the visit's due date, by kind (a family in grief or disaster first).
MUST_VISIT_DAYS = {
    "住院": 7,
    "老人去世": 3,
    "家庭纠纷": 3,
    "意外灾害": 3,
    "子女辍学或待业": 14,
    "其他": 7,
}

RHYTHM_SETTING = "diary.visit_rhythm"
DEFAULT_RHYTHM = {"tags": {"困难户": 3, "特困": 3, "低保": 3, "五保": 3, "上访户": 3}, "ordinary": 6}


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's end (11-30 + 3 → 02-28, or 02-29 in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- settings --------------------------------------------------------------------------------------
def visit_rhythm(work: Work) -> dict[str, Any]:
    """{"tags": {tag: months}, "ordinary": months}; a household with several tags takes the shortest."""
    return _rhythm(work.session)


def _rhythm(session: Session) -> dict[str, Any]:
    stored = settings.get(session, RHYTHM_SETTING, None)
    rhythm: dict[str, Any] = stored if stored else json.loads(json.dumps(DEFAULT_RHYTHM))
    return rhythm


def set_visit_rhythm(work: Work, rhythm: dict[str, Any]) -> dict[str, Any]:
    session, actor = work.session, work.actor
    accounts.require(actor, "manage_diary_settings")
    tags = {}
    for tag, months in (rhythm.get("tags") or {}).items():
        if not isinstance(months, int) or not 1 <= months <= 24:
            raise UserError(f"“{tag}”的走访周期请填 1 到 24 个月", field=f"rhythm:{tag}")
        tags[str(tag).strip()] = months
    ordinary = rhythm.get("ordinary")
    if not isinstance(ordinary, int) or not 1 <= ordinary <= 24:
        raise UserError("普通户的走访周期请填 1 到 24 个月", field="rhythm:ordinary")
    value = {"tags": tags, "ordinary": ordinary}
    settings.put(session, RHYTHM_SETTING, value)
    audit.record(session, actor, "diary.rhythm.set", fields=["tags", "ordinary"])
    return value


# -- must-visit events (必访) ------------------------------------------------------------------------
@dataclass(frozen=True)
class MustVisitInfo:
    id: str
    household_id: str
    head_name: str
    group_name: str
    kind: str
    occurred_on: dt.date
    due_on: dt.date
    note: str
    cadre_id: str | None
    closed_by_entry_id: str | None
    closed_on: dt.date | None

    @property
    def kind_label(self) -> str:
        return self.kind


def contact_cadre_id(session: Session, household_id: str) -> str | None:
    return session.scalars(
        select(CadreAssignment.cadre_id)
        .where(
            CadreAssignment.household_id == household_id,
            CadreAssignment.role == vocab.CONTACT_CADRE,
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
        .order_by(CadreAssignment.start_on.desc())
    ).first()


def record_must_visit(
    work: Work,
    household_id: str,
    kind: str,
    occurred_on: dt.date,
    *,
    note: str = "",
    due_on: dt.date | None = None,
    today: dt.date | None = None,
) -> MustVisitInfo:
    session, actor = work.session, work.actor
    require_writer(actor)
    today = today or dt.date.today()
    household = require_live(
        session, Household, household_id, "请先选择这件事发生在哪一户", field="household"
    )
    if kind not in MUST_VISIT_KINDS:
        raise UserError("请选择必访事件的类别", field="kind")
    if occurred_on is None or occurred_on > today:
        raise UserError("事件日期不能晚于今天", field="occurred_on")
    due_on = due_on or occurred_on + dt.timedelta(days=MUST_VISIT_DAYS[kind])
    if due_on < occurred_on:
        raise UserError("走访期限不能早于事件日期", field="due_on")
    if kind == vocab.OTHER_EVENT and not clean(note):
        raise UserError("类别为“其他”时请简单写明是什么事", field="note")
    row = MustVisitEvent(
        household_id=household_id,
        kind=kind,
        occurred_on=occurred_on,
        due_on=due_on,
        note=clean(note),
        cadre_id=contact_cadre_id(session, household_id),
    )
    session.add(row)
    session.flush()
    # A visit already made since the event counts.
    visit = session.scalars(_visits_since(household_id, occurred_on).order_by(DiaryEntry.occurred_at)).first()
    if visit is not None:
        row.closed_by_entry_id, row.closed_on = visit.id, visit.occurred_at.date()
    audit.record(
        session, actor, "must_visit.add", table="must_visit_event", record_id=row.id, fields=["kind"]
    )
    return _must_visit_info(row, household)


def _visits_since(household_id: str, since: dt.date) -> Select[DiaryEntry]:
    return (
        select(DiaryEntry)
        .join(DiaryParticipant, DiaryParticipant.entry_id == DiaryEntry.id)
        .where(
            DiaryParticipant.household_id == household_id,
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.kind == HOME_VISIT,
            DiaryEntry.occurred_at >= dt.datetime.combine(since, dt.time()),
        )
    )


def _must_visit_info(ev: MustVisitEvent, h: Household) -> MustVisitInfo:
    return MustVisitInfo(
        ev.id,
        ev.household_id,
        h.head_name,
        h.group_name,
        ev.kind,
        ev.occurred_on,
        ev.due_on,
        ev.note,
        ev.cadre_id,
        ev.closed_by_entry_id,
        ev.closed_on,
    )


def open_must_visits(
    work: Work, *, cadre_id: str | None = None, unassigned_too: bool = False
) -> list[MustVisitInfo]:
    """Events with no home visit to the household since they happened (whoever recorded the visit,
    on whichever station: an entry that arrived in a bundle closes it too)."""
    session = work.session
    # a home visit on or after the event's day: the household's stored last home visit (its day) is
    # not before it (db/diary_derived.py; a deleted household has none, and its events are not shown)
    visit = table("derived_household_visit", column("household_id"), column("last_visit"))
    q = (
        select(MustVisitEvent, Household)
        .join(Household, Household.id == MustVisitEvent.household_id)
        .join(visit, visit.c.household_id == MustVisitEvent.household_id)
        .where(
            MustVisitEvent.deleted_at.is_(None),
            MustVisitEvent.closed_by_entry_id.is_(None),
            func.coalesce(visit.c.last_visit, "") < func.date(MustVisitEvent.occurred_on),
        )
        .order_by(MustVisitEvent.due_on, Household.head_name)
    )
    if cadre_id and unassigned_too:  # (the administrator's: their own and those of no cadre)
        q = q.where(or_(MustVisitEvent.cadre_id == cadre_id, MustVisitEvent.cadre_id.is_(None)))
    elif cadre_id:
        q = q.where(MustVisitEvent.cadre_id == cadre_id)
    return [_must_visit_info(ev, h) for ev, h in session.execute(q)]


def household_must_visits(work: Work, household_id: str) -> list[MustVisitInfo]:
    return _household_must_visits(work.session, household_id)


def _household_must_visits(session: Session, household_id: str) -> list[MustVisitInfo]:
    h = session.get(Household, household_id)
    if h is None:  # no such household, so no events of it (a foreign key)
        return []
    rows = session.scalars(
        select(MustVisitEvent)
        .where(MustVisitEvent.household_id == household_id, MustVisitEvent.deleted_at.is_(None))
        .order_by(MustVisitEvent.occurred_on.desc())
    )
    return [_must_visit_info(ev, h) for ev in rows]


# -- visit rhythm, last visits, timeline -----------------------------------------------------------
@dataclass(frozen=True)
class OverdueHousehold:
    household_id: str
    head_name: str
    group_name: str
    cadre_id: str | None
    cadre_name: str
    tags: tuple[str, ...]
    interval_months: int
    last_visit: dt.date | None
    due_on: dt.date

    def days_overdue(self, today: dt.date) -> int:
        return (today - self.due_on).days


def _last_visits_query(household_ids: Iterable[str] | None = None) -> Select[str, dt.datetime]:
    q = (
        select(DiaryParticipant.household_id, func.max(DiaryEntry.occurred_at))
        .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
        .where(
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.kind == HOME_VISIT,
        )
        .group_by(DiaryParticipant.household_id)
    )
    if household_ids is not None:
        q = q.where(DiaryParticipant.household_id.in_(household_ids))
    return q


def last_visited(work: Work, household_id: str) -> dt.datetime | None:
    """Time of the latest home visit (入户走访) to the household, by anyone."""
    row = work.session.execute(_last_visits_query([household_id])).first()
    return row[1] if row else None


def interval_for(tags: Iterable[str], rhythm: dict[str, Any]) -> int:
    months: list[int] = [rhythm["tags"][t] for t in tags if t in rhythm["tags"]]
    if months:
        return min(months)
    ordinary: int = rhythm["ordinary"]
    return ordinary


def visit_threshold(today: dt.date, months: int) -> dt.date:
    """The first day ``s`` whose next visit ``add_months(s, months)`` is not before ``today``: a household
    whose rhythm counts from a day before it is overdue (``add_months`` never decreases, so that is a
    plain comparison SQL can make)."""
    day = add_months(today, -months) - dt.timedelta(days=4)
    while add_months(day, months) < today:
        day += dt.timedelta(days=1)
    return day


@dataclass(frozen=True)
class _Overdue:
    household_id: str
    cadre_id: str | None
    interval_months: int
    last_visit: dt.date | None
    due_on: dt.date


def _overdue_rows(session: Session, today: dt.date, cadre_id: str | None) -> list[_Overdue]:
    """The overdue households (:func:`_overdue_query`), one :class:`_Overdue` each."""
    return [_overdue(row) for row in _overdue_query(session, today, cadre_id)]


def _overdue(row: Any) -> _Overdue:
    hid, cid, months, last, since = row
    last_visit = dt.date.fromisoformat(last) if last else None
    return _Overdue(hid, cid, int(months), last_visit, add_months(dt.date.fromisoformat(since), int(months)))


def _overdue_query(session: Session, today: dt.date, cadre_id: str | None) -> Iterator[Any]:
    """The overdue households (one row each, with their current contact cadre), from the stored visit
    state (``derived_household_visit``, db/diary_derived.py: each live household's last home visit, and the
    day its rhythm counts from) — never from the diary itself. The interval comes from the household's
    tags (the shortest), the comparison with ``today`` from :func:`visit_threshold` per interval."""
    rhythm = _rhythm(session)
    tag_months: dict[str, int] = {str(t): int(m) for t, m in rhythm["tags"].items()}
    ordinary = int(rhythm["ordinary"])
    visit = table("derived_household_visit", column("household_id"), column("last_visit"), column("since"))
    contact = (
        select(CadreAssignment.household_id, CadreAssignment.cadre_id)
        .where(
            CadreAssignment.role == vocab.CONTACT_CADRE,
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
        .subquery()
    )
    interval: ColumnElement[Any] = literal(ordinary)
    if tag_months:
        tagged = (
            select(
                HouseholdTag.household_id,
                func.min(case(tag_months, value=HouseholdTag.tag)).label("months"),
            )
            .where(HouseholdTag.deleted_at.is_(None), HouseholdTag.tag.in_(list(tag_months)))
            .group_by(HouseholdTag.household_id)
            .subquery()
        )
        interval = func.coalesce(tagged.c.months, ordinary)
    months_used = {ordinary, *tag_months.values()}
    thresholds = {m: visit_threshold(today, m).isoformat() for m in sorted(months_used)}
    threshold = case(thresholds, value=interval)
    q = (
        select(visit.c.household_id, contact.c.cadre_id, interval, visit.c.last_visit, visit.c.since)
        .select_from(visit)
        .join(contact, contact.c.household_id == visit.c.household_id, isouter=cadre_id is None)
        # the loosest threshold first: a plain comparison on the stored row, so the tags and cadre of
        # households visited lately are never looked up
        .where(visit.c.since < max(thresholds.values()), visit.c.since < threshold)
    )
    if tag_months:
        q = q.join(tagged, tagged.c.household_id == visit.c.household_id, isouter=True)
    if cadre_id:
        q = q.where(contact.c.cadre_id == cadre_id)
    seen = set()
    # rows (household, cadre, months, last visit, since), fetched as they come, not all at once
    for row in session.execute(q, execution_options={"yield_per": 1000}):
        if row[0] in seen:  # two current contact cadres (a data error): the household once
            continue
        seen.add(row[0])
        yield row


def _complete(session: Session, rows: list[_Overdue]) -> list[OverdueHousehold]:
    """The reminders of ``rows`` with the household's head, group, tags and cadre's name."""
    ids = [r.household_id for r in rows]
    names: dict[str, tuple[str, str]] = {}
    tags: dict[str, list[str]] = {}
    cadres: dict[str, str] = {}
    for chunk in (ids[i : i + 500] for i in range(0, len(ids), 500)):
        for hid, head, group in session.execute(
            select(Household.id, Household.head_name, Household.group_name).where(Household.id.in_(chunk))
        ):
            names[hid] = (head, group)
        for hid, tag in session.execute(
            select(HouseholdTag.household_id, HouseholdTag.tag).where(
                HouseholdTag.household_id.in_(chunk), HouseholdTag.deleted_at.is_(None)
            )
        ):
            tags.setdefault(hid, []).append(tag)
    cadre_ids = {r.cadre_id for r in rows if r.cadre_id}
    if cadre_ids:
        cadres = dict(session.execute(select(User.id, User.display_name).where(User.id.in_(cadre_ids))).all())
    out = []
    for r in rows:
        head, group = names.get(r.household_id, ("", ""))
        out.append(
            OverdueHousehold(
                r.household_id,
                head,
                group,
                r.cadre_id,
                cadres.get(r.cadre_id, "") if r.cadre_id else "",
                tuple(sorted(tags.get(r.household_id, ()))),
                r.interval_months,
                r.last_visit,
                r.due_on,
            )
        )
    out.sort(key=lambda o: (o.due_on, o.head_name))
    return out


def overdue_households(work: Work, today: dt.date, *, cadre_id: str | None = None) -> list[OverdueHousehold]:
    """Households whose next visit by the rhythm fell due before ``today``, with their contact cadre.

    Due = last home visit + the interval in months (never visited: counted from when the household
    was entered). Most overdue first. A reminder list: no counts per cadre, no ranking.
    With ``cadre_id``, only that cadre's households are read.
    """
    return _complete(work.session, _overdue_rows(work.session, today, cadre_id))


@dataclass(frozen=True)
class OverdueSummary:
    """What 今日待办 shows of the overdue visits: how many per contact cadre (``None``: no contact cadre,
    with the cadres' names), and the first few of one cadre's, most overdue first."""

    per_cadre: dict[str | None, int]
    cadre_names: dict[str, str]
    first: list[OverdueHousehold]

    @property
    def total(self) -> int:
        return sum(self.per_cadre.values())


def overdue_summary(
    work: Work, today: dt.date, *, first_of: str, limit: int, cadre_id: str | None = None
) -> OverdueSummary:
    """The counts of :func:`overdue_households` per contact cadre (only ``cadre_id``'s with it) and the
    first ``limit`` of ``first_of``'s households in its order; names and tags are read for those only."""
    session = work.session
    per_cadre: dict[str | None, int] = {}
    mine = []
    # counted as the rows come: at 100 000 households about 19 000 are overdue, and only first_of's
    # become objects (a list of them all was 13 MB at its peak, kept by the window's memory after)
    for row in _overdue_query(session, today, cadre_id):
        per_cadre[row[1]] = per_cadre.get(row[1], 0) + 1
        if row[1] == first_of:
            mine.append(_overdue(row))
    mine.sort(key=lambda r: r.due_on)
    if len(mine) > limit:  # those due no later than the last shown (ties go by the head's name)
        mine = [r for r in mine if r.due_on <= mine[limit - 1].due_on]
    first = _complete(session, mine)[:limit]
    ids = [c for c in per_cadre if c]
    names = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all()) if ids else {}
    )
    return OverdueSummary(per_cadre, names, first)


@dataclass(frozen=True)
class TimelineItem:
    when: dt.datetime
    kind: str  # "entry" | "must_visit"
    title: str
    detail: str
    record_id: str
    acknowledged: bool = False


def household_timeline(work: Work, household_id: str) -> list[TimelineItem]:
    """The household's diary entries and must-visit events, newest first (for the household screen)."""
    session = work.session
    items = []
    q = (
        select(DiaryEntry, User.display_name)
        .join(DiaryParticipant, DiaryParticipant.entry_id == DiaryEntry.id)
        .join(User, User.id == DiaryEntry.cadre_id, isouter=True)
        .where(
            DiaryParticipant.household_id == household_id,
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
        )
        .distinct()
    )
    entries = session.execute(q).all()
    signed = (
        set(
            session.scalars(
                select(Acknowledgement.entry_id).where(
                    Acknowledgement.entry_id.in_([e.id for e, _ in entries]),
                    Acknowledgement.method.in_(SIGNED_METHODS),
                    Acknowledgement.deleted_at.is_(None),
                )
            )
        )
        if entries
        else set()
    )
    for e, cadre in entries:
        text = next((t for t in (e.situation, e.difficulties, e.actions) if t), "")
        items.append(
            TimelineItem(
                e.occurred_at,
                "entry",
                f"{e.kind}（{cadre or ''}）",
                text.replace("\n", " ")[:80],
                e.id,
                e.id in signed,
            )
        )
    for ev in _household_must_visits(session, household_id):
        state = f"已于 {ev.closed_on:%Y-%m-%d} 走访" if ev.closed_on else f"待走访，期限 {ev.due_on:%Y-%m-%d}"
        items.append(
            TimelineItem(
                dt.datetime.combine(ev.occurred_on, dt.time()),
                "must_visit",
                f"必访事件：{ev.kind_label}",
                f"{ev.note}  {state}".strip(),
                ev.id,
            )
        )
    items.sort(key=lambda i: i.when, reverse=True)
    return items
