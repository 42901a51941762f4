"""户籍: households, their members, tags and contact-cadre assignments."""

import datetime as dt

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord


class Household(SyncedRecord, Base):
    """户. ``search_text`` is maintained by the household service for the roster search."""

    __tablename__ = "household"
    __record_type__ = "households"
    __label__ = "户"
    # The roster sorts live households by each column in SQL: partial indexes (live rows only) whose
    # entries carry the rowid, so an id list for 100 000 households is read from the index alone. They
    # end with the id, which a search's walk of the roster in its order asks the search index about:
    # the walk then reads no household row (migration 0025_household_sort_indexes_id; a row read per
    # household looked at is a page decrypted in an encrypted workspace, db/queries/households.WALK_COST).
    __table_args__ = tuple(
        Index(f"ix_household_live_{cols[0]}", *cols, "id", sqlite_where=text("deleted_at IS NULL"))
        for cols in (
            ("group_name", "head_name"),
            ("head_name",),
            ("address", "head_name"),
            ("household_no", "head_name"),
            ("phones", "head_name"),
            ("card_delivered_on", "head_name"),
            ("village_code", "head_name"),  # a town's roster, by 村 (its first column; migration 0030)
        )
    ) + (
        # 联系卡已送达 per village (统计报表), from the index alone (migration 0015)
        Index(
            "ix_household_live_village_card",
            "village_code",
            "card_delivered_on",
            sqlite_where=text("deleted_at IS NULL"),
        ),
        # the (few) deleted households, whose members, tags and cadres the report's counts leave out
        Index("ix_household_deleted", "village_code", sqlite_where=text("deleted_at IS NOT NULL")),
    )

    household_no: Mapped[str | None] = mapped_column(String(30))  # 户编号 from the village's own roster
    head_id: Mapped[str | None] = mapped_column(String(36))  # the 户主's person id (no FK: load order)
    # (no plain indexes on these two: every query of them asks for live rows, which the partial
    # indexes above answer; migration 0009 dropped them)
    head_name: Mapped[str] = mapped_column(String(50), default="")
    group_name: Mapped[str] = mapped_column(String(30), default="")  # 组 / 村民小组
    address: Mapped[str] = mapped_column(String(200), default="")
    phones: Mapped[str] = mapped_column(String(200), default="")  # normalised, comma-separated
    notes: Mapped[str] = mapped_column(Text, default="")
    card_delivered_on: Mapped[dt.date | None] = mapped_column(Date)
    search_text: Mapped[str] = mapped_column(Text, default="")


class Person(SyncedRecord, Base):
    """家庭成员 (the head included). Never hard deleted: deceased or moved-away is a status."""

    __tablename__ = "person"
    __record_type__ = "persons"
    __label__ = "家庭成员"
    # 在册人口 per village (统计报表) from the index alone (migration 0015)
    __table_args__ = (
        Index(
            "ix_person_live_status_village", "status", "village_code", sqlite_where=text("deleted_at IS NULL")
        ),
    )

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    name: Mapped[str] = mapped_column(String(50), index=True)
    relation: Mapped[str] = mapped_column(String(20), default="")  # 与户主关系: 户主, 配偶, 子, 女 …
    sex: Mapped[str | None] = mapped_column(String(2))  # 男 / 女
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(String(18), index=True)
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str | None] = mapped_column(String(40))
    occupation: Mapped[str | None] = mapped_column(String(50))
    status: Mapped[str] = mapped_column(String(10), default="在册")  # 在册 / 已故 / 迁出
    status_date: Mapped[dt.date | None] = mapped_column(Date)
    name_pinyin: Mapped[str] = mapped_column(
        String(400), default=""
    )  # full pinyin, every reading, space-separated
    name_initials: Mapped[str] = mapped_column(String(200), default="")  # initials, every reading
    notes: Mapped[str] = mapped_column(Text, default="")


class TagDefinition(SyncedRecord, Base):
    """A tag the village added beyond the built-in list (DOMAIN.md); may be marked sensitive."""

    __tablename__ = "tag_definition"
    __record_type__ = "tag_definitions"
    __label__ = "自定义标签"

    name: Mapped[str] = mapped_column(String(30))
    sensitive: Mapped[bool] = mapped_column(Boolean, default=False)
    description: Mapped[str] = mapped_column(Text, default="")


class HouseholdTag(SyncedRecord, Base):
    """A tag on a household. Its id is derived from (household, tag), so re-adding revives it."""

    __tablename__ = "household_tag"
    __record_type__ = "household_tags"
    __label__ = "户标签"
    # 标签 per village (统计报表) from the index alone (migration 0015)
    __table_args__ = (
        Index(
            "ix_household_tag_live_village",
            "village_code",
            "tag",
            "household_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    tag: Mapped[str] = mapped_column(String(30), index=True)


class CadreAssignment(SyncedRecord, Base):
    """联系干部 / 包片干部 of a household over time; the open one (``end_on`` empty) is current."""

    __tablename__ = "cadre_assignment"
    __record_type__ = "cadre_assignments"
    __label__ = "联系干部安排"
    # Each household's current contact cadre from the index alone (the visit reminders), and the
    # households with one per village (统计报表) (migration 0015).
    __table_args__ = (
        Index(
            "ix_cadre_assignment_current_contact",
            "household_id",
            "cadre_id",
            sqlite_where=text("role = '联系干部' AND end_on IS NULL AND deleted_at IS NULL"),
        ),
        Index(
            "ix_cadre_assignment_contact_village",
            "village_code",
            "household_id",
            sqlite_where=text("role = '联系干部' AND end_on IS NULL AND deleted_at IS NULL"),
        ),
    )

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    cadre_id: Mapped[str] = mapped_column(ForeignKey("user.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # db.vocab.CADRE_ROLES: 联系干部 | 包片干部
    start_on: Mapped[dt.date] = mapped_column(Date)
    end_on: Mapped[dt.date | None] = mapped_column(Date)
