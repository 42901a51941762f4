"""The unit of work (app.work): made by the workspace, it carries the actor and the station, stamps what
it writes as that actor, commits on success and changes nothing when the work fails."""

import pytest
from sqlalchemy import select

from db.models import AuditLog, Setting

from app import audit
from app.work import Work


def test_village_work_carries_actor_station_and_paths(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        assert isinstance(w, Work)
        assert w.actor.id == village_admin.id
        assert w.station.kind == "village" and not w.is_town
        assert w.unit_code == village_ws.require_station().code and len(w.unit_code) == 12
        assert w.paths.attachments == village_ws.attachments_dir
        assert w.paths.drafts == village_ws.drafts_dir
        audit.record(w.session, w.actor, "test.work", table="setting")
    with village_ws.session() as s:
        row = s.scalars(select(AuditLog).where(AuditLog.action == "test.work")).one()
        assert row.user_id == village_admin.id


def test_town_work_is_a_town(town_ws):
    with town_ws.work(None) as w:
        assert w.is_town and w.station.kind == "town" and len(w.unit_code) == 9
        assert w.actor is None


def test_failed_work_changes_nothing(village_ws, village_admin):
    with pytest.raises(RuntimeError), village_ws.work(village_admin) as w:
        w.session.add(Setting(key="test.work", value="1"))
        w.session.flush()
        raise RuntimeError("the operation failed half way")
    with village_ws.session() as s:
        assert s.get(Setting, "test.work") is None
