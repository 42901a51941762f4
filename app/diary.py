"""民情日记: entries, demands (诉求) and their handling, acknowledgement (群众签字认可), amendments,
drafts, must-visit events (必访) and the visit rhythm. Reminders, never scores.

Every date rule takes ``today`` (or ``now``) as a parameter, so tests run on a fixed clock.
"""

from __future__ import annotations

import calendar
import datetime as dt
import hashlib
import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sqlalchemy import exists, func, select
from sqlalchemy.orm import Session

from db import settings
from db.base import derived_id, utcnow
from db.models import (
    Acknowledgement,
    Attachment,
    CadreAssignment,
    Demand,
    DiaryAmendment,
    DiaryEntry,
    DiaryParticipant,
    Household,
    HouseholdTag,
    MustVisitEvent,
    Person,
    User,
)

from app import accounts, attachments, audit
from app.errors import UserError
from app.lookup import require_live
from app.ownership import require_own_record
from app.todo import TodoItem

# -- vocabularies -----------------------------------------------------------------------------------
KINDS = {
    "home_visit": "入户走访",
    "phone": "电话联系",
    "walk_in": "来访接待",
    "reception": "集中接访",
    "other": "其他",
}
KIND_BY_LABEL = {v: k for k, v in KINDS.items()}

DEFAULT_DEMAND_CATEGORIES = (
    "民生保障",
    "医疗",
    "教育",
    "就业",
    "住房",
    "土地",
    "基础设施",
    "矛盾纠纷",
    "政策咨询",
    "其他",
)
CATEGORIES_SETTING = "diary.demand_categories"  # extra categories added by the village (JSON list)

STATUSES = {"open": "待办", "replied": "已答复", "closed": "已办结"}
STATUS_BY_LABEL = {v: k for k, v in STATUSES.items()}
# 待办 → 已答复 → 已办结; nothing else.
TRANSITIONS = {"open": {"replied"}, "replied": {"closed"}, "closed": set()}

ACK_METHODS = {"signature": "当场签字", "paper_photo": "纸质签字", "refused": "拒签"}
SIGNED_METHODS = ("signature", "paper_photo")

MUST_VISIT_KINDS = {
    "hospitalised": "住院",
    "elder_died": "老人去世",
    "family_dispute": "家庭纠纷",
    "disaster": "意外灾害",
    "child_out_of_school": "子女辍学或待业",
    "other": "其他",
}
# Days from the event to the visit's due date, by kind (a family in grief or disaster first).
MUST_VISIT_DAYS = {
    "hospitalised": 7,
    "elder_died": 3,
    "family_dispute": 3,
    "disaster": 3,
    "child_out_of_school": 14,
    "other": 7,
}

RHYTHM_SETTING = "diary.visit_rhythm"
DEFAULT_RHYTHM = {"tags": {"困难户": 3, "特困": 3, "低保": 3, "五保": 3, "上访户": 3}, "ordinary": 6}

ENTRY_FIELDS = ("place", "companions", "situation", "difficulties", "actions", "follow_up")
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
}


def participant_id(entry_id: str, household_id: str, person_id: str | None) -> str:
    return derived_id(entry_id, "participant", household_id, person_id or "")


def acknowledgement_id(entry_id: str) -> str:
    return derived_id(entry_id, "acknowledgement")


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus whole months, clamped to the month's end (11-30 + 3 → 02-28, or 02-29 in a leap year)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


# -- settings ----------------------------------------------------------------------------------------


def demand_categories(session: Session) -> list[str]:
    extra = [c for c in settings.get(session, CATEGORIES_SETTING, []) if c not in DEFAULT_DEMAND_CATEGORIES]
    cats = list(DEFAULT_DEMAND_CATEGORIES)
    # The extra ones go before 其他.
    return cats[:-1] + extra + cats[-1:]


def add_demand_category(session: Session, name: str, *, actor: User | None) -> list[str]:
    accounts.require(actor, "manage_diary_settings")
    name = (name or "").strip()
    if not name:
        raise UserError("请填写诉求类别的名称", field="category")
    if len(name) > 30:
        raise UserError("诉求类别名称不超过 30 个字", field="category")
    extra = list(settings.get(session, CATEGORIES_SETTING, []))
    if name not in extra and name not in DEFAULT_DEMAND_CATEGORIES:
        extra.append(name)
        settings.put(session, CATEGORIES_SETTING, extra)
        audit.record(session, actor, "diary.category.add", fields=["category"])
    return demand_categories(session)


def visit_rhythm(session: Session) -> dict:
    """{"tags": {tag: months}, "ordinary": months}; a household with several tags takes the shortest."""
    stored = settings.get(session, RHYTHM_SETTING, None)
    return stored if stored else json.loads(json.dumps(DEFAULT_RHYTHM))


def set_visit_rhythm(session: Session, rhythm: dict, *, actor: User | None) -> dict:
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


