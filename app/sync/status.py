"""What the 上报与同步 screens show: a village's unacknowledged changes and last receipt, and the
town's board of villages (last bundle, sequence, gaps, last import, unacknowledged)."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from db.models import Station, StationCounter, SyncConflict, SyncPeer

from app.sync import records
from app.sync.common import local_station, peer_stations
from app.sync.gaps import coverage, gaps_covered, missing_seqs, received_from
from app.workspace import Workspace

# Chinese names of the record types known today; a type added later shows its plural key until named here
# (or until models carry a label of their own).


_COMMON_FIELD_LABELS = {
    "head_name": "户主",
    "card_delivered_on": "联系卡送达日期",
    "status": "状态",
    "status_date": "状态日期",
    "content": "内容",
    "category": "类别",
    "handling": "办理情况",
    "reply": "答复",
    "replied_on": "答复日期",
    "due_on": "期限",
    "closed_on": "办结日期",
    "title": "标题",
    "state": "状态",
    "display_name": "姓名",
    "roles": "角色",
    "active": "启用",
    "deleted_at": "删除时间",
    "text": "内容",
    "summary": "简要案情",
    "referred_office": "上报科室",
    "referral_note": "上报说明",
    "referred_on": "上报日期",
    "referred_by": "上报人",
    "town_reply_kind": "乡镇答复方式",
    "town_reply": "乡镇答复内容",
    "town_forwarded_to": "转报的县级部门",
    "town_replied_on": "乡镇答复日期",
    "town_replied_by": "乡镇答复人",
    "feedback_verdict": "群众点评",
    "feedback_words": "群众原话",
    "position": "顺序",
    "people_count": "涉及人数",
    "amount_fen": "金额（分）",
    "accepted_on": "受理日期",
    "occurred_at": "走访时间",
    "created_at": "建立时间",
    "given_on": "帮扶日期",
    "held_on": "会议日期",
    "held_at": "调解时间",
    "start_on": "开始日期",
    "end_on": "结束日期",
    "signed_on": "签名日期",
    "on_date": "日期",
    "round_date": "排查日期",
    "reached_on": "协议日期",
    "effective_on": "生效日期",
    "opened_on": "立案日期",
    "counted_on": "计票日期",
    "feedback_method": "点评方式",
    "feedback_on": "点评日期",
    "feedback_recorded_by": "点评记录人",
}


def field_words(name: str) -> str:
    """A column's name in Chinese alone when it has one (for a list of them), else the name."""
    label = field_label(name)
    return label.split("（")[0] if label != name else name


def field_label(name: str) -> str:
    """A column name as users read it: the feature's own label when it has one, else the name."""
    from app.diary import entries
    from app.households import checks as households

    label = (
        households.FIELD_LABELS.get(name) or entries.FIELD_LABELS.get(name) or _COMMON_FIELD_LABELS.get(name)
    )
    return f"{label}（{name}）" if label else name


def record_label(record_type: str) -> str:
    """The record type in Chinese (each synced model's ``__label__``)."""
    for model in records.models():
        if model.__record_type__ == record_type:
            return model.__label__ or record_type
    return record_type


def unacknowledged_counts(
    ws: Workspace, station_id: str, acked_through: int, village_code: str | None = None
) -> dict[str, int]:
    """Changes of this station above ``acked_through`` per record type (optionally one village's)."""
    counts = {}
    assert ws.engine is not None, "the workspace is open"
    with ws.engine.connect() as conn:
        for spec in records.table_specs():
            sql = f'SELECT count(*) FROM "{spec.table_name}" WHERE changed_station = ? AND version > ?'
            params: tuple[object, ...] = (station_id, acked_through)
            if village_code is not None:
                sql += " AND village_code = ?"
                params += (village_code,)
            counts[spec.record_type] = conn.exec_driver_sql(sql, params).scalar_one()
    return counts


@dataclass
class VillageSyncStatus:
    town_name: str | None
    counter: int
    acked_through: int
    unacknowledged: dict[str, int]
    last_export_at: dt.datetime | None
    last_export_file: str | None
    last_seq: int
    last_receipt_at: dt.datetime | None
    last_receipt: dict[str, Any] | None
    town_bundles: int  # 下发包 received
    open_conflicts: int

    @property
    def unacknowledged_total(self) -> int:
        return sum(self.unacknowledged.values())


def village_status(ws: Workspace) -> VillageSyncStatus:
    me = local_station(ws)
    towns = [p for p in peer_stations(ws) if p.kind == "town"]
    town = towns[0] if towns else None
    with ws.new_session() as s:
        own = s.get(StationCounter, me.id)
        assert own is not None, "made with the local station"
        counter = own.value
        peer = s.get(SyncPeer, town.id) if town else None
        got = received_from(s, town.id) if town else []
        conflicts = len(list(s.scalars(select(SyncConflict.id).where(SyncConflict.resolved_at.is_(None)))))
    acked = peer.acked_through if peer else 0
    return VillageSyncStatus(
        town.name if town else None,
        counter,
        acked,
        unacknowledged_counts(ws, me.id, acked),
        peer.last_export_at if peer else None,
        peer.last_export_file if peer else None,
        peer.last_seq if peer else 0,
        peer.last_receipt_at if peer else None,
        json.loads(peer.last_receipt) if peer and peer.last_receipt else None,
        len(got),
        conflicts,
    )


