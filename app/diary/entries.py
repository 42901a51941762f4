"""Diary entries: the vocabularies of an entry, its input and detail records, validation, saving
(with its participants and demands) and deleting, reading an entry whole, amendments (补记) and
attachments. A home visit closes the must-visit events of the households it visited."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import vocab
from db.base import derived_id, utcnow
from db.models import (
    Demand,
    DiaryAmendment,
    DiaryEntry,
    DiaryParticipant,
    Household,
    Informant,
    MustVisitEvent,
    Person,
    User,
)
from db.queries.projects import project_of_demands

from app import accounts, attachments, audit
from app.dates import cn_date
from app.diary.acknowledgement import SIGNED_METHODS, AcknowledgementInfo, acknowledgement_info, live_ack
from app.diary.common import ENTRY_FIELDS, clean, live_entry, require_writer, user_names
from app.diary.demands import OPEN, DemandInfo, categories_in, demand_info_of
from app.errors import UserError
from app.informants.appointments import require_serving
from app.ownership import require_own_record
from app.work import Work

# -- vocabularies ----------------------------------------------------------------------------------
KINDS = vocab.ENTRY_KINDS  # 入户走访, 电话联系, 来访接待, 集中接访, 其他: stored as they read
HOME_VISIT, OTHER_KIND = vocab.HOME_VISIT, vocab.OTHER_KIND
INFORMANT_REPORT = vocab.INFORMANT_REPORT  # names its informant (docs/informants.md)
NO_HOUSEHOLD_KINDS = (INFORMANT_REPORT, OTHER_KIND)  # kinds that need no household
PHONE_CALL = "电话联系"
# kinds where the resident is not there to sign on the screen when the cadre saves (a call; a report
# the cadre was told): the signature is not offered at once (it can be asked for later, or 拒签 noted)
NOT_FACE_TO_FACE = (PHONE_CALL, INFORMANT_REPORT)

FIELD_LABELS = {
    "occurred_at": "走访时间",
    "kind": "方式",
    "place": "地点",
    "companions": "陪同干部",
    "situation": "家庭情况",
    "difficulties": "困难问题",
    "actions": "办理情况",
    "follow_up": "后续计划",
    "follow_up_on": "计划日期",
    "participants": "走访对象",
    "demands": "群众诉求",
    "informant": "信息员",
}


def participant_id(entry_id: str, household_id: str, person_id: str | None) -> str:
    return derived_id(entry_id, "participant", household_id, person_id or "")


# -- entries ---------------------------------------------------------------------------------------
@dataclass
class ParticipantInput:
    household_id: str
    person_id: str | None = None


@dataclass
class DemandInput:
    category: str
    content: str
    responsible_id: str | None = None
    due_on: dt.date | None = None
    household_id: str | None = None
    id: str | None = None  # an existing demand being edited


@dataclass
class EntryInput:
    occurred_at: dt.datetime | None
    kind: str
    place: str = ""
    participants: list[ParticipantInput] = field(default_factory=list)
    companions: str = ""
    situation: str = ""
    difficulties: str = ""
    actions: str = ""
    follow_up: str = ""
    follow_up_on: dt.date | None = None
    demands: list[DemandInput] = field(default_factory=list)
    cadre_id: str | None = None  # defaults to the author
    informant_id: str | None = None  # 信息员报告: the informant who reported (serving on that day)


@dataclass(frozen=True)
class ParticipantInfo:
    household_id: str
    person_id: str | None
    head_name: str
    person_name: str | None
    group_name: str


@dataclass(frozen=True)
class AmendmentInfo:
    id: str
    field: str
    text: str
    reason: str
    amended_at: dt.datetime
    author_name: str


@dataclass(frozen=True)
class EntryDetail:
    id: str
    cadre_id: str
    cadre_name: str
    occurred_at: dt.datetime
    kind: str
    place: str
    companions: str
    situation: str
    difficulties: str
    actions: str
    follow_up: str
    follow_up_on: dt.date | None
    participants: list[ParticipantInfo]
    demands: list[DemandInfo]
    acknowledgement: AcknowledgementInfo | None
    amendments: list[AmendmentInfo]
    attachments: list[attachments.AttachmentInfo]
    informant_id: str | None = None  # 信息员报告: who reported
    informant_name: str = ""  # their name and 组: 王秀英（三组）

    @property
    def kind_label(self) -> str:
        return self.kind

    @property
    def read_only(self) -> bool:
        """Signed by the resident: the text stays as signed; changes are amendments."""
        return self.acknowledgement is not None and self.acknowledgement.signed

    @property
    def changed_after_signing(self) -> bool:
        return self.read_only and bool(self.amendments)


def _validate(session: Session, data: EntryInput, now: dt.datetime) -> None:
    if data.occurred_at is None:
        raise UserError("请填写走访时间", field="occurred_at")
    if data.occurred_at > now + dt.timedelta(minutes=10):
        raise UserError("走访时间不能晚于现在，请检查日期和时间", field="occurred_at")
    if data.occurred_at < now - dt.timedelta(days=3 * 366):
        raise UserError("走访时间早于三年前，请检查年份", field="occurred_at")
    if data.kind not in KINDS:
        raise UserError("请选择走访方式（" + "、".join(KINDS[:-1]) + f"或{KINDS[-1]}）", field="kind")
    if data.kind not in NO_HOUSEHOLD_KINDS and not data.participants:
        raise UserError(
            "请至少选择一户走访对象：在“走访对象”里输入姓名或拼音首字母查找", field="participants"
        )
    if len(clean(data.place)) > 200:
        raise UserError("地点不超过 200 个字", field="place")
    if len(clean(data.companions)) > 200:
        raise UserError("陪同干部不超过 200 个字", field="companions")
    if not any(clean(t) for t in (data.situation, data.difficulties, data.actions)) and not data.demands:
        raise UserError(
            "请写下了解到的情况（家庭情况、困难问题、办理情况或群众诉求至少写一项）", field="situation"
        )
    if data.follow_up_on is not None:
        if not clean(data.follow_up):
            raise UserError("填了计划日期，请同时写下后续计划做什么", field="follow_up")
        if data.follow_up_on < data.occurred_at.date():
            raise UserError("后续计划的日期不能早于走访日期", field="follow_up_on")
    categories = set(categories_in(session))
    for n, d in enumerate(data.demands, start=1):
        if not clean(d.content):
            raise UserError(f"第 {n} 条诉求没有内容，请填写或删除这一条", field=f"demands:{n - 1}")
        if d.category not in categories:
            raise UserError(f"第 {n} 条诉求请选择类别", field=f"demands:{n - 1}")
        if d.due_on is not None and d.due_on < data.occurred_at.date():
            raise UserError(f"第 {n} 条诉求的办理期限早于走访日期，请改正", field=f"demands:{n - 1}")
    for p in data.participants:
        if session.get(Household, p.household_id) is None:
            raise UserError("走访对象所在的户已不存在，请重新选择", field="participants")


def save_entry(
    work: Work,
    data: EntryInput,
    *,
    entry_id: str | None = None,
    now: dt.datetime | None = None,
) -> EntryDetail:
    """Create (``entry_id`` None) or edit an entry with its participants and demands.

    A signed entry is refused: its changes are amendments (:func:`add_amendment`). A home visit
    closes the open must-visit events of the households it visited.
    """
    session, actor = work.session, work.actor
    require_writer(actor)
    assert actor is not None, "require_writer refuses a missing actor"
    now = now or dt.datetime.now().replace(second=0, microsecond=0)
    _validate(session, data, now)
    assert data.occurred_at is not None, "_validate refuses an entry without its time"
    if data.kind == INFORMANT_REPORT:
        require_serving(session, data.informant_id, data.occurred_at.date(), work.unit_code)
    if entry_id is None:
        entry = DiaryEntry(cadre_id=data.cadre_id or actor.id)
        session.add(entry)
    else:
        entry = live_entry(session, entry_id)
        require_own_record(work, entry, "这篇民情日记")
        ack = live_ack(session, entry.id)
        if ack is not None and ack.method in SIGNED_METHODS:
            raise UserError("这篇日记已经群众签字认可，原文不能再改；如需更正或补充，请用“补记”", field=None)
        if entry.cadre_id != actor.id and "admin" not in actor.role_set:
            raise UserError("只能修改自己写的民情日记，请联系管理员", field=None)
        _require_before_answers(session, entry.id, data.occurred_at.date())
    entry.occurred_at = data.occurred_at.replace(second=0, microsecond=0)
    entry.kind = data.kind
    entry.place = clean(data.place, 200)
    entry.companions = clean(data.companions, 200)
    entry.situation = clean(data.situation)
    entry.difficulties = clean(data.difficulties)
    entry.actions = clean(data.actions)
    entry.follow_up = clean(data.follow_up)
    entry.follow_up_on = data.follow_up_on
    entry.informant_id = data.informant_id if entry.kind == INFORMANT_REPORT else None
    if data.cadre_id:
        entry.cadre_id = data.cadre_id
    session.flush()
    _save_participants(session, entry, data.participants)
    _save_demands(session, entry, data, actor)
    session.flush()
    if entry_id is not None:  # (an edit may no longer close what it closed; a new entry closed nothing)
        _reopen_must_visits(session, entry)
    if entry.kind == HOME_VISIT:
        _close_must_visits(session, entry)
    audit.record(
        session,
        actor,
        "diary.save" if entry_id else "diary.add",
        table="diary_entry",
        record_id=entry.id,
        fields=[
            f
            for f in (
                "occurred_at",
                "kind",
                *ENTRY_FIELDS,
                "follow_up_on",
                "participants",
                "demands",
                "informant",
            )
            if f != "informant" or entry.informant_id
        ],
    )
    return _entry_detail(session, entry.id)


def _require_before_answers(session: Session, entry_id: str, day: dt.date) -> None:
    """An edit may not move the visit after a day one of its demands was answered, closed or referred on:
    the ledger would show a reply before the demand was heard."""
    answers = session.execute(
        select(Demand.content, Demand.replied_on, Demand.closed_on, Demand.referred_on).where(
            Demand.entry_id == entry_id, Demand.deleted_at.is_(None)
        )
    ).all()
    for content, *days in answers:
        first = min((d for d in days if d is not None), default=None)
        if first is not None and day > first:
            raise UserError(
                f"诉求“{content[:20]}”在 {first:%Y-%m-%d} 已经答复、办结或上报，"
                "走访日期不能晚于这一天，请检查日期",
                field="occurred_at",
            )


def _save_participants(session: Session, entry: DiaryEntry, wanted: list[ParticipantInput]) -> None:
    existing = {
        p.id: p
        for p in session.scalars(select(DiaryParticipant).where(DiaryParticipant.entry_id == entry.id))
    }
    keep = set()
    for p in wanted:
        pid = participant_id(entry.id, p.household_id, p.person_id)
        if pid in keep:
            continue
        keep.add(pid)
        row = existing.get(pid)
        if row is None:
            session.add(
                DiaryParticipant(
                    id=pid, entry_id=entry.id, household_id=p.household_id, person_id=p.person_id
                )
            )
        elif row.deleted_at is not None:
            row.deleted_at = None
    for pid, row in existing.items():
        if pid not in keep and row.deleted_at is None:
            row.deleted_at = utcnow()


def _save_demands(session: Session, entry: DiaryEntry, data: EntryInput, actor: User | None) -> None:
    existing = {
        d.id: d
        for d in session.scalars(
            select(Demand).where(Demand.entry_id == entry.id, Demand.deleted_at.is_(None))
        )
    }
    visited = [p.household_id for p in data.participants]
    first_household = visited[0] if visited else None
    seen = set()
    for position, d in enumerate(data.demands):
        row = existing.get(d.id) if d.id else None
        if row is None:
            row = Demand(entry_id=entry.id, status=OPEN)
            session.add(row)
        else:
            seen.add(row.id)
        row.position = position
        household = d.household_id or row.household_id
        if household not in visited:  # the entry moved to another household: its open demands go with it
            household = first_household
        if row.status != OPEN:
            _keep_answered(row, d, household, position)
            continue
        row.category = d.category
        row.content = clean(d.content)
        row.responsible_id = d.responsible_id or entry.cadre_id
        row.due_on = d.due_on
        row.household_id = household
    for demand_id, row in existing.items():
        if demand_id in seen:
            continue
        if row.status != OPEN:
            raise UserError(
                f"诉求“{row.content[:20]}”{_status_words(row.status)}，不能从日记里删除；"
                "这条诉求留在日记里，如需说明请用“补记”",
                field="demands",
            )
        row.deleted_at = utcnow()


def _status_words(status: str) -> str:
    """“已答复” → “已经答复”, for a sentence (the status itself already says 已)."""
    return "已经" + status.removeprefix("已")


def _keep_answered(row: Demand, d: DemandInput, household: str | None, position: int) -> None:
    """A demand already answered or closed is the town's and the resident's record as it was: the edit
    may not change what was asked, by whom or for which household (the form shows it read-only)."""
    if (
        d.category != row.category
        or clean(d.content) != row.content
        or (d.due_on is not None and d.due_on != row.due_on)
        or household != row.household_id
    ):
        raise UserError(
            f"第 {position + 1} 条诉求“{row.content[:20]}”{_status_words(row.status)}，"
            "它的内容、类别、期限和所在的户不能再改；如需更正请用“补记”",
            field=f"demands:{position}",
        )


def _close_must_visits(session: Session, entry: DiaryEntry) -> None:
    households = list(
        session.scalars(
            select(DiaryParticipant.household_id).where(
                DiaryParticipant.entry_id == entry.id, DiaryParticipant.deleted_at.is_(None)
            )
        )
    )
    if not households:
        return
    for ev in session.scalars(
        select(MustVisitEvent).where(
            MustVisitEvent.household_id.in_(households),
            MustVisitEvent.closed_by_entry_id.is_(None),
            MustVisitEvent.deleted_at.is_(None),
            MustVisitEvent.occurred_on <= entry.occurred_at.date(),
        )
    ):
        ev.closed_by_entry_id, ev.closed_on = entry.id, entry.occurred_at.date()


def _reopen_must_visits(session: Session, entry: DiaryEntry) -> None:
    """The must-visit events this entry closed, when it no longer does (deleted, another household, not a
    home visit, or a day before the event): closed again by the household's next live home visit on or
    after the event's day, or open again, so the family comes back on 今日待办."""
    events = list(
        session.scalars(
            select(MustVisitEvent).where(
                MustVisitEvent.closed_by_entry_id == entry.id, MustVisitEvent.deleted_at.is_(None)
            )
        )
    )
    for ev in events:
        visit = session.execute(
            select(DiaryEntry.id, DiaryEntry.occurred_at)
            .join(DiaryParticipant, DiaryParticipant.entry_id == DiaryEntry.id)
            .where(
                DiaryParticipant.household_id == ev.household_id,
                DiaryParticipant.deleted_at.is_(None),
                DiaryEntry.deleted_at.is_(None),
                DiaryEntry.kind == HOME_VISIT,
                DiaryEntry.occurred_at >= dt.datetime.combine(ev.occurred_on, dt.time()),
            )
            .order_by(DiaryEntry.occurred_at)
            .limit(1)
        ).first()
        if visit is None:
            ev.closed_by_entry_id, ev.closed_on = None, None
        else:
            ev.closed_by_entry_id, ev.closed_on = visit.id, visit.occurred_at.date()


