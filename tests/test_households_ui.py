"""Roster screen: the lazy model (qtmodeltester, not every row loaded), keyboard, editor validation."""

import datetime as dt

import pytest
from PySide6.QtCore import Qt

from app.demo import DemoRun
from app.households import checks, roster
from app.households.demo import generate

from ui.context import AppContext
from ui.households.editor import HouseholdDialog, MemberDialog
from ui.households.model import RosterModel
from ui.households.page import HouseholdsPage

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support propagateSizeHints\(\)$")


def _demo(ws, n=400):
    import random

    return generate(ws, DemoRun(households=n, seed=3, today=dt.date(2026, 1, 1), rng=random.Random(3)))


def test_roster_model_passes_qtmodeltester_and_loads_rows_on_demand(qtmodeltester, village_ws, village_admin):
    _demo(village_ws)
    ctx = AppContext(village_ws, village_admin)
    model = RosterModel(ctx.session)
    model.reload()
    assert model.rowCount() == model.WINDOW and model.canFetchMore()  # the first window of keys
    assert model.count_text() == "共 400 户"  # the count from an index, with no search words
    assert model.loaded_rows == 0
    assert model.data(model.index(5, 1)) != ""
    address = model.data(model.index(5, 3))
    assert address and model.data(model.index(5, 3), Qt.ItemDataRole.ToolTipRole) == address  # whole on hover
    assert model.loaded_rows == model.WINDOW  # the rows of the keys in hand, not the roster
    while model.canFetchMore():
        model.fetchMore()
    assert model.rowCount() == 400
    qtmodeltester.check(model, force_py=True)
    assert model.loaded_rows < model.rowCount()
    model.sort(4, Qt.SortOrder.DescendingOrder)
    counts = [int(model.data(model.index(i, 4))) for i in range(10)]
    assert counts == sorted(counts, reverse=True)


