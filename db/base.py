"""Declarative base, naming convention and the synced-record mixin.

Every table that travels between stations (village ↔ town) mixes in :class:`SyncedRecord`. Its
bookkeeping columns are stamped centrally by :mod:`db.stamping`, never by feature code.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import DateTime, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    """Current UTC time as a naive datetime (SQLite stores no zone; all stored times are UTC)."""
    return dt.datetime.now(dt.UTC).replace(tzinfo=None)


def new_id() -> str:
    return str(uuid.uuid4())


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


# Columns owned by the sync machinery; feature code must not set them.
SYNC_COLUMNS = (
    "id",
    "village_code",
    "origin_station",
    "version",
    "changed_station",
    "base_station",
    "base_version",
    "created_at",
    "updated_at",
    "created_by",
    "updated_by",
    "deleted_at",
)


class SyncedRecord:
    """Mixin for every record that travels between stations.

    - ``id``: UUID made where the record was created.
    - ``village_code``: the unit the record belongs to (12-digit village code, or the 9-digit town
      code for town-level records such as town staff). A village may only send its own records.
    - ``origin_station``: station that created the record.
    - ``version``/``changed_station``: value of ``changed_station``'s counter at the last change.
    - ``base_station``/``base_version``: the last version from *another* station this one was
      edited from; the importer uses it to tell a fast-forward from a concurrent edit (conflict).
    - ``deleted_at``: soft-delete tombstone (user deletion is never a hard delete).

    Subclasses set ``__record_type__`` (the plural name used in statistics and bundles, such as
    ``"households"``), ``__label__`` (its Chinese name, such as ``"户"``) and may set ``__sync_exclude__`` (columns that never leave the station).
    """

    __record_type__: str = ""
    __label__: str = ""  # the record type in Chinese, as users see it (上报与同步, conflicts, statistics)
    __sync_exclude__: tuple[str, ...] = ()

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    village_code: Mapped[str] = mapped_column(String(12), index=True)
    origin_station: Mapped[str] = mapped_column(String(36))
    version: Mapped[int] = mapped_column(Integer)
    changed_station: Mapped[str] = mapped_column(String(36))
    base_station: Mapped[str | None] = mapped_column(String(36))
    base_version: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    created_by: Mapped[str | None] = mapped_column(String(36))
    updated_by: Mapped[str | None] = mapped_column(String(36))
    deleted_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    @property
    def is_deleted(self) -> bool:
        return self.deleted_at is not None


def synced_models() -> list[type]:
    """All mapped classes that are synced records, in dependency (table creation) order."""
    by_table = {}
    for mapper in Base.registry.mappers:
        cls = mapper.class_
        if issubclass(cls, SyncedRecord):
            by_table[mapper.local_table.name] = cls
    return [by_table[t.name] for t in Base.metadata.sorted_tables if t.name in by_table]
