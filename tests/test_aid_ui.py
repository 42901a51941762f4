"""The 帮扶 screens under pytest-qt: the village view (roster order, no sorting, the model checked), the
record form (a refusal names the field and saves nothing), the household's panel (pairs, list, print),
the household editor's 帮扶记录 tab, and the town's per-village view (read-only)."""

from __future__ import annotations

import datetime as dt

import pytest
from pypdf import PdfReader
from PySide6.QtCore import Qt
from sqlalchemy import select

from db.models import AidRecord, User

from app.aid import pairs, records
from app.aid.records import AidInput
from app.households import checks, roster, tags
from app.workspace import Workspace

from ui.aid.forms import AidForm, PairDialog
from ui.aid.household import HouseholdAidPanel
from ui.aid.page import AidPage
from ui.context import AppContext
from ui.dates import qdate

from tests.conftest import ADMIN
from tests.sync_support import DEMO_TODAY

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")
D = dt.date
TODAY = dt.date.today()


def _household(w, head: str, group: str, tag_names=("低保",)) -> str:
    hid = roster.create_household(
        w,
        checks.HouseholdInput(group_name=group, members=[checks.MemberInput(name=head, relation="户主")]),
    ).id
    tags.set_tags(w, hid, list(tag_names))
    return hid


@pytest.fixture
def village(village_ws, village_admin):
    with village_ws.work(village_admin) as w:
        a = _household(w, "王一", "一组")
        b = _household(w, "陈二", "二组")
        _household(w, "无标签", "一组", ())
        records.save_aid(
            w, AidInput(a, TODAY - dt.timedelta(days=3), "资金", amount="500", giver_unit="镇民政办")
        )
        pairs.start_pair(w, a, village_admin.id, TODAY - dt.timedelta(days=400))
    return AppContext(village_ws, village_admin), a, b


def test_the_village_view_page_in_roster_order_without_sorting(village, qtbot, qtmodeltester):
    ctx, a, b = village
    page = AidPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.refresh()
    assert page.ready() and page.tag.currentText() == "低保"
    assert not page.table.isSortingEnabled() and not page.villages.isVisible()
    qtmodeltester.check(page.model)
    model = page.model
    headers = [model.headerData(i, Qt.Orientation.Horizontal) for i in range(model.columnCount())]
    assert headers == ["组", "户主", "帮扶责任人", "次数", "金额（元）", "最近一次", "帮扶类别及次数"]
    cells = [
        [model.data(model.index(r, c)) for c in range(model.columnCount())] for r in range(model.rowCount())
    ]
    assert [row[1] for row in cells] == ["王一", "陈二"]
    assert cells[0][2:5] + cells[0][6:] == [ctx.user.display_name, "1", "500", "资金 1"]
    assert cells[1][2:] == ["未结对", "0", "0", "", ""]
    assert "没有帮扶记录的 1 户" in page.period.text()
    for r in range(model.rowCount()):  # the same look for every row: no colours
        assert model.data(model.index(r, 3), Qt.ItemDataRole.BackgroundRole) is None
    page.tag.setCurrentText("全部户")
    assert model.rowCount() == 3
    page.tag.setCurrentText("低保")
    page.table.selectRow(1)
    form = AidForm(ctx, page._selected().household_id, "陈二户", parent=page)
    qtbot.addWidget(form)
    form.kind.setCurrentText("物资")
    form.goods.setPlainText("大米 2 袋")
    form.save()
    assert form.result() == form.DialogCode.Accepted
    assert model.data(model.index(1, 3)) == "1"  # the page reloaded on the change


def test_a_refused_record_names_the_field_and_saves_nothing(village, qtbot):
    ctx, a, _b = village
    form = AidForm(ctx, a, "王一户")
    qtbot.addWidget(form)
    form.show()
    form.kind.setCurrentText("资金")
    form.amount.setText("五百")
    form.save()
    assert form.error.text().startswith("金额：") and form.focusWidget() is form.amount
    assert form.result() != form.DialogCode.Accepted
    with ctx.work() as w:
        assert len(records.household_aid(w, a)) == 1
    form.amount.setText("300")
    form.by_unit.setChecked(True)
    form.save()
    assert "帮扶人" in form.error.text() and form.focusWidget() is form.unit  # a unit chosen but not named
    form.unit.setText("县残联")
    form.entry.setCurrentIndex(0)
    form.save()
    assert form.result() == form.DialogCode.Accepted
    with ctx.work() as w:
        saved = records.aid_detail(w, form.saved_id)
    assert (saved.amount_fen, saved.giver_name, saved.giver_user_id) == (30000, "县残联", None)


def test_the_household_panel_shows_pairs_and_records_and_prints(village, qtbot, tmp_path):
    ctx, a, _b = village
    panel = HouseholdAidPanel(ctx)
    qtbot.addWidget(panel)
    panel.show()
    panel.show_household(a, "王一户")
    assert panel.model.rowCount() == 1 and "资金合计 500 元" in panel.summary.text()
    assert ctx.user.display_name in panel.pairs_label.text() and panel.end_button.isEnabled()
    (pair,) = [p for p in panel.history if p.is_open]
    ending = PairDialog(ctx, a, "王一户", pair=pair, mode="end", parent=panel)
    qtbot.addWidget(ending)
    ending.reason.setCurrentText("已脱困")
    ending.save()
    assert ending.result() == ending.DialogCode.Accepted
    assert "未结对" in panel.pairs_label.text() and "已脱困" in panel.pairs_label.text()
    assert not panel.end_button.isEnabled()
    out = panel.print_pdf(target=str(tmp_path / "帮扶记录.pdf"))
    assert out is not None and len(PdfReader(out).pages) == 1


