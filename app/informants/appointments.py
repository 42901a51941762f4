"""群众工作信息员: appointing a resident of the roster for a 组, ending an appointment (the history stays),
removing one made by mistake, the list, and the check that an entry's informant served on its day.

Rules (docs/informants.md): the informant is picked from the roster (a person of this village, 在册),
never typed; a 组 has one informant at a time and a person serves one 组 at a time (a handover day,
the old one's last day, may be the new one's first); only the village's station writes them (a town
reads its villages' informants and never appoints: app/ownership.py)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from db import vocab
from db.base import utcnow
from db.models import DiaryEntry, Informant, Person
from db.queries.households import group_names
from db.queries.informants import InformantRow, informant_ids, informant_rows, informants_serving

from app import accounts, audit
from app.dates import cn_date
from app.diary.common import clean
from app.errors import UserError
from app.lookup import require_live
from app.ownership import require_own_record, require_village_station
from app.work import Work

INFORMANT_REPORT = vocab.INFORMANT_REPORT


@dataclass(frozen=True)
class Appointment:
    person_id: str
    group_name: str
    start_on: dt.date | None
    note: str = ""


def _require_writer(work: Work) -> None:
    accounts.require(work.actor, "edit_households")
    require_village_station(work, "informant")


def live_informant(session: Session, informant_id: str | None, *, field: str | None = None) -> Informant:
    return require_live(
        session, Informant, informant_id, "找不到这位信息员（可能已被删除），请刷新", field=field
    )


def _label(session: Session, inf: Informant) -> str:
    name = session.scalar(select(Person.name).where(Person.id == inf.person_id)) or "信息员"
    return f"{name}（{inf.group_name}）"


def appoint(work: Work, data: Appointment, *, today: dt.date | None = None) -> InformantRow:
    """Appoint ``data.person_id`` for ``data.group_name`` from ``data.start_on``."""
    _require_writer(work)
    session = work.session
    today = today or dt.date.today()
    person = require_live(
        session,
        Person,
        data.person_id or None,
        "请从名册里选择信息员（输入姓名或拼音首字母查找）",
        field="person",
    )
    require_own_record(work, person, "这位村民")
    if person.status != "在册":
        raise UserError(
            f"{person.name}的状态是“{person.status}”，不能担任信息员；请选择在册的村民", field="person"
        )
    group = clean(data.group_name)
    if not group:
        raise UserError("请选择信息员负责的组", field="group_name")
    if group not in group_names(session, work.unit_code):
        raise UserError(f"名册里没有“{group[:30]}”，请从列表里选择组", field="group_name")
    if data.start_on is None:
        raise UserError("请填写任职日期", field="start_on")
    if data.start_on > today + dt.timedelta(days=31):
        raise UserError("任职日期不能晚于一个月以后，请检查日期", field="start_on")
    note = clean(data.note)
    if len(note) > 500:
        raise UserError("备注不超过 500 个字", field="note")
    for other in session.scalars(
        select(Informant).where(
            Informant.deleted_at.is_(None),
            (Informant.person_id == person.id) | (Informant.group_name == group),
            Informant.village_code == work.unit_code,
        )
    ):
        if other.end_on is not None and other.end_on <= data.start_on:
            continue  # ended before (or on the handover day); anything else overlaps an open appointment
        who = _label(session, other)
        since = cn_date(other.start_on)
        if other.person_id == person.id:
            raise UserError(
                f"{person.name}自{since}起已是{other.group_name}的信息员；同一时间只能负责一个组",
                field="person",
            )
        raise UserError(
            f"{group}自{since}起已有信息员{who}；请先结束其任期（结束日期可以是新信息员的任职日期）",
            field="group_name",
        )
    inf = Informant(person_id=person.id, group_name=group, start_on=data.start_on, note=note)
    session.add(inf)
    session.flush()
    audit.record(
        session,
        work.actor,
        "informant.appoint",
        table="informant",
        record_id=inf.id,
        fields=["person_id", "group_name", "start_on"],
    )
    return informant_rows(session, [inf.id])[inf.id]


def end_appointment(
    work: Work, informant_id: str, end_on: dt.date | None, *, reason: str = "", today: dt.date | None = None
) -> InformantRow:
    """End the appointment on ``end_on`` (its last day). The record stays, with its reports."""
    _require_writer(work)
    session = work.session
    today = today or dt.date.today()
    inf = live_informant(session, informant_id)
    require_own_record(work, inf, "这位信息员")
    if inf.end_on is not None:
        raise UserError(f"这位信息员的任期已于{cn_date(inf.end_on)}结束", field="end_on")
    if end_on is None:
        raise UserError("请填写任期结束日期", field="end_on")
    if end_on < inf.start_on:
        raise UserError(f"结束日期不能早于任职日期（{cn_date(inf.start_on)}）", field="end_on")
    if end_on > today + dt.timedelta(days=31):
        raise UserError("结束日期不能晚于一个月以后，请检查日期", field="end_on")
    later = session.scalar(
        select(func.count()).where(
            DiaryEntry.informant_id == inf.id,
            DiaryEntry.deleted_at.is_(None),
            DiaryEntry.occurred_at >= dt.datetime.combine(end_on + dt.timedelta(days=1), dt.time()),
        )
    )
    if later:
        raise UserError(
            f"{cn_date(end_on)}以后还有 {later} 篇这位信息员的报告；结束日期请选在最后一次报告之后",
            field="end_on",
        )
    reason = clean(reason)
    if len(reason) > 500:
        raise UserError("结束原因不超过 500 个字", field="end_reason")
    inf.end_on, inf.end_reason = end_on, reason
    audit.record(
        session,
        work.actor,
        "informant.end",
        table="informant",
        record_id=inf.id,
        fields=["end_on", "end_reason"],
    )
    session.flush()
    return informant_rows(session, [inf.id])[inf.id]


def remove_informant(work: Work, informant_id: str) -> None:
    """Remove an appointment made by mistake (a tombstone). One with reports is ended instead."""
    _require_writer(work)
    session = work.session
    inf = live_informant(session, informant_id)
    require_own_record(work, inf, "这位信息员")
    n = session.scalar(
        select(func.count()).where(DiaryEntry.informant_id == inf.id, DiaryEntry.deleted_at.is_(None))
    )
    if n:
        raise UserError(f"这位信息员已有 {n} 篇报告，不能删除；不再担任请用“结束任期”，记录会保留")
    inf.deleted_at = utcnow()
    audit.record(session, work.actor, "informant.remove", table="informant", record_id=inf.id)


def informant_label(work: Work, informant_id: str) -> str:
    """An informant as the diary's filter names them: 王秀英（三组） (“这位信息员” when gone)."""
    inf = work.session.get(Informant, informant_id)
    return _label(work.session, inf) if inf is not None else "这位信息员"


