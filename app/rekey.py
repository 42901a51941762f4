"""重新编号: give a household and its members new record ids of this station.

A household brought in from another village's roster workbook (before the import stopped adopting
system ids it does not hold) carries that village's ids; the town refuses those rows as another
village's records, and so every record that points at them. Re-keying makes the household and its
members new records of this village, points every record that referred to them at the new ids
(re-deriving the ids that are derived from a household, such as its tags and diary participants),
and removes the rows under the old ids, which never reached the town. Everything it touches gets a
new version, so the next bundle carries it. Audited.
"""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import select

from db.base import SYNC_COLUMNS, Base, SyncedRecord, new_id
from db.models import Attachment, DiaryParticipant, Household, HouseholdTag, Person

from app import accounts, audit
from app.errors import UserError
from app.ownership import references
from app.sync.records import models, table_of
from app.work import Work

_M = TypeVar("_M", bound=Base)


def _copy(obj: _M, **changes: Any) -> _M:
    """A new, unsaved record with ``obj``'s feature columns (the sync columns are stamped anew)."""
    cls = type(obj)
    values = {c.key: getattr(obj, c.key) for c in cls.__mapper__.column_attrs if c.key not in SYNC_COLUMNS}
    values.update(changes)
    return cls(**values)


def _remapped(mapping: dict[str, str], old_id: str | None) -> str | None:
    """``old_id``'s new id if it is re-keyed, else ``old_id`` itself (None stays None)."""
    return old_id if old_id is None else mapping.get(old_id, old_id)


def rekey_household(work: Work, household_id: str) -> str:
    """New ids for the household and its members; returns the household's new id."""
    from app.diary.entries import participant_id
    from app.households.tags import tag_row_id

    accounts.require(work.actor, "edit_households")
    session, station_id, village_code = work.session, work.station.id, work.unit_code
    household = session.get(Household, household_id)
    if household is None or household.village_code != village_code:
        raise UserError("找不到这一户（或它不属于本村），不能重新编号")
    if work.is_town:
        raise UserError("只有村工作站可以给本村的户重新编号")
    session.connection().exec_driver_sql("PRAGMA defer_foreign_keys=ON")
    persons = list(session.scalars(select(Person).where(Person.household_id == household_id)))
    new_hid = new_id(station_id)
    mapping = {household_id: new_hid} | {p.id: new_id(station_id) for p in persons}
    session.add(_copy(household, id=new_hid, head_id=_remapped(mapping, household.head_id)))
    session.flush()
    for p in persons:
        session.add(_copy(p, id=mapping[p.id], household_id=new_hid))
    session.flush()
    old_rows: list[SyncedRecord] = []
    replaced: set[SyncedRecord] = set()
    for model in models():
        table = table_of(model).name
        if model in (Household, Person):
            continue
        cols = [c for c, targets in references(table).items() if {"household", "person"} & set(targets)]
        if model is Attachment:
            cols.append("owner_id")
        for col in cols:
            attr = getattr(model, col)
            query = select(model).where(attr.in_(list(mapping)), model.village_code == village_code)
            if model is Attachment:
                query = query.where(Attachment.owner_table.in_(("household", "person")))
            for row in session.scalars(query):
                if row in replaced:
                    continue
                if isinstance(row, HouseholdTag):
                    replaced.add(row)
                    old_rows.append(row)
                    session.add(_copy(row, id=tag_row_id(new_hid, row.tag), household_id=new_hid))
                elif isinstance(row, DiaryParticipant):
                    replaced.add(row)
                    old_rows.append(row)
                    pid = _remapped(mapping, row.person_id)
                    session.add(
                        _copy(
                            row,
                            id=participant_id(row.entry_id, new_hid, pid),
                            household_id=new_hid,
                            person_id=pid,
                        )
                    )
                else:
                    setattr(row, col, mapping[getattr(row, col)])
    session.flush()
    session.info["privacy_purge"] = True  # the rows under the old ids never reached the town: gone for good
    try:
        for row in [*old_rows, *persons, household]:
            session.delete(row)
        session.flush()
    finally:
        session.info.pop("privacy_purge", None)
    audit.record(
        session,
        work.actor,
        "household.rekey",
        table="household",
        record_id=new_hid,
        detail=f"重新编号：原编号 {household_id}，成员 {len(persons)} 人",
    )
    return new_hid
