"""The household editor's 走访记录 tab: the diary's timeline and last visit, and the way to the diary."""

from __future__ import annotations

import datetime as dt

from PySide6.QtWidgets import QMessageBox

from app.diary import entries

from ui.context import AppContext
from ui.households.editor import HouseholdDialog
from ui.main_window import MainWindow

from tests.diary_helpers import add_cadre, add_household, entry_input


def _visited_household(ws):
    cadre = add_cadre(ws)
    hid, pid, _ = add_household(ws, "张三丰", cadre_id=cadre.id)
    other, _, _ = add_household(ws, "李四")
    with ws.work(cadre) as w:
        entries.save_entry(
            w,
            entry_input(hid, pid, when=dt.datetime(2024, 3, 2, 9), situation="老人独居，腿脚不便"),
            now=dt.datetime(2024, 3, 20, 9),
        )
        entries.save_entry(
            w,
            entry_input(other, when=dt.datetime(2024, 3, 5, 9), situation="李家情况"),
            now=dt.datetime(2024, 3, 20, 9),
        )
    return hid, other


def test_editor_shows_the_households_visits_and_last_visit(qtbot, village_ws, village_admin):
    hid, other = _visited_household(village_ws)
    dlg = HouseholdDialog(AppContext(village_ws, village_admin), hid)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.tabs.tabText(dlg.visits_tab_index) == "走访记录(&V)"
    dlg.tabs.setCurrentIndex(dlg.visits_tab_index)
    assert dlg.timeline.last.text() == "上次入户走访：2024-03-02"
    text = dlg.timeline.view.toPlainText()
    assert "2024-03-02" in text and "2024-03-05" not in text  # only this household's visits
    unvisited = HouseholdDialog(AppContext(village_ws, village_admin), None)
    qtbot.addWidget(unvisited)
    assert not unvisited.tabs.isTabEnabled(unvisited.visits_tab_index)  # a new household has no visits yet


def test_button_opens_the_diary_filtered_to_the_household(qtbot, village_ws, village_admin):
    cadre = add_cadre(village_ws)
    hid, pid, _ = add_household(village_ws, "张三丰", cadre_id=cadre.id)
    recent = dt.datetime.now().replace(second=0, microsecond=0) - dt.timedelta(
        days=5
    )  # the diary opens on 3 months
    other, _, _ = add_household(village_ws, "李四")
    with village_ws.work(cadre) as w:
        entries.save_entry(w, entry_input(hid, pid, when=recent))
        entries.save_entry(w, entry_input(other, when=recent))
    window = MainWindow(AppContext(village_ws, village_admin))
    qtbot.addWidget(window)
    window.show()
    households = window.open_page("households")
    dlg = HouseholdDialog(window.ctx, hid, households)
    dlg.show()
    emitted = []
    dlg.open_diary.connect(lambda h, label: emitted.append((h, label)))
    dlg.tabs.setCurrentIndex(dlg.visits_tab_index)
    dlg.diary_button.click()
    assert emitted == [(hid, "张三丰户")] and not dlg.isVisible()
    diary_page = window.pages["diary"]
    assert window.stack.currentWidget() is diary_page
    tab = diary_page.diary_tab
    assert tab.household_id == hid and tab.household_chip.text() == "只看：张三丰户 ✕"
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1, timeout=3000)


def test_unsaved_edits_are_not_lost_silently_when_going_to_the_diary(
    qtbot, village_ws, village_admin, monkeypatch
):
    hid, _other = _visited_household(village_ws)
    dlg = HouseholdDialog(AppContext(village_ws, village_admin), hid)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.address.setText("二组新址8号")
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Cancel)
    dlg.diary_button.click()
    assert dlg.isVisible()  # cancelled: still editing
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Save)
    emitted = []
    dlg.open_diary.connect(lambda h, label: emitted.append(h))
    dlg.diary_button.click()
    assert emitted == [hid] and not dlg.isVisible()
    with village_ws.session() as s:
        from db.models import Household

        assert s.get(Household, hid).address == "二组新址8号"