def delete_entry(work: Work, entry_id: str) -> None:
    """Soft delete (a tombstone that travels to the town). A signed entry cannot be deleted."""
    session, actor = work.session, work.actor
    require_writer(actor)
    assert actor is not None, "require_writer refuses a missing actor"
    entry = live_entry(session, entry_id)
    require_own_record(work, entry, "这篇民情日记")
    ack = live_ack(session, entry_id)
    if ack is not None and ack.method in SIGNED_METHODS:
        raise UserError("这篇日记已经群众签字认可，不能删除")
    if entry.cadre_id != actor.id and "admin" not in actor.role_set:
        raise UserError("只能删除自己写的民情日记，请联系管理员")
    now = utcnow()
    for d in session.scalars(select(Demand).where(Demand.entry_id == entry_id, Demand.deleted_at.is_(None))):
        if d.status != OPEN:
            raise UserError(
                f"诉求“{d.content[:20]}”{_status_words(d.status)}，这篇日记不能删除；"
                "如果日记记错了，请用“补记”写明"
            )
        d.deleted_at = now
    entry.deleted_at = now
    session.flush()
    _reopen_must_visits(session, entry)
    audit.record(session, actor, "diary.delete", table="diary_entry", record_id=entry_id)


def entry_detail(work: Work, entry_id: str) -> EntryDetail:
    """The entry whole: participants, demands, acknowledgement, amendments and attachments."""
    return _entry_detail(work.session, entry_id)


