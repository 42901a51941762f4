"""矛盾纠纷排查调处: screening rounds and the mediation case file (卷宗) with everything in it.

Every table is a synced record. Children copy their case's ``village_code`` (a town station that
records its handling of an escalated case writes into the village's records, not its own).
Money is kept in 分 (integer) so sums are exact; the services speak 元.
"""

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from db.base import Base, SyncedRecord


class Screening(SyncedRecord, Base):
    """矛盾纠纷排查: one screening round; ``found_count`` 0 is a 零报告."""

    __tablename__ = "screening"
    __record_type__ = "screenings"
    __label__ = "矛盾纠纷排查"

    round_date: Mapped[dt.date] = mapped_column(Date, index=True)
    period_kind: Mapped[str] = mapped_column(String(10))  # 月 / 半月
    round_kind: Mapped[str] = mapped_column(
        String(10), default="定期"
    )  # 定期 / 不定期 (节前、汛后的专项排查)
    period_label: Mapped[str] = mapped_column(String(40))  # 2026年11月 / 2026年11月上半月
    screeners: Mapped[str] = mapped_column(String(200), default="")  # 排查人
    place: Mapped[str] = mapped_column(String(200), default="")  # 排查地点/范围
    found_count: Mapped[int] = mapped_column(Integer, default=0)
    findings: Mapped[str] = mapped_column(Text, default="")  # 排查发现的情况
    measures: Mapped[str] = mapped_column(Text, default="")  # 采取的措施