@dataclass(frozen=True)
class RefusedRecord:
    """A record the peer refused by an authority rule, as a person should see it."""

    record_type: str
    label: str  # the record type in Chinese
    record_id: str
    description: str  # what the record is (a household's head, a person's name …)
    reason: str
    household_id: str | None  # the household to re-key, when re-keying fixes it


_DESCRIBE = {
    "household": ("head_name", "address"),
    "person": ("name", "relation"),
    "diary_entry": ("occurred_at", "place"),
    "demand": ("content",),
    "mediation_case": ("title",),
    "mediation_party": ("name",),
    "mediation_recusal": ("mediator_name", "requested_on"),
    "mediation_report": ("year", "month", "edition"),
    "screening_item": ("description",),
    "attachment": ("filename",),
    "user": ("display_name",),
    "keycase": ("title",),
}


def describe(table_name: str, row: dict[str, Any]) -> str:
    """What a record is, in its own words (a household's head and address, a person's name …), for a
    list the user reads; "" when its table has nothing to say."""
    values = (row.get(c) for c in _DESCRIBE.get(table_name, ()))
    return " ".join(str(v) for v in values if v not in (None, ""))[:60]


def refused_records(ws: Workspace, station_id: str | None = None, *, limit: int = 500) -> list[RefusedRecord]:
    """The records a peer refused that still exist here (the town's last receipt at a village; at a
    town, what it refused of ``station_id``'s bundles), with the reason; at most ``limit``."""
    from db.models import SyncRejection

    if station_id is None:
        towns = [p for p in peer_stations(ws) if p.kind == "town"]
        if not towns:
            return []
        station_id = towns[0].id
    out = []
    assert ws.engine is not None, "the workspace is open"
    with ws.engine.connect() as conn:
        table = records.table_of(SyncRejection)
        rows = conn.execute(
            select(table.c.table_name, table.c.record_type, table.c.record_id, table.c.reason)
            .where(table.c.station_id == station_id)
            .order_by(table.c.table_name, table.c.record_id)
            .limit(limit)
        ).all()
        local = local_station(ws).kind == "village"
        for r in rows:
            cols = _DESCRIBE.get(r.table_name, ())
            picked = ", ".join(f'"{c}"' for c in cols) or "id"
            household_col = {"household": "id", "person": "household_id"}.get(r.table_name)
            extra = f', "{household_col}"' if household_col else ""
            found = conn.exec_driver_sql(
                f'SELECT {picked}{extra} FROM "{r.table_name}" WHERE id = ?', (r.record_id,)
            ).first()
            if found is None and local:
                continue  # fixed or re-keyed here: the town's list is older than that
            values = list(found) if found is not None else []
            household_id = values.pop() if household_col and values else None
            description = " ".join(str(v) for v in values if v not in (None, "")) if cols else ""
            out.append(
                RefusedRecord(
                    r.record_type,
                    record_label(r.record_type),
                    r.record_id,
                    description[:60] or "（无可显示的内容）",
                    r.reason,
                    household_id,
                )
            )
    return out


@dataclass
class VillageBoardRow:
    station_id: str
    code: str
    name: str
    revoked: bool
    bundles: int
    last_seq: int | None
    last_bundle_at: dt.datetime | None  # when the village wrote it
    last_import_at: dt.datetime | None
    missing: list[int]
    gaps_covered: bool
    received_through: int
    unacknowledged: int  # the town's changes for this village it has not acknowledged
    receipt_due: bool  # bundles imported since the last receipt was written

    @property
    def gap_text(self) -> str:
        if not self.missing:
            return ""
        text = f"缺第 {'、'.join(map(str, self.missing))} 号包"
        return text + ("（内容已由后续包带到）" if self.gaps_covered else "")


def town_board(ws: Workspace) -> list[VillageBoardRow]:
    me = local_station(ws)
    rows = []
    with ws.new_session() as s:
        villages = list(
            s.scalars(
                select(Station)
                .where(Station.is_local.is_(False), Station.kind == "village")
                .order_by(Station.code, Station.enrolled_at)
            )
        )
        for st in villages:
            got = received_from(s, st.id)
            peer = s.get(SyncPeer, st.id)
            acked = peer.acked_through if peer else 0
            last = max(got, key=lambda b: b.seq) if got else None
            last_import = max((b.imported_at for b in got), default=None)
            missing, _total = missing_seqs(got)
            receipt_due = (
                bool(got)
                and last_import is not None  # (always, when bundles were received)
                and (
                    peer is None
                    or peer.last_receipt_export_at is None
                    or last_import > peer.last_receipt_export_at
                )
            )
            rows.append(
                VillageBoardRow(
                    st.id,
                    st.code,
                    st.name,
                    st.revoked_at is not None,
                    len(got),
                    last.seq if last else None,
                    last.created_at if last else None,
                    last_import,
                    missing,
                    bool(missing) and gaps_covered(got, missing),
                    coverage((b.seq, b.counter_from, b.counter_to) for b in got),
                    sum(unacknowledged_counts(ws, me.id, acked, st.code).values()),
                    receipt_due,
                )
            )
    return rows


def village_filter_choices(ws: Workspace) -> list[tuple[str, str]]:
    """(code, name) of every village this station holds data for — for the other screens' village filter
    at a town station (the local village alone at a village station)."""
    me = local_station(ws)
    if me.kind == "village":
        return [(me.code, me.name)]
    with ws.new_session() as s:
        seen: dict[str, str] = {}
        for st in s.scalars(select(Station).where(Station.kind == "village").order_by(Station.code)):
            seen.setdefault(st.code, st.name)
    return sorted(seen.items())
