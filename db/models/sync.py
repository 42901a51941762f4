"""Sync bookkeeping (local to each station, never synced): peers, received bundles, conflicts."""

import datetime as dt

from sqlalchemy import DateTime, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, utcnow


class SyncPeer(Base):
    """What this station knows about one peer station (its town, or an enrolled village).

    - ``acked_through``: the peer has acknowledged every change of *this* station up to this counter
      value (by a receipt or the ``acknowledges`` of a bundle). Exports carry what lies above it.
    - ``last_seq``: the sequence number of the last bundle this station wrote for the peer.
    """

    __tablename__ = "sync_peer"

    station_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    acked_through: Mapped[int] = mapped_column(Integer, default=0)
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    last_export_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_export_file: Mapped[str | None] = mapped_column(Text)
    last_receipt_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_receipt: Mapped[str | None] = mapped_column(Text)  # JSON of the last receipt applied
    last_receipt_export_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class ReceivedBundle(Base):
    """上报包 (or 下发包) imported from a peer; the log behind "已导入", gaps and receipts."""

    __tablename__ = "sync_received_bundle"
    bundle_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    sender_station: Mapped[str] = mapped_column(String(36), index=True)
    sender_code: Mapped[str] = mapped_column(String(12))
    seq: Mapped[int] = mapped_column(Integer)
    counter_from: Mapped[int] = mapped_column(Integer)
    counter_to: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)  # when the sender wrote it
    imported_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    counts: Mapped[str] = mapped_column(Text)  # JSON {"new", "updated", "unchanged", "conflicts", "rejected"}


class SyncConflict(Base):
    """冲突: the same record edited at two stations concurrently. The local version is kept in the
    table; both versions are stored here (JSON of the synced columns) until a person resolves it."""

    __tablename__ = "sync_conflict"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    table_name: Mapped[str] = mapped_column(String(50))
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(36), index=True)
    village_code: Mapped[str] = mapped_column(String(12))
    local_row: Mapped[str] = mapped_column(Text)
    incoming_row: Mapped[str] = mapped_column(Text)
    incoming_station: Mapped[str] = mapped_column(String(36))
    incoming_version: Mapped[int] = mapped_column(Integer)
    bundle_id: Mapped[str] = mapped_column(String(36))
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolution: Mapped[str | None] = mapped_column(String(20))  # local | incoming | merged | superseded


class SyncRejection(Base):
    """拒收: a record a peer station refused by the authority rules (``docs/bundle-format.md``).

    At the town, one row per record of a village's bundle that broke a rule (the receipt lists them,
    so the village keeps them unacknowledged); a later bundle that brings the record acceptably
    removes it, and so does a newer bundle that no longer carries it (a village resends every refused
    record it still has, so one it left out was fixed or re-keyed). At the village, the list of the
    town's last receipt: those records travel again in
    every bundle until they are fixed or re-keyed, and 上报与同步 shows them with the town's reason."""

    __tablename__ = "sync_rejection"
    __table_args__ = (
        UniqueConstraint("station_id", "table_name", "record_id", name="uq_sync_rejection_station_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    station_id: Mapped[str] = mapped_column(String(36))  # the peer: the sending village, or the town
    table_name: Mapped[str] = mapped_column(String(50))
    record_type: Mapped[str] = mapped_column(String(50))
    record_id: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    bundle_id: Mapped[str | None] = mapped_column(String(36))
    seq: Mapped[int] = mapped_column(Integer, default=0)  # the sequence number of that bundle
    detected_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


__all__ = ["ReceivedBundle", "SyncConflict", "SyncPeer", "SyncRejection"]