def test_page_searches_as_you_type_and_opens_by_keyboard(qtbot, village_ws, village_admin, monkeypatch):
    _demo(village_ws, 300)
    ctx = AppContext(village_ws, village_admin)
    page = HouseholdsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    with qtbot.waitActive(page):
        page.show()
        page.activateWindow()
    page.refresh()
    assert page.ready() and page.model.rowCount() == page.model.WINDOW
    assert page.count.text() == "共 300 户"
    assert page.model.loaded_rows <= 100 * 2
    with village_ws.work(village_admin) as w:
        head = roster.get_household(w, page.model.household_id(7))
    qtbot.keyClick(page, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
    assert page.search.hasFocus()
    from app.pinyin import name_keys

    qtbot.keyClicks(page.search, name_keys(head.head_name)[0].split()[0])  # typed as full pinyin
    qtbot.waitUntil(lambda: page.count.text() != "共 300 户", timeout=2000)
    while page.model.canFetchMore():  # as the list is scrolled
        page.model.fetchMore()
    assert 0 < page.model.rowCount() < 300
    assert head.id in [page.model.household_id(i) for i in range(page.model.rowCount())]
    opened = []
    monkeypatch.setattr(HouseholdDialog, "exec", lambda self: opened.append(self.household_id) or 0)
    qtbot.keyClick(page.search, Qt.Key.Key_Return)
    assert page.view.hasFocus()
    qtbot.keyClick(page.view, Qt.Key.Key_Return)
    assert opened == [page.model.household_id(0)]
    qtbot.keyClick(
        page, Qt.Key.Key_N, Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier
    )
    assert opened[-1] is None  # Ctrl+Shift+N: a new household (Ctrl+N writes a diary entry everywhere)


def test_a_saved_household_stays_selected_where_the_list_was_scrolled(qtbot, village_ws, village_admin):
    """Row 201 opened and saved (the roster reloads on every change): the list comes back scrolled as it
    was, with that household selected, so 打印联系卡 → 选中的户 still means it."""
    _demo(village_ws, 300)
    ctx = AppContext(village_ws, village_admin)
    page = HouseholdsPage(ctx)
    qtbot.addWidget(page)
    page.resize(1366, 700)
    page.show()
    page.refresh()
    while page.model.rowCount() < 230 and page.model.canFetchMore():  # scrolled down
        page.model.fetchMore()
    page.view.selectRow(201)
    page.view.scrollTo(page.model.index(201, 0))
    chosen = page.model.household_id(201)
    from app.households import cadres

    with village_ws.work(village_admin) as w:
        cadres.set_card_delivered(w, chosen, dt.date(2026, 1, 5))
    ctx.data_changed.emit("households")  # as the form's save says it
    assert page.view.currentIndex().row() == 201 and page.model.household_id(201) == chosen
    assert page.selected_ids() == [chosen]
    top = page.view.rowAt(0)
    assert top > 150 and page.view.rowAt(page.view.viewport().height() - 1) >= 201 >= top  # in view


def test_member_dialog_shows_the_problem_at_the_field_and_reveal_is_for_permitted_roles(
    qtbot, village_ws, village_admin
):
    ctx = AppContext(village_ws, village_admin)
    dlg = MemberDialog(ctx, checks.MemberInput(name="张三", relation="户主"))
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.id_number.setText("110105194912310021")
    dlg.validate()
    assert dlg.messages["id_number"].isVisible() and "校验位" in dlg.messages["id_number"].text()
    dlg.id_number.setText("11010519491231002X")
    dlg.sex.setCurrentText("男")
    dlg.validate()
    assert not dlg.messages["id_number"].isVisible()
    assert "性别" in dlg.messages["sex"].text()
    assert not dlg.reveal.isEnabled()  # a member not saved yet has nothing to reveal


def test_editor_saves_a_new_household_and_reveals_the_id_with_an_audit(qtbot, village_ws, village_admin):
    from sqlalchemy import select

    from db.models import AuditLog

    ctx = AppContext(village_ws, village_admin)
    dlg = HouseholdDialog(ctx, None)
    qtbot.addWidget(dlg)
    dlg.group.setCurrentText("七组")
    dlg.address.setText("七组3号")
    dlg.members_model.set_members([checks.MemberInput("刘一", "户主", id_number="11010519491231002X")], {})
    dlg.save()
    assert dlg.saved_id and dlg.result() == 1
    with village_ws.work(village_admin) as w:
        view = roster.get_household(w, dlg.saved_id)
    member = MemberDialog(
        ctx,
        checks.MemberInput(
            view.members[0].name, "户主", id_number=view.members[0].id_masked, id=view.members[0].id
        ),
    )
    qtbot.addWidget(member)
    assert member.id_number.text() == "110105********002X" and member.reveal.isEnabled()
    member.reveal.click()
    assert member.id_number.text() == "11010519491231002X"
    with village_ws.session() as s:
        assert s.scalars(select(AuditLog.action).where(AuditLog.action == "person.reveal_id")).all()


def test_editor_refuses_another_households_number_at_the_field_and_offers_to_open_it(
    qtbot, village_ws, village_admin, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox

    from tests.households_helpers import household

    first = household(village_ws, village_admin, "郑大", group="五组", household_no="050031")
    asked: list[tuple[str, str]] = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda _p, title, text, *a, **k: asked.append((title, text)) or QMessageBox.StandardButton.No,
    )
    ctx = AppContext(village_ws, village_admin)
    dlg = HouseholdDialog(ctx, None)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.group.setCurrentText("五组")
    dlg.household_no.setText("050031")
    dlg.members_model.set_members([checks.MemberInput("郑小", "户主")], {})
    dlg.save()
    assert dlg.result() == 0 and dlg.saved_id is None  # the form stays open with what was typed
    assert "050031 已是五组 郑大 户的户编号" in dlg.field_error.text() and dlg.field_error.isVisible()
    assert dlg.focusWidget() is dlg.household_no
    assert asked and asked[0][0] == "户编号重复"
    dlg.household_no.setText("050032")
    dlg.save()
    assert dlg.result() == 1 and dlg.saved_id not in (None, first.id)


def test_editor_takes_back_a_card_delivery_through_the_service_with_an_audit(
    qtbot, village_ws, village_admin
):
    from sqlalchemy import select

    from db.models import AuditLog, Household

    from app.households import cadres

    from tests.households_helpers import household

    h = household(village_ws, village_admin, "吴一")
    with village_ws.work(village_admin) as w:
        cadres.mark_cards_delivered(w, [h.id], dt.date(2026, 2, 1))
    ctx = AppContext(village_ws, village_admin)
    dlg = HouseholdDialog(ctx, h.id)
    qtbot.addWidget(dlg)
    assert dlg.delivered.isChecked()
    dlg.delivered.setChecked(False)
    dlg.save()
    assert dlg.result() == 1
    with village_ws.session() as s:
        assert s.get(Household, h.id).card_delivered_on is None
        row = s.scalars(
            select(AuditLog).where(AuditLog.action == "household.card_delivered", AuditLog.record_id == h.id)
        ).one()
    assert (row.username, row.fields, row.detail) == ("admin", "card_delivered_on", "撤销送达")


def test_in_the_members_list_tab_moves_on_and_enter_opens_the_member_not_saves_the_form(
    qtbot, village_ws, village_admin, monkeypatch
):
    from tests.households_helpers import household

    h = household(village_ws, village_admin, "吴一")
    dlg = HouseholdDialog(AppContext(village_ws, village_admin), h.id)
    qtbot.addWidget(dlg)
    dlg.show()
    dlg.activateWindow()
    view = dlg.members_view
    view.setFocus()
    view.selectRow(0)
    qtbot.waitUntil(view.hasFocus)
    opened = []
    monkeypatch.setattr(MemberDialog, "exec", lambda self: opened.append(self) or 0)
    qtbot.keyClick(view, Qt.Key.Key_Return)
    assert len(opened) == 1 and dlg.isVisible() and dlg.result() == 0  # the member, not 保存 and close
    qtbot.keyClick(view, Qt.Key.Key_Tab)
    assert not view.hasFocus()  # on to the buttons under the list, not round its cells


def test_import_wizard_previews_problems_then_imports_in_the_background(
    qtbot, village_ws, village_admin, tmp_path, monkeypatch
):
    from PySide6.QtWidgets import QMessageBox
    from sqlalchemy import func, select

    from db.models import Person

    from ui.households.import_wizard import ImportWizard

    from tests.test_roster_excel import ugly_workbook

    path = ugly_workbook(tmp_path / "花名册.xlsx")
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: None)
    ctx = AppContext(village_ws, village_admin)
    changed = []
    ctx.data_changed.connect(changed.append)
    wizard = ImportWizard(ctx)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(path))
    wizard.file_page._load_sheets()
    assert wizard.file_page.sheet.currentText() == "花名册"
    wizard.next()  # the workbook is read in the background; the page moves on when it is read
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.mapping_page, timeout=10_000)
    assert wizard.mapping_page.header_row.value() == 3
    wizard.next()  # every row checked in the background
    qtbot.waitUntil(lambda: wizard.currentPage() is wizard.preview_page, timeout=10_000)
    assert wizard.preview_page.model.rowCount() == 9
    with village_ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0  # the preview wrote nothing
    assert wizard.preview_page.damaged_model.rowCount() == 3  # households with a bad row: the user chooses
    wizard.preview_page.keep_all.click()
    wizard.preview_page.validatePage()
    qtbot.waitUntil(lambda: wizard.task is not None and wizard.task.finished, timeout=5000)
    assert wizard.task.error is None, wizard.task.error
    assert wizard.result_summary["new"] == 4 and changed == ["households"]
    with village_ws.session() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 4