# -- entries -----------------------------------------------------------------------------------------
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


@dataclass(frozen=True)
class ParticipantInfo:
    household_id: str
    person_id: str | None
    head_name: str
    person_name: str | None
    group_name: str


@dataclass(frozen=True)
class DemandInfo:
    id: str
    entry_id: str
    household_id: str | None
    category: str
    content: str
    responsible_id: str | None
    responsible_name: str
    due_on: dt.date | None
    status: str
    handling: str
    reply: str
    replied_on: dt.date | None
    replied_by: str | None
    closed_on: dt.date | None
    mediation_case_id: str | None

    @property
    def status_label(self) -> str:
        return STATUSES[self.status]


@dataclass(frozen=True)
class AcknowledgementInfo:
    id: str
    method: str
    signer_name: str
    signer_relation: str
    signed_at: dt.datetime
    attachment_id: str | None
    refusal_reason: str
    content_hash: str
    matches_content: bool  # the entry's content still hashes to what was signed

    @property
    def signed(self) -> bool:
        return self.method in SIGNED_METHODS

    @property
    def method_label(self) -> str:
        return ACK_METHODS[self.method]


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

    @property
    def kind_label(self) -> str:
        return KINDS.get(self.kind, self.kind)

    @property
    def read_only(self) -> bool:
        """Signed by the resident: the text stays as signed; changes are amendments."""
        return self.acknowledgement is not None and self.acknowledgement.signed

    @property
    def changed_after_signing(self) -> bool:
        return self.read_only and bool(self.amendments)


def _clean(text: str | None, limit: int | None = None) -> str:
    text = (text or "").strip()
    return text[:limit] if limit else text


def _validate(session: Session, data: EntryInput, now: dt.datetime) -> None:
    if data.occurred_at is None:
        raise UserError("请填写走访时间", field="occurred_at")
    if data.occurred_at > now + dt.timedelta(minutes=10):
        raise UserError("走访时间不能晚于现在，请检查日期和时间", field="occurred_at")
    if data.occurred_at < now - dt.timedelta(days=3 * 366):
        raise UserError("走访时间早于三年前，请检查年份", field="occurred_at")
    if data.kind not in KINDS:
        raise UserError("请选择走访方式（入户走访、电话联系、来访接待、集中接访或其他）", field="kind")
    if data.kind != "other" and not data.participants:
        raise UserError(
            "请至少选择一户走访对象：在“走访对象”里输入姓名或拼音首字母查找", field="participants"
        )
    if len(_clean(data.place)) > 200:
        raise UserError("地点不超过 200 个字", field="place")
    if len(_clean(data.companions)) > 200:
        raise UserError("陪同干部不超过 200 个字", field="companions")
    if not any(_clean(t) for t in (data.situation, data.difficulties, data.actions)) and not data.demands:
        raise UserError(
            "请写下了解到的情况（家庭情况、困难问题、办理情况或群众诉求至少写一项）", field="situation"
        )
    if data.follow_up_on is not None:
        if not _clean(data.follow_up):
            raise UserError("填了计划日期，请同时写下后续计划做什么", field="follow_up")
        if data.follow_up_on < data.occurred_at.date():
            raise UserError("后续计划的日期不能早于走访日期", field="follow_up_on")
    categories = set(demand_categories(session))
    for n, d in enumerate(data.demands, start=1):
        if not _clean(d.content):
            raise UserError(f"第 {n} 条诉求没有内容，请填写或删除这一条", field=f"demands:{n - 1}")
        if d.category not in categories:
            raise UserError(f"第 {n} 条诉求请选择类别", field=f"demands:{n - 1}")
        if d.due_on is not None and d.due_on < data.occurred_at.date():
            raise UserError(f"第 {n} 条诉求的办理期限早于走访日期，请改正", field=f"demands:{n - 1}")
    for p in data.participants:
        if session.get(Household, p.household_id) is None:
            raise UserError("走访对象所在的户已不存在，请重新选择", field="participants")


def _require_writer(actor: User | None) -> None:
    accounts.require(actor, "write_diary")


