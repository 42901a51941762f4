"""The town's consolidated views: roster, diary, ledger and case list hold every enrolled village's records
(arrived through real bundles), with a 村 filter and a 村 column; at a village station nothing changes."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import func, select

from db.models import Demand, DiaryEntry, Household, MediationCase

from app import accounts
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE
from tests.sync_support import SECOND_VILLAGE

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
SHOTS = os.environ.get("MINQING_SHOTS")  # a folder: save the screens at 1366×768 for a person to look at


def _ctx(ws):
    from ui.context import AppContext

    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return AppContext(ws, user)


@pytest.fixture
def town(two_villages):
    ws = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    yield ws
    ws.close()


def _live(ws, model, code=None):
    with ws.new_session() as s:
        q = select(func.count()).select_from(model).where(model.deleted_at.is_(None))
        if code:
            q = q.where(model.village_code == code)
        return s.scalar(q)


def _column(model, header: str) -> int:
    from PySide6.QtCore import Qt

    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    return headers.index(header)


def _values(model, column: int) -> set:
    return {model.index(r, column).data() for r in range(model.rowCount())}


def _pick(combo, code: str | None) -> None:
    combo.setCurrentIndex(combo.findData(code) if code else 0)


def _show(page, qtbot) -> None:
    qtbot.addWidget(page)
    page.resize(1366, 768)
    page.show()
    page.refresh()
    assert page.ready()


def _shot(page, name: str) -> None:
    if SHOTS:
        from PySide6.QtWidgets import QApplication

        QApplication.processEvents()
        page.grab().save(os.path.join(SHOTS, f"{name}.png"))


def test_town_roster_shows_both_villages_with_a_village_filter_and_is_read_only(qtbot, qtmodeltester, town):
    from ui.households.editor import HouseholdDialog
    from ui.households.page import HouseholdsPage

    page = HouseholdsPage(_ctx(town))
    _show(page, qtbot)
    combo = page.village
    assert not combo.isHidden() and [combo.itemText(i) for i in range(combo.count())] == [
        "全部村",
        "张家村",
        "李家村",
    ]
    assert page.model.rowCount() == _live(town, Household) > _live(town, Household, VILLAGE_CODE) > 0
    qtmodeltester.check(page.model)
    col = _column(page.model, "村")
    assert _values(page.model, col) == {"张家村", "李家村"}
    _pick(combo, SECOND_VILLAGE[0])
    assert page.model.rowCount() == _live(town, Household, SECOND_VILLAGE[0])
    assert _values(page.model, col) == {"李家村"} and page.count.text() == f"共 {page.model.rowCount()} 户"
    _shot(page, "town-roster")
    # the town reads, the village writes
    assert not page.new_button.isEnabled() and not page.import_button.isEnabled()
    dlg = HouseholdDialog(page.ctx, page.model.household_id(0), page)
    qtbot.addWidget(dlg)
    from PySide6.QtWidgets import QDialogButtonBox

    assert (
        dlg.read_only
        and not dlg.findChild(QDialogButtonBox).button(QDialogButtonBox.StandardButton.Save).isEnabled()
    )


def test_town_diary_and_ledger_filter_by_village_in_sql(qtbot, qtmodeltester, town):
    from ui.diary.page import DiaryPage

    page = DiaryPage(_ctx(town))
    _show(page, qtbot)
    tab = page.diary_tab
    tab.use_dates.setChecked(False)
    assert tab.model.rowCount() == _live(town, DiaryEntry)
    qtmodeltester.check(tab.model)
    col = _column(tab.model, "村")
    assert _values(tab.model, col) == {"张家村", "李家村"}
    assert not tab.cadre.isEnabled()  # all villages: cadres of different villages are not one list
    _pick(tab.village, VILLAGE_CODE)
    assert tab.model.rowCount() == _live(town, DiaryEntry, VILLAGE_CODE) and _values(tab.model, col) == {
        "张家村"
    }
    assert tab.cadre.isEnabled() and tab.cadre.count() > 1
    assert not tab.new_button.isEnabled() and not tab.edit_button.isEnabled()
    _shot(page, "town-diary")

    page.tabs.setCurrentWidget(page.ledger_tab)
    ledger = page.ledger_tab
    assert ledger.model.rowCount() == _live_demands(town)
    qtmodeltester.check(ledger.model)
    _pick(ledger.village, SECOND_VILLAGE[0])
    assert ledger.model.rowCount() == _live_demands(town, SECOND_VILLAGE[0]) > 0
    assert _values(ledger.model, _column(ledger.model, "村")) == {"李家村"}
    _shot(page, "town-ledger")


def _live_demands(ws, code=None):
    with ws.new_session() as s:
        q = (
            select(func.count())
            .select_from(Demand)
            .join(DiaryEntry, DiaryEntry.id == Demand.entry_id)
            .where(Demand.deleted_at.is_(None), DiaryEntry.deleted_at.is_(None))
        )
        if code:
            q = q.where(Demand.village_code == code)
        return s.scalar(q)


def test_town_case_list_filters_by_village_and_opens_a_village_case_read_only(qtbot, qtmodeltester, town):
    from PySide6.QtWidgets import QPushButton

    from ui.mediation.page import MediationPage

    page = MediationPage(_ctx(town))
    _show(page, qtbot)
    assert page.model.rowCount() == _live(town, MediationCase)
    qtmodeltester.check(page.model)
    col = _column(page.model, "村")
    _pick(page.village, VILLAGE_CODE)
    assert page.model.rowCount() == _live(town, MediationCase, VILLAGE_CODE)
    assert _values(page.model, col) == {"张家村"}
    _shot(page, "town-cases")
    dlg = page.case_dialog(page.model.ids[0])
    qtbot.addWidget(dlg)
    assert "乡镇只读" in dlg.header.text()
    enabled = [
        b.text() for b in dlg.tabs.findChildren(QPushButton) if b.isEnabled() and b is not dlg.town_save
    ]
    assert enabled == []


def test_village_station_has_no_village_filter_and_no_village_column(qtbot, village_ws):
    from ui.diary.page import DiaryPage
    from ui.households.page import HouseholdsPage
    from ui.mediation.page import MediationPage

    ctx = _ctx(village_ws)
    roster, diary_page, cases_page = HouseholdsPage(ctx), DiaryPage(ctx), MediationPage(ctx)
    for page in (roster, diary_page, cases_page):
        qtbot.addWidget(page)
        page.show()
        page.refresh()
    for combo, model in (
        (roster.village, roster.model),
        (diary_page.diary_tab.village, diary_page.diary_tab.model),
        (diary_page.ledger_tab.village, diary_page.ledger_tab.model),
        (cases_page.village, cases_page.model),
    ):
        assert combo.isHidden() and combo.code() is None
        with pytest.raises(ValueError):
            _column(model, "村")
    assert roster.new_button.isEnabled() and diary_page.diary_tab.new_button.isEnabled()
