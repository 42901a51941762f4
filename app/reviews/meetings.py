"""点评会 minutes and decisions (docs/reviews.md).

At the town: one meeting per month (its day, place, attendees and minutes), its decisions, each addressed
to one village or to all (one row per village, so that each village's copy travels down in its own
下发包 and carries its own completion). At a village: the decisions addressed to it, and its completion
note (落实情况), which travels back up. Both sides' limits are the authority rules of
``app/ownership.py`` (a town never writes a completion; a village never writes a decision).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from db.base import utcnow
from db.models import ReviewDecision, ReviewMeeting, Station, User

from app import audit
from app.accounts import can
from app.errors import UserError
from app.lookup import require_live
from app.ownership import require_own_record
from app.reviews.common import month_key, month_label, require_reviews, require_town
from app.work import Work

MAX_TEXT = 2000
MAX_MINUTES = 20000
ALL_VILLAGES = "全部村"


@dataclass(frozen=True)
class MeetingInfo:
    id: str
    month: str
    held_on: dt.date
    place: str
    attendees: str
    minutes: str


@dataclass(frozen=True)
class DecisionInfo:
    id: str
    meeting_id: str
    month: str
    held_on: dt.date
    seq: int
    to_all: bool
    village_code: str
    village_name: str
    text: str
    due_on: dt.date | None
    done_on: dt.date | None
    done_note: str
    done_by_name: str

    @property
    def addressed(self) -> str:
        return ALL_VILLAGES if self.to_all else self.village_name

    @property
    def state(self) -> str:
        return "已落实" if self.done_on else "待落实"


def _meeting_info(m: ReviewMeeting) -> MeetingInfo:
    return MeetingInfo(m.id, m.month, m.held_on, m.place, m.attendees, m.minutes)


def villages(work: Work) -> list[tuple[str, str]]:
    """(code, name) of the town's enrolled villages, in village-code order."""
    rows = work.session.execute(
        select(Station.code, Station.name)
        .where(Station.kind == "village", Station.revoked_at.is_(None))
        .order_by(Station.code)
    )
    return [(c, n) for c, n in rows]


def meeting_of(work: Work, month: dt.date) -> MeetingInfo | None:
    row = work.session.scalars(
        select(ReviewMeeting).where(
            ReviewMeeting.village_code == work.unit_code,
            ReviewMeeting.month == month_key(month),
            ReviewMeeting.deleted_at.is_(None),
        )
    ).first()
    return _meeting_info(row) if row else None


def meeting_before(work: Work, month: dt.date) -> MeetingInfo | None:
    """The last 点评会 recorded for a month before ``month``: a month's meeting not recorded yet starts with
    its place and those attending (the same hall and the same leaders every month)."""
    row = work.session.scalars(
        select(ReviewMeeting)
        .where(
            ReviewMeeting.village_code == work.unit_code,
            ReviewMeeting.month < month_key(month),
            ReviewMeeting.deleted_at.is_(None),
        )
        .order_by(ReviewMeeting.month.desc())
        .limit(1)
    ).first()
    return _meeting_info(row) if row else None


def save_meeting(
    work: Work,
    month: dt.date,
    *,
    held_on: dt.date,
    minutes: str,
    place: str = "",
    attendees: str = "",
    today: dt.date | None = None,
) -> MeetingInfo:
    """Record (or correct) the town's 点评会 of ``month``: one per month."""
    require_town(work, "点评会纪要")
    require_reviews(work)
    today = today or dt.date.today()
    minutes, place, attendees = minutes.strip(), place.strip(), attendees.strip()
    if held_on < month:
        raise UserError(f"会议日期早于所点评的{month_label(month)}，请核对", field="held_on")
    if held_on > today:
        raise UserError("会议日期不能晚于今天（会后再录入纪要）", field="held_on")
    if not minutes:
        raise UserError("请填写会议纪要", field="minutes")
    if len(minutes) > MAX_MINUTES:
        raise UserError(f"会议纪要超过 {MAX_MINUTES} 字，请精简", field="minutes")
    if len(place) > 100:
        raise UserError("会议地点不超过 100 字", field="place")
    session = work.session
    row = session.scalars(
        select(ReviewMeeting).where(
            ReviewMeeting.village_code == work.unit_code,
            ReviewMeeting.month == month_key(month),
            ReviewMeeting.deleted_at.is_(None),
        )
    ).first()
    if row is None:
        row = ReviewMeeting(month=month_key(month))
        session.add(row)
    row.held_on, row.minutes, row.place, row.attendees = held_on, minutes, place, attendees
    session.flush()
    for d in _decisions_of(work, row.id):  # the village copies carry the meeting's day
        if d.held_on != held_on:
            d.held_on = held_on
    audit.record(
        session,
        work.actor,
        "save_review_meeting",
        table="review_meeting",
        record_id=row.id,
        fields=["held_on", "place", "attendees", "minutes"],
    )
    return _meeting_info(row)


def _decisions_of(work: Work, meeting_id: str) -> list[ReviewDecision]:
    return list(
        work.session.scalars(
            select(ReviewDecision)
            .where(ReviewDecision.meeting_id == meeting_id, ReviewDecision.deleted_at.is_(None))
            .order_by(ReviewDecision.seq, ReviewDecision.village_code)
        )
    )