def save_entry(
    session: Session,
    data: EntryInput,
    *,
    actor: User | None,
    entry_id: str | None = None,
    now: dt.datetime | None = None,
) -> EntryDetail:
    """Create (``entry_id`` None) or edit an entry with its participants and demands.

    A signed entry is refused: its changes are amendments (:func:`add_amendment`). A home visit
    closes the open must-visit events of the households it visited.
    """
    _require_writer(actor)
    now = now or dt.datetime.now().replace(second=0, microsecond=0)
    _validate(session, data, now)
    if entry_id is None:
        entry = DiaryEntry(cadre_id=data.cadre_id or actor.id)
        session.add(entry)
    else:
        entry = _entry(session, entry_id)
        require_own_record(session, entry, "这篇民情日记")
        ack = _ack(session, entry.id)
        if ack is not None and ack.method in SIGNED_METHODS:
            raise UserError("这篇日记已经群众签字认可，原文不能再改；如需更正或补充，请用“补记”", field=None)
        if entry.cadre_id != actor.id and "admin" not in actor.role_set:
            raise UserError("只能修改自己写的民情日记，请联系管理员", field=None)
    entry.occurred_at = data.occurred_at.replace(second=0, microsecond=0)
    entry.kind = data.kind
    entry.place = _clean(data.place, 200)
    entry.companions = _clean(data.companions, 200)
    entry.situation = _clean(data.situation)
    entry.difficulties = _clean(data.difficulties)
    entry.actions = _clean(data.actions)
    entry.follow_up = _clean(data.follow_up)
    entry.follow_up_on = data.follow_up_on
    if data.cadre_id:
        entry.cadre_id = data.cadre_id
    session.flush()
    _save_participants(session, entry, data.participants)
    _save_demands(session, entry, data, actor)
    session.flush()
    if entry.kind == "home_visit":
        _close_must_visits(session, entry)
    audit.record(
        session,
        actor,
        "diary.save" if entry_id else "diary.add",
        table="diary_entry",
        record_id=entry.id,
        fields=[f for f in ("occurred_at", "kind", *ENTRY_FIELDS, "follow_up_on", "participants", "demands")],
    )
    return entry_detail(session, entry.id)


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
    first_household = data.participants[0].household_id if data.participants else None
    seen = set()
    for position, d in enumerate(data.demands):
        row = existing.get(d.id) if d.id else None
        if row is None:
            row = Demand(entry_id=entry.id, status="open")
            session.add(row)
        else:
            seen.add(row.id)
        row.position = position
        row.category = d.category
        row.content = _clean(d.content)
        row.responsible_id = d.responsible_id or entry.cadre_id
        row.due_on = d.due_on
        row.household_id = d.household_id or row.household_id or first_household
    for demand_id, row in existing.items():
        if demand_id in seen:
            continue
        if row.status != "open":
            raise UserError(
                f"诉求“{row.content[:20]}”已经{STATUSES[row.status]}，不能从日记里删除", field="demands"
            )
        row.deleted_at = utcnow()


def delete_entry(session: Session, entry_id: str, *, actor: User | None) -> None:
    """Soft delete (a tombstone that travels to the town). A signed entry cannot be deleted."""
    _require_writer(actor)
    entry = _entry(session, entry_id)
    require_own_record(session, entry, "这篇民情日记")
    ack = _ack(session, entry_id)
    if ack is not None and ack.method in SIGNED_METHODS:
        raise UserError("这篇日记已经群众签字认可，不能删除")
    if entry.cadre_id != actor.id and "admin" not in actor.role_set:
        raise UserError("只能删除自己写的民情日记，请联系管理员")
    now = utcnow()
    for d in session.scalars(select(Demand).where(Demand.entry_id == entry_id, Demand.deleted_at.is_(None))):
        if d.status != "open":
            raise UserError(f"诉求“{d.content[:20]}”已经{STATUSES[d.status]}，这篇日记不能删除")
        d.deleted_at = now
    entry.deleted_at = now
    audit.record(session, actor, "diary.delete", table="diary_entry", record_id=entry_id)


def _entry(session: Session, entry_id: str) -> DiaryEntry:
    return require_live(session, DiaryEntry, entry_id, "找不到这篇民情日记（可能已被删除）")


def _ack(session: Session, entry_id: str) -> Acknowledgement | None:
    ack = session.get(Acknowledgement, acknowledgement_id(entry_id))
    if ack is None:
        ack = session.scalars(select(Acknowledgement).where(Acknowledgement.entry_id == entry_id)).first()
    return ack if ack is not None and ack.deleted_at is None else None


def _user_names(session: Session, ids) -> dict[str, str]:
    ids = {i for i in ids if i}
    if not ids:
        return {}
    return dict(session.execute(select(User.id, User.display_name).where(User.id.in_(ids))).all())


def _demand_info(d: Demand, names: dict[str, str]) -> DemandInfo:
    return DemandInfo(
        d.id,
        d.entry_id,
        d.household_id,
        d.category,
        d.content,
        d.responsible_id,
        names.get(d.responsible_id or "", ""),
        d.due_on,
        d.status,
        d.handling,
        d.reply,
        d.replied_on,
        d.replied_by,
        d.closed_on,
        d.mediation_case_id,
    )


def entry_detail(session: Session, entry_id: str) -> EntryDetail:
    entry = _entry(session, entry_id)
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
    names = _user_names(
        session, [entry.cadre_id, *(d.responsible_id for d in demands), *(a.created_by for a in amendments)]
    )
    ack = _ack(session, entry_id)
    ack_info = None
    if ack is not None:
        ack_info = AcknowledgementInfo(
            ack.id,
            ack.method,
            ack.signer_name,
            ack.signer_relation,
            ack.signed_at,
            ack.attachment_id,
            ack.refusal_reason,
            ack.content_hash,
            ack.content_hash == content_hash(session, entry_id),
        )
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
        [_demand_info(d, names) for d in demands],
        ack_info,
        [
            AmendmentInfo(a.id, a.field, a.text, a.reason, a.amended_at, names.get(a.created_by or "", ""))
            for a in amendments
        ],
        attachments.list_attachments(session, "diary_entry", entry_id),
    )