def test_the_household_editor_has_a_tab_for_its_aid(village, qtbot):
    from ui.households.editor import HouseholdDialog

    ctx, a, _b = village
    dialog = HouseholdDialog(ctx, a)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.tabs.tabText(dialog.aid_tab_index) == "帮扶记录(&A)"
    dialog.tabs.setCurrentIndex(dialog.aid_tab_index)
    assert dialog.aid_panel.household_id == a and dialog.aid_panel.model.rowCount() == 1
    new = HouseholdDialog(ctx, None)
    qtbot.addWidget(new)
    assert not new.tabs.isTabEnabled(new.aid_tab_index)


def test_the_town_sees_each_villages_view_read_only(two_villages, qtbot, qtmodeltester):
    town = Workspace.open(two_villages["town"], create=False, credentials=ADMIN)
    try:
        with town.session() as s:
            admin = s.scalars(
                select(User).where(User.username == "admin", User.village_code == "370681101")
            ).one()
            s.expunge(admin)
            aided = s.scalars(select(AidRecord.household_id).where(AidRecord.deleted_at.is_(None))).first()
        ctx = AppContext(town, admin)
        page = AidPage(ctx)
        qtbot.addWidget(page)
        page.show()
        page.refresh()
        page.until.setDate(qdate(DEMO_TODAY))  # the demo villages' year
        page.tag.setCurrentText("全部户")
        qtmodeltester.check(page.model)
        assert page.villages.isVisible() and not page.add_button.isVisible()
        assert page.model.headerData(0, Qt.Orientation.Horizontal) == "村"
        villages = [page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())]
        assert villages == sorted(
            villages, key=["张家村", "李家村"].index
        )  # village by village, in code order
        assert set(villages) == {"张家村", "李家村"}
        page.villages.setCurrentIndex(page.villages.findText("李家村"))
        assert {page.model.data(page.model.index(r, 0)) for r in range(page.model.rowCount())} == {"李家村"}
        assert sum(int(page.model.data(page.model.index(r, 4))) for r in range(page.model.rowCount())) > 0
        panel = HouseholdAidPanel(ctx)
        qtbot.addWidget(panel)
        panel.show_household(aided, "这一户")
        assert panel.model.rowCount() >= 1
        assert not panel.add_button.isVisible() and not panel.start_button.isVisible()
    finally:
        town.close()


def test_the_unit_is_offered_from_those_named_before(village, qtbot):
    ctx, a, _b = village
    with ctx.work() as w:
        named = records.units_given_by(w)
    form = AidForm(ctx, a, "王一户")
    qtbot.addWidget(form)
    offered = form.unit.completer().model()
    assert [offered.index(i, 0).data() for i in range(offered.rowCount())] == named
    assert named  # the fixture's record was given by a unit


def test_a_new_record_starts_from_the_last_one_entered_at_a_press(village, qtbot):
    """A round of 慰问 is twenty forms alike but for the household: date, kind, money, goods, policy and
    giver were typed twenty times."""
    ctx, a, b = village
    first = AidForm(ctx, a, "王一户")
    qtbot.addWidget(first)
    first.given_on.setDate(qdate(TODAY - dt.timedelta(days=1)))
    first.kind.setCurrentText("物资")
    first.goods.setPlainText("大米 2 袋、食用油 1 桶")
    first.policy.setCurrentText("春节走访慰问")
    first.by_unit.setChecked(True)
    first.unit.setText("县残联")
    first.note.setText("王一本人签收")
    first.save()
    assert first.saved_id is not None, first.error.text()
    form = AidForm(ctx, b, "陈二户")
    qtbot.addWidget(form)
    assert (
        form.same_as_last is not None and "王一户：物资，大米 2 袋、食用油 1 桶" in form.same_as_last.text()
    )
    assert form.goods.toPlainText() == "" and form.by_cadre.isChecked()  # nothing until it is pressed
    form.same_as_last.click()
    assert (form.values().given_on, form.kind.currentText(), form.goods.toPlainText()) == (
        TODAY - dt.timedelta(days=1),
        "物资",
        "大米 2 袋、食用油 1 桶",
    )
    assert (
        form.policy.currentText() == "春节走访慰问"
        and form.by_unit.isChecked()
        and form.unit.text() == "县残联"
    )
    assert form.note.text() == "" and form.values().household_id == b  # the household's own
    form.save()
    with ctx.work() as w:
        (second,) = [r for r in records.household_aid(w, b)]
    assert (second.goods, second.giver_unit, second.given_on) == (
        "大米 2 袋、食用油 1 桶",
        "县残联",
        TODAY - dt.timedelta(days=1),
    )
    edit = AidForm(ctx, b, "陈二户", record=second)
    qtbot.addWidget(edit)
    assert edit.same_as_last is None  # a record's own form starts from itself
