"""为民实事 at a village: saving with milestones and linked demands, the checked states, the 点评 at
acceptance, photos kept encrypted, who may write what, and the month's facts."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from sqlalchemy import select

from db.models import Attachment, Demand
from db.models.projects import Project, ProjectDemand

from app import attachments
from app.errors import UserError
from app.projects import service
from app.projects.facts import month_facts
from app.projects.service import ReviewInput

from tests.projects_helpers import road_input, run_to_acceptance
from tests.sync_support import add_demand, add_household

D = dt.date
TODAY = D(2024, 6, 30)


@pytest.fixture
def demands(village_ws):
    h1 = add_household(village_ws, "张大山")
    h2 = add_household(village_ws, "李秀英")
    return [
        add_demand(village_ws, h1, "三组路面坑洼，雨天出行难"),
        add_demand(village_ws, h2, "希望硬化村道"),
    ]


def test_a_village_project_keeps_milestones_links_and_checked_money(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        detail = service.save_project(w, road_input(demands), today=TODAY)
    assert detail.scope == "村" and detail.state == "计划"
    assert detail.budget_fen == 12_000_000 and detail.budget_text == "120,000元"
    assert [m.title for m in detail.milestones] == ["方案公示", "开工", "完工"]
    assert {d.id for d in detail.demands} == set(demands)
    assert detail.writable


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"budget": "十二万"}, "budget", "不是数字"),
        ({"budget": "-5"}, "budget", "负数"),
        ({"budget": ""}, "budget", "预算"),
        ({"budget": "0"}, "budget", "大于 0"),
        ({"title": "  "}, "title", "项目名称"),
        ({"funding_source": ""}, "funding_source", "资金来源"),
        ({"responsible": ""}, "responsible", "责任人"),
        ({"year": 1999}, "year", "年度"),
    ],
)
def test_bad_input_names_the_field_and_saves_nothing(
    village_ws, village_admin, demands, change, field, words
):
    data = dataclasses.replace(road_input(demands), **change)
    with pytest.raises(UserError) as refused, village_ws.work(village_admin) as w:
        service.save_project(w, data, today=TODAY)
    assert refused.value.field == field and words in str(refused.value)
    with village_ws.session() as s:
        assert s.scalars(select(Project)).all() == []


def test_a_demand_feeds_one_project_only(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        service.save_project(w, road_input(demands), today=TODAY)
    with (
        pytest.raises(UserError, match="已由为民实事《三组道路硬化》回应"),
        village_ws.work(village_admin) as w,
    ):
        service.save_project(w, road_input(demands[:1], title="另一条路"), today=TODAY)


def test_unlinking_a_demand_and_editing_milestones(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        detail = service.save_project(w, road_input(demands), today=TODAY)
        data = road_input(demands[:1])
        data.milestones = [
            dataclasses.replace(m, id=x.id) for m, x in zip(data.milestones, detail.milestones, strict=True)
        ][:2]
        again = service.save_project(w, data, detail.id, today=TODAY)
    assert [d.id for d in again.demands] == demands[:1]
    assert [m.id for m in again.milestones] == [m.id for m in detail.milestones[:2]]
    with village_ws.session() as s:
        links = s.scalars(select(ProjectDemand)).all()
        assert sorted(link.deleted_at is None for link in links) == [False, True]


def test_the_states_go_one_step_at_a_time_with_their_checks(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
    with pytest.raises(UserError, match="下一步只能是：实施中"), village_ws.work(village_admin) as w:
        service.advance(w, pid, "已完成", on=D(2024, 5, 1), today=TODAY)
    with village_ws.work(village_admin) as w:
        service.advance(w, pid, "实施中", on=D(2024, 3, 15), today=TODAY)
    with (
        pytest.raises(UserError, match="还有节点没有完成：方案公示、开工、完工"),
        village_ws.work(village_admin) as w,
    ):
        service.advance(w, pid, "已完成", on=D(2024, 5, 25), done_summary="修好了", spent="1", today=TODAY)
    with pytest.raises(UserError, match="晚于今天"), village_ws.work(village_admin) as w:
        service.advance(w, pid, "已完成", on=D(2024, 7, 25), today=TODAY)
    with village_ws.work(village_admin) as w:
        detail = run_to_acceptance_from_progress(w, pid)
    assert detail.state == "已验收" and detail.spent_fen == 11_850_000
    assert detail.review_text.startswith("满意 23 人，基本满意 4 人，不满意 1 人（当面")
    with pytest.raises(UserError, match="已验收，不能再修改"), village_ws.work(village_admin) as w:
        service.save_project(w, road_input(demands), pid, today=TODAY)


def run_to_acceptance_from_progress(w, pid):
    for m in service.project_detail(w, pid).milestones:
        service.set_milestone_done(w, m.id, m.due_on, today=TODAY)
    service.advance(
        w, pid, "已完成", on=D(2024, 5, 25), done_summary="硬化道路 1.2 公里", spent="118500", today=TODAY
    )
    return service.advance(
        w,
        pid,
        "已验收",
        on=D(2024, 6, 5),
        review=ReviewInput(23, 4, 1, "当面", "排水沟未修", D(2024, 6, 5)),
        today=TODAY,
    )


@pytest.mark.parametrize(
    ("review", "words"),
    [
        (ReviewInput(0, 0, 0, "当面", "", D(2024, 6, 5)), "至少一项"),
        (ReviewInput(3, 0, 1, "当面", "", D(2024, 6, 5)), "不满意时"),
        (ReviewInput(3, 0, 0, "微信", "", D(2024, 6, 5)), "点评方式"),
        (ReviewInput(-1, 0, 0, "当面", "", D(2024, 6, 5)), "正整数"),
        (ReviewInput(3, 0, 0, "当面", "", D(2024, 5, 1)), "早于完成日期"),
    ],
)
def test_acceptance_needs_the_residents_review_in_the_demand_vocabulary(
    village_ws, village_admin, demands, review, words
):
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
        service.advance(w, pid, "实施中", on=D(2024, 3, 15), today=TODAY)
        for m in service.project_detail(w, pid).milestones:
            service.set_milestone_done(w, m.id, m.due_on, today=TODAY)
        service.advance(w, pid, "已完成", on=D(2024, 5, 25), done_summary="修好", spent="100", today=TODAY)
    with pytest.raises(UserError, match=words), village_ws.work(village_admin) as w:
        service.advance(w, pid, "已验收", on=D(2024, 6, 5), review=review, today=TODAY)
    with village_ws.session() as s:
        assert s.get(Project, pid).state == "已完成"


def test_photos_are_attachments_sealed_like_the_others(village_ws, village_admin, demands, tmp_path):
    photo = tmp_path / "完工.jpg"
    photo.write_bytes(b"\xff\xd8\xff" + bytes(range(256)) * 400)  # larger than SMALL: a file
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
        info = service.add_photo(w, pid, photo)
    stored = attachments.blob_path(village_ws.attachments_dir, info.sha256).read_bytes()
    assert photo.read_bytes()[:64] not in stored  # sealed with the workspace key
    with village_ws.work(village_admin) as w:
        detail = service.project_detail(w, pid)
        assert attachments.read_attachment(w, detail.photos[0]) == photo.read_bytes()
    with pytest.raises(UserError, match="JPG 或 PNG"), village_ws.work(village_admin) as w:
        service.add_photo(w, pid, tmp_path / "x.exe")


def test_settling_the_demands_answers_and_closes_them_through_the_diary(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
        run_to_acceptance(w, pid, today=TODAY)
        result = service.settle_demands(w, pid, on=D(2024, 6, 6), replied_by="张建国", today=TODAY)
    assert result.closed == 2
    with village_ws.session() as s:
        rows = s.scalars(select(Demand).where(Demand.id.in_(demands))).all()
        assert {d.status for d in rows} == {"已办结"}
        assert all("已由为民实事《三组道路硬化》解决" in d.reply for d in rows)


def test_month_facts_count_milestones_and_states_as_of_the_month(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
        run_to_acceptance(w, pid, today=TODAY)
    with village_ws.session() as s:
        april = month_facts(s, "370681101201", D(2024, 4, 1))
        may = month_facts(s, "370681101201", D(2024, 5, 9))
        june = month_facts(s, "370681101201", D(2024, 6, 30))
        other = month_facts(s, "370681101202", D(2024, 5, 1))
    assert april == {
        "milestones_due": 1,
        "milestones_done": 1,
        "milestones_late": 0,
        "projects_planned": 0,
        "projects_in_progress": 1,
        "projects_completed": 0,
        "projects_accepted": 0,
    }
    assert (may["milestones_due"], may["projects_completed"]) == (1, 1)
    assert june["projects_accepted"] == 1 and june["projects_completed"] == 0
    assert set(other.values()) == {0}


def test_deleting_only_a_plan(village_ws, village_admin, demands):
    with village_ws.work(village_admin) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
        service.advance(w, pid, "实施中", on=D(2024, 3, 15), today=TODAY)
    with pytest.raises(UserError, match="不能删除"), village_ws.work(village_admin) as w:
        service.delete_project(w, pid)
    with village_ws.session() as s:
        assert s.scalars(select(Attachment)).all() == []