# -- acknowledgement (群众签字认可) ------------------------------------------------------------------------
def canonical_content(session: Session, entry_id: str) -> dict:
    """What the resident signs: the entry's text, who was met and the demands as heard (not their handling)."""
    e = _entry(session, entry_id)
    parts = [
        (p.household_id, p.person_id)
        for p in session.scalars(
            select(DiaryParticipant).where(
                DiaryParticipant.entry_id == entry_id, DiaryParticipant.deleted_at.is_(None)
            )
        )
    ]
    demands = [
        (d.category, d.content, d.due_on)
        for d in session.scalars(
            select(Demand).where(Demand.entry_id == entry_id, Demand.deleted_at.is_(None))
        )
    ]
    return canonical_from_values(
        {c: getattr(e, c) for c in ("id", "occurred_at", "kind", *ENTRY_FIELDS, "follow_up_on")},
        parts,
        demands,
    )


def canonical_from_values(entry: dict, participants, demands) -> dict:
    """The canonical form from plain values (also used by bulk writers such as the demo data)."""
    return {
        "id": entry["id"],
        "occurred_at": entry["occurred_at"].strftime("%Y-%m-%d %H:%M"),
        "kind": entry["kind"],
        **{f: entry[f] or "" for f in ENTRY_FIELDS},
        "follow_up_on": entry["follow_up_on"].isoformat() if entry["follow_up_on"] else "",
        "participants": sorted([h, p or ""] for h, p in participants),
        "demands": sorted([c, t, due.isoformat() if due else ""] for c, t, due in demands),
    }


