"""权属: who may create, change and reference which records, at a station and across sync.

One table of rules, used by the services (a town never edits a village's records except through
its own actions) and by the sync importer, which enforces them row by row on every bundle: at the
town for a village's 上报包, and mirrored at the village for the town's 下发包. The rules in words
are the table "Authority" in ``docs/bundle-format.md``.

- Every synced record belongs to one village (``village_code``) and is created by that village's
  station. A village's bundle may carry only rows of its own village, last changed by its own
  enrolled station (``changed_station``), and a row it creates names that station as its origin.
- A town changes only :data:`TOWN_COLUMNS` of a village's records (its handling of an escalated
  case, its reply to a demand referred to it) and creates none. A village may clear the town's
  handling of a case (a re-escalation starts afresh) but never write other values into it, and never
  fills the town's reply to a demand. A demand's ``status`` is written by both, step by step
  (:func:`demand_verdict`: the town only 已上报乡镇 → 乡镇已答复; a village never claims 乡镇已答复 nor
  leaves 已上报乡镇 before the town answered; an office is one of ``db.vocab.TOWN_OFFICES``).
- Every reference (foreign key, :data:`SOFT_REFERENCES`, ``created_by``/``updated_by``) points to a
  row of the same village; the only exception is a cadre account of the village's town.
- A 联户包案 (docs/keycases.md) is owned by the unit that opened it (``owner_unit``, :data:`UNIT_OWNED_TABLES`):
  the village, or its town for a household of the village; only that unit creates and changes its rows,
  so a town-opened 包案 is the one village record a town creates, and it travels down in the 下发包.
- An attachment's content is named only by its SHA-256 (64 lowercase hex digits) and must come in
  the bundle or already be held for that village.
- A record of :data:`TOWN_SCOPED_TABLES` (为民实事, docs/projects.md) says in its ``scope`` whose it is:
  a 村 row is the village's, a 镇 row is the town's record for that village (the town writes it and
  sends it down; the village only reads it), and so are the photos attached to it (:func:`scope_verdict`).
"""

from __future__ import annotations

import datetime as dt
import functools
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, inspect, select
from sqlalchemy.orm import Session

from db import vocab
from db.base import SyncedRecord
from db.models import Attachment, Station
from db.models.projects import PROJECT_SCOPES, TOWN_SCOPE

from app.errors import UserError
from app.sync.gate import MAX_TEXT, SHA256, all_sha256
from app.work import Work

if TYPE_CHECKING:
    from app.sync.records import TableSpec

# A demand's columns that only the town fills: its reply to a demand referred to it (交办).
DEMAND_TOWN_REPLY = frozenset(
    {"town_reply_kind", "town_reply", "town_forwarded_to", "town_replied_on", "town_replied_by"}
)
# Columns of a village's records that the town writes (and only these).
TOWN_COLUMNS: dict[str, frozenset[str]] = {
    "mediation_case": frozenset(
        {
            "town_handling",
            "town_outcome",
            "town_outcome_note",
            "town_handler",
            "town_handled_on",
            "town_agreement_kind",
            "town_amount_fen",
        }
    ),
    "demand": DEMAND_TOWN_REPLY | {"status"},
}
# Of those, the ones only the town may fill in (a village may only clear them; a demand's status is
# shared, step by step: :func:`demand_verdict`).
TOWN_ONLY_COLUMNS: dict[str, frozenset[str]] = {
    "mediation_case": TOWN_COLUMNS["mediation_case"],
    "demand": DEMAND_TOWN_REPLY,
}

# Records whose ``scope`` column says who writes them (为民实事, docs/projects.md): 村, the village; 镇, the
# town, although the row carries the village's code (so that it travels in that village's 下发包). A
# child row has its project's scope; an attachment owned by such a row has its owner's.
TOWN_SCOPED_TABLES = frozenset({"project", "project_milestone", "project_demand"})
SCOPE_PARENT = {"project_milestone": "project_id", "project_demand": "project_id"}

# References without a foreign key (the table load order or several possible targets forbid one).
SOFT_REFERENCES: dict[str, dict[str, tuple[str, ...]]] = {
    "household": {"head_id": ("person",)},
    "demand": {"mediation_case_id": ("mediation_case",)},
    "mediation_case": {"source_record_id": ("screening", "diary_entry")},
    "screening_item": {"case_id": ("mediation_case",)},
    "mediation_report": {"frozen_by_user_id": ("user",)},
    "mediation_party": {"person_id": ("person",), "guardian_person_id": ("person",)},
    "mediation_mediator": {"user_id": ("user",), "person_id": ("person",)},
    "mediation_recusal": {
        "party_id": ("mediation_party",),
        "mediator_id": ("mediation_mediator",),
        "replacement_id": ("mediation_mediator",),
    },
    "mediation_transition": {"by_user_id": ("user",)},
    "mediation_signature": {
        "document_id": ("mediation_session", "mediation_agreement"),
        "party_id": ("mediation_party",),
        "attachment_id": ("attachment",),
    },
    "diary_entry": {"informant_id": ("informant",)},  # 信息员报告 (docs/informants.md)
    "keycase_member": {"user_id": ("user",)},
    "keycase_link": {"target_id": ("diary_entry", "demand", "mediation_case")},
}

# Records owned by the unit that opened them (``owner_unit``): a village, or its town for a record about a
# village's household (干部联户包案, docs/keycases.md). The row belongs to the household's village
# (``village_code``: it travels in that village's bundles) but only the owner unit creates and changes it;
# table → the column naming its parent record, whose owner it must share (None: the record itself).
UNIT_OWNED_TABLES: dict[str, str | None] = {
    "keycase": None,
    "keycase_member": "keycase_id",
    "keycase_plan": "keycase_id",
    "keycase_link": "keycase_id",
    "keycase_transition": "keycase_id",
}
USER_COLUMNS = ("created_by", "updated_by")
# The columns the rules name, as a clerk reads them in a refusal's reason.
COLUMN_LABELS = {
    "village_code": "所属村",
    "username": "登录名",
    "household_id": "所属户",
    "person_id": "人员",
    "entry_id": "所属民情日记",
    "head_id": "户主",
    "cadre_id": "干部",
    "responsible_id": "责任人",
    "case_id": "所属调解案件",
    "owner_id": "附件所属记录",
    "owner_table": "附件所属记录类型",
    "created_by": "录入人",
    "updated_by": "修改人",
    "user_id": "调解员账号",
    "by_user_id": "经办人",
    "document_id": "所属文书",
    "party_id": "当事人",
    "guardian_person_id": "法定代理人",
    "mediator_id": "被申请回避的调解员",
    "replacement_id": "接替的调解员",
    "attachment_id": "附件",
    "source_record_id": "案件来源记录",
    "mediation_case_id": "调解案件",
    "closed_by_entry_id": "销号的民情日记",
    "town_handling": "乡镇处理情况",
    "town_outcome": "乡镇处理结果",
    "town_outcome_note": "乡镇处理说明",
    "town_handler": "乡镇经办人",
    "town_handled_on": "乡镇处理日期",
    "town_agreement_kind": "乡镇调解协议形式",
    "town_amount_fen": "乡镇调解协议金额",
    "referred_office": "上报科室",
    "town_reply_kind": "乡镇答复方式",
    "town_reply": "乡镇答复内容",
    "town_forwarded_to": "转报的县级部门",
    "town_replied_on": "乡镇答复日期",
    "town_replied_by": "乡镇答复人",
    "frozen_by_user_id": "填报人账号",
    "figures": "报表数字",
    "keycase_id": "所属包案",
    "target_id": "关联的记录",
    "owner_unit": "开立单位",
    "informant_id": "信息员",
    "giver_user_id": "帮扶人",
    "done_on": "落实日期",
    "done_note": "落实情况",
    "done_by": "落实情况填写人",
    "text": "决定内容",
    "deleted_at": "删除标记",
    "ballots_issued": "发出票数",
    "ballots_returned": "收回票数",
    "satisfied": "满意票数",
    "basically_satisfied": "基本满意票数",
    "dissatisfied": "不满意票数",
    "invalid": "无效票数",
    "project_id": "所属为民实事",
    "demand_id": "回应的诉求",
    "scope": "范围（村/镇）",
}

