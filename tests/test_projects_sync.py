"""为民实事 across sync: a village's 村 project goes up in its 上报包; the town's 镇 project for a village
comes down in the 下发包 (with its photo); each side only reads the other's; forged rows are refused by
the scope rule (app.ownership.scope_verdict) and by the references rule."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select

from db.models import Attachment, Demand, User
from db.models.projects import Project, ProjectDemand, ProjectMilestone

from app import accounts, attachments
from app.errors import UserError
from app.projects import service
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD
from tests.projects_helpers import road_input
from tests.sync_support import (
    SECOND_VILLAGE,
    add_demand,
    export_one,
    forge_bundle,
    open_bundle,
    section_doc,
    synced_rows,
    with_rows,
    without_town_rule,
)

VILLAGE = "370681101201"
TODAY = dt.date(2024, 6, 30)


def _admin(ws: Workspace) -> User:
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


@pytest.fixture
def stations(two_villages):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    yield town, village
    village.close()
    town.close()


@pytest.fixture
def stick(tmp_path):
    path = tmp_path / "stick"
    path.mkdir()
    return path


def _new_demands(ws: Workspace, n: int) -> list[str]:
    from db.models import Household

    with ws.new_session() as s:
        households = list(s.scalars(select(Household.id).order_by(Household.id).limit(n)))
    return [add_demand(ws, households[k], f"道路诉求{k}：路面破损") for k in range(n)]


def _village_project(village: Workspace, demand_ids: list[str]) -> str:
    with village.work(_admin(village)) as w:
        return service.save_project(w, road_input(demand_ids), today=TODAY).id


def _town_project(town: Workspace, demand_ids: list[str], photo) -> str:
    with town.work(_admin(town)) as w:
        pid = service.save_project(
            w, road_input(demand_ids, village_code=VILLAGE, title="镇级：张家村至李家村道路"), today=TODAY
        ).id
        service.add_photo(w, pid, photo)
        return pid


def test_a_village_project_goes_up_and_the_town_only_reads_it(stations, stick):
    town, village = stations
    demands = _new_demands(village, 2)
    pid = _village_project(village, demands)
    (up,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert up.status == "imported" and up.counts["rejected"] == 0
    with town.work(_admin(town)) as w:
        detail = service.project_detail(w, pid)
        assert (detail.scope, detail.village_name, detail.writable) == ("村", "张家村", False)
        assert {d.id for d in detail.demands} == set(demands)
        with pytest.raises(UserError, match="村级.*乡镇只能查看"):
            service.advance(w, pid, "实施中", on=TODAY, today=TODAY)
    assert synced_rows(town, VILLAGE)["projects"] == synced_rows(village, VILLAGE)["projects"]


def test_a_town_project_comes_down_with_its_photo_and_the_village_only_reads_it(stations, stick, tmp_path):
    town, village = stations
    demands = _new_demands(village, 2)
    import_bundles(town, [export_one(village, stick)])
    photo = tmp_path / "开工.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 300)
    pid = _town_project(town, demands, photo)
    with town.new_session() as s:
        rows = [
            s.get(Project, pid),
            *s.scalars(select(ProjectMilestone).where(ProjectMilestone.project_id == pid)),
            *s.scalars(select(ProjectDemand).where(ProjectDemand.project_id == pid)),
        ]
        assert {(r.scope, r.village_code) for r in rows if r.village_code == VILLAGE} == {("镇", VILLAGE)}
        (att,) = s.scalars(select(Attachment).where(Attachment.owner_id == pid)).all()
        assert att.village_code == VILLAGE
    (down,) = export_bundles(town, stick, village=VILLAGE)
    assert (down.counts["projects"], down.counts["project_milestones"], down.attachments) == (1, 3, 1)
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 0, b.rejections
    with village.work(_admin(village)) as w:
        detail = service.project_detail(w, pid)
        assert (detail.scope, detail.writable, len(detail.milestones)) == ("镇", False, 3)
        assert attachments.read_attachment(w, detail.photos[0]) == photo.read_bytes()
        with pytest.raises(UserError, match="乡镇的为民实事（镇级）"):
            service.save_project(w, road_input(demands), pid, today=TODAY)
    # the village's next bundle carries nothing of the town's rows, and nothing is refused
    (again,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert again.counts["rejected"] == 0 and again.counts["conflicts"] == 0
    for table in ("projects", "project_milestones", "project_demands"):
        assert synced_rows(town, VILLAGE)[table] == synced_rows(village, VILLAGE)[table]


def _forge_up(village, town, stick, record_type, rows_of, name="forged.mqb"):
    up = export_one(village, stick)
    m, sections = open_bundle(up, town)
    doc = section_doc(sections, record_type)
    cols = doc["columns"]
    rows = [json.loads(json.dumps(r, default=str)) for r in rows_of(m)]
    for r in rows:
        r.update(changed_station=m["sender"]["station_id"], version=m["counter"]["to"])
    forged = forge_bundle(
        village,
        town,
        m,
        with_rows(sections, record_type, [[r[c] for c in cols] for r in rows], replace=True),
        stick / name,
    )
    (b,) = import_bundles(town, [forged]).bundles
    return b


def _row(ws, model, rid):
    with ws.new_session() as s:
        obj = s.get(model, rid)
        return {c.name: getattr(obj, c.key) for c in model.__table__.columns}


def test_a_village_cannot_write_a_town_project(stations, stick):
    town, village = stations
    demands = _new_demands(village, 1)
    pid = _village_project(village, demands)
    row = _row(village, Project, pid)
    row.update(scope="镇")
    b = _forge_up(village, town, stick, "projects", lambda m: [row])
    assert b.counts["rejected"] >= 1
    reasons = {r.record_id: r.reason for r in b.rejections}
    assert reasons[pid] == "镇级为民实事由乡镇录入并随下发包送到村里，村里不能新建或修改"
    with town.new_session() as s:
        assert s.get(Project, pid) is None


def test_a_village_cannot_change_or_add_to_the_towns_project(stations, stick, tmp_path):
    town, village = stations
    demands = _new_demands(village, 2)
    import_bundles(town, [export_one(village, stick)])
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 100)
    pid = _town_project(town, demands[:1], photo)
    (down,) = export_bundles(town, stick, village=VILLAGE)
    import_bundles(village, [down.path])
    with village.new_session() as s:
        admin = s.scalars(select(User).where(User.username == "admin")).one().id
    changed = _row(village, Project, pid)
    changed.update(
        title="村里改了镇里的实事", base_station=changed["changed_station"], base_version=changed["version"]
    )
    link = {**_row(village, ProjectDemand, _link_id(village, pid)), "id": "forged-link-of-the-town-project"}
    link.update(demand_id=demands[1], scope="村", origin_station=None, created_by=admin)
    b = _forge_up(
        village,
        town,
        stick,
        "projects",
        lambda m: [changed],
    )
    assert {r.record_id: r.reason for r in b.rejections}[pid].startswith("镇级为民实事由乡镇录入")
    b2 = _forge_up(
        village,
        town,
        stick,
        "project_demands",
        lambda m: [{**link, "origin_station": m["sender"]["station_id"]}],
        name="forged2.mqb",
    )
    assert {r.record_id: r.reason for r in b2.rejections}[link["id"]] == "与所属为民实事的范围（村/镇）不一致"
    with town.new_session() as s:
        assert s.get(Project, pid).title == "镇级：张家村至李家村道路"
        assert s.get(ProjectDemand, link["id"]) is None


def _link_id(ws, pid):
    with ws.new_session() as s:
        return s.scalars(select(ProjectDemand.id).where(ProjectDemand.project_id == pid)).first()


def test_a_project_cannot_link_another_villages_demand(stations, stick):
    town, village = stations
    demands = _new_demands(village, 1)
    pid = _village_project(village, demands)
    with town.new_session() as s:
        theirs = s.scalars(select(Demand.id).where(Demand.village_code == SECOND_VILLAGE[0])).first()
    link = _row(village, ProjectDemand, _link_id(village, pid))
    link.update(id="forged-link-other-village", demand_id=theirs)
    b = _forge_up(village, town, stick, "project_demands", lambda m: [link])
    assert {r.record_id: r.reason for r in b.rejections}[link["id"]] == "“回应的诉求”引用了其他村的记录"
    with town.new_session() as s:
        assert s.get(ProjectDemand, link["id"]) is None
    # and the service never makes one
    with village.work(_admin(village)) as w, pytest.raises(UserError, match="不在本村的民情台账"):
        service.save_project(w, road_input([theirs], title="别村的诉求"), today=TODAY)


def test_a_town_cannot_write_a_village_project(stations, stick):
    town, village = stations
    pid = _village_project(village, _new_demands(village, 1))
    import_bundles(town, [export_one(village, stick)])
    with without_town_rule(), town.session() as s:  # a dishonest town edits its database around the rules
        s.get(Project, pid).title = "乡镇改了村里的实事"
    (down,) = export_bundles(town, stick, village=VILLAGE)
    (got,) = import_bundles(village, [down.path]).bundles
    assert {r.record_id: r.reason for r in got.rejections}[
        pid
    ] == "村级为民实事由村里录入，乡镇不能新建或修改"
    with village.new_session() as s:
        assert s.get(Project, pid).title == "三组道路硬化"


def test_the_town_station_refuses_village_projects_and_takes_its_own(stations, stick):
    town, village = stations
    pid = _village_project(village, _new_demands(village, 1))
    import_bundles(town, [export_one(village, stick)])
    with pytest.raises(UserError, match="乡镇工作站不能录入或修改村里的为民实事"), town.session() as s:
        s.get(Project, pid).title = "镇里直接改"
    with pytest.raises(UserError, match="乡镇工作站不能录入或修改村里的为民实事"), town.session() as s:
        s.get(Project, pid).scope = "镇"  # taking a village's project over
    with pytest.raises(UserError, match="本镇登记过的村"), town.work(_admin(town)) as w:
        service.save_project(w, road_input([], village_code="370681101299"), today=TODAY)


def test_a_village_cannot_attach_a_photo_to_the_towns_project(stations, stick, tmp_path):
    town, village = stations
    demands = _new_demands(village, 1)
    import_bundles(town, [export_one(village, stick)])
    photo = tmp_path / "p.png"
    photo.write_bytes(b"\x89PNG\r\n\x1a\n" + b"2" * 100)
    pid = _town_project(town, demands, photo)
    (down,) = export_bundles(town, stick, village=VILLAGE)
    import_bundles(village, [down.path])
    # the village's own station refuses it …
    with village.work(_admin(village)) as w, pytest.raises(UserError, match="乡镇的为民实事"):
        service.add_photo(w, pid, photo)
    # … and a village program edited around the service has its row refused at the town
    with village.session() as s:
        sha = attachments.store_blob(s.connection(), village.attachments_dir, b"\x89PNG forged")
        row = Attachment(owner_table="project", owner_id=pid, filename="村里加的.png", size=11, sha256=sha)
        s.add(row)
        s.flush()
        rid = row.id
    (b,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert {r.record_id: r.reason for r in b.rejections}[
        rid
    ] == "镇级为民实事的照片由乡镇附上，村里不能新建或修改"
    with town.new_session() as s:
        assert s.get(Attachment, rid) is None
