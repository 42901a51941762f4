"""The mediation screens with pytest-qt: the lazy case list, the case screen's legal actions, printing,
screenings, statistics, and the page hidden from cadres without the case permission."""

import datetime as dt

import openpyxl
import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from db.queries.mediation import CaseFilter

from app.mediation import registration, rules, screening

from ui.context import AppContext
from ui.mediation import forms
from ui.mediation.case.dialog import CaseDialog
from ui.mediation.models import CaseListModel
from ui.mediation.page import MediationPage

from tests.mediation_helpers import case_in_state, make_mediator, new_case
from tests.sync_support import without_town_rule

D = dt.date
# The offscreen platform says this for every top-level window it shows.
pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")


@pytest.fixture
def mediator(village_ws):
    return make_mediator(village_ws)


@pytest.fixture
def ctx(village_ws, mediator):
    return AppContext(village_ws, mediator)


def _seed(ws, user, n=30):
    with ws.work(user) as w:
        for i in range(n):
            new_case(
                w,
                accepted_on=D(2025 + i % 2, 1 + i % 12, 1 + i % 27),
                title=f"第{i}号邻里纠纷",
                parties=i % 3 == 0,
            )
        case_in_state(w, "调解中", title="王五与赵六排水纠纷")


def test_case_list_model_is_lazy_sorted_and_filtered_in_sql(village_ws, mediator, qtmodeltester):
    _seed(village_ws, mediator)
    model = CaseListModel(lambda: village_ws.session(mediator.id))
    model.reload()
    assert model.rowCount() == 31 and model._cache == {}  # ids only until a row is shown
    qtmodeltester.check(model)
    dates = [model.index(r, 3).data() for r in range(31)]
    assert dates == sorted(dates, reverse=True)
    model.sort(0, Qt.SortOrder.AscendingOrder)
    assert model.index(0, 0).data() == "（2025）张家人调字第 1 号"
    model.reload(CaseFilter(text="赵六"))
    assert [model.index(r, 1).data() for r in range(model.rowCount())] == ["王五与赵六排水纠纷"]
    # a name cut short in its column (a large 字号) shows whole on hover
    assert model.index(0, 1).data(Qt.ItemDataRole.ToolTipRole) == "王五与赵六排水纠纷"
    model.reload(CaseFilter(text="张三", state="受理", year=2026))  # a party's name finds the case
    assert model.rowCount() == 5
    qtmodeltester.check(model)


def test_case_screen_offers_only_legal_actions_and_keeps_the_history(qtbot, ctx, village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = new_case(w)
    dlg = CaseDialog(ctx, info.id, today=D(2026, 3, 5))
    qtbot.addWidget(dlg)
    assert set(dlg.action_buttons) == {"调解中", "不予受理", "上报"}
    assert "受理" in dlg.header.text()
    assert not dlg.session_add.isEnabled()  # not before 调解中
    dlg.record_notice()
    assert "已于 2026-03-05" in dlg.notice_label.text()
    t = next(t for t in rules.TRANSITIONS if t.source == "受理" and t.target == "调解中")
    assert dlg.do_transition(t, {"on_date": D(2026, 3, 5)})
    assert set(dlg.action_buttons) == {"调解成功", "调解不成", "终止", "上报"}
    assert dlg.session_add.isEnabled()
    assert dlg.history_list.count() == 2 and "受理 → 调解中" in dlg.history_list.item(1).text()
    assert "李调解" in dlg.history_list.item(1).text()


def test_a_refused_step_shows_the_reason_and_changes_nothing(qtbot, ctx, village_ws, mediator):
    with village_ws.work(mediator) as w:
        info = new_case(w, parties=False)
    dlg = CaseDialog(ctx, info.id, today=D(2026, 3, 5))
    qtbot.addWidget(dlg)
    seen = []

    def close_box():
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox):
            seen.append(box.text())
            box.accept()

    QTimer.singleShot(0, close_box)
    t = next(t for t in rules.TRANSITIONS if t.source == "受理" and t.target == "调解中")
    assert not dlg.do_transition(t, {"on_date": D(2026, 3, 5)})
    assert seen and "两方当事人" in seen[0]
    assert "【受理】" in dlg.header.text()


def test_registration_dialog_registers_a_case(qtbot, village_ws, mediator):
    dlg = forms.RegistrationDialog(["邻里", "婚姻家庭"], day=D(2026, 5, 6))
    qtbot.addWidget(dlg)
    dlg.reg.title.setText("孙七与周八噪音纠纷")  # QTest types ASCII only
    dlg.reg.risk_criminal.setValue(2)
    dlg.reg.amount.setText("1500")

    def register(values):
        with village_ws.work(mediator) as w:
            return registration.register_case(w, **values)

    dlg.on_accept = register
    dlg.accept()
    c = dlg.result_value
    assert (c.title, c.accepted_on, c.dispute_type, c.amount_fen, c.risk_criminal) == (
        "孙七与周八噪音纠纷",
        D(2026, 5, 6),
        "邻里",
        150000,
        True,
    )


