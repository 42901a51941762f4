"""The 信息员 screen, the diary form's 信息员 field and the 五联 page under pytest-qt."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from db.queries.people import find_persons

from app.dates import cn_date

from ui.context import AppContext
from ui.diary.entry_form import EntryDialog
from ui.informants.page import AppointDialog, InformantsPage
from ui.informants.wulian import WulianPage
from ui.main_window import MainWindow

from tests.diary_helpers import add_cadre, add_household
from tests.informants_helpers import D, appoint, village

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


def _hit(ws, name):
    with ws.session() as s:
        (hit,) = [h for h in find_persons(s, name) if h.name == name]
    return hit


def test_appointing_from_the_roster_writing_a_report_and_opening_the_reports(
    qtbot, qtmodeltester, village_ws, village_admin
):
    village(village_ws)
    ctx = AppContext(village_ws, village_admin)
    window = MainWindow(ctx)
    qtbot.addWidget(window)
    window.resize(1366, 700)
    window.show()
    page = window.open_page("informants")
    assert isinstance(page, InformantsPage) and page.model.rowCount() == 0 and page.empty.isVisible()
    dlg = page.appoint()
    assert isinstance(dlg, AppointDialog)
    dlg.save()  # nobody picked yet
    assert dlg.error.isVisible() and "从名册里选择" in dlg.error.text()
    dlg.choose(_hit(village_ws, "王秀英"))
    assert dlg.group.currentText() == "二组"  # her own 组 by default
    assert "13912345678" in dlg.chosen.text()
    dlg.save()
    assert dlg.result() == dlg.DialogCode.Accepted
    qtmodeltester.check(page.model)
    cells = [page.model.index(0, c).data() for c in range(page.model.columnCount())]
    assert cells[:6] == ["二组", "王秀英", "13912345678", cn_date(dt.date.today()), "在任", "还没有报告"]
    # a second one for 二组 is refused in the dialog, nothing saved
    again = page.appoint()
    again.choose(_hit(village_ws, "赵大山"))
    again.save()
    assert again.isVisible() and "请先结束其任期" in again.error.text()
    again.reject()
    # 记一条报告: the diary's form, set to 信息员报告 with her
    form = page.write_report()
    assert isinstance(form, EntryDialog)
    assert form.kind.currentData() == "信息员报告" and form.informant_box.isVisibleTo(form)
    assert form.informant.currentData() == page.current_id()
    form.situation.setPlainText("组里东头的路灯坏了半个月")
    assert form.save()
    assert page.model.index(0, 5).data() == cn_date(dt.date.today())
    # 查看报告 opens the diary on her reports only
    page.open_reports()
    diary = window.page("diary")
    assert window.stack.currentWidget() is diary
    tab = diary.diary_tab
    assert tab.informant_chip.isVisible() and tab.informant_chip.text() == "信息员：王秀英（二组） ✕"
    assert tab.model.rowCount() == 1 and tab.count.text() == "共 1 篇"
    assert (
        "报告的信息员：</b>王秀英（二组）" in tab.detail.toHtml()
        or "王秀英（二组）" in tab.detail.toPlainText()
    )
    tab.informant_chip.click()
    assert not tab.informant_chip.isVisible()


def test_the_entry_form_shows_the_informant_field_for_a_report_and_names_it_when_missing(qtbot, village_ws):
    cadre, people = village(village_ws)
    from app.accounts import authenticate

    from tests.conftest import ADMIN_PASSWORD
    from tests.informants_helpers import NOW

    with village_ws.work(None) as w:
        admin = authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(admin)
    appoint(village_ws, admin, people["王秀英"][1], "二组", D(2024, 3, 1))
    dlg = EntryDialog(AppContext(village_ws, cadre), now=NOW)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.kind.currentData() == "入户走访" and not dlg.informant_box.isVisibleTo(dlg)
    dlg.kind.setCurrentIndex(dlg.kind.findData("信息员报告"))
    assert dlg.informant_box.isVisibleTo(dlg)
    assert [dlg.informant.itemText(i) for i in range(dlg.informant.count())] == [
        "请选择信息员",
        "王秀英（二组）13912345678",
    ]
    dlg.situation.setPlainText("组里有陌生人上门推销保健品")
    assert not dlg.save()
    assert dlg.errors["informant"].isVisible() and "请选择是哪位信息员" in dlg.errors["informant"].text()
    # before her term the list says nobody served
    dlg.occurred_at.setDateTime(dlg.occurred_at.dateTime().addMonths(-6))
    assert dlg.informant.itemText(0) == "这一天没有在任的信息员" and dlg.informant.count() == 1
    dlg.reject()


def test_the_town_reads_the_list_without_the_villages_buttons(qtbot, town_ws):
    from app.accounts import authenticate

    from tests.conftest import ADMIN_PASSWORD

    with town_ws.work(None) as w:
        admin = authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(admin)
    page = InformantsPage(AppContext(town_ws, admin))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert not page.appoint_button.isVisible() and not page.end_button.isVisible()
    assert page.export_button.isVisible() and page.village.isVisible()
    assert page.model.columnCount() == 8  # the 村 column first


def test_the_wulian_page_lists_the_five_says_when_one_is_empty_and_opens_a_households_visits(
    qtbot, village_ws, village_admin
):
    me = add_cadre(village_ws, "王建国", "wjg")
    poor, _, _ = add_household(village_ws, "张困难", group="二组", tags=("低保",), cadre_id=me.id)
    page = WulianPage(AppContext(village_ws, me))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.title.text() == "我的五联" and not page.cadre.isVisible()
    tops = [page.tree.topLevelItem(i) for i in range(page.tree.topLevelItemCount())]
    assert [t.text(0) for t in tops] == [
        "一个困难家庭",
        "一名老党员老干部",
        "一名留守儿童或空巢老人",
        "一名经济能人",
        "一个上访户",
    ]
    first = tops[0].child(0)
    assert first.text(0).strip() == "张困难户" and first.text(3) == "还没有入户走访"
    assert tops[1].child(0).text(0) == "还没有结对：您联系的户里没有标为“老党员/老干部”的户"
    opened = []
    page.open_page.connect(lambda key, rec: opened.append((key, rec)))
    page.tree.setCurrentItem(first)
    assert page.visits_button.isEnabled()
    page.visits_button.click()
    assert opened == [("diary", f"household:{poor}")]
    # an administrator picks one cadre at a time
    admin_page = WulianPage(AppContext(village_ws, village_admin))
    qtbot.addWidget(admin_page)
    admin_page.show()
    admin_page.refresh()
    assert admin_page.cadre.isVisible() and admin_page.title.text() == "我的五联"
    admin_page.cadre.setCurrentIndex(admin_page.cadre.findData(me.id))
    assert admin_page.title.text() == "王建国的五联"
    assert admin_page.tree.topLevelItem(1).child(0).text(0).startswith("还没有结对：王建国联系的户里")
    assert admin_page.tree.topLevelItem(0).child(0).data(0, Qt.ItemDataRole.UserRole) == poor