class ScreeningItem(SyncedRecord, Base):
    """One dispute a screening round found, and what became of it: 当场化解, 登记为案件 (``case_id``),
    移交处理 (``referred_to``) or 预防 (a dispute prevented before it broke out). A round with no item
    is a 零报告."""

    __tablename__ = "screening_item"
    __record_type__ = "screening_items"
    __label__ = "排查发现事项"

    screening_id: Mapped[str] = mapped_column(ForeignKey("screening.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer, default=1)
    description: Mapped[str] = mapped_column(Text, default="")  # 发现的纠纷
    disposition: Mapped[str] = mapped_column(String(10))  # 当场化解 / 登记为案件 / 移交处理 / 预防
    case_id: Mapped[str | None] = mapped_column(String(36))  # the case it became (no FK: load order)
    referred_to: Mapped[str] = mapped_column(String(100), default="")  # 移交给谁


class MonthlyReport(SyncedRecord, Base):
    """人民调解工作统计 of one committee for one month, frozen when generated: who, when, every figure
    (``figures``: JSON, the month's and the year's to date). Never recomputed; 重新生成 adds the next
    ``edition`` and keeps the old ones."""

    __tablename__ = "mediation_report"
    __record_type__ = "mediation_reports"
    __label__ = "人民调解月报"
    __table_args__ = (Index("ix_mediation_report_month", "village_code", "year", "month"),)

    year: Mapped[int] = mapped_column(Integer)
    month: Mapped[int] = mapped_column(Integer)
    edition: Mapped[int] = mapped_column(Integer, default=1)  # 第几版
    frozen_at: Mapped[dt.datetime] = mapped_column(DateTime)
    frozen_by: Mapped[str] = mapped_column(String(50), default="")  # 填报人 (name)
    frozen_by_user_id: Mapped[str | None] = mapped_column(String(36))  # (no FK: load order)
    figures: Mapped[str] = mapped_column(Text, default="{}")
    note: Mapped[str] = mapped_column(Text, default="")  # 重新生成的原因


class MediationCase(SyncedRecord, Base):
    """调解案件 (卷宗). ``state`` is the current step; ``outcome`` the result the statistics count."""

    __tablename__ = "mediation_case"
    __record_type__ = "mediation_cases"
    __label__ = "调解案件"
    __table_args__ = (
        UniqueConstraint("village_code", "case_year", "case_seq", name="uq_mediation_case_number"),
        Index("ix_mediation_case_list", "village_code", "accepted_on"),
        # the few deleted cases, for the statistics to leave out without reading every case
        Index("ix_mediation_case_deleted", "id", sqlite_where=text("deleted_at IS NOT NULL")),
        # 在调 at a period's end, from the indexes alone: the cases in an open (or escalated) state since a
        # day, and the cases changed after a day
        Index(
            "ix_mediation_case_state_at",
            "state",
            "state_on",
            "accepted_on",
            "village_code",
            "escalated_to",
            "town_handled_on",
            "deleted_at",
        ),
        Index("ix_mediation_case_changed", "state_on", "accepted_on", "village_code", "deleted_at", "id"),
    )

    case_year: Mapped[int] = mapped_column(Integer)
    case_seq: Mapped[int] = mapped_column(Integer)
    case_number: Mapped[str] = mapped_column(String(60))  # （2026）张家人调字第 3 号
    title: Mapped[str] = mapped_column(String(200))  # 纠纷名称: 张三与李四宅基地纠纷
    accepted_on: Mapped[dt.date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(20), index=True)
    source_record_id: Mapped[str | None] = mapped_column(String(36), index=True)  # screening / diary entry
    dispute_type: Mapped[str] = mapped_column(String(20), index=True)
    complexity: Mapped[str] = mapped_column(String(10), default="简单")
    people_count: Mapped[int] = mapped_column(Integer, default=2)
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)  # 涉及金额
    facts: Mapped[str] = mapped_column(Text, default="")  # 简要案情
    requests: Mapped[str] = mapped_column(Text, default="")  # 当事人请求
    risk_criminal: Mapped[bool] = mapped_column(Boolean, default=False)  # 可能民转刑
    risk_criminal_people: Mapped[int] = mapped_column(Integer, default=0)
    risk_petition: Mapped[bool] = mapped_column(Boolean, default=False)  # 可能群体性上访
    risk_petition_people: Mapped[int] = mapped_column(Integer, default=0)
    risk_suicide: Mapped[bool] = mapped_column(Boolean, default=False)  # 可能引起自杀
    risk_suicide_people: Mapped[int] = mapped_column(Integer, default=0)
    risk_fight: Mapped[bool] = mapped_column(Boolean, default=False)  # 可能群体性械斗
    risk_fight_people: Mapped[int] = mapped_column(Integer, default=0)
    registrar: Mapped[str] = mapped_column(String(50), default="")  # 登记人

    state: Mapped[str] = mapped_column(String(10), index=True)
    state_on: Mapped[dt.date] = mapped_column(Date)  # date of the last transition
    outcome: Mapped[str | None] = mapped_column(String(10), index=True)  # 成功/不成/终止/不予受理/上报
    agreement_kind: Mapped[str | None] = mapped_column(String(10))  # 书面 / 口头
    rights_notice_on: Mapped[dt.date | None] = mapped_column(Date)  # 权利义务告知
    rights_notice_by: Mapped[str | None] = mapped_column(String(50))
    rights_notice_method: Mapped[str | None] = mapped_column(String(20))  # 书面告知 / 口头告知
    failure_reasons: Mapped[str] = mapped_column(Text, default="")
    failure_routes: Mapped[str] = mapped_column(String(50), default="")  # 诉讼,仲裁,行政
    end_reason: Mapped[str] = mapped_column(Text, default="")  # 终止 / 不予受理 reason
    escalated_to: Mapped[str | None] = mapped_column(String(10))  # 乡镇 / 县
    escalation_reason: Mapped[str] = mapped_column(Text, default="")
    escalated_on: Mapped[dt.date | None] = mapped_column(Date)
    # Filled by the town on an escalated case; travels back to the village.
    town_handling: Mapped[str] = mapped_column(Text, default="")
    town_outcome: Mapped[str | None] = mapped_column(
        String(20)
    )  # 调解成功 / 调解不成 / 退回村调委会 / 转县处理
    town_outcome_note: Mapped[str] = mapped_column(Text, default="")
    town_handler: Mapped[str | None] = mapped_column(String(50))
    town_handled_on: Mapped[dt.date | None] = mapped_column(Date)
    # When the town concluded it with 调解成功: the agreement's form (书面 / 口头) and its amount (分),
    # for the town committee's row of the monthly report.
    town_agreement_kind: Mapped[str | None] = mapped_column(String(10))
    town_amount_fen: Mapped[int] = mapped_column(Integer, default=0)
    judicial_applied_on: Mapped[dt.date | None] = mapped_column(Date)  # 申请司法确认
    judicial_note: Mapped[str] = mapped_column(Text, default="")
    judicial_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)  # 人民法院裁定确认有效
    volume_no: Mapped[str | None] = mapped_column(String(40))  # 卷号
    filed_by: Mapped[str | None] = mapped_column(String(50))  # 立卷人
    filed_on: Mapped[dt.date | None] = mapped_column(Date)  # 立卷日期
    retention: Mapped[str | None] = mapped_column(String(10))  # 保管期限


