"""Demands (诉求): the categories (the village may add its own), the statuses and their only orders
(待办 → 已答复 → 已办结, or through the town 待办 → 已上报乡镇 → 乡镇已答复 → 已答复 → 已办结), replying,
closing, the resident's 点评 of a closed demand, and the demand's detail record.

Referring to the town and the town's reply are in :mod:`app.diary.referral`; the rules and their
reasons are in ``docs/referral.md``."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from db import settings, vocab
from db.models import Demand, DiaryEntry

from app import accounts, audit
from app.diary.common import clean, user_names
from app.errors import UserError
from app.lookup import require_live
from app.ownership import require_own_record
from app.work import Work

# -- vocabularies ----------------------------------------------------------------------------------
DEFAULT_DEMAND_CATEGORIES = (
    "民生保障",
    "医疗",
    "教育",
    "就业",
    "住房",
    "土地",
    "基础设施",
    "矛盾纠纷",
    "政策咨询",
    "其他",
)
CATEGORIES_SETTING = "diary.demand_categories"  # extra categories added by the village (JSON list)

STATUSES = vocab.DEMAND_STATUSES  # 待办, 已上报乡镇, 乡镇已答复, 已答复, 已办结: stored as they read
OPEN, REPLIED, CLOSED = vocab.OPEN, vocab.REPLIED, vocab.CLOSED
REFERRED, TOWN_REPLIED = vocab.REFERRED, vocab.TOWN_REPLIED

# 待办 → 已答复 → 已办结, or 待办 → 已上报乡镇 → 乡镇已答复 → 已答复 → 已办结; nothing else. The village
# takes every step but 已上报乡镇 → 乡镇已答复, which is the town's (app.diary.referral.town_reply).
TRANSITIONS = {
    OPEN: {REPLIED, REFERRED},
    REFERRED: {TOWN_REPLIED},
    TOWN_REPLIED: {REPLIED},
    REPLIED: {CLOSED},
    CLOSED: set(),
}


# -- settings --------------------------------------------------------------------------------------
def demand_categories(work: Work) -> list[str]:
    """The demand categories: the defaults, with the village's own before 其他."""
    return categories_in(work.session)


def categories_in(session: Session) -> list[str]:
    """:func:`demand_categories` inside the diary's own checks, which hold the session."""
    extra = [c for c in settings.get(session, CATEGORIES_SETTING, []) if c not in DEFAULT_DEMAND_CATEGORIES]
    cats = list(DEFAULT_DEMAND_CATEGORIES)
    # The extra ones go before 其他.
    return cats[:-1] + extra + cats[-1:]


def add_demand_category(work: Work, name: str) -> list[str]:
    session, actor = work.session, work.actor
    accounts.require(actor, "manage_diary_settings")
    name = (name or "").strip()
    if not name:
        raise UserError("请填写诉求类别的名称", field="category")
    if len(name) > 30:
        raise UserError("诉求类别名称不超过 30 个字", field="category")
    extra = list(settings.get(session, CATEGORIES_SETTING, []))
    if name not in extra and name not in DEFAULT_DEMAND_CATEGORIES:
        extra.append(name)
        settings.put(session, CATEGORIES_SETTING, extra)
        audit.record(session, actor, "diary.category.add", fields=["category"])
    return categories_in(session)


# -- demands (诉求) ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class DemandInfo:
    id: str
    entry_id: str
    household_id: str | None
    category: str
    content: str
    responsible_id: str | None
    responsible_name: str
    due_on: dt.date | None
    status: str
    handling: str
    reply: str
    replied_on: dt.date | None
    replied_by: str | None
    closed_on: dt.date | None
    mediation_case_id: str | None
    village_code: str = ""
    # 上报乡镇 and the town's reply (交办)
    referred_office: str | None = None
    referral_note: str = ""
    referred_on: dt.date | None = None
    referred_by: str | None = None
    town_reply_kind: str | None = None
    town_reply: str = ""
    town_forwarded_to: str = ""
    town_replied_on: dt.date | None = None
    town_replied_by: str | None = None
    # 群众点评
    feedback_verdict: str | None = None
    feedback_words: str = ""
    feedback_method: str | None = None
    feedback_on: dt.date | None = None
    feedback_recorded_by: str | None = None
    project: str = ""  # 为民实事 that answers it: 《title》（state） (docs/projects.md)

    @property
    def status_label(self) -> str:
        return self.status