def _entry_detail(session: Session, entry_id: str) -> EntryDetail:
    entry = live_entry(session, entry_id)
    parts = [
        ParticipantInfo(p.household_id, p.person_id, h.head_name, person_name, h.group_name)
        for p, h, person_name in session.execute(
            select(DiaryParticipant, Household, Person.name)
            .join(Household, Household.id == DiaryParticipant.household_id)
            .join(Person, Person.id == DiaryParticipant.person_id, isouter=True)
            .where(DiaryParticipant.entry_id == entry_id, DiaryParticipant.deleted_at.is_(None))
            .order_by(DiaryParticipant.created_at, DiaryParticipant.id)
        )
    ]
    demands = list(
        session.scalars(
            select(Demand)
            .where(Demand.entry_id == entry_id, Demand.deleted_at.is_(None))
            .order_by(Demand.position, Demand.created_at)
        )
    )
    amendments = list(
        session.scalars(
            select(DiaryAmendment)
            .where(DiaryAmendment.entry_id == entry_id, DiaryAmendment.deleted_at.is_(None))
            .order_by(DiaryAmendment.amended_at)
        )
    )
    names = user_names(
        session, [entry.cadre_id, *(d.responsible_id for d in demands), *(a.created_by for a in amendments)]
    )
    ack_info = acknowledgement_info(session, entry_id)
    informant_name = ""
    if entry.informant_id:
        row = session.execute(
            select(Person.name, Informant.group_name)
            .join(Person, Person.id == Informant.person_id)
            .where(Informant.id == entry.informant_id)
        ).first()
        informant_name = f"{row[0]}（{row[1]}）" if row else ""
    return EntryDetail(
        entry.id,
        entry.cadre_id,
        names.get(entry.cadre_id, ""),
        entry.occurred_at,
        entry.kind,
        entry.place,
        entry.companions,
        entry.situation,
        entry.difficulties,
        entry.actions,
        entry.follow_up,
        entry.follow_up_on,
        parts,
        _with_projects(session, [demand_info_of(d, names) for d in demands]),
        ack_info,
        [
            AmendmentInfo(a.id, a.field, a.text, a.reason, a.amended_at, names.get(a.created_by or "", ""))
            for a in amendments
        ],
        attachments.attachments_of(session, "diary_entry", entry_id),
        entry.informant_id,
        informant_name,
    )


