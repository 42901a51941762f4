"""The synced-record base: stamping happens centrally and a rollback consumes nothing visible."""

import pytest
from sqlalchemy import select

from db.models import Household, Person, StationCounter
from db.stamping import HardDeleteRefused


def _counter(ws):
    with ws.session() as s:
        return s.scalar(
            select(StationCounter.value).where(StationCounter.station_id == ws.require_station().id)
        )


def test_insert_update_and_soft_delete_bump_the_counter_and_stamp(village_ws, village_admin):
    station = village_ws.require_station()
    start = _counter(village_ws)
    with village_ws.session(village_admin.id) as s:
        h = Household(head_name="张三", group_name="一组", address="张家村一组 1 号")
        s.add(h)
        s.flush()
        s.add(Person(household_id=h.id, name="张三", relation="户主"))
    assert _counter(village_ws) == start + 2
    with village_ws.session() as s:
        h = s.scalars(select(Household)).one()
        assert len(h.id) == 36
        assert h.origin_station == station.id == h.changed_station
        assert h.village_code == station.code
        assert h.created_by == village_admin.id == h.updated_by
        assert h.created_at is not None and h.version in (start + 1, start + 2)
        first_version, first_updated = h.version, h.updated_at
    with village_ws.session(village_admin.id) as s:
        h = s.get(Household, h.id)
        h.address = "张家村一组 2 号"
    with village_ws.session() as s:
        h = s.get(Household, h.id)
        assert h.version == start + 3 > first_version
        assert h.updated_at >= first_updated
    from db.base import utcnow

    with village_ws.session(village_admin.id) as s:
        s.get(Household, h.id).deleted_at = utcnow()
    with village_ws.session() as s:
        h = s.get(Household, h.id)
        assert h.is_deleted and h.version == start + 4
    assert _counter(village_ws) == start + 4


def test_rolled_back_transaction_consumes_no_counter_value(village_ws):
    start = _counter(village_ws)
    with pytest.raises(RuntimeError), village_ws.session() as s:
        s.add(Household(head_name="李四"))
        s.flush()
        raise RuntimeError("user cancelled")
    assert _counter(village_ws) == start
    with village_ws.session() as s:
        assert s.scalars(select(Household)).all() == []


def test_unchanged_flush_does_not_bump(village_ws):
    with village_ws.session() as s:
        s.add(Household(head_name="王五"))
    start = _counter(village_ws)
    with village_ws.session() as s:
        h = s.scalars(select(Household)).one()
        h.head_name = "王五"  # same value: not a change
    assert _counter(village_ws) == start


def test_hard_delete_of_synced_record_is_refused(village_ws):
    with village_ws.session() as s:
        s.add(Household(head_name="赵六"))
    with pytest.raises(HardDeleteRefused), village_ws.session() as s:
        s.delete(s.scalars(select(Household)).one())
    with village_ws.session() as s:
        assert s.scalars(select(Household)).one().head_name == "赵六"


def test_edit_of_another_stations_version_records_its_base(village_ws):
    with village_ws.session() as s:
        h = Household(head_name="钱七")
        s.add(h)
    with village_ws.session(sync_apply=True) as s:  # as if the town had changed it
        h = s.get(Household, h.id)
        h.changed_station, h.version = "town-station", 42
    with village_ws.session() as s:
        h = s.get(Household, h.id)
        h.notes = "改过"
    with village_ws.session() as s:
        h = s.get(Household, h.id)
        assert (h.base_station, h.base_version) == ("town-station", 42)
        assert h.changed_station == village_ws.require_station().id


def test_versions_taken_ahead_end_as_flush_by_flush(village_ws, village_admin):
    """The demo's mediation step flushes 25 times a case; with versions_ahead the counter is bumped once
    per block, and on leaving the rest goes back: the counter and the versions are those one bump per
    flush gives, and a number taken by another statement meanwhile is never handed out twice."""
    from db.stamping import reserve_versions, versions_ahead

    station = village_ws.require_station()

    def write(session, n):
        versions = []
        for i in range(n):
            h = Household(head_name=f"户{i}", group_name="一组", address=f"{i} 号")
            session.add(h)
            session.flush()
            versions.append(h.version)
        return versions

    start = _counter(village_ws)
    with village_ws.session(village_admin.id) as s:
        plain = write(s, 5)
    assert plain == list(range(start + 1, start + 6)) and _counter(village_ws) == start + 5
    with village_ws.session(village_admin.id) as s, versions_ahead(s, size=3):
        ahead = write(s, 7)  # three blocks of 3, the last two unused
    assert ahead == list(range(start + 6, start + 13)) and _counter(village_ws) == start + 12
    with village_ws.session(village_admin.id) as s:
        with versions_ahead(s, size=10):
            first = write(s, 2)
            other = reserve_versions(s.connection(), station.id, 4)  # e.g. a bulk insert in between
            later = write(s, 2)
        assert first == [start + 13, start + 14]
        assert other == start + 23  # after the block of ten
        assert later == [start + 15, start + 16]  # still from the block
    # the block's rest is not given back (the counter is past it): a gap, no number twice
    assert _counter(village_ws) == start + 26
    with village_ws.session(village_admin.id) as s:
        assert write(s, 1) == [start + 27]
