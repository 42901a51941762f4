"""帮扶记录: record, change and delete the aid a household was given, and read a household's list.

A record says when, what kind (db.vocab.AID_KINDS), how much money or which goods, under which policy,
who gave it (a cadre's account or a named unit) and which diary entry tells the visit: an entry of that
household, picked, never retyped (docs/aid.md). Only the village's station writes them; a town reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, literal_column, select

from db.base import utcnow
from db.models import AidRecord, Household, User
from db.queries import aid as q

from app import audit
from app.accounts import require
from app.aid import rules
from app.dates import cn_time
from app.errors import UserError
from app.lookup import require_live
from app.ownership import require_own_record, require_village_station
from app.work import Work

GIVER_ROLES = frozenset({"admin", "cadre", "mediator", "town_staff"})


@dataclass
class AidInput:
    """The form's values. ``amount`` is the money in 元 as typed ("" for none)."""

    household_id: str
    given_on: dt.date | None
    kind: str
    amount: str = ""
    goods: str = ""
    policy: str = ""
    giver_user_id: str | None = None
    giver_unit: str = ""
    entry_id: str | None = None
    note: str = ""


@dataclass(frozen=True)
class AidView:
    id: str
    household_id: str
    village_code: str
    head_name: str
    given_on: dt.date
    kind: str
    amount_fen: int | None
    goods: str
    policy: str
    giver_user_id: str | None
    giver_unit: str
    giver_name: str  # the cadre's name, or the unit
    entry_id: str | None
    entry_at: dt.datetime | None  # the linked diary entry's time and kind
    entry_kind: str
    note: str

    @property
    def amount_text(self) -> str:
        return rules.yuan_text(self.amount_fen)

    @property
    def entry_label(self) -> str:
        """2026年8月24日 09:05 入户走访, or "" without a linked entry."""
        return f"{cn_time(self.entry_at)} {self.entry_kind}" if self.entry_at else ""


def require_write(work: Work) -> None:
    """May this actor, at this station, write 帮扶 records? (A town never does: they are the village's.)"""
    require_village_station(work, "aid_record")
    if work.actor is not None:
        require(work.actor, "record_aid")


def own_household(work: Work, household_id: str) -> Household:
    household = require_live(
        work.session,
        Household,
        household_id,
        "帮扶户：找不到这一户（可能已被删除），请刷新",
        field="household_id",
    )
    require_own_record(work, household, "这一户")
    return household


def giver_choices(work: Work) -> list[tuple[str, str]]:
    """(account id, name) of the active cadres who may be named as 帮扶人 or 帮扶责任人: the village's
    and any of its town's cadres held here (驻村干部), by name."""
    users = work.session.scalars(
        select(User)
        .where(User.deleted_at.is_(None), User.active.is_(True))
        .order_by(User.display_name, User.id)
    ).all()
    return [(u.id, u.display_name) for u in users if u.role_set & GIVER_ROLES]


UNITS_OFFERED = 30


def units_given_by(work: Work) -> list[str]:
    """The 帮扶单位 named before (the last given first, at most :data:`UNITS_OFFERED`), offered as the
    unit is typed: 县残联 bringing wheelchairs to twenty households is typed once, not twenty times."""
    latest = func.max(AidRecord.given_on)
    rows = work.session.execute(
        select(AidRecord.giver_unit)
        .where(AidRecord.deleted_at.is_(None), AidRecord.giver_unit != "")
        .group_by(AidRecord.giver_unit)
        .order_by(latest.desc(), AidRecord.giver_unit)
        .limit(UNITS_OFFERED)
    )
    return [unit for (unit,) in rows]


def check_cadre(work: Work, user_id: str | None, *, field: str = "giver", label: str = "帮扶人") -> None:
    """A cadre named on a record: an account of this village or of its town, not deleted."""
    if user_id is None:
        return
    user = work.session.get(User, user_id)
    if user is None or user.deleted_at is not None:
        raise UserError(f"{label}：这个账号不存在，请重新选择", field=field)
    if user.village_code not in (work.unit_code, work.station.town_code):
        raise UserError(f"{label}：只能选本村或本镇的干部", field=field)