def add_amendment(
    work: Work,
    entry_id: str,
    text: str,
    *,
    reason: str = "",
    field_name: str = "",
    now: dt.datetime | None = None,
) -> AmendmentInfo:
    """补记: new text beside a signed entry's original, which stays as the resident signed it."""
    session, actor = work.session, work.actor
    require_writer(actor)
    require_own_record(work, live_entry(session, entry_id), "这篇民情日记")
    text = clean(text)
    if not text:
        raise UserError("请写下补记的内容", field="amendment")
    if field_name and field_name not in FIELD_LABELS:
        raise UserError("补记针对的栏目不对", field="amendment_field")
    row = DiaryAmendment(
        entry_id=entry_id,
        field=field_name,
        text=text,
        reason=clean(reason),
        amended_at=now or dt.datetime.now().replace(microsecond=0),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "diary.amend", table="diary_entry", record_id=entry_id, fields=["amendment"])
    return AmendmentInfo(
        row.id, row.field, row.text, row.reason, row.amended_at, actor.display_name if actor else ""
    )


def attach_to_entry(work: Work, entry_id: str, path: Path | str) -> attachments.AttachmentInfo:
    """Photos and scans belong to the record, not to its signed text: allowed after signing too."""
    session, actor = work.session, work.actor
    require_writer(actor)
    require_own_record(work, live_entry(session, entry_id), "这篇民情日记")
    info = attachments.attach_file(work, "diary_entry", entry_id, path)
    audit.record(
        session, actor, "diary.attach", table="diary_entry", record_id=entry_id, fields=["attachment"]
    )
    return info


