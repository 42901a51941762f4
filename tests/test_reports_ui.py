"""The 统计报表 page: figures shown for the chosen period, permissions, the town table, exports."""

from __future__ import annotations

import datetime as dt

import openpyxl
import pytest

from db.models import Household, Station

from app import accounts

from ui.context import AppContext
from ui.reports import ReportsPage, VillageFiguresModel

from tests.reports_helpers import TODAY, build_village
from tests.sync_support import without_town_rule

D = dt.date


@pytest.fixture
def village(village_ws, village_admin):
    return build_village(village_ws, village_admin)


def _page(qtbot, ctx) -> ReportsPage:
    page = ReportsPage(ctx)
    qtbot.addWidget(page)
    page.today = TODAY
    page.resize(1166, 740)
    page.show()
    page.set_period("month")
    return page


def test_page_shows_the_months_figures_and_switches_period(qtbot, village, village_ws, village_admin):
    page = _page(qtbot, AppContext(village_ws, village_admin))
    assert page.ready()
    assert page.period_label.text() == "统计期间：2024-03-01 至 2024-03-31（31 天）"
    assert page.roster_box.value("户数") == "3" and page.roster_box.value("在册人口") == "5"
    assert page.roster_box.value("有联系干部的户") == "2（66.7%）"
    assert page.tags_box.value("残疾") == "1" and page.tags_box.value("困难户") == "2"
    assert page.visits_box.value("入户走访") == "2" and page.visits_box.value("走访记录（篇）") == "3"
    assert page.demands_box.value("逾期未办结") == "1" and page.demands_box.value("已办结") == "1"
    assert page.cases_box.isVisible() and page.cases_box.value("调解成功率（成功÷结案）") == "100.00%"
    assert page.cases_box.value("成功÷受理") == "50.00%"
    assert not page.villages_box.isVisible()  # a village has no per-village table
    page.set_period("custom", D(2024, 2, 1), D(2024, 2, 29))
    assert page.visits_box.value("走访记录（篇）") == "1" and page.cases_box.value("受理") == "1"
    page.period_kind.setCurrentIndex(page.period_kind.findData("quarter"))
    assert page.period_label.text().startswith("统计期间：2024-01-01 至 2024-03-31")
    assert page.visits_box.value("走访记录（篇）") == "4"


def test_cadre_sees_no_mediation_section_and_mediator_no_sensitive_tags(qtbot, village, village_ws):
    _ws, cadre, mediator = village
    page = _page(qtbot, AppContext(village_ws, cadre))
    assert not page.cases_box.isVisible() and not page.export_cases_button.isVisible()
    assert page.tags_box.value("残疾") == "1"
    page = _page(qtbot, AppContext(village_ws, mediator))
    assert page.cases_box.isVisible() and "残疾" not in page.tags_box.values
    assert "敏感标签不显示" in page.tags_box.title()


def test_exports_reuse_the_existing_workbooks_for_the_period(
    qtbot, village, village_ws, village_admin, tmp_path
):
    page = _page(qtbot, AppContext(village_ws, village_admin))
    for kind, name in (("ledger", "民情台账.xlsx"), ("cases", "调处台账.xlsx"), ("roster", "户籍台账.xlsx")):
        task = page.export_to(kind, tmp_path / name)
        qtbot.waitUntil(lambda t=task: t.finished, timeout=5000)
        assert page.export_status.text().startswith("已导出"), page.export_status.text()
    ledger = openpyxl.load_workbook(tmp_path / "民情台账.xlsx").active
    assert ledger.max_row == 2 + 3  # title, header, the three demands heard in March
    cases = openpyxl.load_workbook(tmp_path / "调处台账.xlsx")["台账"]
    assert cases.max_row == 2 + 2
    assert "已导出 5 人" in page.export_status.text()


def test_town_table_has_one_row_per_village_and_a_total_and_cannot_be_sorted(qtbot, qtmodeltester, town_ws):
    with (
        without_town_rule(),
        town_ws.work(None) as w,
    ):  # the villages' households, as their bundles bring them
        s = w.session
        admin = accounts.authenticate(w, "admin", "admin-pass-1")
        s.expunge(admin)
        s.add_all(
            [
                Station(kind="village", code="370681101201", name="张家村", town_code="370681101"),
                Station(kind="village", code="370681101202", name="李家村", town_code="370681101"),
            ]
        )
        s.add_all(
            [
                Household(head_name="张一", village_code="370681101201"),
                Household(head_name="李一", village_code="370681101202"),
                Household(head_name="李二", village_code="370681101202"),
            ]
        )
    page = _page(qtbot, AppContext(town_ws, admin))
    model: VillageFiguresModel = page.villages_model
    qtmodeltester.check(model)
    assert page.villages_box.isVisible() and not page.villages_view.isSortingEnabled()
    assert [model.index(r, 0).data() for r in range(model.rowCount())] == ["张家村", "李家村", "合计"]
    assert [model.index(r, 1).data() for r in range(model.rowCount())] == ["1", "2", "3"]
    assert (
        model.headerData(
            model.columnCount() - 1, __import__("PySide6.QtCore").QtCore.Qt.Orientation.Horizontal
        )
        == "调解成功率"
    )
    assert page.roster_box.title() == "户籍与联系卡（全镇合计）"
