"""Stations, accounts, the audit trail, local settings and attachments."""

import datetime as dt

from sqlalchemy import Boolean, DateTime, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord, random_id, utcnow


class Station(Base):
    """工作站: this workspace (``is_local``) and the stations it knows (its town, enrolled villages).

    Not a synced record: stations are exchanged as signed cards, never inside bundles.
    """

    __tablename__ = "station"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=random_id)
    kind: Mapped[str] = mapped_column(String(10))  # "village" | "town"
    code: Mapped[str] = mapped_column(String(12), index=True)
    name: Mapped[str] = mapped_column(String(100))
    town_code: Mapped[str] = mapped_column(String(9))
    town_name: Mapped[str | None] = mapped_column(String(100))
    is_local: Mapped[bool] = mapped_column(Boolean, default=False)
    sign_public_key: Mapped[str | None] = mapped_column(String(100))  # Ed25519, base64 raw
    encrypt_public_key: Mapped[str | None] = mapped_column(String(100))  # X25519, base64 raw
    service_phone: Mapped[str | None] = mapped_column(String(40))
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    revoked_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow)


class StationCounter(Base):
    """The local station's change counter; every synced write takes the next value(s)."""

    __tablename__ = "station_counter"

    station_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    value: Mapped[int] = mapped_column(Integer, default=0)


class User(SyncedRecord, Base):
    """账号. Travels to the town as the cadre's identity, never with the password hash."""

    __tablename__ = "user"
    __record_type__ = "users"
    __label__ = "干部账号"
    __sync_exclude__ = ("password_hash",)
    __table_args__ = (UniqueConstraint("village_code", "username", name="uq_user_village_code_username"),)

    username: Mapped[str] = mapped_column(String(50))
    display_name: Mapped[str] = mapped_column(String(50))
    phone: Mapped[str | None] = mapped_column(String(40))
    title: Mapped[str | None] = mapped_column(String(50))  # 职务, e.g. 村党支部书记
    roles: Mapped[str] = mapped_column(String(200), default="")  # comma-separated role keys
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    @property
    def role_set(self) -> frozenset[str]:
        return frozenset(r for r in self.roles.split(",") if r)


class AuditLog(Base):
    """审计日志: who did what to which record. Field names only, never sensitive values."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, default=utcnow, index=True)
    user_id: Mapped[str | None] = mapped_column(String(36))
    username: Mapped[str | None] = mapped_column(String(50))
    action: Mapped[str] = mapped_column(String(50))
    table_name: Mapped[str | None] = mapped_column(String(50))
    record_id: Mapped[str | None] = mapped_column(String(36))
    fields: Mapped[str | None] = mapped_column(Text)  # comma-separated field names
    detail: Mapped[str | None] = mapped_column(Text)


class Setting(Base):
    """Local key/value settings (JSON text values)."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class Attachment(SyncedRecord, Base):
    """附件: a file (photo, scan, signature) stored by its SHA-256, owned by any record. The content is in
    :class:`AttachmentContent` when small, else a file in the workspace (``app.attachments``)."""

    __tablename__ = "attachment"
    __record_type__ = "attachments"
    __label__ = "附件"

    owner_table: Mapped[str] = mapped_column(String(50))
    owner_id: Mapped[str] = mapped_column(String(36), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    mime: Mapped[str | None] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str | None] = mapped_column(Text)


class AttachmentContent(Base):
    """The bytes of a small attachment (a signature, a small scan), by SHA-256. Local storage, not a
    synced record: the content travels in a bundle's attachment section, beside its ``attachment`` row.
    The same content is stored once however often it is attached."""

    __tablename__ = "attachment_content"

    sha256: Mapped[str] = mapped_column(String(64), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


__all__ = ["Attachment", "AttachmentContent", "AuditLog", "Setting", "Station", "StationCounter", "User"]