def hash_canonical(canonical: dict) -> str:
    text = json.dumps(canonical, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def content_hash(session: Session, entry_id: str) -> str:
    return hash_canonical(canonical_content(session, entry_id))


def acknowledge(
    session: Session,
    attachments_dir: Path,
    entry_id: str,
    *,
    method: str,
    actor: User | None,
    signer_name: str = "",
    signer_relation: str = "",
    signature_png: bytes | None = None,
    photo_path: Path | str | None = None,
    refusal_reason: str = "",
    signed_at: dt.datetime | None = None,
) -> AcknowledgementInfo:
    """Record the resident's acknowledgement: ``signature`` (PNG drawn on screen), ``paper_photo``
    (photo of the signed paper) or ``refused`` (with the reason). A refusal may later be followed by a
    signature; a signature is final."""
    _require_writer(actor)
    entry = _entry(session, entry_id)
    require_own_record(session, entry, "这篇民情日记")
    if method not in ACK_METHODS:
        raise UserError("请选择认可方式：当场签字、纸质签字照片或拒签", field="method")
    existing = _ack(session, entry_id)
    if existing is not None and existing.method in SIGNED_METHODS:
        raise UserError("这篇日记已经签字认可过了", field="method")
    signer_name = _clean(signer_name, 50)
    signer_relation = _clean(signer_relation, 20)
    refusal_reason = _clean(refusal_reason)
    if method in SIGNED_METHODS and not signer_name:
        raise UserError("请填写签字群众的姓名", field="signer_name")
    attachment_id = None
    if method == "signature":
        if not signature_png:
            raise UserError("签字板上还没有签名，请群众在签字板上签字", field="signature")
        attachment_id = attachments.attach_bytes(
            session,
            attachments_dir,
            "acknowledgement",
            acknowledgement_id(entry_id),
            signature_png,
            f"签字-{signer_name}.png",
            mime="image/png",
        ).id
    elif method == "paper_photo":
        if not photo_path:
            raise UserError("请选择纸质签字的照片或扫描件", field="photo")
        attachment_id = attachments.attach_file(
            session,
            attachments_dir,
            "acknowledgement",
            acknowledgement_id(entry_id),
            photo_path,
            note="纸质签字",
        ).id
    elif not refusal_reason:
        raise UserError("请写下群众拒绝签字的原因", field="refusal_reason")
    signed_hash = content_hash(session, entry_id)
    row = existing or session.get(Acknowledgement, acknowledgement_id(entry_id))
    if row is None:
        row = Acknowledgement(id=acknowledgement_id(entry_id), entry_id=entry.id)
        session.add(row)
    row.deleted_at = None
    row.method = method
    row.signer_name = signer_name
    row.signer_relation = signer_relation
    row.signed_at = signed_at or dt.datetime.now().replace(microsecond=0)
    row.attachment_id = attachment_id
    row.refusal_reason = refusal_reason if method == "refused" else ""
    row.content_hash = signed_hash
    session.flush()
    audit.record(
        session,
        actor,
        f"diary.ack.{method}",
        table="diary_entry",
        record_id=entry_id,
        fields=["method", "signer_name", "signer_relation"],
    )
    return entry_detail(session, entry_id).acknowledgement


def add_amendment(
    session: Session,
    entry_id: str,
    text: str,
    *,
    actor: User | None,
    reason: str = "",
    field_name: str = "",
    now: dt.datetime | None = None,
) -> AmendmentInfo:
    """补记: new text beside a signed entry's original, which stays as the resident signed it."""
    _require_writer(actor)
    require_own_record(session, _entry(session, entry_id), "这篇民情日记")
    text = _clean(text)
    if not text:
        raise UserError("请写下补记的内容", field="amendment")
    if field_name and field_name not in FIELD_LABELS:
        raise UserError("补记针对的栏目不对", field="amendment_field")
    row = DiaryAmendment(
        entry_id=entry_id,
        field=field_name,
        text=text,
        reason=_clean(reason),
        amended_at=now or dt.datetime.now().replace(microsecond=0),
    )
    session.add(row)
    session.flush()
    audit.record(session, actor, "diary.amend", table="diary_entry", record_id=entry_id, fields=["amendment"])
    return AmendmentInfo(
        row.id, row.field, row.text, row.reason, row.amended_at, actor.display_name if actor else ""
    )


def attach_to_entry(
    session: Session, attachments_dir: Path, entry_id: str, path: Path | str, *, actor: User | None
) -> attachments.AttachmentInfo:
    """Photos and scans belong to the record, not to its signed text: allowed after signing too."""
    _require_writer(actor)
    require_own_record(session, _entry(session, entry_id), "这篇民情日记")
    info = attachments.attach_file(session, attachments_dir, "diary_entry", entry_id, path)
    audit.record(
        session, actor, "diary.attach", table="diary_entry", record_id=entry_id, fields=["attachment"]
    )
    return info


def signature_image(session: Session, attachments_dir: Path, entry_id: str) -> bytes | None:
    ack = _ack(session, entry_id)
    if ack is None or not ack.attachment_id:
        return None
    row = session.get(Attachment, ack.attachment_id)
    if row is None:
        return None
    return attachments.read_attachment(session, attachments_dir, attachments._info(row))


# -- demands (诉求) -------------------------------------------------------------------------------------
def _demand(session: Session, demand_id: str) -> Demand:
    return require_live(session, Demand, demand_id, "找不到这条诉求（可能已被删除）")


def _check_transition(d: Demand, new_status: str) -> None:
    if new_status not in TRANSITIONS.get(d.status, set()):
        allowed = "、".join(STATUSES[s] for s in TRANSITIONS.get(d.status, ())) or "无"
        raise UserError(
            f"诉求现在是“{STATUSES[d.status]}”，不能直接改为“{STATUSES.get(new_status, new_status)}”"
            f"（下一步只能是：{allowed}）",
            field="status",
        )


def reply_demand(
    session: Session,
    demand_id: str,
    *,
    reply: str,
    replied_on: dt.date,
    replied_by: str,
    actor: User | None,
    handling: str | None = None,
    today: dt.date | None = None,
) -> DemandInfo:
    """待办 → 已答复: the reply given to the resident, its date and who gave it."""
    accounts.require(actor, "handle_demands")
    d = _demand(session, demand_id)
    _check_transition(d, "replied")
    today = today or dt.date.today()
    reply = _clean(reply)
    if not reply:
        raise UserError("请写下给群众的答复内容", field="reply")
    if replied_on is None:
        raise UserError("请填写答复日期", field="replied_on")
    if replied_on > today:
        raise UserError("答复日期不能晚于今天", field="replied_on")
    heard = session.scalar(select(DiaryEntry.occurred_at).where(DiaryEntry.id == d.entry_id))
    if heard is not None and replied_on < heard.date():
        raise UserError("答复日期不能早于提出诉求的日期", field="replied_on")
    if not _clean(replied_by):
        raise UserError("请填写答复人", field="replied_by")
    d.reply, d.replied_on, d.replied_by = reply, replied_on, _clean(replied_by, 50)
    if handling is not None:
        d.handling = _clean(handling)
    d.status = "replied"
    session.flush()
    audit.record(
        session,
        actor,
        "demand.reply",
        table="demand",
        record_id=d.id,
        fields=["status", "reply", "replied_on", "replied_by"],
    )
    return _demand_info(d, _user_names(session, [d.responsible_id]))


def close_demand(
    session: Session,
    demand_id: str,
    *,
    closed_on: dt.date,
    actor: User | None,
    handling: str | None = None,
    today: dt.date | None = None,
) -> DemandInfo:
    """已答复 → 已办结."""
    accounts.require(actor, "handle_demands")
    d = _demand(session, demand_id)
    _check_transition(d, "closed")
    today = today or dt.date.today()
    if closed_on is None:
        raise UserError("请填写办结日期", field="closed_on")
    if closed_on > today:
        raise UserError("办结日期不能晚于今天", field="closed_on")
    if d.replied_on and closed_on < d.replied_on:
        raise UserError("办结日期不能早于答复日期", field="closed_on")
    if handling is not None:
        d.handling = _clean(handling)
    if not d.handling:
        raise UserError("办结前请写下办理情况", field="handling")
    d.closed_on, d.status = closed_on, "closed"
    session.flush()
    audit.record(
        session, actor, "demand.close", table="demand", record_id=d.id, fields=["status", "closed_on"]
    )
    return _demand_info(d, _user_names(session, [d.responsible_id]))


def change_demand_status(
    session: Session, demand_id: str, new_status: str, *, actor: User | None, **kwargs
) -> DemandInfo:
    if new_status == "replied":
        return reply_demand(session, demand_id, actor=actor, **kwargs)
    if new_status == "closed":
        return close_demand(session, demand_id, actor=actor, **kwargs)
    _check_transition(_demand(session, demand_id), new_status)
    raise AssertionError("unreachable")  # pragma: no cover


def demand_info(session: Session, demand_id: str) -> DemandInfo:
    d = _demand(session, demand_id)
    return _demand_info(d, _user_names(session, [d.responsible_id]))


# -- must-visit events (必访) ------------------------------------------------------------------------------
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
        return MUST_VISIT_KINDS.get(self.kind, self.kind)


def contact_cadre_id(session: Session, household_id: str) -> str | None:
    return session.scalars(
        select(CadreAssignment.cadre_id)
        .where(
            CadreAssignment.household_id == household_id,
            CadreAssignment.role == "contact",
            CadreAssignment.end_on.is_(None),
            CadreAssignment.deleted_at.is_(None),
        )
        .order_by(CadreAssignment.start_on.desc())
    ).first()


def record_must_visit(
    session: Session,
    household_id: str,
    kind: str,
    occurred_on: dt.date,
    *,
    actor: User | None,
    note: str = "",
    due_on: dt.date | None = None,
    today: dt.date | None = None,
) -> MustVisitInfo:
    _require_writer(actor)
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
    if kind == "other" and not _clean(note):
        raise UserError("类别为“其他”时请简单写明是什么事", field="note")
    row = MustVisitEvent(
        household_id=household_id,
        kind=kind,
        occurred_on=occurred_on,
        due_on=due_on,
        note=_clean(note),
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


def _visits_since(household_id: str, since: dt.date):
    return (
        select(DiaryEntry)
        .join(DiaryParticipant, DiaryParticipant.entry_id == DiaryEntry.id)
        .where(
            DiaryParticipant.household_id == household_id,
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.kind == "home_visit",
            DiaryEntry.occurred_at >= dt.datetime.combine(since, dt.time()),
        )
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


def open_must_visits(session: Session, *, cadre_id: str | None = None) -> list[MustVisitInfo]:
    """Events with no home visit to the household since they happened (whoever recorded the visit,
    on whichever station: an entry that arrived in a bundle closes it too)."""
    visited = exists().where(
        DiaryParticipant.household_id == MustVisitEvent.household_id,
        DiaryParticipant.deleted_at.is_(None),
        DiaryEntry.id == DiaryParticipant.entry_id,
        DiaryEntry.deleted_at.is_(None),
        DiaryEntry.kind == "home_visit",
        func.date(DiaryEntry.occurred_at) >= MustVisitEvent.occurred_on,
    )
    q = (
        select(MustVisitEvent, Household)
        .join(Household, Household.id == MustVisitEvent.household_id)
        .where(MustVisitEvent.deleted_at.is_(None), MustVisitEvent.closed_by_entry_id.is_(None), ~visited)
        .order_by(MustVisitEvent.due_on, Household.head_name)
    )
    if cadre_id:
        q = q.where(MustVisitEvent.cadre_id == cadre_id)
    return [_must_visit_info(ev, h) for ev, h in session.execute(q)]


def household_must_visits(session: Session, household_id: str) -> list[MustVisitInfo]:
    h = session.get(Household, household_id)
    rows = session.scalars(
        select(MustVisitEvent)
        .where(MustVisitEvent.household_id == household_id, MustVisitEvent.deleted_at.is_(None))
        .order_by(MustVisitEvent.occurred_on.desc())
    )
    return [_must_visit_info(ev, h) for ev in rows]


# -- visit rhythm, last visits, timeline ---------------------------------------------------------------
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


def _last_visits_query(household_ids=None):
    q = (
        select(DiaryParticipant.household_id, func.max(DiaryEntry.occurred_at))
        .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
        .where(
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.kind == "home_visit",
        )
        .group_by(DiaryParticipant.household_id)
    )
    if household_ids is not None:
        q = q.where(DiaryParticipant.household_id.in_(household_ids))
    return q


def last_visited(session: Session, household_id: str) -> dt.datetime | None:
    """Time of the latest home visit (入户走访) to the household, by anyone."""
    row = session.execute(_last_visits_query([household_id])).first()
    return row[1] if row else None


def interval_for(tags, rhythm: dict) -> int:
    months = [rhythm["tags"][t] for t in tags if t in rhythm["tags"]]
    return min(months) if months else rhythm["ordinary"]


def _last_visit_of(household_id_col):
    """Correlated: the latest home visit to the household in ``household_id_col``. Walks the live
    participants of that one household (``ix_diary_participant_live_household_entry``) and looks each
    entry up by its key, so the cost follows the households asked about, not the whole diary."""
    return (
        select(func.max(DiaryEntry.occurred_at))
        .select_from(DiaryParticipant)
        .join(DiaryEntry, DiaryEntry.id == DiaryParticipant.entry_id)
        .where(
            DiaryParticipant.household_id == household_id_col,
            DiaryParticipant.deleted_at.is_(None),
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.kind == "home_visit",
        )
        .scalar_subquery()
    )


def overdue_households(
    session: Session, today: dt.date, *, cadre_id: str | None = None
) -> list[OverdueHousehold]:
    """Households whose next visit by the rhythm fell due before ``today``, with their contact cadre.

    Due = last home visit + the interval in months (never visited: counted from when the household
    was entered). Most overdue first. A reminder list: no counts per cadre, no ranking.
    With ``cadre_id``, only that cadre's households are read (their last visits included).
    """
    rhythm = visit_rhythm(session)
    contact = (
        (CadreAssignment.household_id == Household.id)
        & (CadreAssignment.role == "contact")
        & CadreAssignment.end_on.is_(None)
        & CadreAssignment.deleted_at.is_(None)
    )
    q = (
        select(
            Household.id,
            Household.head_name,
            Household.group_name,
            Household.created_at,
            CadreAssignment.cadre_id,
            User.display_name,
            _last_visit_of(Household.id),
        )
        .join(CadreAssignment, contact, isouter=True)
        .join(User, User.id == CadreAssignment.cadre_id, isouter=True)
        .where(Household.deleted_at.is_(None))
    )
    tags_q = select(HouseholdTag.household_id, HouseholdTag.tag).where(HouseholdTag.deleted_at.is_(None))
    if cadre_id:
        q = q.where(CadreAssignment.cadre_id == cadre_id)
        tags_q = tags_q.where(
            HouseholdTag.household_id.in_(
                select(CadreAssignment.household_id).where(
                    CadreAssignment.cadre_id == cadre_id,
                    CadreAssignment.role == "contact",
                    CadreAssignment.end_on.is_(None),
                    CadreAssignment.deleted_at.is_(None),
                )
            )
        )
    households = session.execute(q).all()
    if not households:
        return []
    tags: dict[str, list[str]] = {}
    for hid, tag in session.execute(tags_q):
        tags.setdefault(hid, []).append(tag)
    out = []
    seen = set()
    for hid, head, group, created_at, cid, cname, last_at in households:
        if hid in seen:
            continue
        seen.add(hid)
        htags = tuple(sorted(tags.get(hid, ())))
        months = interval_for(htags, rhythm)
        last_visit = last_at.date() if last_at is not None else None
        start = last_visit or (created_at.date() if created_at else today)
        due = add_months(start, months)
        if due < today:
            out.append(OverdueHousehold(hid, head, group, cid, cname or "", htags, months, last_visit, due))
    out.sort(key=lambda o: (o.due_on, o.head_name))
    return out


@dataclass(frozen=True)
class TimelineItem:
    when: dt.datetime
    kind: str  # "entry" | "must_visit"
    title: str
    detail: str
    record_id: str
    acknowledged: bool = False


def household_timeline(session: Session, household_id: str) -> list[TimelineItem]:
    """The household's diary entries and must-visit events, newest first (for the household screen)."""
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
                f"{KINDS.get(e.kind, e.kind)}（{cadre or ''}）",
                text.replace("\n", " ")[:80],
                e.id,
                e.id in signed,
            )
        )
    for ev in household_must_visits(session, household_id):
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


# -- 今日待办 ------------------------------------------------------------------------------------------------
MAX_OVERDUE_ITEMS = 15


def todo_items(session: Session, user: User | None, today: dt.date) -> list[TodoItem]:
    """Must-visit events and overdue visits of the user's households, and demands due that the user
    handles. The administrator sees must-visits of households without a contact cadre and one line
    per cadre with overdue households (a reminder of who to call, not a ranking)."""
    if user is None:
        return []
    items: list[TodoItem] = []
    is_admin = "admin" in user.role_set
    # A cadre reads only their own events and households; the administrator reads every household
    # once (their own list and the per-cadre counts come out of the same pass).
    for ev in open_must_visits(session, cadre_id=None if is_admin else user.id):
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
    every = overdue_households(session, today) if is_admin else []
    overdue = (
        [o for o in every if o.cadre_id == user.id]
        if is_admin
        else overdue_households(session, today, cadre_id=user.id)
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
            Demand.status == "open",
            Demand.responsible_id == user.id,
            Demand.due_on.is_not(None),
            Demand.due_on <= soon,
        )
        .order_by(Demand.due_on)
    ).all()
    for d, head in due[:MAX_OVERDUE_ITEMS]:
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