def save_aid(
    work: Work, data: AidInput, record_id: str | None = None, *, today: dt.date | None = None
) -> str:
    """Record a new 帮扶记录 (``record_id`` None) or change one; returns its id."""
    require_write(work)
    session = work.session
    today = today or dt.date.today()
    household = own_household(work, data.household_id)
    amount_fen = rules.parse_amount(data.amount)
    goods, policy = data.goods.strip(), " ".join(data.policy.split())
    unit = " ".join(data.giver_unit.split())
    giver = data.giver_user_id or None
    rules.check_record(
        given_on=data.given_on,
        kind=data.kind,
        amount_fen=amount_fen,
        goods=goods,
        policy=policy,
        giver_user_id=giver,
        giver_unit=unit,
        today=today,
        note=data.note.strip(),
    )
    check_cadre(work, giver)
    entry_id = data.entry_id or None
    if entry_id is not None and not q.entry_met_household(session, entry_id, household.id):
        raise UserError(
            "关联的民情日记：这篇日记没有走访这一户（或已删除），请从这一户的民情日记中选择", field="entry_id"
        )
    if record_id is None:
        record = AidRecord(household_id=household.id)
        session.add(record)
        action, changed = "aid.add", ["given_on", "kind", "amount_fen", "goods", "policy"]
    else:
        record = require_live(
            session, AidRecord, record_id, "找不到这条帮扶记录（可能已被删除），请刷新", field="id"
        )
        require_own_record(work, record, "这条帮扶记录")
        if record.household_id != household.id:
            raise UserError("帮扶户：一条帮扶记录不能改到另一户，请删除后在那一户新增", field="household_id")
        action, changed = "aid.update", []
    values = {
        "given_on": data.given_on,
        "kind": data.kind,
        "amount_fen": amount_fen,
        "goods": goods,
        "policy": policy,
        "giver_user_id": giver,
        "giver_unit": unit if giver is None else "",
        "entry_id": entry_id,
        "note": data.note.strip(),
    }
    for name, value in values.items():
        if record_id is not None and getattr(record, name) != value:
            changed.append(name)
        setattr(record, name, value)
    if record_id is not None and not changed:
        return record.id
    session.flush()
    audit.record(session, work.actor, action, table="aid_record", record_id=record.id, fields=changed)
    return record.id


def delete_aid(work: Work, record_id: str) -> None:
    """Delete a 帮扶记录 entered by mistake (soft: the deletion travels to the town)."""
    require_write(work)
    record = require_live(work.session, AidRecord, record_id, "找不到这条帮扶记录（可能已被删除），请刷新")
    require_own_record(work, record, "这条帮扶记录")
    record.deleted_at = utcnow()
    audit.record(work.session, work.actor, "aid.delete", table="aid_record", record_id=record.id)


def _views(work: Work, records: list[AidRecord]) -> list[AidView]:
    session = work.session
    user_ids = {r.giver_user_id for r in records if r.giver_user_id}
    names = (
        dict(session.execute(select(User.id, User.display_name).where(User.id.in_(user_ids))).all())
        if user_ids
        else {}
    )
    heads = dict(
        session.execute(
            select(Household.id, Household.head_name).where(
                Household.id.in_({r.household_id for r in records})
            )
        ).all()
    )
    entries = q.entry_labels(session, [r.entry_id for r in records if r.entry_id])
    out = []
    for r in records:
        entry = entries.get(r.entry_id) if r.entry_id else None
        out.append(
            AidView(
                r.id,
                r.household_id,
                r.village_code,
                heads.get(r.household_id, ""),
                r.given_on,
                r.kind,
                r.amount_fen,
                r.goods,
                r.policy,
                r.giver_user_id,
                r.giver_unit,
                names.get(r.giver_user_id, "") if r.giver_user_id else r.giver_unit,
                r.entry_id,
                entry[0] if entry else None,
                entry[1] if entry else "",
                r.note,
            )
        )
    return out


def household_aid(work: Work, household_id: str) -> list[AidView]:
    """The household's live 帮扶记录, newest first (a town reads its villages')."""
    records = work.session.scalars(
        select(AidRecord)
        .where(AidRecord.household_id == household_id, AidRecord.deleted_at.is_(None))
        .order_by(AidRecord.given_on.desc(), AidRecord.created_at.desc())
    ).all()
    return _views(work, list(records))


def aid_detail(work: Work, record_id: str) -> AidView:
    record = require_live(work.session, AidRecord, record_id, "找不到这条帮扶记录（可能已被删除），请刷新")
    return _views(work, [record])[0]


def last_entered(work: Work) -> AidView | None:
    """The 帮扶记录 entered last at this station, for another household's form to start from (春节走访慰问:
    the same day, goods, money and giver for twenty households; the household and its diary entry are
    each form's own)."""
    record = work.session.scalars(
        select(AidRecord)
        .where(AidRecord.village_code == work.unit_code, AidRecord.deleted_at.is_(None))
        # the table's own order is the order of writing: read backwards from its end, not sorted by time
        # (every record of a village sorted by created_at: 33 ms, 100 ms worst, at 100 000 households)
        .order_by(literal_column("aid_record.rowid").desc())
        .limit(1)
    ).first()
    return _views(work, [record])[0] if record is not None else None


def household_entries(work: Work, household_id: str) -> list[q.EntryChoice]:
    """The household's diary entries the form offers to link, newest first."""
    return q.household_entries(work.session, household_id)
