"""The 人民调解月报 tab: the month's table (no sorting), 生成本月报表 / 重新生成, print, Excel, the chart."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt

from app.mediation import frozen, rules

from ui.context import AppContext
from ui.mediation.monthly import MonthlyReportTab

from tests.mediation_helpers import make_mediator, new_case, step

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
D = dt.date


def test_generate_regenerate_print_and_chart(village_ws, qtbot, tmp_path, monkeypatch):
    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        c = new_case(w, accepted_on=D(2026, 10, 30))
        step(w, c.id, rules.REJECTED, D(2026, 11, 2))
        new_case(w, accepted_on=D(2026, 11, 3))
    tab = MonthlyReportTab(AppContext(village_ws, user), D(2026, 12, 5))
    qtbot.addWidget(tab)
    tab.resize(1366, 700)
    tab.show()
    tab.set_month(2026, 11)
    assert tab.freeze_button.text() == "生成本月报表"
    assert not tab.table.isSortingEnabled()
    model = tab.model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert headers[:3] == ["单位", "报送情况", "受理"]
    assert model.text(0, 0) == "张家村" and model.text(0, 1) == frozen.LIVE and model.text(0, 2) == "1"

    info = tab.generate()
    assert info is not None and info.edition == 1
    assert tab.freeze_button.text() == "重新生成…" and "第 1 版" in tab.status.text()

    with village_ws.work(user) as w:  # a late entry after freezing
        new_case(w, accepted_on=D(2026, 11, 29))
    tab.refresh()
    assert model.text(0, 2) == "1（现 2）" and "报送后有变动" in model.data(model.index(0, 1))
    monkeypatch.setattr("ui.mediation.monthly.QInputDialog.getText", lambda *a, **k: ("补录 1 件", True))
    second = tab.generate()
    assert second is not None and second.edition == 2 and model.text(0, 2) == "2"

    pages = tab.print_to(tmp_path / "月报.pdf")
    assert pages and len(PdfReader(tmp_path / "月报.pdf").pages) == pages
    assert tab.export_to(tmp_path / "月报.xlsx") == 2  # 本月 and 本年累计
    ((name, months),) = tab.chart.series
    assert name == "张家村" and months[10] == (2, 0) and months[9] == (0, 0)  # the rejected one is not 受理
    assert tab.chart.grab().width() > 0