# -- drafts (草稿): a half-typed entry survives closing the window or a crash -------------------------------
@dataclass(frozen=True)
class Draft:
    key: str
    path: Path
    saved_at: dt.datetime
    data: dict


def _draft_path(drafts_dir: Path, user_id: str, key: str) -> Path:
    safe = "".join(c for c in f"{user_id}-{key}" if c.isalnum() or c in "-_")
    return Path(drafts_dir) / f"diary-{safe}.json"


def save_draft(
    drafts_dir: Path, user_id: str, key: str, data: dict, *, now: dt.datetime | None = None
) -> Path:
    """Write the form's state atomically (temp file, fsync, rename). ``key`` is "new" or the entry id."""
    drafts_dir = Path(drafts_dir)
    drafts_dir.mkdir(parents=True, exist_ok=True)
    target = _draft_path(drafts_dir, user_id, key)
    payload = {
        "key": key,
        "user_id": user_id,
        "saved_at": (now or dt.datetime.now()).isoformat(timespec="seconds"),
        "data": data,
    }
    fd, tmp = tempfile.mkstemp(dir=drafts_dir, prefix=".tmp-draft-")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(payload, f, ensure_ascii=False, default=str)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target


def list_drafts(drafts_dir: Path, user_id: str) -> list[Draft]:
    """The user's unsaved drafts, newest first. A damaged file is skipped, never deleted."""
    out = []
    for path in Path(drafts_dir).glob("diary-*.json") if Path(drafts_dir).exists() else []:
        try:
            payload = json.loads(path.read_text(encoding="utf-8"))
            if payload.get("user_id") != user_id:
                continue
            out.append(
                Draft(payload["key"], path, dt.datetime.fromisoformat(payload["saved_at"]), payload["data"])
            )
        except (ValueError, KeyError, OSError):
            continue
    return sorted(out, key=lambda d: d.saved_at, reverse=True)