def household_label(work: Work, household_id: str) -> str:
    """A household as the diary's filter names it: 钟伟堃户 (“这一户” when it is gone)."""
    head = work.session.scalar(select(Household.head_name).where(Household.id == household_id))
    return f"{head}户" if head else "这一户"


def cadres(work: Work, village_code: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of the active accounts that write diaries, for pickers and filters: this station's,
    or (at a town, for its village filter) those of ``village_code``."""
    session = work.session
    users: Sequence[User]
    if village_code is None:
        users = accounts.local_users(work, include_inactive=False)
    else:
        users = session.scalars(
            select(User)
            .where(User.village_code == village_code, User.deleted_at.is_(None), User.active.is_(True))
            .order_by(User.created_at)
        ).all()
    return [(u.id, u.display_name) for u in users if u.role_set & {"cadre", "admin"}]


def _with_projects(session: Session, infos: list[DemandInfo]) -> list[DemandInfo]:
    """Each demand with the 为民实事 that answers it, if any (docs/projects.md)."""
    found = project_of_demands(session, [d.id for d in infos])
    return [
        dataclasses.replace(d, project=f"《{found[d.id][1]}》（{found[d.id][2]}）") if d.id in found else d
        for d in infos
    ]


# -- the entry as the resident reads it: the signing dialog shows it, the printed sheet
# (app.diary.documents) prints it. Here rather than beside the PDF so that the dialog needs no PDF library.


def households_met(e: EntryDetail) -> str:
    """Who was met: 钟伟堃（钟建国户）、李四户."""
    return "、".join(
        p.person_name + (f"（{p.head_name}户）" if p.person_name != p.head_name else "")
        if p.person_name
        else f"{p.head_name}户"
        for p in e.participants
    )


def entry_sections(e: EntryDetail) -> list[tuple[str, str]]:
    """The entry's text as the resident reads it before signing: situation, difficulties, each demand
    as heard, what was done and the plan (empty parts left out)."""
    out = [
        ("走访对象", households_met(e)),
        ("陪同干部", e.companions),
        ("家庭情况", e.situation),
        ("困难问题", e.difficulties),
    ]
    for i, d in enumerate(e.demands, start=1):
        due = f"，期限 {cn_date(d.due_on)}" if d.due_on else ""
        out.append(
            (f"群众诉求{i}" if len(e.demands) > 1 else "群众诉求", f"［{d.category}］{d.content}{due}")
        )
    plan = e.follow_up + (f"（{cn_date(e.follow_up_on)}前）" if e.follow_up_on and e.follow_up else "")
    out += [("办理情况", e.actions), ("后续计划", plan)]
    return [(label, text) for label, text in out if text]
