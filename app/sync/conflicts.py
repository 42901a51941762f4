"""冲突处理: both versions of a concurrently edited record, and their resolution.

Resolving writes a new local version of the record (keep ours, take theirs, or a field-by-field
merge). It is stamped like any edit and additionally names the other side's version as its base,
so it supersedes both: the other station fast-forwards to it when it arrives there.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.dialects import sqlite
from sqlalchemy.orm.attributes import flag_modified

from db.base import SYNC_COLUMNS, SyncedRecord, utcnow
from db.models import Station, SyncConflict, User

from app import accounts, audit
from app.errors import UserError
from app.sync import records
from app.workspace import Workspace

LOCAL, INCOMING = "local", "incoming"


@dataclass(frozen=True)
class ConflictInfo:
    id: int
    record_type: str
    table_name: str
    record_id: str
    village_code: str
    incoming_station_name: str
    detected_at: dt.datetime
    resolved_at: dt.datetime | None
    resolution: str | None
    local: dict[str, Any]
    incoming: dict[str, Any]

    @property
    def data_fields(self) -> list[str]:
        return [c for c in self.local if c not in SYNC_COLUMNS]

    @property
    def differing(self) -> list[str]:
        return [c for c in self.data_fields if self.local.get(c) != self.incoming.get(c)]


def _info(c: SyncConflict, names: dict[str, str]) -> ConflictInfo:
    return ConflictInfo(
        c.id,
        c.record_type,
        c.table_name,
        c.record_id,
        c.village_code,
        names.get(c.incoming_station, c.incoming_station),
        c.detected_at,
        c.resolved_at,
        c.resolution,
        json.loads(c.local_row),
        json.loads(c.incoming_row),
    )


def list_conflicts(ws: Workspace, *, open_only: bool = True) -> list[ConflictInfo]:
    with ws.new_session() as s:
        names = dict(s.execute(select(Station.id, Station.name)).all())
        q = select(SyncConflict).order_by(SyncConflict.detected_at, SyncConflict.id)
        if open_only:
            q = q.where(SyncConflict.resolved_at.is_(None))
        return [_info(c, names) for c in s.scalars(q)]


def _python_value(model: type[SyncedRecord], column_name: str, raw: Any) -> Any:
    """A stored (SQLite) value back to the Python value the ORM attribute expects."""
    col = records.table_of(model).c[column_name]
    dialect = sqlite.dialect()
    # the dialect's own type (sqlite.DATE …): the generic Date/DateTime have no converter from text
    proc = col.type.dialect_impl(dialect).result_processor(dialect, None)
    return proc(raw) if (proc is not None and raw is not None) else raw


def resolve(
    ws: Workspace, conflict_id: int, choice: str | dict[str, str], *, actor: User | None = None
) -> None:
    """``choice``: "local", "incoming", or {field: "local" | "incoming"} for a merge (unnamed fields: local)."""
    if actor is not None:
        accounts.require(actor, "sync")
    # writing a village row as one of the two stations sent it, not as the town's own edit
    with ws.session(actor.id if actor else None, resolving_conflict=True) as s:
        c = s.get(SyncConflict, conflict_id)
        if c is None:
            raise UserError("找不到这条冲突记录")
        if c.resolved_at is not None:
            raise UserError("这条冲突已经处理过了")
        model = records.model_for_table(c.table_name)
        local, incoming = json.loads(c.local_row), json.loads(c.incoming_row)
        fields = [f for f in local if f not in SYNC_COLUMNS]
        if isinstance(choice, str):
            if choice not in (LOCAL, INCOMING):
                raise UserError("请选择保留本站版本、采用对方版本或逐项合并")
            picks = dict.fromkeys(fields, choice)
            resolution = choice
        else:
            unknown = [f for f in choice if f not in fields]
            if unknown:
                raise UserError(f"没有这个字段：{'、'.join(unknown)}")
            picks = {f: choice.get(f, LOCAL) for f in fields}
            resolution = "merged" if len(set(picks.values())) > 1 else next(iter(set(picks.values())), LOCAL)
        obj = s.get(model, c.record_id)
        assert obj is not None, "a conflict is recorded against a local row (synced rows are not deleted)"
        for f in fields:
            source = incoming if picks[f] == INCOMING else local
            if f in source:
                setattr(obj, f, _python_value(model, f, source[f]))
        # Tombstones follow the chosen side of the record as a whole.
        deleted_side = incoming if resolution == INCOMING else local
        obj.deleted_at = _python_value(model, "deleted_at", deleted_side.get("deleted_at"))
        flag_modified(obj, "updated_at")  # a new version even when ours is kept unchanged
        s.flush()
        table = records.table_of(model)
        s.execute(
            update(table)
            .where(table.c.id == c.record_id)
            .values(base_station=c.incoming_station, base_version=c.incoming_version)
        )
        c.resolved_at = utcnow()
        c.resolved_by = actor.id if actor else None
        c.resolution = resolution
        audit.record(
            s,
            actor,
            "sync.conflict.resolve",
            table=c.table_name,
            record_id=c.record_id,
            fields=[f for f in fields if local.get(f) != incoming.get(f)],
            detail=resolution,
        )