# Records that are never changed once written (a frozen 月报: 重新生成 makes a new edition instead).
FROZEN_TABLES = frozenset({"mediation_report"})
# Records whose values a village's bundle must keep to the rules its services keep, checked row by row
# (:func:`column_verdict`): 帮扶 (app/aid/rules.py: kind, amount, giver, dates).
ROW_RULE_TABLES = frozenset({"aid_record", "aid_pair"})

# Records the town writes for a village (``village_code`` = that village) and sends down in its 下发包;
# the village writes only its own columns of them (a 点评会 decision: its completion note). The rule in
# both directions: :func:`town_written_verdict` (docs/reviews.md, docs/bundle-format.md).
TOWN_WRITTEN_TABLES = frozenset({"review_decision"})
VILLAGE_COLUMNS: dict[str, frozenset[str]] = {
    "review_decision": frozenset({"done_on", "done_note", "done_by"})
}
# The town's own records that never come from a village (its 点评会 minutes).
TOWN_ONLY_TABLES = frozenset({"review_meeting"})
# 两评's tables, whose rows :func:`reviews_verdict` checks.
REVIEW_TABLES = TOWN_WRITTEN_TABLES | TOWN_ONLY_TABLES | {"cadre_review"}
# Tables whose every incoming row (also a first import's) goes through :func:`column_verdict`: the one
# registry app/sync/records.py consults (with TOWN_ONLY_COLUMNS and TOWN_SCOPED_TABLES, whose rows it
# checks too).
ROW_CHECKED_TABLES = FROZEN_TABLES | REVIEW_TABLES | ROW_RULE_TABLES


def column_label(column: str) -> str:
    """A column as users read it (the features' own labels, else the name)."""
    if column in COLUMN_LABELS:
        return COLUMN_LABELS[column]
    from app.sync.status import field_label  # the features' labels (imported late: they import this module)

    return field_label(column)


# The bookkeeping columns a change from another station may set on any record.
BOOKKEEPING = frozenset(
    {"version", "changed_station", "base_station", "base_version", "updated_at", "updated_by"}
)


@functools.cache
def references(table_name: str) -> dict[str, tuple[str, ...]]:
    """Column → the tables it may point into: foreign keys, soft references, the cadre columns."""
    from app.sync.records import models, table_of  # (imported late: it imports this module)

    model = next(m for m in models() if table_of(m).name == table_name)
    refs: dict[str, tuple[str, ...]] = {}
    for fk in table_of(model).foreign_keys:
        refs[fk.parent.name] = (fk.column.table.name,)
    refs.update(SOFT_REFERENCES.get(table_name, {}))
    for col in USER_COLUMNS:
        refs.setdefault(col, ("user",))
    return refs


def may_reference_town_row(target_table: str) -> bool:
    """The one kind of the town's own rows a village's record may point to: a town cadre's account."""
    return target_table == "user"


# -- the rules at a station (services) ------------------------------------------------------------------
def require_own_record(work: Work, record: SyncedRecord, what: str) -> None:
    """A station edits only the records of its own unit. At a town, a village's households, diary
    entries and cases are read-only (they would otherwise diverge from the village's copy and come
    back as conflicts); the town's own part is done through the town actions (its handling of an
    escalated case, its reply to a demand), which do not call this."""
    if record.village_code == work.unit_code:
        return
    name = work.session.scalars(select(Station.name).where(Station.code == record.village_code)).first()
    owner = name or record.village_code
    raise UserError(
        f"{what}属于{owner}，由该村工作站维护；乡镇工作站只能查看"
        "（乡镇可以答复村里上报的诉求、填写上报案件的乡镇处理结果）"
    )


# -- a town never writes village records ---------------------------------------------------------------
# The synced records a town creates and keeps as its own (owned by the town's 9-digit code): its users
# and its frozen consolidated 月报. Every other synced record is a village record (户籍, 民情日记, 诉求,
# 调解案件, 排查, …): a town creates none, and of the ones it holds it changes only its
# :data:`TOWN_COLUMNS` (its reply to a referred demand, its handling of an escalated case). Its other
# writes (enrolling and revoking stations, receipts, settings, the audit log) are not synced records.
TOWN_OWN_TABLES = frozenset({"user", "mediation_report", "review_meeting"})
# A village record as the refusal names it.
RECORD_KINDS = {
    "household": "户籍",
    "person": "人员",
    "tag_definition": "标签",
    "household_tag": "户的标签",
    "cadre_assignment": "联系干部",
    "diary_entry": "民情日记",
    "diary_participant": "民情日记的参与人",
    "demand": "诉求",
    "acknowledgement": "群众签字认可",
    "diary_amendment": "民情日记的补记",
    "must_visit_event": "必访事件",
    "screening": "矛盾纠纷排查",
    "screening_item": "排查发现的纠纷",
    "mediation_case": "调解案件",
    "mediation_party": "调解案件的当事人",
    "mediation_mediator": "调解员",
    "mediation_recusal": "回避申请",
    "mediation_transition": "调解案件的状态",
    "mediation_session": "调解记录",
    "mediation_agreement": "调解协议",
    "mediation_signature": "签名",
    "mediation_follow_up": "回访记录",
    "mediation_file_item": "卷宗材料",
    "attachment": "附件",
    "user": "村里的账号",
    "keycase": "联户包案",
    "keycase_member": "包案领导与工作班子",
    "keycase_plan": "化解方案",
    "keycase_link": "包案关联记录",
    "keycase_transition": "包案状态记录",
    "informant": "群众工作信息员",
    "aid_record": "帮扶记录",
    "aid_pair": "帮扶对子",
    "cadre_review": "群众评议计票",
    "project": "为民实事",
    "project_milestone": "为民实事的节点",
    "project_demand": "为民实事回应的诉求",
}
TOWN_REFUSAL = (
    "乡镇工作站不能录入或修改村里的{what}：这些记录由各村工作站录入，随上报包送到乡镇"
    "（乡镇可以答复村里上报的诉求、填写上报案件的乡镇处理结果）"
)