class CaseParty(SyncedRecord, Base):
    """当事人: a resident from the roster (``person_id``) or an outside person / organisation."""

    __tablename__ = "mediation_party"
    __record_type__ = "mediation_parties"
    __label__ = "当事人"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    role: Mapped[str] = mapped_column(String(10))  # 申请人 / 被申请人 / 第三人
    kind: Mapped[str] = mapped_column(String(10), default="个人")  # 个人 / 单位
    person_id: Mapped[str | None] = mapped_column(String(36))  # roster person (no FK: load order)
    name: Mapped[str] = mapped_column(String(100))
    sex: Mapped[str | None] = mapped_column(String(2))
    ethnicity: Mapped[str | None] = mapped_column(String(20))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    id_number: Mapped[str | None] = mapped_column(String(18))
    occupation: Mapped[str | None] = mapped_column(String(50))  # 职业或职务
    phone: Mapped[str | None] = mapped_column(String(40))
    address: Mapped[str] = mapped_column(String(200), default="")
    representative: Mapped[str | None] = mapped_column(String(50))  # 单位: 法定代表人/负责人/委托代理人
    representative_title: Mapped[str | None] = mapped_column(String(50))
    sort_order: Mapped[int] = mapped_column(Integer, default=0)
    # 法定代理人 of a person without full capacity (a minor, 民法典 Art. 20–23): from the roster
    # (``guardian_person_id``) or typed in. Required when the party was under 18 on the acceptance date.
    guardian_person_id: Mapped[str | None] = mapped_column(String(36))  # roster person (no FK: load order)
    guardian_name: Mapped[str | None] = mapped_column(String(50))
    guardian_relation: Mapped[str | None] = mapped_column(String(20))  # 父亲 / 母亲 / 祖父 … / 其他监护人
    guardian_id_number: Mapped[str | None] = mapped_column(String(18))
    guardian_phone: Mapped[str | None] = mapped_column(String(40))


class CaseMediator(SyncedRecord, Base):
    """调解员 of a case: a user of the station or a named outsider."""

    __tablename__ = "mediation_mediator"
    __record_type__ = "mediation_mediators"
    __label__ = "调解员"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(String(36))
    name: Mapped[str] = mapped_column(String(50))
    is_lead: Mapped[bool] = mapped_column(Boolean, default=False)
    # The mediator as a resident of the roster (an outsider picked there, or the user's own entry):
    # lets the committee refuse a mediator who is a party or lives in a party's household.
    person_id: Mapped[str | None] = mapped_column(String(36))


