"""交办 (issue 15): a demand referred up (上报乡镇) and answered down (乡镇答复), end to end with two
workspaces and real bundles; the state machine; the town's 待办 by office; what a dishonest village
(or town) may not write; and the resident's 点评 of a closed demand."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import func, select

from db import vocab
from db.models import Demand, DiaryEntry, User

from app import accounts, todo
from app.diary import demands, referral
from app.errors import UserError
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import (
    DEMO_TODAY,
    SECOND_VILLAGE,
    export_one,
    forge_bundle,
    open_bundle,
    section_doc,
    synced_rows,
    with_rows,
    without_town_rule,
)

TODAY = DEMO_TODAY + dt.timedelta(days=10)


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


def _open_demands(ws: Workspace, n: int = 1) -> list[str]:
    """``n`` open demands of the station's village (added at a village when the demo has too few)."""
    from db.models import Household

    from tests.sync_support import add_demand

    if ws.require_station().kind == "village":
        with ws.new_session() as s:
            have = s.scalar(
                select(func.count()).where(Demand.status == vocab.OPEN, Demand.deleted_at.is_(None))
            )
            households = list(s.scalars(select(Household.id).order_by(Household.id).limit(n)))
        for k in range(n - have):
            add_demand(ws, households[k % len(households)], f"诉求{k}：申请临时救助")
    with ws.new_session() as s:
        return list(
            s.scalars(
                select(Demand.id)
                .where(Demand.status == vocab.OPEN, Demand.deleted_at.is_(None))
                .order_by(Demand.id)
                .limit(n)
            )
        )


def _refer(ws, user, demand_id, office="民政办", note="低保申请材料已齐，请镇民政办审核"):
    with ws.work(user) as w:
        return referral.refer_demand(
            w, demand_id, office=office, note=note, referred_on=DEMO_TODAY, today=TODAY
        )


def _down(town: Workspace, stick) -> list:
    return export_bundles(town, stick, village=VILLAGE_CODE)


