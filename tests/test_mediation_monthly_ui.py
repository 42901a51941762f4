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
    (panel,) = tab.chart.chart.panels
    assert (
        panel.name == "张家村" and panel.months[10] == (2, 0) and panel.months[9] == (1, 0)
    )  # refused in November: October's 受理 (that month was over), not November's
    assert tab.chart.grab().width() > 0


def test_screening_dialog_records_a_special_round_with_its_items(village_ws, qtbot, monkeypatch):
    from app.mediation import screening

    from ui.mediation import forms

    said = []
    monkeypatch.setattr(forms.QMessageBox, "warning", lambda _parent, _title, text: said.append(text))
    user = make_mediator(village_ws)
    dlg = forms.ScreeningDialog(screeners="李调解")
    qtbot.addWidget(dlg)
    assert dlg.count.text() == "没有发现：本次为零报告"
    dlg.round_kind.setCurrentIndex(1)
    dlg.add_item("节前兄弟分家苗头", rules.PREVENTED)
    dlg.add_item("拖欠工资", rules.REFERRED)  # 移交给谁 left empty: refused, naming the item
    dlg.on_accept = lambda v: _record(village_ws, user, v)
    dlg.accept()
    assert dlg.result_value is None and "第 2 项" in said[0] and "移交给谁" in said[0]
    dlg.items.item(1, 2).setText("镇劳动保障所")
    dlg.accept()
    info = dlg.result_value
    assert info.round_kind == "不定期" and info.found_count == 2
    assert [i.disposition for i in info.items] == [rules.PREVENTED, rules.REFERRED]
    with village_ws.work(user) as w:
        assert screening.screening_detail(w, info.id).items[1].referred_to == "镇劳动保障所"


def _record(ws, user, values):
    from app.mediation import screening

    with ws.work(user) as w:
        return screening.record_screening(w, **values)


def test_the_courts_confirmation_is_recorded_on_the_agreement_tab_and_counted(village_ws, qtbot, monkeypatch):
    from db.models import MediationCase

    from app.mediation import monthly

    from ui.mediation.case.dialog import CaseDialog

    from tests.mediation_helpers import case_in_state

    user = make_mediator(village_ws)
    with village_ws.work(user) as w:
        info = case_in_state(w, "履行中")
    dlg = CaseDialog(AppContext(village_ws, user), info.id, today=D(2026, 3, 10))
    qtbot.addWidget(dlg)
    tab = dlg.agreement_tab
    assert not tab.ag_confirmed.isEnabled()  # not applied for yet
    asked = []

    def day_typed(_parent, _title, prompt, text=""):
        asked.append((prompt, text))
        return "2026-03-09", True

    monkeypatch.setattr("ui.mediation.case.agreement.QInputDialog.getText", day_typed)
    tab.ag_judicial.click()  # recorded a day after the parties applied: the day is asked, today offered
    assert asked == [("当事人共同向人民法院申请司法确认的日期（如 2026-11-20）：", "2026-03-10")]
    assert tab.ag_confirmed.isEnabled()
    tab.record_confirmed(D(2026, 3, 20))
    assert "2026-03-20 法院确认" in dlg.ag_status.text() and not tab.ag_confirmed.isEnabled()
    with village_ws.work(user) as w:
        assert w.session.get(MediationCase, info.id).judicial_confirmed_on == D(2026, 3, 20)
        assert w.session.get(MediationCase, info.id).judicial_applied_on == D(2026, 3, 9)
        f = monthly.compute(w.session, D(2026, 3, 1), D(2026, 3, 31)).row(w.unit_code)
    assert (f["judicial_applied"], f["judicial_confirmed"], f["written"]) == (1, 1, 1)