def test_import_wizard_says_what_is_wrong_with_a_file_and_stays(qtbot, village_ws, village_admin, tmp_path):
    from ui.households.import_wizard import ImportWizard

    bad = tmp_path / "坏的.xlsx"
    bad.write_bytes(b"PK\x03\x04 not really a workbook")
    wizard = ImportWizard(AppContext(village_ws, village_admin))
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.file_page.path.setText(str(bad))
    wizard.next()
    qtbot.waitUntil(lambda: wizard.task is not None and wizard.task.finished, timeout=10_000)
    assert wizard.currentPage() is wizard.file_page
    said = wizard.file_page.error.text()
    assert said and "Traceback" not in said
    assert not __import__("re").search(
        r"[A-Z][a-z]+[A-Z][A-Za-z]*", said
    )  # no reader's class name (InvalidFile)


def test_each_list_is_listed_once_as_its_page_opens(qtbot, village_ws, village_admin, monkeypatch):
    """A view set up with its sort indicator asks its model for a sort before the page lists anything:
    the order waits for the page's first listing, instead of listing the roster (or the diary, the ledger,
    the cases) twice more at every opening (80 ms a listing at a town of 30 villages)."""
    from ui.diary.page import DiaryPage
    from ui.mediation.page import MediationPage
    from ui.models.lazy import LazyIdModel

    _demo(village_ws, 60)
    ctx = AppContext(village_ws, village_admin)
    listed: list[str] = []
    real = LazyIdModel.reload

    def counted(self, filt=None):
        listed.append(type(self).__name__)
        return real(self, filt)

    monkeypatch.setattr(LazyIdModel, "reload", counted)
    for page_class in (HouseholdsPage, DiaryPage, MediationPage):
        page = page_class(ctx)
        qtbot.addWidget(page)
        page.resize(1366, 700)
        page.show()
        page.refresh()
    assert sorted(listed) == ["CaseListModel", "DiaryListModel", "LedgerModel", "RosterModel"]
    listed.clear()
    page = HouseholdsPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.view.sortByColumn(4, Qt.SortOrder.DescendingOrder)  # a sort once listed lists again, in its order
    assert listed == ["RosterModel", "RosterModel"]
    counts = [int(page.model.data(page.model.index(i, 4))) for i in range(10)]
    assert counts == sorted(counts, reverse=True)