def informant_list(
    work: Work, *, include_ended: bool = True, village_code: str | None = None
) -> list[InformantRow]:
    """The informants (a town: all its villages', or one's) with their 组, phone and last report."""
    ids = informant_ids(work.session, include_ended=include_ended, village_code=village_code)
    rows = informant_rows(work.session, ids)
    return [rows[i] for i in ids if i in rows]


def serving(work: Work, day: dt.date) -> list[InformantRow]:
    """Who serves on ``day`` at this station (the entry form's choice)."""
    return informants_serving(work.session, day, work.unit_code)


def require_serving(session: Session, informant_id: str | None, day: dt.date, village_code: str) -> Informant:
    """The informant an entry of kind 信息员报告 names, serving on the entry's ``day``, or a Chinese refusal."""
    if not informant_id:
        raise UserError("信息员报告请选择是哪位信息员报告的", field="informant")
    inf = live_informant(session, informant_id, field="informant")
    label = _label(session, inf)
    if inf.village_code != village_code:
        raise UserError(f"{label}不是本村的信息员", field="informant")
    if day < inf.start_on:
        raise UserError(
            f"{label}自{cn_date(inf.start_on)}起才担任信息员，报告日期早于任职日期", field="informant"
        )
    if inf.end_on is not None and day > inf.end_on:
        raise UserError(f"{label}的任期已于{cn_date(inf.end_on)}结束，报告日期在任期之后", field="informant")
    return inf
