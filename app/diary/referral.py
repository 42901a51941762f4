"""交办: a demand the village refers to one of the town's offices (上报乡镇), and the town's reply or its
forwarding to a county department (乡镇答复), which comes back to the village in the 下发包.

- The village refers (:func:`refer_demand`): 待办 → 已上报乡镇, naming the office (``db.vocab.TOWN_OFFICES``)
  and why, with who and when. The demand travels in the village's next 上报包.
- The town answers (:func:`town_reply`): 已上报乡镇 → 乡镇已答复, its answer or the county department it
  forwarded the matter to, with who and when. Only the town writes these columns; the importer refuses
  them from a village, and refuses from a town anything else (``app/ownership.py``). While the village
  has not acted on it, the town may write its reply again (the county's answer to a forwarded matter).
- The village then answers the resident (:func:`app.diary.demands.reply_demand`: 乡镇已答复 → 已答复)
  and closes the demand as any other.

The town's list of what was referred to it, by office (:func:`town_worklist`), is its 待办.
Rules and reasons: ``docs/referral.md``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from sqlalchemy import select

from db import vocab
from db.models import DiaryEntry
from db.queries.diary import ReferralRow, referral_rows

from app import accounts, audit
from app.diary.common import clean, user_names
from app.diary.demands import (
    REFERRED,
    TOWN_REPLIED,
    DemandInfo,
    _check_transition,
    _demand,
    demand_info_of,
    village_demand,
)
from app.errors import UserError
from app.work import Work

OFFICES = vocab.TOWN_OFFICES
REPLY_KINDS = vocab.TOWN_REPLY_KINDS
NOTE_LIMIT = 500
REPLY_LIMIT = 2000


def refer_demand(
    work: Work,
    demand_id: str,
    *,
    office: str,
    note: str,
    referred_on: dt.date,
    today: dt.date | None = None,
) -> DemandInfo:
    """待办 → 已上报乡镇 at the village: the office that should handle it, why, the day; the cadre's name
    is the actor's."""
    session, actor = work.session, work.actor
    accounts.require(actor, "handle_demands")
    if work.is_town:
        raise UserError("上报乡镇是村工作站的操作；乡镇在“村级上报诉求”里答复")
    d = village_demand(work, demand_id)
    _check_transition(d, REFERRED)
    today = today or dt.date.today()
    if office not in OFFICES:
        raise UserError(f"请选择乡镇的科室（{'、'.join(OFFICES)}）", field="office")
    note = clean(note)
    if not note:
        raise UserError("请写明上报的事由（需要乡镇做什么）", field="note")
    if len(note) > NOTE_LIMIT:
        raise UserError(f"上报说明不超过 {NOTE_LIMIT} 个字", field="note")
    if referred_on is None:
        raise UserError("请填写上报日期", field="referred_on")
    if referred_on > today:
        raise UserError("上报日期不能晚于今天", field="referred_on")
    heard = session.scalar(select(DiaryEntry.occurred_at).where(DiaryEntry.id == d.entry_id))
    if heard is not None and referred_on < heard.date():
        raise UserError("上报日期不能早于提出诉求的日期", field="referred_on")
    d.referred_office, d.referral_note, d.referred_on = office, note, referred_on
    d.referred_by = clean(actor.display_name if actor else "", 50) or None
    d.status = REFERRED
    session.flush()
    audit.record(
        session,
        actor,
        "demand.refer",
        table="demand",
        record_id=d.id,
        fields=["status", "referred_office", "referral_note", "referred_on"],
    )
    return demand_info_of(d, user_names(session, [d.responsible_id]))


def town_reply(
    work: Work,
    demand_id: str,
    *,
    kind: str,
    reply: str,
    replied_on: dt.date,
    replied_by: str,
    forwarded_to: str = "",
    today: dt.date | None = None,
) -> DemandInfo:
    """已上报乡镇 → 乡镇已答复 at the town: its answer (``kind`` 乡镇答复), or the county department it
    forwarded the matter to (转报县级部门, ``forwarded_to``) with what it told the village. Written again
    while the village has not yet answered the resident."""
    session, actor = work.session, work.actor
    accounts.require(actor, "handle_demands")
    if not work.is_town:
        raise UserError("乡镇的答复只能在乡镇工作站填写", field="town_reply")
    d = _demand(session, demand_id)
    if d.status not in (REFERRED, TOWN_REPLIED):
        raise UserError(
            f"这条诉求现在是“{d.status}”，没有上报到乡镇待答复，不能填写乡镇答复", field="town_reply"
        )
    today = today or dt.date.today()
    if kind not in REPLY_KINDS:
        raise UserError(f"请选择：{'、'.join(REPLY_KINDS)}", field="kind")
    reply = clean(reply)
    if not reply:
        raise UserError(
            "请写下给村里的答复内容" if kind == vocab.TOWN_ANSWERED else "请写明转报的情况和村里需要做的",
            field="town_reply",
        )
    if len(reply) > REPLY_LIMIT:
        raise UserError(f"答复内容不超过 {REPLY_LIMIT} 个字", field="town_reply")
    forwarded_to = clean(forwarded_to)
    if kind == vocab.TOWN_FORWARDED and not forwarded_to:
        raise UserError("请填写转报到的县级部门（如：县民政局）", field="forwarded_to")
    if len(forwarded_to) > 50:
        raise UserError("县级部门名称不超过 50 个字", field="forwarded_to")
    if replied_on is None:
        raise UserError("请填写答复日期", field="replied_on")
    if replied_on > today:
        raise UserError("答复日期不能晚于今天", field="replied_on")
    if d.referred_on is not None and replied_on < d.referred_on:
        raise UserError("答复日期不能早于村里上报的日期", field="replied_on")
    replied_by = clean(replied_by)
    if not replied_by:
        raise UserError("请填写答复人（科室和姓名）", field="replied_by")
    if len(replied_by) > 50:
        raise UserError("答复人不超过 50 个字", field="replied_by")
    d.town_reply_kind, d.town_reply = kind, reply
    d.town_forwarded_to = forwarded_to if kind == vocab.TOWN_FORWARDED else ""
    d.town_replied_on, d.town_replied_by = replied_on, replied_by
    d.status = TOWN_REPLIED
    session.flush()
    audit.record(
        session,
        actor,
        "demand.town_reply",
        table="demand",
        record_id=d.id,
        fields=["status", "town_reply_kind", "town_reply", "town_forwarded_to", "town_replied_on"],
    )
    return demand_info_of(d, user_names(session, [d.responsible_id]))


def town_worklist(
    work: Work, *, statuses: Sequence[str] = (REFERRED,), office: str | None = None
) -> dict[str, list[ReferralRow]]:
    """At the town: the demands villages referred to it, by office (in the fixed order of the list),
    oldest referral first. ``statuses`` (已上报乡镇) for what still waits for the town's answer; add
    乡镇已答复 for what it answered and the village has not yet taken up."""
    rows = referral_rows(work.session, statuses=statuses, office=office)
    out: dict[str, list[ReferralRow]] = {o: [] for o in OFFICES}
    for r in rows:
        out.setdefault(r.office, []).append(r)
    return {o: rs for o, rs in out.items() if rs}


__all__ = ["OFFICES", "REPLY_KINDS", "refer_demand", "town_reply", "town_worklist"]