def load_draft(drafts_dir: Path, user_id: str, key: str) -> Draft | None:
    return next((d for d in list_drafts(drafts_dir, user_id) if d.key == key), None)


def discard_draft(drafts_dir: Path, user_id: str, key: str) -> None:
    _draft_path(Path(drafts_dir), user_id, key).unlink(missing_ok=True)


def entry_to_draft(data: EntryInput) -> dict:
    """An :class:`EntryInput` as JSON-able data (dates as ISO text)."""
    out = asdict(data)
    out["occurred_at"] = data.occurred_at.isoformat() if data.occurred_at else None
    out["follow_up_on"] = data.follow_up_on.isoformat() if data.follow_up_on else None
    for d in out["demands"]:
        d["due_on"] = d["due_on"].isoformat() if d["due_on"] else None
    return out


def draft_to_entry(data: dict) -> EntryInput:
    def date(v):
        return dt.date.fromisoformat(v) if v else None

    return EntryInput(
        occurred_at=dt.datetime.fromisoformat(data["occurred_at"]) if data.get("occurred_at") else None,
        kind=data.get("kind") or "home_visit",
        place=data.get("place", ""),
        participants=[
            ParticipantInput(p["household_id"], p.get("person_id")) for p in data.get("participants", [])
        ],
        companions=data.get("companions", ""),
        situation=data.get("situation", ""),
        difficulties=data.get("difficulties", ""),
        actions=data.get("actions", ""),
        follow_up=data.get("follow_up", ""),
        follow_up_on=date(data.get("follow_up_on")),
        demands=[
            DemandInput(
                d.get("category", ""),
                d.get("content", ""),
                d.get("responsible_id"),
                date(d.get("due_on")),
                d.get("household_id"),
                d.get("id"),
            )
            for d in data.get("demands", [])
        ],
        cadre_id=data.get("cadre_id"),
    )


def cadres(session: Session, village_code: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of the active accounts that write diaries, for pickers and filters: this station's,
    or (at a town, for its village filter) those of ``village_code``."""
    if village_code is None:
        users = accounts.local_users(session, include_inactive=False)
    else:
        users = session.scalars(
            select(User)
            .where(User.village_code == village_code, User.deleted_at.is_(None), User.active.is_(True))
            .order_by(User.created_at)
        ).all()
    return [(u.id, u.display_name) for u in users if u.role_set & {"cadre", "admin"}]
