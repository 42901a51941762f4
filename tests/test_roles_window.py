"""What an account may not do is not offered in the window: a 调解员 is not let type a whole diary entry
to be refused at 保存, nor offered 为民实事 or 帮扶 buttons that end in “没有这项权限”."""

from __future__ import annotations

from PySide6.QtWidgets import QMessageBox

from ui.aid.page import AidPage
from ui.context import AppContext
from ui.diary.page import DiaryPage, new_entry
from ui.projects.page import ProjectsPage

from tests.households_helpers import add_user


def test_a_mediator_is_not_offered_what_the_services_refuse_them(qtbot, village_ws, monkeypatch):
    mediator = add_user(village_ws, "tiaojie", ["mediator"])
    ctx = AppContext(village_ws, mediator)
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    assert new_entry(ctx) is None and "不能写民情日记" in told[0]  # Ctrl+N: said before typing
    diary = DiaryPage(ctx)
    qtbot.addWidget(diary)
    diary.refresh()
    assert not diary.diary_tab.new_button.isEnabled() and not diary.diary_tab.must_visit_button.isEnabled()
    projects = ProjectsPage(ctx)
    qtbot.addWidget(projects)
    projects.show_detail()
    assert not projects.new_button.isEnabled()
    aid = AidPage(ctx)
    qtbot.addWidget(aid)
    assert not aid.add_button.isEnabled()
    cadre = add_user(village_ws, "ganbu", ["cadre"])  # the same screens for a cadre: offered
    ctx = AppContext(village_ws, cadre)
    diary = DiaryPage(ctx)
    qtbot.addWidget(diary)
    diary.refresh()
    assert diary.diary_tab.new_button.isEnabled()
    aid = AidPage(ctx)
    qtbot.addWidget(aid)
    assert aid.add_button.isEnabled()