def test_a_referred_demand_goes_up_is_answered_down_and_the_village_answers_the_resident(stations, stick):
    town, village = stations
    cadre, clerk = _admin(village), _admin(town)
    first, second = _open_demands(village, 2)
    info = _refer(village, cadre, first)
    assert info.status == "已上报乡镇" and info.referred_office == "民政办"
    assert info.referred_by == cadre.display_name and info.referred_on == DEMO_TODAY
    _refer(village, cadre, second, office="农业农村办", note="灌溉渠需镇里统一安排维修")

    (up,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert up.status == "imported" and up.counts["rejected"] == 0 and up.counts["conflicts"] == 0
    with town.work(clerk) as w:
        worklist = referral.town_worklist(w)
        # by office, in the fixed order of the list (the demo's own referrals are there too)
        assert list(worklist) == [o for o in vocab.TOWN_OFFICES if o in worklist]
        mine = {r.id: (office, r) for office, rows in worklist.items() for r in rows}
        office, row = mine[first]
        assert (office, row.village_name, row.note) == (
            "民政办",
            "张家村",
            "低保申请材料已齐，请镇民政办审核",
        )
        assert mine[second][0] == "农业农村办"
        waiting = {o: len(rows) for o, rows in worklist.items()}
        items = [i for i in todo.collect(w, TODAY) if i.kind == "demand_referred"]
        # one line per demand under its office (at most 10 per office, then one line for the rest)
        per_office = {o: [i for i in items if i.group == o] for o in waiting}
        for o, n in waiting.items():
            shown = [i for i in per_office[o] if i.record_id.startswith("referral:")]
            assert len(shown) == min(n, 10)
            assert {i.record_id for i in shown} <= {f"referral:{r.id}" for r in worklist[o]}
        civil = next(i for i in items if i.record_id == f"referral:{first}")
        assert civil.group == "民政办" and civil.title.startswith("张家村")
        assert "低保申请材料已齐" in civil.detail
        # no village cadre's visit reminders at the town
        assert not [i for i in todo.collect(w, TODAY) if i.kind in ("overdue_visit", "must_visit")]
        answered = referral.town_reply(
            w,
            first,
            kind="乡镇答复",
            reply="材料已收到，镇民政办 6 月 15 日前入户核查。",
            replied_on=DEMO_TODAY + dt.timedelta(days=2),
            replied_by="民政办 刘敏",
            today=TODAY,
        )
        assert answered.status == "乡镇已答复"
        referral.town_reply(
            w,
            second,
            kind="转报县级部门",
            reply="灌溉渠属县水利局管护，已转报，请村里告知群众等候。",
            forwarded_to="县水利局",
            replied_on=DEMO_TODAY + dt.timedelta(days=3),
            replied_by="农业农村办 张强",
            today=TODAY,
        )
        left = {r.id for rows in referral.town_worklist(w).values() for r in rows}
        assert first not in left and second not in left
        answered = referral.town_worklist(w, statuses=("乡镇已答复",))
        assert {r.id for rows in answered.values() for r in rows} == {first, second}

    (down,) = _down(town, stick)
    assert down.counts["demands"] == 2
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.status == "imported" and b.counts["updated"] == 2 and b.counts["rejected"] == 0
    with village.work(cadre) as w:
        got = demands.demand_info(w, first)
        assert got.status == "乡镇已答复" and got.town_reply.startswith("材料已收到")
        assert (got.town_replied_by, got.town_replied_on) == (
            "民政办 刘敏",
            DEMO_TODAY + dt.timedelta(days=2),
        )
        fwd = demands.demand_info(w, second)
        assert (fwd.town_reply_kind, fwd.town_forwarded_to) == ("转报县级部门", "县水利局")
        items = {i.record_id: i for i in todo.collect(w, TODAY) if i.kind == "demand_town_replied"}
        assert set(items) == {first, second}
        assert items[first].title.startswith("乡镇已答复，请答复群众") and items[first].page == "diary"
        assert items[second].title.startswith("已转报县水利局")
        # the village answers the resident, closes with the resident's 点评
        demands.reply_demand(
            w,
            first,
            reply="镇民政办 6 月 15 日前入户核查，请备好户口本。",
            replied_on=DEMO_TODAY + dt.timedelta(days=4),
            replied_by=cadre.display_name,
            today=TODAY,
        )
        closed = demands.close_demand(
            w,
            first,
            closed_on=DEMO_TODAY + dt.timedelta(days=8),
            handling="已核查，纳入低保",
            feedback=demands.FeedbackInput("满意", "办得快", "当面", DEMO_TODAY + dt.timedelta(days=8)),
            today=TODAY,
        )
        assert (closed.status, closed.feedback_verdict, closed.feedback_method) == ("已办结", "满意", "当面")
        assert closed.feedback_recorded_by == cadre.display_name
    (back,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert back.status == "imported" and back.counts["conflicts"] == 0 and back.counts["rejected"] == 0
    with town.new_session() as s:
        row = s.get(Demand, first)
        assert (row.status, row.town_replied_by, row.feedback_verdict) == ("已办结", "民政办 刘敏", "满意")
    assert synced_rows(town, VILLAGE_CODE) == synced_rows(village, VILLAGE_CODE)


def test_the_state_machine_of_a_referral(stations):
    town, village = stations
    cadre, clerk = _admin(village), _admin(town)
    (did,) = _open_demands(village)
    with pytest.raises(UserError) as err, village.work(cadre) as w:
        referral.refer_demand(w, did, office="县民政局", note="x", referred_on=DEMO_TODAY, today=TODAY)
    assert err.value.field == "office"
    with pytest.raises(UserError) as err, village.work(cadre) as w:
        referral.refer_demand(w, did, office="民政办", note="  ", referred_on=DEMO_TODAY, today=TODAY)
    assert err.value.field == "note"
    with pytest.raises(UserError) as err, village.work(cadre) as w:
        referral.refer_demand(
            w, did, office="民政办", note="x", referred_on=TODAY + dt.timedelta(days=1), today=TODAY
        )
    assert err.value.field == "referred_on"
    with pytest.raises(UserError, match="只能在乡镇工作站"), village.work(cadre) as w:
        referral.town_reply(
            w, did, kind="乡镇答复", reply="村里自己答复", replied_on=TODAY, replied_by="x", today=TODAY
        )
    _refer(village, cadre, did)
    # while the town has not answered, the village cannot answer the resident, close it, or refer again
    for attempt in (
        lambda w: demands.reply_demand(w, did, reply="x", replied_on=TODAY, replied_by="x", today=TODAY),
        lambda w: demands.close_demand(w, did, closed_on=TODAY, handling="x", today=TODAY),
        lambda w: referral.refer_demand(w, did, office="司法所", note="x", referred_on=TODAY, today=TODAY),
    ):
        with pytest.raises(UserError, match="已上报乡镇"), village.work(cadre) as w:
            attempt(w)
    # the town refers nothing, answers the village's resident nothing, writes only its reply
    town_demand = _open_demands(town)[0]
    with pytest.raises(UserError, match="村工作站"), town.work(clerk) as w:
        referral.refer_demand(w, town_demand, office="民政办", note="x", referred_on=TODAY, today=TODAY)
    with pytest.raises(UserError, match="只能查看"), town.work(clerk) as w:
        demands.reply_demand(w, town_demand, reply="x", replied_on=TODAY, replied_by="x", today=TODAY)
    with pytest.raises(UserError, match="没有上报到乡镇"), town.work(clerk) as w:
        referral.town_reply(
            w, town_demand, kind="乡镇答复", reply="x", replied_on=TODAY, replied_by="x", today=TODAY
        )
    with pytest.raises(UserError) as err, town.work(clerk) as w:  # not yet arrived at the town
        referral.town_reply(w, did, kind="转报县级部门", reply="x", replied_on=TODAY, replied_by="x")
    assert "没有上报到乡镇" in str(err.value) or "找不到" in str(err.value)


def test_the_town_may_answer_again_a_forwarded_demand_until_the_village_takes_it_up(stations, stick):
    town, village = stations
    cadre, clerk = _admin(village), _admin(town)
    (did,) = _open_demands(village)
    _refer(village, cadre, did, office="自然资源所", note="宅基地边界争议，涉及邻村")
    import_bundles(town, [export_one(village, stick)])
    with town.work(clerk) as w:
        with pytest.raises(UserError) as err:
            referral.town_reply(
                w, did, kind="转报县级部门", reply="已转报", replied_on=TODAY, replied_by="x", today=TODAY
            )
        assert err.value.field == "forwarded_to"
        referral.town_reply(
            w,
            did,
            kind="转报县级部门",
            reply="已转报县自然资源局确权",
            forwarded_to="县自然资源局",
            replied_on=TODAY - dt.timedelta(days=5),
            replied_by="自然资源所 李工",
            today=TODAY,
        )
    with town.work(clerk) as w:  # the county answered: the town writes its answer over the forwarding
        referral.town_reply(
            w,
            did,
            kind="乡镇答复",
            reply="县自然资源局已确权，以 1998 年宅基地证为准。",
            replied_on=TODAY,
            replied_by="自然资源所 李工",
            today=TODAY,
        )
    (down,) = _down(town, stick)
    (b,) = import_bundles(village, [down.path]).bundles
    assert b.counts["updated"] == 1 and b.counts["rejected"] == 0
    with village.work(cadre) as w:
        got = demands.demand_info(w, did)
        assert (got.town_reply_kind, got.town_forwarded_to, got.status) == ("乡镇答复", "", "乡镇已答复")


# -- dishonest stations ---------------------------------------------------------------------------------
def test_a_village_cannot_fill_the_towns_reply_nor_name_an_office_not_in_the_list(stations, stick):
    town, village = stations
    cadre = _admin(village)
    a, b, c = _open_demands(village, 3)
    _refer(village, cadre, c)
    import_bundles(town, [export_one(village, stick)])
    with village.session() as s:  # a dishonest village edits its own database around the services
        forged = s.get(Demand, a)
        forged.status, forged.referred_office, forged.referral_note = "乡镇已答复", "民政办", "x"
        forged.town_reply_kind, forged.town_reply = "乡镇答复", "村里替乡镇写的答复"
        forged.town_replied_by, forged.town_replied_on = "民政办", DEMO_TODAY
        odd = s.get(Demand, b)
        odd.status, odd.referred_office, odd.referral_note, odd.referred_on = "已上报乡镇", "县委", "x", TODAY
        skipped = s.get(Demand, c)  # answers the resident without waiting for the town
        skipped.status, skipped.reply, skipped.replied_on, skipped.replied_by = "已答复", "x", TODAY, "x"
    with town.new_session() as s:
        before = {d: (s.get(Demand, d).status, s.get(Demand, d).town_reply) for d in (a, b, c)}
    (bundle,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert bundle.status == "imported" and bundle.counts["rejected"] == 3
    reasons = {r.record_id: r.reason for r in bundle.rejections}
    assert reasons[a] in {
        f"“{label}”只能由乡镇填写" for label in ("乡镇答复内容", "乡镇答复方式", "乡镇答复人", "乡镇答复日期")
    }
    assert reasons[b] == "上报的科室“县委”不在乡镇科室名单里"
    assert reasons[c] == "诉求已上报乡镇，乡镇答复前村里不能改为“已答复”"
    with town.new_session() as s:
        assert {d: (s.get(Demand, d).status, s.get(Demand, d).town_reply) for d in (a, b, c)} == before
    # a forged row with only the status (no reply columns) is refused too
    with village.session() as s:
        s.get(Demand, a).town_reply_kind = None
        s.get(Demand, a).town_reply = ""
        s.get(Demand, a).town_replied_by = None
        s.get(Demand, a).town_replied_on = None
    (bundle,) = import_bundles(town, [export_one(village, stick)]).bundles
    assert {r.record_id: r.reason for r in bundle.rejections}[a] == "“乡镇已答复”只能由乡镇填写"


def test_a_village_cannot_take_back_the_towns_reply_nor_invent_a_status(stations, stick):
    town, village = stations
    cadre, clerk = _admin(village), _admin(town)
    answered, other = _open_demands(village, 2)
    _refer(village, cadre, answered)
    import_bundles(town, [export_one(village, stick)])
    with town.work(clerk) as w:
        referral.town_reply(
            w, answered, kind="乡镇答复", reply="已受理", replied_on=TODAY, replied_by="民政办", today=TODAY
        )
    (down,) = _down(town, stick)
    import_bundles(village, [down.path])
    with village.session() as s:  # around the services: the town's reply wiped, a status made up
        d = s.get(Demand, answered)
        d.town_reply, d.town_reply_kind = "", None
        s.get(Demand, other).status = "已撤销"
    (b,) = import_bundles(town, [export_one(village, stick)]).bundles
    reasons = {r.record_id: r.reason for r in b.rejections}
    assert reasons[answered] in (
        "“乡镇答复内容”是乡镇的答复，村里不能清除",
        "“乡镇答复方式”是乡镇的答复，村里不能清除",
    )
    assert reasons[other] == "“办理状态”不是认识的状态"
    with town.new_session() as s:
        assert (s.get(Demand, answered).town_reply, s.get(Demand, other).status) == ("已受理", "待办")


def test_a_village_cannot_answer_another_villages_demand(stations, stick, two_villages):
    """A bundle of 张家村 that carries a 李家村 demand with a reply: refused as another village's row."""
    town, village = stations
    up = export_one(village, stick)
    m, sections = open_bundle(up, town)
    doc = section_doc(sections, "demands")
    cols = doc["columns"]
    with town.new_session() as s:
        theirs = s.scalars(select(Demand).where(Demand.village_code == SECOND_VILLAGE[0])).first()
        row = {c: getattr(theirs, c) for c in cols}
    row.update(
        status="乡镇已答复",
        town_reply_kind="乡镇答复",
        town_reply="张家村替乡镇写的答复",
        village_code=SECOND_VILLAGE[0],
        changed_station=m["sender"]["station_id"],
        version=m["counter"]["to"],
    )
    row = json.loads(json.dumps(row, default=str))
    forged = forge_bundle(
        village,
        town,
        m,
        with_rows(sections, "demands", [[row[c] for c in cols]], replace=True),
        stick / "forged.mqb",
    )
    (b,) = import_bundles(town, [forged]).bundles
    assert b.counts["rejected"] == 1
    (r,) = b.rejections
    assert r.record_id == row["id"] and r.reason.startswith("记录属于其他村（370681101202）")
    with town.new_session() as s:
        assert s.get(Demand, row["id"]).town_reply == ""


def test_a_town_cannot_answer_a_demand_that_was_not_referred_nor_touch_the_villages_columns(stations, stick):
    town, village = stations
    cadre = _admin(village)
    a, b = _open_demands(village, 2)
    _refer(village, cadre, b)
    import_bundles(town, [export_one(village, stick)])
    with without_town_rule(), town.session() as s:  # a dishonest town edits its database around the services
        d = s.get(Demand, a)
        d.status, d.town_reply_kind, d.town_reply = "乡镇已答复", "乡镇答复", "没上报也答复"
        e = s.get(Demand, b)
        e.status, e.town_reply_kind, e.town_reply = "乡镇已答复", "乡镇答复", "顺便改了诉求内容"
        e.content = "乡镇改的诉求内容"
    (down,) = _down(town, stick)
    (got,) = import_bundles(village, [down.path]).bundles
    reasons = {r.record_id: r.reason for r in got.rejections}
    assert reasons[a] == "这条诉求没有上报乡镇，乡镇不能答复"
    assert reasons[b].startswith("乡镇只能填写自己的处理和答复，不能修改本村记录的")
    with village.new_session() as s:
        assert (s.get(Demand, a).status, s.get(Demand, b).status) == ("待办", "已上报乡镇")


# -- 群众点评 -----------------------------------------------------------------------------------------
def _closed_demand(ws, user) -> str:
    (did,) = _open_demands(ws)
    with ws.work(user) as w:
        demands.reply_demand(w, did, reply="已办", replied_on=TODAY, replied_by="x", today=TODAY)
        demands.close_demand(w, did, closed_on=TODAY, handling="已办", today=TODAY)
    return did


def test_the_residents_feedback_is_recorded_once_after_closing(stations):
    town, village = stations
    cadre, clerk = _admin(village), _admin(town)
    (open_id,) = _open_demands(village)
    with pytest.raises(UserError, match="办结后"), village.work(cadre) as w:
        demands.record_feedback(w, open_id, demands.FeedbackInput("满意", "", "当面", TODAY), today=TODAY)
    did = _closed_demand(village, cadre)
    bad = [
        (demands.FeedbackInput("很好", "", "当面", TODAY), "feedback_verdict"),
        (demands.FeedbackInput("满意", "", "短信", TODAY), "feedback_method"),
        (demands.FeedbackInput("不满意", " ", "电话", TODAY), "feedback_words"),
        (demands.FeedbackInput("满意", "", "电话", TODAY - dt.timedelta(days=1)), "feedback_on"),
        (demands.FeedbackInput("满意", "", "电话", TODAY + dt.timedelta(days=1)), "feedback_on"),
    ]
    for given, field in bad:
        with pytest.raises(UserError) as err, village.work(cadre) as w:
            demands.record_feedback(w, did, given, today=TODAY)
        assert err.value.field == field
    with village.work(cadre) as w:
        assert any(i.kind == "demand_feedback" and i.record_id == did for i in todo.collect(w, TODAY))
        got = demands.record_feedback(
            w, did, demands.FeedbackInput("不满意", "路修了一半又停了", "签字", TODAY), today=TODAY
        )
        assert (got.feedback_verdict, got.feedback_words, got.feedback_method) == (
            "不满意",
            "路修了一半又停了",
            "签字",
        )
        assert not any(i.kind == "demand_feedback" and i.record_id == did for i in todo.collect(w, TODAY))
    with pytest.raises(UserError, match="不再修改"), village.work(cadre) as w:
        demands.record_feedback(w, did, demands.FeedbackInput("满意", "", "当面", TODAY), today=TODAY)
    with pytest.raises(UserError, match="只能查看"), town.work(clerk) as w:
        demands.record_feedback(w, _open_demands(town)[0], demands.FeedbackInput("满意", "", "当面", TODAY))


def test_the_referral_columns_survive_an_older_villages_bundle(stations, stick):
    """A village still on 0012 sends demands without the new columns: the town takes them as they are."""
    town, village = stations
    up = export_one(village, stick)
    m, sections = open_bundle(up, town)
    doc = section_doc(sections, "demands")
    new = [c for c in doc["columns"] if c.startswith(("referr", "town_", "feedback_"))]
    assert len(new) == 14
    keep = [i for i, c in enumerate(doc["columns"]) if c not in new]
    rows = [[r[i] for i in keep] for r in doc["rows"]]
    m["schema_version"] = "0012_mediation_capacity_recusal"
    forged = forge_bundle(
        village,
        town,
        m,
        with_rows(sections, "demands", rows, columns=[doc["columns"][i] for i in keep], replace=True),
        stick / "old.mqb",
    )
    (b,) = import_bundles(town, [forged]).bundles
    assert b.status == "imported" and b.counts["rejected"] == 0
    with town.new_session() as s:
        assert s.scalar(select(DiaryEntry.id).limit(1)) is not None


def test_a_first_bundles_demands_with_a_status_the_village_may_not_give_are_refused(
    village_ws, town_ws, tmp_path, stick
):
    """A village's first bundle takes the fast path of an import (every row new, made by the sender): a
    demand's status and office are still checked on each row, as on a changed one."""
    from tests.sync_support import add_demand, add_household, enroll_village

    enroll_village(village_ws, town_ws, tmp_path)
    household = add_household(village_ws, "张建国")
    claimed = add_demand(village_ws, household, "诉求：村里自称乡镇已答复")
    made_up = add_demand(village_ws, household, "诉求：编造的状态")
    with village_ws.session() as s:  # a dishonest village edits its own database around the services
        s.get(Demand, claimed).status = "乡镇已答复"
        s.get(Demand, claimed).referred_office = "民政办"
        s.get(Demand, made_up).status = "已撤销"
    (bundle,) = import_bundles(town_ws, [export_one(village_ws, stick)]).bundles
    reasons = {r.record_id: r.reason for r in bundle.rejections}
    assert reasons == {claimed: "“乡镇已答复”只能由乡镇填写", made_up: "“办理状态”不是认识的状态"}
    with town_ws.new_session() as s:
        assert s.get(Demand, claimed) is None and s.get(Demand, made_up) is None
