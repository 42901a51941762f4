"""Declarative base, naming convention and the synced-record mixin.

Every table that travels between stations (village ↔ town) mixes in :class:`SyncedRecord`. Its
bookkeeping columns are stamped centrally by :mod:`db.stamping`, never by feature code.
"""

import datetime as dt
import hashlib
import re
import secrets
import time
import uuid
from collections.abc import Iterator

from sqlalchemy import DateTime, Index, Integer, MetaData, String
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


_ID_NS = uuid.UUID("0b1c5c0e-8d3a-4f57-a0f1-6d696e716964")
_ID_NS_BYTES = _ID_NS.bytes
_CANONICAL = re.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")


def new_id(station_id: str | None = None, *, ms: int | None = None, rand: int | None = None) -> str:
    """A record id: a UUID (RFC 9562 version 8) that sorts by the station that made it, then by time.

    Layout (bits, high to low): 32 the creating station (the first eight hex digits of its id), 48 the
    time in milliseconds (with the version nibble inside), 2 the variant, 42 random. A station's
    records are therefore neighbours in every index keyed by an id, at the station and at the town
    that holds thirty villages: importing a village's bundle touches that village's part of each index
    instead of every page of it (random UUIDs rewrote whole indexes per bundle). Without a station the
    prefix is random. ``ms``/``rand`` make ids reproducible (demo data).
    """
    if ms is None:
        ms = time.time_ns() // 1_000_000
    if rand is None:
        rand = secrets.randbits(42)
    return _as_uuid_text(_id_base(station_id, ms) | (rand & ((1 << 42) - 1)))


def _id_base(station_id: str | None, ms: int) -> int:
    """An id's bits but the 42 random ones: the station's prefix, the millisecond, version and variant."""
    prefix = int(station_id.replace("-", "")[:8], 16) if station_id else secrets.randbits(32)
    ms &= (1 << 48) - 1
    return (
        prefix << 96
        | (ms >> 32) << 80
        | 0x8 << 76
        | ((ms >> 20) & 0xFFF) << 64
        | 0b10 << 62
        | (ms & 0xFFFFF) << 42
    )


def _as_uuid_text(value: int) -> str:
    """``str(uuid.UUID(int=value))`` without building the UUID object."""
    h = f"{value:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def new_ids(station_id: str | None, count: int) -> list[str]:
    """``count`` ids as :func:`new_id` makes them, made at once (one reading of the clock, for an
    importer of thousands of rows): in the order given they sort as ids made one after another do."""
    base = _id_base(station_id, time.time_ns() // 1_000_000)
    drawn = secrets.token_bytes(6 * count)  # 48 random bits an id, of which 42 are used
    rands = {int.from_bytes(drawn[i : i + 6]) >> 6 for i in range(0, 6 * count, 6)}
    while len(rands) < count:  # distinct: they share the time
        rands.add(secrets.randbits(42))
    return [_as_uuid_text(base | rand) for rand in sorted(rands)]


def id_stream(station_id: str | None) -> Iterator[str]:
    """Ids of a station as :func:`new_id` makes them, a thousand at a time (:func:`new_ids`): for a writer
    of many rows (a roster import, the demo), which would otherwise read the system's random source once
    an id (2.4 µs an id against 1.0)."""
    while True:
        yield from new_ids(station_id, 1000)


def random_id() -> str:
    """Column default for rows made without a station (stamping normally sets the id first)."""
    return new_id()


def derived_id(parent_id: str, *parts: str) -> str:
    """An id that two stations making the same link compute alike (name-based, from ``parent_id``
    and ``parts``) and that sits beside its parent in the indexes: the parent's station and time
    bits, the rest from a SHA-1 of the parts (as uuid5)."""
    # uuid5's SHA-1 without its UUID objects (a demo of 100 000 households makes a million of these ids):
    # the bits used below are those uuid.uuid5(_ID_NS, name).int has (its version and variant bits are
    # not among them); a parent in the canonical form is read as uuid.UUID reads it
    name = "\x1f".join((parent_id, *parts)).encode()
    digest = int.from_bytes(hashlib.sha1(_ID_NS_BYTES + name).digest()[:16], "big")
    if _CANONICAL.fullmatch(parent_id):
        head = int(parent_id.replace("-", ""), 16) >> 64
    else:
        try:
            head = uuid.UUID(parent_id).int >> 64
        except ValueError:
            head = digest >> 64
    value = head << 64 | 0b10 << 62 | (digest & ((1 << 62) - 1))
    value = value & ~(0xF << 76) | 0x8 << 76
    return _as_uuid_text(value)


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

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=random_id)
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


CHANGES_INDEX = "ix_%s_changes"


def index_changes() -> None:
    """Give every synced table the index ``(changed_station, version)``: a station's changes above a
    counter (what an export sends, and what 上报与同步 counts as not yet acknowledged) are then a range
    of it, not a scan of the table (migration 0024_sync_changes_index). Called once all models are
    declared (``db.models``); a table that has it already is left alone."""
    for cls in synced_models():
        table = cls.__table__  # type: ignore[attr-defined]
        name = CHANGES_INDEX % table.name
        if not any(ix.name == name for ix in table.indexes):
            Index(name, table.c.changed_station, table.c.version)


def synced_models() -> list[type]:
    """All mapped classes that are synced records, in dependency (table creation) order. Worked out
    once for the models declared so far (sorting the tables is a topological sort of every foreign
    key: a bundle's import asks a score of times); a new mapped class works it out again."""
    mappers = Base.registry.mappers
    cached = _synced_models_cache.get(len(mappers))
    if cached is not None:
        return list(cached)
    by_table: dict[str, type] = {}
    for mapper in mappers:
        cls = mapper.class_
        if issubclass(cls, SyncedRecord):
            by_table[mapper.persist_selectable.description] = cls
    found = [by_table[t.name] for t in Base.metadata.sorted_tables if t.name in by_table]
    _synced_models_cache.clear()
    _synced_models_cache[len(mappers)] = found
    return list(found)


_synced_models_cache: dict[int, list[type]] = {}  # number of mappers → the synced models in table order
