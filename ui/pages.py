"""The main window's screens, in navigation order. Each feature points its entry at its own page class.

A page class is constructed as ``Page(ctx: AppContext, parent=None)``; it may define
``refresh()`` (called each time the page is shown), ``ready()`` (selftest: True once loaded) and
``show_record(record_id)`` (called when a 今日待办 item with a ``record_id`` opens the page).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: str  # "module:Class"
    shortcut: str


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "今日待办", "ui.home:HomePage", "Ctrl+1"),
    PageSpec("households", "户籍与联系卡", "ui.households.page:HouseholdsPage", "Ctrl+2"),
    PageSpec("diary", "民情日记", "ui.diary.page:DiaryPage", "Ctrl+3"),
    PageSpec("mediation", "矛盾纠纷调解", "ui.mediation.page:MediationPage", "Ctrl+4"),
    PageSpec("sync", "上报与同步", "ui.sync.page:SyncPage", "Ctrl+5"),
    PageSpec("reports", "统计报表", "ui.reports:ReportsPage", "Ctrl+6"),
    PageSpec("settings", "设置", "ui.settings:SettingsPage", "Ctrl+7"),
    PageSpec("keycases", "联户包案", "ui.keycases.page:KeyCasesPage", "Alt+1"),
    PageSpec("aid", "帮扶", "ui.aid.page:AidPage", "Alt+2"),
    PageSpec("projects", "为民实事", "ui.projects.page:ProjectsPage", "Alt+3"),
    PageSpec("reviews", "两评", "ui.reviews.page:ReviewsPage", "Alt+4"),
    PageSpec("informants", "群众工作信息员", "ui.informants.page:InformantsPage", "Alt+5"),
    PageSpec("wulian", "五联", "ui.informants.wulian:WulianPage", "Alt+6"),
)