def test_print_button_writes_the_agreement_in_the_background(qtbot, ctx, village_ws, mediator, tmp_path):
    with village_ws.work(mediator) as w:
        info = case_in_state(w, "履行中")
    dlg = CaseDialog(ctx, info.id, today=D(2026, 3, 10))
    qtbot.addWidget(dlg)
    titles = [a.text() for a in dlg.print_menu.actions()]
    assert "人民调解协议书" in titles and "口头协议登记表" not in titles
    assert "还剩" in dlg.ag_status.text()
    dlg.print_to("agreement", tmp_path / "协议书.pdf", open_after=False)
    qtbot.waitUntil(lambda: dlg.last_printed is not None, timeout=5000)
    assert dlg.last_printed.copies == 3
    assert "人民调解协议书" in PdfReader(tmp_path / "协议书.pdf").pages[0].extract_text().replace("\x00", "")


def test_cadre_without_the_permission_sees_no_cases(qtbot, village_ws, mediator):
    _seed(village_ws, mediator, n=3)
    cadre = make_mediator(village_ws, "ganbu", roles=("cadre",))
    page = MediationPage(AppContext(village_ws, cadre))
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    assert page.denied.isVisible() and not page.tabs.isVisible()
    assert page.model.rowCount() == 0
    assert page.ready()


def test_page_lists_cases_screenings_and_statistics_and_exports(qtbot, ctx, village_ws, mediator, tmp_path):
    _seed(village_ws, mediator, n=5)
    with village_ws.work(mediator) as w:
        screening.record_screening(
            w, round_date=D(2026, 2, 10), screeners="李调解", place="全村", found_count=0
        )
    page = MediationPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    page.refresh()
    assert page.ready() and page.model.rowCount() == 6
    assert page.screening_model.rowCount() == 1
    assert page.screening_model.index(0, 4).data() == "零报告"
    page.search.setText("赵六")
    qtbot.waitUntil(lambda: page.model.rowCount() == 1, timeout=2000)
    page.stats_from.setDate(page.stats_from.date().addYears(-5))
    st = page.compute_stats()
    assert st.accepted == 6 and "调解成功率" in page.stats_text.toPlainText()
    page.export_to(tmp_path / "台账.xlsx")
    qtbot.waitUntil(lambda: "已导出" in page.export_status.text(), timeout=5000)
    assert openpyxl.load_workbook(tmp_path / "台账.xlsx")["台账"].max_row == 2 + 6


def test_the_towns_handling_form_asks_the_agreement_of_a_success(qtbot, town_ws, monkeypatch):
    """At the town, 调解成功 of an escalated case shows 协议形式 and 协议金额; a bad amount is refused with
    the reason and nothing saved; a good one is stored on the case."""
    from db.models import MediationCase

    from tests.conftest import VILLAGE_CODE

    staff = make_mediator(town_ws, "zhenli", roles=("town_staff",))
    with without_town_rule(), town_ws.work(staff) as w:  # the village's record, as a bundle brings it
        row = MediationCase(
            village_code=VILLAGE_CODE,
            case_year=2026,
            case_seq=4,
            case_number="（2026）张家人调字第 4 号",
            title="三户排水纠纷",
            accepted_on=D(2026, 3, 2),
            source="排查发现",
            dispute_type="邻里",
            state="上报",
            state_on=D(2026, 3, 20),
            outcome="上报",
            escalated_to="乡镇",
            escalated_on=D(2026, 3, 20),
            escalation_reason="涉及三户",
        )
        w.session.add(row)  # as the village's bundle brings it
        w.session.flush()
        case_id = row.id
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda _p, _t, text: warnings.append(text))
    dlg = CaseDialog(AppContext(town_ws, staff), case_id, today=D(2026, 3, 25))
    qtbot.addWidget(dlg)
    dlg.show()
    tab = dlg.registration_tab
    tab.town_outcome.setCurrentText("调解不成")
    assert not tab.town_amount.isVisible() and not tab.town_agreement_kind.isVisible()
    tab.town_outcome.setCurrentText("调解成功")
    assert tab.town_amount.isVisible() and tab.town_agreement_kind.isVisible()
    tab.town_handling.setText("镇调委会组织三户调解")
    tab.town_agreement_kind.setCurrentText("口头协议")
    tab.town_amount.setText("八百")
    tab.town_save.click()
    assert warnings and "不是数字" in warnings[-1]
    with town_ws.work(staff) as w:
        assert w.session.get(MediationCase, case_id).town_outcome is None
    tab.town_draft.save_now()
    assert list(town_ws.drafts_dir.glob("form-*.json"))  # what the clerk typed is kept as a draft
    assert not tab.draft.editable  # the village's registration, read at the town, keeps none
    tab.town_amount.setText("800")
    tab.town_save.click()
    assert not list(town_ws.drafts_dir.glob("form-*.json"))  # saved: the draft is gone
    with town_ws.work(staff) as w:
        saved = w.session.get(MediationCase, case_id)
        assert (saved.town_outcome, saved.town_agreement_kind, saved.town_amount_fen) == (
            "调解成功",
            "口头",
            80000,
        )
    assert "口头协议，金额 800.00 元" in tab.town_info.text()
