"""The main window's screens, in navigation order. Each feature points its entry at its own page class.

A page class is constructed as ``Page(ctx: AppContext, parent=None)``; it may define
``refresh()`` (called each time the page is shown) and ``ready()`` (selftest: True once loaded).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: str  # "module:Class"
    shortcut: str
    coming: str = ""  # for a placeholder page: what this screen will offer


PAGES: tuple[PageSpec, ...] = (
    PageSpec("home", "今日待办", "ui.home:HomePage", "Ctrl+1"),
    PageSpec("households", "户籍与联系卡", "ui.households.page:HouseholdsPage", "Ctrl+2"),
    PageSpec("diary", "民情日记", "ui.placeholder:PlaceholderPage", "Ctrl+3",
             "记录走访、群众诉求与办理答复、群众签字认可、必访提醒、民情台账。"),
    PageSpec("mediation", "矛盾纠纷调解", "ui.placeholder:PlaceholderPage", "Ctrl+4",
             "矛盾纠纷排查、调解案件卷宗、协议书打印、司法确认期限提醒与统计。"),
    PageSpec("sync", "上报与同步", "ui.placeholder:PlaceholderPage", "Ctrl+5",
             "把本村数据加密签名导出到 U 盘上报乡镇，导入乡镇回执与下发数据。"),
    PageSpec("reports", "统计报表", "ui.placeholder:PlaceholderPage", "Ctrl+6",
             "民情台账、调解统计等报表，由已录入的数据自动生成，无需重复填报。"),
    PageSpec("settings", "设置", "ui.settings:SettingsPage", "Ctrl+7"),
)
