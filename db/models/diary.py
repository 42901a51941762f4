"""民情日记: diary entries, who was met, demands (诉求), acknowledgements, amendments, must-visit events.

The full-text index ``fts_diary`` (FTS5, trigram) is kept in step by triggers created in the
migration, so entries that arrive in a bundle are searchable too (see ``migrations/versions``).
"""

import datetime as dt

from sqlalchemy import Date, DateTime, ForeignKey, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from db import vocab
from db.base import Base, SyncedRecord


class DiaryEntry(SyncedRecord, Base):
    """民情日记 one matter per entry (一事一记). ``cadre_id`` is the cadre who made the visit and wrote it."""

    __tablename__ = "diary_entry"
    __record_type__ = "diary_entries"
    __label__ = "民情日记"
    # Live entries by time (then id): the list's default order and its date filter, read from the index
    # alone, so a window of the list or its count never touches the table. One cadre's live entries by
    # time likewise (migration 0026_diary_entry_cadre_index). At a town, live entries by village, then
    # time: the list sorted by its 村 column (30 villages, 300 000 entries: 2.8 s sorted, 0.3 ms walked;
    # migration 0028).
    __table_args__ = (
        Index(
            "ix_diary_entry_live_occurred_at", "occurred_at", "id", sqlite_where=text("deleted_at IS NULL")
        ),
        Index("ix_diary_entry_cadre", "cadre_id", "deleted_at", "occurred_at", "id"),
        Index(
            "ix_diary_entry_live_village",
            "village_code",
            "occurred_at",
            "id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    cadre_id: Mapped[str] = mapped_column(ForeignKey("user.id"))
    occurred_at: Mapped[dt.datetime] = mapped_column(DateTime)  # local time of the visit
    kind: Mapped[str] = mapped_column(String(20), index=True)  # 方式: db.vocab.ENTRY_KINDS
    place: Mapped[str] = mapped_column(String(200), default="")
    companions: Mapped[str] = mapped_column(String(200), default="")  # 陪同干部, names
    situation: Mapped[str] = mapped_column(Text, default="")  # 家庭情况
    difficulties: Mapped[str] = mapped_column(Text, default="")  # 困难问题
    actions: Mapped[str] = mapped_column(Text, default="")  # 办理情况 / 当场做了什么
    follow_up: Mapped[str] = mapped_column(Text, default="")  # 后续计划
    follow_up_on: Mapped[dt.date | None] = mapped_column(Date)
    # 信息员报告: the informant whose report this is (db/models/informants.py; a reference without a
    # foreign key, app/ownership.SOFT_REFERENCES: the column came after the table, migration 0018)
    informant_id: Mapped[str | None] = mapped_column(String(36), index=True)


class DiaryParticipant(SyncedRecord, Base):
    """A household (and the person, when known) met in an entry.

    Its id is derived from (entry, household, person), so two stations adding the same person make
    the same row and removing then re-adding revives it.
    """

    __tablename__ = "diary_participant"
    __record_type__ = "diary_participants"
    __label__ = "走访对象"
    # Live participants by household (then entry): the last visit per household (visit rhythm, 今日待办)
    # and a household's timeline walk this index and look each entry up by its key.
    __table_args__ = (
        Index(
            "ix_diary_participant_live_household_entry",
            "household_id",
            "entry_id",
            sqlite_where=text("deleted_at IS NULL"),
        ),
    )

    entry_id: Mapped[str] = mapped_column(ForeignKey("diary_entry.id"), index=True)
    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    person_id: Mapped[str | None] = mapped_column(ForeignKey("person.id"), index=True)


class Demand(SyncedRecord, Base):
    """诉求: heard in an entry, handled and answered. Status 待办 → 已答复 → 已办结, or through the town
    待办 → 已上报乡镇 → 乡镇已答复 → 已答复 → 已办结 (db.vocab.DEMAND_STATUSES, docs/referral.md).

    The village writes every column but the ``town_*`` ones, which only the town fills (its reply to a
    referred demand); the town writes those and ``status`` (已上报乡镇 → 乡镇已答复) only
    (app/ownership.py). ``feedback_*`` is the resident's 点评 of the closed matter."""

    __tablename__ = "demand"
    __record_type__ = "demands"
    __label__ = "群众诉求"
    __table_args__ = (
        # 今日待办's closed demands still without the resident's 点评, from a short index range (migration 0015)
        Index(
            "ix_demand_closed_without_feedback",
            "closed_on",
            sqlite_where=text("status = '已办结' AND feedback_verdict IS NULL AND deleted_at IS NULL"),
        ),
        # by status, and the closed ones by the day they were closed: 统计报表's 办结 per month from the index
        # alone (migration 0027)
        Index("ix_demand_status_closed", "status", "closed_on", "village_code", "deleted_at"),
        # the demands referred to the town, by status, office and the day and village that referred them:
        # the town's 今日待办 counts each office's and finds its oldest from the index alone (migration 0029)
        Index(
            "ix_demand_referred_live",
            "status",
            "referred_office",
            "referred_on",
            "village_code",
            "id",
            "deleted_at",  # (always NULL here: without it SQLite reads the row to test it)
            sqlite_where=text("deleted_at IS NULL AND referred_office IS NOT NULL"),
        ),
    )

    entry_id: Mapped[str] = mapped_column(ForeignKey("diary_entry.id"), index=True)
    household_id: Mapped[str | None] = mapped_column(ForeignKey("household.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)  # order within the entry
    category: Mapped[str] = mapped_column(String(30), index=True)
    content: Mapped[str] = mapped_column(Text)
    responsible_id: Mapped[str | None] = mapped_column(ForeignKey("user.id"), index=True)
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(10), default=vocab.OPEN)  # ix_demand_status_closed
    handling: Mapped[str] = mapped_column(Text, default="")  # 办理情况
    reply: Mapped[str] = mapped_column(Text, default="")  # 答复内容
    replied_on: Mapped[dt.date | None] = mapped_column(Date)
    replied_by: Mapped[str | None] = mapped_column(String(50))  # who answered (name; may be town staff)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    mediation_case_id: Mapped[str | None] = mapped_column(String(36), index=True)  # filled by mediation
    # 上报乡镇 (the village): the office named, why, when and by whom
    referred_office: Mapped[str | None] = mapped_column(String(20), index=True)  # db.vocab.TOWN_OFFICES
    referral_note: Mapped[str] = mapped_column(Text, default="")
    referred_on: Mapped[dt.date | None] = mapped_column(Date)
    referred_by: Mapped[str | None] = mapped_column(String(50))  # the cadre's name
    # 乡镇答复 (the town only): its answer, or its forwarding to a county department
    town_reply_kind: Mapped[str | None] = mapped_column(String(10))  # db.vocab.TOWN_REPLY_KINDS
    town_reply: Mapped[str] = mapped_column(Text, default="")
    town_forwarded_to: Mapped[str] = mapped_column(String(50), default="")
    town_replied_on: Mapped[dt.date | None] = mapped_column(Date)
    town_replied_by: Mapped[str | None] = mapped_column(String(50))
    # 群众点评 (the village), once the matter is closed
    feedback_verdict: Mapped[str | None] = mapped_column(String(10))  # db.vocab.FEEDBACK_VERDICTS
    feedback_words: Mapped[str] = mapped_column(Text, default="")
    feedback_method: Mapped[str | None] = mapped_column(String(10))  # db.vocab.FEEDBACK_METHODS
    feedback_on: Mapped[dt.date | None] = mapped_column(Date)
    feedback_recorded_by: Mapped[str | None] = mapped_column(String(50))  # the cadre who wrote it down


class Acknowledgement(SyncedRecord, Base):
    """群众签字认可 of an entry: on-screen signature, photo of a paper signature, or a refusal.

    One per entry (id derived from the entry). ``content_hash`` is the SHA-256 of the entry's
    canonical content when it was signed.
    """

    __tablename__ = "acknowledgement"
    __record_type__ = "acknowledgements"
    __label__ = "群众签字认可"

    entry_id: Mapped[str] = mapped_column(ForeignKey("diary_entry.id"), index=True)
    method: Mapped[str] = mapped_column(String(20))  # 当场签字 | 纸质签字 | 拒签: db.vocab.ACK_METHODS
    signer_name: Mapped[str] = mapped_column(String(50), default="")
    signer_relation: Mapped[str] = mapped_column(String(20), default="")
    signed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    attachment_id: Mapped[str | None] = mapped_column(ForeignKey("attachment.id"))
    refusal_reason: Mapped[str] = mapped_column(Text, default="")
    content_hash: Mapped[str] = mapped_column(String(64))


class DiaryAmendment(SyncedRecord, Base):
    """补记: a change to an acknowledged entry, kept beside the original (which is never edited)."""

    __tablename__ = "diary_amendment"
    __record_type__ = "diary_amendments"
    __label__ = "补记"

    entry_id: Mapped[str] = mapped_column(ForeignKey("diary_entry.id"), index=True)
    field: Mapped[str] = mapped_column(String(30), default="")  # which part it amends ("" = general)
    text: Mapped[str] = mapped_column(Text)
    reason: Mapped[str] = mapped_column(Text, default="")
    amended_at: Mapped[dt.datetime] = mapped_column(DateTime)


class MustVisitEvent(SyncedRecord, Base):
    """必访事件 on a household; open until a home visit to that household on or after ``occurred_on``."""

    __tablename__ = "must_visit_event"
    __record_type__ = "must_visit_events"
    __label__ = "必访事件"

    household_id: Mapped[str] = mapped_column(ForeignKey("household.id"), index=True)
    kind: Mapped[str] = mapped_column(String(30))  # 住院 | 老人去世 | …: db.vocab.MUST_VISIT_KINDS
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    due_on: Mapped[dt.date] = mapped_column(Date)
    note: Mapped[str] = mapped_column(Text, default="")
    cadre_id: Mapped[str | None] = mapped_column(
        ForeignKey("user.id"), index=True
    )  # contact cadre when recorded
    closed_by_entry_id: Mapped[str | None] = mapped_column(ForeignKey("diary_entry.id"))
    closed_on: Mapped[dt.date | None] = mapped_column(Date)


__all__ = ["Acknowledgement", "Demand", "DiaryAmendment", "DiaryEntry", "DiaryParticipant", "MustVisitEvent"]
