"""两评 screen under pytest-qt: the town records a meeting, adds a decision and prints the pack; the village
marks the decision done from 今日待办, enters a tally with a scan and prints the ballots. The tables are not
sortable (no rankings) and the models pass qtmodeltester."""

from __future__ import annotations

import datetime as dt
import os

import pytest
from pypdf import PdfReader
from PySide6.QtWidgets import QApplication
from sqlalchemy import select

from db.models import CadreReview, ReviewDecision

from app import accounts
from app.sync.export import export_bundles
from app.sync.importer import import_bundles
from app.workspace import Workspace

from tests.conftest import ADMIN, ADMIN_PASSWORD, VILLAGE_CODE

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support propagateSizeHints\(\)$", r"^This plugin does not support raise\(\)$"
)
SHOTS = os.environ.get("MINQING_SHOTS")


def _admin(ws: Workspace):
    with ws.work(None) as w:
        user = accounts.authenticate(w, "admin", ADMIN_PASSWORD)
        w.session.expunge(user)
    return user


def _window(qtbot, ws: Workspace, user):
    from ui.app import apply_ui_font
    from ui.context import AppContext
    from ui.main_window import MainWindow

    apply_ui_font(QApplication.instance())
    window = MainWindow(AppContext(ws, user))
    qtbot.addWidget(window)
    window.resize(1366, 768)
    window.show()
    return window


@pytest.fixture
def stations(two_villages):
    """Opened before qtbot, closed after the windows are gone."""
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    village = Workspace.open(two_villages["first"], create=False, credentials=ADMIN)
    yield town, village
    village.close()
    town.close()


def test_the_town_records_a_meeting_and_the_village_completes_its_decision(
    stations, qtbot, qtmodeltester, tmp_path
):
    from ui.reviews.page import ReviewsPage

    town, village = stations
    window = _window(qtbot, town, _admin(town))
    window.open_page("reviews")
    page = window.findChild(ReviewsPage)
    assert page is not None and page.ready()
    tab = page.meeting
    today = dt.date.today()
    last = (today.replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    assert tab.selected_month() == last
    assert not tab.add_button.isEnabled()  # no decision before the minutes are saved
    tab.minutes.setPlainText("")
    assert not tab.save_meeting()
    assert "请填写会议纪要" in tab.status.text()
    tab.minutes.setPlainText("点评了各村上月的走访和诉求办理。")
    tab.place.setText("镇政府会议室")
    tab.attendees.setText("镇党委书记、包村干部、各村支部书记")
    assert tab.save_meeting()
    assert tab.add_button.isEnabled()
    # the next month's meeting, not recorded yet, starts with this one's hall and people (typed once)
    this_month = today.replace(day=1)
    tab.year.setValue(this_month.year)
    tab.month.setCurrentIndex(tab.month.findData(this_month.month))
    assert tab.selected_month() == this_month and "尚未录入纪要" in tab.status.text()
    assert (tab.place.text(), tab.attendees.text(), tab.minutes.toPlainText()) == (
        "镇政府会议室",
        "镇党委书记、包村干部、各村支部书记",
        "",
    )
    tab.year.setValue(last.year)
    tab.month.setCurrentIndex(tab.month.findData(last.month))
    assert tab.selected_month() == last and tab.add_button.isEnabled()
    dlg = tab.decision_dialog()
    assert dlg is not None
    dlg.text.setPlainText("各村本月把逾期诉求逐条说明原因。")
    assert dlg.save()
    assert tab.model.rowCount() == 2  # to all: one line per village, with its own completion
    qtmodeltester.check(tab.model)
    assert not tab.table.isSortingEnabled()
    if SHOTS:
        window.grab().save(os.path.join(SHOTS, "town-reviews.png"))
    pages = tab.print_pack(tmp_path / "pack.pdf")
    assert pages == 4  # cover, two villages, the minutes
    text = "".join(p.extract_text() for p in PdfReader(tmp_path / "pack.pdf").pages).replace("\x00", "")
    assert "点评会纪要" in text and "各村本月把逾期诉求逐条说明原因" in text
    page.tabs.setCurrentWidget(page.ballots)
    page.ballots.period.setCurrentIndex(page.ballots.period.findData("2023H2"))  # the demo's tallies
    qtmodeltester.check(page.ballots.model)
    assert page.ballots.model.rowCount() >= 2 and not page.ballots.table.isSortingEnabled()

    stick = tmp_path / "stick"
    stick.mkdir()
    (down,) = export_bundles(town, stick, village=VILLAGE_CODE)
    import_bundles(village, [down.path])
    vwindow = _window(qtbot, village, _admin(village))
    vwindow.open_page("home")
    from app import todo

    with village.work(_admin(village)) as w:
        item = next(
            i for i in todo.collect(w, today) if i.kind == "review_decision" and "逾期诉求" in i.title
        )
    vwindow.open_page("reviews", item.record_id)
    vpage = vwindow.findChild(ReviewsPage)
    assert vpage.meeting.current() is not None and vpage.meeting.current().id == item.record_id
    # a village picks no month: no month or year box sits over the page's text
    assert not vpage.meeting.month.isVisible() and not vpage.meeting.year.isVisible()
    done = vpage.meeting.done_dialog()
    done.note.setPlainText("已逐条说明，3 条逾期诉求已办结 2 条。")
    assert done.save()
    with village.session() as s:
        assert s.get(ReviewDecision, item.record_id).done_note.startswith("已逐条说明")
    vpage.tabs.setCurrentWidget(vpage.ballots)
    tally = vpage.ballots.tally_dialog()
    assert tally.cadre.count() == 2
    for key, value in {
        "ballots_issued": 30,
        "ballots_returned": 30,
        "satisfied": 25,
        "basically_satisfied": 4,
        "dissatisfied": 1,
    }.items():
        tally.spins[key].setValue(value)
    scan = tmp_path / "scan.png"
    scan.write_bytes(b"\x89PNG\r\n\x1a\n" + b"1" * 100)
    tally.add_scans([scan])
    tally.counted_by.setText("村会计李红、监票人王五")
    assert tally.save()
    second = vpage.ballots.tally_dialog()  # the next cadre's sheets, counted at the same sitting
    assert second.counted_by.text() == "村会计李红、监票人王五"
    second.reject()
    vpage.ballots.refresh()
    with village.session() as s:
        assert s.scalars(select(CadreReview).where(CadreReview.ballots_issued == 30)).one()
    if SHOTS:
        vwindow.grab().save(os.path.join(SHOTS, "village-reviews.png"))
    assert vpage.ballots.print_ballots(tmp_path / "ballots.pdf") == 2


def test_a_wrong_tally_is_refused_in_the_dialog(stations, qtbot):
    from ui.context import AppContext
    from ui.reviews.page import ReviewsPage

    _town, village = stations
    page = ReviewsPage(AppContext(village, _admin(village)))
    qtbot.addWidget(page)
    page.refresh()
    dlg = page.ballots.tally_dialog()
    dlg.spins["ballots_issued"].setValue(10)
    dlg.spins["ballots_returned"].setValue(10)
    dlg.spins["satisfied"].setValue(3)
    assert not dlg.save()
    assert "与收回的 10 张不符" in dlg.error.text()