def test_a_new_household_is_offered_its_groups_next_number_until_one_is_typed(
    qtbot, village_ws, village_admin
):
    """户编号 was typed for every new household; the group's next is offered once the group is chosen."""
    with village_ws.work(village_admin) as w:
        for no, group in (("070009", "七组"), ("070011", "七组"), ("7", "七组"), ("八组一号", "八组")):
            roster.create_household(
                w,
                checks.HouseholdInput(
                    group_name=group, household_no=no, members=[checks.MemberInput(f"户主{no}", "户主")]
                ),
            )
        assert roster.next_household_no(w, "七组") == "070012"  # the highest, its zeros kept
        assert roster.next_household_no(w, "八组") == ""  # numbered in words: not guessed
        assert roster.next_household_no(w, "九组") == ""  # a group's first
    ctx = AppContext(village_ws, village_admin)
    dlg = HouseholdDialog(ctx, None)
    qtbot.addWidget(dlg)
    dlg.show()
    assert dlg.household_no.text() == ""
    dlg.group.setCurrentIndex(dlg.group.findText("七组"))
    dlg.group.activated.emit(dlg.group.currentIndex())
    assert dlg.household_no.text() == "070012"
    dlg.group.setCurrentText("九组")  # typed, then on to the next field
    dlg.group.lineEdit().editingFinished.emit()
    assert dlg.household_no.text() == ""
    dlg.household_no.setText("090001")  # the cadre's own: kept
    dlg.group.setCurrentIndex(dlg.group.findText("七组"))
    dlg.group.activated.emit(dlg.group.currentIndex())
    assert dlg.household_no.text() == "090001"
    edit = HouseholdDialog(ctx, dlg.saved_id or _first_household(village_ws))
    qtbot.addWidget(edit)
    edit.group.setCurrentIndex(edit.group.findText("七组"))
    edit.group.activated.emit(edit.group.currentIndex())
    assert edit.household_no.text() != "070012"  # a household's own number is not changed


