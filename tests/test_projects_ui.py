"""为民实事 in the window: the year's list and the detail, the project form with its milestones and the
demands ticked in the picker from the 民情台账, the next step with the residents' 点评, a 镇 project read
only at its village, the ledger's 为民实事 column."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt
from sqlalchemy import select

from db.models.projects import Project

from app import accounts
from app.projects import service

from tests.conftest import ADMIN_PASSWORD
from tests.projects_helpers import road_input
from tests.sync_support import add_demand, add_household, without_town_rule

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
TODAY = dt.date.today()


@pytest.fixture(autouse=True)
def _window_font(qapp):
    from ui.app import apply_ui_font

    apply_ui_font(qapp)


def _ctx(ws):
    from ui.context import AppContext

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return AppContext(ws, user)


def _page(ctx, qtbot):
    from ui.projects.page import ProjectsPage

    page = ProjectsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    return page


@pytest.fixture
def demands(village_ws):
    h1, h2 = add_household(village_ws, "张大山"), add_household(village_ws, "李秀英")
    return [add_demand(village_ws, h1, "门前道路硬化"), add_demand(village_ws, h2, "希望安装路灯")]


def test_a_project_entered_through_the_form_with_demands_ticked_in_the_picker(
    village_ws, demands, qtbot, qtmodeltester
):
    from ui.projects.dialogs import DemandPickerDialog, ProjectDialog

    ctx = _ctx(village_ws)
    page = _page(ctx, qtbot)
    qtmodeltester.check(page.model)
    assert page.model.rowCount() == 0
    dlg = ProjectDialog(ctx, None, page, year=TODAY.year)
    qtbot.addWidget(dlg)
    dlg.title.setText("三组道路硬化")
    dlg.budget.setText("十二万")
    dlg.source.setCurrentText("一事一议")
    dlg.responsible.setCurrentText("张建国")
    dlg._ok()
    assert not dlg.error.isHidden() and "不是数字" in dlg.error.text()  # named, nothing saved
    dlg.budget.setText("120000")
    dlg._add_step("开工", TODAY, None, None)
    dlg.steps.item(0, 1).setText("2026/3/1")
    dlg._ok()
    assert "格式不对，请写成" in dlg.error.text()
    dlg.steps.item(0, 1).setText(TODAY.isoformat())
    picker = DemandPickerDialog(ctx, ctx.station.code, [], None, dlg)
    qtbot.addWidget(picker)
    assert picker.table.rowCount() == 2
    picker.search.setText("道路")
    assert picker.table.rowCount() == 1
    picker.table.item(0, 0).setCheckState(Qt.CheckState.Checked)
    assert picker.chosen_ids() == [demands[0]]
    dlg._demand_ids = picker.chosen_ids()
    dlg._ok()
    assert dlg.result() == 1, dlg.error.text()  # accepted
    assert page.model.rowCount() == 1  # the page reloads on data_changed
    page.view.selectRow(0)
    html = page.detail.toHtml()
    assert "三组道路硬化" in html and "门前道路硬化" in html and "120,000元" in html
    assert page.step_button.text() == "开始实施…" and page.step_button.isEnabled()
    assert "计划 2" not in page.summary.text() and "共 1 项" in page.summary.text()


def test_the_next_steps_and_the_residents_review_in_the_window(village_ws, demands, qtbot):
    from ui.projects.dialogs import AdvanceDialog, MilestoneDoneDialog

    ctx = _ctx(village_ws)
    data = road_input(demands)
    data.year = TODAY.year
    for m in data.milestones:
        m.due_on = TODAY
    with village_ws.work(ctx.user) as w:
        pid = service.save_project(w, data, today=TODAY).id
    page = _page(ctx, qtbot)
    page.view.selectRow(0)
    step = AdvanceDialog(ctx, page.current_detail(), page)
    qtbot.addWidget(step)
    step._ok()
    assert page.current_detail().state == "实施中"
    for m in page.current_detail().milestones:
        MilestoneDoneDialog(ctx, m.id, m.title, page)._ok()
    step = AdvanceDialog(ctx, page.current_detail(), page)
    step._ok()
    assert "请写下完成情况" in step.error.text()
    step.summary.setPlainText("硬化道路 1.2 公里")
    step.spent.setText("118500")
    step._ok()
    assert page.current_detail().state == "已完成"
    assert page.step_button.text() == "验收…"
    review = AdvanceDialog(ctx, page.current_detail(), page)
    assert [s.accessibleName() for s in review.counts] == ["满意", "基本满意", "不满意"]
    assert [review.method.itemText(i) for i in range(review.method.count())] == ["当面", "电话", "签字"]
    review.counts[0].setValue(20)
    review.counts[2].setValue(2)
    review._ok()
    assert "有群众不满意时" in review.error.text()
    review.words.setPlainText("排水沟没修")
    review._ok()
    detail = page.current_detail()
    assert detail.state == "已验收" and detail.review_dissatisfied == 2
    assert "满意 20 人" in page.detail.toHtml()
    assert not page.edit_button.isEnabled() and not page.step_button.isEnabled()
    assert page.settle_button.isEnabled()
    with village_ws.new_session() as s:
        assert s.get(Project, pid).review_method == "当面"


def test_a_town_project_is_read_only_at_its_village(village_ws, demands, qtbot):
    ctx = _ctx(village_ws)
    with village_ws.work(ctx.user) as w:
        pid = service.save_project(w, road_input(demands), today=TODAY).id
    with without_town_rule(), village_ws.session() as s:  # as if it came down in the town's 下发包
        s.get(Project, pid).scope = "镇"
        s.get(Project, pid).year = TODAY.year
    page = _page(ctx, qtbot)
    page.view.selectRow(0)
    assert "镇级实事由乡镇录入" in page.detail.toHtml()
    assert not page.edit_button.isEnabled() and not page.step_button.isEnabled()
    assert not page.photo_button.isEnabled() and page.notice_button.isEnabled()


def test_the_ledger_shows_the_project_answering_a_demand(village_ws, demands, qtbot):
    from ui.diary.models import LedgerModel

    ctx = _ctx(village_ws)
    with village_ws.work(ctx.user) as w:
        service.save_project(w, road_input(demands[:1]), today=TODAY)
    model = LedgerModel(village_ws.session)
    model.reload()
    col = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())].index(
        "为民实事"
    )
    values = {model.data(model.index(r, 3)): model.data(model.index(r, col)) for r in range(model.rowCount())}
    assert values == {"门前道路硬化": "《三组道路硬化》（计划）", "希望安装路灯": ""}
    with village_ws.new_session() as s:
        assert s.scalars(select(Project)).one().title == "三组道路硬化"


def test_a_new_project_starts_with_the_villages_last_feedback_contact(village_ws, demands, qtbot):
    """The notice's 意见反馈 (the same office and telephone on every notice) was typed for every project."""
    from dataclasses import replace

    from ui.projects.dialogs import ProjectDialog

    ctx = _ctx(village_ws)
    first = ProjectDialog(ctx, None, None, year=TODAY.year)
    qtbot.addWidget(first)
    assert first.contact.text() == ""  # the village's first project: nothing to offer
    with village_ws.work(ctx.user) as w:
        service.save_project(w, road_input(demands[:1]), today=TODAY)
        newer = replace(road_input([], title="二组路灯"), contact="村委会办公室 0535-7654321")
        service.save_project(w, newer, today=TODAY)
        service.save_project(w, replace(road_input([], title="五组水井"), contact=""), today=TODAY)
        assert service.last_contact(w, "370681101299") == ""  # another village's are its own
    dlg = ProjectDialog(ctx, None, None, year=TODAY.year)
    qtbot.addWidget(dlg)
    assert dlg.contact.text() == "村委会办公室 0535-7654321"  # the newest that has one
    dlg.title.setText("六组文化广场")
    dlg.budget.setText("80000")
    dlg.source.setCurrentText("一事一议")
    dlg.responsible.setCurrentText("张建国")
    dlg._ok()
    assert dlg.result() == 1, dlg.error.text()
    with village_ws.session() as s:
        saved = s.scalars(select(Project).where(Project.title == "六组文化广场")).one()
    assert saved.contact == "村委会办公室 0535-7654321"
    with village_ws.session() as s:
        edited = s.scalars(select(Project).where(Project.title == "三组道路硬化")).one().id
    with village_ws.work(ctx.user) as w:
        detail = service.project_detail(w, edited)
    again = ProjectDialog(ctx, detail, None)
    qtbot.addWidget(again)
    assert again.contact.text() == "村委会 0535-1234567"  # a project's own stays its own
