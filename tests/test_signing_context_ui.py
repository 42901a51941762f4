"""Signing and context (issue 15) with pytest-qt: signing offered on saving, the text being signed in
large type, 打印本条, each 今日待办 item opening exactly its thing, home's 写民情日记, no diary form at a
town, one contact card per A4 page from the print menu and households without a contact cadre skipped."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QApplication, QCheckBox, QFileDialog, QMessageBox
from sqlalchemy import select

from db import vocab
from db.models import Acknowledgement

from app.diary import entries, visits
from app.households import cadres

from ui.context import AppContext
from ui.diary.entry_form import EntryDialog
from ui.main_window import MainWindow

from tests.diary_helpers import NOW, add_cadre, add_household, entry_input
from tests.households_helpers import add_user, household

pytestmark = pytest.mark.qt_log_ignore("does not support propagateSizeHints")


@pytest.fixture
def ctx(village_ws):
    return AppContext(village_ws, add_cadre(village_ws))


@pytest.fixture
def opened(monkeypatch):
    """Files the program asked the desktop to open (the PDF viewer is not run in tests)."""
    urls: list[Path] = []
    monkeypatch.setattr(QDesktopServices, "openUrl", lambda url: urls.append(Path(url.toLocalFile())) or True)
    return urls


def _save_as(monkeypatch, path: Path) -> None:
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), "PDF (*.pdf)"))


def _pdf_text(path: Path) -> str:
    return "".join(p.extract_text() for p in PdfReader(path).pages).replace("\x00", "")


def _type_entry(qtbot, dlg) -> None:
    qtbot.keyClicks(dlg.participants.picker.edit, "zwk")
    qtbot.keyClick(dlg.participants.picker.edit, Qt.Key.Key_Return)
    dlg.situation.insertPlainText("老两口独居，老伴腿脚不便")
    dlg.actions.insertPlainText("当场讲解了慢病门诊卡的办理")
    dlg.add_demand_row(focus=True)
    dlg.demand_rows[0].category.setCurrentText("医疗")
    dlg.demand_rows[0].content.insert("希望办理慢性病门诊卡")


def _typed_entry(qtbot, ctx) -> EntryDialog:
    """The entry form, shown, with a visit to 钟伟堃 typed in."""
    add_household(ctx.workspace, "钟伟堃", group="三组")
    dlg = EntryDialog(ctx, now=NOW)
    qtbot.addWidget(dlg)
    with qtbot.waitActive(dlg):
        dlg.show()
        dlg.activateWindow()
    _type_entry(qtbot, dlg)
    return dlg


def test_saving_an_entry_with_a_household_offers_signing_with_the_text_in_large_type(
    qtbot, ctx, tmp_path, monkeypatch, opened
):
    dlg = _typed_entry(qtbot, ctx)
    with qtbot.waitSignal(dlg.saved, timeout=3000):
        qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    signing = dlg.signing
    assert signing is not None and signing.isVisible()
    assert signing.windowTitle() == "请群众签字认可"
    shown = signing.text.toPlainText()
    for part in ("老两口独居，老伴腿脚不便", "希望办理慢性病门诊卡", "当场讲解了慢病门诊卡的办理", "钟伟堃"):
        assert part in shown, part
    assert "font-size: 16pt" in signing.text.toHtml() or "font-size:16pt" in signing.text.toHtml()
    assert signing.text.verticalScrollBarPolicy() != Qt.ScrollBarPolicy.ScrollBarAlwaysOff
    assert signing.signer.text() == "钟伟堃"
    assert signing.buttons.button(signing.buttons.StandardButton.Cancel).text() == "稍后再签"
    # 打印本条: one entry, A4, household, date, cadre and a signature line
    pdf = tmp_path / "本条.pdf"
    _save_as(monkeypatch, pdf)
    qtbot.mouseClick(signing.print_button, Qt.MouseButton.LeftButton)
    assert opened == [pdf] and signing.tabs.currentIndex() == 1  # next: the photo of the signed sheet
    reader = PdfReader(pdf)
    width, height = (round(float(v) * 25.4 / 72) for v in reader.pages[0].mediabox[2:])
    assert (width, height, len(reader.pages)) == (210, 297, 1)
    text = _pdf_text(pdf)
    for part in (
        "钟伟堃户（三组）",
        "2024年3月15日",
        "记录干部：王建国",
        "老两口独居",
        "希望办理慢性病门诊卡",
        "群众签字（或按手印）",
    ):
        assert part in text, part
    # signing on the pad records the acknowledgement
    signing.tabs.setCurrentIndex(0)
    pad = signing.pad
    qtbot.mousePress(pad, Qt.MouseButton.LeftButton, pos=QPointF(30, 60).toPoint())
    for x in range(40, 300, 20):
        qtbot.mouseMove(pad, QPointF(x, 60 + (x % 40) - 20).toPoint())
    qtbot.mouseRelease(pad, Qt.MouseButton.LeftButton, pos=QPointF(300, 70).toPoint())
    signing._ok()
    assert signing.result() == signing.DialogCode.Accepted, signing.error.text()
    with ctx.workspace.session() as s:
        (ack,) = s.scalars(select(Acknowledgement)).all()
        assert (ack.method, ack.signer_name) == ("当场签字", "钟伟堃")


def test_printing_one_entry_from_the_diary_list(qtbot, ctx, tmp_path, monkeypatch, opened):
    from ui.diary.page import DiaryPage

    hid, pid, _ = add_household(ctx.workspace, "钟伟堃", cadre_id=ctx.user.id)
    with ctx.work() as w:
        e = entries.save_entry(w, entry_input(hid, pid, situation="院墙开裂需要修补"), now=NOW)
    page = DiaryPage(ctx)
    qtbot.addWidget(page)
    page.show()
    page.refresh()
    page.show_household(hid, "钟伟堃户")
    assert page.diary_tab.current_id() == e.id and page.diary_tab.print_one_button.isEnabled()
    _save_as(monkeypatch, tmp_path / "one.pdf")
    qtbot.mouseClick(page.diary_tab.print_one_button, Qt.MouseButton.LeftButton)
    assert opened == [tmp_path / "one.pdf"] and "院墙开裂需要修补" in _pdf_text(tmp_path / "one.pdf")


def _window(qtbot, ws, user) -> MainWindow:
    w = MainWindow(AppContext(ws, user))
    qtbot.addWidget(w)
    w.show()
    return w


def _home_row(qtbot, window, title_start: str):
    home = window.open_page("home")
    qtbot.waitUntil(home.ready, timeout=5000)
    for g in range(home.tree.topLevelItemCount()):
        group = home.tree.topLevelItem(g)
        for c in range(group.childCount()):
            if group.child(c).text(0).startswith(title_start):
                return home, group.child(c)
    raise AssertionError(f"no 今日待办 item {title_start}: {[i.title for i in home.items]}")


def test_each_todo_item_opens_exactly_its_household_or_demand(qtbot, village_ws, village_admin):
    ws = village_ws
    long_ago = dt.datetime(2020, 1, 1)
    hid, pid, _ = add_household(ws, "钟伟堃", cadre_id=village_admin.id, created=long_ago)
    other, opid, _ = add_household(ws, "李秀英", cadre_id=village_admin.id, created=long_ago)
    third, tpid, _ = add_household(ws, "王秀兰", cadre_id=village_admin.id)
    moment = dt.datetime.now().replace(second=0, microsecond=0)  # (any time of day: nothing in the future)
    today = moment.date()
    with ws.work(village_admin) as w:
        for n in range(3):  # the other household has entries; 钟伟堃 was visited long ago, once
            entries.save_entry(
                w,
                entry_input(other, opid, when=moment - dt.timedelta(days=1, hours=n)),
                now=dt.datetime.now(),
            )
        old = entries.save_entry(w, entry_input(hid, pid, when=dt.datetime(2021, 5, 1, 9)), now=NOW)
        demand_entry = entries.save_entry(
            w,
            entry_input(
                other,
                opid,
                when=moment - dt.timedelta(minutes=5),
                demands=[("基础设施", "村口路灯坏了")],
            ),
            now=dt.datetime.now(),
        )
        demand_id = demand_entry.demands[0].id
        entries.save_entry(w, entry_input(third, tpid, when=moment - dt.timedelta(days=2)), now=moment)
        visits.record_must_visit(w, third, "住院", today, note="突发脑梗住院", today=today)
    from db.models import Demand

    with ws.session() as s:  # the demand is due today
        d = s.get(Demand, demand_id)
        d.responsible_id, d.due_on = village_admin.id, today
    window = _window(qtbot, ws, village_admin)

    home, row = _home_row(qtbot, window, "该走访了：钟伟堃家")
    home.tree.itemActivated.emit(row, 0)
    page = window.page("diary")
    tab = page.diary_tab
    assert page.tabs.currentWidget() is tab and tab.household_id == hid
    assert tab.model.rowCount() == 1 and tab.current_id() == old.id  # not every entry of the village
    assert tab.household_chip.isVisible() and "钟伟堃户" in tab.household_chip.text()

    home, row = _home_row(qtbot, window, "必访：王秀兰家")
    home.tree.itemActivated.emit(row, 0)
    assert tab.household_id == third and tab.model.rowCount() == 1 and "王秀兰户" in tab.household_chip.text()

    home, row = _home_row(qtbot, window, "诉求待答复：李秀英 村口路灯坏了")
    home.tree.itemActivated.emit(row, 0)
    ledger = page.ledger_tab
    assert page.tabs.currentWidget() is ledger
    assert ledger.model.id_at(ledger.view.currentIndex().row()) == demand_id


def test_home_has_a_write_diary_button_and_a_town_has_no_diary_form(
    qtbot, village_ws, village_admin, town_ws, monkeypatch
):
    window = _window(qtbot, village_ws, village_admin)
    home = window.open_page("home")
    assert home.new_entry_button.isVisible() and window.new_entry_action.isEnabled()
    qtbot.mouseClick(home.new_entry_button, Qt.MouseButton.LeftButton)
    forms = [w for w in QApplication.topLevelWidgets() if isinstance(w, EntryDialog) and w.isVisible()]
    assert len(forms) == 1 and forms[0].windowTitle() == "写民情日记"
    forms[0].reject()

    from db.models import User

    with town_ws.session() as s:
        clerk = s.scalars(select(User).where(User.username == "admin")).one()
        s.expunge(clerk)
    town = _window(qtbot, town_ws, clerk)
    told = []
    monkeypatch.setattr(QMessageBox, "information", lambda *a, **k: told.append(a[2]))
    home = town.open_page("home")
    assert not home.new_entry_button.isVisible()
    assert not town.new_entry_action.isEnabled()
    town.new_entry_action.trigger()  # (disabled: nothing happens)
    town.new_diary_entry()  # even when reached another way, the form does not open at a town
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, EntryDialog) and w.isVisible()]
    assert told and "民情日记由各村工作站记录" in told[0]


def test_print_menu_one_card_per_a4_page_and_households_without_a_contact_cadre_are_skipped(
    qtbot, village_ws, village_admin, tmp_path, monkeypatch
):
    from ui.households.page import HouseholdsPage

    contact = add_user(village_ws, "lianxi", ["cadre"], phone="13811112222")
    for name in ("钟伟堃", "李秀英", "王五"):
        h = household(village_ws, village_admin, name)
        with village_ws.work(village_admin) as w:
            cadres.assign_cadre(w, h.id, vocab.CONTACT_CADRE, contact.id, on=dt.date(2026, 1, 1))
    household(village_ws, village_admin, "冯无干部")
    page = HouseholdsPage(AppContext(village_ws, village_admin))
    qtbot.addWidget(page)
    page.show()
    page.refresh()

    def choose(menu):
        box = menu.findChild(QCheckBox)
        assert box is not None and "每页一张卡" in box.text()
        box.setChecked(True)  # ticking it does not close the menu
        return next(a for a in menu.actions() if a.text() == "全村")

    monkeypatch.setattr(page, "exec_menu", choose)
    out = tmp_path / "cards.pdf"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "PDF 文件 (*.pdf)"))
    said = []
    defaults = []
    monkeypatch.setattr(
        QMessageBox,
        "question",
        lambda *a, **k: said.append(a[2]) or defaults.append(a[4:]) or QMessageBox.StandardButton.No,
    )
    qtbot.mouseClick(page.cards_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: bool(said), timeout=20000)
    assert defaults[0][-1] == QMessageBox.StandardButton.No  # a reflex Enter marks no household delivered
    reader = PdfReader(out)
    assert len(reader.pages) == 3  # one card to a page, the household without a cadre left out
    for p in reader.pages:
        assert tuple(round(float(v) * 25.4 / 72) for v in p.mediabox[2:]) == (210, 297)
    assert "冯无干部" not in _pdf_text(out)
    assert "已生成 3 户的联系卡，共 3 页" in said[0] and "1 户还没有联系干部" in said[0]


def test_a_phone_call_is_saved_without_asking_for_a_signature_on_the_screen(qtbot, ctx):
    """The resident on the telephone is not at the laptop to sign: nothing to ask at once."""
    dlg = _typed_entry(qtbot, ctx)
    dlg.kind.setCurrentText("电话联系")
    with qtbot.waitSignal(dlg.saved, timeout=3000):
        qtbot.keyClick(dlg, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    assert dlg.signing is None
