"""Central stamping of synced records.

A ``before_flush`` hook on every ORM session gives each inserted or changed synced record its
bookkeeping (station, counter version, times, authors), so no feature can forget it. The counter
is bumped inside the same transaction: a rollback gives the numbers back.

Sessions carry a :class:`StampContext` in ``session.info["stamp"]``. A session with
``session.info["sync_apply"]`` set (the bundle importer) writes records as received, unstamped.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, event, update
from sqlalchemy.orm import Session

from db.base import SyncedRecord, new_id, utcnow
from db.models.core import StationCounter


@dataclass(frozen=True)
class StampContext:
    station_id: str
    village_code: str  # default owner unit for new records (the local station's code)
    user_id: str | None = None


class HardDeleteRefused(RuntimeError):
    """A synced record was deleted through the ORM; deletion must be soft (``deleted_at``)."""


def reserve_versions(conn: Connection, station_id: str, count: int) -> int:
    """Take ``count`` counter values; returns the first. Rolls back with the transaction."""
    top = conn.execute(
        update(StationCounter)
        .where(StationCounter.station_id == station_id)
        .values(value=StationCounter.value + count)
        .returning(StationCounter.value)
    ).scalar_one_or_none()
    if top is None:
        raise RuntimeError(f"no counter for station {station_id}")
    return top - count + 1


_AHEAD = "stamp_versions_ahead"


def _take_versions(session: Session, station_id: str, count: int) -> int:
    """``count`` counter values for a flush: from the block :func:`versions_ahead` took, when there is one."""
    block = session.info.get(_AHEAD)
    if block is None or block["station"] != station_id:
        return reserve_versions(session.connection(), station_id, count)
    if block["next"] + count > block["end"] + 1:  # the next block follows on (no other writer meanwhile)
        more = max(count, block["size"])
        first = reserve_versions(session.connection(), station_id, more)
        if first != block["end"] + 1:  # someone else took numbers: start afresh from here
            block["next"] = first
        block["end"] = first + more - 1
    taken: int = block["next"]
    block["next"] = taken + count
    return taken


@contextlib.contextmanager
def versions_ahead(session: Session, size: int = 1000) -> Iterator[None]:
    """Inside one transaction of many small flushes (the demo's mediation step: 25 flushes a case): the
    station counter is bumped once per ``size`` versions instead of once per flush, and on leaving the
    unused rest is given back, so the counter and every record's version end as the flushes one by one
    would have left them. The block is taken inside the transaction, which then holds SQLite's write
    lock: no other connection takes numbers meanwhile; if a statement of this one does (a bulk insert),
    the rest is not given back (a gap, never a number twice). Not for a session that rolls back to a
    savepoint (the numbers it took in it would come back to the counter but not to the block)."""
    ctx: StampContext = session.info["stamp"]
    station_id = ctx.station_id
    session.info[_AHEAD] = {"station": station_id, "next": 1, "end": 0, "size": size}
    try:
        yield
        session.flush()
        block = session.info[_AHEAD]
        unused = block["end"] - block["next"] + 1
        if unused > 0:
            session.execute(
                update(StationCounter)
                .where(StationCounter.station_id == station_id, StationCounter.value == block["end"])
                .values(value=StationCounter.value - unused)
            )
    finally:
        session.info.pop(_AHEAD, None)


def stamp_new_rows(
    conn: Connection, ctx: StampContext, rows: list[dict[str, Any]], now: dt.datetime | None = None
) -> None:
    """Stamp plain row dicts for a Core bulk insert (demo data, fast importers)."""
    if not rows:
        return
    now = now or utcnow()
    first = reserve_versions(conn, ctx.station_id, len(rows))
    stamp = {
        "origin_station": ctx.station_id,
        "version": first,
        "changed_station": ctx.station_id,
        "base_station": None,
        "base_version": None,
        "created_at": now,
        "updated_at": now,
        "created_by": ctx.user_id,
        "updated_by": ctx.user_id,
    }
    for version, row in enumerate(rows, first):
        if row.get("id") is None:
            row["id"] = new_id(ctx.station_id)
        row.setdefault("village_code", ctx.village_code)
        row.update(stamp)
        row["version"] = version
        row.setdefault("deleted_at", None)


def _synced(objects: Iterable[object]) -> list[SyncedRecord]:
    return [o for o in objects if isinstance(o, SyncedRecord)]


@event.listens_for(Session, "before_flush")
def _stamp_before_flush(session: Session, flush_context: object, instances: object) -> None:
    if session.info.get("sync_apply"):
        return
    deleted = _synced(session.deleted)
    if deleted and not session.info.get("privacy_purge"):
        raise HardDeleteRefused(
            f"{type(deleted[0]).__name__} {deleted[0].id}: synced records are soft-deleted (deleted_at)"
        )
    new = _synced(session.new)
    dirty = [o for o in _synced(session.dirty) if session.is_modified(o, include_collections=False)]
    if not new and not dirty:
        return
    ctx: StampContext | None = session.info.get("stamp")
    if ctx is None:
        raise RuntimeError("session has no StampContext; open sessions through the workspace")
    now = utcnow()
    version = _take_versions(session, ctx.station_id, len(new) + len(dirty))
    for obj in new:
        if obj.id is None:
            obj.id = new_id(ctx.station_id)
        if obj.village_code is None:
            obj.village_code = ctx.village_code
        obj.origin_station = ctx.station_id
        obj.created_at = now
        obj.created_by = ctx.user_id
        obj.base_station = None
        obj.base_version = None
        obj.changed_station = ctx.station_id
        obj.version = version
        obj.updated_at = now
        obj.updated_by = ctx.user_id
        version += 1
    for obj in dirty:
        if obj.changed_station != ctx.station_id:
            # Edited from another station's version: remember it for conflict detection.
            obj.base_station = obj.changed_station
            obj.base_version = obj.version
        obj.changed_station = ctx.station_id
        obj.version = version
        obj.updated_at = now
        obj.updated_by = ctx.user_id
        version += 1