def demand_info_of(d: Demand, names: dict[str, str]) -> DemandInfo:
    return DemandInfo(
        d.id,
        d.entry_id,
        d.household_id,
        d.category,
        d.content,
        d.responsible_id,
        names.get(d.responsible_id or "", ""),
        d.due_on,
        d.status,
        d.handling,
        d.reply,
        d.replied_on,
        d.replied_by,
        d.closed_on,
        d.mediation_case_id,
        d.village_code,
        referred_office=d.referred_office,
        referral_note=d.referral_note or "",
        referred_on=d.referred_on,
        referred_by=d.referred_by,
        town_reply_kind=d.town_reply_kind,
        town_reply=d.town_reply or "",
        town_forwarded_to=d.town_forwarded_to or "",
        town_replied_on=d.town_replied_on,
        town_replied_by=d.town_replied_by,
        feedback_verdict=d.feedback_verdict,
        feedback_words=d.feedback_words or "",
        feedback_method=d.feedback_method,
        feedback_on=d.feedback_on,
        feedback_recorded_by=d.feedback_recorded_by,
    )


def _demand(session: Session, demand_id: str) -> Demand:
    return require_live(session, Demand, demand_id, "找不到这条诉求（可能已被删除）")


def village_demand(work: Work, demand_id: str) -> Demand:
    """A live demand the village itself handles: a town only reads a village's demands and answers the
    ones referred to it (:mod:`app.diary.referral`)."""
    d = _demand(work.session, demand_id)
    require_own_record(work, d, "这条诉求")
    return d


def _check_transition(d: Demand, new_status: str) -> None:
    if new_status not in TRANSITIONS.get(d.status, set()):
        allowed = "、".join(TRANSITIONS.get(d.status, ())) or "无"
        raise UserError(
            f"诉求现在是“{d.status}”，不能直接改为“{new_status}”（下一步只能是：{allowed}）",
            field="status",
        )


def reply_demand(
    work: Work,
    demand_id: str,
    *,
    reply: str,
    replied_on: dt.date,
    replied_by: str,
    handling: str | None = None,
    today: dt.date | None = None,
) -> DemandInfo:
    """待办 (or 乡镇已答复) → 已答复: the reply given to the resident, its date and who gave it. At the
    village only: after the town's reply the village answers the resident itself."""
    session, actor = work.session, work.actor
    accounts.require(actor, "handle_demands")
    d = village_demand(work, demand_id)
    _check_transition(d, REPLIED)
    today = today or dt.date.today()
    reply = clean(reply)
    if not reply:
        raise UserError("请写下给群众的答复内容", field="reply")
    if replied_on is None:
        raise UserError("请填写答复日期", field="replied_on")
    if replied_on > today:
        raise UserError("答复日期不能晚于今天", field="replied_on")
    heard = session.scalar(select(DiaryEntry.occurred_at).where(DiaryEntry.id == d.entry_id))
    if heard is not None and replied_on < heard.date():
        raise UserError("答复日期不能早于提出诉求的日期", field="replied_on")
    if d.town_replied_on is not None and replied_on < d.town_replied_on:
        raise UserError("答复群众的日期不能早于乡镇答复的日期", field="replied_on")
    if not clean(replied_by):
        raise UserError("请填写答复人", field="replied_by")
    d.reply, d.replied_on, d.replied_by = reply, replied_on, clean(replied_by, 50)
    if handling is not None:
        d.handling = clean(handling)
    d.status = REPLIED
    session.flush()
    audit.record(
        session,
        actor,
        "demand.reply",
        table="demand",
        record_id=d.id,
        fields=["status", "reply", "replied_on", "replied_by"],
    )
    return demand_info_of(d, user_names(session, [d.responsible_id]))


@dataclass(frozen=True)
class FeedbackInput:
    """群众点评: the resident's verdict in their words, how it was given, and the day."""

    verdict: str
    words: str
    method: str
    given_on: dt.date