def add_decision(
    work: Work, meeting_id: str, text: str, *, village_code: str | None, due_on: dt.date | None = None
) -> int:
    """A decision of the meeting, to one village (``village_code``) or to all (None): returns its number
    (第 N 项). One row per village addressed."""
    require_town(work, "点评会决定")
    require_reviews(work)
    meeting = require_live(work.session, ReviewMeeting, meeting_id, "找不到这次点评会，请先保存会议纪要")
    text = text.strip()
    if not text:
        raise UserError("请填写决定内容", field="text")
    if len(text) > MAX_TEXT:
        raise UserError(f"决定内容超过 {MAX_TEXT} 字，请分成几项", field="text")
    if due_on is not None and due_on < meeting.held_on:
        raise UserError("完成时限早于会议日期，请核对", field="due_on")
    known = dict(villages(work))
    if village_code is None:
        targets = list(known)
        if not targets:
            raise UserError("本镇还没有登记村工作站，决定无处下发", field="village")
    else:
        if village_code not in known:
            raise UserError(f"“{village_code}”不是本镇已登记的村", field="village")
        targets = [village_code]
    seq = 1 + max((d.seq for d in _decisions_of(work, meeting_id)), default=0)
    for code in targets:
        work.session.add(
            ReviewDecision(
                village_code=code,
                meeting_id=meeting.id,
                month=meeting.month,
                held_on=meeting.held_on,
                seq=seq,
                to_all=village_code is None,
                text=text,
                due_on=due_on,
                done_note="",
            )
        )
    work.session.flush()
    audit.record(
        work.session,
        work.actor,
        "add_review_decision",
        table="review_decision",
        record_id=meeting.id,
        fields=["text", "due_on"],
        detail=f"第{seq}项，发往{'全部村' if village_code is None else village_code}",
    )
    return seq


def withdraw_decision(work: Work, meeting_id: str, seq: int) -> None:
    """Withdraw decision 第 ``seq`` 项 (every village's copy); the withdrawal travels down too."""
    require_town(work, "点评会决定")
    require_reviews(work)
    rows = [d for d in _decisions_of(work, meeting_id) if d.seq == seq]
    if not rows:
        raise UserError(f"找不到第 {seq} 项决定", field="seq")
    now = utcnow()
    for d in rows:
        d.deleted_at = now
    audit.record(
        work.session, work.actor, "withdraw_review_decision", table="review_decision", record_id=meeting_id
    )


def mark_done(
    work: Work, decision_id: str, *, done_on: dt.date, note: str, today: dt.date | None = None
) -> None:
    """The village's completion note of a decision addressed to it (落实情况); it travels up to the town."""
    if work.is_town:
        raise UserError("落实情况由村里填写，乡镇工作站只能查看")
    if not can(work.actor, "complete_decisions"):
        raise UserError("您的账号没有这项权限：落实情况由村干部或管理员填写")
    today = today or dt.date.today()
    row = require_live(work.session, ReviewDecision, decision_id, "找不到这项决定（可能已被乡镇撤回）")
    require_own_record(work, row, "这项决定")
    note = note.strip()
    if not note:
        raise UserError("请写明落实情况（做了什么、结果如何）", field="done_note")
    if len(note) > MAX_TEXT:
        raise UserError(f"落实情况超过 {MAX_TEXT} 字，请精简", field="done_note")
    if done_on > today:
        raise UserError("落实日期不能晚于今天", field="done_on")
    if done_on < row.held_on:
        raise UserError("落实日期早于点评会日期，请核对", field="done_on")
    assert work.actor is not None, "can() needs an account"
    row.done_on, row.done_note, row.done_by = done_on, note, work.actor.id
    audit.record(
        work.session,
        work.actor,
        "complete_review_decision",
        table="review_decision",
        record_id=row.id,
        fields=["done_on", "done_note"],
    )


def reopen(work: Work, decision_id: str) -> None:
    """Clear a completion typed by mistake (the village's own column)."""
    if work.is_town:
        raise UserError("落实情况由村里填写，乡镇工作站只能查看")
    if not can(work.actor, "complete_decisions"):
        raise UserError("您的账号没有这项权限：落实情况由村干部或管理员填写")
    row = require_live(work.session, ReviewDecision, decision_id, "找不到这项决定（可能已被乡镇撤回）")
    require_own_record(work, row, "这项决定")
    row.done_on, row.done_note, row.done_by = None, "", None
    audit.record(
        work.session, work.actor, "reopen_review_decision", table="review_decision", record_id=row.id
    )


def decisions(work: Work, *, month: dt.date | None = None, open_only: bool = False) -> list[DecisionInfo]:
    """At a village the decisions addressed to it; at the town every village's copy (a decision to all
    appears once per village, each with its own completion). Newest meeting first, then 第 N 项, then
    village code (never by who did more)."""
    session = work.session
    q = select(ReviewDecision).where(ReviewDecision.deleted_at.is_(None))
    if not work.is_town:
        q = q.where(ReviewDecision.village_code == work.unit_code)
    if month is not None:
        q = q.where(ReviewDecision.month == month_key(month))
    if open_only:
        q = q.where(ReviewDecision.done_on.is_(None))
    rows = list(
        session.scalars(
            q.order_by(ReviewDecision.month.desc(), ReviewDecision.seq, ReviewDecision.village_code)
        )
    )
    names = dict(session.execute(select(Station.code, Station.name)).all())
    users = {r.done_by for r in rows if r.done_by}
    who = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(users))).all())
        if users
        else {}
    )
    return [
        DecisionInfo(
            r.id,
            r.meeting_id,
            r.month,
            r.held_on,
            r.seq,
            r.to_all,
            r.village_code,
            names.get(r.village_code, r.village_code),
            r.text,
            r.due_on,
            r.done_on,
            r.done_note,
            who.get(r.done_by or "", ""),
        )
        for r in rows
    ]