def town_write_refusal(
    table_name: str,
    village_code: str | None,
    town_code: str,
    changed: frozenset[str] | None,
    *,
    town_scoped: bool = False,
) -> str | None:
    """At a town: why it may not write this synced row (``changed`` is None for a new row, else the
    columns it changes), or None when it may. The one rule behind :func:`refuse_village_records_at_town`.
    ``town_scoped``: the row is the town's own record for a village (a 镇 为民实事, its rows and photos)."""
    if table_name in TOWN_OWN_TABLES and village_code in (None, town_code):
        return None
    if table_name in TOWN_WRITTEN_TABLES and village_code != town_code:
        village_part = VILLAGE_COLUMNS[table_name] & (changed or frozenset())
        if not village_part:
            return None
        return "落实情况由村里填写，乡镇不能代填或修改：" + "、".join(
            column_label(c) for c in sorted(village_part)
        )
    if town_scoped and (changed is None or "scope" not in changed):
        return None
    if changed is not None and changed <= TOWN_COLUMNS.get(table_name, frozenset()) | BOOKKEEPING:
        return None
    return TOWN_REFUSAL.format(what=RECORD_KINDS.get(table_name, "记录"))


def _table_name(obj: SyncedRecord) -> str:
    return str(inspect(obj).mapper.local_table.name)


def _town_scoped(session: Session, obj: SyncedRecord) -> bool:
    """Is this row a 镇 为民实事's (its own ``scope``, or its owner's for an attachment)?"""
    table = _table_name(obj)
    if table in TOWN_SCOPED_TABLES:
        return getattr(obj, "scope", None) == TOWN_SCOPE
    if isinstance(obj, Attachment) and obj.owner_table in TOWN_SCOPED_TABLES:
        from app.sync.records import model_for_table  # (imported late: it imports this module)

        owner = session.get(model_for_table(obj.owner_table), obj.owner_id)
        return owner is not None and getattr(owner, "scope", None) == TOWN_SCOPE
    return False


def _changed_columns(obj: SyncedRecord) -> frozenset[str]:
    state = inspect(obj)
    return frozenset(
        col.name
        for attr in state.mapper.column_attrs
        if state.attrs[attr.key].history.has_changes()
        for col in attr.columns
    )


def _owned_by_unit(obj: SyncedRecord, unit_code: str) -> bool:
    """A row of :data:`UNIT_OWNED_TABLES` that ``unit_code`` opened, before and after this change (a
    village's 包案 does not become the town's by rewriting its ``owner_unit``)."""
    if _table_name(obj) not in UNIT_OWNED_TABLES:
        return False
    history = inspect(obj).attrs["owner_unit"].history
    before = history.deleted[0] if history.deleted else getattr(obj, "owner_unit", None)
    return before == unit_code and getattr(obj, "owner_unit", None) == unit_code


def refuse_village_records_at_town(session: Session, flush_context: object, instances: object) -> None:
    """Every write of a town's unit of work passes here (the services, whatever path they take): a
    village record created or changed beyond the town's own columns is refused with the Chinese reason,
    and the unit of work rolls back. The importer (``sync_apply``) and the resolution of a sync conflict
    write village rows as the villages sent them, under the importer's own rules. (Registered on every
    session by ``app.workspace``.)"""
    info = session.info
    if info.get("station_kind") != "town" or info.get("sync_apply") or info.get("resolving_conflict"):
        return
    town_code = info["station_code"]
    for obj in session.new:
        if isinstance(obj, SyncedRecord) and not _owned_by_unit(obj, town_code):
            problem = town_write_refusal(
                _table_name(obj), obj.village_code, town_code, None, town_scoped=_town_scoped(session, obj)
            )
            if problem:
                raise UserError(problem)
    for obj in session.dirty:
        if (
            isinstance(obj, SyncedRecord)
            and session.is_modified(obj, include_collections=False)
            and not _owned_by_unit(obj, town_code)
        ):
            problem = town_write_refusal(
                _table_name(obj),
                obj.village_code,
                town_code,
                _changed_columns(obj),
                town_scoped=_town_scoped(session, obj),
            )
            if problem:
                raise UserError(problem)


def require_village_station(work: Work, table_name: str) -> None:
    """The same rule, asked before a form opens or a bulk insert runs (which bypasses the ORM):
    a town may not create ``table_name`` records."""
    if work.is_town:
        problem = town_write_refusal(table_name, None, work.unit_code, None)
        if problem:
            raise UserError(problem)


# -- the rules across sync (the importer) ---------------------------------------------------------------
@dataclass
class Rejection:
    record_type: str
    table_name: str
    record_id: str
    version: int
    reason: str


@dataclass
class Authority:
    """What one incoming bundle may write: the sender, the village its rows must belong to, and
    the ids already seen in the bundle (for references between its tables)."""

    sender_id: str
    sender_kind: str  # village | town
    village_code: str  # the village whose records these must be
    town_code: str
    counter_to: int
    blob_hashes: frozenset[str] = frozenset()
    bundle_rows: dict[str, dict[str, object]] = field(default_factory=dict)  # table → id → village_code
    rejected: dict[str, set[str]] = field(default_factory=dict)  # table → ids refused in this bundle
    synced_tables: frozenset[str] = frozenset()
    # (table, id) → scope (村 / 镇) of the bundle's rows of TOWN_SCOPED_TABLES, and of the rows here
    # that the bundle's rows belong to (filled by :func:`load_scopes`)
    bundle_scopes: dict[tuple[str, str], object] = field(default_factory=dict)
    scopes: dict[tuple[str, str], object] = field(default_factory=dict)
    _foreign: dict[str, set[str]] = field(default_factory=dict)

    @property
    def from_town(self) -> bool:
        return self.sender_kind == "town"

    def foreign_ids(self, table: str) -> set[str]:
        """Ids of this bundle's rows of ``table`` that belong to another village (usually none)."""
        cached = self._foreign.get(table)
        if cached is None:
            rows = self.bundle_rows.get(table, {})
            if set(rows.values()) <= {self.village_code}:  # the usual case, at C speed
                cached = self._foreign[table] = set()
            else:
                cached = self._foreign[table] = {rid for rid, vc in rows.items() if vc != self.village_code}
        return cached

    def refuse(
        self, out: list[Rejection], spec: TableSpec, rid: object, version: object, reason: str
    ) -> None:
        rid_text = rid if isinstance(rid, str) and len(rid) <= 36 else repr(rid)[:36]
        self.rejected.setdefault(spec.table_name, set()).add(rid_text)
        out.append(
            Rejection(
                spec.record_type, spec.table_name, rid_text, version if type(version) is int else 0, reason
            )
        )