def _first_household(ws) -> str:
    from sqlalchemy import select

    from db.models import Household

    with ws.session() as s:
        return s.scalars(select(Household.id).where(Household.household_no == "070009")).one()


def test_a_new_member_starts_with_the_heads_ethnicity(qtbot, village_ws, village_admin):
    """A 回族 family's members were each typed 回 over the offered 汉."""
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    ctx = AppContext(village_ws, village_admin)
    dlg = HouseholdDialog(ctx, None)
    qtbot.addWidget(dlg)
    seen = []

    def look_and_close() -> None:
        form = QApplication.activeModalWidget()
        try:
            seen.append(form.ethnicity.text())
        finally:
            form.reject()

    QTimer.singleShot(0, look_and_close)
    dlg.add_member()  # the first member: 汉, as most
    dlg.members_model.set_members([checks.MemberInput("马一", "户主", ethnicity="回")], {})
    QTimer.singleShot(0, look_and_close)
    dlg.add_member()
    assert seen == ["汉", "回"]


def test_a_member_edited_and_not_saved_survives_marking_another_member(
    qtbot, village_ws, village_admin, monkeypatch
):
    """标记迁出 of one member is saved at once and reloads the list: the other member's typed edit stayed
    on screen no longer (saved later, the old phone went back)."""
    import dataclasses

    from PySide6.QtWidgets import QInputDialog

    from tests.households_helpers import household

    h = household(village_ws, village_admin, "吴一", "吴二", "吴三")
    dlg = HouseholdDialog(AppContext(village_ws, village_admin), h.id)
    qtbot.addWidget(dlg)
    members = list(dlg.members_model.members)
    second = next(i for i, m in enumerate(members) if m.name == "吴二")
    members[second] = dataclasses.replace(members[second], phone="13912345678")
    dlg.members_model.set_members(members, dlg.members_model.status)
    dlg.members_view.selectRow(next(i for i, m in enumerate(members) if m.name == "吴三"))
    monkeypatch.setattr(QInputDialog, "getText", lambda *a, **k: ("2026-01-05", True))
    dlg.mark("迁出")
    shown = {m.name: m for m in dlg.members_model.members}
    assert shown["吴二"].phone == "13912345678" and dlg.members_model.status[shown["吴三"].id] == "迁出"
    dlg.save()
    with village_ws.session() as s:
        from sqlalchemy import select

        from db.models import Person

        assert s.scalar(select(Person.phone).where(Person.name == "吴二")) == "13912345678"


def test_a_household_left_empty_by_a_merge_is_deleted_from_its_form(
    qtbot, village_ws, village_admin, monkeypatch
):
    """合户: 吴二 moved into 赵一's household; 吴's household has nobody 在册 and is removed from its
    form (none could remove it: it printed a card with no 户主). One with people 在册 is refused."""
    from PySide6.QtWidgets import QMessageBox

    from db.models import Household

    from tests.households_helpers import household

    wu = household(village_ws, village_admin, "吴一", "吴二")
    zhao = household(village_ws, village_admin, "赵一")
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    monkeypatch.setattr(QMessageBox, "question", lambda *a, **k: QMessageBox.StandardButton.Yes)
    ctx = AppContext(village_ws, village_admin)
    dlg = HouseholdDialog(ctx, wu.id)
    qtbot.addWidget(dlg)
    assert dlg.delete_household() is False and "还有 2 人在册" in told[0]
    with village_ws.work(village_admin) as w:
        for m in roster.get_household(w, wu.id).members:
            if m.relation == "户主":  # (a head is not moved out: marked 迁出, as the form does)
                roster.set_person_status(w, m.id, "迁出", dt.date(2026, 1, 5))
            else:
                roster.move_person(w, m.id, zhao.id, relation="其他")
    dlg = HouseholdDialog(ctx, wu.id)
    qtbot.addWidget(dlg)
    assert dlg.delete_household() is True
    with village_ws.session() as s:
        assert s.get(Household, wu.id).deleted_at is not None and s.get(Household, zhao.id).deleted_at is None