class Recusal(SyncedRecord, Base):
    """回避: a party asks for another mediator; the committee's decision and the replacement."""

    __tablename__ = "mediation_recusal"
    __record_type__ = "mediation_recusals"
    __label__ = "回避申请"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    party_id: Mapped[str] = mapped_column(String(36))  # who asks (mediation_party; no FK: load order)
    mediator_id: Mapped[str] = mapped_column(String(36))  # the mediator asked to step aside
    mediator_name: Mapped[str] = mapped_column(String(50))
    requested_on: Mapped[dt.date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    decision: Mapped[str | None] = mapped_column(String(10))  # 同意回避 / 不同意回避; None: not decided
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    decided_by: Mapped[str | None] = mapped_column(String(50))
    decision_note: Mapped[str] = mapped_column(Text, default="")
    replacement_id: Mapped[str | None] = mapped_column(String(36))  # the new mediation_mediator
    replacement_name: Mapped[str | None] = mapped_column(String(50))


class CaseTransition(SyncedRecord, Base):
    """One step of the case's history: from which state to which, on what date, by whom, why."""

    __tablename__ = "mediation_transition"
    __record_type__ = "mediation_transitions"
    __label__ = "案件流转记录"
    # the statistics count the steps of a period (结案, 上报) by their day
    # (covering: the counts are read from the index alone)
    __table_args__ = (
        Index("ix_mediation_transition_step", "to_state", "on_date", "village_code", "case_id", "deleted_at"),
    )

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    from_state: Mapped[str | None] = mapped_column(String(10))
    to_state: Mapped[str] = mapped_column(String(10))
    on_date: Mapped[dt.date] = mapped_column(Date)
    at: Mapped[dt.datetime] = mapped_column(DateTime)
    by_user_id: Mapped[str | None] = mapped_column(String(36))
    by_name: Mapped[str] = mapped_column(String(50), default="")
    note: Mapped[str] = mapped_column(Text, default="")


class SessionRecord(SyncedRecord, Base):
    """调解记录: one mediation session."""

    __tablename__ = "mediation_session"
    __record_type__ = "mediation_sessions"
    __label__ = "调解记录"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    held_at: Mapped[dt.datetime] = mapped_column(DateTime)
    place: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")  # 调解事项
    participants: Mapped[str] = mapped_column(Text, default="")  # 参加人
    parties_present: Mapped[str] = mapped_column(Text, default="")  # 到场当事人
    statements: Mapped[str] = mapped_column(Text, default="")  # 当事人陈述
    verification: Mapped[str] = mapped_column(Text, default="")  # 调查核实情况
    risk_notice: Mapped[str] = mapped_column(Text, default="")  # 风险告知
    result: Mapped[str] = mapped_column(String(20), default="继续调解")  # 达成协议 / 未达成协议 / 继续调解
    result_detail: Mapped[str] = mapped_column(Text, default="")  # 协议内容要点或不成原因、告知的途径
    mediator_name: Mapped[str] = mapped_column(String(50), default="")
    recorder_name: Mapped[str] = mapped_column(String(50), default="")


class Agreement(SyncedRecord, Base):
    """调解协议 (Art. 28/29): one per case; id derived from the case. 书面 or 口头."""

    __tablename__ = "mediation_agreement"
    __record_type__ = "mediation_agreements"
    __label__ = "调解协议"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # 书面 / 口头
    number: Mapped[str] = mapped_column(String(60))  # 协议编号 (the case number)
    reached_on: Mapped[dt.date] = mapped_column(Date)
    facts: Mapped[str] = mapped_column(Text, default="")  # 纠纷主要事实
    issues: Mapped[str] = mapped_column(Text, default="")  # 争议事项
    responsibilities: Mapped[str] = mapped_column(Text, default="")  # 各方责任
    terms: Mapped[str] = mapped_column(Text, default="")  # 协议内容 (oral: the content recorded)
    performance_manner: Mapped[str] = mapped_column(Text, default="")  # 履行方式
    performance_deadline: Mapped[dt.date | None] = mapped_column(Date)  # 履行期限
    performance_place: Mapped[str] = mapped_column(String(200), default="")  # 履行地点
    amount_fen: Mapped[int] = mapped_column(Integer, default=0)  # 协议涉及金额
    recorder: Mapped[str] = mapped_column(String(50), default="")  # 记录人
    effective_on: Mapped[dt.date | None] = mapped_column(Date, index=True)  # derived, see services
    performed_on: Mapped[dt.date | None] = mapped_column(Date)


class Signature(SyncedRecord, Base):
    """签名: of a party, mediator or recorder on a session record or agreement, or the committee seal.

    The id is derived from (document, signer), so signing twice updates the one row.
    """

    __tablename__ = "mediation_signature"
    __record_type__ = "mediation_signatures"
    __label__ = "签名"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    document_table: Mapped[str] = mapped_column(String(30))  # mediation_session / mediation_agreement
    document_id: Mapped[str] = mapped_column(String(36), index=True)
    signer_role: Mapped[str] = mapped_column(String(10))  # 当事人 / 调解员 / 记录人 / 委员会
    party_id: Mapped[str | None] = mapped_column(String(36))
    signer_name: Mapped[str] = mapped_column(String(100))
    method: Mapped[str] = mapped_column(String(10))  # 签名板 / 纸质签字 / 按指印 / 盖章
    signed_on: Mapped[dt.date] = mapped_column(Date)
    attachment_id: Mapped[str | None] = mapped_column(String(36))  # signature PNG


class FollowUp(SyncedRecord, Base):
    """回访记录, tied to the agreement number. Planned (``due_on``) until ``visited_on`` is set."""

    __tablename__ = "mediation_follow_up"
    __record_type__ = "mediation_follow_ups"
    __label__ = "回访记录"

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    agreement_number: Mapped[str] = mapped_column(String(60))
    due_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    visited_on: Mapped[dt.date | None] = mapped_column(Date)
    visitor: Mapped[str] = mapped_column(String(50), default="")
    parties: Mapped[str] = mapped_column(String(200), default="")
    subject: Mapped[str] = mapped_column(String(200), default="")  # 回访事由
    performance: Mapped[str] = mapped_column(Text, default="")  # 协议履行情况
    satisfaction: Mapped[str | None] = mapped_column(String(10))  # 满意 / 基本满意 / 不满意
    attitude_changes: Mapped[str] = mapped_column(Text, default="")  # 当事人思想变化
    new_dispute_signs: Mapped[str] = mapped_column(Text, default="")  # 有无新的纠纷苗头
    measures: Mapped[str] = mapped_column(Text, default="")  # 采取的措施


class CaseFileItem(SyncedRecord, Base):
    """卷内目录: one of the 13 standard documents of the case file; id derived from (case, item)."""

    __tablename__ = "mediation_file_item"
    __record_type__ = "mediation_file_items"
    __label__ = "卷内目录"
    __table_args__ = (UniqueConstraint("case_id", "item_key", name="uq_mediation_file_item_case_item"),)

    case_id: Mapped[str] = mapped_column(ForeignKey("mediation_case.id"), index=True)
    item_key: Mapped[str] = mapped_column(String(30))
    present: Mapped[bool] = mapped_column(Boolean, default=False)
    pages: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str] = mapped_column(String(200), default="")