def close_demand(
    work: Work,
    demand_id: str,
    *,
    closed_on: dt.date,
    handling: str | None = None,
    feedback: FeedbackInput | None = None,
    today: dt.date | None = None,
) -> DemandInfo:
    """已答复 → 已办结, with the resident's 点评 when it is given at the closing itself (else later,
    :func:`record_feedback`)."""
    session, actor = work.session, work.actor
    accounts.require(actor, "handle_demands")
    d = village_demand(work, demand_id)
    _check_transition(d, CLOSED)
    today = today or dt.date.today()
    if closed_on is None:
        raise UserError("请填写办结日期", field="closed_on")
    if closed_on > today:
        raise UserError("办结日期不能晚于今天", field="closed_on")
    if d.replied_on and closed_on < d.replied_on:
        raise UserError("办结日期不能早于答复日期", field="closed_on")
    if handling is not None:
        d.handling = clean(handling)
    if not d.handling:
        raise UserError("办结前请写下办理情况", field="handling")
    if feedback is not None:
        _check_feedback(feedback, closed_on, today)
    d.closed_on, d.status = closed_on, CLOSED
    session.flush()
    audit.record(
        session, actor, "demand.close", table="demand", record_id=d.id, fields=["status", "closed_on"]
    )
    if feedback is not None:
        _write_feedback(work, d, feedback)
    return demand_info_of(d, user_names(session, [d.responsible_id]))


# -- 群众点评 ------------------------------------------------------------------------------------------
def _check_feedback(f: FeedbackInput, closed_on: dt.date, today: dt.date) -> None:
    if f.verdict not in vocab.FEEDBACK_VERDICTS:
        raise UserError(f"群众点评请选择：{'、'.join(vocab.FEEDBACK_VERDICTS)}", field="feedback_verdict")
    if f.method not in vocab.FEEDBACK_METHODS:
        raise UserError(f"点评方式请选择：{'、'.join(vocab.FEEDBACK_METHODS)}", field="feedback_method")
    words = clean(f.words)
    if f.verdict == vocab.DISSATISFIED and not words:
        raise UserError("群众不满意时，请记下群众的原话（哪里不满意）", field="feedback_words")
    if len(words) > 500:
        raise UserError("群众点评的原话不超过 500 个字", field="feedback_words")
    if f.given_on is None:
        raise UserError("请填写点评日期", field="feedback_on")
    if f.given_on > today:
        raise UserError("点评日期不能晚于今天", field="feedback_on")
    if f.given_on < closed_on:
        raise UserError("点评日期不能早于办结日期", field="feedback_on")


def _write_feedback(work: Work, d: Demand, f: FeedbackInput) -> None:
    d.feedback_verdict, d.feedback_words, d.feedback_method = f.verdict, clean(f.words), f.method
    d.feedback_on = f.given_on
    d.feedback_recorded_by = clean(work.actor.display_name if work.actor else "", 50) or None
    work.session.flush()
    # the audit names the fields only: the verdict is the resident's, not a mark of the cadre
    audit.record(
        work.session,
        work.actor,
        "demand.feedback",
        table="demand",
        record_id=d.id,
        fields=["feedback_verdict", "feedback_words", "feedback_method", "feedback_on"],
    )


def record_feedback(
    work: Work, demand_id: str, feedback: FeedbackInput, *, today: dt.date | None = None
) -> DemandInfo:
    """群众点评 of a closed demand, given after the closing (at the next visit, by phone, or signed on
    paper). Recorded once: what the resident said is not edited afterwards."""
    accounts.require(work.actor, "handle_demands")
    d = village_demand(work, demand_id)
    if d.status != CLOSED:
        raise UserError(f"诉求现在是“{d.status}”，办结后才能请群众点评", field="feedback_verdict")
    if d.feedback_verdict:
        raise UserError(
            f"这条诉求已有群众点评（{d.feedback_verdict}，{d.feedback_on}），群众的点评记下后不再修改",
            field="feedback_verdict",
        )
    assert d.closed_on is not None, "a closed demand has its closing date"
    _check_feedback(feedback, d.closed_on, today or dt.date.today())
    _write_feedback(work, d, feedback)
    return demand_info_of(d, user_names(work.session, [d.responsible_id]))


def change_demand_status(work: Work, demand_id: str, new_status: str, **kwargs: Any) -> DemandInfo:
    if new_status == REPLIED:
        return reply_demand(work, demand_id, **kwargs)
    if new_status == CLOSED:
        return close_demand(work, demand_id, **kwargs)
    _check_transition(_demand(work.session, demand_id), new_status)
    raise AssertionError("unreachable")  # pragma: no cover


def demand_info(work: Work, demand_id: str) -> DemandInfo:
    d = _demand(work.session, demand_id)
    return demand_info_of(d, user_names(work.session, [d.responsible_id]))