def _is_text(value: object, max_len: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= max_len


def screen_rows(
    conn: Connection,
    spec: TableSpec,
    columns: list[str],
    rows: list[list[Any]],
    auth: Authority,
    out: list[Rejection],
) -> list[list[Any]]:
    """The rows of one table that pass the per-row rules (sender, village, versions, references,
    attachment content); the others go to ``out`` with their reason in Chinese.

    Worked column by column on the distinct values (a village-year's 65 000 rows name a few thousand
    households and a handful of cadres); a row is looked at on its own only when something is wrong."""
    idx = {c: i for i, c in enumerate(columns)}
    i_id, i_v = idx["id"], idx["version"]
    verdict: dict[int, str] = {}
    _screen_lengths(spec.table_name, rows, idx, verdict)
    _screen_values(spec.table_name, rows, idx, verdict)
    _screen_bookkeeping(rows, idx, auth, verdict)
    load_scopes(conn, spec.table_name, idx, rows, auth)
    if spec.table_name == "attachment" and not _attachments_pass(rows, idx, auth):
        for n, r in enumerate(rows):
            if n not in verdict:
                problem = _attachment_verdict(r, idx, auth)
                if problem:
                    verdict[n] = problem
    refs = [(idx[c], c, targets) for c, targets in references(spec.table_name).items() if c in idx]
    if spec.table_name == "attachment":  # the owner's table is named by the row: one column per owner table
        i_owner, i_table = idx["owner_id"], idx["owner_table"]
        refs = [(i, c, t) for i, c, t in refs if c != "owner_id"]
        by_table: dict[str, set[str]] = {}
        for n, r in enumerate(rows):
            if n not in verdict:
                by_table.setdefault(r[i_table], set()).add(r[i_owner])
        for table, values in by_table.items():
            bad = _bad_references(conn, values, (table,), auth)
            for n, r in enumerate(rows):
                if n not in verdict and r[i_table] == table and r[i_owner] in bad:
                    verdict[n] = bad[r[i_owner]].format(col=column_label("owner_id"))
    for i, col, targets in refs:
        values = _distinct(rows, i)
        values.discard(None)
        values.discard("")
        bad = _bad_references(conn, values, targets, auth)
        if bad:
            for n, r in enumerate(rows):
                if n not in verdict and r[i] in bad:
                    verdict[n] = bad[r[i]].format(col=column_label(col))
    if spec.table_name in UNIT_OWNED_TABLES and "owner_unit" in idx:
        _screen_owner_unit(conn, spec.table_name, rows, idx, auth, verdict)
    if not verdict:
        return rows
    kept = []
    for n, r in enumerate(rows):
        if n in verdict:
            auth.refuse(out, spec, r[i_id], r[i_v], verdict[n])
        else:
            kept.append(r)
    return kept


# The most characters a row may bring in a column declared short (String(n)): far beyond any honest
# value, and short enough to list, search and print (a dishonest village's name of a million characters).
SHORT_TEXT = 1000


@functools.cache
def text_limits(table_name: str) -> tuple[tuple[str, int], ...]:
    """The text columns of a synced table (names, addresses, notes, facts), each with the most a row may
    bring: :data:`SHORT_TEXT` for a column with a declared length (a name is 50 characters, but not every
    path that ever wrote one cut it there: a row of an honest village is never refused for being a little
    long), :data:`app.sync.gate.MAX_TEXT` for a text without one. Ids, references and bookkeeping are
    checked as such elsewhere."""
    from sqlalchemy import String

    from app.sync.records import models, table_of

    table = next(table_of(m) for m in models() if table_of(m).name == table_name)
    return tuple(
        (c.name, max(c.type.length, SHORT_TEXT) if c.type.length else MAX_TEXT)
        for c in table.columns
        if isinstance(c.type, String)  # (Text is a String without a length)
        and not c.foreign_keys
        and not c.name.endswith("_id")
        and c.name not in ("id", "village_code", "sha256", "created_by", "changed_station", *BOOKKEEPING)
    )


def _screen_lengths(
    table_name: str, rows: list[list[Any]], idx: dict[str, int], verdict: dict[int, str]
) -> None:
    """A text longer than :func:`text_limits` allows is refused with its row: SQLite keeps no lengths, and
    a name of a million characters from a dishonest village would be listed, searched and printed at the
    town. One pass over each column in C; a row is looked at only in a column that has one."""
    for column, limit in text_limits(table_name):
        i = idx.get(column)
        if i is None or not rows:
            continue
        values = list(map(itemgetter(i), rows))
        if set(map(type, values)) <= {str, type(None)}:
            if max(map(len, filter(None, values)), default=0) <= limit:
                continue
        for n, value in enumerate(values):
            if n in verdict or value is None:
                continue
            if not isinstance(value, str):  # a number, a list: the town's code reads a text here
                verdict[n] = f"{column_label(column)}不是文字"
            elif len(value) > limit:
                verdict[n] = f"{column_label(column)}有 {len(value)} 个字，超过上限 {limit} 个字"


# The largest whole number a row may bring in a count or an amount (分): a trillion, far beyond any honest
# value, and small enough that a town's sums over every village's rows stay within SQLite's 64 bits.
MAX_NUMBER = 10**12


@functools.cache
def value_kinds(table_name: str) -> tuple[tuple[str, str], ...]:
    """The columns of a synced table that are not text, each with its kind (date, time, number, flag):
    what SQLAlchemy reads back from them at the town (a date that is not one stops every export)."""
    from sqlalchemy import Boolean, Date, DateTime, Integer

    from app.sync.records import models, table_of

    table = next(table_of(m) for m in models() if table_of(m).name == table_name)
    kinds: list[tuple[str, str]] = []
    for c in table.columns:
        if c.name in ("version", "base_version"):  # checked with the sync columns
            continue
        if isinstance(c.type, DateTime):
            kinds.append((c.name, "time"))
        elif isinstance(c.type, Date):
            kinds.append((c.name, "date"))
        elif isinstance(c.type, Boolean):
            kinds.append((c.name, "flag"))
        elif isinstance(c.type, Integer):
            kinds.append((c.name, "number"))
    return tuple(kinds)


def _value_fits(kind: str, value: object) -> bool:
    if value is None:
        return True
    if kind == "number":
        return type(value) is int and -MAX_NUMBER <= value <= MAX_NUMBER
    if kind == "flag":
        return type(value) in (int, bool) and value in (0, 1)
    return type(value) is str and _all_fit(kind, {value})


# Many dates or times at once, in C: their characters (digits and the separators only: no zone, no words)
# and lengths in one pass each, then each parsed by ``fromisoformat`` (a village-year has tens of
# thousands of distinct times: a regular expression per value would cost a tenth of its import).
_DATE_CHARS = re.compile(r"[0-9\n-]*")
_TIME_CHARS = re.compile(r"[0-9 T:.\n-]*")
_TIME_LENGTHS = frozenset(range(19, 27))


def _all_fit(kind: str, values: set[Any]) -> bool:
    """Whether every one of a column's distinct values fits its kind (:func:`_value_fits` of each)."""
    values = values - {None}
    if kind not in ("date", "time") or not values:
        return all(_value_fits(kind, v) for v in values)
    if set(map(type, values)) != {str}:
        return False
    lengths = set(map(len, values))
    shaped = lengths == {10} if kind == "date" else lengths <= _TIME_LENGTHS  # 2026-01-31[ 08:30:00[.ffffff]]
    chars = _DATE_CHARS if kind == "date" else _TIME_CHARS
    if not shaped or not chars.fullmatch("\n".join(values)):
        return False
    try:
        if kind == "date":
            set(map(dt.date.fromisoformat, values))
        else:
            return set(map(attrgetter("tzinfo"), map(dt.datetime.fromisoformat, values))) == {None}
    except ValueError:  # 2026-02-30, 2026-13-01, 24:00:00
        return False
    return True


_KIND_WORDS = {
    "date": "不是日期（应为 2026-01-31 这样的格式）",
    "time": "不是时间（应为 2026-01-31 08:30:00 这样的格式）",
    "number": f"不是整数，或超出 ±{MAX_NUMBER} 的范围",
    "flag": "不是“是/否”",
}


def _screen_values(
    table_name: str, rows: list[list[Any]], idx: dict[str, int], verdict: dict[int, str]
) -> None:
    """A date, a time, a number or a flag that is not one is refused with its row: SQLite keeps what it is
    given, and the town would meet it when it reads the record back (an export of every village stopped
    by one village's "garbage" in a date, a sum overflowed by one huge count). Each column is checked on
    its distinct values (a village-year's dates are a few hundred); a row is looked at only in a column
    that has a bad one."""
    if not rows:
        return
    for column, kind in value_kinds(table_name):
        i = idx.get(column)
        if i is None:
            continue
        try:
            values = _distinct(rows, i)
        except TypeError:  # a list or a dict: no hash
            values = None
        if values is not None and _all_fit(kind, values):
            continue
        for n, r in enumerate(rows):
            if n not in verdict and not _value_fits(kind, r[i]):
                shown = str(r[i])[:30] if isinstance(r[i], str | int) else type(r[i]).__name__
                named = column_label(column)
                named = named if not named.isascii() else f"字段 {named} 的值"
                verdict[n] = f"{named}“{shown}”{_KIND_WORDS[kind]}"


def _screen_owner_unit(
    conn: Connection,
    table_name: str,
    rows: list[list[Any]],
    idx: dict[str, int],
    auth: Authority,
    verdict: dict[int, str],
) -> None:
    """A record owned by the unit that opened it (:data:`UNIT_OWNED_TABLES`): a village sends only its
    own (``owner_unit`` its code), the town only its own (the town's code); the owner of a row already
    here never changes, and a part of a 包案 has its 包案's owner. The parent is read from the database:
    the bundle's parents are written before their parts (tables in dependency order) unless refused,
    and a reference to a refused parent is already refused above."""
    mine = auth.town_code if auth.from_town else auth.village_code
    i_id, i_owner = idx["id"], idx["owner_unit"]
    todo = [n for n in range(len(rows)) if n not in verdict]
    for n in todo:
        owner = rows[n][i_owner]
        if owner == mine:
            continue
        if auth.from_town and owner == auth.village_code:
            verdict[n] = "这件包案由村里开立，只能由该村修改"
        elif not auth.from_town and owner == auth.town_code:
            verdict[n] = "这件包案由乡镇开立，只能由乡镇修改（随乡镇的下发包到村）"
        else:
            verdict[n] = "“开立单位”不是发送方"
    todo = [n for n in todo if n not in verdict]
    if not todo:
        return
    stored = _column_of(conn, table_name, "owner_unit", {rows[n][i_id] for n in todo})
    parent_col = UNIT_OWNED_TABLES[table_name]
    parents: dict[str, str] = {}
    if parent_col is not None and parent_col in idx:
        parents = _column_of(conn, "keycase", "owner_unit", {rows[n][idx[parent_col]] for n in todo})
    for n in todo:
        r = rows[n]
        before = stored.get(r[i_id])
        if before is not None and before != r[i_owner]:
            verdict[n] = "包案的开立单位不能改变"
        elif parent_col is not None and parents.get(r[idx[parent_col]], r[i_owner]) != r[i_owner]:
            verdict[n] = (
                "这件包案由乡镇开立，只能由乡镇修改（随乡镇的下发包到村）"
                if parents[r[idx[parent_col]]] == auth.town_code
                else "这件包案由村里开立，只能由该村修改"
            )


def _column_of(conn: Connection, table: str, column: str, ids: set[Any]) -> dict[str, Any]:
    """id → ``column`` of the rows of ``table`` with those ids that exist here."""
    found: dict[str, Any] = {}
    wanted = sorted(i for i in ids if isinstance(i, str))
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        sql = f'SELECT id, "{column}" FROM "{table}" WHERE id IN ({",".join("?" * len(chunk))})'
        found.update(conn.exec_driver_sql(sql, tuple(chunk)).fetchall())
    return found


def _column(rows: list[list[Any]], i: int) -> list[Any]:
    return list(map(itemgetter(i), rows))


def _distinct(rows: list[list[Any]], i: int) -> set[Any]:
    return set(map(itemgetter(i), rows))


def _screen_bookkeeping(
    rows: list[list[Any]], idx: dict[str, int], auth: Authority, verdict: dict[int, str]
) -> None:
    """Own village, own station, versions, the sync columns' types: each rule checked on whole columns
    (``map``/``set`` at C speed, and on the distinct values where there are few); the row-by-row
    reasons only when a column fails one."""
    if not rows:
        return
    i_id, i_vc, i_cs, i_v = idx["id"], idx["village_code"], idx["changed_station"], idx["version"]
    i_origin, i_bs, i_bv = idx.get("origin_station"), idx.get("base_station"), idx.get("base_version")
    vc, sid, top = auth.village_code, auth.sender_id, auth.counter_to
    # ids and versions: min/max at C speed (a value of the wrong type raises TypeError, and a list or a
    # dict id has no hash and refuses the bundle later); the sync columns' other types are SQLite's to
    # refuse (a list or a dict cannot be stored) and harmless as scalars
    try:
        versions = _column(rows, i_v)
        id_lengths = set(map(len, map(itemgetter(i_id), rows)))
        fine = (
            _distinct(rows, i_vc) == {vc}
            and _distinct(rows, i_cs) == {sid}
            and min(versions) >= 1
            and max(versions) <= top
            and min(id_lengths) > 0
            and max(id_lengths) <= 36
        )
    except TypeError:
        fine = False
    if fine:
        return
    for n, r in enumerate(rows):
        if not _is_text(r[i_id], 36):
            verdict[n] = "记录编号格式不对"
        elif r[i_vc] != vc:
            verdict[n] = (
                f"记录属于其他村（{str(r[i_vc])[:12]}），不是发给本村的"
                if auth.from_town
                else f"记录属于其他村（{str(r[i_vc])[:12]}），只能上报本村的记录"
            )
        elif r[i_cs] != sid:
            verdict[n] = "记录标为由其他工作站修改；包里只能有发送方自己修改的记录"
        elif type(r[i_v]) is not int or not 1 <= r[i_v] <= top:
            verdict[n] = "记录的版本号不对"
        elif (
            (i_origin is not None and not _is_text(r[i_origin], 36))
            or (i_bs is not None and r[i_bs] is not None and not _is_text(r[i_bs], 36))
            or (i_bv is not None and r[i_bv] is not None and type(r[i_bv]) is not int)
        ):
            verdict[n] = "记录的同步字段格式不对"


def _bad_references(
    conn: Connection, values: set[Any], targets: tuple[str, ...], auth: Authority
) -> dict[object, str]:
    """Of the distinct ``values`` of a reference column: those that may not be referenced, with the
    reason (``{col}`` filled in by the caller). Set algebra against the bundle's own ids first; the
    database is asked only about the rest."""
    if len(targets) == 1:  # the usual case: every value a row of this bundle, of this village, not refused
        in_bundle = auth.bundle_rows.get(targets[0])
        if (
            in_bundle is not None
            and in_bundle.keys() >= values
            and not auth.foreign_ids(targets[0])
            and not auth.rejected.get(targets[0])
        ):
            return {}
    bad: dict[object, str] = {}
    known: set[Any] = set()  # rows of this bundle, of this village, not refused
    for t in targets:
        in_bundle = auth.bundle_rows.get(t)
        if not in_bundle:
            continue
        here = values & in_bundle.keys()
        for value in here & auth.foreign_ids(t):
            bad[value] = "“{col}”引用了其他村的记录"
        known |= here - auth.rejected.get(t, set())
    rest = values - known - bad.keys()
    if not rest:
        return bad
    lookup: set[str] = set()
    for value in rest:
        if _is_text(value, 36):
            lookup.add(value)
        else:
            bad[value] = "“{col}”的格式不对"
    if not lookup:
        return bad
    found = _owners(conn, {t: lookup for t in targets})
    for value in lookup:
        owners = [(t, found.get((t, value))) for t in targets]
        if any(
            owner is not None
            and owner != auth.village_code
            and not (may_reference_town_row(t) and owner == auth.town_code)
            for t, owner in owners
        ):
            bad[value] = "“{col}”引用了其他村的记录"
        elif all(owner is None for _t, owner in owners) and any(
            value in auth.rejected.get(t, ()) for t in targets
        ):
            bad[value] = "“{col}”引用的记录在本包中已被拒收"
    return bad


def _attachments_pass(rows: list[list[Any]], idx: dict[str, int], auth: Authority) -> bool:
    """Would :func:`_attachment_verdict` pass every row? On whole columns: every hash 64 lowercase hex
    digits (:func:`app.sync.gate.all_sha256`), every owner table known, and (from a village) no owner of
    the town's scope."""
    shas = _column(rows, idx["sha256"])
    town_owned = () if auth.from_town else {key for key, scope in auth.scopes.items() if scope == TOWN_SCOPE}
    try:
        tables = _distinct(rows, idx["owner_table"])
        owners = (
            set(zip(_column(rows, idx["owner_table"]), _column(rows, idx["owner_id"]), strict=True))
            if town_owned
            else ()
        )
    except TypeError:  # an owner that is a list or a dict: the row's own verdict says so
        return False
    return (
        all_sha256(shas) and tables <= auth.synced_tables and not any(owner in town_owned for owner in owners)
    )


def _attachment_verdict(r: list[Any], idx: dict[str, int], auth: Authority) -> str | None:
    sha, owner_table = r[idx["sha256"]], r[idx["owner_table"]]
    if not isinstance(sha, str) or not SHA256.fullmatch(sha):
        return "附件的校验值不是 64 位小写十六进制数字"
    if owner_table not in auth.synced_tables:
        return "附件所属的记录类型不认识"
    if not auth.from_town and auth.scopes.get((owner_table, r[idx["owner_id"]])) == TOWN_SCOPE:
        return "镇级为民实事的照片由乡镇附上，村里不能新建或修改"
    return None


def load_scopes(
    conn: Connection, table_name: str, idx: dict[str, int], rows: list[list[Any]], auth: Authority
) -> None:
    """Into ``auth.scopes``: the scope of the rows these rows belong to (a milestone's project, an
    attachment's owner), as held here, else as the bundle carries it; and of these rows' own local
    copies. Only for TOWN_SCOPED_TABLES and attachments owned by their rows (none in most bundles)."""
    wanted: dict[str, set[str]] = {}
    if table_name in TOWN_SCOPED_TABLES:
        wanted.setdefault(table_name, set()).update(
            r[idx["id"]] for r in rows if isinstance(r[idx["id"]], str)
        )
        parent = SCOPE_PARENT.get(table_name)
        if parent in idx:
            wanted.setdefault("project", set()).update(
                r[idx[parent]] for r in rows if isinstance(r[idx[parent]], str)
            )
    elif table_name == "attachment" and "owner_table" in idx and "owner_id" in idx:
        for r in rows:
            if r[idx["owner_table"]] in TOWN_SCOPED_TABLES and isinstance(r[idx["owner_id"]], str):
                wanted.setdefault(r[idx["owner_table"]], set()).add(r[idx["owner_id"]])
    for table, ids in wanted.items():
        ids_list = sorted(ids)
        for start in range(0, len(ids_list), 500):
            chunk = ids_list[start : start + 500]
            sql = f'SELECT id, scope FROM "{table}" WHERE id IN ({",".join("?" * len(chunk))})'
            for rid, scope in conn.exec_driver_sql(sql, tuple(chunk)):
                auth.scopes[(table, rid)] = scope
        for rid in ids:
            if (table, rid) not in auth.scopes and (table, rid) in auth.bundle_scopes:
                auth.scopes[(table, rid)] = auth.bundle_scopes[(table, rid)]


def scope_verdict(
    table_name: str, columns: list[str], incoming: list[Any], local: dict[str, Any] | None, auth: Authority
) -> str | None:
    """A 为民实事 row (or a photo of one): a 村 row only from its village, a 镇 row only from the town;
    the scope never changes, and a milestone, a demand link or a photo has its project's scope."""
    row = dict(zip(columns, incoming, strict=True))
    if table_name == "attachment":
        scope = auth.scopes.get((row.get("owner_table"), row.get("owner_id")))  # type: ignore[arg-type]
    else:
        scope = row.get("scope", local.get("scope") if local is not None else None)
        if scope not in PROJECT_SCOPES:
            return f"“{column_label('scope')}”只能是{'或'.join(PROJECT_SCOPES)}"
        if local is not None and local.get("scope") != scope:
            return "为民实事建立后不能改变范围（村/镇）"
        parent = SCOPE_PARENT.get(table_name)
        if parent is not None and auth.scopes.get(("project", row.get(parent))) not in (None, scope):  # type: ignore[arg-type]
            return "与所属为民实事的范围（村/镇）不一致"
    if auth.from_town:
        if scope != TOWN_SCOPE:
            return "村级为民实事由村里录入，乡镇不能新建或修改"
        if local is None and row.get("origin_station", auth.sender_id) != auth.sender_id:
            return "新记录标为由其他工作站建立"
        return None
    if scope == TOWN_SCOPE:
        return "镇级为民实事由乡镇录入并随下发包送到村里，村里不能新建或修改"
    return None


def _owners(conn: Connection, lookups: dict[str, set[str]]) -> dict[tuple[str, str], str]:
    """(table, id) → village_code of the rows that exist here."""
    found: dict[tuple[str, str], str] = {}
    for table, ids in lookups.items():
        ids_list = sorted(ids)
        for start in range(0, len(ids_list), 500):
            chunk = ids_list[start : start + 500]
            sql = f'SELECT id, village_code FROM "{table}" WHERE id IN ({",".join("?" * len(chunk))})'
            for rid, vc in conn.exec_driver_sql(sql, tuple(chunk)):
                found[(table, rid)] = vc
    return found


def attachment_content_refused(
    conn: Connection,
    attachments_dir: Path,
    rows: list[list[Any]],
    columns: list[str],
    auth: Authority,
    has_content: Callable[[Connection, Path, str], bool],
) -> dict[str, str]:
    """Live attachment rows whose content is neither in the bundle nor already held here for that
    village: refused. A bundle cannot claim another village's photo by its hash, and a row whose
    content the sender lost stays unacknowledged at the village, shown with this reason, until it is
    attached again or removed there."""
    idx = {c: i for i, c in enumerate(columns)}
    i_sha, i_del, i_id = idx["sha256"], idx["deleted_at"], idx["id"]
    wanted = {r[i_sha] for r in rows if r[i_del] is None and r[i_sha] not in auth.blob_hashes}
    if not wanted:
        return {}
    mine: set[str] = set()
    wanted_list = sorted(wanted)
    for start in range(0, len(wanted_list), 500):
        chunk = wanted_list[start : start + 500]
        mine.update(
            sha
            for (sha,) in conn.exec_driver_sql(
                f"SELECT DISTINCT sha256 FROM attachment WHERE village_code = ? AND sha256 IN ({','.join('?' * len(chunk))})",
                (auth.village_code, *chunk),
            )
        )
    refused = {}
    for r in rows:
        sha = r[i_sha]
        if sha in wanted and not (sha in mine and has_content(conn, attachments_dir, sha)):
            refused[r[i_id]] = "附件内容不在包内，本站也没有该村的这份内容；请在村里重新附上或删除这个附件"
    return refused


def column_verdict(
    table_name: str, columns: list[str], incoming: list[Any], local: dict[str, Any] | None, auth: Authority
) -> str | None:
    """May the sender write this row (new when ``local`` is None) over the local one, column by column?"""
    if table_name in REVIEW_TABLES:
        return reviews_verdict(table_name, columns, incoming, local, auth)
    if table_name in TOWN_SCOPED_TABLES or (
        table_name == "attachment"
        and auth.from_town
        and auth.scopes.get((incoming[columns.index("owner_table")], incoming[columns.index("owner_id")]))
        == TOWN_SCOPE
    ):
        return scope_verdict(table_name, columns, incoming, local, auth)
    if auth.from_town:
        if table_name in UNIT_OWNED_TABLES:
            return None  # the town's own 包案 (checked by _screen_owner_unit): every column is its own
        if local is None:
            return "乡镇不能新建本村的记录"
        allowed = TOWN_COLUMNS.get(table_name, frozenset()) | BOOKKEEPING
        changed = [
            c for i, c in enumerate(columns) if c not in allowed and c in local and incoming[i] != local[c]
        ]
        if changed:
            return f"乡镇只能填写自己的处理和答复，不能修改本村记录的{'、'.join(column_label(c) for c in changed[:5])}"
        return demand_verdict(columns, incoming, local, from_town=True) if table_name == "demand" else None
    if table_name == "mediation_report":
        from app.mediation.monthly import parse_frozen  # (imported late: a leaf module, only needed here)

        idx = {c: i for i, c in enumerate(columns)}
        year, month, edition = (incoming[idx[c]] if c in idx else None for c in ("year", "month", "edition"))
        if (
            "figures" not in idx
            or parse_frozen(incoming[idx["figures"]]) is None
            or type(year) is not int
            or not 2000 <= year <= 2100
            or type(month) is not int
            or not 1 <= month <= 12
            or type(edition) is not int
            or edition < 1
        ):
            return "月报表的年月、版次或数字格式不对"
    if table_name in FROZEN_TABLES and local is not None:
        changed = [
            c
            for i, c in enumerate(columns)
            if c not in BOOKKEEPING and c in local and incoming[i] != local[c]
        ]
        if changed:
            return "已生成的月报表不能修改（只能“重新生成”一个新版本）"
    town_only = TOWN_ONLY_COLUMNS.get(table_name)
    # a case's town handling may be cleared by the village (a re-escalation starts afresh); the town's
    # reply to a demand never is: no step of the village's takes it back
    may_clear = table_name != "demand"
    if town_only:
        for i, c in enumerate(columns):
            if c not in town_only:
                continue
            before = local.get(c) if local is not None else None
            if incoming[i] in (None, "") or (type(incoming[i]) is int and incoming[i] == 0):  # 0: no amount
                if not may_clear and before not in (None, ""):
                    return f"“{column_label(c)}”是乡镇的答复，村里不能清除"
            elif local is None or incoming[i] != before:
                return f"“{column_label(c)}”只能由乡镇填写"
    if table_name == "demand":
        return demand_verdict(columns, incoming, local, from_town=False)
    if table_name in ROW_RULE_TABLES:
        from app.aid.rules import incoming_verdict  # (imported late: a leaf module, only needed here)

        return incoming_verdict(table_name, columns, incoming, local)
    return None


def _unfilled(value: object) -> bool:
    """A town-only column left empty by a village (:func:`column_verdict`'s test: 0 is no amount)."""
    return value in (None, "") or (type(value) is int and value == 0)


def new_rows_pass(table_name: str, columns: list[str], rows: list[list[Any]], auth: Authority) -> bool:
    """Would :func:`column_verdict` pass every one of ``rows`` as a new record here (``local`` None)?
    Answered on whole columns, for a village's rows of the tables whose only new-row rules are column
    tests (town-only columns left empty; a demand's status and office). True: none needs asking; False:
    some may fail, or the table has other rules: the caller asks row by row, for the reasons.

    Types are looked at before values: a set would take ``False`` or ``0.0`` for the ``0`` that
    leaves an amount empty, and only an ``int`` 0 does."""
    if (
        auth.from_town
        or table_name not in TOWN_ONLY_COLUMNS
        or table_name in ROW_CHECKED_TABLES
        or table_name in TOWN_SCOPED_TABLES
        or not set(map(len, rows)) <= {len(columns)}
    ):
        return False
    idx = {c: i for i, c in enumerate(columns)}
    none = type(None)
    for c in TOWN_ONLY_COLUMNS[table_name]:
        if c in idx:
            values = _column(rows, idx[c])
            if set(map(type, values)) != {none} and not all(map(_unfilled, values)):
                return False
    if table_name != "demand":
        return True
    # demand_verdict of a new row from a village: a known status, never 乡镇已答复; an office of the
    # list or none, and one named when the status is 已上报乡镇
    if "status" not in idx:
        return False
    statuses = _column(rows, idx["status"])
    allowed = set(vocab.DEMAND_STATUSES) - {vocab.TOWN_REPLIED}
    if set(map(type, statuses)) != {str} or not set(statuses) <= allowed:
        return False
    if "referred_office" not in idx:
        return vocab.REFERRED not in statuses
    offices = _column(rows, idx["referred_office"])
    kinds = set(map(type, offices))
    if not kinds <= {none, str} or not {o for o in offices if o is not None} <= set(vocab.TOWN_OFFICES):
        return False
    return none not in kinds or all(
        o is not None for s, o in zip(statuses, offices, strict=True) if s == vocab.REFERRED
    )


def demand_verdict(
    columns: list[str], incoming: list[Any], local: dict[str, Any] | None, *, from_town: bool
) -> str | None:
    """A demand's status and office, step by step (交办, docs/referral.md), on a row that would be
    written: the town moves a referred demand to 乡镇已答复 with its reply and nothing else; a village
    names an office of the list, never claims the town's 乡镇已答复, and does not leave 已上报乡镇 before
    the town answered (the town's answer would then meet a demand already settled)."""
    row = dict(zip(columns, incoming, strict=True))
    before = local.get("status") if local is not None else None
    status = row.get("status", before)
    if status not in vocab.DEMAND_STATUSES:
        return "“办理状态”不是认识的状态"
    if from_town:
        if local is not None and all(row[c] == local.get(c) for c in TOWN_COLUMNS["demand"] if c in row):
            return None  # the town's row carries nothing of its own (a resolved conflict, say)
        if before not in (vocab.REFERRED, vocab.TOWN_REPLIED):
            return "这条诉求没有上报乡镇，乡镇不能答复"
        if status != vocab.TOWN_REPLIED:
            return f"乡镇只能把上报的诉求改为“{vocab.TOWN_REPLIED}”"
        merged = {**(local or {}), **row}
        if merged.get("town_reply_kind") not in vocab.TOWN_REPLY_KINDS or not merged.get("town_reply"):
            return "乡镇答复缺少答复方式或答复内容"
        return None
    office = row.get("referred_office", local.get("referred_office") if local is not None else None)
    if office is not None and office not in vocab.TOWN_OFFICES:
        return f"上报的科室“{str(office)[:20]}”不在乡镇科室名单里"
    if status in (vocab.REFERRED, vocab.TOWN_REPLIED) and office is None:
        return "上报乡镇的诉求没有写明科室"
    if status == vocab.TOWN_REPLIED and before != vocab.TOWN_REPLIED:
        return f"“{vocab.TOWN_REPLIED}”只能由乡镇填写"
    if before == vocab.REFERRED and status != vocab.REFERRED:
        return f"诉求已上报乡镇，乡镇答复前村里不能改为“{status}”"
    return None


# -- 两评 (docs/reviews.md) -----------------------------------------------------------------------------
REVIEW_COUNT_COLUMNS = (
    "ballots_issued",
    "ballots_returned",
    "satisfied",
    "basically_satisfied",
    "dissatisfied",
    "invalid",
)
MAX_BALLOTS = 100_000


def tally_problem(counts: dict[str, object]) -> str | None:
    """Why a 群众评议 tally cannot be (whole numbers from 0; the four kinds of ballot add up to those
    returned; no more returned than issued), or None. The service and the importer ask the same."""
    for c in REVIEW_COUNT_COLUMNS:
        v = counts.get(c)
        if type(v) is not int or not 0 <= v <= MAX_BALLOTS:
            return f"“{column_label(c)}”应为 0 到 {MAX_BALLOTS} 的整数"
    n = {c: int(counts[c]) for c in REVIEW_COUNT_COLUMNS}  # type: ignore[call-overload]
    if n["ballots_returned"] > n["ballots_issued"]:
        return "收回的评议票比发出的多"
    parts = n["satisfied"] + n["basically_satisfied"] + n["dissatisfied"] + n["invalid"]
    if parts != n["ballots_returned"]:
        return f"满意、基本满意、不满意和无效票合计 {parts} 张，与收回的 {n['ballots_returned']} 张不符"
    return None


def period_problem(period: object) -> str | None:
    if not (
        isinstance(period, str)
        and len(period) == 6
        and period.isascii()  # (２０２４H1 has digits to str.isdigit, and would be another period)
        and period[:4].isdigit()
        and 2000 <= int(period[:4]) <= 2100
        and period[4:] in ("H1", "H2")
    ):
        return "评议期应写成 2026H1（上半年）或 2026H2（下半年）"
    return None


def reviews_verdict(
    table_name: str, columns: list[str], incoming: list[Any], local: dict[str, Any] | None, auth: Authority
) -> str | None:
    """两评's records across sync, both ways: the town's 点评会 minutes never come from a village; a
    decision is created and worded only by the town, its completion only by the village; a 群众评议 tally
    only by the village, with counts that add up."""
    row = dict(zip(columns, incoming, strict=True))
    changed = (
        None
        if local is None
        else {c for c, v in row.items() if c not in BOOKKEEPING and c in local and v != local[c]}
    )
    if table_name == "review_meeting":
        return (
            "点评会纪要是乡镇的记录，不能由村里上报" if not auth.from_town else "点评会纪要留在乡镇，不下发"
        )
    if table_name == "cadre_review":
        if auth.from_town:
            return "群众评议的计票由村里录入，乡镇不能新建或修改"
        return period_problem(row.get("period", (local or {}).get("period"))) or tally_problem(
            {c: row.get(c, (local or {}).get(c)) for c in REVIEW_COUNT_COLUMNS}
        )
    village_cols = VILLAGE_COLUMNS[table_name]
    if auth.from_town:
        if local is None:
            if row.get("origin_station") != auth.sender_id:
                return "新记录标为由其他工作站建立"
            filled = sorted(c for c in village_cols if row.get(c) not in (None, ""))
        else:
            filled = sorted(village_cols & (changed or set()))
        if filled:
            return "落实情况由村里填写，乡镇不能代填或修改：" + "、".join(column_label(c) for c in filled)
        text = row.get("text", (local or {}).get("text"))
        if not isinstance(text, str) or not text.strip():
            return "点评会决定没有内容"
        return None
    if local is None:
        return "点评会决定由乡镇下发，村里不能新建"
    others = sorted((changed or set()) - village_cols)
    if others:
        return "村里只能填写点评会决定的落实情况，不能修改" + "、".join(column_label(c) for c in others[:5])
    return None
